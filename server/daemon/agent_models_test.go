package daemon

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// TestAgentModelFallbacks: agents.list[].model.fallbacks replaces the defaults'
// fallbacks for that agent's sessions (here the defaults have none): agent "work"'s
// run moves from the refusing primary to its own fallback, while the main agent's run
// fails; an agent whose entry sets only a primary keeps the defaults' (none) too.
func TestAgentModelFallbacks(t *testing.T) {
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	primary := newFakeModel(t, "openai-completions", func(int, []byte) fakeStep { return fakeStep{status: 429} })
	backup := newFakeModel(t, "openai-completions", func(int, []byte) fakeStep { return fakeStep{text: "backup answered"} })
	r := startHome(t, home, fmt.Sprintf(`{
  tools: {exec: {security: "full", ask: "off"}},
  agents: {defaults: {workspace: %q, model: {primary: "fake/m1"}},
    list: [{id: "main", default: true}, {id: "work", workspace: %q, model: {fallbacks: ["backup/m2"]}}]},
  models: {providers: {fake: {baseUrl: %q, apiKey: "k1", models: []}, backup: {baseUrl: %q, apiKey: "k2", models: []}}},
}`, ws, filepath.Join(home, "ws-work"), primary.baseURL(), backup.baseURL()), nil)
	c := r.client(t)
	evs := runChat(t, c, "run-main", "hi", nil)
	if last := evs[len(evs)-1]; !bytes.Contains(last.Payload, []byte(`"state":"error"`)) || len(backup.requests()) != 0 {
		t.Fatalf("main agent (no fallbacks) final %s; backup requests %d", last.Payload, len(backup.requests()))
	}
	c.MustOK("chat.send", map[string]any{"sessionKey": "agent:work:main", "message": "hi", "idempotencyKey": "run-work"}, nil)
	deadline := time.After(30 * time.Second)
	for done := false; !done; {
		select {
		case f := <-c.Events:
			done = f.Event == "chat" && bytes.Contains(f.Payload, []byte(`"runId":"run-work"`)) &&
				(bytes.Contains(f.Payload, []byte(`"state":"final"`)) || bytes.Contains(f.Payload, []byte(`"state":"error"`)))
			if done && !bytes.Contains(f.Payload, []byte("backup answered")) {
				t.Fatalf("work agent final %s", f.Payload)
			}
		case <-deadline:
			t.Fatal("no final for the work agent's run")
		}
	}
}

// TestSubagentModelOnTheWire: agents.defaults.subagents.model.primary is the model a
// sessions_spawn child runs on: its request reaches that provider's server, not the
// parent's.
func TestSubagentModelOnTheWire(t *testing.T) {
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	parent := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
		switch {
		case bytes.Contains(body, []byte("childSessionKey")):
			return fakeStep{text: "spawned"}
		case bytes.Contains(body, []byte("A background task")):
			return fakeStep{text: "relayed"}
		}
		return fakeStep{calls: []fakeCall{{"c_spawn", "sessions_spawn", `{"task":"count the stars"}`}}}
	})
	small := newFakeModel(t, "openai-completions", func(int, []byte) fakeStep { return fakeStep{text: "child done"} })
	r := startHome(t, home, fmt.Sprintf(`{
  tools: {exec: {security: "full", ask: "off"}},
  agents: {defaults: {workspace: %q, model: {primary: "fake/m1"}, subagents: {model: {primary: "small/s1", fallbacks: ["fake/m1"]}}}},
  models: {providers: {fake: {baseUrl: %q, apiKey: "k1", models: []}, small: {baseUrl: %q, apiKey: "k2", models: []}}},
}`, ws, parent.baseURL(), small.baseURL()), nil)
	c := r.client(t)
	runChat(t, c, "run-parent", "spawn one", nil)
	deadline := time.Now().Add(30 * time.Second)
	for len(small.requests()) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	reqs := small.requests()
	if len(reqs) == 0 || !bytes.Contains(reqs[0], []byte("# Subagent Context")) || !bytes.Contains(reqs[0], []byte("count the stars")) || !bytes.Contains(reqs[0], []byte(`"model":"s1"`)) {
		t.Fatalf("sub-agent model requests %d: %.300s", len(reqs), reqs)
	}
	for _, b := range parent.requests() {
		if bytes.Contains(b, []byte("# Subagent Context")) {
			t.Fatal("the child ran on the parent's model")
		}
	}
}
