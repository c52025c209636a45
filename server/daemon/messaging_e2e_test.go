package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/chunk"
	"github.com/clawgate/gateway/server/envelope"
	"github.com/clawgate/gateway/server/pairing"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// recordingModel is an OpenAI-compatible streaming server on 127.0.0.1 that records
// every request and answers with reply(last user message), streamed in several
// deltas.
type recordingModel struct {
	srv   *httptest.Server
	reply func(prompt string) string

	mu      sync.Mutex
	prompts []string // the last user message of each request, its envelope header taken off
	raw     []string // the same as the model got it
	systems []string // each request's system message ("" when it has none)
}

func newRecordingModel(t *testing.T, reply func(string) string) *recordingModel {
	t.Helper()
	m := &recordingModel{reply: reply}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Messages []struct{ Role, Content string }
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body.Messages) == 0 {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		raw := body.Messages[len(body.Messages)-1].Content
		// Channel messages arrive behind the envelope header (TestInboundEnvelope pins
		// it); reply and calls see the text as sent, rawCalls the whole.
		prompt := envelope.Strip(raw)
		system := ""
		if body.Messages[0].Role == "system" {
			system = body.Messages[0].Content
		}
		m.mu.Lock()
		m.prompts = append(m.prompts, prompt)
		m.raw = append(m.raw, raw)
		m.systems = append(m.systems, system)
		m.mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		text := m.reply(prompt)
		// Three deltas: the stream has something to show before the end.
		n := len(text) / 3
		for _, part := range []string{text[:n], text[n : 2*n], text[2*n:]} {
			b, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"index": 0, "delta": map[string]string{"content": part}}}})
			fmt.Fprintf(w, "data: %s\n\n", b)
			if f, ok := w.(http.Flusher); ok {
				f.Flush()
			}
		}
		fmt.Fprint(w, "data: [DONE]\n\n")
	}))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *recordingModel) calls() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.prompts...)
}

// rawCalls are the last user messages as the model got them.
func (m *recordingModel) rawCalls() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.raw...)
}

// systemPrompts are the requests' system messages, in order.
func (m *recordingModel) systemPrompts() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.systems...)
}

// sentTo is what the bot sent to chat (sendMessage texts, in order).
func sentTo(bot *tgtest.Server, chat string) []tgtest.Sent {
	var out []tgtest.Sent
	for _, s := range bot.Sent() {
		if s.ChatID == chat {
			out = append(out, s)
		}
	}
	return out
}

// waitFor polls cond (a fake server's recorded state) until it holds or 15 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

var pairingCodeRe = regexp.MustCompile(`Pairing code: ([A-Z0-9]{8})`)

// TestTelegramMessagingEndToEnd runs the gateway (daemon.Run) against the Telegram Bot
// API test server and a streaming model server: an unknown DM sender gets a pairing
// code and the model is not called; after the owner approves the code through the
// state files (what `clawdbot pairing approve` does, from another process) the next
// message reaches the model and the reply streams into one edited message (streamMode
// partial), a long reply arrives split at textChunkLimit, and in a group only a
// mention is answered, with the unanswered message as context.
func TestTelegramMessagingEndToEnd(t *testing.T) {
	long := strings.Repeat("A paragraph of the long answer, long enough to need several messages.\n\n", 12)
	model := newRecordingModel(t, func(prompt string) string {
		if strings.Contains(prompt, "long please") {
			return long
		}
		return "re: " + prompt
	})
	bot := tgtest.New(t, tgtest.DefaultToken)
	const limit = 300
	r := start(t, fmt.Sprintf(`{
  channels: {telegram: {botToken: %q, apiBaseUrl: %q, streamMode: "partial", textChunkLimit: %d,
    groups: {"-100": {requireMention: true}}}},
  models: {providers: {local: {baseUrl: %q, apiKey: "k", models: []}}},
  agents: {defaults: {model: {primary: "local/m"}}},
}`, tgtest.DefaultToken, bot.URL(), limit, model.srv.URL+"/v1"))

	// 1. Unknown sender: a pairing code, no model call.
	bot.PushUpdate(42, 42, "hello bot")
	waitFor(t, "the pairing code", func() bool { return len(sentTo(bot, "42")) == 1 })
	got := sentTo(bot, "42")[0].Text
	mc := pairingCodeRe.FindStringSubmatch(got)
	if mc == nil || !strings.Contains(got, "Your Telegram user id: 42") || !strings.Contains(got, "clawdbot pairing approve telegram") {
		t.Fatalf("pairing reply: %q", got)
	}
	// A second message while pending: no second code, still no model call. A message
	// from another unknown sender after it shows the first was handled (in order).
	bot.PushUpdate(42, 42, "hello again")
	bot.PushUpdate(43, 43, "me too")
	waitFor(t, "the second sender's code", func() bool { return len(sentTo(bot, "43")) == 1 })
	if n := len(sentTo(bot, "42")); n != 1 {
		t.Fatalf("pending sender got %d replies", n)
	}
	if c := model.calls(); len(c) != 0 {
		t.Fatalf("model called for unapproved senders: %q", c)
	}

	// 2. The owner approves through the state files while the gateway runs.
	st, err := pairing.New(pairing.Options{Dir: filepath.Join(r.home, "state", "credentials")})
	if err != nil {
		t.Fatal(err)
	}
	if req, err := st.Approve("telegram", mc[1]); err != nil || req.ID != "42" {
		t.Fatalf("approve: %+v %v", req, err)
	}
	bot.PushUpdate(42, 42, "what is up")
	waitFor(t, "the streamed reply", func() bool {
		e := bot.Edits()
		return len(e) > 0 && e[len(e)-1].Text == "re: what is up"
	})
	if c := model.calls(); len(c) != 1 || c[0] != "what is up" {
		t.Fatalf("model calls: %q", c)
	}
	msgs := sentTo(bot, "42")
	if len(msgs) != 2 || bot.Edits()[0].MessageID != msgs[1].MessageID {
		t.Fatalf("streamed reply is not one edited message: sent %+v edits %+v", msgs, bot.Edits())
	}
	// (tgtest refuses an edit that changes nothing, so an edit means the first send
	// showed only part of the reply.)
	if bot.Calls("sendChatAction") == 0 {
		t.Error("no typing indicator during the run")
	}

	// 3. A long reply is split at textChunkLimit (the streamed message becomes the
	// first chunk, the rest follow).
	bot.PushUpdate(42, 42, "long please")
	want := chunk.Split(strings.TrimSpace(long), limit)
	waitFor(t, "the long reply", func() bool { return len(sentTo(bot, "42")) == 2+len(want) })
	msgs = sentTo(bot, "42")[2:]
	first := msgs[0].Text // tgtest keeps a message's text current through edits
	if len(want) < 3 || first != want[0] {
		t.Fatalf("first chunk %q, want %q (%d chunks)", first, want[0], len(want))
	}
	for i, m := range msgs[1:] {
		if m.Text != want[i+1] || chunk.Units(m.Text) > limit {
			t.Fatalf("chunk %d: %q", i+1, m.Text)
		}
	}

	// 4. Group: without a mention nothing reaches the model; with one it is answered,
	// with the unanswered message as context.
	calls := len(model.calls())
	bot.PushMessage(-100, tgtest.User{ID: 42, FirstName: "Ann"}, "just chatting")
	bot.PushMessage(-100, tgtest.User{ID: 42, FirstName: "Ann"}, "@"+tgtest.BotUsername+" summarise please")
	waitFor(t, "the group reply", func() bool {
		e := bot.Edits()
		for _, s := range sentTo(bot, "-100") {
			if strings.Contains(s.Text, "summarise please") {
				return true
			}
		}
		return len(e) > 0 && strings.Contains(e[len(e)-1].Text, "summarise please")
	})
	c := model.calls()
	if len(c) != calls+1 {
		t.Fatalf("model calls for the group: %q", c[calls:])
	}
	if !strings.Contains(c[calls], "just chatting") || !strings.Contains(c[calls], "summarise please") {
		t.Fatalf("group prompt lacks the history: %q", c[calls])
	}
}
