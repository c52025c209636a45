package config

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/clawgate/gateway/server/statefile"
)

// Save writes raw (the whole file) to path atomically: a temp file in the same
// directory, written, fsynced and given mode 0600, is renamed over path and the
// directory is fsynced. Missing parent directories are created with mode 0700
// (existing ones are left as they are). If path is a symlink, its target is
// replaced and the link kept. On failure the old file is untouched and the
// temp file removed. Save does not validate: callers check raw with Validate
// or Parse first.
func Save(path string, raw []byte) error {
	return save(path, raw, func(f *os.File, b []byte) error {
		_, err := f.Write(b)
		return err
	})
}

// save is Save with the write step injectable, so tests can fail it midway.
func save(path string, raw []byte, write func(*os.File, []byte) error) error {
	target := path
	if resolved, err := filepath.EvalSymlinks(path); err == nil {
		target = resolved
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		return fmt.Errorf("config: save %s: %w", path, err)
	}
	if err := statefile.Write(target, 0o600, func(f *os.File) error { return write(f, raw) }); err != nil {
		return fmt.Errorf("config: save %s: %w", path, err)
	}
	return nil
}
