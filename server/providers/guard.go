package providers

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"sync"

	"github.com/clawgate/gateway/server/access"
	"github.com/clawgate/gateway/server/grouphistory"
	"github.com/clawgate/gateway/server/pairing"
)

// PairingReply is the message an unknown sender gets under dmPolicy "pairing" (the
// original's wording: clients and docs quote it). idLine names the sender's id, e.g.
// "Your Telegram user id: 42".
func PairingReply(channel, idLine, code string) string {
	return "Clawdbot: access not configured.\n\n" + idLine + "\n\nPairing code: " + code +
		"\n\nAsk the bot owner to approve with:\nclawdbot pairing approve " + channel + " <code>"
}

// Guard is the access gate of issue 21 (it replaces Gate when a channel has access
// settings): it applies the DM and group policy (access.Rules) with the approvals of
// the pairing store, answers unknown senders with a pairing code once per request,
// keeps unanswered group messages as history and prefixes them when the bot is
// mentioned. Nothing from a sender who is not allowed reaches Next.
type Guard struct {
	Channel string
	Access  access.Config
	// Pairing holds approvals and pending requests; nil: no store (approvals only
	// from the config, and "pairing" behaves like "allowlist" without replies).
	Pairing *pairing.Store
	// Reply sends a text to chatID (the pairing code).
	Reply func(ctx context.Context, chatID, text string) error
	// History keeps unanswered group messages (nil: none).
	History *grouphistory.Buffer
	// Label is the channel's display name in history context ("Telegram").
	Label string
	Next  Inbound
	Log   *slog.Logger
	// MentionPatterns, when set, are the name patterns of the agent a group message
	// goes to (messages.groupChat.mentionPatterns, the agent's own, or its identity):
	// see MentionedByName.
	MentionPatterns func(m Message) []*regexp.Regexp

	mu sync.RWMutex // guards Access (SetAccess)
}

// SetAccess replaces the access settings (a config reload).
func (g *Guard) SetAccess(c access.Config) error {
	if err := c.Validate(); err != nil {
		return err
	}
	g.mu.Lock()
	g.Access = c
	g.mu.Unlock()
	return nil
}

// Admit decides m (a.Approved is filled from the store here) and acts on it. idLine is
// the line of the pairing reply naming the sender. It reports whether m was delivered.
func (g *Guard) Admit(ctx context.Context, m Message, a access.Message, idLine string) bool {
	log := g.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	g.mu.RLock()
	cfg := g.Access
	g.mu.RUnlock()
	rules, err := cfg.Rules(m.AccountID)
	if err != nil {
		log.Error("inbound message dropped: invalid access settings", "channel", g.Channel, "err", err)
		return false
	}
	if g.Pairing != nil {
		approved, err := g.Pairing.AllowFrom(g.Channel)
		if err != nil {
			// Fail closed: an unreadable store approves nobody (config entries still do).
			log.Error("pairing store unreadable", "channel", g.Channel, "err", err)
		}
		a.Approved = approved
	}
	d := rules.Decide(a)
	switch d.Outcome {
	case access.Deliver:
		m.CommandsDenied = !rules.CommandAuthorized(a)
		m.Owner = rules.IsOwner(a)
		m.Owners = rules.Owners()
		if m.Group && g.History != nil {
			key := g.historyKey(m)
			m.Text = grouphistory.Context(g.Label, "group:"+m.ChatID, g.History.Take(key), m.Text)
		}
		log.Info("inbound message", "channel", m.Channel, "from", m.From, "chat", m.ChatID, "chars", len(m.Text))
		if g.Next != nil {
			g.Next.Inbound(ctx, m)
		}
		return true
	case access.SendPairingCode:
		g.pair(ctx, m, idLine, log)
	default:
		if d.RecordHistory && g.History != nil {
			g.History.Record(g.historyKey(m), grouphistory.Entry{Sender: senderLabel(m), Body: m.Text, Time: m.Time, MessageID: m.MessageID})
		}
		log.Info("inbound message ignored", "channel", m.Channel, "from", m.From, "chat", m.ChatID, "reason", d.Reason)
	}
	return false
}

// MentionedByName reports whether a group message that mentions nobody explicitly
// names the bot by one of its agent's mention patterns ("clawd, what's the time?").
func (g *Guard) MentionedByName(m Message, a access.Message) bool {
	if !m.Group || a.Mentioned || a.AnyMention || g.MentionPatterns == nil {
		return false
	}
	return access.MatchesMentionPatterns(m.Text, g.MentionPatterns(m))
}

func (g *Guard) historyKey(m Message) string {
	return m.Channel + "\x00" + m.AccountID + "\x00" + m.ChatID
}

func senderLabel(m Message) string {
	if m.SenderName != "" {
		return fmt.Sprintf("%s (%s)", m.SenderName, m.From)
	}
	return m.From
}

// pair creates (or finds) the sender's pairing request and replies with the code
// only when the request is new: one reply per sender until the request expires.
func (g *Guard) pair(ctx context.Context, m Message, idLine string, log *slog.Logger) {
	if g.Pairing == nil {
		log.Info("inbound message ignored: sender not allowed (no pairing store)", "channel", m.Channel, "from", m.From)
		return
	}
	meta := map[string]string{"name": m.SenderName}
	code, created, err := g.Pairing.Upsert(g.Channel, m.From, meta)
	if err != nil {
		log.Error("pairing request failed", "channel", m.Channel, "from", m.From, "err", err)
		return
	}
	if !created {
		log.Info("inbound message ignored: pairing pending", "channel", m.Channel, "from", m.From, "full", code == "")
		return
	}
	log.Info("pairing request", "channel", m.Channel, "from", m.From, "name", m.SenderName)
	if g.Reply == nil {
		return
	}
	if err := g.Reply(ctx, m.ChatID, PairingReply(g.Channel, idLine, code)); err != nil {
		log.Warn("pairing reply failed", "channel", m.Channel, "chat", m.ChatID, "err", err)
	}
}
