package daemon

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// TestTelegramWebhookFromConfig: channels.telegram.accounts.<id>.webhookUrl and
// webhookSecret put that bot in webhook mode (CLAWDBOT_TELEGRAM_WEBHOOK_LISTEN names
// the listener); an update Telegram posts reaches the access rules (an unknown
// sender gets a pairing code) and the bot never polls.
func TestTelegramWebhookFromConfig(t *testing.T) {
	bot := tgtest.New(t, tgtest.DefaultToken)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	t.Setenv(EnvTelegramWebhookListen, addr)
	url := "http://" + addr + "/tg/work"
	start(t, fmt.Sprintf(`{
  channels: {telegram: {apiBaseUrl: %q, accounts: {work: {botToken: %q, webhookUrl: %q, webhookSecret: "hook-secret", webhookPath: "/tg/work"}}}},
}`, bot.URL(), tgtest.DefaultToken, url))
	waitFor(t, "the webhook registration", func() bool { return bot.WebhookInfo().URL == url })
	if h := bot.WebhookInfo(); h.Secret != "hook-secret" {
		t.Fatalf("registered %+v", h)
	}
	bot.PushUpdate(42, 42, "hello by webhook")
	waitFor(t, "the pairing code", func() bool { return len(sentTo(bot, "42")) == 1 })
	if got := sentTo(bot, "42")[0].Text; !strings.Contains(got, "clawdbot pairing approve telegram") {
		t.Fatalf("reply %q", got)
	}
	if n := bot.Calls("getUpdates"); n != 0 {
		t.Fatalf("getUpdates called %d times", n)
	}
}

// TestTelegramLinkPreviewOff: channels.telegram.linkPreview false sends replies with
// link previews disabled, in the streamed preview and its edits too (with true, the
// default, the test fails: previews stay on).
func TestTelegramLinkPreviewOff(t *testing.T) {
	model := newRecordingModel(t, func(prompt string) string { return "see https://example.com/" + prompt })
	bot := tgtest.New(t, tgtest.DefaultToken)
	start(t, fmt.Sprintf(`{
  channels: {telegram: {botToken: %q, apiBaseUrl: %q, allowFrom: ["42"], linkPreview: false, streamMode: "partial"}},
  models: {providers: {local: {baseUrl: %q, apiKey: "k", models: []}}},
  agents: {defaults: {model: {primary: "local/m"}}},
}`, tgtest.DefaultToken, bot.URL(), model.srv.URL+"/v1"))
	bot.PushUpdate(42, 42, "docs")
	waitFor(t, "the reply", func() bool {
		s := sentTo(bot, "42")
		return len(s) > 0 && s[len(s)-1].Text == "see https://example.com/docs"
	})
	for _, s := range sentTo(bot, "42") {
		if !s.NoLinkPreview {
			t.Fatalf("sent with a link preview: %+v", s)
		}
	}
	for _, e := range bot.Edits() {
		if !e.NoLinkPreview {
			t.Fatalf("edited with a link preview: %+v", e)
		}
	}
}

// TestTelegramRetryFromConfig: channels.telegram.accounts.<id>.retry reaches the bot:
// a reply whose first sendMessage meets a 502 is sent on the retry; with attempts 1
// the same outage loses the reply and the run says so.
func TestTelegramRetryFromConfig(t *testing.T) {
	model := newRecordingModel(t, func(prompt string) string { return "re: " + prompt })
	bot := tgtest.New(t, tgtest.DefaultToken)
	cfg := func(attempts int) string {
		return fmt.Sprintf(`{
  channels: {telegram: {apiBaseUrl: %q, allowFrom: ["42"], streamMode: "off",
    accounts: {default: {botToken: %q, retry: {attempts: %d, minDelayMs: 1, maxDelayMs: 10}, timeoutSeconds: 5}}}},
  models: {providers: {local: {baseUrl: %q, apiKey: "k", models: []}}},
  agents: {defaults: {model: {primary: "local/m"}}},
}`, bot.URL(), tgtest.DefaultToken, attempts, model.srv.URL+"/v1")
	}
	r := start(t, cfg(2))
	bot.FailNext("sendMessage", 502, "Bad Gateway", 0, 1)
	bot.PushUpdate(42, 42, "first")
	waitFor(t, "the retried reply", func() bool {
		s := sentTo(bot, "42")
		return len(s) == 1 && s[0].Text == "re: first"
	})
	if n := bot.Calls("sendMessage"); n != 2 {
		t.Fatalf("sendMessage called %d times, want 2", n)
	}

	if err := os.WriteFile(filepath.Join(r.home, "clawdbot.json"), []byte(cfg(1)), 0o600); err != nil {
		t.Fatal(err)
	}
	r.waitOutput(t, "config reloaded (hot)")
	waitFor(t, "the bot restarted with the new retry policy", func() bool { return strings.Count(r.out.String(), "telegram bot polling") >= 2 })
	bot.FailNext("sendMessage", 502, "Bad Gateway", 0, 1)
	bot.PushUpdate(42, 42, "second")
	r.waitOutput(t, "delivery to telegram 42 failed")
	if s := sentTo(bot, "42"); len(s) != 1 {
		t.Fatalf("sent %+v: the failed reply must not appear", s)
	}
}

// TestDMHistoryLimit: channels.telegram.dmHistoryLimit keeps a direct chat's model
// request to its last user turns (the transcript keeps everything);
// dms.<peer>.historyLimit 0 lifts it for that peer.
func TestDMHistoryLimit(t *testing.T) {
	home := t.TempDir()
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
		return fakeStep{text: fmt.Sprintf("answer %d", n)}
	})
	bot := tgtest.New(t, tgtest.DefaultToken)
	extra := fmt.Sprintf(`channels: {telegram: {botToken: %q, apiBaseUrl: %q, allowFrom: ["42", "43"], streamMode: "off",
    dmHistoryLimit: 2, dms: {"43": {historyLimit: 0}}}},`, tgtest.DefaultToken, bot.URL())
	startHome(t, home, agentConfigWith(filepath.Join(home, "ws"), model, nil, extra), nil)
	say := func(chat int64, text string, replies int) string {
		t.Helper()
		bot.PushUpdate(chat, chat, text)
		waitFor(t, "the reply to "+text, func() bool { return len(sentTo(bot, fmt.Sprint(chat))) == replies })
		reqs := model.requests()
		return string(reqs[len(reqs)-1])
	}
	for i, w := range []string{"one", "two", "three"} {
		req := say(42, "limited "+w, i+1)
		if i == 2 && (strings.Contains(req, "limited one") || !strings.Contains(req, "limited two") || !strings.Contains(req, "limited three")) {
			t.Fatalf("third request with dmHistoryLimit 2: %s", req)
		}
	}
	for i, w := range []string{"one", "two", "three"} {
		req := say(43, "free "+w, i+1)
		if i == 2 && !strings.Contains(req, "free one") {
			t.Fatalf("dms.43.historyLimit 0 still limited the history: %s", req)
		}
	}
}
