package config

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestSaveCreatesFileAndDirs(t *testing.T) {
	root := t.TempDir()
	p := filepath.Join(root, "a", "b", "clawdbot.json")
	raw := []byte("{gateway: {mode: 'local'}} // hi\n")
	if err := Save(p, raw); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(p)
	if err != nil || string(got) != string(raw) {
		t.Fatalf("read back %q, %v", got, err)
	}
	wantMode(t, p, 0o600)
	wantMode(t, filepath.Join(root, "a"), 0o700|os.ModeDir)
	wantMode(t, filepath.Join(root, "a", "b"), 0o700|os.ModeDir)
	noTempFiles(t, filepath.Dir(p))

	// Overwrite: a file that was 0644 ends up 0600 with the new content.
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Save(p, []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != "{}" {
		t.Errorf("content = %q", got)
	}
	wantMode(t, p, 0o600)
	noTempFiles(t, filepath.Dir(p))
}

func TestSaveKeepsExistingDirMode(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Save(filepath.Join(dir, "c.json"), []byte("{}")); err != nil {
		t.Fatal(err)
	}
	wantMode(t, dir, 0o755|os.ModeDir)
}

func TestSaveThroughSymlinkKeepsLink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.json")
	link := filepath.Join(dir, "clawdbot.json")
	if err := os.WriteFile(target, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Skip("symlinks unsupported:", err)
	}
	if err := Save(link, []byte("{a: 1}")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("link replaced: %v %v", fi, err)
	}
	if got, _ := os.ReadFile(target); string(got) != "{a: 1}" {
		t.Errorf("target = %q", got)
	}
}

// A write that fails midway leaves the old file intact and no temp file behind.
func TestSaveFailedWriteKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "clawdbot.json")
	old := []byte("{gateway: {mode: 'local'}}")
	if err := os.WriteFile(p, old, 0o600); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk full")
	err := save(p, []byte(strings.Repeat("x", 4096)), func(f *os.File, b []byte) error {
		if _, err := f.Write(b[:len(b)/2]); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
	if got, _ := os.ReadFile(p); string(got) != string(old) {
		t.Errorf("old file changed: %q", got)
	}
	noTempFiles(t, dir)
}

// Save into a directory that can't be written fails and leaves the old file intact.
func TestSaveReadOnlyDirKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "clawdbot.json")
	old := []byte("{gateway: {port: 1}}")
	if err := os.WriteFile(p, old, 0o600); err != nil {
		t.Fatal(err)
	}
	makeReadOnly(t, dir)
	if err := Save(p, []byte("{gateway: {port: 2}}")); err == nil {
		t.Fatal("Save into a read-only directory succeeded")
	}
	if got, _ := os.ReadFile(p); string(got) != string(old) {
		t.Errorf("old file changed: %q", got)
	}
	noTempFiles(t, dir)
}

// makeReadOnly makes dir unwritable: chmod 0500, and for root (whom modes
// don't stop) also the immutable attribute; skips if neither works.
func makeReadOnly(t *testing.T, dir string) {
	t.Helper()
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	if !canCreate(dir) {
		return
	}
	if out, err := exec.Command("chattr", "+i", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot make %s read-only as uid %d (chattr: %v %s)", dir, os.Geteuid(), err, out)
	}
	t.Cleanup(func() { exec.Command("chattr", "-i", dir).Run() })
	if canCreate(dir) {
		t.Skip("directory still writable")
	}
}

func canCreate(dir string) bool {
	f, err := os.CreateTemp(dir, "probe")
	if err != nil {
		return false
	}
	f.Close()
	os.Remove(f.Name())
	return true
}

func wantMode(t *testing.T, p string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode() & (os.ModePerm | os.ModeDir); got != want {
		t.Errorf("%s: mode %v, want %v", p, got, want)
	}
}

func noTempFiles(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temp file left behind: %s", e.Name())
		}
	}
}
