// Package statefile writes the gateway's state and config files so that a crash or a
// full disk never leaves a torn file: everything acknowledged to a client is on disk
// before the ack, and a failed write leaves the previous file as it was.
package statefile

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Write replaces path atomically and durably: a temp file in the same directory
// (mode perm), written by write, fsynced, renamed over path, then the directory is
// fsynced. On failure the old file is untouched and the temp file removed. The
// directory must exist.
func Write(path string, perm os.FileMode, write func(*os.File) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if err = write(f); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	return SyncDir(dir)
}

// WriteBytes is Write with the whole content given.
func WriteBytes(path string, perm os.FileMode, data []byte) error {
	return Write(path, perm, func(f *os.File) error {
		_, err := f.Write(data)
		return err
	})
}

// SyncDir fsyncs a directory so a rename in it is durable. Filesystems that can't
// fsync directories (EINVAL, ENOTSUP) are tolerated.
func SyncDir(dir string) error {
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

// RemoveStaleTemps deletes the temp files a crash left behind while writing one of
// names in dir (they are named "<name>.<random>.tmp").
func RemoveStaleTemps(dir string, names ...string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		n := e.Name()
		if !e.Type().IsRegular() || !strings.HasSuffix(n, ".tmp") {
			continue
		}
		for _, name := range names {
			if strings.HasPrefix(n, name+".") {
				_ = os.Remove(filepath.Join(dir, n))
				break
			}
		}
	}
}

// PrivateFile makes sure path exists and nobody but the owner can read it: created
// empty with perm when missing, narrowed to perm when its mode is wider. It also
// narrows SQLite's companion files (path-wal, path-shm, path-journal) when they exist.
// Call it before opening a SQLite database: SQLite creates a new database with 0644
// (less the umask) and gives its -wal and -shm files the database's mode, so the
// database file's mode decides who can read transcripts and send results.
func PrivateFile(path string, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, perm)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		fi, err := os.Stat(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&^perm != 0 {
			if err := os.Chmod(p, fi.Mode().Perm()&perm); err != nil {
				return err
			}
		}
	}
	return nil
}

// PrivateDir creates dir (and parents) and narrows it to perm when it exists wider.
func PrivateDir(dir string, perm os.FileMode) error {
	if err := os.MkdirAll(dir, perm); err != nil {
		return err
	}
	return os.Chmod(dir, perm)
}

// ReadJSONMap decodes the JSON object at path into *dst; a missing file leaves *dst as
// it is. A readable file is narrowed to perm first. A file that exists but is empty,
// not an object or not JSON is reported through corrupt (the store decides what that
// means; it must never be silently reset); I/O errors are returned as they are.
func ReadJSONMap[M ~map[string]V, V any](path string, perm os.FileMode, dst *M, corrupt func(error) error) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&^perm != 0 {
		if err := os.Chmod(path, perm); err != nil {
			return err
		}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return corrupt(errors.New("empty file"))
	}
	var m M
	if err := json.Unmarshal(data, &m); err != nil {
		return corrupt(err)
	}
	if m == nil {
		return corrupt(errors.New("not a JSON object"))
	}
	*dst = m
	return nil
}
