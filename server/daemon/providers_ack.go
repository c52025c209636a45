package daemon

import (
	"strings"

	genconfig "github.com/clawgate/gateway/gen/go/config"
	"github.com/clawgate/gateway/server/agents"
	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/providers/telegram"
	"github.com/clawgate/gateway/server/providers/whatsapp"
)

// telegramAck is messages.ackReaction, ackReactionScope and removeAckAfterReply for
// Telegram. An unset emoji is the default agent's identity emoji, else
// providers.DefaultAckEmoji (the original's order); "" (set empty) disables acks.
func telegramAck(c *genconfig.ClawdbotConfig) telegram.AckConfig {
	a := telegram.AckConfig{Emoji: providers.DefaultAckEmoji}
	if e, ok := agents.Entry(c, agents.DefaultID(c)); ok && e.Identity != nil && e.Identity.Emoji != nil {
		if v := strings.TrimSpace(*e.Identity.Emoji); v != "" {
			a.Emoji = v
		}
	}
	m := c.Messages
	if m == nil {
		return a
	}
	if m.AckReaction != nil {
		a.Emoji = strings.TrimSpace(*m.AckReaction)
	}
	if m.AckReactionScope != nil {
		a.Scope = string(*m.AckReactionScope)
	}
	a.RemoveAfterReply = m.RemoveAckAfterReply != nil && *m.RemoveAckAfterReply
	return a
}

// whatsappAck is channels.whatsapp.ackReaction (off unless an emoji is set; direct
// defaults to true, group to "mentions") and sendReadReceipts (default true). The
// generated type cannot tell an absent direct from false, so the file is asked.
func whatsappAck(f *config.File) whatsapp.AckConfig {
	a := whatsapp.AckConfig{Direct: true, GroupMode: providers.AckModeMentions, ReadReceipts: true}
	if f == nil || f.Config.Channels == nil || f.Config.Channels.Whatsapp == nil {
		return a
	}
	w := f.Config.Channels.Whatsapp
	if w.SendReadReceipts != nil {
		a.ReadReceipts = *w.SendReadReceipts
	}
	if r := w.AckReaction; r != nil {
		if r.Emoji != nil {
			a.Emoji = strings.TrimSpace(*r.Emoji)
		}
		if f.IsSet("/channels/whatsapp/ackReaction/direct") {
			a.Direct = r.Direct
		}
		if r.Group != "" {
			a.GroupMode = string(r.Group)
		}
	}
	return a
}
