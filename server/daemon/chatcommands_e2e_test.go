package daemon

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/gatewaytest"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// finalText is the assistant text of the last chat event of evs.
func finalText(t *testing.T, evs []*gatewaytest.Frame) (state, text string) {
	t.Helper()
	var p struct {
		State   string
		Message struct {
			Content []struct{ Text string }
		}
	}
	if err := json.Unmarshal(evs[len(evs)-1].Payload, &p); err != nil {
		t.Fatal(err)
	}
	for _, c := range p.Message.Content {
		text += c.Text
	}
	return p.State, text
}

// TestChatCommandsOverChatSend: through daemon.Run and chat.send, /status and /new are
// answered by the gateway (the scripted model server sees no request), /new empties
// the transcript, an unknown /foo goes to the model as text, and /stop aborts the
// running turn.
func TestChatCommandsOverChatSend(t *testing.T) {
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
		switch {
		case bytes.Contains(body, []byte("run the long thing")) && !bytes.Contains(body, []byte("call_e")):
			return fakeStep{calls: []fakeCall{{"call_e", "exec", `{"command":"sleep 60"}`}}}
		case bytes.Contains(body, []byte("run the long thing")):
			return fakeStep{text: "should not be asked"}
		}
		return fakeStep{text: fmt.Sprintf("answer %d", n)}
	})
	r := startHome(t, home, agentConfig(ws, model, nil), nil)
	c := r.client(t)

	if st, txt := finalText(t, runChat(t, c, "r1", "hello", nil)); st != "final" || txt != "answer 0" {
		t.Fatalf("first turn: %s %q", st, txt)
	}
	st, txt := finalText(t, runChat(t, c, "r2", "/status", nil))
	for _, want := range []string{"🧠 Model: fake/m1", "🧵 Session: agent:main:main", "🧮 Tokens:", "🪢 Queue: collect (", "⚙️ Runtime: direct · Think: off", "📚 Context: 11/200k (0%)"} {
		if st != "final" || !strings.Contains(txt, want) {
			t.Fatalf("/status: %s %q lacks %q", st, txt, want)
		}
	}
	if n := len(model.requests()); n != 1 {
		t.Fatalf("/status reached the model: %d requests", n)
	}
	if st, txt := finalText(t, runChat(t, c, "r3", "/new", nil)); st != "final" || !strings.Contains(txt, "New session started") {
		t.Fatalf("/new: %s %q", st, txt)
	}
	if n := len(model.requests()); n != 1 {
		t.Fatalf("/new reached the model: %d requests", n)
	}
	var hist struct{ Messages []map[string]any }
	c.MustOK("chat.history", map[string]any{"sessionKey": "main"}, &hist)
	if len(hist.Messages) != 0 {
		t.Fatalf("history after /new: %v", hist.Messages)
	}

	// An unknown command is text for the model, in the fresh session.
	if st, txt := finalText(t, runChat(t, c, "r4", "/foo bar", nil)); st != "final" || txt != "answer 1" {
		t.Fatalf("/foo: %s %q", st, txt)
	}
	reqs := model.requests()
	if len(reqs) != 2 || !bytes.Contains(reqs[1], []byte(`/foo bar`)) || bytes.Contains(reqs[1], []byte(`hello`)) {
		t.Fatalf("/foo request: %d requests, last %s", len(reqs), reqs[len(reqs)-1])
	}

	// /stop aborts the running turn (its exec is running).
	stopped := false
	var stopRes struct{ Status string }
	evs := runChat(t, c, "r5", "run the long thing", func(f *gatewaytest.Frame) {
		if stopped || f.Event != "agent" || !bytes.Contains(f.Payload, []byte(`"stream":"tool"`)) || !bytes.Contains(f.Payload, []byte(`"phase":"start"`)) {
			return
		}
		stopped = true
		c.MustOK("chat.send", map[string]any{"sessionKey": "main", "message": "/stop", "idempotencyKey": "r6"}, &stopRes)
	})
	if st, _ := finalText(t, evs); st != "aborted" || stopRes.Status != "ok" {
		t.Fatalf("/stop: run ended %s, /stop answered %q", st, stopRes.Status)
	}
	if n := len(model.requests()); n != 3 {
		t.Fatalf("model asked %d times; want 3 (no follow-up after /stop)", n)
	}

	// /new with text: a fresh session, then the text goes to the model in it.
	if st, txt := finalText(t, runChat(t, c, "r7", "/new fresh start", nil)); st != "final" || txt != "answer 3" {
		t.Fatalf("/new with text: %s %q", st, txt)
	}
	c.MustOK("chat.history", map[string]any{"sessionKey": "main"}, &hist)
	if len(hist.Messages) != 2 {
		t.Fatalf("history after /new with text: %v", hist.Messages)
	}

	// /approve resolves a pending exec approval, as exec.approval.resolve does.
	requester := r.client(t)
	_, ch := requester.Request("exec.approval.request", map[string]any{"command": "echo hi", "timeoutMs": 60000})
	var ev protocol.ExecApprovalRequestedEvent
	if err := ev.UnmarshalJSON(c.NextEvent("exec.approval.requested").Payload); err != nil {
		t.Fatal(err)
	}
	if st, txt := finalText(t, runChat(t, c, "r8", "/approve "+ev.ID+" allow-once", nil)); st != "final" || !strings.Contains(txt, "allow-once") {
		t.Fatalf("/approve: %s %q", st, txt)
	}
	if f := <-ch; !f.OK || !strings.Contains(string(f.Payload), `"decision":"allow-once"`) {
		t.Fatalf("approval answered %s %+v", f.Payload, f.Error)
	}
	if st, txt := finalText(t, runChat(t, c, "r9", "/approve "+ev.ID+" deny", nil)); st != "final" || !strings.Contains(txt, "not resolved") {
		t.Fatalf("/approve of a resolved id: %s %q", st, txt)
	}
	if n := len(model.requests()); n != 4 {
		t.Fatalf("model asked %d times; want 4", n)
	}
}

// TestChatCommandsOverTelegram: an allowed sender's /status and /new are answered in
// the chat without a model call; in an open group, /new from a member on no allow
// list is ignored (no reply, no reset, no model call), while the owner's /status there
// is answered.
func TestChatCommandsOverTelegram(t *testing.T) {
	model := newRecordingModel(t, func(prompt string) string { return "re: " + prompt })
	bot := tgtest.New(t, tgtest.DefaultToken)
	start(t, fmt.Sprintf(`{
  channels: {telegram: {botToken: %q, apiBaseUrl: %q, allowFrom: ["42"], groupPolicy: "open",
    groups: {"-100": {requireMention: false}, "-200": {}}}},
  models: {providers: {local: {baseUrl: %q, apiKey: "k", models: []}}},
  agents: {defaults: {model: {primary: "local/m"}}},
}`, tgtest.DefaultToken, bot.URL(), model.srv.URL+"/v1"))

	lastTo := func(chat string) string {
		s := sentTo(bot, chat)
		if len(s) == 0 {
			return ""
		}
		return s[len(s)-1].Text
	}
	bot.PushUpdate(42, 42, "hello")
	waitFor(t, "the model's reply", func() bool { return lastTo("42") == "re: hello" })
	bot.PushUpdate(42, 42, "/status")
	waitFor(t, "the status", func() bool { return strings.Contains(lastTo("42"), "🧠 Model: local/m") })
	if got := lastTo("42"); !strings.Contains(got, "🧵 Session: ") {
		t.Fatalf("status reply %q", got)
	}
	bot.PushUpdate(42, 42, "/new")
	waitFor(t, "the reset", func() bool { return strings.Contains(lastTo("42"), "New session started") })
	if c := model.calls(); len(c) != 1 {
		t.Fatalf("model calls: %q", c)
	}

	// Group: the member's /new is ignored; the owner's /status after it is answered
	// (so the /new was handled before it, in order).
	bot.PushMessage(-100, tgtest.User{ID: 42, FirstName: "Ann"}, "group hello")
	waitFor(t, "the group reply", func() bool { return lastTo("-100") == "re: Ann (42): group hello" })
	bot.PushMessage(-100, tgtest.User{ID: 77, FirstName: "Bob"}, "/new")
	bot.PushMessage(-100, tgtest.User{ID: 42, FirstName: "Ann"}, "/status")
	waitFor(t, "the group status", func() bool { return strings.Contains(lastTo("-100"), "🧠 Model:") })
	s := sentTo(bot, "-100")
	if len(s) != 2 || strings.Contains(s[1].Text, "New session") {
		t.Fatalf("group replies %+v", s)
	}
	// The group session was not reset: its status still counts the first exchange.
	if !strings.Contains(s[1].Text, "2 messages") {
		t.Fatalf("group session reset by a member's /new: %q", s[1].Text)
	}
	if c := model.calls(); len(c) != 2 {
		t.Fatalf("model calls: %q", c)
	}

	// A group that needs a mention: the unanswered message is kept as context, and a
	// command after it is still recognised (the context is not part of the command).
	bot.PushMessage(-200, tgtest.User{ID: 42, FirstName: "Ann"}, "just chatting")
	bot.PushMessage(-200, tgtest.User{ID: 42, FirstName: "Ann"}, "/status")
	waitFor(t, "the status in the mention group", func() bool { return strings.Contains(lastTo("-200"), "🧠 Model:") })
	if c := model.calls(); len(c) != 2 {
		t.Fatalf("model calls: %q", c)
	}
}

// TestChatModelCommand: /model switches the session to another configured model (the
// next request goes to that provider with that model), /model with the default model
// clears the override, an unknown provider is refused without a model call, and /think
// is stored on the session.
func TestChatModelCommand(t *testing.T) {
	home := t.TempDir()
	answer := func(name string) *fakeModel {
		return newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep { return fakeStep{text: name} })
	}
	primary, backup := answer("from primary"), answer("from backup")
	r := startHome(t, home, agentConfig(filepath.Join(home, "ws"), primary, backup), nil)
	c := r.client(t)

	if st, txt := finalText(t, runChat(t, c, "m1", "/model backup/m2", nil)); st != "final" || !strings.Contains(txt, "Model set to backup/m2") {
		t.Fatalf("/model: %s %q", st, txt)
	}
	if _, txt := finalText(t, runChat(t, c, "m2", "hi", nil)); txt != "from backup" {
		t.Fatalf("after /model: %q", txt)
	}
	if reqs := backup.requests(); len(reqs) != 1 || !bytes.Contains(reqs[0], []byte(`"model":"m2"`)) {
		t.Fatalf("backup requests %q", reqs)
	}
	if _, txt := finalText(t, runChat(t, c, "m3", "/model nowhere/x", nil)); !strings.Contains(txt, "Model not changed") {
		t.Fatalf("unknown model: %q", txt)
	}
	if _, txt := finalText(t, runChat(t, c, "m4", "/model fake/m1", nil)); !strings.Contains(txt, "default model again") {
		t.Fatalf("default model: %q", txt)
	}
	if _, txt := finalText(t, runChat(t, c, "m5", "hi again", nil)); txt != "from primary" {
		t.Fatalf("after reset to default: %q", txt)
	}
	if _, txt := finalText(t, runChat(t, c, "m6", "/think high", nil)); !strings.Contains(txt, "Thinking level set to high") {
		t.Fatalf("/think: %q", txt)
	}
	var list protocol.SessionsListResult
	c.MustOK("sessions.list", map[string]any{}, &list)
	found := false
	for _, s := range list.Sessions {
		if strings.HasSuffix(s.Key, ":main") {
			found = true
			if s.ThinkingLevel == nil || *s.ThinkingLevel != "high" {
				t.Fatalf("session after /think: %+v", s)
			}
		}
	}
	if !found || len(primary.requests()) != 1 {
		t.Fatalf("main session found %v; primary requests %d", found, len(primary.requests()))
	}
}

// TestResetTriggersFromConfig: session.resetTriggers from the config file start a new
// session over chat.send like /new, without a model call.
func TestResetTriggersFromConfig(t *testing.T) {
	home := t.TempDir()
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
		return fakeStep{text: fmt.Sprintf("answer %d", n)}
	})
	r := startHome(t, home, agentConfigWith(filepath.Join(home, "ws"), model, nil, `session: {resetTriggers: ["/fresh"]},`), nil)
	c := r.client(t)
	if st, txt := finalText(t, runChat(t, c, "r1", "hello", nil)); st != "final" || txt != "answer 0" {
		t.Fatalf("first turn: %s %q", st, txt)
	}
	if st, txt := finalText(t, runChat(t, c, "r2", "/fresh", nil)); st != "final" || !strings.Contains(txt, "New session started") {
		t.Fatalf("/fresh: %s %q", st, txt)
	}
	var hist struct{ Messages []map[string]any }
	c.MustOK("chat.history", map[string]any{"sessionKey": "main"}, &hist)
	if n := len(model.requests()); n != 1 || len(hist.Messages) != 0 {
		t.Fatalf("after /fresh: %d model requests, history %v", n, hist.Messages)
	}
	if st, txt := finalText(t, runChat(t, c, "r3", "/fresh again", nil)); st != "final" || txt != "answer 1" {
		t.Fatalf("/fresh with text: %s %q", st, txt)
	}
	reqs := model.requests()
	if last := reqs[len(reqs)-1]; !bytes.Contains(last, []byte(`again`)) || bytes.Contains(last, []byte(`hello`)) || bytes.Contains(last, []byte(`/fresh`)) {
		t.Fatalf("/fresh again request: %s", last)
	}
}

// TestStatusShowsSessionState: over a real WebSocket, /status through chat.send shows
// the session's effective levels — thinking from agents.defaults.thinkingDefault (which
// also reaches the model as reasoning_effort), then /think and sessions.patch's
// verbose and reasoning levels — the context the last request used of the catalog's
// window, and the last run's cost priced from the catalog (both steps of a tool-using
// run); neither /status nor /think reaches the model server.
func TestStatusShowsSessionState(t *testing.T) {
	home := t.TempDir()
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
		if n == 0 {
			return fakeStep{calls: []fakeCall{{"call_1", "exec", `{"command":"echo hi"}`}}, prompt: 1000}
		}
		return fakeStep{text: fmt.Sprintf("answer %d", n), prompt: 1200}
	})
	cfg := agentConfigWith(filepath.Join(home, "ws"), model, nil, "")
	cfg = strings.Replace(cfg, "models: []}", `models: [{id: "m1", name: "M1", reasoning: true, contextWindow: 8000, cost: {input: 2, output: 10}}]}`, 1)
	cfg = strings.Replace(cfg, "agents: {defaults: {", `agents: {defaults: {thinkingDefault: "low", `, 1)
	if !strings.Contains(cfg, "contextWindow: 8000") || !strings.Contains(cfg, `thinkingDefault: "low"`) {
		t.Fatalf("test config not rewritten: %s", cfg)
	}
	r := startHome(t, home, cfg, nil)
	c := r.client(t)

	if st, txt := finalText(t, runChat(t, c, "s1", "hello", nil)); st != "final" || txt != "answer 1" {
		t.Fatalf("first turn: %s %q", st, txt)
	}
	reqs := model.requests()
	if len(reqs) != 2 || !bytes.Contains(reqs[0], []byte(`"reasoning_effort":"low"`)) {
		t.Fatalf("thinkingDefault did not reach the model: %d requests, first %s", len(reqs), reqs[0])
	}
	status := func(id string) string {
		t.Helper()
		st, txt := finalText(t, runChat(t, c, id, "/status", nil))
		if st != "final" {
			t.Fatalf("/status ended %s: %q", st, txt)
		}
		return txt
	}
	// The run's two steps: 2200 prompt and 14 output tokens; cost (1000·2 + 7·10 +
	// 1200·2 + 7·10) / 1e6 = $0.00454; the last request's prompt was 1200 of 8000.
	txt := status("s2")
	for _, want := range []string{
		"🧠 Model: fake/m1",
		"🧮 Tokens: 2.2k in / 14 out · 💵 Cost: $0.0045",
		"📚 Context: 1.2k/8.0k (15%)",
		"⚙️ Runtime: direct · Think: low\n",
		// messages.queue.cap's default; not "running": the first turn's outcome is
		// recorded before its final event, which runChat waited for.
		"🪢 Queue: collect (depth 0 · cap 20)",
	} {
		if !strings.Contains(txt, want) {
			t.Fatalf("/status\n%s\nlacks %q", txt, want)
		}
	}

	c.MustOK("sessions.patch", map[string]any{"key": "main", "verboseLevel": "full", "reasoningLevel": "on"}, nil)
	if _, txt := finalText(t, runChat(t, c, "s3", "/think high", nil)); !strings.Contains(txt, "Thinking level set to high") {
		t.Fatalf("/think: %q", txt)
	}
	if txt := status("s4"); !strings.Contains(txt, "⚙️ Runtime: direct · Think: high · verbose:full · Reasoning: on\n") {
		t.Fatalf("/status after patch and /think:\n%s", txt)
	}
	// /think off falls back to the configured default, as in the original.
	if _, txt := finalText(t, runChat(t, c, "s5", "/think off", nil)); !strings.Contains(txt, "Thinking level set to off") {
		t.Fatalf("/think off: %q", txt)
	}
	if txt := status("s6"); !strings.Contains(txt, "Think: low · verbose:full") {
		t.Fatalf("/status after /think off:\n%s", txt)
	}
	if n := len(model.requests()); n != 2 {
		t.Fatalf("commands reached the model: %d requests, want 2", n)
	}
}
