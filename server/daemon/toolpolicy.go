package daemon

import (
	"encoding/json"
	"strings"
	"time"

	genconfig "github.com/clawgate/gateway/gen/go/config"
	"github.com/clawgate/gateway/server/agent/tools"
	"github.com/clawgate/gateway/server/execapprove"
)

// execConf is tools.exec and agents.list[].tools.exec in one shape (the generated
// types differ only in name), so an agent's settings can override the global ones key
// by key.
type execConf struct {
	Host                    *string  `json:"host"`
	Security                *string  `json:"security"`
	Ask                     *string  `json:"ask"`
	Node                    *string  `json:"node"`
	PathPrepend             []string `json:"pathPrepend"`
	SafeBins                []string `json:"safeBins"`
	BackgroundMs            *int     `json:"backgroundMs"`
	TimeoutSec              *int     `json:"timeoutSec"`
	ApprovalRunningNoticeMs *int     `json:"approvalRunningNoticeMs"`
	CleanupMs               *int     `json:"cleanupMs"`
	NotifyOnExit            *bool    `json:"notifyOnExit"`
	ApplyPatch              *struct {
		Enabled     *bool    `json:"enabled"`
		AllowModels []string `json:"allowModels"`
	} `json:"applyPatch"`
}

// toExecConf converts a generated exec config (nil-safe) to execConf.
func toExecConf(v any) execConf {
	var c execConf
	if b, err := json.Marshal(v); err == nil {
		_ = json.Unmarshal(b, &c)
	}
	return c
}

// mergeExec is the agent's exec settings over the global ones: each key the agent
// sets replaces the global value (lists replace, they do not add up).
func mergeExec(global, agent execConf) execConf {
	out := global
	overlay(&out.Host, agent.Host)
	overlay(&out.Security, agent.Security)
	overlay(&out.Ask, agent.Ask)
	overlay(&out.Node, agent.Node)
	if agent.PathPrepend != nil {
		out.PathPrepend = agent.PathPrepend
	}
	if agent.SafeBins != nil {
		out.SafeBins = agent.SafeBins
	}
	overlay(&out.BackgroundMs, agent.BackgroundMs)
	overlay(&out.TimeoutSec, agent.TimeoutSec)
	overlay(&out.ApprovalRunningNoticeMs, agent.ApprovalRunningNoticeMs)
	overlay(&out.CleanupMs, agent.CleanupMs)
	overlay(&out.NotifyOnExit, agent.NotifyOnExit)
	if agent.ApplyPatch != nil {
		ap := *agent.ApplyPatch
		if global.ApplyPatch != nil {
			if ap.Enabled == nil {
				ap.Enabled = global.ApplyPatch.Enabled
			}
			if ap.AllowModels == nil {
				ap.AllowModels = global.ApplyPatch.AllowModels
			}
		}
		out.ApplyPatch = &ap
	}
	return out
}

// apply sets the exec tool's options from c (what c does not set keeps base's value).
func (c execConf) apply(base tools.ExecOptions) tools.ExecOptions {
	o := base
	if c.Host != nil {
		o.Host = strings.ToLower(strings.TrimSpace(*c.Host))
	}
	if c.Node != nil {
		o.Node = strings.TrimSpace(*c.Node)
	}
	if c.Security != nil {
		o.Security = execapprove.ParseSecurity(*c.Security)
	}
	if c.Ask != nil {
		o.Ask = execapprove.ParseAsk(*c.Ask)
	}
	if c.TimeoutSec != nil && *c.TimeoutSec > 0 {
		o.Timeout = time.Duration(*c.TimeoutSec) * time.Second
	}
	if c.BackgroundMs != nil && *c.BackgroundMs > 0 {
		o.YieldMs = *c.BackgroundMs
	}
	if c.PathPrepend != nil {
		o.PathPrepend = c.PathPrepend
	}
	if c.SafeBins != nil {
		o.SafeBins = c.SafeBins
	}
	// On unless set to false, as in the original.
	o.NotifyOnExit = c.NotifyOnExit == nil || *c.NotifyOnExit
	if c.CleanupMs != nil && *c.CleanupMs > 0 {
		o.CleanupTTL = time.Duration(*c.CleanupMs) * time.Millisecond
	}
	o.ApprovalRunningNotice = tools.DefaultApprovalRunningNotice
	if c.ApprovalRunningNoticeMs != nil {
		o.ApprovalRunningNotice = max(0, time.Duration(*c.ApprovalRunningNoticeMs)*time.Millisecond) // 0 = no notice
	}
	return o
}

// applyPatchOn reports whether the run's model gets the apply_patch tool:
// tools.exec.applyPatch.enabled (off by default), an OpenAI model (openai or
// openai-codex, as in the original) and, when allowModels is set, a model it names
// (by id or provider/id, case-insensitive).
func (c execConf) applyPatchOn(provider, model string) bool {
	if c.ApplyPatch == nil || c.ApplyPatch.Enabled == nil || !*c.ApplyPatch.Enabled {
		return false
	}
	p := strings.ToLower(strings.TrimSpace(provider))
	if p != "openai" && p != "openai-codex" {
		return false
	}
	if len(c.ApplyPatch.AllowModels) == 0 {
		return true
	}
	id := strings.ToLower(strings.TrimSpace(model))
	if id == "" {
		return false
	}
	full := id
	if !strings.Contains(id, "/") {
		full = p + "/" + id
	}
	for _, e := range c.ApplyPatch.AllowModels {
		if n := strings.ToLower(strings.TrimSpace(e)); n != "" && (n == id || n == full) {
			return true
		}
	}
	return false
}

// globalToolPolicy is tools.profile / allow / deny / byProvider.
func globalToolPolicy(tc *genconfig.ConfigTools) *tools.PolicyConfig {
	p := policyConfig(tc.Allow, tc.Deny, tc.Profile)
	for k, v := range tc.ByProvider {
		p.SetProvider(k, policyConfig(v.Allow, v.Deny, v.Profile))
	}
	return &p
}

// agentToolPolicy is agents.list[].tools.profile / allow / deny / byProvider (nil when
// the entry has no tools section).
func agentToolPolicy(t *genconfig.ConfigAgentsListElemTools) *tools.PolicyConfig {
	if t == nil {
		return nil
	}
	p := policyConfig(t.Allow, t.Deny, t.Profile)
	for k, v := range t.ByProvider {
		p.SetProvider(k, policyConfig(v.Allow, v.Deny, v.Profile))
	}
	return &p
}

// policyConfig is one allow / deny / profile triple of the config (each level's
// profile is its own generated string type).
func policyConfig[P ~string](allow, deny []string, profile *P) tools.PolicyConfig {
	p := tools.PolicyConfig{Allow: allow, Deny: deny}
	if profile != nil {
		p.Profile = string(*profile)
	}
	return p
}

// messageCrossContext is tools.message: allowCrossContextSend, crossContext.* and
// broadcast.enabled with the original's defaults (another chat on the same channel
// allowed, another channel refused, broadcast on). The marker decorates the agent's
// sends to another chat only when it is configured (enabled: true, or a prefix or
// suffix given, and not enabled: false): the original never decorates the agent's own
// message-tool sends, so an unconfigured marker changes nothing.
func messageCrossContext(tc *genconfig.ConfigTools) tools.CrossContext {
	var cc tools.CrossContext
	m := tc.Message
	if m == nil {
		return cc
	}
	cc.AllowAll = m.AllowCrossContextSend != nil && *m.AllowCrossContextSend
	cc.BroadcastDisabled = m.Broadcast != nil && m.Broadcast.Enabled != nil && !*m.Broadcast.Enabled
	if x := m.CrossContext; x != nil {
		cc.DenyWithinProvider = x.AllowWithinProvider != nil && !*x.AllowWithinProvider
		cc.AllowAcrossProviders = x.AllowAcrossProviders != nil && *x.AllowAcrossProviders
		if mk := x.Marker; mk != nil && (mk.Enabled == nil || *mk.Enabled) && (mk.Enabled != nil || mk.Prefix != nil || mk.Suffix != nil) {
			cc.Marker = &tools.CrossContextMarker{Prefix: tools.DefaultCrossContextPrefix}
			if mk.Prefix != nil {
				cc.Marker.Prefix = *mk.Prefix
			}
			if mk.Suffix != nil {
				cc.Marker.Suffix = *mk.Suffix
			}
		}
	}
	return cc
}
