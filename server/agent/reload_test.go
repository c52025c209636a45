package agent

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/agent/backend"
	"github.com/clawgate/gateway/server/hooks"
	"github.com/clawgate/gateway/server/sessions"
)

// canned answers every turn with its text and records the system prompt it got.
type canned struct {
	text   string
	system chan string
}

func (c *canned) Run(ctx context.Context, req backend.Request, onDelta func(backend.Delta)) (backend.Result, error) {
	sys := ""
	if req.Messages[0].Role == "system" {
		sys = req.Messages[0].Content
	}
	c.system <- sys
	onDelta(backend.Delta{Text: c.text})
	return backend.Result{Text: c.text}, nil
}

// TestSetModelAppliesToLaterRuns: a config reload swaps the backend and system prompt
// for runs that start afterwards, without a restart.
func TestSetModelAppliesToLaterRuns(t *testing.T) {
	first := &canned{text: "from the first model", system: make(chan string, 4)}
	rt := newRuntime(t, first, func(o *Options) { o.SystemPrompt = "old prompt" })
	ctx := context.Background()
	run := func(id string) Outcome {
		t.Helper()
		if _, _, err := rt.Start(ctx, Request{RunID: id, SessionKey: "agent:main:main", Message: "hi"}); err != nil {
			t.Fatal(err)
		}
		out, ok := rt.Wait(ctx, id, 10*time.Second)
		if !ok || out.Status != StatusOK {
			t.Fatalf("run %s: %+v", id, out)
		}
		return out
	}
	if out := run("r1"); out.Text != "from the first model" || <-first.system != "old prompt" {
		t.Fatalf("first run: %+v", out)
	}
	second := &canned{text: "from the second model", system: make(chan string, 4)}
	if err := rt.SetModel(ModelConfig{Backend: second, Model: "m2", SystemPrompt: "new prompt"}); err != nil {
		t.Fatal(err)
	}
	if out := run("r2"); out.Text != "from the second model" || <-second.system != "new prompt" {
		t.Fatalf("run after SetModel: %+v", out)
	}
	if err := rt.SetModel(ModelConfig{}); err == nil {
		t.Fatal("SetModel without a backend accepted")
	}
}

// TestHookSessionsBounded: hook calls without a sessionKey each get a session, and
// only the MaxHookSessions most recent idle ones are kept; other sessions are never
// touched.
func TestHookSessionsBounded(t *testing.T) {
	be := &canned{text: "done", system: make(chan string, 16)}
	clk := time.UnixMilli(1_700_000_000_000)
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); clk = clk.Add(time.Second); return clk }
	rt := newRuntime(t, be, func(o *Options) { o.MaxHookSessions = 3; o.Now = now })
	ctx := context.Background()
	if _, _, err := rt.Start(ctx, Request{RunID: "main-1", SessionKey: "agent:main:main", Message: "keep me"}); err != nil {
		t.Fatal(err)
	}
	rt.Wait(ctx, "main-1", 10*time.Second)
	var ids []string
	for range 6 {
		id, err := rt.StartAgent(ctx, hooks.AgentRequest{Message: "ping"})
		if err != nil {
			t.Fatal(err)
		}
		if out, ok := rt.Wait(ctx, id, 10*time.Second); !ok || out.Status != StatusOK {
			t.Fatalf("hook run: %+v", out)
		}
		ids = append(ids, id)
	}
	// The prune after the 6th call sees 6 hook sessions (all idle) and keeps 3.
	list, err := rt.opts.Store.List(ctx, sessions.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hooksKept, mainKept := 0, false
	for _, s := range list {
		switch {
		case strings.HasPrefix(s.Key, "agent:main:hook:"):
			hooksKept++
		case s.Key == "agent:main:main":
			mainKept = true
		}
	}
	if hooksKept != 3 || !mainKept {
		t.Fatalf("%d hook sessions kept (want 3), main kept %v", hooksKept, mainKept)
	}
}
