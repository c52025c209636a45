package telegram_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/providers/telegram"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// freeAddr is a loopback address nobody listens on (for a listener the test names
// before it starts).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestWebhookMode: with webhookUrl the bot registers its webhook (with the secret)
// instead of polling, and the fake Bot API posts updates to it as Telegram does;
// posts without the secret, on other paths, too large or repeated never reach the
// agent twice or at all, and the health path answers.
func TestWebhookMode(t *testing.T) {
	srv := tgtest.New(t, token)
	in := newInbox()
	addr := freeAddr(t)
	url := "http://" + addr + "/hooks/tg"
	p, err := telegram.New(telegram.Config{Token: token, APIBaseURL: srv.URL(), Inbound: in, PollTimeout: 5 * time.Second,
		WebhookURL: url, WebhookSecret: "s3cret-token", WebhookPath: "/hooks/tg", WebhookListen: addr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop(context.Background()) })
	ctx := ctx10(t)
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	hook, err := srv.WaitHook(ctx, func(h tgtest.Webhook) bool { return h.URL != "" })
	if err != nil || hook.URL != url || hook.Secret != "s3cret-token" {
		t.Fatalf("setWebhook: %+v %v", hook, err)
	}

	srv.PushUpdate(777, 42, "hello by webhook")
	select {
	case m := <-in.ch:
		if m.Text != "hello by webhook" || m.From != "42" {
			t.Fatalf("inbound %+v", m)
		}
	case <-ctx.Done():
		t.Fatalf("the posted update never reached the agent: %+v", srv.WebhookInfo())
	}
	if n := srv.Calls("getUpdates"); n != 0 {
		t.Fatalf("getUpdates called %d times in webhook mode", n)
	}
	// Telegram may post before its setWebhook answer reaches the bot, so the bot can
	// be handling updates a moment before it reports itself running.
	for st := p.Status(ctx, false); st.Mode != "webhook" || !st.Running; st = p.Status(ctx, false) {
		select {
		case <-ctx.Done():
			t.Fatalf("status %+v", st)
		case <-time.After(5 * time.Millisecond):
		}
	}

	post := func(path, secret string, body []byte) int {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+path, bytes.NewReader(body))
		if secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	update := func(id int, text string) []byte {
		return fmt.Appendf(nil, `{"update_id": %d, "message": {"message_id": %d, "date": 1, "chat": {"id": 777, "type": "private"}, "from": {"id": 42, "is_bot": false, "first_name": "U"}, "text": %q}}`, id, id, text)
	}
	for _, tc := range []struct {
		name, path, secret string
		body               []byte
		want               int
	}{
		{"no secret", "/hooks/tg", "", update(900, "forged"), http.StatusUnauthorized},
		{"wrong secret", "/hooks/tg", "s3cret-tokeX", update(901, "forged"), http.StatusUnauthorized},
		{"other path", "/telegram-webhook", "s3cret-token", update(902, "lost"), http.StatusNotFound},
		{"not JSON", "/hooks/tg", "s3cret-token", []byte("{"), http.StatusBadRequest},
		{"too large", "/hooks/tg", "s3cret-token", update(903, strings.Repeat("x", telegram.WebhookMaxBody)), http.StatusRequestEntityTooLarge},
		{"accepted", "/hooks/tg", "s3cret-token", update(904, "direct"), http.StatusOK},
		{"repeated", "/hooks/tg", "s3cret-token", update(904, "direct"), http.StatusOK},
	} {
		if got := post(tc.path, tc.secret, tc.body); got != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, got, tc.want)
		}
	}
	select {
	case m := <-in.ch:
		if m.Text != "direct" {
			t.Fatalf("inbound %+v, want only the accepted post", m)
		}
	case <-ctx.Done():
		t.Fatal("the accepted post never reached the agent")
	}
	resp, err := http.Get("http://" + addr + telegram.WebhookHealthPath)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(b) != "ok" {
		t.Fatalf("health: %d %q", resp.StatusCode, b)
	}
	if got := len(in.all()); got != 2 {
		t.Fatalf("%d messages reached the agent, want 2 (forged, lost and repeated ones must not)", got)
	}

	// After Stop the listener is gone; Telegram keeps the update and posts it again
	// later (here: to nobody), so nothing it sent meanwhile is acknowledged.
	if err := p.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Fatal("the webhook listener still accepts after Stop")
	}
	srv.PushUpdate(777, 42, "while stopped")
	if _, err := srv.WaitHook(ctx, func(h tgtest.Webhook) bool { return h.Refused > 0 }); err != nil {
		t.Fatal(err)
	}
	if srv.Pending() != 1 {
		t.Fatalf("pending updates %d, want the one posted while stopped", srv.Pending())
	}
}

// TestWebhookWithoutSecretGetsOne: no webhookSecret configured still registers a
// random secret token, so a post that lacks it is refused (the original leaves such a
// webhook open to anyone who reaches the port).
func TestWebhookWithoutSecretGetsOne(t *testing.T) {
	srv := tgtest.New(t, token)
	in := newInbox()
	addr := freeAddr(t)
	p, err := telegram.New(telegram.Config{Token: token, APIBaseURL: srv.URL(), Inbound: in,
		WebhookURL: "http://" + addr + telegram.DefaultWebhookPath, WebhookListen: addr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop(context.Background()) })
	ctx := ctx10(t)
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	hook, err := srv.WaitHook(ctx, func(h tgtest.Webhook) bool { return h.URL != "" })
	if err != nil || len(hook.Secret) < 20 {
		t.Fatalf("registered %+v (%v), want a random secret token", hook, err)
	}
	body := `{"update_id": 5, "message": {"message_id": 5, "date": 1, "chat": {"id": 1, "type": "private"}, "from": {"id": 1, "is_bot": false, "first_name": "U"}, "text": "forged"}}`
	resp, err := http.Post("http://"+addr+telegram.DefaultWebhookPath, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("post without the secret: %d", resp.StatusCode)
	}
	srv.PushUpdate(777, 42, "real")
	select {
	case m := <-in.ch:
		if m.Text != "real" {
			t.Fatalf("inbound %+v", m)
		}
	case <-ctx.Done():
		t.Fatal("Telegram's post with the registered secret never arrived")
	}
}
