package telegram

import (
	"context"
	"strconv"
	"time"

	"github.com/mymmrac/telego"

	"github.com/clawgate/gateway/server/providers"
)

// AckTimeout bounds one setMessageReaction call (the ack is sent before the message
// goes on to the agent, so a slow API must not hold the message long).
const AckTimeout = 10 * time.Second

// AckConfig is the ack reaction of messages.* as Telegram applies it.
type AckConfig struct {
	// Emoji is messages.ackReaction (resolved: the agent's identity emoji or
	// providers.DefaultAckEmoji when unset); "" disables acks.
	Emoji string
	// Scope is messages.ackReactionScope (providers.AckGroupMentions when "").
	Scope string
	// RemoveAfterReply is messages.removeAckAfterReply: the reaction is cleared once
	// the reply is delivered.
	RemoveAfterReply bool
}

// ackStage reacts to an admitted message with the ack emoji, per scope, before it
// goes on to next (the media stage, then the agent). Only delivered messages reach it:
// the guard is in front.
type ackStage struct {
	p    *Provider
	next providers.Inbound
}

func (s *ackStage) Inbound(ctx context.Context, m providers.Message) {
	s.p.ack(ctx, m)
	if s.next != nil {
		s.next.Inbound(ctx, m)
	}
}

// SetAck replaces the ack settings (messages.ackReaction* changed in a config
// reload); the next admitted message is acked by them. An ack already sent is still
// removed after its reply when the settings it was sent under said so.
func (p *Provider) SetAck(a AckConfig) {
	p.ackCfg.Store(&a)
}

// ack sends the reaction when the scope says so and remembers it for removal.
func (p *Provider) ack(ctx context.Context, m providers.Message) {
	a := *p.ackCfg.Load()
	if a.Emoji == "" {
		return
	}
	f, ok := providers.AckFactsFrom(ctx)
	if !ok {
		f = providers.AckFacts{Group: m.Group} // allowFrom gate: groups answer everything
	} else if f.Group && p.guard != nil {
		f.RequireMention = p.guard.RequireMention(m.AccountID, m.ChatID)
	}
	if !providers.ShouldAck(a.Scope, f) {
		return
	}
	chat, err := chatID(m.ChatID)
	mid, merr := strconv.Atoi(m.MessageID)
	if err != nil || merr != nil {
		return
	}
	rctx, cancel := context.WithTimeout(ctx, AckTimeout)
	defer cancel()
	err = p.bot.SetMessageReaction(rctx, &telego.SetMessageReactionParams{ChatID: chat, MessageID: mid,
		Reaction: []telego.ReactionType{&telego.ReactionTypeEmoji{Type: telego.ReactionEmoji, Emoji: a.Emoji}}})
	if err != nil {
		// An emoji Telegram does not offer, or a chat that forbids reactions: the
		// message still goes on.
		p.log.Warn("telegram ack reaction failed", "chat", m.ChatID, "message", m.MessageID, "err", mapErr(err, m.ChatID))
		return
	}
	if a.RemoveAfterReply {
		p.acks.Add(m.ChatID, m.MessageID)
	}
}

// withAckRemoval makes rs clear the acks of the messages it answers (those of chat
// acknowledged before the reply started) once it is delivered.
func (p *Provider) withAckRemoval(chat string, rs providers.ReplyStream) providers.ReplyStream {
	// Only acks sent under removeAckAfterReply are tracked, so the setting in force
	// when the ack was sent decides, even if a reload changed it since.
	ids := p.acks.Take(chat)
	if len(ids) == 0 {
		return rs
	}
	return &providers.AckReplyStream{ReplyStream: rs, IDs: ids, Remove: func(ctx context.Context, id string) {
		c, err := chatID(chat)
		mid, merr := strconv.Atoi(id)
		if err != nil || merr != nil {
			return
		}
		rctx, cancel := context.WithTimeout(ctx, AckTimeout)
		defer cancel()
		// No reaction list clears the bot's reaction.
		if err := p.bot.SetMessageReaction(rctx, &telego.SetMessageReactionParams{ChatID: c, MessageID: mid}); err != nil {
			p.log.Warn("telegram ack removal failed", "chat", chat, "message", id, "err", mapErr(err, chat))
		}
	}}
}
