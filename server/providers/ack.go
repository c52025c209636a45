package providers

import (
	"context"
	"sync"
)

// Ack reaction scopes (messages.ackReactionScope): which admitted messages get the ack
// emoji while the agent works on them.
const (
	AckGroupMentions = "group-mentions" // group messages that mention the bot (default)
	AckGroupAll      = "group-all"      // every answered group message
	AckDirect        = "direct"         // every answered direct message
	AckAll           = "all"            // every answered message
	AckOff           = "off"            // none (also "none")
)

// DefaultAckEmoji is the ack reaction when messages.ackReaction is unset and the agent
// has no identity emoji (the original's default).
const DefaultAckEmoji = "👀"

// WhatsApp group modes (channels.whatsapp.ackReaction.group).
const (
	AckModeAlways   = "always"
	AckModeMentions = "mentions" // the default
	AckModeNever    = "never"
)

// Limits of AckTracker.
const (
	// MaxAcksPerChat bounds the acknowledged, not yet answered messages remembered per
	// chat (the oldest are forgotten: their reaction then stays).
	MaxAcksPerChat = 32
	// MaxAckChats bounds the chats with remembered acks (a chat is dropped whole,
	// oldest first).
	MaxAckChats = 1024
)

// AckScopeValid reports whether s is a known messages.ackReactionScope ("" is the default).
func AckScopeValid(s string) bool {
	switch s {
	case "", AckGroupMentions, AckGroupAll, AckDirect, AckAll, AckOff, "none":
		return true
	}
	return false
}

// AckFacts are what the scope decision needs to know about one admitted message.
type AckFacts struct {
	Group bool
	// Mentioned: the bot was mentioned, replied to, or addressed with a command.
	Mentioned bool
	// RequireMention: the group answers only mentions (its effective requireMention).
	RequireMention bool
}

// ShouldAck decides messages.ackReactionScope for an admitted message. Under the
// default group-mentions only a mention in a group that requires mentions is acked
// (in a group answering everything the ack would mark every message).
func ShouldAck(scope string, f AckFacts) bool {
	switch scope {
	case AckAll:
		return true
	case AckDirect:
		return !f.Group
	case AckGroupAll:
		return f.Group
	case "", AckGroupMentions:
		return f.Group && f.RequireMention && f.Mentioned
	}
	return false // off, none, unknown
}

// ShouldAckWhatsApp decides channels.whatsapp.ackReaction: direct chats when direct is
// on; groups always, never, or (mentions, the default) when the bot was mentioned or
// the group answers every message (requireMention false, the original's activation).
func ShouldAckWhatsApp(direct bool, groupMode string, f AckFacts) bool {
	if !f.Group {
		return direct
	}
	switch groupMode {
	case AckModeAlways:
		return true
	case AckModeNever:
		return false
	}
	return f.Mentioned || !f.RequireMention
}

// ackFactsKey carries AckFacts from a provider's access check to its ack stage.
type ackFactsKey struct{}

// WithAckFacts returns ctx carrying f: the provider sets it before Guard.Admit, and
// the ack stage (Next of the guard, reached only by delivered messages) reads it.
func WithAckFacts(ctx context.Context, f AckFacts) context.Context {
	return context.WithValue(ctx, ackFactsKey{}, f)
}

// AckFactsFrom returns the facts WithAckFacts stored (false when none).
func AckFactsFrom(ctx context.Context) (AckFacts, bool) {
	f, ok := ctx.Value(ackFactsKey{}).(AckFacts)
	return f, ok
}

// RequireMention reports the effective requireMention of a group for accountID under
// the guard's current access settings (true, the default, when unreadable).
func (g *Guard) RequireMention(accountID, groupID string) bool {
	g.mu.RLock()
	cfg := g.Access
	g.mu.RUnlock()
	r, err := cfg.Rules(accountID)
	if err != nil {
		return true
	}
	return r.RequireMention(groupID)
}

// AckTracker remembers the messages acknowledged with a reaction and not yet
// answered, per chat, so the reaction can be removed once the reply is out
// (messages.removeAckAfterReply). Bounded by MaxAcksPerChat and MaxAckChats.
type AckTracker struct {
	mu    sync.Mutex
	chats map[string][]string // chat → message ids, oldest first
	order []string            // chats, oldest first
}

// Add remembers message id in chat.
func (t *AckTracker) Add(chat, id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.chats == nil {
		t.chats = map[string][]string{}
	}
	ids, ok := t.chats[chat]
	if !ok {
		if len(t.order) >= MaxAckChats {
			delete(t.chats, t.order[0])
			t.order = t.order[1:]
		}
		t.order = append(t.order, chat)
	}
	ids = append(ids, id)
	if len(ids) > MaxAcksPerChat {
		ids = ids[len(ids)-MaxAcksPerChat:]
	}
	t.chats[chat] = ids
}

// Take returns and forgets the acknowledged messages of chat: a reply that starts
// now answers them.
func (t *AckTracker) Take(chat string) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	ids, ok := t.chats[chat]
	if !ok {
		return nil
	}
	delete(t.chats, chat)
	for i, c := range t.order {
		if c == chat {
			t.order = append(t.order[:i], t.order[i+1:]...)
			break
		}
	}
	return ids
}

// Len is the number of remembered acks (tests, metrics).
func (t *AckTracker) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, ids := range t.chats {
		n += len(ids)
	}
	return n
}

// AckReplyStream wraps a reply stream so that, once the reply is delivered, the ack
// reactions of the messages it answers are removed (remove is called per message
// id; its errors are the caller's to log). Abort leaves them: nothing was answered.
type AckReplyStream struct {
	ReplyStream
	IDs    []string
	Remove func(ctx context.Context, id string)
}

// Shown is the wrapped stream's (StreamShown).
func (s *AckReplyStream) Shown() bool { return StreamShown(s.ReplyStream) }

// StartTyping is the wrapped stream's (StreamTyping).
func (s *AckReplyStream) StartTyping() { StreamTyping(s.ReplyStream) }

// ReplyTo is the wrapped stream's (StreamReplyTo).
func (s *AckReplyStream) ReplyTo(id string) { StreamReplyTo(s.ReplyStream, id) }

// Finish delivers the reply, then removes the acks.
func (s *AckReplyStream) Finish(ctx context.Context, final string) (Sent, error) {
	sent, err := s.ReplyStream.Finish(ctx, final)
	if err == nil {
		s.Delivered(ctx)
	}
	return sent, err
}

// Delivered removes the acks of a reply that went out without Finish (StreamDelivered).
func (s *AckReplyStream) Delivered(ctx context.Context) {
	for _, id := range s.IDs {
		s.Remove(ctx, id)
	}
}
