package cron

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/clawgate/gateway/server/statefile"
)

// StoreFile is cron/jobs.json: the original's CronStoreFile (version 1).
type StoreFile struct {
	Version int   `json:"version"`
	Jobs    []Job `json:"jobs"`
}

// StorePath is the store's place under a state directory, as the original's
// (<state>/cron/jobs.json).
func StorePath(stateDir string) string { return filepath.Join(stateDir, "cron", "jobs.json") }

// MaxStoreBytes bounds the jobs file read at start (a file larger than this is treated
// as corrupt: moved aside, not parsed).
const MaxStoreBytes = 16 << 20

// ErrCorruptStore wraps a jobs file that cannot be read as one.
var ErrCorruptStore = errors.New("corrupt cron store")

// LoadStore reads the jobs file. A missing file is an empty store. Jobs without a name get
// the original's inferred name; entries that are not objects are dropped as the
// original's loader drops them. changed reports that the loaded form differs from the
// file (so the caller writes it back).
func LoadStore(path string) (f StoreFile, changed bool, err error) {
	f.Version = 1
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, false, nil
	}
	if err != nil {
		return f, false, fmt.Errorf("cron store: %w", err)
	}
	if fi.Size() > MaxStoreBytes {
		return f, false, fmt.Errorf("%w: %s is %d bytes (limit %d)", ErrCorruptStore, path, fi.Size(), MaxStoreBytes)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return f, false, fmt.Errorf("cron store: %w", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return f, false, nil
	}
	var raw struct {
		Jobs []json.RawMessage `json:"jobs"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return f, false, fmt.Errorf("%w: %s: %v", ErrCorruptStore, path, err)
	}
	for i, r := range raw.Jobs {
		if t := bytes.TrimSpace(r); len(t) == 0 || t[0] != '{' {
			changed = true
			continue
		}
		var j Job
		if err := json.Unmarshal(r, &j); err != nil {
			return f, false, fmt.Errorf("%w: %s: job %d: %v", ErrCorruptStore, path, i, err)
		}
		if strings.TrimSpace(j.Name) == "" {
			j.Name = inferName(&j)
			changed = true
		} else if n := strings.TrimSpace(j.Name); n != j.Name {
			j.Name = n
			changed = true
		}
		if d := strings.TrimSpace(j.Description); d != j.Description {
			j.Description = d
			changed = true
		}
		if bytes.Contains(r, []byte(`"provider"`)) {
			changed = true
		}
		f.Jobs = append(f.Jobs, j)
	}
	return f, changed, nil
}

// SaveStore writes the jobs file atomically and durably (temp file, fsync, rename, fsync
// of the directory), readable by the owner only, indented as the original writes it.
func SaveStore(path string, f StoreFile) error {
	f.Version = 1
	if f.Jobs == nil {
		f.Jobs = []Job{}
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("cron store: %w", err)
	}
	if err := statefile.PrivateDir(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("cron store: %w", err)
	}
	if err := statefile.WriteBytes(path, 0o600, b); err != nil {
		return fmt.Errorf("cron store: %w", err)
	}
	return nil
}
