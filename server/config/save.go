package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
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
func save(path string, raw []byte, write func(*os.File, []byte) error) (err error) {
	target := path
	if resolved, err := filepath.EvalSymlinks(path); err == nil {
		target = resolved
	}
	dir := filepath.Dir(target)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("config: save %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(target)+".*.tmp")
	if err != nil {
		return fmt.Errorf("config: save %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			err = fmt.Errorf("config: save %s: %w", path, err)
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return err
	}
	if err := write(tmp, raw); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir fsyncs a directory so a rename in it is durable. Filesystems that
// can't fsync directories (EINVAL, ENOTSUP) are tolerated.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
		return err
	}
	return nil
}
