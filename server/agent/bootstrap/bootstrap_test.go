package bootstrap

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestTrim(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		max       int
		want      string
		truncated bool
	}{
		{"within cap", "hello", 5, "hello", false},
		{"empty", "", 10, "", false},
		{"cut 70/20", strings.Repeat("a", 70) + strings.Repeat("b", 30) + strings.Repeat("c", 20), 100,
			strings.Repeat("a", 70) + "\n\n[...truncated, read X.md for full content...]\n…(truncated X.md: kept 70+20 chars of 120)…\n\n" + strings.Repeat("c", 20), true},
		{"counts runes not bytes", strings.Repeat("é", 10), 10, strings.Repeat("é", 10), false},
		{"rune cut", strings.Repeat("é", 11), 10, "ééééééé\n\n[...truncated, read X.md for full content...]\n…(truncated X.md: kept 7+2 chars of 11)…\n\néé", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, cut := Trim(tc.body, "X.md", tc.max)
			if got != tc.want || cut != tc.truncated {
				t.Fatalf("Trim = %q, %v; want %q, %v", got, cut, tc.want, tc.truncated)
			}
		})
	}
}

func TestContext(t *testing.T) {
	f := func(name, content string) File { return File{Name: name, Path: "/w/" + name, Content: content} }
	missing := func(name string) File { return File{Name: name, Path: "/w/" + name, Missing: true} }
	tests := []struct {
		name     string
		files    []File
		max, tot int
		want     []ContextFile
	}{
		{"order kept, trailing space trimmed", []File{f(AgentsFile, "a\n\n"), f(SoulFile, "s")}, 0, 0,
			[]ContextFile{{Name: AgentsFile, Content: "a", Chars: 1}, {Name: SoulFile, Content: "s", Chars: 1}}},
		{"missing marker", []File{missing(UserFile)}, 0, 0,
			[]ContextFile{{Name: UserFile, Content: "[MISSING] Expected at: /w/USER.md"}}},
		{"no marker for a finished first run", []File{missing(FirstRunFile)}, 0, 0, nil},
		{"first run file injected while present", []File{f(FirstRunFile, "ritual")}, 0, 0,
			[]ContextFile{{Name: FirstRunFile, Content: "ritual", Chars: 6}}},
		{"blank file left out", []File{f(ToolsFile, " \n\t\n")}, 0, 0, nil},
		{"too big", []File{{Name: ToolsFile, Path: "/w/TOOLS.md", TooBig: true, Size: 5 << 20}}, 0, 0,
			[]ContextFile{{Name: ToolsFile, Truncated: true, Content: "[TOO LARGE] TOOLS.md is 5242880 bytes (the gateway reads at most 4194304); read it with a tool."}}},
		{"per-file cap", []File{f(AgentsFile, strings.Repeat("x", 30))}, 10, 0,
			[]ContextFile{{Name: AgentsFile, Truncated: true, Chars: 30, Content: "xxxxxxx\n\n[...truncated, read AGENTS.md for full content...]\n…(truncated AGENTS.md: kept 7+2 chars of 30)…\n\nxx"}}},
		{"total cap cuts the later file and drops the rest", []File{f(AgentsFile, strings.Repeat("a", 8)), f(SoulFile, strings.Repeat("s", 30)), f(UserFile, "u")}, 100, 18,
			[]ContextFile{{Name: AgentsFile, Content: "aaaaaaaa", Chars: 8},
				{Name: SoulFile, Truncated: true, Chars: 30, Content: "sssssss\n\n[...truncated, read SOUL.md for full content...]\n…(truncated SOUL.md: kept 7+2 chars of 30)…\n\nss"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Context(tc.files, tc.max, tc.tot)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d files %+v, want %d", len(got), got, len(tc.want))
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("file %d:\n got %+v\nwant %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestIsSubagentSessionKey(t *testing.T) {
	for key, want := range map[string]bool{
		"":                         false,
		"main":                     false,
		"agent:main:main":          false,
		"subagent:x":               true,
		"SubAgent:x":               true,
		"agent:main:subagent:abc":  true,
		"agent:main:telegram:dm:1": false,
		"agent:main:subagentx:abc": false,
	} {
		if got := IsSubagentSessionKey(key); got != want {
			t.Errorf("IsSubagentSessionKey(%q) = %v, want %v", key, got, want)
		}
	}
}

func TestParseIdentity(t *testing.T) {
	tests := []struct {
		name, in string
		want     Identity
	}{
		{"plain", "Name: Clawd\nEmoji: 🦞\n", Identity{Name: "Clawd", Emoji: "🦞"}},
		{"bullets and bold", "# IDENTITY\n- **Name:** Clawd\n- **Creature:** lobster\n- *Vibe*: calm\r\n", Identity{Name: "Clawd", Creature: "lobster", Vibe: "calm"}},
		{"placeholders skipped", "- Name: *(pick something you like)*\n- Vibe: how do you come across? sharp? warm? chaotic? calm?\n- Avatar: (workspace-relative path, http(s) URL, or data URI)", Identity{}},
		{"value with colon", "Avatar: https://x.test/a.png", Identity{Avatar: "https://x.test/a.png"}},
		{"unknown labels ignored, last wins", "Color: red\nName: A\nName: B", Identity{Name: "B"}},
		{"empty value", "Name:   \nTheme: dark", Identity{Theme: "dark"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ParseIdentity(tc.in); got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func write(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSystemPromptOrder checks the sections and files come in the original's order
// from a real directory, and that a sub-agent sees AGENTS.md and TOOLS.md only.
func TestSystemPromptOrder(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{HeartbeatFile, UserFile, IdentityFile, ToolsFile, SoulFile, AgentsFile, FirstRunFile} {
		write(t, dir, n, "body of "+n+"\n")
	}
	w := New(dir, nil)
	got, err := w.SystemPrompt(context.Background(), Options{Skills: "<available_skills>\n</available_skills>", Extra: "Be brief."})
	if err != nil {
		t.Fatal(err)
	}
	order := []string{Intro, "## Skills", "<available_skills>", "## Workspace", dir, "## Instructions", "Be brief.", "# Project Context", "SOUL.md sets your persona"}
	for _, n := range FileNames {
		order = append(order, "## "+n+"\n\nbody of "+n)
	}
	pos := 0
	for _, s := range order {
		i := strings.Index(got[pos:], s)
		if i < 0 {
			t.Fatalf("%q missing or out of order in:\n%s", s, got)
		}
		pos += i + len(s)
	}

	sub, err := w.SystemPrompt(context.Background(), Options{SessionKey: "agent:main:subagent:1", Skills: "<available_skills/>"})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range FileNames {
		want := n == AgentsFile || n == ToolsFile
		if strings.Contains(sub, "## "+n) != want {
			t.Errorf("sub-agent prompt has %s = %v, want %v", n, !want, want)
		}
	}
	if strings.Contains(sub, "## Skills") || strings.Contains(sub, "SOUL.md sets") {
		t.Errorf("sub-agent prompt has the skills section or the soul line:\n%s", sub)
	}
}

func TestSystemPromptWarnsOnCut(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, AgentsFile, strings.Repeat("z", 50))
	var warned []string
	_, err := New(dir, nil).SystemPrompt(context.Background(), Options{MaxChars: 20, Warn: func(m string) { warned = append(warned, m) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(warned) != 1 || !strings.Contains(warned[0], "AGENTS.md") || !strings.Contains(warned[0], "50") {
		t.Fatalf("warnings %q", warned)
	}
}

// fakeFS serves files from a map with controlled mtimes and counts reads.
type fakeFS struct {
	files map[string]fakeFile
	reads int
}

type fakeFile struct {
	body  string
	mtime time.Time
}

type fakeInfo struct {
	name  string
	size  int64
	mtime time.Time
}

func (i fakeInfo) Name() string       { return i.name }
func (i fakeInfo) Size() int64        { return i.size }
func (i fakeInfo) Mode() fs.FileMode  { return 0o644 }
func (i fakeInfo) ModTime() time.Time { return i.mtime }
func (i fakeInfo) IsDir() bool        { return false }
func (i fakeInfo) Sys() any           { return nil }

func (f *fakeFS) Stat(name string) (fs.FileInfo, error) {
	ff, ok := f.files[name]
	if !ok {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	return fakeInfo{name: filepath.Base(name), size: int64(len(ff.body)), mtime: ff.mtime}, nil
}

func (f *fakeFS) ReadFile(name string) ([]byte, error) {
	f.reads++
	ff, ok := f.files[name]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return []byte(ff.body), nil
}

func TestCacheRereadsOnlyChangedFiles(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	fsys := &fakeFS{files: map[string]fakeFile{
		"/w/AGENTS.md": {"agents v1", t0},
		"/w/SOUL.md":   {"soul v1", t0},
	}}
	w := New("/w", fsys)
	ctx := context.Background()
	p1, err := w.SystemPrompt(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if fsys.reads != 2 || !strings.Contains(p1, "soul v1") {
		t.Fatalf("first prompt: %d reads\n%s", fsys.reads, p1)
	}
	if _, err := w.SystemPrompt(ctx, Options{}); err != nil {
		t.Fatal(err)
	}
	if fsys.reads != 2 {
		t.Fatalf("unchanged files were read again: %d reads", fsys.reads)
	}
	// Same size, new mtime: re-read.
	fsys.files["/w/SOUL.md"] = fakeFile{"soul v2", t0.Add(time.Second)}
	p3, _ := w.SystemPrompt(ctx, Options{})
	if fsys.reads != 3 || !strings.Contains(p3, "soul v2") {
		t.Fatalf("changed mtime: %d reads\n%s", fsys.reads, p3)
	}
	// Same mtime, new size: re-read.
	fsys.files["/w/AGENTS.md"] = fakeFile{"agents v22", t0}
	p4, _ := w.SystemPrompt(ctx, Options{})
	if fsys.reads != 4 || !strings.Contains(p4, "agents v22") {
		t.Fatalf("changed size: %d reads\n%s", fsys.reads, p4)
	}
	// Deleted: a marker, and a re-created file is read afresh.
	delete(fsys.files, "/w/SOUL.md")
	p5, _ := w.SystemPrompt(ctx, Options{})
	if !strings.Contains(p5, "[MISSING] Expected at: /w/SOUL.md") {
		t.Fatalf("deleted file:\n%s", p5)
	}
	fsys.files["/w/SOUL.md"] = fakeFile{"soul v2", t0.Add(time.Second)}
	p6, _ := w.SystemPrompt(ctx, Options{})
	if fsys.reads != 5 || !strings.Contains(p6, "soul v2") {
		t.Fatalf("re-created file: %d reads\n%s", fsys.reads, p6)
	}
	if w.Reads() != 5 {
		t.Fatalf("Reads() = %d", w.Reads())
	}
}

func TestWorkspaceIdentity(t *testing.T) {
	dir := t.TempDir()
	w := New(dir, nil)
	if id := w.Identity(context.Background()); !id.Empty() {
		t.Fatalf("missing file: %+v", id)
	}
	write(t, dir, IdentityFile, "- Name: Clawd\n- Emoji: 🦞\n")
	if id := w.Identity(context.Background()); id.Name != "Clawd" || id.Emoji != "🦞" {
		t.Fatalf("identity %+v", id)
	}
}

// TestSystemPromptMemoInvalidates: the built prompt is reused while nothing it depends
// on changed, and rebuilt when a workspace file is edited, removed or created, or when
// an option (extra instructions, skills, caps) differs; sub-agent and other sessions
// keep separate prompts.
func TestSystemPromptMemoInvalidates(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, AgentsFile, "agents v1\n")
	write(t, dir, SoulFile, "soul v1\n")
	w := New(dir, nil)
	ctx := context.Background()
	get := func(o Options) string {
		t.Helper()
		p, err := w.SystemPrompt(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p1 := get(Options{Extra: "x"})
	if p2 := get(Options{Extra: "x"}); p2 != p1 || w.memo[0] == nil {
		t.Fatalf("unchanged inputs: prompt differs or was not kept")
	}
	m := w.memo[0]
	if get(Options{Extra: "x"}); w.memo[0] != m {
		t.Fatal("unchanged inputs: the prompt was built again")
	}
	// An edit (new size) shows in the next prompt.
	write(t, dir, SoulFile, "soul v2, longer\n")
	if p := get(Options{Extra: "x"}); !strings.Contains(p, "soul v2, longer") || strings.Contains(p, "soul v1") {
		t.Fatalf("edited file not in the prompt:\n%s", p)
	}
	// Same size, later mtime.
	write(t, dir, AgentsFile, "agents v2\n")
	later := time.Now().Add(2 * time.Second)
	if err := os.Chtimes(filepath.Join(dir, AgentsFile), later, later); err != nil {
		t.Fatal(err)
	}
	if p := get(Options{Extra: "x"}); !strings.Contains(p, "agents v2") {
		t.Fatalf("same-size edit not in the prompt:\n%s", p)
	}
	// A new file, a removed file.
	write(t, dir, UserFile, "user notes\n")
	if p := get(Options{Extra: "x"}); !strings.Contains(p, "user notes") {
		t.Fatalf("created file not in the prompt:\n%s", p)
	}
	if err := os.Remove(filepath.Join(dir, UserFile)); err != nil {
		t.Fatal(err)
	}
	if p := get(Options{Extra: "x"}); strings.Contains(p, "user notes") {
		t.Fatalf("removed file still in the prompt:\n%s", p)
	}
	// Options are part of the key.
	for _, o := range []Options{{Extra: "y"}, {Extra: "x", Skills: "<available_skills/>"}, {Extra: "x", MaxChars: 5}, {Extra: "x", MaxTotalChars: 7}} {
		base := get(Options{Extra: "x"})
		if p := get(o); p == base {
			t.Errorf("options %+v: same prompt as without them", o)
		}
	}
	// Sub-agent sessions do not share the other sessions' prompt.
	main := get(Options{Extra: "x"})
	sub := get(Options{Extra: "x", SessionKey: "agent:main:subagent:1"})
	if sub == main || strings.Contains(sub, "soul v2") {
		t.Fatalf("sub-agent prompt shares the main one:\n%s", sub)
	}
	if again := get(Options{Extra: "x"}); again != main {
		t.Fatal("main prompt changed after a sub-agent prompt")
	}
}

// TestPromptReplySections: the main agent's prompt explains reply tags and silent
// replies (the message-tool rule included); a sub-agent's does not, as the
// original's minimal prompt.
func TestPromptReplySections(t *testing.T) {
	w := New(t.TempDir(), nil)
	main, err := w.SystemPrompt(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Reply Tags", "[[reply_to_current]]", "[[reply_to:<id>]]", "## Silent Replies", "exactly: " + SilentReplyToken, "message tool (action send), reply with only " + SilentReplyToken} {
		if !strings.Contains(main, want) {
			t.Errorf("main prompt lacks %q:\n%s", want, main)
		}
	}
	sub, err := w.SystemPrompt(context.Background(), Options{SessionKey: "agent:main:subagent:1"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sub, "## Reply Tags") || strings.Contains(sub, "## Silent Replies") {
		t.Errorf("sub-agent prompt carries the reply sections:\n%s", sub)
	}
}
