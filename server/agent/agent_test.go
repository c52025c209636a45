package agent

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/sessions"
)

func TestAgentTwoStageAndEventOrder(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.dial(3)
	ch := c.send("agent", map[string]any{"message": "tell me", "sessionKey": "main", "idempotencyKey": "run-1"})
	first := next(t, ch, "accepted")
	if !first.OK || status(t, first) != "accepted" {
		t.Fatalf("first res: %s", first.Raw)
	}
	var acc struct {
		RunID      string
		AcceptedAt int64
	}
	_ = json.Unmarshal(first.Payload, &acc)
	if acc.RunID != "run-1" || acc.AcceptedAt == 0 {
		t.Fatalf("accepted payload: %s", first.Payload)
	}
	final := next(t, ch, "final")
	var fin struct {
		RunID, Status, Summary string
		Result                 struct {
			Payloads []struct{ Text string }
		}
	}
	if err := json.Unmarshal(final.Payload, &fin); err != nil || !final.OK || first.ID != final.ID {
		t.Fatalf("final res: %s", final.Raw)
	}
	if fin.RunID != "run-1" || fin.Status != "ok" || fin.Summary != "completed" || len(fin.Result.Payloads) != 1 || fin.Result.Payloads[0].Text != "echo: tell me" {
		t.Fatalf("final payload: %s", final.Payload)
	}

	agents, chats := c.runEvents("run-1", true)
	for i, ev := range agents {
		if ev.Seq != int64(i+1) {
			t.Fatalf("per-run seq not contiguous from 1: %+v", agents)
		}
		if ev.SessionKey != "agent:main:main" {
			t.Fatalf("agent event without the session key: %+v", ev)
		}
	}
	if agents[0].Stream != "lifecycle" || agents[0].Data["phase"] != "start" {
		t.Fatalf("first event %+v, want lifecycle start", agents[0])
	}
	last := agents[len(agents)-1]
	if last.Stream != "lifecycle" || last.Data["phase"] != "end" || last.Data["startedAt"] == nil || last.Data["endedAt"] == nil {
		t.Fatalf("last event %+v, want lifecycle end", last)
	}
	var texts []string
	for _, ev := range agents[1 : len(agents)-1] {
		if ev.Stream != "assistant" {
			t.Fatalf("unexpected event between start and end: %+v", ev)
		}
		texts = append(texts, ev.Data["text"].(string))
	}
	if len(texts) != 3 || texts[2] != "echo: tell me" {
		t.Fatalf("assistant texts %q", texts)
	}
	for i := 1; i < len(texts); i++ {
		if !strings.HasPrefix(texts[i], texts[i-1]) || len(texts[i]) <= len(texts[i-1]) {
			t.Fatalf("assistant text is not cumulative: %q", texts)
		}
	}
	fc := chats[len(chats)-1]
	if fc.State != "final" || fc.text() != "echo: tell me" || fc.Seq != last.Seq || fc.SessionKey != "agent:main:main" {
		t.Fatalf("chat final %+v (lifecycle end seq %d)", fc, last.Seq)
	}
	// The upstream saw the system prompt and the prompt.
	body := e.up.lastBody()
	if body.Model != "test-model" || body.Messages[0].Role != "system" || body.Messages[len(body.Messages)-1].Content != "tell me" {
		t.Fatalf("upstream request: %+v", body)
	}
	// agent.wait answers from the finished-run cache.
	var w struct{ RunID, Status string }
	c.mustOK("agent.wait", map[string]any{"runId": "run-1", "timeoutMs": 0}, &w)
	if w.Status != "ok" {
		t.Fatalf("agent.wait: %+v", w)
	}
}

func TestAgentWithoutSessionKeyHasNoChatEvents(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.dial(3)
	ch := c.send("agent", map[string]any{"message": "plain", "idempotencyKey": "run-ns"})
	next(t, ch, "accepted")
	if f := next(t, ch, "final"); !f.OK {
		t.Fatalf("final: %s", f.Raw)
	}
	agents, _ := c.runEvents("run-ns", false)
	for _, ev := range agents {
		if ev.SessionKey != "" {
			t.Fatalf("agent event carries a session key: %+v", ev)
		}
	}
	// The final chat event would have been broadcast before the final res; none came.
	for len(c.Events) > 0 {
		if f := <-c.Events; f.Event == "chat" {
			t.Fatalf("chat event for a run without a session key: %s", f.Raw)
		}
	}
}

func TestAbortMidStreamCancelsUpstream(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.dial(3)
	var st struct{ RunID, Status string }
	c.mustOK("chat.send", map[string]any{"sessionKey": "main", "message": "hang on", "idempotencyKey": "c-abort"}, &st)
	if st.Status != "started" || st.RunID != "c-abort" {
		t.Fatalf("chat.send v3: %+v", st)
	}
	recv(t, e.up.started, "upstream request")
	c.waitEvent(func(f *frame) bool { return f.Event == "agent" && strings.Contains(string(f.Payload), `"partial"`) })

	// Another session's key does not match the run.
	if f := c.call("chat.abort", map[string]any{"sessionKey": "other", "runId": "c-abort"}); f.OK || f.Error.Code != "INVALID_REQUEST" || f.Error.Message != "runId does not match sessionKey" {
		t.Fatalf("abort with another session: %s", f.Raw)
	}
	var ab struct {
		Ok, Aborted bool
		RunIds      []string
	}
	c.mustOK("chat.abort", map[string]any{"sessionKey": "main", "runId": "c-abort"}, &ab)
	if !ab.Aborted || len(ab.RunIds) != 1 || ab.RunIds[0] != "c-abort" {
		t.Fatalf("chat.abort: %+v", ab)
	}
	if p := recv(t, e.up.cancelled, "upstream cancellation"); p != "hang on" {
		t.Fatalf("cancelled %q", p)
	}
	agents, chats := c.runEvents("c-abort", true)
	last := agents[len(agents)-1]
	if last.Data["phase"] != "end" || last.Data["aborted"] != true {
		t.Fatalf("lifecycle after abort: %+v", last)
	}
	if fc := chats[len(chats)-1]; fc.State != "aborted" || fc.Seq != last.Seq {
		t.Fatalf("chat after abort: %+v", fc)
	}
	var w struct{ Status, Error string }
	c.mustOK("agent.wait", map[string]any{"runId": "c-abort"}, &w)
	if w.Status != "error" || w.Error != "run aborted" {
		t.Fatalf("agent.wait after abort: %+v", w)
	}
	// Nothing left to abort.
	c.mustOK("chat.abort", map[string]any{"sessionKey": "main", "runId": "c-abort"}, &ab)
	if ab.Aborted {
		t.Fatal("aborted a finished run")
	}
}

func TestTimeoutIsAgentTimeout(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.dial(3)
	ch := c.send("agent", map[string]any{"message": "hang forever", "sessionKey": "main", "timeout": 1, "idempotencyKey": "run-slow"})
	next(t, ch, "accepted")
	f := next(t, ch, "final")
	if f.OK || f.Error == nil || f.Error.Code != "AGENT_TIMEOUT" || status(t, f) != "timeout" {
		t.Fatalf("timed-out run: %s", f.Raw)
	}
	recv(t, e.up.cancelled, "upstream cancellation")
	agents, chats := c.runEvents("run-slow", true)
	if last := agents[len(agents)-1]; last.Data["phase"] != "error" || !strings.Contains(last.Data["error"].(string), "timed out after 1s") {
		t.Fatalf("lifecycle: %+v", last)
	}
	if fc := chats[len(chats)-1]; fc.State != "error" {
		t.Fatalf("chat: %+v", fc)
	}
	// timeout 0 is refused up front.
	if f := c.call("agent", map[string]any{"message": "x", "timeout": 0, "idempotencyKey": "run-zero"}); f.OK || f.Error.Code != "INVALID_REQUEST" {
		t.Fatalf("timeout 0: %s", f.Raw)
	}
}

func TestUpstreamErrorIsStatusError(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.dial(3)
	ch := c.send("agent", map[string]any{"message": "fail please", "sessionKey": "main", "idempotencyKey": "run-bad"})
	next(t, ch, "accepted")
	f := next(t, ch, "final")
	if f.OK || f.Error.Code != "UNAVAILABLE" || status(t, f) != "error" || !strings.Contains(f.Error.Message, "model exploded") {
		t.Fatalf("failed run: %s", f.Raw)
	}
	var pl struct{ Summary string }
	_ = json.Unmarshal(f.Payload, &pl)
	if !strings.Contains(pl.Summary, "model exploded") {
		t.Fatalf("summary: %s", f.Payload)
	}
	agents, chats := c.runEvents("run-bad", true)
	if last := agents[len(agents)-1]; last.Data["phase"] != "error" {
		t.Fatalf("lifecycle: %+v", last)
	}
	if fc := chats[len(chats)-1]; fc.State != "error" || !strings.Contains(fc.ErrorMessage, "model exploded") {
		t.Fatalf("chat: %+v", fc)
	}
	// A retry of a failed run replays the failure (one res), it does not run again.
	f = c.call("agent", map[string]any{"message": "fail please", "sessionKey": "main", "idempotencyKey": "run-bad"})
	if f.OK || status(t, f) != "error" || e.up.requests.Load() != 1 {
		t.Fatalf("retry of a failed run: %s (upstream requests %d)", f.Raw, e.up.requests.Load())
	}
}

func TestIdempotentRetrySameRun(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.dial(3)
	params := map[string]any{"message": "gate:g1 go", "sessionKey": "main", "idempotencyKey": "run-dup"}
	ch := c.send("agent", params)
	next(t, ch, "accepted")
	recv(t, e.up.started, "upstream request")

	// Concurrent duplicates from several connections while in flight: each gets the
	// accepted answer, none starts a run.
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := e.dial(3)
			f := d.call("agent", params)
			if !f.OK || status(t, f) != "accepted" {
				t.Errorf("in-flight duplicate: %s", f.Raw)
			}
		}()
	}
	wg.Wait()
	// The same through chat.send (v3): in_flight.
	var cs struct{ RunID, Status string }
	c.mustOK("chat.send", map[string]any{"sessionKey": "main", "message": "gate:g1 go", "idempotencyKey": "run-dup"}, &cs)
	if cs.Status != "in_flight" {
		t.Fatalf("chat.send duplicate in flight: %+v", cs)
	}
	e.up.release("g1")
	if f := next(t, ch, "final"); !f.OK || status(t, f) != "ok" {
		t.Fatalf("final: %s", f.Raw)
	}
	// After it finished: the final answer, once.
	f := c.call("agent", params)
	var fin struct {
		RunID, Status string
		Result        struct{ Payloads []struct{ Text string } }
	}
	_ = json.Unmarshal(f.Payload, &fin)
	if !f.OK || fin.Status != "ok" || fin.RunID != "run-dup" || fin.Result.Payloads[0].Text != "Hello world" {
		t.Fatalf("retry after finish: %s", f.Raw)
	}
	if n := e.up.requests.Load(); n != 1 {
		t.Fatalf("upstream requests = %d, want 1", n)
	}
	// The transcript has the prompt once.
	h, _ := e.store.History(context.Background(), "agent:main:main", 100, 0)
	if len(h) != 2 {
		t.Fatalf("transcript: %+v", h)
	}
}

func TestHistorySurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	up := newUpstream(t)
	e := newEnv(t, envOpts{dir: dir, up: up})
	c := e.dial(2)
	var st struct{ RunID, Status string }
	c.mustOK("chat.send", map[string]any{"sessionKey": "main", "message": "remember this", "idempotencyKey": "c-1"}, &st)
	if st.Status != "ok" {
		t.Fatalf("chat.send v2: %+v", st)
	}
	e.stop()

	e2 := newEnv(t, envOpts{dir: dir, up: up})
	c2 := e2.dial(3)
	var h struct {
		SessionKey, SessionID string
		Messages              []struct {
			Role    string
			Content []struct{ Type, Text string }
		}
	}
	c2.mustOK("chat.history", map[string]any{"sessionKey": "main"}, &h)
	if h.SessionKey != "agent:main:main" || h.SessionID == "" || len(h.Messages) != 2 ||
		h.Messages[0].Role != "user" || h.Messages[0].Content[0].Text != "remember this" ||
		h.Messages[1].Role != "assistant" || h.Messages[1].Content[0].Text != "echo: remember this" {
		t.Fatalf("history after restart: %+v", h)
	}
	c2.mustOK("chat.history", map[string]any{"sessionKey": "main", "limit": 1}, &h)
	if len(h.Messages) != 1 || h.Messages[0].Role != "assistant" {
		t.Fatalf("limit 1: %+v", h)
	}
	// The next turn sends the stored history upstream.
	c2.mustOK("chat.send", map[string]any{"sessionKey": "main", "message": "and now?", "idempotencyKey": "c-2"}, &st)
	c2.runEvents("c-2", true)
	body := up.lastBody()
	if len(body.Messages) != 4 || body.Messages[1].Content != "remember this" || body.Messages[2].Content != "echo: remember this" {
		t.Fatalf("context after restart: %+v", body.Messages)
	}
	var list struct {
		Count    int
		Path     string
		Sessions []struct{ Key, SessionID string }
	}
	c2.mustOK("sessions.list", map[string]any{}, &list)
	if list.Count != 1 || list.Sessions[0].Key != "agent:main:main" || list.Sessions[0].SessionID != h.SessionID || !strings.HasSuffix(list.Path, "sessions.db") {
		t.Fatalf("sessions.list: %+v", list)
	}
	var health struct {
		Sessions struct {
			Count  int
			Recent []struct{ Key string }
		}
	}
	c2.mustOK("health", map[string]any{"probe": true}, &health)
	if health.Sessions.Count != 1 || len(health.Sessions.Recent) != 1 {
		t.Fatalf("health sessions: %+v", health.Sessions)
	}
}

func TestQueuePerSession(t *testing.T) {
	e := newEnv(t, envOpts{tweak: func(o *Options) { o.MaxQueuePerSession = 1; o.QueueRetryAfter = 1500 * time.Millisecond }})
	c := e.dial(3)
	send := func(key, msg string) *frame {
		return c.call("chat.send", map[string]any{"sessionKey": "main", "message": msg, "idempotencyKey": key})
	}
	if f := send("q-a", "gate:a first"); !f.OK || status(t, f) != "started" {
		t.Fatalf("a: %s", f.Raw)
	}
	if p := recv(t, e.up.started, "a upstream"); p != "gate:a first" {
		t.Fatalf("first upstream request %q", p)
	}
	if f := send("q-b", "gate:b second"); !f.OK || status(t, f) != "started" {
		t.Fatalf("b: %s", f.Raw)
	}
	// Over the bound: refused with a retry hint, nothing stored.
	f := send("q-c", "third")
	if f.OK || f.Error.Code != "UNAVAILABLE" || f.Error.RetryAfterMs == nil || *f.Error.RetryAfterMs != 1500 {
		t.Fatalf("over the queue bound: %s", f.Raw)
	}
	// Another session is not blocked by this one's queue (maxConcurrent 1 makes it
	// wait for a slot, but it is accepted).
	var other struct{ Status string }
	c.mustOK("chat.send", map[string]any{"sessionKey": "other", "message": "elsewhere", "idempotencyKey": "q-o"}, &other)
	select {
	case p := <-e.up.started:
		t.Fatalf("a second run started while the first runs: %q", p)
	default:
	}
	// b starts only after a ended.
	var order []string
	e.up.release("a")
	e.up.release("b")
	deadline := time.After(wait)
	for len(order) < 4 {
		select {
		case fr := <-c.Events:
			if fr.Event != "agent" {
				continue
			}
			var ev agentEv
			_ = json.Unmarshal(fr.Payload, &ev)
			if ev.Stream == "lifecycle" && (ev.RunID == "q-a" || ev.RunID == "q-b") {
				order = append(order, ev.RunID+":"+ev.Data["phase"].(string))
			}
		case <-deadline:
			t.Fatalf("lifecycle order so far: %v", order)
		}
	}
	if strings.Join(order, " ") != "q-a:start q-a:end q-b:start q-b:end" {
		t.Fatalf("lifecycle order %v", order)
	}
	h, _ := e.store.History(context.Background(), "agent:main:main", 100, 0)
	var texts []string
	for _, m := range h {
		texts = append(texts, m.Text)
	}
	if strings.Join(texts, "|") != "gate:a first|gate:b second|Hello world|Hello world" {
		t.Fatalf("transcript %q", texts)
	}
	// b's model context is the transcript as of its own prompt: a's prompt and reply
	// (written before b ran) and b's prompt, never prompts queued behind it.
	if _, ok := e.rt.Wait(context.Background(), "q-o", wait); !ok {
		t.Fatal("other session's run did not finish")
	}
}

func TestChatSendV2ShapesAndErrors(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.dial(2)
	ch := c.send("chat.send", map[string]any{"sessionKey": "main", "message": "v2 hello", "idempotencyKey": "v2-ok"})
	f := next(t, ch, "chat.send answer")
	var r struct{ RunID, Status string }
	if !f.OK || json.Unmarshal(f.Payload, &r) != nil || r.RunID != "v2-ok" || r.Status != "ok" {
		t.Fatalf("v2 chat.send: %s", f.Raw)
	}
	select {
	case extra := <-ch:
		t.Fatalf("v2 chat.send answered twice: %s", extra.Raw)
	case <-time.After(100 * time.Millisecond):
	}
	f = c.call("chat.send", map[string]any{"sessionKey": "main", "message": "fail now", "idempotencyKey": "v2-bad"})
	if f.OK || f.Error.Code != "UNAVAILABLE" || status(t, f) != "error" {
		t.Fatalf("v2 failure: %s", f.Raw)
	}
	// Bad input changes nothing.
	for _, p := range []map[string]any{
		{"sessionKey": "agent:main", "message": "x", "idempotencyKey": "bad-1"},
		{"sessionKey": "main", "message": strings.Repeat("x", sessions.DefaultMaxMessageBytes+1), "idempotencyKey": "bad-2"},
	} {
		if f := c.call("chat.send", p); f.OK || f.Error.Code != "INVALID_REQUEST" {
			t.Fatalf("bad chat.send accepted: %s", f.Raw)
		}
	}
	h, _ := e.store.History(context.Background(), "agent:main:main", 100, 0)
	// v2 hello, its reply, fail now, and the failed step (stopReason "error", as the
	// original records it).
	if len(h) != 4 || h[3].Role != "assistant" || !strings.Contains(string(h[3].Body), `"stopReason":"error"`) {
		t.Fatalf("transcript after bad input: %d messages", len(h))
	}
}

func TestDeliverThroughSender(t *testing.T) {
	snd := newFakeSender()
	e := newEnv(t, envOpts{sender: snd})
	c := e.dial(3)
	ch := c.send("agent", map[string]any{"message": "ping", "sessionKey": "main", "deliver": true, "channel": "telegram", "to": "99", "idempotencyKey": "d-1"})
	next(t, ch, "accepted")
	if f := next(t, ch, "final"); !f.OK {
		t.Fatalf("final: %s", f.Raw)
	}
	got := recv(t, snd.ch, "delivery")
	if got.Channel != "telegram" || got.Out.To != "99" || got.Out.Text != "echo: ping" {
		t.Fatalf("delivered %+v", got)
	}
	// webchat never delivers.
	ch = c.send("agent", map[string]any{"message": "quiet", "sessionKey": "main", "deliver": true, "channel": "webchat", "idempotencyKey": "d-2"})
	next(t, ch, "accepted")
	next(t, ch, "final")
	if snd.count() != 1 {
		t.Fatalf("webchat run delivered")
	}
	// No recipient: refused before anything is stored.
	if f := c.call("agent", map[string]any{"message": "x", "sessionKey": "fresh", "deliver": true, "idempotencyKey": "d-3"}); f.OK || f.Error.Code != "INVALID_REQUEST" {
		t.Fatalf("deliver without recipient: %s", f.Raw)
	}
	// A failing provider fails the run.
	snd.mu.Lock()
	snd.failing = true
	snd.mu.Unlock()
	ch = c.send("agent", map[string]any{"message": "ping2", "sessionKey": "main", "deliver": true, "channel": "telegram", "to": "99", "idempotencyKey": "d-4"})
	next(t, ch, "accepted")
	if f := next(t, ch, "final"); f.OK || !strings.Contains(f.Error.Message, "network down") {
		t.Fatalf("failed delivery: %s", f.Raw)
	}
}

func TestDeliverWithoutProviders(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.dial(3)
	f := c.call("agent", map[string]any{"message": "x", "deliver": true, "channel": "whatsapp", "to": "+15551234567", "idempotencyKey": "np-1"})
	if f.OK || f.Error.Code != "UNAVAILABLE" || !strings.Contains(f.Error.Message, "no messaging providers") {
		t.Fatalf("deliver without a sender: %s", f.Raw)
	}
}

func TestAutoReplyThroughSender(t *testing.T) {
	snd := newFakeSender()
	e := newEnv(t, envOpts{sender: snd})
	c := e.dial(3)
	msg := providers.Message{Channel: providers.Telegram, From: "42", SenderName: "Alice", ChatID: "42", MessageID: "7", Text: "hello bot", Time: time.Now()}
	e.rt.Inbound(context.Background(), msg)
	got := recv(t, snd.ch, "auto-reply")
	if got.Channel != providers.Telegram || got.Out.To != "42" || got.Out.Text != "echo: hello bot" {
		t.Fatalf("auto-reply %+v", got)
	}
	key := "agent:main:telegram:42"
	_, chats := c.runEvents("telegram::42:7", true)
	if fc := chats[len(chats)-1]; fc.SessionKey != key || fc.State != "final" {
		t.Fatalf("chat final for the inbound run: %+v", fc)
	}
	// The same message delivered again is answered once.
	e.rt.Inbound(context.Background(), msg)
	if r := e.rt.Lookup("telegram::42:7"); r == nil || !r.Finished() {
		t.Fatal("inbound run not found")
	}
	if snd.count() != 1 || e.up.requests.Load() != 1 {
		t.Fatalf("duplicate inbound answered again: sends %d, upstream %d", snd.count(), e.up.requests.Load())
	}
	// A second sender has their own session; the first sender's next message sees
	// their own history only.
	e.rt.Inbound(context.Background(), providers.Message{Channel: providers.Telegram, From: "43", ChatID: "43", MessageID: "8", Text: "other person"})
	recv(t, snd.ch, "second auto-reply")
	e.rt.Inbound(context.Background(), providers.Message{Channel: providers.Telegram, From: "42", ChatID: "42", MessageID: "9", Text: "again"})
	recv(t, snd.ch, "third auto-reply")
	body := e.up.lastBody()
	for _, m := range body.Messages {
		if strings.Contains(m.Content, "other person") {
			t.Fatalf("sessions leaked: %+v", body.Messages)
		}
	}
	if len(body.Messages) != 4 { // system, hello bot, echo, again
		t.Fatalf("context: %+v", body.Messages)
	}
	ss, err := e.store.Get(context.Background(), key)
	if err != nil || ss.LastChannel != "telegram" || ss.LastTo != "42" || ss.DisplayName != "Alice" {
		t.Fatalf("sender session: %+v %v", ss, err)
	}
}

func TestWakeAndSessionsMethods(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.dial(3)
	var w struct{ Ok bool }
	c.mustOK("wake", map[string]any{"mode": "next-heartbeat", "text": "   "}, &w)
	if w.Ok {
		t.Fatal("whitespace wake accepted")
	}
	c.mustOK("wake", map[string]any{"mode": "now", "text": "Backup finished"}, &w)
	if !w.Ok {
		t.Fatal("wake refused")
	}
	if p := recv(t, e.up.started, "heartbeat request"); p != HeartbeatPrompt {
		t.Fatalf("heartbeat prompt %q", p)
	}
	c.waitEvent(func(f *frame) bool {
		return f.Event == "chat" && strings.Contains(string(f.Payload), `"final"`)
	})
	body := e.up.lastBody()
	found := false
	for _, m := range body.Messages {
		// Notes reach the model as user messages (the system prompt is separate).
		found = found || (m.Role == "user" && strings.Contains(m.Content, "System note: Backup finished"))
	}
	if !found {
		t.Fatalf("heartbeat did not see the note: %+v", body.Messages)
	}
	// sessions.delete refuses the main session; reset gives a new transcript.
	if f := c.call("sessions.delete", map[string]any{"key": "main"}); f.OK || f.Error.Message != "Cannot delete the main session (agent:main:main)." {
		t.Fatalf("delete main: %s", f.Raw)
	}
	var before struct{ SessionID string }
	c.mustOK("chat.history", map[string]any{"sessionKey": "main"}, &before)
	var rs struct {
		Ok    bool
		Key   string
		Entry struct{ SessionID string }
	}
	c.mustOK("sessions.reset", map[string]any{"key": "main"}, &rs)
	if rs.Key != "agent:main:main" || rs.Entry.SessionID == "" || rs.Entry.SessionID == before.SessionID {
		t.Fatalf("reset: %+v (before %s)", rs, before.SessionID)
	}
	var h struct{ Messages []any }
	c.mustOK("chat.history", map[string]any{"sessionKey": "main"}, &h)
	if len(h.Messages) != 0 {
		t.Fatalf("history after reset: %+v", h)
	}
	// Delete a session with a running run: the run is aborted first.
	c.mustOK("chat.send", map[string]any{"sessionKey": "doomed", "message": "hang there", "idempotencyKey": "del-1"}, nil)
	recv(t, e.up.started, "doomed run")
	var del struct {
		Deleted  bool
		Archived []string
	}
	c.mustOK("sessions.delete", map[string]any{"key": "doomed"}, &del)
	if !del.Deleted || len(del.Archived) != 1 {
		t.Fatalf("delete: %+v", del)
	}
	recv(t, e.up.cancelled, "doomed run cancelled")
	var list struct{ Count int }
	c.mustOK("sessions.list", map[string]any{}, &list)
	if list.Count != 1 {
		t.Fatalf("sessions after delete: %+v", list)
	}
}

func TestAbortAllRunsOfSession(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.dial(3)
	c.mustOK("chat.send", map[string]any{"sessionKey": "main", "message": "hang first", "idempotencyKey": "all-a"}, nil)
	recv(t, e.up.started, "first run upstream")
	c.mustOK("chat.send", map[string]any{"sessionKey": "main", "message": "second, queued", "idempotencyKey": "all-b"}, nil)
	var ab struct {
		Aborted bool
		RunIds  []string
	}
	c.mustOK("chat.abort", map[string]any{"sessionKey": "main"}, &ab)
	if !ab.Aborted || strings.Join(ab.RunIds, ",") != "all-a,all-b" {
		t.Fatalf("abort all: %+v", ab)
	}
	recv(t, e.up.cancelled, "first run cancelled")
	for _, id := range []string{"all-a", "all-b"} {
		out, ok := e.rt.Wait(context.Background(), id, wait)
		if !ok || out.Status != StatusAborted {
			t.Fatalf("%s: %+v %v", id, out, ok)
		}
	}
	if n := e.up.requests.Load(); n != 1 {
		t.Fatalf("the queued run reached the upstream (%d requests)", n)
	}
	// agent.wait for a run nobody started times out.
	var w struct{ Status string }
	c.mustOK("agent.wait", map[string]any{"runId": "never", "timeoutMs": 50}, &w)
	if w.Status != "timeout" {
		t.Fatalf("agent.wait unknown run: %+v", w)
	}
}

func TestChatSendDeliverIsBestEffort(t *testing.T) {
	snd := newFakeSender()
	e := newEnv(t, envOpts{sender: snd})
	c := e.dial(3)
	// No route yet: the run succeeds, nothing is sent.
	c.mustOK("chat.send", map[string]any{"sessionKey": "agent:main:telegram:42", "message": "first", "deliver": true, "idempotencyKey": "be-1"}, nil)
	if out, ok := e.rt.Wait(context.Background(), "be-1", wait); !ok || out.Status != StatusOK {
		t.Fatalf("run without a route: %+v", out)
	}
	if snd.count() != 0 {
		t.Fatal("delivered without a route")
	}
	// Once the sender wrote in, the session's last route is used.
	e.rt.Inbound(context.Background(), providers.Message{Channel: providers.Telegram, From: "42", ChatID: "42", MessageID: "1", Text: "hi"})
	recv(t, snd.ch, "auto-reply")
	c.mustOK("chat.send", map[string]any{"sessionKey": "agent:main:telegram:42", "message": "from webchat", "deliver": true, "idempotencyKey": "be-2"}, nil)
	got := recv(t, snd.ch, "delivery of the webchat turn")
	if got.Channel != "telegram" || got.Out.To != "42" || got.Out.Text != "echo: from webchat" {
		t.Fatalf("delivered %+v", got)
	}
}

// TestFinalReplyCarriesRunStats: a text turn commits twice — the prompt (creating the
// session) and the final reply with the run's token counts — instead of adding a third
// commit for the stats; a failed run still records its stats in a commit of its own.
func TestFinalReplyCarriesRunStats(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.dial(3)
	ctx := context.Background()
	before := e.store.WriterStats()
	c.mustOK("chat.send", map[string]any{"sessionKey": "stats", "message": "hello", "idempotencyKey": "st-1"}, nil)
	if out, ok := e.rt.Wait(ctx, "st-1", wait); !ok || out.Status != StatusOK {
		t.Fatalf("run: %+v", out)
	}
	after := e.store.WriterStats()
	if n := after.Writes - before.Writes; n != 2 {
		t.Fatalf("text turn: %d writes, want 2 (prompt, reply with stats)", n)
	}
	ss, err := e.store.Get(ctx, "agent:main:stats")
	if err != nil {
		t.Fatal(err)
	}
	if ss.InputTokens != 7 || ss.OutputTokens != 3 || ss.TotalTokens != 10 || ss.AbortedLastRun || ss.Messages != 2 {
		t.Fatalf("session after the turn: %+v", ss)
	}
	// A failed run: its error step, then its stats (synced) on their own.
	before = e.store.WriterStats()
	c.mustOK("chat.send", map[string]any{"sessionKey": "stats", "message": "fail now", "idempotencyKey": "st-2"}, nil)
	if out, ok := e.rt.Wait(ctx, "st-2", wait); !ok || out.Status != StatusError {
		t.Fatalf("failing run: %+v", out)
	}
	after = e.store.WriterStats()
	if n := after.Writes - before.Writes; n != 3 {
		t.Fatalf("failed turn: %d writes, want 3 (prompt, error step, stats)", n)
	}
	if ss, err = e.store.Get(ctx, "agent:main:stats"); err != nil || ss.TotalTokens != 0 || ss.Messages != 4 {
		t.Fatalf("session after the failed turn: %+v, %v", ss, err)
	}
}

// TestDeliverReplyMedia: a delivered reply's MEDIA: lines become media sends. Local
// files outside the roots are refused; a file that fails to send passes the text on
// to the next one, and when none is left the text goes alone.
func TestDeliverReplyMedia(t *testing.T) {
	snd := newFakeSender()
	ws := t.TempDir()
	if err := os.WriteFile(filepath.Join(ws, "a.png"), []byte("png"), 0o600); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "secret.txt")
	if err := os.WriteFile(outside, []byte("s"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, envOpts{sender: snd, tweak: func(o *Options) {
		o.ReplyMedia = func(string) providers.ReplyMediaRoots {
			return providers.ReplyMediaRoots{Workspace: ws, Roots: []string{ws}}
		}
	}})
	c := e.dial(3)
	run := func(id, msg string) {
		t.Helper()
		ch := c.send("agent", map[string]any{"message": msg, "sessionKey": "main", "deliver": true, "channel": "telegram", "to": "99", "idempotencyKey": id})
		next(t, ch, "accepted")
		if f := next(t, ch, "final"); !f.OK {
			t.Fatalf("final: %s", f.Raw)
		}
	}
	realA, _ := filepath.EvalSymlinks(filepath.Join(ws, "a.png"))
	run("rm-1", "look\nMEDIA: https://x.invalid/fail.png\nMEDIA: ./a.png\nMEDIA: "+outside+"\nMEDIA: https://x.invalid/b.jpg")
	got := []providers.Outbound{recv(t, snd.ch, "first").Out, recv(t, snd.ch, "second").Out}
	if got[0].MediaPath != realA || got[0].Text != "echo: look" || got[0].MediaURL != "" {
		t.Fatalf("first delivery %+v", got[0])
	}
	if got[1].MediaURL != "https://x.invalid/b.jpg" || got[1].Text != "" {
		t.Fatalf("second delivery %+v", got[1])
	}
	run("rm-2", "only\nMEDIA: https://x.invalid/fail.png")
	if o := recv(t, snd.ch, "text alone").Out; o.Text != "echo: only" || o.MediaURL != "" || o.MediaPath != "" {
		t.Fatalf("text after a failed file: %+v", o)
	}
	if n := snd.count(); n != 3 {
		t.Fatalf("%d deliveries, want 3", n)
	}
}
