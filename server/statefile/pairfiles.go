package statefile

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
)

// The two files of a pairing store.
const (
	PairedFile  = "paired.json"
	PendingFile = "pending.json"
)

// Permissions of a pairing store's directory and files.
const (
	pairDirPerm  = 0o700
	pairFilePerm = 0o600
)

// PairFiles is the on-disk half of a pairing store (device pairing in server/auth,
// node pairing in server/nodes): a private directory with paired.json (approved
// records by id) and pending.json (open requests by id). Each file is replaced
// atomically and durably on change, and every record is checked on load; a file that
// cannot be used is an error wrapping Corrupt, never reset silently.
type PairFiles[P, R any] struct {
	// Dir is the store's directory (created 0700).
	Dir string
	// Prefix starts every error ("auth: device store").
	Prefix string
	// Corrupt is the caller's sentinel for a file that exists but cannot be used.
	Corrupt error
	// CheckPaired and CheckPending validate one loaded record under its key.
	CheckPaired  func(id string, p *P) error
	CheckPending func(id string, r *R) error
}

// Load prepares Dir and reads both files; a missing file is empty state.
func (f PairFiles[P, R]) Load() (map[string]*P, map[string]*R, error) {
	if err := PrivateDir(f.Dir, pairDirPerm); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", f.Prefix, err)
	}
	RemoveStaleTemps(f.Dir, PairedFile, PendingFile)

	paired := map[string]*P{}
	if err := readPairJSON(f, PairedFile, &paired); err != nil {
		return nil, nil, err
	}
	for id, p := range paired {
		if err := f.CheckPaired(id, p); err != nil {
			return nil, nil, f.corrupt(PairedFile, err)
		}
	}
	pending := map[string]*R{}
	if err := readPairJSON(f, PendingFile, &pending); err != nil {
		return nil, nil, err
	}
	for id, r := range pending {
		if err := f.CheckPending(id, r); err != nil {
			return nil, nil, f.corrupt(PendingFile, err)
		}
	}
	return paired, pending, nil
}

// Commit writes the given maps (nil = unchanged), paired first, and hands each to its
// install function only once it is on disk. Paired first: a crash in between leaves a
// request pending for something already paired, which the stores resolve harmlessly.
func (f PairFiles[P, R]) Commit(paired map[string]*P, pending map[string]*R, installPaired func(map[string]*P), installPending func(map[string]*R)) error {
	if paired != nil {
		if err := f.write(PairedFile, paired); err != nil {
			return err
		}
		installPaired(paired)
	}
	if pending != nil {
		if err := f.write(PendingFile, pending); err != nil {
			return err
		}
		installPending(pending)
	}
	return nil
}

func (f PairFiles[P, R]) corrupt(name string, err error) error {
	return fmt.Errorf("%s: %w %s: %w (fix or move the file away; it is never reset automatically)",
		f.Prefix, f.Corrupt, filepath.Join(f.Dir, name), err)
}

// readPairJSON decodes Dir/name into *dst; a missing file leaves it empty.
func readPairJSON[P, R any, M ~map[string]V, V any](f PairFiles[P, R], name string, dst *M) error {
	err := ReadJSONMap(filepath.Join(f.Dir, name), pairFilePerm, dst, func(err error) error {
		return f.corrupt(name, err)
	})
	if err != nil && !errors.Is(err, f.Corrupt) {
		return fmt.Errorf("%s: %w", f.Prefix, err)
	}
	return err
}

// write replaces Dir/name atomically and durably (0600; see Write).
func (f PairFiles[P, R]) write(name string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: encode %s: %w", f.Prefix, name, err)
	}
	if err := WriteBytes(filepath.Join(f.Dir, name), pairFilePerm, append(data, '\n')); err != nil {
		return fmt.Errorf("%s: write %s: %w", f.Prefix, name, err)
	}
	return nil
}
