package whatsapp

import (
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
// chat shows "typing…". Nil when not connected or the recipient is invalid (Send then
// reports why).
func (p *Provider) OpenReply(ctx context.Context, m providers.Outbound) providers.ReplyStream {
	to, err := ParseRecipient(m.To)
	if err != nil {
		return nil
	}
	c, err := p.ready()
	if err != nil {
		return nil
	}
	interval := p.cfg.TypingInterval
	if interval <= 0 {
		interval = DefaultTypingInterval
	}
	tctx, cancel := context.WithTimeout(ctx, DefaultTypingTTL)
	r := &replyStream{p: p, to: m.To, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			if err := c.SendChatPresence(tctx, to, types.ChatPresenceComposing); err != nil && tctx.Err() == nil {
				p.log.Debug("whatsapp typing indicator failed", "to", to, "err", err)
			}
			select {
			case <-tctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	r.clear = func() {
		cctx, ccancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer ccancel()
		_ = c.SendChatPresence(cctx, to, types.ChatPresencePaused)
	}
	return r
}

type replyStream struct {
	p      *Provider
	to     string
	cancel context.CancelFunc
	done   chan struct{}
	clear  func()
	once   sync.Once
}

// stop ends the typing loop and waits for it, so no "composing" follows.
func (r *replyStream) stop() {
	r.once.Do(func() {
		r.cancel()
		<-r.done
	})
}

func (r *replyStream) Update(context.Context, string) {}

// Finish sends the reply (which ends WhatsApp's indicator by itself).
func (r *replyStream) Finish(ctx context.Context, final string) (providers.Sent, error) {
	r.stop()
	return r.p.Send(ctx, providers.Outbound{To: r.to, Text: final})
}

// Abort clears the indicator: no reply follows.
func (r *replyStream) Abort() {
	r.stop()
	r.clear()
}
