package execapprove

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func newTestStore(t *testing.T) *Store {
	t.Helper()
	dir := t.TempDir()
	return NewStore(filepath.Join(dir, ".clawdbot", "exec-approvals.json"), filepath.Join(dir, ".clawdbot", "exec-approvals.sock"))
}

func TestStoreEnsureWritesPrivateFileOnce(t *testing.T) {
	s := newTestStore(t)
	snap, err := s.Ensure()
	if err != nil {
		t.Fatal(err)
	}
	if !snap.Exists || snap.File.Socket == nil || snap.File.Socket.Token == "" || !strings.HasSuffix(snap.File.Socket.Path, "exec-approvals.sock") {
		t.Fatalf("snapshot %+v", snap)
	}
	if runtime.GOOS != "windows" {
		st, err := os.Stat(s.Path())
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Fatalf("mode %v", st.Mode().Perm())
		}
	}
	again, err := s.Ensure()
	if err != nil || again.Hash != snap.Hash {
		t.Fatalf("second Ensure rewrote the file: %v %s vs %s", err, again.Hash, snap.Hash)
	}
	var raw map[string]any
	if err := json.Unmarshal(snap.Raw, &raw); err != nil || raw["version"] != float64(1) {
		t.Fatalf("raw %s", snap.Raw)
	}
	if !strings.HasSuffix(string(snap.Raw), "}\n") || !strings.Contains(string(snap.Raw), "\n  \"socket\"") {
		t.Fatalf("not the original's 2-space JSON with trailing newline: %q", snap.Raw)
	}
}

func TestNormalizeMergesLegacyDefaultAgentAndAssignsIDs(t *testing.T) {
	f := Normalize(File{Version: 1, Agents: map[string]Agent{
		"default": {Defaults: Defaults{Security: SecurityFull, Ask: AskAlways}, Allowlist: []AllowlistEntry{{Pattern: "/bin/ls"}, {Pattern: "/usr/bin/git"}}},
		"main":    {Defaults: Defaults{Ask: AskOff}, Allowlist: []AllowlistEntry{{Pattern: "/BIN/LS"}}},
	}})
	if _, ok := f.Agents["default"]; ok {
		t.Fatal("legacy agent kept")
	}
	m := f.Agents["main"]
	if m.Security != SecurityFull || m.Ask != AskOff || len(m.Allowlist) != 2 || m.Allowlist[1].Pattern != "/usr/bin/git" {
		t.Fatalf("merged %+v", m)
	}
	for _, e := range m.Allowlist {
		if len(e.ID) != 36 {
			t.Fatalf("entry without uuid: %+v", e)
		}
	}
}

// A file that cannot be parsed is reported and never overwritten by the gate's updates.
func TestCorruptFileIsNotOverwritten(t *testing.T) {
	s := newTestStore(t)
	if err := os.MkdirAll(filepath.Dir(s.Path()), 0o700); err != nil {
		t.Fatal(err)
	}
	bad := []byte(`{"version":1,"agents":{"main":{"allowlist":[{"pattern":"/bin/ls"}]}}`) // truncated
	if err := os.WriteFile(s.Path(), bad, 0o600); err != nil {
		t.Fatal(err)
	}
	var ce *CorruptError
	if _, err := s.Snapshot(); !errors.As(err, &ce) {
		t.Fatalf("snapshot: %v", err)
	}
	if err := s.Update(func(f *File) { f.Agents = nil }); !errors.As(err, &ce) {
		t.Fatalf("update: %v", err)
	}
	if _, err := s.Ensure(); !errors.As(err, &ce) {
		t.Fatalf("ensure: %v", err)
	}
	if got, _ := os.ReadFile(s.Path()); string(got) != string(bad) {
		t.Fatalf("file changed: %s", got)
	}
	// It can be replaced by someone who saw it (its hash).
	if _, err := s.SetIfUnchanged(File{Version: 1}, "wrong"); !errors.Is(err, ErrChanged) {
		t.Fatalf("replace with wrong hash: %v", err)
	}
	if _, err := s.SetIfUnchanged(File{Version: 1}, hashRaw(bad)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Snapshot(); err != nil {
		t.Fatal(err)
	}
}

func TestSetIfUnchanged(t *testing.T) {
	s := newTestStore(t)
	// No file yet: no hash needed.
	first, err := s.SetIfUnchanged(File{Version: 1, Defaults: &Defaults{Security: SecurityAllowlist}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if first.File.Socket == nil || first.File.Socket.Path == "" {
		t.Fatalf("socket path not kept: %+v", first.File.Socket)
	}
	ens, _ := s.Ensure() // adds the token
	token := ens.File.Socket.Token
	if _, err := s.SetIfUnchanged(File{Version: 1}, ""); !errors.Is(err, ErrBaseHashRequired) {
		t.Fatalf("missing hash: %v", err)
	}
	if _, err := s.SetIfUnchanged(File{Version: 1}, first.Hash); !errors.Is(err, ErrChanged) {
		t.Fatalf("stale hash: %v", err)
	}
	// A client edits the redacted view (no token) and saves with the current hash: the
	// token survives.
	view := Redacted(ens.File)
	if view.Socket.Token != "" {
		t.Fatal("token not redacted")
	}
	view.Agents = map[string]Agent{"main": {Allowlist: []AllowlistEntry{{Pattern: "/usr/bin/git"}}}}
	next, err := s.SetIfUnchanged(view, ens.Hash)
	if err != nil {
		t.Fatal(err)
	}
	if next.File.Socket.Token != token || next.File.Agents["main"].Allowlist[0].Pattern != "/usr/bin/git" {
		t.Fatalf("after set: %+v", next.File)
	}
}

func TestResolvePrecedence(t *testing.T) {
	f := File{Version: 1,
		Defaults: &Defaults{Security: SecurityAllowlist, AskFallback: SecurityAllowlist},
		Agents: map[string]Agent{
			"*":    {Defaults: Defaults{Ask: AskAlways}, Allowlist: []AllowlistEntry{{Pattern: "/bin/*"}}},
			"work": {Defaults: Defaults{Security: SecurityFull}, Allowlist: []AllowlistEntry{{Pattern: "/opt/tool"}}},
		}}
	r := Resolve(f, "work", Overrides{})
	if r.Agent.Security != SecurityFull || r.Agent.Ask != AskAlways || r.Agent.AskFallback != SecurityAllowlist {
		t.Fatalf("work %+v", r.Agent)
	}
	if len(r.Allowlist) != 2 || r.Allowlist[0].Pattern != "/bin/*" || r.Allowlist[1].Pattern != "/opt/tool" {
		t.Fatalf("allowlist %+v", r.Allowlist)
	}
	r = Resolve(File{Version: 1}, "", Overrides{})
	if r.Agent.Security != SecurityDeny || r.Agent.Ask != AskOnMiss || r.Agent.AskFallback != SecurityDeny {
		t.Fatalf("empty file %+v", r.Agent)
	}
	r = Resolve(File{Version: 1, Defaults: &Defaults{Security: "bogus"}}, "", Overrides{Security: SecurityAllowlist, Ask: AskOff})
	if r.Agent.Security != SecurityAllowlist || r.Agent.Ask != AskOff {
		t.Fatalf("overrides %+v", r.Agent)
	}
	if MinSecurity(SecurityFull, SecurityAllowlist) != SecurityAllowlist || MaxAsk(AskOff, AskOnMiss) != AskOnMiss {
		t.Fatal("min/max")
	}
	cases := []struct {
		ask       Ask
		sec       Security
		ok, sat   bool
		wantAsked bool
	}{
		{AskAlways, SecurityFull, true, true, true},
		{AskOnMiss, SecurityAllowlist, true, false, true},
		{AskOnMiss, SecurityAllowlist, false, false, true},
		{AskOnMiss, SecurityAllowlist, true, true, false},
		{AskOnMiss, SecurityFull, true, false, false},
		{AskOff, SecurityAllowlist, true, false, false},
	}
	for _, c := range cases {
		if got := RequiresApproval(c.ask, c.sec, c.ok, c.sat); got != c.wantAsked {
			t.Errorf("RequiresApproval(%s,%s,%v,%v)=%v", c.ask, c.sec, c.ok, c.sat, got)
		}
	}
}
