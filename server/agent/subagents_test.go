package agent

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/agent/tools"
	"github.com/clawgate/gateway/server/clock"
	"github.com/clawgate/gateway/server/sessions"
)

// waitFor polls cond until it holds (bounded by wait); it waits for a state, not for
// time to pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// announces returns the sub-agent announce prompts stored in session key.
func announces(t *testing.T, st *sessions.Store, key string) []string {
	t.Helper()
	h, err := st.History(context.Background(), key, 200, 0)
	if err != nil && !errors.Is(err, sessions.ErrNotFound) {
		t.Fatal(err)
	}
	var out []string
	for _, m := range h {
		if m.Role == "user" && strings.HasPrefix(m.Text, "A background task") {
			out = append(out, m.Text)
		}
	}
	return out
}

func gone(st *sessions.Store, key string) bool {
	_, err := st.Get(context.Background(), key)
	return errors.Is(err, sessions.ErrNotFound)
}

// TestSubagentLaneQueuesAndArchives: with agents.defaults.subagents.maxConcurrent 1,
// a second sub-agent waits for the first one's slot (its request reaches the model
// only after the first finished), although the main lane is free; each result is
// announced into the requester session with the child's reply; a kept child session
// is deleted once archiveAfterMinutes have passed on the clock, a "delete" one right
// after its announce.
func TestSubagentLaneQueuesAndArchives(t *testing.T) {
	fc := clock.NewFake(time.Unix(1_700_000_000, 0))
	e := newEnv(t, envOpts{tweak: func(o *Options) {
		o.SubagentMaxConcurrent = 1
		o.SubagentArchiveAfter = 5 * time.Minute
		o.Clock = fc
	}})
	api := e.rt.SessionsAPI()
	ctx := context.Background()
	spawn := func(id, task, cleanup string) tools.SpawnResult {
		t.Helper()
		res, err := api.Spawn(ctx, tools.SpawnRequest{RunID: id, ChildKey: "agent:main:subagent:" + id, AgentID: "main",
			RequesterKey: "main", Task: task, Label: id, Cleanup: cleanup})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	a := spawn("a", "gate:a first job", "keep")
	b := spawn("b", "gate:b second job", "delete")
	if a.ChildKey != "agent:main:subagent:a" || a.RunID != "a" {
		t.Fatalf("spawn result %+v", a)
	}
	if got := recv(t, e.up.started, "first child request"); got != "gate:a first job" {
		t.Fatalf("first request %q", got)
	}
	waitFor(t, "the second sub-agent to wait for a slot", func() bool { return e.rt.subWaiting.Load() == 1 })
	if n := e.up.requests.Load(); n != 1 {
		t.Fatalf("%d model requests while the sub-agent lane is full, want 1", n)
	}
	if sys := e.up.lastBody().Messages[0]; sys.Role != "system" || !strings.Contains(sys.Content, "# Subagent Context") ||
		!strings.Contains(sys.Content, "Your session: agent:main:subagent:a.") || !strings.Contains(sys.Content, "Requester session: agent:main:main.") {
		t.Fatalf("child system prompt %+v", sys)
	}
	e.up.release("a")
	for {
		p := recv(t, e.up.started, "second child request")
		if p == "gate:b second job" {
			break
		}
		if !strings.HasPrefix(p, "A background task \"a\" just completed successfully.") {
			t.Fatalf("unexpected request %q", p)
		}
	}
	e.up.release("b")
	waitFor(t, "two announces in the requester session", func() bool { return len(announces(t, e.store, "agent:main:main")) == 2 })
	for _, an := range announces(t, e.store, "agent:main:main") {
		if !strings.Contains(an, "just completed successfully.") || !strings.Contains(an, "Findings:\nHello world") ||
			!strings.Contains(an, "sessionKey agent:main:subagent:") {
			t.Fatalf("announce %q", an)
		}
	}
	// cleanup "delete": gone after its announce; "keep": there until the archive time.
	waitFor(t, "the deleted child session", func() bool { return gone(e.store, b.ChildKey) })
	if gone(e.store, a.ChildKey) {
		t.Fatal("kept child session removed before archiveAfterMinutes")
	}
	if ss, err := e.store.Get(ctx, a.ChildKey); err != nil || ss.Label != "a" {
		t.Fatalf("child session %+v %v", ss, err)
	}
	fc.Advance(4 * time.Minute)
	if gone(e.store, a.ChildKey) {
		t.Fatal("kept child session removed 4 minutes after its spawn")
	}
	fc.Advance(time.Minute)
	waitFor(t, "the archived child session", func() bool { return gone(e.store, a.ChildKey) })
}

// TestSubagentTimeoutAndRules: runTimeoutSeconds ends a sub-agent run and the
// announce says it timed out with what it had written; a sub-agent session cannot
// spawn; an unknown agent is refused; an invalid thinking level is an error.
func TestSubagentTimeoutAndRules(t *testing.T) {
	e := newEnv(t, envOpts{})
	api := e.rt.SessionsAPI()
	ctx := context.Background()
	if _, err := api.Spawn(ctx, tools.SpawnRequest{RunID: "h", ChildKey: "agent:main:subagent:h", AgentID: "main", RequesterKey: "main",
		Task: "hang forever", Timeout: 200 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the timeout announce", func() bool { return len(announces(t, e.store, "agent:main:main")) == 1 })
	if an := announces(t, e.store, "agent:main:main")[0]; !strings.Contains(an, `"hang forever" just timed out.`) || !strings.Contains(an, "Findings:\npartial") {
		t.Fatalf("announce %q", an)
	}
	for _, tc := range []struct {
		name string
		req  tools.SpawnRequest
		want string
	}{
		{"from a sub-agent", tools.SpawnRequest{RunID: "s1", ChildKey: "agent:main:subagent:s1", AgentID: "main", RequesterKey: "agent:main:subagent:h", Task: "x"},
			"not allowed from sub-agent sessions"},
		{"unknown agent", tools.SpawnRequest{RunID: "s2", ChildKey: "agent:nope:subagent:s2", AgentID: "nope", RequesterKey: "main", Task: "x"},
			`unknown agent "nope"`},
		{"thinking", tools.SpawnRequest{RunID: "s3", ChildKey: "agent:main:subagent:s3", AgentID: "main", RequesterKey: "main", Task: "x", Thinking: "loud"},
			`Invalid thinking level "loud"`},
	} {
		if _, err := api.Spawn(ctx, tc.req); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", tc.name, err, tc.want)
		}
	}
	if e.rt.Lookup("s1") != nil || e.rt.Lookup("s2") != nil || e.rt.Lookup("s3") != nil {
		t.Fatal("a refused spawn started a run")
	}
}

// TestSubagentAnnounceDelivered: when the spawning run came from a channel, the
// requester's answer to the announce goes out there (and only that: the child's own
// reply is never delivered).
func TestSubagentAnnounceDelivered(t *testing.T) {
	snd := newFakeSender()
	e := newEnv(t, envOpts{sender: snd})
	if _, err := e.rt.SessionsAPI().Spawn(context.Background(), tools.SpawnRequest{RunID: "d", ChildKey: "agent:main:subagent:d", AgentID: "main",
		RequesterKey: "agent:main:telegram:dm:42", Origin: tools.DeliveryContext{Channel: "telegram", To: "42", AccountID: "default"}, Task: "quick job"}); err != nil {
		t.Fatal(err)
	}
	m := recv(t, snd.ch, "announce delivery")
	if m.Channel != "telegram" || m.Out.To != "42" || !strings.HasPrefix(m.Out.Text, `echo: A background task "quick job" just completed successfully.`) ||
		!strings.Contains(m.Out.Text, "Findings:\necho: quick job") {
		t.Fatalf("delivered %+v", m)
	}
	if an := announces(t, e.store, "agent:main:telegram:dm:42"); len(an) != 1 {
		t.Fatalf("announces in the requester session: %q", an)
	}
	if n := snd.count(); n != 1 {
		t.Fatalf("%d deliveries, want 1", n)
	}
}
