package statefile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "state.json")
	if err := WriteBytes(p, 0o600, []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := WriteBytes(p, 0o600, []byte("two")); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	st, _ := os.Stat(p)
	if string(b) != "two" || st.Mode().Perm() != 0o600 {
		t.Fatalf("content %q mode %v", b, st.Mode().Perm())
	}
	// A write that fails midway leaves the old file and no temp file.
	err := Write(p, 0o600, func(f *os.File) error {
		_, _ = f.Write([]byte("partial"))
		return errors.New("disk full")
	})
	if err == nil {
		t.Fatal("failure not reported")
	}
	b, _ = os.ReadFile(p)
	if string(b) != "two" {
		t.Fatalf("old file damaged: %q", b)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Fatalf("temp file left: %s", e.Name())
		}
	}
}

func TestRemoveStaleTemps(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"paired.json.1.tmp", "pending.json.2.tmp", "other.json.3.tmp", "paired.json"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	RemoveStaleTemps(dir, "paired.json", "pending.json")
	var left []string
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		left = append(left, e.Name())
	}
	if strings.Join(left, ",") != "other.json.3.tmp,paired.json" {
		t.Fatalf("left: %v", left)
	}
}

func TestReadJSONMap(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, content string
		missing       bool
		wantCorrupt   bool
		want          int
	}{
		{name: "missing", missing: true},
		{name: "empty", content: "  \n", wantCorrupt: true},
		{name: "array", content: "[1]", wantCorrupt: true},
		{name: "null", content: "null", wantCorrupt: true},
		{name: "garbage", content: "{", wantCorrupt: true},
		{name: "object", content: `{"a":1,"b":2}`, want: 2},
	} {
		path := filepath.Join(dir, tc.name+".json")
		if !tc.missing {
			if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		var m map[string]int
		corrupt := false
		err := ReadJSONMap(path, 0o600, &m, func(err error) error { corrupt = true; return err })
		if corrupt != tc.wantCorrupt || (err != nil) != tc.wantCorrupt || len(m) != tc.want {
			t.Errorf("%s: err %v corrupt %v len %d", tc.name, err, corrupt, len(m))
		}
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want narrowed to 0600", tc.name, fi.Mode().Perm())
		}
	}
}
