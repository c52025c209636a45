package daemon

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// gateModel is an OpenAI-compatible streaming server that answers "<model> says hi"
// and records, for each request, the model and how many replies the bot had sent to
// chat 42 when it arrived. hold, when set, is called before answering (to make one
// agent wait for another).
type gateModel struct {
	srv *httptest.Server
	bot *tgtest.Server

	mu   sync.Mutex
	seen []gateReq
	hold func(model string)
}

type gateReq struct {
	model     string
	sentSoFar int
}

func newGateModel(t *testing.T, bot *tgtest.Server) *gateModel {
	t.Helper()
	m := &gateModel{bot: bot}
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
		m.seen = append(m.seen, gateReq{req.Model, len(sentTo(m.bot, "42"))})
		hold := m.hold
		m.mu.Unlock()
		if hold != nil {
			hold(req.Model)
		}
		w.Header().Set("Content-Type", "text/event-stream")
		d, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"index": 0, "delta": map[string]string{"content": req.Model + " says hi"}}}})
		fmt.Fprintf(w, "data: %s\n\ndata: [DONE]\n\n", d)
	}))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *gateModel) requests() []gateReq {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.seen)
}

// broadcastConfig is a gateway with one Telegram bot and agents alpha and beta (each
// its own model), chat 42 broadcast to alpha, beta and an agent agents.list lacks.
func broadcastConfig(bot *tgtest.Server, model *gateModel, strategy string) string {
	return fmt.Sprintf(`{
  channels: {telegram: {apiBaseUrl: %q, botToken: %q, dmPolicy: "open", allowFrom: ["*"], streamMode: "off"}},
  models: {providers: {local: {baseUrl: %q, apiKey: "k", models: []}}},
  agents: {defaults: {model: {primary: "local/m-main"}, maxConcurrent: 2},
    list: [{id: "main", default: true}, {id: "alpha", model: "local/m-alpha"}, {id: "beta", model: "local/m-beta"}]},
  broadcast: {strategy: %q, "42": ["alpha", "beta", "ghost", "alpha"]},
}`, bot.URL(), tgtest.DefaultToken, model.srv.URL+"/v1", strategy)
}

// broadcastSessions lists the gateway's sessions (sessions.list).
func broadcastSessions(t *testing.T, r *running) map[string]bool {
	t.Helper()
	var list struct {
		Sessions []struct {
			Key string `json:"key"`
		} `json:"sessions"`
	}
	r.client(t).MustOK("sessions.list", map[string]any{}, &list)
	keys := map[string]bool{}
	for _, s := range list.Sessions {
		keys[s.Key] = true
	}
	return keys
}

// TestBroadcastParallelEndToEnd: one Telegram message from a chat with a broadcast
// group is answered by each listed agent (alpha and beta, each with its own model),
// each in its own session, each reply delivered; an agent agents.list lacks and a
// duplicate are skipped. The parallel strategy runs both at once: alpha's model
// answers only once beta's request has arrived (runs at once are still bounded by
// agents.defaults.maxConcurrent, 2 here). A chat without a group gets the
// default agent alone.
func TestBroadcastParallelEndToEnd(t *testing.T) {
	home := t.TempDir()
	bot := tgtest.New(t, tgtest.DefaultToken)
	model := newGateModel(t, bot)
	betaArrived := make(chan struct{})
	var once sync.Once
	model.hold = func(m string) {
		switch m {
		case "m-beta":
			once.Do(func() { close(betaArrived) })
		case "m-alpha":
			select {
			case <-betaArrived:
			case <-time.After(20 * time.Second): // sequential: beta never comes first
			}
		}
	}
	r := startHome(t, home, broadcastConfig(bot, model, "parallel"), nil)

	bot.PushUpdate(42, 42, "hello everyone")
	waitFor(t, "two replies", func() bool { return len(sentTo(bot, "42")) == 2 })
	var got []string
	for _, s := range sentTo(bot, "42") {
		got = append(got, s.Text)
	}
	slices.Sort(got)
	if want := []string{"m-alpha says hi", "m-beta says hi"}; !slices.Equal(got, want) {
		t.Fatalf("replies %q, want %q", got, want)
	}
	reqs := model.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d model requests (%v), want 2", len(reqs), reqs)
	}
	for _, q := range reqs {
		if q.sentSoFar != 0 {
			t.Fatalf("parallel: %s's request came after %d replies were sent", q.model, q.sentSoFar)
		}
	}
	keys := broadcastSessions(t, r)
	if !keys["agent:alpha:telegram:42"] || !keys["agent:beta:telegram:42"] || keys["agent:main:telegram:42"] || keys["agent:ghost:telegram:42"] {
		t.Fatalf("sessions: %v", keys)
	}

	// A chat without a broadcast group: the default agent alone.
	bot.PushUpdate(43, 43, "just me")
	waitFor(t, "the reply to 43", func() bool { return len(sentTo(bot, "43")) == 1 })
	if got := sentTo(bot, "43")[0].Text; got != "m-main says hi" {
		t.Fatalf("chat 43 got %q", got)
	}
	if n := len(model.requests()); n != 3 {
		t.Fatalf("%d model requests after chat 43, want 3", n)
	}
}

// TestBroadcastSequentialEndToEnd: with broadcast.strategy "sequential" the agents
// answer in the listed order, each starting after the one before it delivered.
func TestBroadcastSequentialEndToEnd(t *testing.T) {
	home := t.TempDir()
	bot := tgtest.New(t, tgtest.DefaultToken)
	model := newGateModel(t, bot)
	r := startHome(t, home, broadcastConfig(bot, model, "sequential"), nil)

	bot.PushUpdate(42, 42, "one at a time")
	waitFor(t, "two replies", func() bool { return len(sentTo(bot, "42")) == 2 })
	sent := sentTo(bot, "42")
	if sent[0].Text != "m-alpha says hi" || sent[1].Text != "m-beta says hi" {
		t.Fatalf("replies %q, %q: want alpha then beta", sent[0].Text, sent[1].Text)
	}
	reqs := model.requests()
	if len(reqs) != 2 || reqs[0] != (gateReq{"m-alpha", 0}) || reqs[1] != (gateReq{"m-beta", 1}) {
		t.Fatalf("model requests %v: want alpha (0 replies sent) then beta (1 sent)", reqs)
	}
	keys := broadcastSessions(t, r)
	if !keys["agent:alpha:telegram:42"] || !keys["agent:beta:telegram:42"] {
		t.Fatalf("sessions: %v", keys)
	}
}
