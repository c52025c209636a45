package daemon

import (
	"strings"

	genconfig "github.com/clawgate/gateway/gen/go/config"
	"github.com/clawgate/gateway/server/agent/tools"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/routing"
)

// groupToolPolicy is the tool policy of a group session (channels.whatsapp.groups.<id>.tools,
// else groups."*".tools; an account's own groups map replaces the channel's, as the
// original resolves it), applied on top of the global and agent layers; nil when the
// session is not a WhatsApp group or no policy is set.
func groupToolPolicy(c *genconfig.ClawdbotConfig, sessionKey, accountID string) *tools.Policy {
	channel, group, ok := groupOfKey(sessionKey)
	if !ok || channel != providers.WhatsApp {
		return nil
	}
	w := whatsappSection(c)
	if w == nil {
		return nil
	}
	groups := w.Groups
	id := routing.NormalizeAccountID(accountID)
	for k, v := range w.Accounts {
		if routing.NormalizeAccountID(k) != id || v.Groups == nil {
			continue
		}
		groups = genconfig.ConfigChannelsWhatsappGroups{}
		for g, gv := range v.Groups {
			e := groups[g]
			if gv.Tools != nil {
				e.Tools = &genconfig.ConfigChannelsWhatsappGroupsValueTools{Allow: gv.Tools.Allow, Deny: gv.Tools.Deny}
			}
			groups[g] = e
		}
	}
	var t *genconfig.ConfigChannelsWhatsappGroupsValueTools
	for k, g := range groups {
		if strings.EqualFold(strings.TrimSpace(k), group) && g.Tools != nil {
			t = g.Tools
		}
	}
	if t == nil {
		if g, ok := groups["*"]; ok {
			t = g.Tools
		}
	}
	if t == nil || (len(t.Allow) == 0 && len(t.Deny) == 0) {
		return nil
	}
	return tools.NewPolicy(t.Allow, t.Deny)
}

// groupOfKey reads the channel and group id of a group session key
// (agent:<agent>:<channel>:group:<id>, the id lowercased by routing).
func groupOfKey(key string) (channel, group string, ok bool) {
	rest, found := strings.CutPrefix(key, "agent:")
	if !found {
		return "", "", false
	}
	parts := strings.SplitN(rest, ":", 4)
	if len(parts) != 4 || parts[2] != "group" || parts[3] == "" {
		return "", "", false
	}
	return parts[1], parts[3], true
}
