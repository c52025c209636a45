package daemon

import (
	"strings"
	"sync/atomic"
	"time"

	genconfig "github.com/clawgate/gateway/gen/go/config"
	"github.com/clawgate/gateway/server/agent"
	"github.com/clawgate/gateway/server/agents"
	"github.com/clawgate/gateway/server/chunk"
	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/providers"
)

// coalesceCfg is a blockStreamingCoalesce object of any level.
type coalesceCfg struct{ min, max, idle *int }

// channelBlockCfg is what a channel (and its account) says about block streaming.
type channelBlockCfg struct {
	on        *bool        // channels.<id>[.accounts.<a>].blockStreaming
	coalesce  *coalesceCfg // the account's object, else the channel's
	textLimit *int         // textChunkLimit, the account's first
}

// accountKey finds accountID among keys (exactly, then case-insensitively, as the
// original normalizes account ids).
func accountKey[V any](m map[string]V, accountID string) (V, bool) {
	var zero V
	id := strings.TrimSpace(accountID)
	if id == "" {
		return zero, false
	}
	if v, ok := m[id]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(strings.TrimSpace(k), id) {
			return v, true
		}
	}
	return zero, false
}

func channelBlock(c *genconfig.ClawdbotConfig, channel, accountID string) channelBlockCfg {
	var out channelBlockCfg
	if c.Channels == nil {
		return out
	}
	switch channel {
	case providers.Telegram:
		tc := c.Channels.Telegram
		if tc == nil {
			return out
		}
		out.on, out.textLimit = tc.BlockStreaming, tc.TextChunkLimit
		if bc := tc.BlockStreamingCoalesce; bc != nil {
			out.coalesce = &coalesceCfg{bc.MinChars, bc.MaxChars, bc.IdleMs}
		}
		if a, ok := accountKey(tc.Accounts, accountID); ok {
			overlay(&out.on, a.BlockStreaming)
			overlay(&out.textLimit, a.TextChunkLimit)
			if bc := a.BlockStreamingCoalesce; bc != nil {
				out.coalesce = &coalesceCfg{bc.MinChars, bc.MaxChars, bc.IdleMs}
			}
		}
	case providers.WhatsApp:
		wc := c.Channels.Whatsapp
		if wc == nil {
			return out
		}
		out.on, out.textLimit = wc.BlockStreaming, wc.TextChunkLimit
		if bc := wc.BlockStreamingCoalesce; bc != nil {
			out.coalesce = &coalesceCfg{bc.MinChars, bc.MaxChars, bc.IdleMs}
		}
		if a, ok := accountKey(wc.Accounts, accountID); ok {
			overlay(&out.on, a.BlockStreaming)
			overlay(&out.textLimit, a.TextChunkLimit)
			if bc := a.BlockStreamingCoalesce; bc != nil {
				out.coalesce = &coalesceCfg{bc.MinChars, bc.MaxChars, bc.IdleMs}
			}
		}
	}
	return out
}

// blockStreamingConfig resolves a reply's block streaming from the live config, as
// the original: the channel's (or account's) blockStreaming decides when set, else
// agents.defaults.blockStreamingDefault ("off" unless "on"). Blocks are
// blockStreamingChunk.minChars..maxChars (800..1200, maxChars capped at the channel's
// text limit); coalescing takes the account's, else the channel's, else the
// defaults' blockStreamingCoalesce object (minChars: the block minimum, maxChars: the
// text limit, idleMs: 1000); humanDelay is the agent's over agents.defaults', field by
// field ("natural": 800..2500 ms; "custom": minMs..maxMs with those defaults).
func blockStreamingConfig(cur *atomic.Pointer[config.File]) func(sessionKey, channel, accountID string) *agent.BlockStreaming {
	return func(sessionKey, channel, accountID string) *agent.BlockStreaming {
		f := cur.Load()
		if f == nil {
			return nil
		}
		c := &f.Config
		var d *genconfig.ConfigAgentsDefaults
		if c.Agents != nil {
			d = c.Agents.Defaults
		}
		ch := channelBlock(c, channel, accountID)
		on := d != nil && d.BlockStreamingDefault != nil && *d.BlockStreamingDefault == genconfig.ConfigAgentsDefaultsBlockStreamingDefaultOn
		if ch.on != nil {
			on = *ch.on
		}
		if !on {
			return nil
		}
		configured := 0
		if ch.textLimit != nil {
			configured = *ch.textLimit
		}
		limit := chunk.LimitFor(channel, configured)
		bs := &agent.BlockStreaming{Break: agent.BlockBreakTextEnd, MaxChars: agent.DefaultBlockMaxChars, MinChars: agent.DefaultBlockMinChars,
			Preference: chunk.BreakParagraph, CoalesceIdle: agent.DefaultBlockCoalesceIdle}
		if d != nil && d.BlockStreamingBreak != nil && *d.BlockStreamingBreak == genconfig.ConfigAgentsDefaultsBlockStreamingBreakMessageEnd {
			bs.Break = agent.BlockBreakMessageEnd
		}
		if d != nil && d.BlockStreamingChunk != nil {
			bc := d.BlockStreamingChunk
			if bc.MaxChars != nil && *bc.MaxChars > 0 {
				bs.MaxChars = *bc.MaxChars
			}
			if bc.MinChars != nil && *bc.MinChars > 0 {
				bs.MinChars = *bc.MinChars
			}
			if bc.BreakPreference != nil {
				bs.Preference = string(*bc.BreakPreference)
			}
		}
		bs.MaxChars = min(bs.MaxChars, limit)
		bs.MinChars = min(bs.MinChars, bs.MaxChars)
		co := ch.coalesce
		if co == nil && d != nil && d.BlockStreamingCoalesce != nil {
			dc := d.BlockStreamingCoalesce
			co = &coalesceCfg{dc.MinChars, dc.MaxChars, dc.IdleMs}
		}
		bs.CoalesceMin, bs.CoalesceMax = bs.MinChars, limit
		if co != nil {
			if co.min != nil && *co.min > 0 {
				bs.CoalesceMin = *co.min
			}
			if co.max != nil && *co.max > 0 {
				bs.CoalesceMax = min(*co.max, limit)
			}
			if co.idle != nil && *co.idle >= 0 {
				bs.CoalesceIdle = time.Duration(*co.idle) * time.Millisecond
			}
		}
		bs.CoalesceMin = min(bs.CoalesceMin, bs.CoalesceMax)
		bs.DelayMin, bs.DelayMax = humanDelay(c, agents.SessionAgent(c, sessionKey))
		return bs
	}
}

// humanDelay is the pause range between block replies of an agent's runs (both 0:
// none): agents.list[].humanDelay over agents.defaults.humanDelay, field by field.
func humanDelay(c *genconfig.ClawdbotConfig, agentID string) (lo, hi time.Duration) {
	var mode string
	var minMs, maxMs *int
	if c.Agents != nil && c.Agents.Defaults != nil && c.Agents.Defaults.HumanDelay != nil {
		h := c.Agents.Defaults.HumanDelay
		if h.Mode != nil {
			mode = string(*h.Mode)
		}
		minMs, maxMs = h.MinMs, h.MaxMs
	}
	if e, ok := agents.Entry(c, agentID); ok && e.HumanDelay != nil {
		h := e.HumanDelay
		if h.Mode != nil {
			mode = string(*h.Mode)
		}
		if h.MinMs != nil {
			minMs = h.MinMs
		}
		if h.MaxMs != nil {
			maxMs = h.MaxMs
		}
	}
	lo, hi = agent.DefaultHumanDelayMin, agent.DefaultHumanDelayMax
	switch mode {
	case "natural":
	case "custom":
		if minMs != nil {
			lo = time.Duration(*minMs) * time.Millisecond
		}
		if maxMs != nil {
			hi = time.Duration(*maxMs) * time.Millisecond
		}
	default: // "off" and unset
		return 0, 0
	}
	if hi < lo {
		hi = lo
	}
	return lo, hi
}
