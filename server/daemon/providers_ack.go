package daemon

import (
	"strings"

	genconfig "github.com/clawgate/gateway/gen/go/config"
	"github.com/clawgate/gateway/server/agents"
	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/providers/telegram"
	"github.com/clawgate/gateway/server/providers/whatsapp"
	"github.com/clawgate/gateway/server/routing"
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
// defaults to true, group to "mentions") and sendReadReceipts (default true) for
// account id, each key taken from channels.whatsapp.accounts.<id> when the account
// sets it, else from the channel (the original's order). The file's tree is read, not
// the generated types, because they cannot tell an absent direct from false.
func whatsappAck(f *config.File, id string) whatsapp.AckConfig {
	a := whatsapp.AckConfig{Direct: true, GroupMode: providers.AckModeMentions, ReadReceipts: true}
	if f == nil {
		return a
	}
	bases := []string{"/channels/whatsapp"}
	if accts, ok := f.Lookup("/channels/whatsapp/accounts"); ok {
		if m, ok := accts.(map[string]any); ok {
			for k := range m {
				if routing.NormalizeAccountID(k) == id {
					bases = append(bases, "/channels/whatsapp/accounts/"+strings.NewReplacer("~", "~0", "/", "~1").Replace(k))
				}
			}
		}
	}
	for _, b := range bases { // the account's keys last, so they win
		if v, ok := f.Lookup(b + "/sendReadReceipts"); ok {
			if x, ok := v.(bool); ok {
				a.ReadReceipts = x
			}
		}
		if v, ok := f.Lookup(b + "/ackReaction/emoji"); ok {
			if x, ok := v.(string); ok {
				a.Emoji = strings.TrimSpace(x)
			}
		}
		if v, ok := f.Lookup(b + "/ackReaction/direct"); ok {
			if x, ok := v.(bool); ok {
				a.Direct = x
			}
		}
		if v, ok := f.Lookup(b + "/ackReaction/group"); ok {
			if x, ok := v.(string); ok && x != "" {
				a.GroupMode = x
			}
		}
	}
	return a
}
