package agent

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/agent/backend"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/sessions"
)

// gated is a backend whose turns block until released, counting calls.
type gated struct {
	calls   atomic.Int64
	started chan string
	release chan struct{}
}

func (g *gated) Run(ctx context.Context, req backend.Request, onDelta func(backend.Delta)) (backend.Result, error) {
	g.calls.Add(1)
	prompt := req.Messages[len(req.Messages)-1].Content
	g.started <- prompt
	select {
	case <-g.release:
	case <-ctx.Done():
		return backend.Result{}, ctx.Err()
	}
	onDelta(backend.Delta{Text: "ok"})
	return backend.Result{Text: "ok"}, nil
}

func newRuntime(t *testing.T, be backend.Backend, tweak func(*Options)) *Runtime {
	t.Helper()
	store, err := sessions.Open(context.Background(), sessions.Options{Path: filepath.Join(t.TempDir(), "sessions.db")})
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Backend: be, Store: store}
	if tweak != nil {
		tweak(&o)
	}
	rt, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = rt.Close(context.Background())
		_ = store.Close()
	})
	return rt
}

func TestMaxConcurrentAcrossSessions(t *testing.T) {
	g := &gated{started: make(chan string, 10), release: make(chan struct{})}
	rt := newRuntime(t, g, func(o *Options) { o.MaxConcurrent = 2 })
	ctx := context.Background()
	for i := range 3 {
		if _, _, err := rt.Start(ctx, Request{RunID: fmt.Sprint("c", i), SessionKey: fmt.Sprint("agent:main:s", i), Message: fmt.Sprint("m", i)}); err != nil {
			t.Fatal(err)
		}
	}
	recv(t, g.started, "first")
	recv(t, g.started, "second")
	select {
	case p := <-g.started:
		t.Fatalf("third run started beyond maxConcurrent 2: %q", p)
	case <-time.After(50 * time.Millisecond):
	}
	close(g.release)
	recv(t, g.started, "third after a slot freed")
	for i := range 3 {
		if out, ok := rt.Wait(ctx, fmt.Sprint("c", i), wait); !ok || out.Status != StatusOK {
			t.Fatalf("run %d: %+v", i, out)
		}
	}
}

func TestFinishedRunCacheIsBounded(t *testing.T) {
	g := &gated{started: make(chan string, 10), release: make(chan struct{})}
	close(g.release)
	rt := newRuntime(t, g, func(o *Options) { o.MaxFinishedRuns = 2 })
	ctx := context.Background()
	run := func(id string) {
		t.Helper()
		r, _, err := rt.Start(ctx, Request{RunID: id, SessionKey: "agent:main:main", Message: "x"})
		if err != nil {
			t.Fatal(err)
		}
		<-r.Done()
		<-g.started
	}
	run("f1")
	run("f2")
	// At the bound both are remembered: a retry does not run again.
	if _, dup, _ := rt.Start(ctx, Request{RunID: "f1", SessionKey: "agent:main:main", Message: "x"}); !dup || g.calls.Load() != 2 {
		t.Fatalf("retry at the bound: dup=%v calls=%d", dup, g.calls.Load())
	}
	run("f3")
	// Over it the oldest is forgotten.
	if rt.Lookup("f1") != nil || rt.Lookup("f2") == nil || rt.Lookup("f3") == nil {
		t.Fatal("cache did not drop the oldest finished run")
	}
}

func TestMaxActiveRuns(t *testing.T) {
	g := &gated{started: make(chan string, 10), release: make(chan struct{})}
	rt := newRuntime(t, g, func(o *Options) { o.MaxActiveRuns = 2; o.QueueRetryAfter = 3 * time.Second })
	ctx := context.Background()
	for i := range 2 {
		if _, _, err := rt.Start(ctx, Request{RunID: fmt.Sprint("a", i), SessionKey: fmt.Sprint("agent:main:s", i), Message: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	_, _, err := rt.Start(ctx, Request{RunID: "a2", SessionKey: "agent:main:s2", Message: "x"})
	var ge *gateway.Error
	if !errors.As(err, &ge) || ge.Code != gateway.CodeUnavailable || ge.RetryAfterMs != 3000 {
		t.Fatalf("over MaxActiveRuns: %v", err)
	}
	if _, err := rt.Store().Get(ctx, "agent:main:s2"); !errors.Is(err, sessions.ErrNotFound) {
		t.Fatalf("refused run left a session behind: %v", err)
	}
	close(g.release)
}

func TestCloseStopsRuns(t *testing.T) {
	g := &gated{started: make(chan string, 10), release: make(chan struct{})}
	rt := newRuntime(t, g, nil)
	ctx := context.Background()
	r, _, err := rt.Start(ctx, Request{RunID: "z1", SessionKey: "agent:main:main", Message: "x"})
	if err != nil {
		t.Fatal(err)
	}
	recv(t, g.started, "run")
	cctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if err := rt.Close(cctx); err != nil {
		t.Fatal(err)
	}
	if out := r.Outcome(); out.Status != StatusError || out.Err != errShutdown.Error() {
		t.Fatalf("run after Close: %+v", out)
	}
	if _, _, err := rt.Start(ctx, Request{RunID: "z2", Message: "x"}); err == nil {
		t.Fatal("Start after Close accepted")
	}
}
