package nodeevents

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/agent"
	"github.com/clawgate/gateway/server/nodes/live"
)

type fakeAgent struct {
	mu   sync.Mutex
	reqs []agent.Request
}

func (f *fakeAgent) Start(_ context.Context, r agent.Request) (*agent.Run, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, r)
	return nil, false, nil
}

type env struct {
	h     *Handler
	ag    *fakeAgent
	notes []string // key: text
	beats []string
	sent  map[string][]protocol.Event
	gone  map[string]bool
}

func newEnv(t *testing.T, maxSubs int) *env {
	t.Helper()
	e := &env{ag: &fakeAgent{}, sent: map[string][]protocol.Event{}, gone: map[string]bool{}}
	h, err := New(t.Context(), Options{
		Agent: e.ag, MainKey: func() string { return "agent:main:main" },
		Note:      func(_ context.Context, key, text string) error { e.notes = append(e.notes, key+": "+text); return nil },
		Heartbeat: func(reason string) { e.beats = append(e.beats, reason) },
		Send: func(id string, ev protocol.Event) error {
			if e.gone[id] {
				return live.ErrNotConnected
			}
			e.sent[id] = append(e.sent[id], ev)
			return nil
		},
		MaxSubscriptions: maxSubs, MaxPayloadBytes: 1000,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.h = h
	return e
}

func (e *env) send(node, event string, payload any) {
	b, _ := json.Marshal(payload)
	s := string(b)
	e.h.Handle(node, event, &s)
}

func TestAgentRequestAndVoice(t *testing.T) {
	e := newEnv(t, 0)
	e.send("n1", "agent.request", map[string]any{"message": " hi ", "deliver": true, "channel": "Telegram", "to": "42", "timeoutSeconds": 30})
	e.send("n1", "agent.request", map[string]any{"message": "quiet", "deliver": true}) // no channel: not delivered
	e.send("n1", "voice.transcript", map[string]any{"text": "call mom", "sessionKey": "work"})
	e.send("n1", "voice.transcript", map[string]any{"text": "default"})
	e.send("n1", "voice.transcript", map[string]any{"text": "  "})
	e.send("n1", "agent.request", map[string]any{"message": strings.Repeat("x", 900)})  // under the payload bound
	e.send("n1", "agent.request", map[string]any{"message": strings.Repeat("x", 1000)}) // payload too large
	e.h.Handle("n1", "agent.request", nil)
	if len(e.ag.reqs) != 5 {
		t.Fatalf("%d runs: %+v", len(e.ag.reqs), e.ag.reqs)
	}
	r := e.ag.reqs[0]
	if r.SessionKey != "agent:main:node-n1" || r.Message != "hi" || !r.Deliver || r.Channel != "telegram" || r.To != "42" || r.Timeout != 30*time.Second || r.Source != "node" {
		t.Errorf("agent.request: %+v", r)
	}
	if e.ag.reqs[1].Deliver {
		t.Errorf("delivered without a channel: %+v", e.ag.reqs[1])
	}
	if v := e.ag.reqs[2]; v.SessionKey != "agent:main:work" || !strings.HasPrefix(v.RunID, "voice-") || v.Deliver {
		t.Errorf("voice: %+v", v)
	}
	if v := e.ag.reqs[3]; v.SessionKey != "agent:main:main" {
		t.Errorf("voice default session: %+v", v)
	}
}

func TestTextLimit(t *testing.T) {
	e := newEnv(t, 0)
	e.h.o.MaxPayloadBytes = 1 << 20
	e.send("n1", "voice.transcript", map[string]any{"text": strings.Repeat("é", MaxTextChars)})
	e.send("n1", "voice.transcript", map[string]any{"text": strings.Repeat("é", MaxTextChars+1)})
	if len(e.ag.reqs) != 1 {
		t.Fatalf("%d runs", len(e.ag.reqs))
	}
}

func TestExecEvents(t *testing.T) {
	e := newEnv(t, 0)
	e.send("n1", "exec.started", map[string]any{"runId": "r1", "command": "ls -la"})
	e.send("n1", "exec.finished", map[string]any{"runId": "r1", "exitCode": 2, "output": " oops "})
	e.send("n1", "exec.finished", map[string]any{"timedOut": true, "sessionKey": "main"})
	e.send("n1", "exec.denied", map[string]any{"runId": "r2", "reason": "allowlist", "command": "rm -rf /"})
	e.send("n1", "exec.denied", map[string]any{"sessionKey": "  "}) // explicit blank session: dropped
	want := []string{
		"agent:main:node-n1: Exec started (node=n1 id=r1): ls -la",
		"agent:main:node-n1: Exec finished (node=n1 id=r1, code 2)\noops",
		"agent:main:main: Exec finished (node=n1, timeout)",
		"agent:main:node-n1: Exec denied (node=n1 id=r2, allowlist): rm -rf /",
	}
	if fmt.Sprint(e.notes) != fmt.Sprint(want) {
		t.Fatalf("notes:\n%q\nwant\n%q", e.notes, want)
	}
	if len(e.beats) != 4 || e.beats[0] != "exec-event" {
		t.Fatalf("heartbeats %v", e.beats)
	}
}

func TestSubscriptions(t *testing.T) {
	e := newEnv(t, 2)
	e.send("n1", "chat.subscribe", map[string]any{"sessionKey": "main"})
	e.send("n1", "chat.subscribe", map[string]any{"sessionKey": "agent:main:main"}) // same session
	e.send("n1", "chat.subscribe", map[string]any{"sessionKey": "b"})
	e.send("n1", "chat.subscribe", map[string]any{"sessionKey": "c"}) // over the limit
	e.send("n2", "chat.subscribe", map[string]any{"sessionKey": "main"})
	chat := func(key string) *protocol.ChatEvent {
		return &protocol.ChatEvent{RunID: "r", SessionKey: key, State: protocol.ChatEventStateFinal}
	}
	e.h.Forward(chat("agent:main:main"))
	e.h.Forward(chat("agent:main:c"))
	e.h.Forward(chat("")) // no session: nobody
	key := "agent:main:b"
	e.h.Forward(&protocol.AgentEvent{RunID: "r", SessionKey: &key})
	if len(e.sent["n1"]) != 2 || len(e.sent["n2"]) != 1 {
		t.Fatalf("sent %v", e.sent)
	}
	e.send("n1", "chat.unsubscribe", map[string]any{"sessionKey": "main"})
	e.send("n1", "chat.subscribe", map[string]any{"sessionKey": "c"}) // room again
	e.gone["n2"] = true
	e.h.Forward(chat("agent:main:main"))
	e.h.Forward(chat("agent:main:c"))
	if len(e.sent["n1"]) != 3 {
		t.Fatalf("after unsubscribe: %v", e.sent["n1"])
	}
	if got := e.h.Subscribers("agent:main:main"); len(got) != 0 {
		t.Fatalf("disconnected node still subscribed: %v", got)
	}
}
