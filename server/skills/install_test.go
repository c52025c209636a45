package skills

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/config"
)

// fakeBin writes an executable shell script name into dir.
func fakeBin(t *testing.T, dir, name, script string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}

// sh returns a tool's absolute path for the fake scripts (their PATH holds only
// the fake bin folder, so the tools under test are exactly the fakes).
func sh(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not found", name)
	}
	return p
}

func installer(t *testing.T) (*Installer, string, string) {
	bin, log := t.TempDir(), filepath.Join(t.TempDir(), "calls")
	return &Installer{Env: []string{"PATH=" + bin, "CALLS=" + log}, ToolsDir: filepath.Join(t.TempDir(), "tools")}, bin, log
}

func skillWith(specs ...InstallSpec) []*Skill {
	return []*Skill{{Name: "s", Meta: &Metadata{Install: specs}}}
}

func TestInstallRunsTheToolOnPath(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	in, bin, log := installer(t)
	fakeBin(t, bin, "brew", `echo "brew $*" >> "$CALLS"; echo "==> Pouring $2"`)
	r := in.Install(context.Background(), skillWith(InstallSpec{Kind: KindBrew, Formula: "gh"}), Config{}, "s", "brew-0", 0)
	if !r.OK || r.Message != "Installed" || r.Code == nil || *r.Code != 0 || r.Stdout != "==> Pouring gh" {
		t.Fatalf("result %+v", r)
	}
	if b, _ := os.ReadFile(log); string(b) != "brew install gh\n" {
		t.Fatalf("calls %q", b)
	}

	// node with the configured manager
	fakeBin(t, bin, "pnpm", `echo "pnpm $*" >> "$CALLS"`)
	r = in.Install(context.Background(), skillWith(InstallSpec{Kind: KindNode, Package: "@x/y"}), Config{NodeManager: "pnpm"}, "s", "node-0", 0)
	if !r.OK {
		t.Fatalf("node %+v", r)
	}
	if b, _ := os.ReadFile(log); !strings.HasSuffix(string(b), "pnpm add -g @x/y\n") {
		t.Fatalf("calls %q", b)
	}

	// go missing, brew present: brew installs go first; GOBIN from brew --prefix
	fakeBin(t, bin, "brew", `echo "brew $*" >> "$CALLS"; if [ "$1" = "--prefix" ]; then echo /opt/brew; fi; if [ "$2" = go ]; then printf '#!/bin/sh\necho "go $* GOBIN=$GOBIN" >> "$CALLS"\n' > "`+bin+`/go"; `+sh(t, "chmod")+` +x "`+bin+`/go"; fi`)
	_ = os.Remove(log)
	r = in.Install(context.Background(), skillWith(InstallSpec{Kind: KindGo, Module: "example.com/t@latest"}), Config{}, "s", "go-0", 0)
	if !r.OK {
		t.Fatalf("go %+v", r)
	}
	if b, _ := os.ReadFile(log); string(b) != "brew install go\nbrew --prefix\ngo install example.com/t@latest GOBIN=/opt/brew/bin\n" {
		t.Fatalf("calls %q", b)
	}
}

func TestInstallFailures(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	in, bin, _ := installer(t)
	ctx := context.Background()
	cases := []struct {
		name    string
		list    []*Skill
		cfg     Config
		id      string
		setup   func()
		message string
	}{
		{"unknown skill", skillWith(), Config{}, "x", nil, "Skill not found: nope"},
		{"unknown installer", skillWith(InstallSpec{Kind: KindBrew, Formula: "f"}), Config{}, "brew-9", nil, "Installer not found: brew-9"},
		{"no brew", skillWith(InstallSpec{Kind: KindBrew, Formula: "f"}), Config{}, "brew-0", nil, "brew not installed"},
		{"no formula", skillWith(InstallSpec{Kind: KindBrew}), Config{}, "brew-0", nil, "missing brew formula"},
		{"no uv and no brew", skillWith(InstallSpec{Kind: KindUV, Package: "p"}), Config{}, "uv-0", nil, "uv not installed (install via brew)"},
		{"no npm", skillWith(InstallSpec{Kind: KindNode, Package: "p"}), Config{NodeManager: "npm"}, "node-0", nil, "npm not installed (set skills.install.nodeManager to a node package manager on PATH)"},
		{"exit code and summary", skillWith(InstallSpec{Kind: KindNode, Package: "p"}), Config{NodeManager: "npm"}, "node-0",
			func() {
				fakeBin(t, bin, "npm", `echo "fetching"; echo "npm ERR! 404 Not Found: p" >&2; echo "done" >&2; exit 3`)
			}, "Install failed (exit 3): npm ERR! 404 Not Found: p"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup()
			}
			name := "s"
			if tc.name == "unknown skill" {
				name = "nope"
			}
			r := in.Install(ctx, tc.list, tc.cfg, name, tc.id, 0)
			if r.OK || r.Message != tc.message {
				t.Fatalf("result %+v, want message %q", r, tc.message)
			}
		})
	}
}

func TestInstallTimeout(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	in, bin, _ := installer(t)
	fakeBin(t, bin, "brew", `exec `+sh(t, "sleep")+` 30`)
	start := time.Now()
	r := in.Install(context.Background(), skillWith(InstallSpec{Kind: KindBrew, Formula: "f"}), Config{}, "s", "brew-0", time.Second)
	if r.OK || r.Code != nil || !strings.Contains(r.Message, "timed out") {
		t.Fatalf("result %+v", r)
	}
	if el := time.Since(start); el > 20*time.Second {
		t.Fatalf("took %v", el)
	}
	if ClampTimeout(0) != DefaultInstallTimeout || ClampTimeout(time.Millisecond) != MinInstallTimeout || ClampTimeout(time.Hour) != MaxInstallTimeout {
		t.Fatal("ClampTimeout bounds")
	}
}

func tgz(t *testing.T, files map[string]string) []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		_, _ = tw.Write([]byte(body))
	}
	_ = tw.Close()
	_ = gz.Close()
	return buf.Bytes()
}

func TestInstallDownload(t *testing.T) {
	archive := tgz(t, map[string]string{"tool-1.0/bin/tool": "#!/bin/sh\n"})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/tool.tgz":
			_, _ = w.Write(archive)
		case "/plain.bin":
			_, _ = w.Write([]byte("0123456789"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	in := &Installer{ToolsDir: filepath.Join(t.TempDir(), "tools")}
	two := 2
	list := []*Skill{{Name: "s", Meta: &Metadata{SkillKey: "key", Install: []InstallSpec{
		{Kind: KindDownload, URL: srv.URL + "/tool.tgz", StripComponents: &two},
		{Kind: KindDownload, URL: srv.URL + "/plain.bin"},
		{Kind: KindDownload, URL: srv.URL + "/missing.zip"},
	}}}}
	ctx := context.Background()
	if _, err := os.Stat("/bin/sh"); err == nil && in.hasBin("tar") {
		r := in.Install(ctx, list, Config{}, "s", "download-0", 0)
		if !r.OK || r.Message != "Downloaded and extracted to "+filepath.Join(in.ToolsDir, "key") {
			t.Fatalf("tgz %+v", r)
		}
		if _, err := os.Stat(filepath.Join(in.ToolsDir, "key", "tool")); err != nil {
			t.Fatalf("extracted tool: %v", err)
		}
	}
	r := in.Install(ctx, list, Config{}, "s", "download-1", 0)
	if !r.OK || r.Stdout != "downloaded=10" {
		t.Fatalf("plain %+v", r)
	}
	r = in.Install(ctx, list, Config{}, "s", "download-2", 0)
	if r.OK || r.Message != "Download failed (404 Not Found)" {
		t.Fatalf("404 %+v", r)
	}
	in.MaxDownload = 5
	r = in.Install(ctx, list, Config{}, "s", "download-1", 0)
	if r.OK || !strings.Contains(r.Message, "larger than 5 bytes") {
		t.Fatalf("cap %+v", r)
	}
}

func TestUpdateEntry(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "clawdbot.json")
	orig := "// my config\n{gateway: {mode: \"local\"}, skills: {entries: {w: {apiKey: \"${W_KEY}\", env: {A: \"1\", B: \"2\"}}}}}\n"
	if err := os.WriteFile(path, []byte(orig), 0o600); err != nil {
		t.Fatal(err)
	}
	env := config.MapEnv(map[string]string{"W_KEY": "secret"})
	f := false
	blank := "  "
	got, err := UpdateEntry(path, env, "w", Update{Enabled: &f, Env: map[string]string{"A": "", "C": " 3 ", " ": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if got["enabled"] != false || got["apiKey"] != "${W_KEY}" {
		t.Fatalf("entry %v", got)
	}
	if e := got["env"].(map[string]any); len(e) != 2 || e["B"] != "2" || e["C"] != "3" {
		t.Fatalf("env %v", got["env"])
	}
	raw, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(raw), "// my config\n") || !strings.Contains(string(raw), `"mode": "local"`) {
		t.Fatalf("file:\n%s", raw)
	}
	loaded, err := config.LoadWith(path, env)
	if err != nil {
		t.Fatal(err)
	}
	c := ConfigFrom(loaded.Parsed)
	if e := c.Entries["w"]; e.APIKey != "secret" || *e.Enabled {
		t.Fatalf("reloaded %+v", e)
	}
	if got, err := UpdateEntry(path, env, "w", Update{APIKey: &blank}); err != nil || got["apiKey"] != nil {
		t.Fatalf("remove apiKey: %v %v", got, err)
	}
	// A new file is created.
	fresh := filepath.Join(dir, "sub", "new.json")
	if _, err := UpdateEntry(fresh, env, "n", Update{Enabled: &f}); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(fresh); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("new file %v %v", st, err)
	}
	// An unreadable file is never rewritten.
	bad := filepath.Join(dir, "bad.json")
	_ = os.WriteFile(bad, []byte("{nope"), 0o600)
	if _, err := UpdateEntry(bad, env, "w", Update{Enabled: &f}); !errors.Is(err, ErrConfigUnreadable) {
		t.Fatalf("bad file: %v", err)
	}
	if b, _ := os.ReadFile(bad); string(b) != "{nope" {
		t.Fatal("bad file rewritten")
	}
}
