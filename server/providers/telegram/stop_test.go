package telegram_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/access"
	"github.com/clawgate/gateway/server/clock"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/providers/telegram"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// blockingInbox holds up the message whose text is block until release is closed,
// telling entered when it arrives; everything reaches in.
type blockingInbox struct {
	in      *inbox
	block   string
	entered chan struct{}
	release chan struct{}
}

func (b *blockingInbox) Inbound(ctx context.Context, m providers.Message) {
	if m.Text == b.block {
		close(b.entered)
		<-b.release
	}
	b.in.Inbound(ctx, m)
}

// syncBuf is a log sink safe for the provider's goroutines.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestStopTimeoutKeepsHeld: a Stop that gives up waiting for a poller stuck handing a
// message on says what the debounce window still holds, and the held text reaches the
// agent once the poller ends, not lost.
func TestStopTimeoutKeepsHeld(t *testing.T) {
	srv := tgtest.New(t, token)
	clk := clock.NewFake(time.Date(2026, 1, 24, 12, 0, 0, 0, time.UTC))
	bin := &blockingInbox{in: newInbox(), block: "hello from Bo", entered: make(chan struct{}), release: make(chan struct{})}
	var logs syncBuf
	p, err := telegram.New(telegram.Config{Token: token, APIBaseURL: srv.URL(), Inbound: bin, PollTimeout: 5 * time.Second,
		Clock: clk, Debounce: debounceWindow, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Access: &access.Config{Account: access.Account{DMPolicy: access.DMOpen, AllowFrom: []string{"*"}}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop(t.Context()) })
	if err := p.Start(ctx10(t)); err != nil {
		t.Fatal(err)
	}
	srv.PushMessage(42, ann, "held by the window")
	waitDrained(t, srv, 0)
	p.SetDebounce(0) // Bo's text goes on at once, and the agent blocks on it
	srv.PushMessage(6, bo, "hello from Bo")
	select {
	case <-bin.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("Bo's message never reached the agent")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // the poller is stuck: Stop gives up at once
	if err := p.Stop(ctx); err == nil {
		t.Fatal("Stop with a stuck poller: no error")
	}
	if l := logs.String(); !strings.Contains(l, "did not stop in time") || !strings.Contains(l, "debounced=1") {
		t.Fatalf("no warning naming the held text:\n%s", l)
	}
	close(bin.release)
	for _, want := range []string{"hello from Bo", "held by the window"} {
		if m := recvMsg(t, bin.in); m.Text != want {
			t.Fatalf("got %q, want %q", m.Text, want)
		}
	}
}
