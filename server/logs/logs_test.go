package logs

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeLines(t *testing.T, f *File, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		if _, err := fmt.Fprintf(f, `{"n":%d}`+"\n", i); err != nil {
			t.Fatal(err)
		}
	}
}

func TestTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "logs", "gateway.log")
	f, err := Open(path, 1<<20, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	writeLines(t, f, 0, 100)

	r, err := Tail(path, nil, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Lines) != 10 || r.Lines[0] != `{"n":90}` || r.Lines[9] != `{"n":99}` || !r.Truncated || r.Cursor != r.Size {
		t.Fatalf("tail from end: %+v", r)
	}
	// Nothing new since the cursor.
	cur := r.Cursor
	r, _ = Tail(path, &cur, 10, 0)
	if len(r.Lines) != 0 || r.Cursor != cur || r.Truncated || r.Reset {
		t.Fatalf("no news: %+v", r)
	}
	// New lines after the cursor, bounded by limit; the cursor continues exactly.
	writeLines(t, f, 100, 130)
	r, _ = Tail(path, &cur, 20, 0)
	if len(r.Lines) != 20 || r.Lines[0] != `{"n":100}` || !r.Truncated {
		t.Fatalf("after cursor: %+v", r)
	}
	cur = r.Cursor
	r, _ = Tail(path, &cur, 20, 0)
	if len(r.Lines) != 10 || r.Lines[0] != `{"n":120}` || r.Truncated || r.Cursor != r.Size {
		t.Fatalf("rest: %+v", r)
	}
	// maxBytes bounds the read; the partial first line is dropped.
	r, _ = Tail(path, nil, 1000, 25)
	if len(r.Lines) == 0 || len(r.Lines) > 3 || !r.Truncated || !strings.HasPrefix(r.Lines[0], `{"n":`) {
		t.Fatalf("maxBytes: %+v", r)
	}
	// A cursor past the end (file rotated or truncated) restarts from the beginning.
	far := r.Size + 100
	r, _ = Tail(path, &far, 5, 0)
	if !r.Reset || r.Lines[0] != `{"n":0}` {
		t.Fatalf("reset: %+v", r)
	}
	// A partial last line is not returned until it is complete.
	cur = r.Size
	if _, err := f.Write([]byte(`{"partial":`)); err != nil {
		t.Fatal(err)
	}
	r, _ = Tail(path, &cur, 5, 0)
	if len(r.Lines) != 0 || r.Cursor != cur {
		t.Fatalf("partial: %+v", r)
	}
}

func TestTailMissingFile(t *testing.T) {
	r, err := Tail(filepath.Join(t.TempDir(), "none.log"), nil, 0, 0)
	if err != nil || len(r.Lines) != 0 || r.Size != 0 {
		t.Fatalf("%+v %v", r, err)
	}
}

func TestRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "gateway.log")
	f, err := Open(path, 200, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	writeLines(t, f, 0, 100) // ~900 bytes: several rotations
	for _, p := range []string{path, path + ".1", path + ".2"} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if st.Size() > 200 {
			t.Errorf("%s is %d bytes, over the limit", p, st.Size())
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v", p, st.Mode().Perm())
		}
	}
	if _, err := os.Stat(path + ".3"); !os.IsNotExist(err) {
		t.Error("more rotated files kept than maxFiles")
	}
	r, _ := Tail(path, nil, 1, 0)
	if len(r.Lines) != 1 || r.Lines[0] != `{"n":99}` {
		t.Fatalf("last line after rotation: %+v", r)
	}
}

func TestHandlerFansOut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.log")
	f, err := Open(path, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var console strings.Builder
	log := slog.New(NewHandler(
		slog.NewTextHandler(&console, &slog.HandlerOptions{Level: slog.LevelInfo}),
		slog.NewJSONHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug}),
	)).With("component", "test")
	log.Debug("only in file")
	log.Info("both")
	r, _ := Tail(path, nil, 10, 0)
	if len(r.Lines) != 2 || !strings.Contains(r.Lines[0], `"msg":"only in file"`) || !strings.Contains(r.Lines[1], `"component":"test"`) {
		t.Fatalf("file: %+v", r.Lines)
	}
	if strings.Contains(console.String(), "only in file") || !strings.Contains(console.String(), "both") {
		t.Fatalf("console: %s", console.String())
	}
}
