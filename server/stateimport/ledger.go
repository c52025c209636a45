package stateimport

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/clawgate/gateway/server/statefile"
)

// ledger records what was imported: one item per session, device and node, with the
// SHA-256 of its source at import time, and the last run's report.
type ledger struct {
	Version int                   `json:"version"`
	Items   map[string]ledgerItem `json:"items"`
	Last    *Report               `json:"last,omitempty"`
}

type ledgerItem struct {
	// Source is the file it came from, relative to the state dir when inside it.
	Source string `json:"source"`
	// SHA256 is the hash of its source record (and transcript, for a session).
	SHA256 string `json:"sha256"`
	// Entry and Stamp (sessions only) are the hash of the session entry alone and the
	// transcript's size:mtime, so an unchanged session is recognised without reading
	// its transcript.
	Entry string `json:"entry,omitempty"`
	Stamp string `json:"stamp,omitempty"`
	// AtMs is when it was imported (or first found already here).
	AtMs int64 `json:"atMs"`
	// Imported is false when the item was already in this gateway's store.
	Imported bool `json:"imported"`
}

const ledgerVersion = 1

func ledgerPath(stateDir string) string { return filepath.Join(OwnDir(stateDir), LedgerName) }

// loadLedger reads the ledger; a missing one is empty. A corrupt ledger is an error:
// starting over would re-import what was deleted here since.
func loadLedger(stateDir string) (*ledger, error) {
	p := ledgerPath(stateDir)
	l := &ledger{Version: ledgerVersion, Items: map[string]ledgerItem{}}
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return l, nil
	}
	if err != nil {
		return nil, fmt.Errorf("stateimport: ledger: %w", err)
	}
	if err := json.Unmarshal(data, l); err != nil {
		return nil, fmt.Errorf("stateimport: ledger %s is corrupt (fix or move it; it is never reset automatically): %w", p, err)
	}
	if l.Version != ledgerVersion {
		return nil, fmt.Errorf("stateimport: ledger %s: unsupported version %d", p, l.Version)
	}
	if l.Items == nil {
		l.Items = map[string]ledgerItem{}
	}
	return l, nil
}

func (l *ledger) save(stateDir string) error {
	dir := OwnDir(stateDir)
	if err := statefile.PrivateDir(dir, 0o700); err != nil {
		return fmt.Errorf("stateimport: ledger: %w", err)
	}
	data, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return fmt.Errorf("stateimport: ledger: %w", err)
	}
	if err := statefile.WriteBytes(ledgerPath(stateDir), 0o600, append(data, '\n')); err != nil {
		return fmt.Errorf("stateimport: ledger: %w", err)
	}
	return nil
}

// LastReport returns the report of the last import run over stateDir (false when none
// ran yet), for doctor.
func LastReport(stateDir string) (Report, bool, error) {
	l, err := loadLedger(stateDir)
	if err != nil {
		return Report{}, false, err
	}
	if l.Last == nil {
		return Report{}, false, nil
	}
	return *l.Last, true, nil
}
