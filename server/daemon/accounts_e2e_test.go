package daemon

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// tokenWork is a second well-formed bot token (tgtest checks the format).
const tokenWork = "654321:TEST-abcdefghijklmnopqrstuvwxyz0123"

// bodyModel is an OpenAI-compatible streaming server that records each request body
// whole (model, system prompt, messages) and answers "<model> says hi".
type bodyModel struct {
	srv *httptest.Server

	mu     sync.Mutex
	bodies []string
}

func newBodyModel(t *testing.T) *bodyModel {
	t.Helper()
	m := &bodyModel{}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var req struct {
			Model string `json:"model"`
		}
		if err := json.Unmarshal(b, &req); err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		m.mu.Lock()
		m.bodies = append(m.bodies, string(b))
		m.mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		d, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"index": 0, "delta": map[string]string{"content": req.Model + " says hi"}}}})
		fmt.Fprintf(w, "data: %s\n\ndata: [DONE]\n\n", d)
	}))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *bodyModel) requests() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.bodies...)
}

// TestAccountsAndBindingsEndToEnd runs the gateway with two Telegram bots (accounts
// default and work, one Bot API address) and two agents, work bound to the work bot:
// each bot's messages land in their own agent's session and are answered through
// the same bot, by that agent's model with that agent's workspace in the prompt; the
// work account's own allowlist drops a sender the channel-level open policy would
// admit; channels.status lists both accounts; send honours accountId; and
// channels.logout of the work bot stops it and removes its token from the config
// file while the default bot keeps answering.
func TestAccountsAndBindingsEndToEnd(t *testing.T) {
	home := t.TempDir()
	botHome := tgtest.New(t, tgtest.DefaultToken)
	botWork := tgtest.New(t, tokenWork)
	front := tgtest.Front(t, botHome, botWork)
	model := newBodyModel(t)
	wsHome, wsWork := filepath.Join(home, "ws-home"), filepath.Join(home, "ws-work")
	for dir, marker := range map[string]string{wsHome: "HOME-PERSONA-7781", wsWork: "WORK-PERSONA-3319"} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "AGENTS.md"), []byte("# Agent\n"+marker+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	r := startHome(t, home, fmt.Sprintf(`{
  channels: {telegram: {apiBaseUrl: %q, dmPolicy: "open", allowFrom: ["*"], streamMode: "off",
    accounts: {default: {botToken: %q}, work: {botToken: %q, name: "Work bot", dmPolicy: "allowlist", allowFrom: ["42"]}}}},
  models: {providers: {local: {baseUrl: %q, apiKey: "k", models: []}}},
  agents: {defaults: {model: {primary: "local/m-home"}},
    list: [{id: "home", default: true, workspace: %q}, {id: "work", workspace: %q, model: "local/m-work"}]},
  bindings: [{agentId: "work", match: {channel: "telegram", accountId: "work"}}],
}`, front, tgtest.DefaultToken, tokenWork, model.srv.URL+"/v1", wsHome, wsWork), nil)

	// 1. The same user writes to both bots: each bot answers with its own agent.
	botHome.PushUpdate(42, 42, "hello home")
	waitFor(t, "the home bot's reply", func() bool { return len(sentTo(botHome, "42")) == 1 })
	botWork.PushUpdate(42, 42, "hello work")
	waitFor(t, "the work bot's reply", func() bool { return len(sentTo(botWork, "42")) == 1 })
	if got := sentTo(botHome, "42")[0].Text; got != "m-home says hi" {
		t.Fatalf("home bot replied %q", got)
	}
	if got := sentTo(botWork, "42")[0].Text; got != "m-work says hi" {
		t.Fatalf("work bot replied %q", got)
	}
	reqs := model.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d model requests", len(reqs))
	}
	for i, want := range []struct{ model, has, not, msg string }{
		{`"model":"m-home"`, "HOME-PERSONA-7781", "WORK-PERSONA-3319", "hello home"},
		{`"model":"m-work"`, "WORK-PERSONA-3319", "HOME-PERSONA-7781", "hello work"},
	} {
		b := reqs[i]
		if !strings.Contains(b, want.model) || !strings.Contains(b, want.has) || strings.Contains(b, want.not) || !strings.Contains(b, want.msg) {
			t.Errorf("request %d: want %s with %s and without %s; body %.400s", i, want.model, want.has, want.not, b)
		}
	}

	// 2. Each agent has its own session for the sender.
	c := r.client(t)
	var list struct {
		Sessions []struct {
			Key string `json:"key"`
		} `json:"sessions"`
	}
	c.MustOK("sessions.list", map[string]any{}, &list)
	keys := map[string]bool{}
	for _, s := range list.Sessions {
		keys[s.Key] = true
	}
	if !keys["agent:main:telegram:42"] || !keys["agent:work:telegram:42"] {
		t.Fatalf("sessions: %v", keys)
	}

	// 3. The work account's allowlist (not the channel's open policy) applies to it:
	// a stranger gets nothing from the work bot, no model call; the home bot answers.
	botWork.PushUpdate(43, 43, "let me in")
	botHome.PushUpdate(43, 43, "hi home")
	waitFor(t, "the home bot's reply to 43", func() bool { return len(sentTo(botHome, "43")) == 1 })
	botWork.PushUpdate(42, 42, "again")
	waitFor(t, "the work bot's second reply", func() bool { return len(sentTo(botWork, "42")) == 2 })
	if n := len(sentTo(botWork, "43")); n != 0 {
		t.Fatalf("work bot answered a sender outside its allowlist (%d messages)", n)
	}
	for _, b := range model.requests() {
		if strings.Contains(b, "let me in") {
			t.Fatal("the stranger's message reached the model")
		}
	}

	// 4. channels.status lists both accounts.
	var st protocol.ChannelsStatusResult
	c.MustOK("channels.status", map[string]any{}, &st)
	tg := st.ChannelAccounts["telegram"]
	if len(tg) != 2 || tg[0].AccountID != "default" || tg[1].AccountID != "work" || !tg[0].GetRunning() || !tg[1].GetRunning() ||
		tg[1].Name == nil || *tg[1].Name != "Work bot" || tg[1].DmPolicy == nil || *tg[1].DmPolicy != "allowlist" {
		t.Fatalf("telegram accounts: %s", mustJSON(tg))
	}
	if st.ChannelDefaultAccountID["telegram"] != "default" || len(st.ChannelAccounts["whatsapp"]) != 1 ||
		strings.Join(st.ChannelOrder, ",") != "telegram,whatsapp" || st.ChannelLabels["telegram"] != "Telegram" || !st.Telegram.Running {
		t.Fatalf("status: %s", mustJSON(st))
	}

	var probed protocol.ChannelsStatusResult
	c.MustOK("channels.status", map[string]any{"probe": true, "timeoutMs": 5000}, &probed)
	for _, a := range probed.ChannelAccounts["telegram"] {
		if !strings.Contains(string(a.Probe), `"ok":true`) || a.LastProbeAt == nil {
			t.Fatalf("probe of %s: %s", a.AccountID, mustJSON(a))
		}
	}
	if !strings.Contains(string(probed.Channels["telegram"]), `"probe":{`) || !strings.Contains(string(probed.Telegram.Probe), `"ok":true`) {
		t.Fatalf("telegram summary without its probe: %s", probed.Channels["telegram"])
	}
	var hs protocol.HealthSummary
	c.MustOK("health", map[string]any{}, &hs)
	if a := hs.Channels["telegram"].Accounts; len(a) != 2 || !a["work"].Configured || !a["default"].Configured || hs.Channels["telegram"].AccountID != "default" {
		t.Fatalf("health telegram accounts: %s", mustJSON(hs.Channels["telegram"]))
	}

	// 5. send goes out through the named account.
	botWork.AddChat(77)
	c.MustOK("send", map[string]any{"channel": "telegram", "to": "77", "message": "via work", "accountId": "work", "idempotencyKey": "s1"}, nil)
	if len(sentTo(botWork, "77")) != 1 || len(sentTo(botHome, "77")) != 0 {
		t.Fatal("send with accountId work did not go through the work bot")
	}
	if f := c.Call("send", map[string]any{"channel": "telegram", "to": "77", "message": "x", "accountId": "nope", "idempotencyKey": "s2"}); f.OK ||
		f.Error.Code != string(protocol.ErrorCodeInvalidRequest) {
		t.Fatalf("send through an unknown account: %s", f.Raw)
	}

	// 6. channels.logout clears the work bot and leaves the default one.
	getMes := botHome.Calls("getMe")
	var lo protocol.ChannelsLogoutResult
	c.MustOK("channels.logout", map[string]any{"channel": "telegram", "accountId": "work"}, &lo)
	if lo.Channel != "telegram" || lo.AccountID != "work" || !lo.Cleared || !lo.GetLoggedOut() || lo.GetEnvToken() {
		t.Fatalf("logout: %s", mustJSON(lo))
	}
	raw, err := os.ReadFile(filepath.Join(home, "clawdbot.json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), tokenWork) || !strings.Contains(string(raw), tgtest.DefaultToken) {
		t.Fatalf("config after logout:\n%s", raw)
	}
	waitFor(t, "the work account stopped", func() bool {
		var st protocol.ChannelsStatusResult
		c.MustOK("channels.status", map[string]any{}, &st)
		a := st.ChannelAccounts["telegram"]
		return len(a) == 2 && !a[1].GetRunning() && !a[1].GetConfigured() && a[0].GetRunning()
	})
	if f := c.Call("send", map[string]any{"channel": "telegram", "to": "77", "message": "x", "accountId": "work", "idempotencyKey": "s3"}); f.OK {
		t.Fatal("send through the logged-out bot worked")
	}
	// The file change reloads the work account only: the default bot keeps its poller.
	r.waitOutput(t, `msg="telegram settings reloaded" accounts=[work]`)
	if n := botHome.Calls("getMe"); n != getMes {
		t.Fatalf("the default bot restarted (getMe %d → %d)", getMes, n)
	}
	botHome.PushUpdate(42, 42, "still there?")
	waitFor(t, "the home bot's reply after the other's logout", func() bool { return len(sentTo(botHome, "42")) == 2 })

	// Logging out an account the channel does not have is refused.
	if f := c.Call("channels.logout", map[string]any{"channel": "telegram", "accountId": "ghost"}); f.OK {
		t.Fatalf("logout of an unknown account: %s", f.Raw)
	}
	if f := c.Call("channels.logout", map[string]any{"channel": "fax"}); f.OK || f.Error.Code != string(protocol.ErrorCodeInvalidRequest) {
		t.Fatalf("logout of an unknown channel: %s", f.Raw)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestAgentRunsInItsWorkspace: a run in an agent:<id>: session uses that agent's
// workspace as the file tools' root and its tool policy (agents.list[].tools); the
// default agent's runs keep the default workspace and every tool.
func TestAgentRunsInItsWorkspace(t *testing.T) {
	home := t.TempDir()
	wsHome, wsWork := filepath.Join(home, "ws-home"), filepath.Join(home, "ws-work")
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
		if strings.Contains(string(body), `"role":"tool"`) {
			return fakeStep{text: "done"}
		}
		who := "home"
		if strings.Contains(string(body), "write as work") {
			who = "work"
		}
		return fakeStep{calls: []fakeCall{{id: "w" + who, name: "write", args: `{"path":"note.txt","content":"from ` + who + `"}`}}}
	})
	r := startHome(t, home, fmt.Sprintf(`{
  agents: {defaults: {model: {primary: "fake/m1"}},
    list: [{id: "home", default: true, workspace: %q}, {id: "work", workspace: %q, tools: {deny: ["exec"]}}]},
  models: {providers: {fake: {baseUrl: %q, api: "openai-completions", apiKey: "k1", models: []}}},
  tools: {exec: {security: "full", ask: "off"}},
}`, wsHome, wsWork, model.baseURL()), nil)
	r.waitOutput(t, "agent runtime ready")
	c := r.client(t)
	run := func(session, runID, msg string) {
		t.Helper()
		c.MustOK("chat.send", map[string]any{"sessionKey": session, "message": msg, "idempotencyKey": runID}, nil)
		var res struct {
			Status string `json:"status"`
		}
		c.MustOK("agent.wait", map[string]any{"runId": runID, "timeoutMs": 20000}, &res)
		if res.Status != "ok" {
			t.Fatalf("%s: %s", runID, res.Status)
		}
	}
	run("agent:work:main", "r-work", "write as work")
	run("main", "r-home", "write as home")
	for dir, want := range map[string]string{wsWork: "from work", wsHome: "from home"} {
		b, err := os.ReadFile(filepath.Join(dir, "note.txt"))
		if err != nil || string(b) != want {
			t.Errorf("%s/note.txt = %q (%v), want %q", dir, b, err, want)
		}
	}
	// agentId on the agent method: a known agent without a session runs in its main
	// session; an unknown agent, or a session of another agent, is refused.
	f := c.Call("agent", map[string]any{"agentId": "work", "message": "write as work (agentId)", "idempotencyKey": "a1"})
	if !f.OK {
		t.Fatalf("agent with agentId: %s", f.Raw)
	}
	var waited struct {
		Status string `json:"status"`
	}
	c.MustOK("agent.wait", map[string]any{"runId": "a1", "timeoutMs": 20000}, &waited)
	hist := c.Call("chat.history", map[string]any{"sessionKey": "agent:work:main"})
	if waited.Status != "ok" || !hist.OK || !strings.Contains(string(hist.Payload), "(agentId)") {
		t.Fatalf("agentId run: %s; history %s", waited.Status, hist.Raw)
	}
	for _, params := range []map[string]any{
		{"agentId": "ghost", "message": "x", "idempotencyKey": "a2"},
		{"agentId": "work", "sessionKey": "main", "message": "x", "idempotencyKey": "a3"},
	} {
		if f := c.Call("agent", params); f.OK || f.Error.Code != string(protocol.ErrorCodeInvalidRequest) {
			t.Fatalf("agent %v: %s", params, f.Raw)
		}
	}
	// sessions.list by agent.
	for agent, want := range map[string]string{"work": "agent:work:main", "home": "agent:main:main", "ghost": ""} {
		var list struct {
			Sessions []struct {
				Key string `json:"key"`
			} `json:"sessions"`
		}
		c.MustOK("sessions.list", map[string]any{"agentId": agent}, &list)
		var keys []string
		for _, s := range list.Sessions {
			keys = append(keys, s.Key)
		}
		if strings.Join(keys, ",") != want {
			t.Errorf("sessions.list agentId %s: %v, want %q", agent, keys, want)
		}
	}

	reqs := model.requests()
	if len(reqs) != 5 { // the agentId run sees its earlier tool result and answers at once
		t.Fatalf("%d model requests", len(reqs))
	}
	if strings.Contains(string(reqs[0]), `"name":"exec"`) || !strings.Contains(string(reqs[0]), `"name":"write"`) {
		t.Error("the work agent's tools ignore its deny list")
	}
	if !strings.Contains(string(reqs[2]), `"name":"exec"`) {
		t.Error("the default agent lost exec")
	}
}
