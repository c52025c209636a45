package daemon

import (
	"fmt"
	"net"
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
