package execapprove

import (
	"context"
	"errors"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"
)

// scriptedAsker answers with a fixed decision and records what it was asked.
type scriptedAsker struct {
	mu       sync.Mutex
	decision Decision
	err      error
	asked    []ApprovalRequest
}

func (a *scriptedAsker) Ask(ctx context.Context, req ApprovalRequest) (Decision, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.asked = append(a.asked, req)
	return a.decision, a.err
}

func (a *scriptedAsker) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.asked)
}

func newTestGate(t *testing.T, asker Asker) (*Gate, *Store) {
	t.Helper()
	s := newTestStore(t)
	g, err := NewGate(GateOptions{Store: s, Asker: asker, Now: func() time.Time { return time.UnixMilli(5000) }})
	if err != nil {
		t.Fatal(err)
	}
	return g, s
}

func TestGateDecisions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("unix executables")
	}
	bin := fakeBin(t, "git", "rm")
	git := filepath.Join(bin, "git")

	t.Run("security deny never asks", func(t *testing.T) {
		a := &scriptedAsker{decision: AllowOnce}
		g, _ := newTestGate(t, a)
		_, err := g.Check(context.Background(), Request{Command: "git status", PATH: bin, Security: SecurityDeny})
		var d *DeniedError
		if !errors.As(err, &d) || d.Reason != "security=deny" || a.count() != 0 {
			t.Fatalf("err %v asked %d", err, a.count())
		}
	})
	t.Run("file can only tighten", func(t *testing.T) {
		a := &scriptedAsker{decision: AllowOnce}
		g, s := newTestGate(t, a)
		if err := s.Save(File{Version: 1, Defaults: &Defaults{Security: SecurityDeny}}); err != nil {
			t.Fatal(err)
		}
		if _, err := g.Check(context.Background(), Request{Command: "git status", PATH: bin, Security: SecurityFull, Ask: AskOff}); !IsDenied(err) {
			t.Fatalf("file deny ignored: %v", err)
		}
	})
	t.Run("allowlist hit runs without asking and records use", func(t *testing.T) {
		a := &scriptedAsker{}
		g, s := newTestGate(t, a)
		if err := s.Save(File{Version: 1, Agents: map[string]Agent{"main": {Allowlist: []AllowlistEntry{{Pattern: git}}}}}); err != nil {
			t.Fatal(err)
		}
		ap, err := g.Check(context.Background(), Request{Command: "git status", PATH: bin})
		if err != nil || ap.Asked || len(ap.Matches) != 1 || ap.ResolvedPath != git {
			t.Fatalf("approval %+v err %v", ap, err)
		}
		f, _ := s.Load()
		e := f.Agents["main"].Allowlist[0]
		if e.LastUsedAt != 5000 || e.LastUsedCommand != "git status" || e.LastResolvedPath != git {
			t.Fatalf("use not recorded: %+v", e)
		}
	})
	t.Run("miss with ask off is denied", func(t *testing.T) {
		a := &scriptedAsker{decision: AllowOnce}
		g, _ := newTestGate(t, a)
		_, err := g.Check(context.Background(), Request{Command: "rm -rf x", PATH: bin, Ask: AskOff})
		if !IsDenied(err) || a.count() != 0 {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("miss asks; deny", func(t *testing.T) {
		a := &scriptedAsker{decision: Deny}
		g, _ := newTestGate(t, a)
		_, err := g.Check(context.Background(), Request{Command: "rm -rf x", PATH: bin, Cwd: "/work", AgentID: "main", SessionKey: "main"})
		var d *DeniedError
		if !errors.As(err, &d) || d.Reason != "user-denied" || d.ApprovalID == "" {
			t.Fatalf("err %v", err)
		}
		req := a.asked[0]
		if req.Command != "rm -rf x" || req.Host != HostGateway || req.Security != SecurityAllowlist || req.Ask != AskOnMiss ||
			req.ResolvedPath != filepath.Join(bin, "rm") || req.Cwd != "/work" || req.Timeout != DefaultApprovalTimeout {
			t.Fatalf("asked %+v", req)
		}
	})
	t.Run("allow once leaves the allowlist alone", func(t *testing.T) {
		a := &scriptedAsker{decision: AllowOnce}
		g, s := newTestGate(t, a)
		ap, err := g.Check(context.Background(), Request{Command: "rm x", PATH: bin})
		if err != nil || ap.Decision != AllowOnce || !ap.Asked {
			t.Fatalf("%+v %v", ap, err)
		}
		f, _ := s.Load()
		if len(f.Agents["main"].Allowlist) != 0 {
			t.Fatalf("allowlist changed: %+v", f.Agents)
		}
		if _, err := g.Check(context.Background(), Request{Command: "rm x", PATH: bin}); err != nil || a.count() != 2 {
			t.Fatalf("second run should ask again: %v %d", err, a.count())
		}
	})
	t.Run("allow always persists every segment", func(t *testing.T) {
		a := &scriptedAsker{decision: AllowAlways}
		g, s := newTestGate(t, a)
		if _, err := g.Check(context.Background(), Request{Command: "git log | rm x", PATH: bin, AgentID: "ops"}); err != nil {
			t.Fatal(err)
		}
		f, _ := s.Load()
		list := f.Agents["ops"].Allowlist
		if len(list) != 2 || list[0].Pattern != git || list[1].Pattern != filepath.Join(bin, "rm") || list[0].ID == "" {
			t.Fatalf("allowlist %+v", list)
		}
		a.decision = Deny
		if _, err := g.Check(context.Background(), Request{Command: "git log | rm x", PATH: bin, AgentID: "ops"}); err != nil || a.count() != 1 {
			t.Fatalf("persisted entry not used: %v asked %d", err, a.count())
		}
		// Another agent's allowlist is separate.
		if _, err := g.Check(context.Background(), Request{Command: "git log", PATH: bin, AgentID: "main"}); !IsDenied(err) {
			t.Fatalf("main used ops' allowlist: %v", err)
		}
	})
	t.Run("no answer is a deny", func(t *testing.T) {
		a := &scriptedAsker{decision: ""}
		g, _ := newTestGate(t, a)
		_, err := g.Check(context.Background(), Request{Command: "rm x", PATH: bin})
		var d *DeniedError
		if !errors.As(err, &d) || d.Reason != "approval-timeout" {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("no answer with askFallback full runs", func(t *testing.T) {
		a := &scriptedAsker{decision: ""}
		g, s := newTestGate(t, a)
		if err := s.Save(File{Version: 1, Defaults: &Defaults{AskFallback: SecurityFull}}); err != nil {
			t.Fatal(err)
		}
		if _, err := g.Check(context.Background(), Request{Command: "rm x", PATH: bin}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("asker failure denies", func(t *testing.T) {
		a := &scriptedAsker{err: errors.New("no approver")}
		g, _ := newTestGate(t, a)
		if _, err := g.Check(context.Background(), Request{Command: "rm x", PATH: bin}); !IsDenied(err) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("no asker denies instead of running", func(t *testing.T) {
		g, _ := newTestGate(t, nil)
		if _, err := g.Check(context.Background(), Request{Command: "rm x", PATH: bin}); !IsDenied(err) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("ask always asks even on a hit", func(t *testing.T) {
		a := &scriptedAsker{decision: AllowOnce}
		g, s := newTestGate(t, a)
		_ = s.Save(File{Version: 1, Agents: map[string]Agent{"main": {Allowlist: []AllowlistEntry{{Pattern: git}}}}})
		if _, err := g.Check(context.Background(), Request{Command: "git status", PATH: bin, Ask: AskAlways}); err != nil || a.count() != 1 {
			t.Fatalf("%v %d", err, a.count())
		}
	})
	t.Run("node argv with the node's allowlist", func(t *testing.T) {
		a := &scriptedAsker{decision: Deny}
		g, s := newTestGate(t, a)
		ap, err := g.Check(context.Background(), Request{Argv: []string{"git", "status"}, PATH: bin, Host: HostNode, NodeID: "mac",
			Allowlist: []AllowlistEntry{{Pattern: git}}})
		if err != nil || ap.Asked {
			t.Fatalf("%+v %v", ap, err)
		}
		_, err = g.Check(context.Background(), Request{Argv: []string{"rm", "x"}, PATH: bin, Host: HostNode, Allowlist: []AllowlistEntry{}})
		var d *DeniedError
		if !errors.As(err, &d) || d.Host != HostNode {
			t.Fatalf("%v", err)
		}
		f, _ := s.Load()
		if len(f.Agents) != 0 {
			t.Fatalf("node decision touched the gateway's file: %+v", f.Agents)
		}
	})
}
