package daemon

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/clock"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// TestTelegramDebounceOneRun runs the gateway against the Telegram test server and
// the fake model server with messages.inbound.debounceMs and a fake clock for the
// window: three quick texts from one sender make one model call with the texts joined
// by newlines, and one reply. A reload setting byChannel.telegram to 0 turns it off
// for the running bot: the next two texts are two calls and two replies.
func TestTelegramDebounceOneRun(t *testing.T) {
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	if err := os.MkdirAll(ws, 0o700); err != nil {
		t.Fatal(err)
	}
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep { return fakeStep{text: fmt.Sprintf("answer %d", n+1)} })
	bot := tgtest.New(t, tgtest.DefaultToken)
	config := func(inbound string) string {
		return agentConfigWith(ws, model, nil, fmt.Sprintf(`channels: {telegram: {botToken: %q, apiBaseUrl: %q, streamMode: "off", dmPolicy: "open", allowFrom: ["*"]}},
  messages: {inbound: %s},`, tgtest.DefaultToken, bot.URL(), inbound))
	}
	clk := clock.NewFake(time.Date(2026, 1, 24, 12, 0, 0, 0, time.UTC))
	r := startHome(t, home, config(`{debounceMs: 2000}`), clk)
	r.waitOutput(t, "agent runtime ready")
	replies := func() []tgtest.Sent { return sentTo(bot, "42") }
	ann := tgtest.User{ID: 42, FirstName: "Ann"}

	for _, s := range []string{"hey", "quick question", "what's the capital of France?"} {
		bot.PushMessage(42, ann, s)
	}
	waitFor(t, "the texts to be handled", func() bool { return bot.Pending() == 0 })
	if n := len(model.requests()); n != 0 {
		t.Fatalf("%d model calls inside the debounce window", n)
	}
	clk.Advance(2 * time.Second)
	waitFor(t, "the burst's reply", func() bool { return len(replies()) == 1 })
	reqs := model.requests()
	if len(reqs) != 1 {
		t.Fatalf("model calls: %d, want 1", len(reqs))
	}
	if body := string(reqs[0]); !strings.Contains(body, `hey\nquick question\nwhat's the capital of France?`) {
		t.Fatalf("request: %.800s", body)
	}
	if got := replies()[0].Text; got != "answer 1" {
		t.Fatalf("reply %q", got)
	}

	if err := os.WriteFile(filepath.Join(home, "clawdbot.json"), []byte(config(`{debounceMs: 2000, byChannel: {telegram: 0}}`)), 0o600); err != nil {
		t.Fatal(err)
	}
	r.waitOutput(t, "config reloaded (hot)")
	bot.PushMessage(42, ann, "one")
	waitFor(t, "the first reply", func() bool { return len(replies()) == 2 })
	bot.PushMessage(42, ann, "two")
	waitFor(t, "the second reply", func() bool { return len(replies()) == 3 })
	if n := len(model.requests()); n != 3 {
		t.Fatalf("model calls after the reload: %d, want 3", n)
	}
}
