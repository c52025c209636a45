package daemon

import (
	"regexp"
	"strconv"
	"strings"

	genconfig "github.com/clawgate/gateway/gen/go/config"
	"github.com/clawgate/gateway/server/agent"
	"github.com/clawgate/gateway/server/agent/tools"
)

// elevatedPrefixes are the prefixes an allowFrom entry or a sender id may carry
// ("telegram:123", "user:alice"); they are compared without them, as in the original.
var elevatedPrefixes = regexp.MustCompile(`(?i)^(whatsapp|telegram|discord|slack|signal|imessage|googlechat|msteams|webchat|user|group|channel):`)

var (
	slugDrop  = regexp.MustCompile(`[^a-z0-9-]+`)
	slugSpace = regexp.MustCompile(`[\s_]+`)
	slugDash  = regexp.MustCompile(`-{2,}`)
)

// elevatedSlug is a name as allowFrom may spell it: lower case, no leading @ or #,
// spaces and underscores as dashes, nothing but letters, digits and dashes.
func elevatedSlug(v string) string {
	t := strings.TrimLeft(strings.ToLower(strings.TrimSpace(v)), "@#")
	t = slugSpace.ReplaceAllString(t, "-")
	t = slugDrop.ReplaceAllString(t, "-")
	return strings.Trim(slugDash.ReplaceAllString(t, "-"), "-")
}

// allowFromEntries renders an allowFrom list (strings and numbers) as strings.
func allowFromEntries(list []any) []string {
	var out []string
	for _, v := range list {
		switch x := v.(type) {
		case string:
			out = append(out, strings.TrimSpace(x))
		case float64:
			out = append(out, strconv.FormatFloat(x, 'f', -1, 64))
		}
	}
	return out
}

// elevatedSenderAllowed reports whether sender is on list: "*" allows everyone; an
// entry matches the sender's id, name or username as written, lower-cased or
// slugged, with or without a channel prefix.
func elevatedSenderAllowed(list []string, s agent.SenderInfo) bool {
	tokens := map[string]bool{}
	add := func(v string) {
		if v = strings.TrimSpace(v); v == "" {
			return
		}
		tokens[v] = true
		tokens[strings.ToLower(v)] = true
		if sl := elevatedSlug(v); sl != "" {
			tokens[sl] = true
		}
	}
	add(s.ID)
	add(elevatedPrefixes.ReplaceAllString(strings.TrimSpace(s.ID), ""))
	add(s.Name)
	add(s.Username)
	for _, e := range list {
		if e == "" {
			continue
		}
		if e == "*" {
			return true
		}
		stripped := elevatedPrefixes.ReplaceAllString(e, "")
		if tokens[e] || tokens[stripped] || tokens[strings.ToLower(stripped)] {
			return true
		}
		if sl := elevatedSlug(stripped); sl != "" && tokens[sl] {
			return true
		}
	}
	return false
}

// elevatedFor is the elevated gate of a run of agent entry answering channel for
// sender, with the session's /elevated level (sessionLevel, "" = none):
// tools.elevated.enabled and the agent's (on unless false), the sender on
// tools.elevated.allowFrom.<channel> and, when the agent has its own allowFrom, on
// that too; the level is the session's, else agents.defaults.elevatedDefault, else on.
func elevatedFor(c *genconfig.ClawdbotConfig, entry genconfig.ConfigAgentsListElem, channel string, sender agent.SenderInfo, sessionLevel string) tools.Elevated {
	var g *genconfig.ConfigToolsElevated
	if c.Tools != nil {
		g = c.Tools.Elevated
	}
	var a *genconfig.ConfigAgentsListElemToolsElevated
	if entry.Tools != nil {
		a = entry.Tools.Elevated
	}
	var e tools.Elevated
	e.Enabled = (g == nil || g.Enabled == nil || *g.Enabled) && (a == nil || a.Enabled == nil || *a.Enabled)
	ch := strings.ToLower(strings.TrimSpace(channel))
	if !e.Enabled || ch == "" || sender.ID == "" && sender.Name == "" && sender.Username == "" {
		return e
	}
	var global []any
	if g != nil {
		global = g.AllowFrom[ch]
	}
	e.Allowed = elevatedSenderAllowed(allowFromEntries(global), sender)
	if e.Allowed && a != nil && a.AllowFrom != nil {
		e.Allowed = elevatedSenderAllowed(allowFromEntries(a.AllowFrom[ch]), sender)
	}
	if !e.Allowed {
		return e
	}
	e.Level = sessionLevel
	if e.Level == "" && c.Agents != nil && c.Agents.Defaults != nil && c.Agents.Defaults.ElevatedDefault != nil {
		e.Level = string(*c.Agents.Defaults.ElevatedDefault)
	}
	if e.Level == "" {
		e.Level = "on"
	}
	return e
}

// elevatedFailures names the gates e fails, as "gate (key)" (the original's list for
// /elevated): the enabled switches that are off, else the allowFrom lists the sender is
// not on.
func elevatedFailures(c *genconfig.ClawdbotConfig, entry genconfig.ConfigAgentsListElem, channel string, e tools.Elevated) []string {
	var out []string
	if !e.Enabled {
		if c.Tools != nil && c.Tools.Elevated != nil && c.Tools.Elevated.Enabled != nil && !*c.Tools.Elevated.Enabled {
			out = append(out, "enabled (tools.elevated.enabled)")
		}
		if entry.Tools != nil && entry.Tools.Elevated != nil && entry.Tools.Elevated.Enabled != nil && !*entry.Tools.Elevated.Enabled {
			out = append(out, "enabled (agents.list[].tools.elevated.enabled)")
		}
		return out
	}
	ch := strings.ToLower(strings.TrimSpace(channel))
	if ch == "" {
		return []string{"provider (ctx.Provider)"}
	}
	if !e.Allowed {
		out = append(out, "allowFrom (tools.elevated.allowFrom."+ch+" / agents.list[].tools.elevated.allowFrom."+ch+")")
	}
	return out
}
