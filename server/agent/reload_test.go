package agent

import (
	"context"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/agent/backend"
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
