package tools

import (
	"context"
	"crypto/rand"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// DefaultSubagentDeny are the tools a sub-agent run never gets unless
// tools.subagents.tools names them in neither list: the original's default. The
// requesting agent orchestrates (sessions, agents, cron, status); a sub-agent works on
// its task with what the spawn prompt gave it (no memory tools), and cannot reconfigure
// the gateway.
var DefaultSubagentDeny = []string{
	"sessions_list", "sessions_history", "sessions_send", "sessions_spawn",
	"gateway", "agents_list", "whatsapp_login",
	"session_status", "cron",
	"memory_search", "memory_get",
}

// SubagentPolicy is the tool policy layer of a sub-agent run: DefaultSubagentDeny plus
// tools.subagents.tools.deny, and tools.subagents.tools.allow as the allowlist (empty:
// everything not denied). As in the original, the defaults stay denied whatever allow
// says.
func SubagentPolicy(allow, deny []string) *Policy {
	return NewPolicy(allow, append(slices.Clone(DefaultSubagentDeny), deny...))
}

// IsSubagentSessionKey reports whether key is a sub-agent session's:
// agent:<id>:subagent:<uuid> (or a bare subagent:<…>).
func IsSubagentSessionKey(key string) bool {
	k := strings.ToLower(strings.TrimSpace(key))
	if strings.HasPrefix(k, "subagent:") {
		return true
	}
	parts := strings.SplitN(k, ":", 3)
	return len(parts) == 3 && parts[0] == "agent" && parts[1] != "" && strings.HasPrefix(parts[2], "subagent:")
}

// AgentToAgent is tools.agentToAgent: whether the sessions tools may reach sessions
// of another agent (off unless Enabled), and which agents take part (Allow: agent id
// patterns with *; empty: all). Both the requester and the target must match.
type AgentToAgent struct {
	Enabled bool
	Allow   []string
}

func (p AgentToAgent) matches(id string) bool {
	if len(p.Allow) == 0 {
		return true
	}
	for _, raw := range p.Allow {
		pat := strings.TrimSpace(raw)
		switch {
		case pat == "":
		case pat == "*":
			return true
		case !strings.Contains(pat, "*"):
			if pat == id {
				return true
			}
		default:
			re := "(?i)^" + strings.ReplaceAll(regexp.QuoteMeta(pat), `\*`, ".*") + "$"
			if ok, _ := regexp.MatchString(re, id); ok {
				return true
			}
		}
	}
	return false
}

// Allowed reports whether an agent's session may reach another agent's session.
func (p AgentToAgent) Allowed(requester, target string) bool {
	if requester == target {
		return true
	}
	return p.Enabled && p.matches(requester) && p.matches(target)
}

// check is the sessions tools' refusal of a cross-agent access ("" when allowed);
// what names the access in the error text ("messaging", "history").
func (p AgentToAgent) check(requester, target, what, hint string) string {
	if requester == target {
		return ""
	}
	if !p.Enabled {
		return fmt.Sprintf("Agent-to-agent %s is disabled. Set tools.agentToAgent.enabled=true to allow %s.", what, hint)
	}
	if !p.Allowed(requester, target) {
		return fmt.Sprintf("Agent-to-agent %s denied by tools.agentToAgent.allow.", what)
	}
	return ""
}

// AgentInfo is one configured agent (agents.list[]).
type AgentInfo struct {
	ID   string
	Name string
}

// SpawnRequest starts a sub-agent run (sessions_spawn).
type SpawnRequest struct {
	// RunID is the child run's id (its idempotency key: a retried tool call starts
	// nothing new).
	RunID string
	// ChildKey is the new session, agent:<id>:subagent:<uuid>; AgentID is <id>.
	ChildKey string
	AgentID  string
	// RequesterKey is the session the result is announced to; Origin is where that
	// session's run came from (the announce is delivered there).
	RequesterKey string
	Origin       DeliveryContext
	Task         string
	Label        string
	Model        string // provider/model or alias ("" = the agent's model)
	Thinking     string // thinking level ("" = the default)
	Timeout      time.Duration
	// Cleanup "delete" removes the child session once its result is announced;
	// "keep" leaves it to the archive sweep (agents.defaults.subagents.archiveAfterMinutes).
	Cleanup string
}

// SpawnResult is what a started sub-agent run answers with.
type SpawnResult struct {
	RunID    string
	ChildKey string
	// ModelApplied reports whether Model was set on the child session; Warning says
	// why not (an unknown or disallowed model runs the agent's default instead).
	ModelApplied bool
	Warning      string
}

// newUUID is a random RFC 4122 version 4 id (session keys of spawned runs).
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func (o SessionsOptions) agentOf(key string) string {
	if o.AgentID != nil {
		return o.AgentID(key)
	}
	parts := strings.SplitN(strings.TrimSpace(key), ":", 3)
	if len(parts) == 3 && parts[0] == "agent" && parts[1] != "" {
		return normalizeAgentID(parts[1])
	}
	return "main"
}

// normalizeAgentID lowercases an agent id (the gateway's agents.NormalizeID is applied
// where the ids come from; this keeps comparisons of tool arguments case-blind).
func normalizeAgentID(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "main"
	}
	return s
}

// spawnTools returns sessions_spawn and agents_list.
func spawnTools(o SessionsOptions) ([]*Tool, error) {
	normID := o.NormalizeAgentID
	if normID == nil {
		normID = normalizeAgentID
	}
	allowed := func(requester string) (allowAny bool, set []string) {
		for _, v := range o.AllowAgents {
			switch v = strings.TrimSpace(v); v {
			case "":
			case "*":
				allowAny = true
			default:
				if id := normID(v); !slices.Contains(set, id) {
					set = append(set, id)
				}
			}
		}
		return allowAny, set
	}
	spawn, err := withSchema(&Tool{Name: "sessions_spawn", Label: "Sessions",
		Description: "Spawn a background sub-agent run in an isolated session and announce the result back to the requester chat.",
		Execute: func(ctx context.Context, call Call) (Result, error) {
			var a struct {
				Task              string   `json:"task"`
				Label             string   `json:"label"`
				AgentID           string   `json:"agentId"`
				Model             string   `json:"model"`
				Thinking          string   `json:"thinking"`
				RunTimeoutSeconds *float64 `json:"runTimeoutSeconds"`
				TimeoutSeconds    *float64 `json:"timeoutSeconds"`
				Cleanup           string   `json:"cleanup"`
			}
			if err := decodeArgs(call.Args, &a); err != nil {
				return Result{}, err
			}
			if strings.TrimSpace(a.Task) == "" {
				return Result{}, fmt.Errorf("task required")
			}
			if IsSubagentSessionKey(o.SessionKey) {
				return JSONResult(map[string]any{"status": "forbidden", "error": "sessions_spawn is not allowed from sub-agent sessions"}), nil
			}
			requester := o.agentOf(o.SessionKey)
			target := requester
			if id := strings.TrimSpace(a.AgentID); id != "" {
				target = normID(id)
			}
			if target != requester {
				allowAny, set := allowed(requester)
				if !allowAny && !slices.Contains(set, target) {
					text := "none"
					if len(set) > 0 {
						text = strings.Join(set, ", ")
					}
					return JSONResult(map[string]any{"status": "forbidden",
						"error": fmt.Sprintf("agentId is not allowed for sessions_spawn (allowed: %s)", text)}), nil
				}
			}
			secs := 0.0
			if a.RunTimeoutSeconds != nil {
				secs = *a.RunTimeoutSeconds
			} else if a.TimeoutSeconds != nil {
				secs = *a.TimeoutSeconds
			}
			cleanup := "keep"
			if a.Cleanup == "delete" {
				cleanup = "delete"
			}
			model := strings.TrimSpace(a.Model)
			if model == "" && o.SubagentModel != nil {
				model = o.SubagentModel(target)
			}
			childKey := "agent:" + target + ":subagent:" + newUUID()
			req := SpawnRequest{RunID: "subagent:" + strings.TrimPrefix(messageKey(o.Scope+":sessions_spawn", call.ID), "agent-msg:"),
				ChildKey: childKey, AgentID: target, RequesterKey: o.SessionKey,
				Origin: DeliveryContext{Channel: o.Channel, To: o.To, AccountID: o.AccountID},
				Task:   a.Task, Label: strings.TrimSpace(a.Label), Model: model, Thinking: strings.TrimSpace(a.Thinking),
				Timeout: time.Duration(max(0, int64(secs))) * time.Second, Cleanup: cleanup}
			res, err := o.Sessions.Spawn(ctx, req)
			if err != nil {
				out := map[string]any{"status": "error", "error": err.Error()}
				if res.ChildKey != "" {
					out["childSessionKey"] = res.ChildKey
				}
				if res.RunID != "" {
					out["runId"] = res.RunID
				}
				return JSONResult(out), nil
			}
			out := map[string]any{"status": "accepted", "childSessionKey": res.ChildKey, "runId": res.RunID}
			if model != "" {
				out["modelApplied"] = res.ModelApplied
			}
			if res.Warning != "" {
				out["warning"] = res.Warning
			}
			return JSONResult(out), nil
		}})
	if err != nil {
		return nil, err
	}
	list, err := withSchema(&Tool{Name: "agents_list", Label: "Agents",
		Description: "List agent ids you can target with sessions_spawn (based on allowlists).",
		Execute: func(ctx context.Context, call Call) (Result, error) {
			requester := o.agentOf(o.SessionKey)
			allowAny, set := allowed(requester)
			names := map[string]string{}
			configured := map[string]bool{}
			var ids []string
			for _, ag := range o.Agents {
				id := normID(ag.ID)
				configured[id] = true
				ids = append(ids, id)
				if n := strings.TrimSpace(ag.Name); n != "" {
					names[id] = n
				}
			}
			if allowAny {
				set = ids
			}
			var rest []string
			for _, id := range set {
				if id != requester && !slices.Contains(rest, id) {
					rest = append(rest, id)
				}
			}
			sort.Strings(rest)
			type entry struct {
				ID         string `json:"id"`
				Name       string `json:"name,omitempty"`
				Configured bool   `json:"configured"`
			}
			agents := []entry{}
			for _, id := range append([]string{requester}, rest...) {
				agents = append(agents, entry{ID: id, Name: names[id], Configured: configured[id]})
			}
			return JSONResult(map[string]any{"requester": requester, "allowAny": allowAny, "agents": agents}), nil
		}})
	if err != nil {
		return nil, err
	}
	return []*Tool{spawn, list}, nil
}
