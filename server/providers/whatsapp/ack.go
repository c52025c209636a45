package whatsapp

import (
	"context"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"

	"github.com/clawgate/gateway/server/providers"
)

// AckTimeout bounds one ack reaction or read receipt (both are sent before the
// message goes on to the agent).
const AckTimeout = 10 * time.Second

// AckConfig is channels.whatsapp.ackReaction and sendReadReceipts.
type AckConfig struct {
	// Emoji is ackReaction.emoji; "" (the default) disables acks.
	Emoji string
	// Direct is ackReaction.direct: ack direct chats (the daemon defaults it to true).
	Direct bool
	// GroupMode is ackReaction.group: always, mentions (when "") or never.
	GroupMode string
	// ReadReceipts is sendReadReceipts (the daemon defaults it to true): admitted
	// messages are marked read. Never for the self-chat, nor for senders who were not
	// admitted (an unapproved sender under dmPolicy pairing sees no blue ticks).
	ReadReceipts bool
}

// acker is the part of the client that acks and read receipts use. *realClient has it
// (below); a client without it sends neither.
type acker interface {
	// BuildReaction is whatsmeow's: a reaction message to message id of sender in chat.
	BuildReaction(chat, sender types.JID, id types.MessageID, reaction string) *waE2E.Message
	MarkRead(ctx context.Context, ids []types.MessageID, ts time.Time, chat, sender types.JID) error
}

// BuildReaction implements acker.
func (r *realClient) BuildReaction(chat, sender types.JID, id types.MessageID, reaction string) *waE2E.Message {
	return r.cli.BuildReaction(chat, sender, id, reaction)
}

// MarkRead implements acker.
func (r *realClient) MarkRead(ctx context.Context, ids []types.MessageID, ts time.Time, chat, sender types.JID) error {
	return r.cli.MarkRead(ctx, ids, ts, chat, sender)
}

// inboundRef is what the ack stage needs of the whatsmeow event behind a message.
type inboundRef struct {
	chat, sender types.JID
	ts           time.Time
	self         bool // the self-chat
	// ids are every message an album was made of (read receipts cover them all);
	// nil for a lone message, whose id is the inbound message's.
	ids []types.MessageID
}

type inboundRefKey struct{}

// withInbound returns ctx carrying the message's ack facts and event reference (set
// by admit before the guard; read by the ack stage, which only admitted messages reach).
func withInbound(ctx context.Context, f providers.AckFacts, r inboundRef) context.Context {
	return context.WithValue(providers.WithAckFacts(ctx, f), inboundRefKey{}, r)
}

// ackStage marks an admitted message read (receipts: in front of the media stage, as
// soon as the message is admitted) or reacts to it per ackReaction (behind the media
// stage: only messages that go on to the agent) before passing it to next.
type ackStage struct {
	p        *Provider
	next     providers.Inbound
	receipts bool
}

func (s *ackStage) Inbound(ctx context.Context, m providers.Message) {
	s.p.ackInbound(ctx, m, s.receipts)
	if s.next != nil {
		s.next.Inbound(ctx, m)
	}
}

// SetAck replaces ackReaction and sendReadReceipts (a config reload); the next
// admitted message follows them.
func (p *Provider) SetAck(a AckConfig) {
	p.ackCfg.Store(&a)
}

func (p *Provider) ackInbound(ctx context.Context, m providers.Message, receipts bool) {
	ref, ok := ctx.Value(inboundRefKey{}).(inboundRef)
	if !ok || ref.self || m.MessageID == "" {
		return // the allowFrom gate path, or the owner's own chat: no receipts on their behalf
	}
	a := *p.ackCfg.Load()
	p.mu.Lock()
	c := p.client
	p.mu.Unlock()
	ac, ok := c.(acker)
	if !ok {
		return
	}
	rctx, cancel := context.WithTimeout(ctx, AckTimeout)
	defer cancel()
	if receipts {
		if !a.ReadReceipts {
			return
		}
		ids := ref.ids
		if len(ids) == 0 {
			ids = []types.MessageID{m.MessageID}
		}
		if err := ac.MarkRead(rctx, ids, ref.ts, ref.chat, ref.sender); err != nil {
			p.log.Debug("whatsapp read receipt failed", "chat", m.ChatID, "message", m.MessageID, "err", err)
		}
		return
	}
	if a.Emoji == "" {
		return
	}
	f, _ := providers.AckFactsFrom(ctx)
	if f.Group && p.guard != nil {
		f.RequireMention = p.guard.RequireMention(m.AccountID, m.ChatID)
	}
	if !providers.ShouldAckWhatsApp(a.Direct, a.GroupMode, f) {
		return
	}
	if _, err := c.SendMessage(rctx, ref.chat, ac.BuildReaction(ref.chat, ref.sender, m.MessageID, a.Emoji)); err != nil {
		p.log.Warn("whatsapp ack reaction failed", "chat", m.ChatID, "message", m.MessageID, "err", err)
	}
}
