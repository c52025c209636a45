package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/clawgate/gateway/server/statefile"
)

const (
	pairedFile  = "paired.json"
	pendingFile = "pending.json"
	dirPerm     = 0o700
	filePerm    = 0o600
)

// ErrCorrupt marks a store file that exists but can't be used; OpenStore wraps it with
// the path and the reason. The gateway must not start over silently: move or fix the
// file.
var ErrCorrupt = errors.New("corrupt device store file")

func devicesDir(stateDir string) string { return filepath.Join(stateDir, "devices") }

// loadFiles prepares dir (0700) and reads both files; a missing file is empty state.
func loadFiles(dir string) (map[string]*pairedRecord, map[string]*pendingRecord, error) {
	if err := statefile.PrivateDir(dir, dirPerm); err != nil {
		return nil, nil, fmt.Errorf("auth: device store: %w", err)
	}
	statefile.RemoveStaleTemps(dir, pairedFile, pendingFile)

	paired := map[string]*pairedRecord{}
	if err := readJSON(dir, pairedFile, &paired); err != nil {
		return nil, nil, err
	}
	for id, p := range paired {
		if err := checkPaired(id, p); err != nil {
			return nil, nil, corrupt(dir, pairedFile, err)
		}
	}
	pending := map[string]*pendingRecord{}
	if err := readJSON(dir, pendingFile, &pending); err != nil {
		return nil, nil, err
	}
	for id, r := range pending {
		if err := checkPending(id, r); err != nil {
			return nil, nil, corrupt(dir, pendingFile, err)
		}
	}
	return paired, pending, nil
}

func corrupt(dir, name string, err error) error {
	return fmt.Errorf("auth: device store: %w %s: %w (fix or move the file away; it is never reset automatically)",
		ErrCorrupt, filepath.Join(dir, name), err)
}

// readJSON decodes dir/name into *dst (a map); a missing file leaves it empty.
func readJSON[M ~map[string]V, V any](dir, name string, dst *M) error {
	err := statefile.ReadJSONMap(filepath.Join(dir, name), filePerm, dst, func(err error) error {
		return corrupt(dir, name, err)
	})
	if err != nil && !errors.Is(err, ErrCorrupt) {
		return fmt.Errorf("auth: device store: %w", err)
	}
	return err
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

// writeJSON replaces dir/name atomically and durably (0600; see statefile.Write).
func writeJSON(dir, name string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("auth: device store: encode %s: %w", name, err)
	}
	if err := statefile.WriteBytes(filepath.Join(dir, name), filePerm, append(data, '\n')); err != nil {
		return fmt.Errorf("auth: device store: write %s: %w", name, err)
	}
	return nil
}
