package auth

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/clawgate/gateway/server/statefile"
)

// ErrCorrupt marks a store file that exists but can't be used; OpenStore wraps it with
// the path and the reason. The gateway must not start over silently: move or fix the
// file.
var ErrCorrupt = errors.New("corrupt device store file")

func devicesDir(stateDir string) string { return filepath.Join(stateDir, "devices") }

// pairFiles is the store's paired.json and pending.json under dir.
func pairFiles(dir string) statefile.PairFiles[pairedRecord, pendingRecord] {
	return statefile.PairFiles[pairedRecord, pendingRecord]{
		Dir: dir, Prefix: "auth: device store", Corrupt: ErrCorrupt, CheckPaired: checkPaired, CheckPending: checkPending,
	}
}

func checkPaired(id string, p *pairedRecord) error {
	switch {
	case p == nil:
		return fmt.Errorf("device %q: null record", id)
	case p.DeviceID != id:
		return fmt.Errorf("device %q: deviceId %q differs from its key", id, p.DeviceID)
	case p.PublicKey == "":
		return fmt.Errorf("device %q: no publicKey", id)
	}
	for role, t := range p.Tokens {
		if t.SHA256 != "" && len(t.SHA256) != 64 {
			return fmt.Errorf("device %q: token for role %q: bad hash", id, role)
		}
	}
	return nil
}

func checkPending(id string, r *pendingRecord) error {
	switch {
	case r == nil:
		return fmt.Errorf("request %q: null record", id)
	case r.RequestID != id:
		return fmt.Errorf("request %q: requestId %q differs from its key", id, r.RequestID)
	case r.DeviceID == "" || r.PublicKey == "" || r.Role == "":
		return fmt.Errorf("request %q: deviceId, publicKey and role are required", id)
	}
	return nil
}
