package execapprove

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// fakeBin creates executable files named names in a fresh directory and returns it.
func fakeBin(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestAnalyzeShell(t *testing.T) {
	l := &Lookup{PATH: "", Cwd: t.TempDir()}
	cases := []struct {
		cmd      string
		ok       bool
		segments int
		chains   int
		reason   string
	}{
		{"ls -la", true, 1, 0, ""},
		{"cat a.txt | grep x | wc -l", true, 3, 0, ""},
		{"git status && git diff; echo done", true, 3, 3, ""},
		{`echo "a | b" 'c && d'`, true, 1, 0, ""},
		{`echo "$(rm -rf /)"`, false, 0, 0, "command substitution"},
		{"echo `id`", false, 0, 0, "unsupported shell token: `"},
		{`echo "ok \$(x)"`, true, 1, 0, ""},
		{"echo $(id)", false, 0, 0, "$()"},
		{"ls > out.txt", false, 0, 0, ">"},
		{"sort < in", false, 0, 0, "<"},
		{"sleep 1 &", false, 0, 0, "&"},
		{"(cd /; ls)", false, 0, 0, ""},
		{"ls |", false, 0, 0, "empty pipeline segment"},
		{`ls | "grep"`, true, 2, 0, ""},
		{"a && && b", false, 0, 0, ""},
		{"echo 'unterminated", false, 0, 0, "unterminated"},
		{"   ", false, 0, 0, "empty command"},
		{"echo a\nrm -rf /", false, 0, 0, ""},
	}
	for _, c := range cases {
		a := l.AnalyzeShell(c.cmd)
		if a.OK != c.ok || len(a.Segments) != c.segments || len(a.Chains) != c.chains || !strings.Contains(a.Reason, c.reason) {
			t.Errorf("%q: ok=%v segs=%d chains=%d reason=%q", c.cmd, a.OK, len(a.Segments), len(a.Chains), a.Reason)
		}
	}
	a := l.AnalyzeShell(`git commit -m "a b" --author='x y'`)
	if got := strings.Join(a.Segments[0].Argv, "|"); got != "git|commit|-m|a b|--author=x y" {
		t.Fatalf("argv %q", got)
	}
}

func TestAllowlistMatching(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("unix executables")
	}
	bin := fakeBin(t, "git", "rg", "ls")
	home := t.TempDir()
	homeBin := filepath.Join(home, "bin")
	if err := os.MkdirAll(homeBin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(homeBin, "tool"), []byte("x"), 0o755); err != nil {
		t.Fatal(err)
	}
	l := &Lookup{PATH: bin + string(os.PathListSeparator) + homeBin, Cwd: t.TempDir(), Home: home}
	res := func(cmd string) *Resolution { return l.AnalyzeShell(cmd).Segments[0].Resolution }
	cases := []struct {
		pattern string
		cmd     string
		want    bool
	}{
		{filepath.Join(bin, "git"), "git status", true},
		{strings.ToUpper(filepath.Join(bin, "git")), "git status", true}, // case-insensitive
		{filepath.Join(bin, "*"), "rg foo", true},
		{filepath.Dir(bin) + "/*", "rg foo", false}, // * stays within one segment
		{filepath.Dir(bin) + "/**", "rg foo", true},
		{filepath.Join(bin, "g?t"), "git", true},
		{"git", "git status", false}, // bare names never match
		{"~/bin/tool", "tool", true},
		{filepath.Join(bin, "git"), "nonexistent", false},
	}
	for _, c := range cases {
		got := l.MatchAllowlist([]AllowlistEntry{{Pattern: c.pattern}}, res(c.cmd)) != nil
		if got != c.want {
			t.Errorf("pattern %q vs %q = %v", c.pattern, c.cmd, got)
		}
	}
	// Every segment of every chain part must be allowed.
	list := []AllowlistEntry{{Pattern: filepath.Join(bin, "git")}, {Pattern: filepath.Join(bin, "rg")}}
	safe := SafeBinSet([]string{})
	if ev := l.Evaluate(l.AnalyzeShell("git log | rg fix && git status"), list, safe); !ev.Satisfied || len(ev.Matches) != 3 {
		t.Fatalf("all allowed: %+v", ev)
	}
	if ev := l.Evaluate(l.AnalyzeShell("git log | rg fix && ls"), list, safe); ev.Satisfied {
		t.Fatal("ls is not allowlisted")
	}
}

func TestSafeBins(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("unix executables")
	}
	bin := fakeBin(t, "head", "cat")
	cwd := t.TempDir()
	if err := os.WriteFile(filepath.Join(cwd, "secret.txt"), []byte("s"), 0o600); err != nil {
		t.Fatal(err)
	}
	l := &Lookup{PATH: bin, Cwd: cwd}
	safe := SafeBinSet(nil)
	cases := map[string]bool{
		"head -n 5":           true,
		"head -n 5 -":         true,
		"head secret.txt":     false, // an existing file
		"head /etc/passwd":    false, // path-like
		"head --file=./x":     false,
		"cat":                 false, // not a safe bin
		"head -n 5 | head -1": true,
	}
	for cmd, want := range cases {
		if got := l.Evaluate(l.AnalyzeShell(cmd), nil, safe).Satisfied; got != want {
			t.Errorf("%q safe=%v want %v", cmd, got, want)
		}
	}
	if l.Evaluate(l.AnalyzeShell("head -n 5"), nil, SafeBinSet([]string{})).Satisfied {
		t.Fatal("empty safe-bin list still allowed head")
	}
}
