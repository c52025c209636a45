package nodes

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/clawgate/gateway/server/statefile"
)

// ErrCorrupt marks a store file that exists but can't be used; OpenStore wraps it with
// the path and the reason. The gateway must not start over silently (that would unpair
// every node): move or fix the file.
var ErrCorrupt = errors.New("corrupt node store file")

// nodesDir is where the store lives. The original kept these files in
// ~/.clawdbot/nodes regardless of CLAWDBOT_STATE_DIR; we root them at the state dir so
// that one state dir holds all of a gateway's state (and tests stay hermetic).
func nodesDir(stateDir string) string { return filepath.Join(stateDir, "nodes") }

// pairFiles is the store's paired.json and pending.json under dir.
func pairFiles(dir string) statefile.PairFiles[pairedRecord, pendingRecord] {
	return statefile.PairFiles[pairedRecord, pendingRecord]{
		Dir: dir, Prefix: "nodes: store", Corrupt: ErrCorrupt, CheckPaired: checkPaired, CheckPending: checkPending,
	}
}

func checkPaired(id string, p *pairedRecord) error {
	switch {
	case p == nil:
		return fmt.Errorf("node %q: null record", id)
	case p.NodeID != id:
		return fmt.Errorf("node %q: nodeId %q differs from its key", id, p.NodeID)
	case len(p.TokenSHA256) != 64:
		return fmt.Errorf("node %q: bad token hash", id)
	}
	return nil
}

func checkPending(id string, r *pendingRecord) error {
	switch {
	case r == nil:
		return fmt.Errorf("request %q: null record", id)
	case r.RequestID != id:
		return fmt.Errorf("request %q: requestId %q differs from its key", id, r.RequestID)
	case r.NodeID == "":
		return fmt.Errorf("request %q: no nodeId", id)
	}
	return nil
}
