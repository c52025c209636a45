package execapprove

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

type recordingEvents struct {
	mu        sync.Mutex
	requested []Record
	resolved  []Resolved
	reqCh     chan Record
}

func newRecordingEvents() *recordingEvents { return &recordingEvents{reqCh: make(chan Record, 16)} }

func (e *recordingEvents) ApprovalRequested(r Record) {
	e.mu.Lock()
	e.requested = append(e.requested, r)
	e.mu.Unlock()
	e.reqCh <- r
}

func (e *recordingEvents) ApprovalResolved(r Resolved) {
	e.mu.Lock()
	e.resolved = append(e.resolved, r)
	e.mu.Unlock()
}

// manualTimer fires only when the test says so.
type manualTimer struct {
	mu  sync.Mutex
	chs []chan time.Time
}

func (m *manualTimer) timer(d time.Duration) (<-chan time.Time, func() bool) {
	ch := make(chan time.Time, 1)
	m.mu.Lock()
	m.chs = append(m.chs, ch)
	m.mu.Unlock()
	return ch, func() bool { return true }
}

func (m *manualTimer) fireAll() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range m.chs {
		select {
		case c <- time.Time{}:
		default:
		}
	}
}

func newTestManager(ev Broadcaster, tm *manualTimer) *Manager {
	n := 0
	return NewManager(ManagerOptions{Events: ev, Timer: tm.timer, Now: func() time.Time { return time.UnixMilli(1000) },
		NewID: func() string { n++; return fmt.Sprintf("id-%d", n) }, MaxPending: 2})
}

func TestManagerRequestResolve(t *testing.T) {
	ev := newRecordingEvents()
	m := newTestManager(ev, &manualTimer{})
	done := make(chan RequestResult, 1)
	go func() {
		res, err := m.Request(context.Background(), ApprovalRequest{Command: "rm -rf build", Cwd: "/w", Host: "gateway", Security: SecurityAllowlist, Ask: AskOnMiss, Timeout: 30 * time.Second})
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	rec := <-ev.reqCh
	b, _ := json.Marshal(rec)
	want := `{"id":"id-1","request":{"command":"rm -rf build","cwd":"/w","host":"gateway","security":"allowlist","ask":"on-miss","agentId":null,"resolvedPath":null,"sessionKey":null},"createdAtMs":1000,"expiresAtMs":31000}`
	if string(b) != want {
		t.Fatalf("requested event\n got %s\nwant %s", b, want)
	}
	if p := m.Pending(); len(p) != 1 || p[0].ID != "id-1" {
		t.Fatalf("pending %+v", p)
	}
	if err := m.Resolve("id-1", "maybe", "x"); !errors.Is(err, ErrInvalidDecision) {
		t.Fatalf("invalid decision: %v", err)
	}
	if err := m.Resolve("nope", AllowOnce, "x"); !errors.Is(err, ErrUnknownApproval) {
		t.Fatalf("unknown: %v", err)
	}
	if err := m.Resolve("id-1", AllowAlways, "Control UI"); err != nil {
		t.Fatal(err)
	}
	res := <-done
	if res.Decision == nil || *res.Decision != AllowAlways {
		t.Fatalf("result %+v", res)
	}
	b, _ = json.Marshal(ev.resolved[0])
	if string(b) != `{"id":"id-1","decision":"allow-always","resolvedBy":"Control UI","ts":1000}` {
		t.Fatalf("resolved event %s", b)
	}
	if err := m.Resolve("id-1", Deny, "x"); !errors.Is(err, ErrUnknownApproval) {
		t.Fatal("resolved twice")
	}
}

func TestManagerTimeoutGivesNoDecision(t *testing.T) {
	tm := &manualTimer{}
	ev := newRecordingEvents()
	m := newTestManager(ev, tm)
	done := make(chan RequestResult, 1)
	go func() {
		res, _ := m.Request(context.Background(), ApprovalRequest{ID: "fixed", Command: "x"})
		done <- res
	}()
	<-ev.reqCh
	tm.fireAll()
	res := <-done
	if res.ID != "fixed" || res.Decision != nil {
		t.Fatalf("result %+v", res)
	}
	b, _ := json.Marshal(res)
	if string(b) != `{"id":"fixed","decision":null,"createdAtMs":1000,"expiresAtMs":121000}` {
		t.Fatalf("json %s", b)
	}
	if len(m.Pending()) != 0 {
		t.Fatal("timed-out approval still pending")
	}
}

func TestManagerBoundsAndDuplicates(t *testing.T) {
	ev := newRecordingEvents()
	m := newTestManager(ev, &manualTimer{})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, _ = m.Request(ctx, ApprovalRequest{ID: fmt.Sprintf("p%d", i), Command: "x"})
		}(i)
	}
	<-ev.reqCh
	<-ev.reqCh
	if _, err := m.Request(ctx, ApprovalRequest{ID: "p0", Command: "x"}); !errors.Is(err, ErrAlreadyPending) {
		t.Fatalf("duplicate: %v", err)
	}
	if _, err := m.Request(ctx, ApprovalRequest{Command: "x"}); !errors.Is(err, ErrTooManyPending) {
		t.Fatalf("over the bound: %v", err)
	}
	// Cancelling the callers withdraws their requests and tells approvers.
	cancel()
	wg.Wait()
	if len(m.Pending()) != 0 {
		t.Fatal("cancelled approvals left pending")
	}
	ev.mu.Lock()
	defer ev.mu.Unlock()
	if len(ev.resolved) != 2 || ev.resolved[0].Decision != Deny {
		t.Fatalf("resolved %+v", ev.resolved)
	}
}

// The manager is the gate's asker: a decision made by "another client" reaches the gate.
func TestGateAsksThroughManager(t *testing.T) {
	ev := newRecordingEvents()
	m := NewManager(ManagerOptions{Events: ev})
	g, _ := newTestGate(t, m)
	go func() {
		r := <-ev.reqCh
		_ = m.Resolve(r.ID, Deny, "phone")
	}()
	_, err := g.Check(context.Background(), Request{Command: "definitely-not-installed-xyz --now", PATH: t.TempDir()})
	var d *DeniedError
	if !errors.As(err, &d) || d.Reason != "user-denied" {
		t.Fatalf("err %v", err)
	}
}
