package tools

import (
	"regexp"
	"sort"
	"strings"
)

// Profile ids (tools.profile).
const (
	ProfileMinimal   = "minimal"
	ProfileCoding    = "coding"
	ProfileMessaging = "messaging"
	ProfileFull      = "full"
)

var nameAliases = map[string]string{"bash": "exec", "apply-patch": "apply_patch"}

// Groups are the original's tool groups, usable in allow and deny lists.
var Groups = map[string][]string{
	"group:memory":     {"memory_search", "memory_get"},
	"group:web":        {"web_search", "web_fetch"},
	"group:fs":         {"read", "write", "edit", "apply_patch"},
	"group:runtime":    {"exec", "process"},
	"group:sessions":   {"sessions_list", "sessions_history", "sessions_send", "sessions_spawn", "session_status"},
	"group:ui":         {"browser", "canvas"},
	"group:automation": {"cron", "gateway"},
	"group:messaging":  {"message"},
	"group:nodes":      {"nodes"},
	"group:clawdbot": {"browser", "canvas", "nodes", "cron", "message", "gateway", "agents_list", "sessions_list",
		"sessions_history", "sessions_send", "sessions_spawn", "session_status", "memory_search", "memory_get",
		"web_search", "web_fetch", "image"},
}

// profiles are the base allowlists of tools.profile ("full" allows everything).
var profiles = map[string][]string{
	ProfileMinimal:   {"session_status"},
	ProfileCoding:    {"group:fs", "group:runtime", "group:sessions", "group:memory", "image"},
	ProfileMessaging: {"group:messaging", "sessions_list", "sessions_history", "sessions_send", "session_status"},
}

// NormalizeName lowercases a tool name and maps aliases (bash → exec).
func NormalizeName(name string) string {
	n := strings.ToLower(strings.TrimSpace(name))
	if a, ok := nameAliases[n]; ok {
		return a
	}
	return n
}

// ExpandGroups normalizes names and replaces group names by their members.
func ExpandGroups(list []string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, v := range list {
		n := NormalizeName(v)
		if g, ok := Groups[n]; ok {
			for _, m := range g {
				add(m)
			}
			continue
		}
		add(n)
	}
	return out
}

// PolicyConfig is one layer of tool policy as configured (tools.* or
// agents.list[].tools.*, and their byProvider entries).
type PolicyConfig struct {
	Profile    string
	Allow      []string
	Deny       []string
	ByProvider map[string]PolicyConfig
}

// SetProvider sets the policy for provider (or provider/model) key.
func (p *PolicyConfig) SetProvider(key string, c PolicyConfig) {
	if p.ByProvider == nil {
		p.ByProvider = map[string]PolicyConfig{}
	}
	p.ByProvider[key] = c
}

// Policy is an allow and a deny list (patterns may use * and group names). Deny wins;
// an empty allow list allows everything not denied.
type Policy struct {
	Allow []string
	Deny  []string

	allow, deny []matcher
}

type matcher struct {
	all   bool
	exact string
	re    *regexp.Regexp
}

func compile(list []string) []matcher {
	var out []matcher
	for _, p := range ExpandGroups(list) {
		switch {
		case p == "*":
			out = append(out, matcher{all: true})
		case !strings.Contains(p, "*"):
			out = append(out, matcher{exact: p})
		default:
			q := regexp.QuoteMeta(p)
			out = append(out, matcher{re: regexp.MustCompile("^" + strings.ReplaceAll(q, `\*`, ".*") + "$")})
		}
	}
	return out
}

func matchAny(name string, ms []matcher) bool {
	for _, m := range ms {
		if m.all || (m.re == nil && m.exact == name) || (m.re != nil && m.re.MatchString(name)) {
			return true
		}
	}
	return false
}

// NewPolicy compiles a policy.
func NewPolicy(allow, deny []string) *Policy {
	return &Policy{Allow: allow, Deny: deny, allow: compile(allow), deny: compile(deny)}
}

// Allowed reports whether the policy allows tool name. As in the original, apply_patch
// is allowed wherever exec is.
func (p *Policy) Allowed(name string) bool {
	if p == nil {
		return true
	}
	n := NormalizeName(name)
	if matchAny(n, p.deny) {
		return false
	}
	if len(p.allow) == 0 || matchAny(n, p.allow) {
		return true
	}
	return n == "apply_patch" && matchAny("exec", p.allow)
}

// AllowedByAll reports whether every policy allows name (nil policies allow all).
func AllowedByAll(name string, policies ...*Policy) bool {
	for _, p := range policies {
		if !p.Allowed(name) {
			return false
		}
	}
	return true
}

// ProfilePolicy returns the policy of a profile id; nil for "full", "" or an unknown id
// (the original ignores unknown profiles).
func ProfilePolicy(profile string) *Policy {
	allow, ok := profiles[strings.TrimSpace(profile)]
	if !ok {
		return nil
	}
	return NewPolicy(allow, nil)
}

func pick(c *PolicyConfig) *Policy {
	if c == nil || (c.Allow == nil && c.Deny == nil) {
		return nil
	}
	return NewPolicy(c.Allow, c.Deny)
}

// byProvider finds the entry for "provider/model" or else "provider".
func byProvider(m map[string]PolicyConfig, provider, model string) *PolicyConfig {
	if len(m) == 0 || strings.TrimSpace(provider) == "" {
		return nil
	}
	lookup := map[string]PolicyConfig{}
	for k, v := range m {
		if n := strings.ToLower(strings.TrimSpace(k)); n != "" {
			lookup[n] = v
		}
	}
	p := strings.ToLower(strings.TrimSpace(provider))
	mid := strings.ToLower(strings.TrimSpace(model))
	var keys []string
	if mid != "" {
		if !strings.Contains(mid, "/") {
			mid = p + "/" + mid
		}
		keys = append(keys, mid)
	}
	keys = append(keys, p)
	for _, k := range keys {
		if v, ok := lookup[k]; ok {
			return &v
		}
	}
	return nil
}

// Layers resolves the policy layers of a run in the original's order: profile (agent's
// profile over the global one), provider profile, global allow/deny, global by-provider,
// agent allow/deny, agent by-provider. known lists the tools that exist; an allow list
// that names none of them is dropped (the original does this so a list of plugin tools
// cannot switch off every core tool) and reported in warnings.
func Layers(global, agent *PolicyConfig, provider, model string, known []string) (layers []*Policy, warnings []string) {
	profile := ""
	if agent != nil && agent.Profile != "" {
		profile = agent.Profile
	} else if global != nil {
		profile = global.Profile
	}
	var gProv, aProv *PolicyConfig
	if global != nil {
		gProv = byProvider(global.ByProvider, provider, model)
	}
	if agent != nil {
		aProv = byProvider(agent.ByProvider, provider, model)
	}
	provProfile := ""
	if aProv != nil && aProv.Profile != "" {
		provProfile = aProv.Profile
	} else if gProv != nil {
		provProfile = gProv.Profile
	}
	knownSet := map[string]bool{}
	for _, k := range known {
		knownSet[NormalizeName(k)] = true
	}
	check := func(label string, p *Policy) *Policy {
		if p == nil || len(p.Allow) == 0 {
			return p
		}
		hasKnown := false
		var unknown []string
		for _, e := range p.Allow {
			n := NormalizeName(e)
			if n == "" {
				continue
			}
			core := false
			for _, t := range ExpandGroups([]string{n}) {
				if knownSet[t] || strings.Contains(t, "*") {
					core = true
				}
			}
			if core {
				hasKnown = true
			} else {
				unknown = append(unknown, n)
			}
		}
		// Built-in profiles name tools this gateway may not have (memory, image): that is
		// not the user's doing, so only user lists are reported.
		if len(unknown) > 0 && !strings.HasSuffix(label, "profile") {
			sort.Strings(unknown)
			msg := label + " allowlist contains unknown entries (" + strings.Join(unknown, ", ") + ")."
			if !hasKnown {
				msg += " Ignoring allowlist so core tools remain available."
			}
			warnings = append(warnings, msg)
		}
		if !hasKnown {
			return NewPolicy(nil, p.Deny)
		}
		return p
	}
	layers = []*Policy{
		check("tools.profile", ProfilePolicy(profile)),
		check("tools.byProvider.profile", ProfilePolicy(provProfile)),
		check("tools.allow", pick(global)),
		check("tools.byProvider.allow", pick(gProv)),
		check("agent tools.allow", pick(agent)),
		check("agent tools.byProvider.allow", pick(aProv)),
	}
	return layers, warnings
}
