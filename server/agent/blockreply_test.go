package agent

import (
	"context"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/clock"
	"github.com/clawgate/gateway/server/providers"
)

// blockEnv is a runtime whose replies to channel messages stream as blocks of bs.
func blockEnv(t *testing.T, snd providers.Sender, clk clock.Clock, bs BlockStreaming) *env {
	return newEnv(t, envOpts{sender: snd, tweak: func(o *Options) {
		o.Clock = clk
		o.BlockStreaming = func(_, channel, _ string) *BlockStreaming {
			if channel != providers.Telegram {
				return nil
			}
			c := bs
			return &c
		}
	}})
}

// TestBlockStreamingTextEnd: under text_end a block goes out while the model is still
// writing ("Hel" before the model sends " world"), and the reply is not sent again at
// the end; under message_end nothing goes out until the message ends.
func TestBlockStreamingTextEnd(t *testing.T) {
	for _, tc := range []struct {
		brk   string
		early bool
	}{{BlockBreakTextEnd, true}, {BlockBreakMessageEnd, false}} {
		t.Run(tc.brk, func(t *testing.T) {
			snd := newFakeSender()
			// Blocks of 1..3 units, merged up to 3: every cut block goes at once.
			e := blockEnv(t, snd, nil, BlockStreaming{Break: tc.brk, MinChars: 1, MaxChars: 3, CoalesceMax: 3})
			gate := "g-" + tc.brk
			e.rt.Inbound(context.Background(), providers.Message{Channel: providers.Telegram, From: "42", ChatID: "42", MessageID: "7", Text: "gate:" + gate})
			recv(t, e.up.started, "model request")
			if tc.early {
				if got := recv(t, snd.ch, "a block before the model finished"); got.Out.Text != "Hel" {
					t.Fatalf("first block %q", got.Out.Text)
				}
			} else {
				select {
				case got := <-snd.ch:
					t.Fatalf("message_end sent %q before the message ended", got.Out.Text)
				case <-time.After(100 * time.Millisecond):
				}
			}
			e.up.release(gate)
			var all []string
			want := 4 // Hel, lo, wor, ld (3-unit blocks; a merge would pass 3)
			if tc.early {
				want = 3 // Hel was already sent
			}
			for len(all) < want {
				select {
				case m := <-snd.ch:
					all = append(all, m.Out.Text)
				case <-time.After(3 * time.Second):
					t.Fatalf("blocks so far %q", all)
				}
			}
			if !tc.early {
				// The message's text was cut at the end: 3-unit blocks, the space kept
				// at its break.
				if all[0] != "Hel" {
					t.Fatalf("blocks %q", all)
				}
			}
			select {
			case got := <-snd.ch:
				if got.Out.Text == "Hello world" {
					t.Fatalf("the reply was sent again whole after its blocks: %q", all)
				}
			case <-time.After(200 * time.Millisecond):
			}
		})
	}
}

// TestBlockStreamingIdleFlush: merged blocks wait for more text, and the idle flush
// (blockStreamingCoalesce.idleMs on the fake clock) sends them only once they reach
// CoalesceMin; shorter ones wait for the end of the reply.
func TestBlockStreamingIdleFlush(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 24, 12, 0, 0, 0, time.UTC))
	snd := newFakeSender()
	e := blockEnv(t, snd, clk, BlockStreaming{MinChars: 1, MaxChars: 3, CoalesceMin: 3, CoalesceMax: 100, CoalesceIdle: time.Second})
	e.rt.Inbound(context.Background(), providers.Message{Channel: providers.Telegram, From: "42", ChatID: "42", MessageID: "7", Text: "gate:idle"})
	recv(t, e.up.started, "model request")
	// "Hel" was cut and merged; it reached CoalesceMin: the idle flush sends it.
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	if !clk.WaitPending(ctx, 1) {
		t.Fatal("no idle timer")
	}
	select {
	case got := <-snd.ch:
		t.Fatalf("sent %q before the idle flush", got.Out.Text)
	default:
	}
	clk.Advance(time.Second)
	if got := recv(t, snd.ch, "the idle flush"); got.Out.Text != "Hel" {
		t.Fatalf("idle flush sent %q", got.Out.Text)
	}
	e.up.release("idle")
	if got := recv(t, snd.ch, "the rest"); got.Out.Text != "lo world" {
		t.Fatalf("rest %q", got.Out.Text)
	}
}

// failingAfter fails every Send after the first n.
type failingAfter struct {
	*fakeSender
	n int
}

func (f *failingAfter) Send(ctx context.Context, channel string, m providers.Outbound) (providers.Sent, error) {
	f.mu.Lock()
	n := len(f.sent)
	f.mu.Unlock()
	if n >= f.n && m.Text != "lo world" {
		return providers.Sent{}, context.DeadlineExceeded
	}
	return f.fakeSender.Send(ctx, channel, m)
}

// TestBlockStreamingFailureSendsRest: when a block cannot be delivered, later blocks
// are not sent out of order; what was not delivered goes as the reply at the end, and
// nothing delivered is sent twice.
func TestBlockStreamingFailureSendsRest(t *testing.T) {
	snd := &failingAfter{fakeSender: newFakeSender(), n: 1}
	e := blockEnv(t, snd, nil, BlockStreaming{MinChars: 1, MaxChars: 3, CoalesceMax: 3})
	e.rt.Inbound(context.Background(), providers.Message{Channel: providers.Telegram, From: "42", ChatID: "42", MessageID: "7", Text: "gate:fail"})
	recv(t, e.up.started, "model request")
	if got := recv(t, snd.ch, "first block"); got.Out.Text != "Hel" {
		t.Fatalf("first block %q", got.Out.Text)
	}
	e.up.release("fail")
	if got := recv(t, snd.ch, "the rest"); got.Out.Text != "lo world" {
		t.Fatalf("rest %q", got.Out.Text)
	}
	select {
	case got := <-snd.ch:
		t.Fatalf("extra send %q", got.Out.Text)
	case <-time.After(200 * time.Millisecond):
	}
}

// TestBlockStreamingMedia: a MEDIA: line in a block-streamed reply goes as its own
// media message between the text blocks (never cut in two while it streams), and the
// text blocks keep their order.
func TestBlockStreamingMedia(t *testing.T) {
	snd := newFakeSender()
	e := blockEnv(t, snd, nil, BlockStreaming{MinChars: 1, MaxChars: 200, CoalesceMax: 4000})
	e.rt.Inbound(context.Background(), providers.Message{Channel: providers.Telegram, From: "42", ChatID: "42", MessageID: "7",
		Text: "x\n\nMEDIA: https://example.com/pic.png\n\ny"})
	var got []providers.Outbound
	for len(got) < 3 {
		got = append(got, recv(t, snd.ch, "blocks").Out)
	}
	if got[0].Text != "echo: x" || got[1].MediaURL != "https://example.com/pic.png" || got[1].Text != "" || got[2].Text != "y" {
		t.Fatalf("sent %+v", got)
	}
	select {
	case m := <-snd.ch:
		t.Fatalf("extra send %+v", m.Out)
	case <-time.After(200 * time.Millisecond):
	}
}

// TestHoldBack: an unfinished MEDIA: line or reply tag is not cut yet.
func TestHoldBack(t *testing.T) {
	for in, want := range map[string]string{
		"a\n\nMEDIA: http":         "a\n\n",
		"a\n\nMEDIA: http://x\n":   "a\n\nMEDIA: http://x\n",
		"a [[reply_to":             "a ",
		"a [[reply_to_current]] b": "a [[reply_to_current]] b",
	} {
		if got := in[:holdBack(in)]; got != want {
			t.Errorf("holdBack(%q) = %q, want %q", in, got, want)
		}
	}
}
