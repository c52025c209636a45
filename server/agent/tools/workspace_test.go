package tools

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/clawgate/gateway/server/agent/llm"
)

func newWS(t *testing.T) (*Workspace, string) {
	t.Helper()
	base := t.TempDir()
	ws, err := OpenWorkspace(filepath.Join(base, "ws"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	return ws, base
}

func run(t *testing.T, tl *Tool, args any) (Result, error) {
	t.Helper()
	b, _ := json.Marshal(args)
	if err := tl.Validate(b); err != nil {
		return Result{}, err
	}
	return tl.Execute(context.Background(), Call{ID: "c1", Args: b})
}

// mustTool unwraps a tool constructor (they only fail on a broken embedded schema).
func mustTool(tl *Tool, err error) *Tool {
	if err != nil {
		panic(err)
	}
	return tl
}

func text(r Result) string {
	var b strings.Builder
	for _, p := range r.Content {
		if p.Type == llm.PartText {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

func TestReadText(t *testing.T) {
	ws, _ := newWS(t)
	read := mustTool(ReadTool(ws))
	if err := os.WriteFile(filepath.Join(ws.Dir(), "notes.txt"), []byte("one\ntwo\nthree\nfour\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := run(t, read, map[string]any{"path": "notes.txt"})
	if err != nil || text(r) != "one\ntwo\nthree\nfour\n" {
		t.Fatalf("%q %v", text(r), err)
	}
	r, err = run(t, read, map[string]any{"file_path": "notes.txt", "offset": 2, "limit": 2})
	if err != nil || text(r) != "two\nthree\n\n[2 more lines in file. Use offset=4 to continue.]" {
		t.Fatalf("%q %v", text(r), err)
	}
	if _, err = run(t, read, map[string]any{"path": "notes.txt", "offset": 9}); err == nil || !strings.Contains(err.Error(), "beyond end of file (5 lines total)") {
		t.Fatalf("offset past end: %v", err)
	}
	if _, err = run(t, read, map[string]any{}); err == nil || !strings.Contains(err.Error(), "Missing required parameter: path") {
		t.Fatalf("no path: %v", err)
	}
	if _, err = run(t, read, map[string]any{"path": "missing.txt"}); err == nil || !strings.Contains(err.Error(), "file not found") {
		t.Fatalf("missing: %v", err)
	}
}

func TestReadCapsLinesAndBytes(t *testing.T) {
	ws, _ := newWS(t)
	read := mustTool(ReadTool(ws))
	var b strings.Builder
	for i := 1; i <= DefaultReadMaxLines+500; i++ {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	_ = os.WriteFile(filepath.Join(ws.Dir(), "long.txt"), []byte(b.String()), 0o600)
	r, err := run(t, read, map[string]any{"path": "long.txt"})
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("[Showing lines 1-%d of %d. Use offset=%d to continue.]", DefaultReadMaxLines, DefaultReadMaxLines+501, DefaultReadMaxLines+1)
	if !strings.HasSuffix(text(r), want) || strings.Contains(text(r), fmt.Sprintf("line %d\n", DefaultReadMaxLines+1)) {
		t.Fatalf("tail %q", text(r)[len(text(r))-120:])
	}
	// Byte cap: 100 lines of 1 KiB.
	line := strings.Repeat("x", 1023) + "\n"
	_ = os.WriteFile(filepath.Join(ws.Dir(), "wide.txt"), []byte(strings.Repeat(line, 100)), 0o600)
	r, _ = run(t, read, map[string]any{"path": "wide.txt"})
	if !strings.Contains(text(r), "(50.0KB limit). Use offset=51 to continue.]") || len(text(r)) > DefaultReadMaxBytes+200 {
		t.Fatalf("byte cap: %d bytes, tail %q", len(text(r)), text(r)[len(text(r))-80:])
	}
	// A single line over the cap.
	_ = os.WriteFile(filepath.Join(ws.Dir(), "blob.txt"), []byte(strings.Repeat("y", 80*1024)), 0o600)
	r, _ = run(t, read, map[string]any{"path": "blob.txt"})
	if !strings.HasPrefix(text(r), "[Line 1 is 80.0KB, exceeds 50.0KB limit.") {
		t.Fatalf("first line too large: %q", text(r))
	}
}

func TestReadImage(t *testing.T) {
	ws, _ := newWS(t)
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")
	_ = os.WriteFile(filepath.Join(ws.Dir(), "dot.png"), png, 0o600)
	r, err := run(t, mustTool(ReadTool(ws)), map[string]any{"path": "dot.png"})
	if err != nil || len(r.Content) != 2 || r.Content[1].Type != llm.PartImage || r.Content[1].MimeType != "image/png" || text(r) != "Read image file [image/png]" {
		t.Fatalf("%+v %v", r, err)
	}
	ws.MaxImageBytes = 10
	if _, err := run(t, mustTool(ReadTool(ws)), map[string]any{"path": "dot.png"}); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("image over the limit: %v", err)
	}
}

func TestWriteAndEdit(t *testing.T) {
	ws, _ := newWS(t)
	write := mustTool(WriteTool(ws))
	edit := mustTool(EditTool(ws))
	r, err := run(t, write, map[string]any{"path": "a/b/c.txt", "content": "hello world\n"})
	if err != nil || text(r) != "Successfully wrote 12 bytes to a/b/c.txt" {
		t.Fatalf("%q %v", text(r), err)
	}
	p := filepath.Join(ws.Dir(), "a", "b", "c.txt")
	if b, _ := os.ReadFile(p); string(b) != "hello world\n" {
		t.Fatalf("content %q", b)
	}
	if runtime.GOOS != "windows" {
		_ = os.Chmod(p, 0o751)
	}
	r, err = run(t, edit, map[string]any{"path": "a/b/c.txt", "old_string": "world", "new_string": "there"})
	if err != nil || text(r) != "Successfully replaced text in a/b/c.txt." {
		t.Fatalf("%q %v", text(r), err)
	}
	if b, _ := os.ReadFile(p); string(b) != "hello there\n" {
		t.Fatalf("after edit %q", b)
	}
	if st, _ := os.Stat(p); runtime.GOOS != "windows" && st.Mode().Perm() != 0o751 {
		t.Fatalf("mode not kept: %v", st.Mode())
	}
	d := r.Details.(map[string]any)
	if d["firstChangedLine"] != 1 || !strings.Contains(d["diff"].(string), "-1 hello world") || !strings.Contains(d["diff"].(string), "+1 hello there") {
		t.Fatalf("details %+v", d)
	}
	// CRLF files keep their line endings.
	_ = os.WriteFile(filepath.Join(ws.Dir(), "w.txt"), []byte("a\r\nb\r\nb\r\n"), 0o600)
	if _, err := run(t, edit, map[string]any{"path": "w.txt", "oldText": "b", "newText": "c"}); err == nil || !strings.Contains(err.Error(), "Found 2 occurrences") {
		t.Fatalf("ambiguous: %v", err)
	}
	if _, err := run(t, edit, map[string]any{"path": "w.txt", "oldText": "a\nb", "newText": "x\ny"}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(ws.Dir(), "w.txt")); string(b) != "x\r\ny\r\nb\r\n" {
		t.Fatalf("crlf %q", b)
	}
	if _, err := run(t, edit, map[string]any{"path": "w.txt", "oldText": "zzz", "newText": "c"}); err == nil || !strings.Contains(err.Error(), "Could not find the exact text") {
		t.Fatalf("not found: %v", err)
	}
	// No temp files left behind.
	ents, _ := os.ReadDir(ws.Dir())
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Fatalf("temp file %s", e.Name())
		}
	}
	ws.MaxWriteBytes = 4
	if _, err := run(t, write, map[string]any{"path": "big.txt", "content": "12345"}); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("write over limit: %v", err)
	}
}

// Nothing outside the workspace can be read or written: .., absolute paths elsewhere,
// ~, symlinks pointing out (to files and directories), and absurdly long paths.
func TestWorkspaceEscapes(t *testing.T) {
	ws, base := newWS(t)
	read := mustTool(ReadTool(ws))
	write := mustTool(WriteTool(ws))
	edit := mustTool(EditTool(ws))
	patch := mustTool(ApplyPatchTool(ws))
	secret := filepath.Join(base, "secret.txt")
	if err := os.WriteFile(secret, []byte("top secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	outsideDir := filepath.Join(base, "outside")
	_ = os.MkdirAll(outsideDir, 0o700)
	symlinks := runtime.GOOS != "windows"
	if symlinks {
		if err := os.Symlink(secret, filepath.Join(ws.Dir(), "link-out.txt")); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(outsideDir, filepath.Join(ws.Dir(), "dir-out")); err != nil {
			t.Fatal(err)
		}
		_ = os.WriteFile(filepath.Join(ws.Dir(), "inside.txt"), []byte("fine"), 0o600)
		if err := os.Symlink("inside.txt", filepath.Join(ws.Dir(), "link-in.txt")); err != nil {
			t.Fatal(err)
		}
	}
	escapes := []string{"../secret.txt", "a/../../secret.txt", secret, "~/secret.txt", "/etc/passwd"}
	if symlinks {
		escapes = append(escapes, "link-out.txt", "dir-out/new.txt")
	}
	for _, p := range escapes {
		if _, err := run(t, read, map[string]any{"path": p}); err == nil || strings.Contains(err.Error(), "top secret") {
			t.Errorf("read %q: %v", p, err)
		}
		if _, err := run(t, write, map[string]any{"path": p, "content": "pwned"}); err == nil {
			t.Errorf("write %q succeeded", p)
		} else if !errors.Is(err, ErrOutsideWorkspace) && !strings.Contains(err.Error(), "outside") {
			t.Errorf("write %q: error does not say why: %v", p, err)
		}
		if _, err := run(t, edit, map[string]any{"path": p, "oldText": "top", "newText": "pwned"}); err == nil {
			t.Errorf("edit %q succeeded", p)
		}
		if _, err := run(t, patch, map[string]any{"input": "*** Begin Patch\n*** Add File: " + p + "\n+pwned\n*** End Patch"}); err == nil {
			t.Errorf("apply_patch %q succeeded", p)
		}
	}
	if b, _ := os.ReadFile(secret); string(b) != "top secret" {
		t.Fatalf("secret changed: %q", b)
	}
	if ents, _ := os.ReadDir(outsideDir); len(ents) != 0 {
		t.Fatalf("file created outside: %v", ents)
	}
	if symlinks {
		if r, err := run(t, read, map[string]any{"path": "link-in.txt"}); err != nil || text(r) != "fine" {
			t.Fatalf("symlink inside the workspace: %q %v", text(r), err)
		}
	}
	// An absolute path inside the workspace is fine.
	if _, err := run(t, write, map[string]any{"path": filepath.Join(ws.Dir(), "abs.txt"), "content": "ok"}); err != nil {
		t.Fatal(err)
	}
	// Long paths fail cleanly.
	long := strings.Repeat("d/", 3000) + "f.txt"
	if _, err := run(t, write, map[string]any{"path": long, "content": "x"}); err == nil {
		t.Fatal("very long path written")
	}
	if _, err := run(t, write, map[string]any{"path": strings.Repeat("n", 300) + ".txt", "content": "x"}); err == nil {
		t.Fatal("over-long file name written")
	}
	if _, err := run(t, read, map[string]any{"path": "bad\x00name"}); err == nil {
		t.Fatal("NUL byte accepted")
	}
}

func TestApplyPatch(t *testing.T) {
	ws, _ := newWS(t)
	patch := mustTool(ApplyPatchTool(ws))
	_ = os.WriteFile(filepath.Join(ws.Dir(), "main.go"), []byte("package main\n\nfunc main() {\n\tprintln(\"hi\")\n}\n"), 0o600)
	_ = os.WriteFile(filepath.Join(ws.Dir(), "old.txt"), []byte("bye\n"), 0o600)
	in := strings.Join([]string{
		"*** Begin Patch",
		"*** Add File: docs/new.md",
		"+# New",
		"+text",
		"*** Update File: main.go",
		"*** Move to: cmd/main.go",
		"@@ func main() {",
		"-\tprintln(\"hi\")",
		"+\tprintln(\"hello\")",
		"*** Delete File: old.txt",
		"*** End Patch",
	}, "\n")
	r, err := run(t, patch, map[string]any{"input": in})
	if err != nil {
		t.Fatal(err)
	}
	if text(r) != "Success. Updated the following files:\nA docs/new.md\nM cmd/main.go\nD old.txt" {
		t.Fatalf("%q", text(r))
	}
	if b, _ := os.ReadFile(filepath.Join(ws.Dir(), "cmd", "main.go")); !strings.Contains(string(b), `println("hello")`) {
		t.Fatalf("moved file %q", b)
	}
	for _, gone := range []string{"main.go", "old.txt"} {
		if _, err := os.Stat(filepath.Join(ws.Dir(), gone)); !os.IsNotExist(err) {
			t.Fatalf("%s still there", gone)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(ws.Dir(), "docs", "new.md")); string(b) != "# New\ntext\n" {
		t.Fatalf("added %q", b)
	}
	// A patch whose second hunk fails changes nothing.
	bad := "*** Begin Patch\n*** Add File: x.txt\n+x\n*** Update File: cmd/main.go\n@@\n-no such line\n+y\n*** End Patch"
	if _, err := run(t, patch, map[string]any{"input": bad}); err == nil || !strings.Contains(err.Error(), "Failed to find expected lines") {
		t.Fatalf("bad patch: %v", err)
	}
	if _, err := os.Stat(filepath.Join(ws.Dir(), "x.txt")); !os.IsNotExist(err) {
		t.Fatal("failed patch left a file behind")
	}
	for _, in := range []string{"no markers", "*** Begin Patch\n*** Frobnicate: x\n*** End Patch", "*** Begin Patch\n*** Update File: cmd/main.go\n*** End Patch"} {
		if _, err := run(t, patch, map[string]any{"input": in}); err == nil {
			t.Errorf("accepted %q", in)
		}
	}
	// Heredoc-wrapped patches are accepted, and whitespace-insensitive matching applies.
	wrapped := "<<'EOF'\n*** Begin Patch\n*** Update File: cmd/main.go\n@@\n-   println(\"hello\")   \n+\tprintln(\"third\")\n*** End Patch\nEOF"
	if _, err := run(t, patch, map[string]any{"input": wrapped}); err != nil {
		t.Fatal(err)
	}
}

// TestReadBufferSize: small files get a buffer of their size (at least the image
// sniffing length), large ones maxReadBuffer; a file longer than its buffer (it grew
// after the stat) still reads whole.
func TestReadBufferSize(t *testing.T) {
	for _, tc := range []struct {
		size int64
		want int
	}{{0, sniffLen}, {2, sniffLen}, {sniffLen, sniffLen + 1}, {10_000, 10_001}, {maxReadBuffer - 1, maxReadBuffer}, {maxReadBuffer, maxReadBuffer}, {1 << 30, maxReadBuffer}} {
		if got := readBufferSize(tc.size); got != tc.want {
			t.Errorf("size %d: buffer %d, want %d", tc.size, got, tc.want)
		}
	}
	long := strings.Repeat("x", 3*sniffLen) + "\nend"
	res, err := readText(context.Background(), bufio.NewReaderSize(strings.NewReader(long), sniffLen), "f.txt", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Content[0].Text; got != long {
		t.Fatalf("read %q", got)
	}
}
