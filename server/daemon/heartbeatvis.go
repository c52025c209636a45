package daemon

import (
	"cmp"

	genconfig "github.com/clawgate/gateway/gen/go/config"
	"github.com/clawgate/gateway/server/heartbeat"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/routing"
)

// heartbeatVisibility is heartbeat.Options.Visibility over the current config (the
// snapshot a reload replaces).
func (x *mentionIndex) heartbeatVisibility(channel, accountID string) heartbeat.Visibility {
	set := x.cur.Load()
	if set == nil {
		return heartbeat.DefaultVisibility
	}
	return heartbeatVisibility(&set.file.Config, channel, accountID)
}

// heartbeatVisibility resolves showOk, showAlerts and useIndicator for a heartbeat
// delivered on channel through accountID, each on its own as the original: the
// WhatsApp or Telegram account's heartbeat, the channel's, channels.defaults.heartbeat,
// then heartbeat.DefaultVisibility. Other channels read only channels.defaults.
func heartbeatVisibility(c *genconfig.ClawdbotConfig, channel, accountID string) heartbeat.Visibility {
	v := heartbeat.DefaultVisibility
	var layers [][3]*bool // showOk, showAlerts, useIndicator; least specific first
	if c.Channels != nil && c.Channels.Defaults != nil && c.Channels.Defaults.Heartbeat != nil {
		h := c.Channels.Defaults.Heartbeat
		layers = append(layers, [3]*bool{h.ShowOk, h.ShowAlerts, h.UseIndicator})
	}
	if w := whatsappSection(c); w != nil && providers.NormalizeChannel(channel) == providers.WhatsApp {
		if h := w.Heartbeat; h != nil {
			layers = append(layers, [3]*bool{h.ShowOk, h.ShowAlerts, h.UseIndicator})
		}
		id := routing.NormalizeAccountID(accountID)
		for k, a := range w.Accounts {
			if routing.NormalizeAccountID(k) == id && a.Heartbeat != nil {
				h := a.Heartbeat
				layers = append(layers, [3]*bool{h.ShowOk, h.ShowAlerts, h.UseIndicator})
			}
		}
	}
	if c.Channels != nil && c.Channels.Telegram != nil && providers.NormalizeChannel(channel) == providers.Telegram {
		t := c.Channels.Telegram
		if h := t.Heartbeat; h != nil {
			layers = append(layers, [3]*bool{h.ShowOk, h.ShowAlerts, h.UseIndicator})
		}
		if a, ok := accountEntry(t.Accounts, cmp.Or(accountID, routing.DefaultAccountID)); ok && a.Heartbeat != nil {
			h := a.Heartbeat
			layers = append(layers, [3]*bool{h.ShowOk, h.ShowAlerts, h.UseIndicator})
		}
	}
	for _, l := range layers {
		set := func(dst *bool, p *bool) {
			if p != nil {
				*dst = *p
			}
		}
		set(&v.ShowOk, l[0])
		set(&v.ShowAlerts, l[1])
		set(&v.UseIndicator, l[2])
	}
	return v
}
