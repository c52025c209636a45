package agent

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	genconfig "github.com/clawgate/gateway/gen/go/config"
	"github.com/clawgate/gateway/server/agent/backend"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/sessionreset"
	"github.com/clawgate/gateway/server/sessions"
)

// recorder is a backend that answers "ok" and records the user and assistant
// messages of each request.
type recorder struct {
	mu   sync.Mutex
	seen [][]string
}

func (b *recorder) Run(ctx context.Context, req backend.Request, onDelta func(backend.Delta)) (backend.Result, error) {
	var msgs []string
	for _, m := range req.Messages {
		if m.Role != "system" {
			msgs = append(msgs, m.Role+":"+m.Content)
		}
	}
	b.mu.Lock()
	b.seen = append(b.seen, msgs)
	b.mu.Unlock()
	onDelta(backend.Delta{Text: "ok"})
	return backend.Result{Text: "ok", FinishReason: "stop"}, nil
}

func (b *recorder) last() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.seen[len(b.seen)-1]
}

func resetConfig(t *testing.T, js string) *sessionreset.Config {
	t.Helper()
	var c genconfig.ClawdbotConfig
	if err := json.Unmarshal([]byte(js), &c); err != nil {
		t.Fatal(err)
	}
	rc := sessionreset.FromConfig(&c)
	return &rc
}

// TestSessionResetPolicy: a session starts over by itself as the original's
// session.reset says — by default at the first message after 04:00 local time, and
// after idle minutes where configured (here per channel, for WebChat) — before the
// message is stored, so the model sees only the new message; within the policy the
// history carries on. A reload of the policy applies to the next message.
func TestSessionResetPolicy(t *testing.T) {
	zone := time.FixedZone("UTC+2", 2*3600)
	clk := &manualClock{t: time.Date(2026, 12, 5, 20, 0, 0, 0, zone)}
	store, err := sessions.Open(context.Background(), sessions.Options{Path: filepath.Join(t.TempDir(), "sessions.db"), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var policy atomic.Pointer[sessionreset.Config]
	policy.Store(resetConfig(t, `{}`))
	be := &recorder{}
	rt, err := New(Options{Backend: be, Store: store, Now: clk.Now, Sender: newFakeSender(), Reset: policy.Load})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(context.Background())
	ctx := context.Background()

	n := 0
	inbound := func(text string) {
		t.Helper()
		n++
		r, err := rt.HandleInbound(ctx, providers.Message{Channel: providers.Telegram, From: "42", ChatID: "42", MessageID: string(rune('a' + n)), Text: text})
		if err != nil {
			t.Fatal(err)
		}
		<-r.Done()
	}
	key := rt.InboundKey(providers.Message{Channel: providers.Telegram, From: "42", ChatID: "42"})
	sessionID := func(key string) string {
		t.Helper()
		ss, err := store.Get(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return ss.ID
	}

	inbound("first")
	id1 := sessionID(key)
	clk.set(time.Date(2026, 12, 5, 23, 30, 0, 0, zone))
	inbound("second")
	if got, want := be.last(), []string{"user:first", "assistant:ok", "user:second"}; !slices.Equal(got, want) {
		t.Fatalf("same day: model saw %q, want %q", got, want)
	}
	clk.set(time.Date(2026, 12, 6, 3, 59, 0, 0, zone)) // before the reset hour
	inbound("third")
	if got := be.last(); len(got) != 5 || sessionID(key) != id1 {
		t.Fatalf("before 04:00: model saw %q (session %s, was %s)", got, sessionID(key), id1)
	}
	clk.set(time.Date(2026, 12, 6, 4, 0, 0, 0, zone)) // the reset hour
	inbound("fourth")
	if got, want := be.last(), []string{"user:fourth"}; !slices.Equal(got, want) {
		t.Fatalf("after 04:00: model saw %q, want %q", got, want)
	}
	if id := sessionID(key); id == id1 {
		t.Fatal("after 04:00: the session kept its transcript")
	}
	h, err := store.History(ctx, key, 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2 || h[0].Text != "fourth" {
		t.Fatalf("new transcript %+v", h)
	}

	// Idle minutes for WebChat (chat.send), reloaded live; Telegram keeps the default.
	policy.Store(resetConfig(t, `{"session":{"resetByChannel":{"webchat":{"mode":"idle","idleMinutes":10}}}}`))
	chat := func(id, text string) {
		t.Helper()
		r, _, err := rt.Start(ctx, Request{RunID: id, SessionKey: "agent:main:main", Message: text, Source: "chat"})
		if err != nil {
			t.Fatal(err)
		}
		<-r.Done()
	}
	chat("c1", "hello")
	clk.set(time.Date(2026, 12, 6, 4, 10, 0, 0, zone)) // exactly 10 min: still fresh
	chat("c2", "again")
	if got := be.last(); len(got) != 3 {
		t.Fatalf("within idle minutes: model saw %q", got)
	}
	inbound("fifth") // Telegram: daily only, same day
	if got := be.last(); len(got) != 3 {
		t.Fatalf("telegram within the day: model saw %q", got)
	}
	clk.set(time.Date(2026, 12, 6, 4, 21, 0, 0, zone)) // 11 min idle
	chat("c3", "later")
	if got, want := be.last(), []string{"user:later"}; !slices.Equal(got, want) {
		t.Fatalf("after idle minutes: model saw %q, want %q", got, want)
	}

	// Heartbeats (ephemeral) never reset a session.
	clk.set(time.Date(2026, 12, 7, 9, 0, 0, 0, zone))
	before := sessionID("agent:main:main")
	r, _, err := rt.Start(ctx, Request{RunID: "hb", SessionKey: "agent:main:main", Message: "heartbeat", Ephemeral: true, Source: "wake"})
	if err != nil {
		t.Fatal(err)
	}
	<-r.Done()
	if sessionID("agent:main:main") != before {
		t.Fatal("a heartbeat reset the session")
	}
}

// TestResetTriggers: session.resetTriggers start a new session like /new, from an
// authorised sender only; the text after the trigger runs in the fresh session.
func TestResetTriggers(t *testing.T) {
	clk := &manualClock{t: time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)}
	store, err := sessions.Open(context.Background(), sessions.Options{Path: filepath.Join(t.TempDir(), "sessions.db"), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	rc := resetConfig(t, `{"session":{"resetTriggers":["/fresh"]}}`)
	rt, err := New(Options{Backend: &recorder{}, Store: store, Now: clk.Now, Reset: func() *sessionreset.Config { return rc }})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(context.Background())
	ctx := context.Background()
	key := "agent:main:main"
	r, _, err := rt.Start(ctx, Request{RunID: "1", SessionKey: key, Message: "hi", Source: "chat"})
	if err != nil {
		t.Fatal(err)
	}
	<-r.Done()
	ss, _ := store.Get(ctx, key)

	res, err := rt.Command(ctx, key, "/fresh", false, "stranger")
	if err != nil || !res.Handled || !res.Ignored {
		t.Fatalf("unauthorised trigger: %+v %v", res, err)
	}
	if now, _ := store.Get(ctx, key); now.ID != ss.ID {
		t.Fatal("an unauthorised trigger reset the session")
	}
	res, err = rt.Command(ctx, key, "/Fresh what now?", true, "owner")
	if err != nil || !res.Handled || res.Continue != "what now?" {
		t.Fatalf("trigger with text: %+v %v", res, err)
	}
	if now, _ := store.Get(ctx, key); now.ID == ss.ID || now.Messages != 0 {
		t.Fatalf("trigger did not reset: %+v", now)
	}
	if res, _ := rt.Command(ctx, key, "/freshen up", true, "owner"); res.Handled {
		t.Fatal("a longer word matched the trigger")
	}
	if res, _ := rt.Command(ctx, key, "/new", true, "owner"); !res.Handled || res.Reply == "" {
		t.Fatalf("/new still works: %+v", res)
	}
}
