// Package debounce combines a sender's quick consecutive texts into one inbound
// message (messages.inbound.debounceMs).
//
// People often type one thought as several short messages ("hey", "quick question",
// "what's the weather?"). Answered one by one, that is three model runs and three
// replies; with a debounce window the provider holds each text briefly, and texts
// from the same sender in the same chat that follow within the window go on together
// as one message, their texts joined with newlines (the original's behaviour). The
// window restarts with every text, so a burst ends Window after its last message.
//
// Only plain texts are held: media, control commands (/status, /new, ...) and, on
// WhatsApp, replies and locations go on at once, after the sender's held texts in
// that chat (so nothing overtakes what came before it). A Window of 0 turns it off.
//
// The buffer is package album's (same window clock, owner ordering and Close),
// keyed and owned by the conversation and sender: bounded by MaxParts texts per burst
// (a full burst goes on at once) and MaxPending bursts at once (one more sends the
// oldest on); nothing is dropped, and Close delivers what is held.
package debounce

import (
	"context"
	"strings"
	"sync/atomic"
	"time"

	"github.com/clawgate/gateway/server/clock"
	"github.com/clawgate/gateway/server/providers/album"
)

// Limits. The original holds any number of texts and bursts; we bound both, sending
// a burst on early rather than dropping anything.
const (
	// DefaultMaxParts bounds the texts combined into one message; the burst goes on
	// when it reaches it and the sender's next text starts a new one.
	DefaultMaxParts = 20
	// DefaultMaxPending bounds the bursts held at once (across chats and senders);
	// one more sends the oldest on at once.
	DefaultMaxPending = 256
)

// Settings is messages.inbound as read from the config.
type Settings struct {
	// DebounceMs is messages.inbound.debounceMs (nil: unset).
	DebounceMs *int
	// ByChannel is messages.inbound.byChannel: per-channel windows in ms.
	ByChannel map[string]int
}

// Window resolves a channel's window as the original does: override (a channel's own
// key, e.g. channels.whatsapp.debounceMs, nil when unset), else
// messages.inbound.byChannel.<channel>, else messages.inbound.debounceMs, else 0
// (off). Negative values count as 0.
func Window(s Settings, channel string, override *int) time.Duration {
	ms := 0
	switch v, ok := s.ByChannel[channel]; {
	case override != nil:
		ms = *override
	case ok:
		ms = v
	case s.DebounceMs != nil:
		ms = *s.DebounceMs
	}
	return time.Duration(max(ms, 0)) * time.Millisecond
}

// Config configures a Buffer.
type Config[P any] struct {
	// Clock times the window (clock.Real when nil).
	Clock clock.Clock
	// Window is the debounce window; 0 is off (every message goes on alone at once).
	Window time.Duration
	// MaxParts bounds one burst (DefaultMaxParts when 0); MaxPending the bursts held
	// at once (DefaultMaxPending when 0).
	MaxParts, MaxPending int
	// Deliver receives a burst in arrival order, or a message that was not held as a
	// one-element slice. Calls are serialised.
	Deliver func(ctx context.Context, items []P)
}

// Buffer holds texts keyed by K (account, conversation and sender) and delivers P
// values.
type Buffer[K comparable, P any] struct {
	b      *album.Buffer[K, K, P]
	window atomic.Int64 // nanoseconds; 0: off
}

// New returns a buffer; it panics without Deliver (a programming error).
func New[K comparable, P any](cfg Config[P]) *Buffer[K, P] {
	if cfg.MaxParts <= 0 {
		cfg.MaxParts = DefaultMaxParts
	}
	if cfg.MaxPending <= 0 {
		cfg.MaxPending = DefaultMaxPending
	}
	d := &Buffer[K, P]{b: album.New[K, K](album.Config[P]{Clock: cfg.Clock, Window: cfg.Window,
		MaxParts: cfg.MaxParts, MaxPending: cfg.MaxPending, Deliver: cfg.Deliver})}
	d.window.Store(int64(max(cfg.Window, 0)))
	return d
}

// SetWindow changes the window (a config reload): texts arriving from now on are held
// d (0: not held; a held burst still goes on when its window ends or the sender's
// next message arrives).
func (d *Buffer[K, P]) SetWindow(w time.Duration) {
	w = max(w, 0)
	d.window.Store(int64(w))
	d.b.SetWindow(w)
}

// Window is the window in force.
func (d *Buffer[K, P]) Window() time.Duration { return time.Duration(d.window.Load()) }

// Add holds a text that may be combined with the sender's next ones (with the window
// off it goes on at once, after anything still held for key).
func (d *Buffer[K, P]) Add(ctx context.Context, key K, p P) {
	if d.window.Load() <= 0 {
		d.b.Single(ctx, key, p)
		return
	}
	d.b.Add(ctx, key, key, p)
}

// Pass delivers a message that is never combined (media, a command) alone, after
// the texts held for key.
func (d *Buffer[K, P]) Pass(ctx context.Context, key K, p P) { d.b.Single(ctx, key, p) }

// Close delivers every held burst with ctx and waits for the window goroutines;
// later messages go on at once.
func (d *Buffer[K, P]) Close(ctx context.Context) { d.b.Close(ctx) }

// Pending reports how many bursts are held.
func (d *Buffer[K, P]) Pending() int { return d.b.Pending() }

// Join is a burst's combined text: the non-empty texts joined with newlines (the
// original's join).
func Join(texts []string) string {
	out := make([]string, 0, len(texts))
	for _, t := range texts {
		if t != "" {
			out = append(out, t)
		}
	}
	return strings.Join(out, "\n")
}
