// Package bootstrap reads an agent workspace's persona files (AGENTS.md, SOUL.md,
// TOOLS.md, IDENTITY.md, USER.md, HEARTBEAT.md, BOOTSTRAP.md) and builds the system
// prompt around them, as the original injects them: fixed order, a per-file size cap
// with a head+tail cut and a marker, a marker for a missing file, sub-agent sessions
// seeing only AGENTS.md and TOOLS.md.
//
// Files are cached by path and re-read only when their size or modification time
// changes, so a prompt per run costs a few stats. The file system is injectable.
package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// The workspace files, in the order the prompt carries them.
const (
	AgentsFile    = "AGENTS.md"
	SoulFile      = "SOUL.md"
	ToolsFile     = "TOOLS.md"
	IdentityFile  = "IDENTITY.md"
	UserFile      = "USER.md"
	HeartbeatFile = "HEARTBEAT.md"
	// FirstRunFile holds the first-run ritual: written only into a brand-new
	// workspace (config.EnsureWorkspace), injected while it exists, deleted by the
	// agent when the ritual is done.
	FirstRunFile = "BOOTSTRAP.md"
)

// FileNames is the injection order.
var FileNames = []string{AgentsFile, SoulFile, ToolsFile, IdentityFile, UserFile, HeartbeatFile, FirstRunFile}

// subagentFiles are the only files a sub-agent session sees (as the original).
var subagentFiles = map[string]bool{AgentsFile: true, ToolsFile: true}

// Limits.
const (
	// DefaultMaxChars caps one file in the prompt (agents.defaults.bootstrapMaxChars;
	// the original's 20 000). Longer files keep their first 70% and last 20% of the cap
	// around a marker.
	DefaultMaxChars = 20_000
	// MaxFileBytes is the largest file read at all; a bigger one is replaced by a
	// marker telling the agent to read it with a tool (the original reads any size).
	MaxFileBytes = 4 << 20

	headRatio = 0.7
	tailRatio = 0.2
)

// FS is the file access the workspace needs (os by default; tests inject).
type FS interface {
	Stat(name string) (fs.FileInfo, error)
	ReadFile(name string) ([]byte, error)
}

type osFS struct{}

func (osFS) Stat(name string) (fs.FileInfo, error) { return os.Stat(name) }
func (osFS) ReadFile(name string) ([]byte, error)  { return os.ReadFile(name) }

// File is one workspace file as read.
type File struct {
	Name    string // AGENTS.md, …
	Path    string // absolute path in the workspace
	Missing bool   // no such file (or not a regular file)
	TooBig  bool   // over MaxFileBytes; Content is empty
	Size    int64
	Content string
}

type cached struct {
	size    int64
	modTime time.Time
	file    File
}

// Workspace is one agent workspace directory. It is safe for concurrent use.
type Workspace struct {
	dir string
	fs  FS
	// paths holds each name's path in dir, joined once: Files runs for every run.
	paths map[string]string

	mu    sync.Mutex
	cache map[string]cached
	reads int // files actually read (tests check the cache)
	// memo holds the last prompt built: [0] for sessions, [1] for sub-agent sessions.
	memo [2]*promptMemo
}

// New returns the workspace at dir (absolute, ~ already expanded); fsys nil = the OS.
func New(dir string, fsys FS) *Workspace {
	if fsys == nil {
		fsys = osFS{}
	}
	paths := make(map[string]string, len(FileNames))
	for _, n := range FileNames {
		paths[n] = filepath.Join(dir, n)
	}
	return &Workspace{dir: dir, fs: fsys, cache: map[string]cached{}, paths: paths}
}

// Dir is the workspace directory.
func (w *Workspace) Dir() string { return w.dir }

// Reads reports how many file reads the cache could not spare (for tests and logs).
func (w *Workspace) Reads() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.reads
}

// read returns one file, from the cache when its size and mtime are unchanged.
func (w *Workspace) read(name string) (File, error) {
	p, ok := w.paths[name]
	if !ok {
		p = filepath.Join(w.dir, name)
	}
	f := File{Name: name, Path: p}
	st, err := w.fs.Stat(p)
	if err != nil || !st.Mode().IsRegular() {
		if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrPermission) && !isNotDir(err) {
			return f, fmt.Errorf("workspace file %s: %w", p, err)
		}
		f.Missing = true
		w.mu.Lock()
		delete(w.cache, p)
		w.mu.Unlock()
		return f, nil
	}
	w.mu.Lock()
	c, ok := w.cache[p]
	w.mu.Unlock()
	if ok && c.size == st.Size() && c.modTime.Equal(st.ModTime()) {
		return c.file, nil
	}
	f.Size = st.Size()
	if st.Size() > MaxFileBytes {
		f.TooBig = true
	} else {
		b, err := w.fs.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			f.Missing = true
			return f, nil
		}
		if err != nil {
			return f, fmt.Errorf("workspace file %s: %w", p, err)
		}
		f.Content = strings.ToValidUTF8(string(b), "\uFFFD")
	}
	w.mu.Lock()
	w.reads++
	w.cache[p] = cached{size: st.Size(), modTime: st.ModTime(), file: f}
	w.mu.Unlock()
	return f, nil
}

func isNotDir(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe) && strings.Contains(pe.Err.Error(), "not a directory")
}

// Files reads the workspace files in injection order; a sub-agent session key
// (subagent:… or agent:<id>:subagent:…) gets only AGENTS.md and TOOLS.md.
func (w *Workspace) Files(ctx context.Context, sessionKey string) ([]File, error) {
	sub := IsSubagentSessionKey(sessionKey)
	out := make([]File, 0, len(FileNames))
	for _, name := range FileNames {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if sub && !subagentFiles[name] {
			continue
		}
		f, err := w.read(name)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// IsSubagentSessionKey reports a sub-agent session: "subagent:…" or
// "agent:<id>:subagent:…" (case-insensitive), as the original tells them.
func IsSubagentSessionKey(key string) bool {
	k := strings.ToLower(strings.TrimSpace(key))
	if strings.HasPrefix(k, "subagent:") {
		return true
	}
	parts := strings.Split(k, ":")
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return len(kept) >= 3 && kept[0] == "agent" && kept[2] == "subagent"
}

// ContextFile is one file as it goes into the prompt.
type ContextFile struct {
	Name      string
	Content   string
	Truncated bool // cut to the cap (or the total budget)
	Chars     int  // characters of the file after trimming trailing space, before any cut
}

// Context turns files into prompt sections: a missing file becomes a marker naming
// where it was expected (except BOOTSTRAP.md, whose absence means the first-run
// ritual is done), an empty one is left out, a long one is cut to maxChars
// (≤0: DefaultMaxChars). maxTotal (≤0: none, as the original) bounds the sum of
// all sections; files past it are cut to what remains, and left out once nothing does.
func Context(files []File, maxChars, maxTotal int) []ContextFile {
	if maxChars <= 0 {
		maxChars = DefaultMaxChars
	}
	var out []ContextFile
	used := 0
	for _, f := range files {
		var cf ContextFile
		switch {
		case f.Missing:
			if f.Name == FirstRunFile {
				continue
			}
			cf = ContextFile{Name: f.Name, Content: "[MISSING] Expected at: " + f.Path}
		case f.TooBig:
			cf = ContextFile{Name: f.Name, Truncated: true, Content: fmt.Sprintf("[TOO LARGE] %s is %d bytes (the gateway reads at most %d); read it with a tool.", f.Name, f.Size, MaxFileBytes)}
		default:
			body := strings.TrimRightFunc(f.Content, isSpace)
			if body == "" {
				continue
			}
			limit := maxChars
			if maxTotal > 0 && maxTotal-used < limit {
				limit = maxTotal - used
			}
			if limit <= 0 {
				continue
			}
			content, cut := Trim(body, f.Name, limit)
			cf = ContextFile{Name: f.Name, Content: content, Truncated: cut, Chars: utf8.RuneCountInString(body)}
		}
		used += utf8.RuneCountInString(cf.Content)
		out = append(out, cf)
	}
	return out
}

func isSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\v' || r == 0xA0 || r == 0xFEFF || r == 0x2028 || r == 0x2029
}

// Trim cuts body (characters, not bytes) to maxChars as the original does: the
// first 70% and the last 20% of the cap around a two-line marker naming the file
// and what was kept. A body within the cap is returned unchanged.
func Trim(body, name string, maxChars int) (string, bool) {
	n := utf8.RuneCountInString(body)
	if n <= maxChars {
		return body, false
	}
	head := int(float64(maxChars) * headRatio)
	tail := int(float64(maxChars) * tailRatio)
	r := []rune(body)
	var b strings.Builder
	b.WriteString(string(r[:head]))
	b.WriteString("\n\n")
	fmt.Fprintf(&b, "[...truncated, read %s for full content...]\n", name)
	fmt.Fprintf(&b, "…(truncated %s: kept %d+%d chars of %d)…\n", name, head, tail, n)
	b.WriteString("\n")
	b.WriteString(string(r[n-tail:]))
	return b.String(), true
}
