package telegram_test

import (
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// TestConnectionDropsAndReturns: the Bot API goes away (listener closed, connections
// cut) and comes back on the same address. Sends in the gap fail at once with an error
// that says the API is unreachable; the poller backs off, reconnects by itself, and
// inbound messages queued during the gap and after it arrive.
func TestConnectionDropsAndReturns(t *testing.T) {
	srv := tgtest.New(t, token)
	srv.AddChat(5)
	in := newInbox()
	p := newProvider(t, srv, token, nil, in)
	ctx := ctx10(t)
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	srv.PushUpdate(5, 5, "before")
	if m := recvMsg(t, in); m.Text != "before" {
		t.Fatalf("got %q", m.Text)
	}

	srv.Stop()
	start := time.Now()
	_, err := p.Send(ctx, providers.Outbound{To: "5", Text: "in the gap"})
	if err == nil || !strings.Contains(err.Error(), "telegram") || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("send while down: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("send while down took %s; must fail fast", d)
	}
	srv.PushUpdate(5, 5, "during") // queued server-side, like Telegram does

	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	if m := recvMsg(t, in); m.Text != "during" {
		t.Fatalf("got %q", m.Text)
	}
	srv.PushUpdate(5, 5, "after")
	if m := recvMsg(t, in); m.Text != "after" {
		t.Fatalf("got %q", m.Text)
	}
	if _, err := p.Send(ctx, providers.Outbound{To: "5", Text: "back"}); err != nil {
		t.Fatalf("send after the return: %v", err)
	}
	if got := in.all(); len(got) != 3 {
		t.Fatalf("inbound %d messages, want 3 (no duplicates after the reconnect)", len(got))
	}
	if p.LastError() != "" {
		t.Fatalf("last error still %q after recovery", p.LastError())
	}
}

func recvMsg(t *testing.T, in *inbox) providers.Message {
	t.Helper()
	select {
	case m := <-in.ch:
		return m
	case <-time.After(15 * time.Second):
		t.Fatal("no inbound message within 15 s")
		return providers.Message{}
	}
}
