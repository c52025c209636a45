package statefile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestWriteOnFullDisk fills a tiny tmpfs (mounted by the test: needs root, skipped
// elsewhere; TestWriteReplacesAtomically covers the same path with an injected error)
// and checks that a write that runs out of space reports ENOSPC and leaves the old
// file and no temp file behind, and that the next write after space is freed works.
func TestWriteOnFullDisk(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=64k,mode=0700"); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v); the injected-error test covers the write path", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
	p := filepath.Join(dir, "paired.json")
	old := []byte(`{"node":"kept"}`)
	if err := WriteBytes(p, 0o600, old); err != nil {
		t.Fatal(err)
	}
	// Fill the rest of the filesystem.
	fill, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 4096)
	for {
		if _, err := fill.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	fill.Close()

	err = WriteBytes(p, 0o600, bytes.Repeat([]byte("x"), 16<<10))
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "no space left on device") {
		t.Fatalf("write on a full disk: %v, want ENOSPC", err)
	}
	if b, _ := os.ReadFile(p); !bytes.Equal(b, old) {
		t.Fatalf("old file damaged: %q", b)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Fatalf("temp file left: %s", e.Name())
		}
	}
	if err := os.Remove(filepath.Join(dir, "filler")); err != nil {
		t.Fatal(err)
	}
	if err := WriteBytes(p, 0o600, []byte("new")); err != nil {
		t.Fatalf("write after space was freed: %v", err)
	}
}

func TestPrivateFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.db")
	if err := PrivateFile(p, 0o600); err != nil {
		t.Fatal(err)
	}
	// Existing files, as an older version (or SQLite) left them.
	for _, n := range []string{p, p + "-wal", p + "-shm"} {
		if err := os.WriteFile(n, []byte("data"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(n, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := PrivateFile(p, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{p, p + "-wal", p + "-shm"} {
		fi, err := os.Stat(n)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", n, fi.Mode(), err)
		}
	}
	if b, _ := os.ReadFile(p); string(b) != "data" {
		t.Fatalf("content changed: %q", b)
	}
}
