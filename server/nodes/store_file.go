package nodes

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
// the path and the reason. The gateway must not start over silently (that would unpair
// every node): move or fix the file.
var ErrCorrupt = errors.New("corrupt node store file")

// nodesDir is where the store lives. The original kept these files in
// ~/.clawdbot/nodes regardless of CLAWDBOT_STATE_DIR; we root them at the state dir so
// that one state dir holds all of a gateway's state (and tests stay hermetic).
func nodesDir(stateDir string) string { return filepath.Join(stateDir, "nodes") }

// loadFiles prepares dir (0700) and reads both files; a missing file is empty state.
func loadFiles(dir string) (map[string]*pairedRecord, map[string]*pendingRecord, error) {
	if err := statefile.PrivateDir(dir, dirPerm); err != nil {
		return nil, nil, fmt.Errorf("nodes: store: %w", err)
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
	return fmt.Errorf("nodes: store: %w %s: %w (fix or move the file away; it is never reset automatically)",
		ErrCorrupt, filepath.Join(dir, name), err)
}

// readJSON decodes dir/name into *dst (a map); a missing file leaves it empty.
func readJSON[M ~map[string]V, V any](dir, name string, dst *M) error {
	err := statefile.ReadJSONMap(filepath.Join(dir, name), filePerm, dst, func(err error) error {
		return corrupt(dir, name, err)
	})
	if err != nil && !errors.Is(err, ErrCorrupt) {
		return fmt.Errorf("nodes: store: %w", err)
	}
	return err
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

// writeJSON replaces dir/name atomically and durably (0600; see statefile.Write).
func writeJSON(dir, name string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("nodes: store: encode %s: %w", name, err)
	}
	if err := statefile.WriteBytes(filepath.Join(dir, name), filePerm, append(data, '\n')); err != nil {
		return fmt.Errorf("nodes: store: write %s: %w", name, err)
	}
	return nil
}
