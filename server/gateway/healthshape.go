package gateway

import (
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
)

// Channel ids and labels of the protocol-3 health shape, in the reference's order.
var healthChannels = [...]struct{ id, label string }{{"whatsapp", "WhatsApp"}, {"telegram", "Telegram"}}

// defaultAgentID is the one agent this gateway runs.
const defaultAgentID = "main"

// fillHealthV3 adds the protocol-3 fields (channels, channelOrder, channelLabels,
// defaultAgentId, agents) to a summary whose v2 fields the health sources filled in,
// so both generations of clients read the same snapshot.
func fillHealthV3(sum *protocol.HealthSummary) {
	wa := protocol.ChannelAccountHealth{AccountID: "default", Configured: sum.Web.Linked, Linked: new(sum.Web.Linked), AuthAgeMs: sum.Web.AuthAgeMs}
	tg := protocol.ChannelAccountHealth{AccountID: "default", Configured: sum.Telegram.Configured, Probe: sum.Telegram.Probe}
	accounts := map[string]protocol.ChannelAccountHealth{"whatsapp": wa, "telegram": tg}
	// A health source may have listed a channel's accounts (channels.<id>.accounts);
	// they are kept, the default account's entry built here from the v2 fields.
	prev := sum.Channels
	sum.Channels = make(map[string]protocol.ChannelHealth, len(healthChannels))
	sum.ChannelLabels = make(map[string]string, len(healthChannels))
	sum.ChannelOrder = make([]string, 0, len(healthChannels))
	for _, ch := range healthChannels {
		a := accounts[ch.id]
		all := map[string]protocol.ChannelAccountHealth{}
		if p, ok := prev[ch.id]; ok {
			if p.AccountID != "" {
				a.AccountID = p.AccountID
			}
			for id, pa := range p.Accounts {
				all[id] = pa
			}
		}
		all[a.AccountID] = a
		sum.Channels[ch.id] = protocol.ChannelHealth{
			AccountID: a.AccountID, Configured: a.Configured, Linked: a.Linked, AuthAgeMs: a.AuthAgeMs,
			Probe: a.Probe, LastProbeAt: a.LastProbeAt,
			Accounts: all,
		}
		sum.ChannelLabels[ch.id] = ch.label
		sum.ChannelOrder = append(sum.ChannelOrder, ch.id)
	}
	sum.DefaultAgentID = new(defaultAgentID)
	hb := protocol.HeartbeatSummary{Enabled: false, Every: "disabled"}
	if sum.HeartbeatSeconds > 0 {
		hb = protocol.HeartbeatSummary{Enabled: true, Every: (time.Duration(sum.HeartbeatSeconds) * time.Second).String(), EveryMs: new(sum.HeartbeatSeconds * 1000)}
	}
	sum.Agents = []protocol.AgentHealth{{AgentID: defaultAgentID, IsDefault: true, Heartbeat: hb, Sessions: sum.Sessions}}
}
