package daemon

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// TestInboundEnvelope: a Telegram message reaches the model behind the original's
// envelope header (channel, sender label, time since the session's previous message,
// time in envelopeTimezone), chat.history shows the message as written, and
// envelopeTimestamp / envelopeElapsed "off" drop their parts after a reload.
func TestInboundEnvelope(t *testing.T) {
	model := newRecordingModel(t, func(prompt string) string { return fmt.Sprintf("reply %d", len(prompt)) })
	bot := tgtest.New(t, tgtest.DefaultToken)
	cfg := func(extra string) string {
		return fmt.Sprintf(`{
  channels: {telegram: {botToken: %q, apiBaseUrl: %q, allowFrom: ["42"], streamMode: "off"}},
  models: {providers: {local: {baseUrl: %q, apiKey: "k", models: []}}},
  agents: {defaults: {model: {primary: "local/m"}, envelopeTimezone: "utc"%s}},
}`, tgtest.DefaultToken, bot.URL(), model.srv.URL+"/v1", extra)
	}
	r := start(t, cfg(""))
	alice := tgtest.User{ID: 42, FirstName: "Alice", Username: "alice"}
	at := time.Date(2026, 12, 6, 22, 40, 0, 0, time.UTC)
	send := func(text string, date time.Time, n int) string {
		t.Helper()
		bot.PushMessageWith(42, alice, text, map[string]any{"date": date.Unix()})
		waitFor(t, "the reply to "+text, func() bool { return len(sentTo(bot, "42")) >= n && len(model.rawCalls()) >= n })
		// After the envelope, the message's id (reply tags may name it).
		raw := model.rawCalls()[n-1]
		body, id, ok := strings.Cut(raw, "\n[message_id: ")
		if !ok || !strings.HasSuffix(id, "]") {
			t.Fatalf("prompt %q: no message id line", raw)
		}
		return body
	}
	// A new session: no elapsed part.
	if got, want := send("hello", at, 1), "[Telegram Alice (@alice) id:42 2026-12-06T22:40Z] hello"; got != want {
		t.Fatalf("first prompt\n got %q\nwant %q", got, want)
	}
	// The session was last changed when the first turn ended (now); a message dated
	// 5½ minutes later says "+5m".
	later := time.Now().Add(5*time.Minute + 30*time.Second)
	if got, want := send("again", later, 2), fmt.Sprintf("[Telegram Alice (@alice) id:42 +5m %s] again", later.UTC().Format("2006-01-02T15:04Z")); got != want {
		t.Fatalf("second prompt\n got %q\nwant %q", got, want)
	}
	// chat.history: the messages as written, the header was for the model.
	c := r.client(t)
	var hist struct {
		Messages []struct {
			Role    string
			Content []struct{ Text string }
		}
	}
	c.MustOK("chat.history", map[string]any{"sessionKey": "agent:main:telegram:42"}, &hist)
	var users []string
	for _, m := range hist.Messages {
		if m.Role == "user" {
			users = append(users, m.Content[0].Text)
		}
	}
	if strings.Join(users, "|") != "hello|again" {
		t.Fatalf("chat.history user messages: %q", users)
	}

	if err := os.WriteFile(filepath.Join(r.home, "clawdbot.json"), []byte(cfg(`, envelopeTimestamp: "off", envelopeElapsed: "off"`)), 0o600); err != nil {
		t.Fatal(err)
	}
	r.waitOutput(t, "config reloaded")
	waitFor(t, "the new envelope settings", func() bool {
		n := len(model.rawCalls()) + 1
		got := send(fmt.Sprintf("probe %d", n), time.Now().Add(time.Hour), n)
		return got == fmt.Sprintf("[Telegram Alice (@alice) id:42] probe %d", n)
	})
}

// TestOwnerIdentity: the senders channels.telegram.allowFrom names are the user, and
// the system prompt says so in "User Identity" (normalised, "telegram:" prefix off),
// as the original's does; with "*" in the list everyone is allowed and nobody is
// named.
func TestOwnerIdentity(t *testing.T) {
	for _, c := range []struct {
		name, allow string
		want        string // "" = no section
	}{
		{"named", `["42", "telegram:77"]`, "## User Identity\nOwner numbers: 42, 77. Treat messages from these numbers as the user."},
		{"everyone", `["*", "42"]`, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			model := newRecordingModel(t, func(string) string { return "ok" })
			bot := tgtest.New(t, tgtest.DefaultToken)
			start(t, fmt.Sprintf(`{
  channels: {telegram: {botToken: %q, apiBaseUrl: %q, dmPolicy: "allowlist", allowFrom: %s, streamMode: "off"}},
  models: {providers: {local: {baseUrl: %q, apiKey: "k", models: []}}},
  agents: {defaults: {model: {primary: "local/m"}}},
}`, tgtest.DefaultToken, bot.URL(), c.allow, model.srv.URL+"/v1"))
			bot.PushUpdate(42, 42, "who am I")
			waitFor(t, "the reply", func() bool { return len(sentTo(bot, "42")) == 1 })
			sys := model.systemPrompts()[0]
			if got := strings.Contains(sys, "## User Identity"); got != (c.want != "") {
				t.Fatalf("User Identity section present = %t, want %t:\n%s", got, c.want != "", sys)
			}
			if c.want != "" && !strings.Contains(sys, c.want+"\n\n## Current Date & Time") {
				t.Fatalf("system prompt lacks %q before the time section:\n%s", c.want, sys)
			}
		})
	}
}
