package execapprove

import "strings"

// Security is how far commands are trusted.
type Security string

// Security modes, least to most permissive.
const (
	SecurityDeny      Security = "deny"
	SecurityAllowlist Security = "allowlist"
	SecurityFull      Security = "full"
)

// Ask is when a person is asked.
type Ask string

// Ask modes, least to most asking.
const (
	AskOff    Ask = "off"
	AskOnMiss Ask = "on-miss"
	AskAlways Ask = "always"
)

// Decision is a person's answer to an approval request.
type Decision string

// Decisions. The empty Decision means nobody answered in time.
const (
	AllowOnce   Decision = "allow-once"
	AllowAlways Decision = "allow-always"
	Deny        Decision = "deny"
)

// Defaults when neither the file nor the caller says.
const (
	DefaultSecurity    = SecurityDeny
	DefaultAsk         = AskOnMiss
	DefaultAskFallback = SecurityDeny
)

// ParseSecurity returns the mode s names, or "" when it names none.
func ParseSecurity(s string) Security {
	switch v := Security(strings.ToLower(strings.TrimSpace(s))); v {
	case SecurityDeny, SecurityAllowlist, SecurityFull:
		return v
	}
	return ""
}

// ParseAsk returns the mode s names, or "" when it names none.
func ParseAsk(s string) Ask {
	switch v := Ask(strings.ToLower(strings.TrimSpace(s))); v {
	case AskOff, AskOnMiss, AskAlways:
		return v
	}
	return ""
}

// ParseDecision returns the decision s names, or "" when it names none.
func ParseDecision(s string) Decision {
	switch v := Decision(strings.TrimSpace(s)); v {
	case AllowOnce, AllowAlways, Deny:
		return v
	}
	return ""
}

func securityRank(s Security) int {
	switch s {
	case SecurityAllowlist:
		return 1
	case SecurityFull:
		return 2
	}
	return 0
}

func askRank(a Ask) int {
	switch a {
	case AskOnMiss:
		return 1
	case AskAlways:
		return 2
	}
	return 0
}

// MinSecurity returns the stricter of a and b.
func MinSecurity(a, b Security) Security {
	if securityRank(a) <= securityRank(b) {
		return a
	}
	return b
}

// MaxAsk returns the more asking of a and b.
func MaxAsk(a, b Ask) Ask {
	if askRank(a) >= askRank(b) {
		return a
	}
	return b
}

// Overrides are the caller's settings (tools.exec.security / ask), used where the file
// says nothing.
type Overrides struct {
	Security        Security
	Ask             Ask
	AskFallback     Security
	AutoAllowSkills *bool
}

// Settings are resolved modes.
type Settings struct {
	Security        Security
	Ask             Ask
	AskFallback     Security
	AutoAllowSkills bool
}

// AgentPolicy is the file resolved for one agent.
type AgentPolicy struct {
	Defaults Settings
	Agent    Settings
	// Allowlist is the "*" agent's entries followed by the agent's own.
	Allowlist []AllowlistEntry
	File      File
}

func orSecurity(v, fallback Security) Security {
	if p := ParseSecurity(string(v)); p != "" {
		return p
	}
	return fallback
}

func orAsk(v, fallback Ask) Ask {
	if p := ParseAsk(string(v)); p != "" {
		return p
	}
	return fallback
}

func firstSecurity(vs ...Security) Security {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func firstAsk(vs ...Ask) Ask {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// Resolve resolves f for agentID ("" = main): the agent's entry, then the "*" entry,
// then the file defaults, then the overrides, then the built-in defaults.
func Resolve(f File, agentID string, o Overrides) AgentPolicy {
	f = Normalize(f)
	if agentID == "" {
		agentID = DefaultAgentID
	}
	var d Defaults
	if f.Defaults != nil {
		d = *f.Defaults
	}
	agent := f.Agents[agentID]
	wild := f.Agents["*"]
	fbSec := o.Security
	if fbSec == "" {
		fbSec = DefaultSecurity
	}
	fbAsk := o.Ask
	if fbAsk == "" {
		fbAsk = DefaultAsk
	}
	fbFallback := o.AskFallback
	if fbFallback == "" {
		fbFallback = DefaultAskFallback
	}
	fbSkills := o.AutoAllowSkills != nil && *o.AutoAllowSkills
	defaults := Settings{
		Security:        orSecurity(d.Security, fbSec),
		Ask:             orAsk(d.Ask, fbAsk),
		AskFallback:     orSecurity(firstSecurity(d.AskFallback, fbFallback), fbFallback),
		AutoAllowSkills: boolOr(d.AutoAllowSkills, fbSkills),
	}
	agentS := Settings{
		Security:        orSecurity(firstSecurity(agent.Security, wild.Security, defaults.Security), defaults.Security),
		Ask:             orAsk(firstAsk(agent.Ask, wild.Ask, defaults.Ask), defaults.Ask),
		AskFallback:     orSecurity(firstSecurity(agent.AskFallback, wild.AskFallback, defaults.AskFallback), defaults.AskFallback),
		AutoAllowSkills: boolOr(agent.AutoAllowSkills, boolOr(wild.AutoAllowSkills, defaults.AutoAllowSkills)),
	}
	list := append(append([]AllowlistEntry(nil), wild.Allowlist...), agent.Allowlist...)
	return AgentPolicy{Defaults: defaults, Agent: agentS, Allowlist: list, File: f}
}

func boolOr(p *bool, d bool) bool {
	if p != nil {
		return *p
	}
	return d
}

// RequiresApproval reports whether a person must be asked, as the original decides it:
// always when ask=always; on a miss when ask=on-miss and security=allowlist.
func RequiresApproval(ask Ask, sec Security, analysisOK, allowlistSatisfied bool) bool {
	return ask == AskAlways || (ask == AskOnMiss && sec == SecurityAllowlist && (!analysisOK || !allowlistSatisfied))
}
