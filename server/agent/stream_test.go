package agent

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/clawgate/gateway/server/providers"
)

// streamingSender is a fakeSender whose provider streams replies: it records every
// Update, and how each stream ended.
type streamingSender struct {
	*fakeSender
	mu      sync.Mutex
	updates []string
	ends    []string // "finish:<text>" or "abort"
}

func (s *streamingSender) OpenReply(_ context.Context, channel string, m providers.Outbound) providers.ReplyStream {
	return &fakeStream{s: s, channel: channel, to: m.To}
}

type fakeStream struct {
	s           *streamingSender
	channel, to string
}

func (f *fakeStream) Update(_ context.Context, text string) {
	f.s.mu.Lock()
	f.s.updates = append(f.s.updates, text)
	f.s.mu.Unlock()
}

func (f *fakeStream) Finish(ctx context.Context, final string) (providers.Sent, error) {
	f.s.mu.Lock()
	f.s.ends = append(f.s.ends, "finish:"+final)
	f.s.mu.Unlock()
	return f.s.Send(ctx, f.channel, providers.Outbound{To: f.to, Text: final})
}

func (f *fakeStream) Abort() {
	f.s.mu.Lock()
	f.s.ends = append(f.s.ends, "abort")
	f.s.mu.Unlock()
}

// TestDeliverStreamsThroughReplyStream: a delivered run on a provider that streams
// gets every cumulative text as an Update and ends with one Finish carrying the final
// reply (never Send as well); a failed run ends its stream with Abort and sends
// nothing.
func TestDeliverStreamsThroughReplyStream(t *testing.T) {
	snd := &streamingSender{fakeSender: newFakeSender()}
	e := newEnv(t, envOpts{sender: snd})
	c := e.dial(3)
	ch := c.send("agent", map[string]any{"message": "ping", "sessionKey": "main", "deliver": true, "channel": "telegram", "to": "99", "idempotencyKey": "s-1"})
	next(t, ch, "accepted")
	if f := next(t, ch, "final"); !f.OK {
		t.Fatalf("final: %s", f.Raw)
	}
	if got := recv(t, snd.ch, "delivery"); got.Out.Text != "echo: ping" || got.Out.To != "99" {
		t.Fatalf("delivered %+v", got)
	}
	snd.mu.Lock()
	updates, ends := append([]string(nil), snd.updates...), append([]string(nil), snd.ends...)
	snd.mu.Unlock()
	if len(updates) != 3 || updates[2] != "echo: ping" || !strings.HasPrefix("echo: ping", updates[0]) {
		t.Fatalf("updates %q", updates)
	}
	if len(ends) != 1 || ends[0] != "finish:echo: ping" || snd.count() != 1 {
		t.Fatalf("ends %q, sends %d", ends, snd.count())
	}

	ch = c.send("agent", map[string]any{"message": "fail now", "sessionKey": "main", "deliver": true, "channel": "telegram", "to": "99", "idempotencyKey": "s-2"})
	next(t, ch, "accepted")
	if f := next(t, ch, "final"); f.OK {
		t.Fatalf("failing model: %s", f.Raw)
	}
	snd.mu.Lock()
	ends = append([]string(nil), snd.ends...)
	snd.mu.Unlock()
	if len(ends) != 2 || ends[1] != "abort" || snd.count() != 1 {
		t.Fatalf("after a failed run: ends %q, sends %d", ends, snd.count())
	}
}
