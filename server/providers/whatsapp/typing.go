package whatsapp

import (
	"cmp"
	"context"
	"sync"
	"time"

	"go.mau.fi/whatsmeow/types"

	"github.com/clawgate/gateway/server/providers"
)

// Typing indicator timings.
const (
	// DefaultTypingInterval re-sends "composing" while a run goes (the original's
	// typingIntervalSeconds default, 6 s; WhatsApp clears the state after ~10 s).
	DefaultTypingInterval = 6 * time.Second
	// DefaultTypingTTL stops the indicator of a run that never ends (the original's 2 min).
	DefaultTypingTTL = 2 * time.Minute
)

// OpenReply implements providers.ReplyStreamer: WhatsApp cannot edit a message, so
// the reply is sent whole (split at textChunkLimit) when the run ends; meanwhile the
// chat shows "typing…" (from the start, from StartTyping under
// providers.TypingDeferred, or never). Nil when not connected or the recipient is
// invalid (Send then reports why).
func (p *Provider) OpenReply(ctx context.Context, m providers.Outbound) providers.ReplyStream {
	to, err := ParseRecipient(m.To)
	if err != nil {
		return nil
	}
	c, err := p.ready()
	if err != nil {
		return nil
	}
	interval := cmp.Or(m.TypingInterval, p.cfg.TypingInterval, DefaultTypingInterval)
	r := &replyStream{p: p, to: m.To}
	if m.Typing == providers.TypingNever {
		return r
	}
	r.start = func() (context.CancelFunc, <-chan struct{}) {
		tctx, cancel := context.WithTimeout(ctx, DefaultTypingTTL)
		send := func(ctx context.Context) {
			if err := c.SendChatPresence(ctx, to, types.ChatPresenceComposing); err != nil && ctx.Err() == nil {
				p.log.Debug("whatsapp typing indicator failed", "to", to, "err", err)
			}
		}
		// The first "composing" goes out before the run goes on (waiting at most an
		// interval), so a reply that follows at once cannot cancel it unsent.
		fctx, fcancel := context.WithTimeout(tctx, interval)
		send(fctx)
		fcancel()
		done := make(chan struct{})
		go func() {
			defer close(done)
			t := time.NewTicker(interval)
			defer t.Stop()
			for {
				select {
				case <-tctx.Done():
					return
				case <-t.C:
				}
				send(tctx)
			}
		}()
		return cancel, done
	}
	r.clear = func() {
		cctx, ccancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer ccancel()
		_ = c.SendChatPresence(cctx, to, types.ChatPresencePaused)
	}
	if m.Typing == "" || m.Typing == providers.TypingInstant {
		r.StartTyping()
	}
	return r
}

type replyStream struct {
	p  *Provider
	to string
	// start runs the typing loop (nil: typing never); clear sends "paused".
	start func() (context.CancelFunc, <-chan struct{})
	clear func()

	mu      sync.Mutex
	cancel  context.CancelFunc // the running loop's (nil: not started)
	done    <-chan struct{}
	stopped bool
}

// StartTyping implements providers.StreamTyping.
func (r *replyStream) StartTyping() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped || r.cancel != nil || r.start == nil {
		return
	}
	r.cancel, r.done = r.start()
}

// stop ends the typing loop for good and waits for it, so no "composing" follows; it
// reports whether the indicator had been shown.
func (r *replyStream) stop() bool {
	r.mu.Lock()
	r.stopped = true
	cancel, done := r.cancel, r.done
	r.cancel = nil
	r.mu.Unlock()
	if cancel == nil {
		return false
	}
	cancel()
	<-done
	return true
}

func (r *replyStream) Update(context.Context, string) {}

// Finish sends the reply (which ends WhatsApp's indicator by itself).
func (r *replyStream) Finish(ctx context.Context, final string) (providers.Sent, error) {
	r.stop()
	return r.p.Send(ctx, providers.Outbound{To: r.to, Text: final})
}

// Abort clears the indicator when it was shown: no reply follows.
func (r *replyStream) Abort() {
	if r.stop() {
		r.clear()
	}
}
