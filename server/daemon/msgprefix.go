package daemon

import (
	genconfig "github.com/clawgate/gateway/gen/go/config"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/routing"
)

// defaultMessagePrefix is the original's WhatsApp inbound prefix when nothing names
// one, no allowFrom is configured and the agent has no identity name.
const defaultMessagePrefix = "[clawdbot]"

// whatsappPrefix is whatsapp.Config.MessagePrefix over the current config (the same
// snapshot the mention patterns come from, so a reload applies to the next message).
func (x *mentionIndex) whatsappPrefix(m providers.Message) string {
	set := x.cur.Load()
	if set == nil {
		return ""
	}
	return whatsappMessagePrefix(&set.file.Config, m)
}

// whatsappMessagePrefix is the text the original puts before a WhatsApp message's
// body in what the agent reads (not in replies: that is responsePrefix):
// channels.whatsapp.accounts.<id>.messagePrefix, else channels.whatsapp.messagePrefix,
// else the legacy messages.messagePrefix, as set (an empty string turns it off);
// unset everywhere, nothing when the account has an allowFrom list, else the routed
// agent's identity name in brackets, else "[clawdbot]".
func whatsappMessagePrefix(c *genconfig.ClawdbotConfig, m providers.Message) string {
	var configured *string
	var allow []string
	if w := whatsappSection(c); w != nil {
		configured, allow = w.MessagePrefix, w.AllowFrom
		id := routing.NormalizeAccountID(m.AccountID)
		for k, v := range w.Accounts {
			if routing.NormalizeAccountID(k) != id {
				continue
			}
			if v.MessagePrefix != nil {
				configured = v.MessagePrefix
			}
			if v.AllowFrom != nil {
				allow = v.AllowFrom
			}
		}
	}
	if configured == nil && c.Messages != nil {
		configured = c.Messages.MessagePrefix
	}
	if configured != nil {
		return *configured
	}
	if len(allow) > 0 {
		return ""
	}
	peer := &routing.Peer{Kind: routing.PeerDM, ID: m.From}
	if m.Group {
		peer = &routing.Peer{Kind: routing.PeerGroup, ID: m.ChatID}
	}
	agent := routing.Resolve(c, routing.Input{Channel: providers.WhatsApp, AccountID: m.AccountID, Peer: peer}, routing.OptionsFrom(c)).AgentID
	if name := agentIdentityName(c, agent); name != "" {
		return "[" + name + "]"
	}
	return defaultMessagePrefix
}
