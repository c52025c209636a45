package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// SessionRow is one session as sessions_list shows it (the original's fields).
type SessionRow struct {
	Key             string            `json:"key"`
	Kind            string            `json:"kind"`
	Channel         string            `json:"channel,omitempty"`
	Label           string            `json:"label,omitempty"`
	DisplayName     string            `json:"displayName,omitempty"`
	DeliveryContext *DeliveryContext  `json:"deliveryContext,omitempty"`
	UpdatedAt       int64             `json:"updatedAt,omitempty"`
	SessionID       string            `json:"sessionId,omitempty"`
	Model           string            `json:"model,omitempty"`
	ContextTokens   int64             `json:"contextTokens,omitempty"`
	TotalTokens     int64             `json:"totalTokens,omitempty"`
	AbortedLastRun  bool              `json:"abortedLastRun,omitempty"`
	LastChannel     string            `json:"lastChannel,omitempty"`
	LastTo          string            `json:"lastTo,omitempty"`
	LastAccountID   string            `json:"lastAccountId,omitempty"`
	Messages        []json.RawMessage `json:"messages,omitempty"`
}

// DeliveryContext is where a session's replies go.
type DeliveryContext struct {
	Channel   string `json:"channel,omitempty"`
	To        string `json:"to,omitempty"`
	AccountID string `json:"accountId,omitempty"`
}

// SessionQuery filters sessions_list.
type SessionQuery struct {
	Limit         int
	ActiveMinutes int
}

// SessionSendRequest runs the agent of another session with a message.
type SessionSendRequest struct {
	SessionKey     string
	Message        string
	IdempotencyKey string
	// ExtraSystemPrompt tells the target agent who is talking to it.
	ExtraSystemPrompt string
	// Wait for the run to finish this long (0 = start it and return).
	Wait time.Duration
	// RequesterKey and RequesterChannel are the sending session and its channel: the
	// two agents may go on talking after the reply (the agent-to-agent conversation).
	RequesterKey, RequesterChannel string
}

// SessionSendResult is the outcome of a send: accepted (not waited), ok with the
// reply, timeout or error.
type SessionSendResult struct {
	RunID  string
	Status string // accepted | ok | timeout | error
	Reply  string
	Error  string
}

// Sessions is what the sessions tools need from the gateway's session store and agent
// runtime. History returns chat.history's messages (transcript messages as stored).
type Sessions interface {
	List(ctx context.Context, q SessionQuery) ([]SessionRow, error)
	History(ctx context.Context, key string, limit int) ([]json.RawMessage, error)
	Send(ctx context.Context, req SessionSendRequest) (SessionSendResult, error)
	// ResolveLabel finds the session with a label ("" when none).
	ResolveLabel(ctx context.Context, label, agentID string) (string, error)
	// Status renders the session status card; model, when set, changes the session's
	// model override ("default" clears it).
	Status(ctx context.Context, key, model string) (SessionStatus, error)
	// Spawn starts a sub-agent run (sessions_spawn) and returns at once; its result is
	// announced to the requester session when it finishes.
	Spawn(ctx context.Context, req SpawnRequest) (SpawnResult, error)
}

// SessionStatus is session_status's answer.
type SessionStatus struct {
	Key          string
	Text         string
	ChangedModel bool
}

// SessionsOptions configure the sessions tools.
type SessionsOptions struct {
	Sessions Sessions
	// SessionKey is the requesting session (default target of session_status).
	SessionKey string
	// Channel is the requesting session's channel (for the target agent's context).
	Channel string
	// MainKey is the main session's key ("main").
	MainKey string
	Scope   string
	// To and AccountID complete Channel: where the requesting run answers (a spawned
	// sub-agent's result is delivered there).
	To, AccountID string
	// AgentID names the agent a session key belongs to (nil: the <id> of
	// agent:<id>:…, else "main"); NormalizeAgentID normalises an agent id given as a
	// tool argument (nil: lowercased).
	AgentID          func(key string) string
	NormalizeAgentID func(id string) string
	// AgentToAgent is tools.agentToAgent: cross-agent sessions_send, sessions_history
	// and sessions_list are refused unless it allows them.
	AgentToAgent AgentToAgent
	// AllowAgents is the requesting agent's subagents.allowAgents (other agents
	// sessions_spawn may run; "*" any); Agents is agents.list, for agents_list.
	AllowAgents []string
	Agents      []AgentInfo
	// SubagentModel is the model of a sub-agent of an agent when sessions_spawn names
	// none (agents.list[].subagents.model, else agents.defaults.subagents.model; "" the
	// agent's own).
	SubagentModel func(agentID string) string
}

// SessionKind classifies a session key the way the original does.
func SessionKind(key, mainKey string) string {
	switch {
	case key == mainKey || key == "main" || key == "global":
		return "main"
	case strings.HasPrefix(key, "cron:"):
		return "cron"
	case strings.HasPrefix(key, "hook:"):
		return "hook"
	case strings.HasPrefix(key, "node-") || strings.HasPrefix(key, "node:"):
		return "node"
	case strings.Contains(key, ":group:") || strings.Contains(key, ":channel:"):
		return "group"
	}
	return "other"
}

func stripToolMessages(msgs []json.RawMessage) []json.RawMessage {
	out := make([]json.RawMessage, 0, len(msgs))
	for _, m := range msgs {
		var probe struct {
			Role string `json:"role"`
		}
		if json.Unmarshal(m, &probe) == nil && probe.Role == "toolResult" {
			continue
		}
		out = append(out, m)
	}
	return out
}

// assistantText joins the text parts of an assistant message.
func assistantText(raw json.RawMessage) string {
	var m struct {
		Role    string `json:"role"`
		Content []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"content"`
	}
	if json.Unmarshal(raw, &m) != nil || m.Role != "assistant" {
		return ""
	}
	var b strings.Builder
	for _, c := range m.Content {
		if c.Type == "text" {
			b.WriteString(c.Text)
		}
	}
	return strings.TrimSpace(b.String())
}

// SessionsTools returns sessions_list, sessions_history, sessions_send,
// session_status, sessions_spawn and agents_list.
func SessionsTools(o SessionsOptions) ([]*Tool, error) {
	if o.Sessions == nil {
		return nil, errors.New("tools: sessions tools need a sessions store")
	}
	if o.MainKey == "" {
		o.MainKey = "main"
	}
	list, err := withSchema(&Tool{Name: "sessions_list", Label: "Sessions",
		Description: "List sessions with optional filters and last messages.",
		Execute: func(ctx context.Context, call Call) (Result, error) {
			var a struct {
				Kinds         []string `json:"kinds"`
				Limit         *float64 `json:"limit"`
				ActiveMinutes *float64 `json:"activeMinutes"`
				MessageLimit  *float64 `json:"messageLimit"`
			}
			if err := decodeArgs(call.Args, &a); err != nil {
				return Result{}, err
			}
			kinds := map[string]bool{}
			for _, k := range a.Kinds {
				switch k = strings.ToLower(strings.TrimSpace(k)); k {
				case "main", "group", "cron", "hook", "node", "other":
					kinds[k] = true
				}
			}
			q := SessionQuery{}
			if a.Limit != nil {
				q.Limit = max(1, int(*a.Limit))
			}
			if a.ActiveMinutes != nil {
				q.ActiveMinutes = max(1, int(*a.ActiveMinutes))
			}
			msgLimit := 0
			if a.MessageLimit != nil {
				msgLimit = min(max(0, int(*a.MessageLimit)), 20)
			}
			rows, err := o.Sessions.List(ctx, q)
			if err != nil {
				return Result{}, err
			}
			out := []SessionRow{}
			for _, r := range rows {
				if r.Key == "" || r.Key == "unknown" {
					continue
				}
				if !o.AgentToAgent.Allowed(o.agentOf(o.SessionKey), o.agentOf(r.Key)) {
					continue // another agent's session, not reachable under tools.agentToAgent
				}
				if r.Kind == "" {
					r.Kind = SessionKind(r.Key, o.MainKey)
				}
				if len(kinds) > 0 && !kinds[r.Kind] {
					continue
				}
				if r.Kind == "cron" || r.Kind == "hook" || r.Kind == "node" {
					r.Channel = "internal"
				}
				if msgLimit > 0 {
					hist, err := o.Sessions.History(ctx, r.Key, msgLimit)
					if err != nil {
						return Result{}, err
					}
					hist = stripToolMessages(hist)
					if len(hist) > msgLimit {
						hist = hist[len(hist)-msgLimit:]
					}
					r.Messages = hist
				}
				out = append(out, r)
			}
			return JSONResult(map[string]any{"count": len(out), "sessions": out}), nil
		}})
	if err != nil {
		return nil, err
	}
	history, err := withSchema(&Tool{Name: "sessions_history", Label: "Session History",
		Description: "Fetch message history for a session.",
		Execute: func(ctx context.Context, call Call) (Result, error) {
			var a struct {
				SessionKey   string   `json:"sessionKey"`
				Limit        *float64 `json:"limit"`
				IncludeTools bool     `json:"includeTools"`
			}
			if err := decodeArgs(call.Args, &a); err != nil {
				return Result{}, err
			}
			key := strings.TrimSpace(a.SessionKey)
			if key == "" {
				return Result{}, errors.New("sessionKey required")
			}
			if msg := o.AgentToAgent.check(o.agentOf(o.SessionKey), o.agentOf(key), "history", "cross-agent access"); msg != "" {
				return JSONResult(map[string]any{"status": "forbidden", "error": msg}), nil
			}
			limit := 0
			if a.Limit != nil {
				limit = max(1, int(*a.Limit))
			}
			msgs, err := o.Sessions.History(ctx, key, limit)
			if err != nil {
				return JSONResult(map[string]any{"status": "error", "error": err.Error()}), nil
			}
			if !a.IncludeTools {
				msgs = stripToolMessages(msgs)
			}
			if msgs == nil {
				msgs = []json.RawMessage{}
			}
			return JSONResult(map[string]any{"sessionKey": key, "messages": msgs}), nil
		}})
	if err != nil {
		return nil, err
	}
	send, err := withSchema(&Tool{Name: "sessions_send", Label: "Session Send",
		Description: "Send a message into another session. Use sessionKey or label to identify the target.",
		Timeout:     10 * time.Minute,
		Execute: func(ctx context.Context, call Call) (Result, error) {
			var a struct {
				SessionKey     string   `json:"sessionKey"`
				Label          string   `json:"label"`
				AgentID        string   `json:"agentId"`
				Message        string   `json:"message"`
				TimeoutSeconds *float64 `json:"timeoutSeconds"`
			}
			if err := decodeArgs(call.Args, &a); err != nil {
				return Result{}, err
			}
			runID := messageKey(o.Scope+":sessions_send", call.ID)
			fail := func(status, msg string) (Result, error) {
				return JSONResult(map[string]any{"runId": runID, "status": status, "error": msg}), nil
			}
			if strings.TrimSpace(a.Message) == "" {
				return Result{}, errors.New("message required")
			}
			key, label := strings.TrimSpace(a.SessionKey), strings.TrimSpace(a.Label)
			if key != "" && label != "" {
				return fail("error", "Provide either sessionKey or label (not both).")
			}
			requester := o.agentOf(o.SessionKey)
			if id := strings.TrimSpace(a.AgentID); key == "" && label != "" && id != "" {
				norm := normalizeAgentID
				if o.NormalizeAgentID != nil {
					norm = o.NormalizeAgentID
				}
				if msg := o.AgentToAgent.check(requester, norm(id), "messaging", "cross-agent sends"); msg != "" {
					return fail("forbidden", msg)
				}
			}
			if key == "" && label != "" {
				k, err := o.Sessions.ResolveLabel(ctx, label, strings.TrimSpace(a.AgentID))
				if err != nil {
					return fail("error", err.Error())
				}
				if k == "" {
					return fail("error", "No session found with label: "+label)
				}
				key = k
			}
			if key == "" {
				return fail("error", "Either sessionKey or label is required")
			}
			if msg := o.AgentToAgent.check(requester, o.agentOf(key), "messaging", "cross-agent sends"); msg != "" {
				return JSONResult(map[string]any{"runId": runID, "status": "forbidden", "error": msg, "sessionKey": key}), nil
			}
			wait := 30 * time.Second
			if a.TimeoutSeconds != nil {
				wait = time.Duration(max(0, *a.TimeoutSeconds)) * time.Second
			}
			from := o.SessionKey
			if from == "" {
				from = "unknown"
			}
			extra := fmt.Sprintf("Agent-to-agent message context:\nRequester session: %s.\nTarget session: %s.", from, key)
			if o.Channel != "" {
				extra = fmt.Sprintf("Agent-to-agent message context:\nRequester session: %s.\nRequester channel: %s.\nTarget session: %s.", from, o.Channel, key)
			}
			res, err := o.Sessions.Send(ctx, SessionSendRequest{SessionKey: key, Message: a.Message, IdempotencyKey: runID,
				ExtraSystemPrompt: extra, Wait: wait, RequesterKey: o.SessionKey, RequesterChannel: o.Channel})
			if err != nil {
				return JSONResult(map[string]any{"runId": runID, "status": "error", "error": err.Error(), "sessionKey": key}), nil
			}
			if res.RunID == "" {
				res.RunID = runID
			}
			out := map[string]any{"runId": res.RunID, "status": res.Status, "sessionKey": key}
			switch res.Status {
			case "ok":
				out["reply"] = res.Reply
				out["delivery"] = map[string]any{"status": "pending", "mode": "announce"}
			case "accepted":
				out["delivery"] = map[string]any{"status": "pending", "mode": "announce"}
			default:
				if res.Error != "" {
					out["error"] = res.Error
				}
			}
			return JSONResult(out), nil
		}})
	if err != nil {
		return nil, err
	}
	status, err := withSchema(&Tool{Name: "session_status", Label: "Session Status",
		Description: "Show a /status-equivalent session status card (usage + time + cost when available). Optional: set the session's model (model=default resets the override).",
		Execute: func(ctx context.Context, call Call) (Result, error) {
			var a struct {
				SessionKey string `json:"sessionKey"`
				Model      string `json:"model"`
			}
			if err := decodeArgs(call.Args, &a); err != nil {
				return Result{}, err
			}
			key := strings.TrimSpace(a.SessionKey)
			if key == "" {
				key = o.SessionKey
			}
			if key == "" {
				return Result{}, errors.New("sessionKey required")
			}
			st, err := o.Sessions.Status(ctx, key, strings.TrimSpace(a.Model))
			if err != nil {
				return Result{}, err
			}
			if st.Key == "" {
				st.Key = key
			}
			return TextResult(st.Text, map[string]any{"ok": true, "sessionKey": st.Key, "changedModel": st.ChangedModel, "statusText": st.Text}), nil
		}})
	if err != nil {
		return nil, err
	}
	spawn, err := spawnTools(o)
	if err != nil {
		return nil, err
	}
	return append([]*Tool{list, history, send, status}, spawn...), nil
}

// AssistantReply returns the last assistant text of a history (for Sessions
// implementations that answer Send by reading the transcript, as the original does).
func AssistantReply(history []json.RawMessage) string {
	h := stripToolMessages(history)
	for i := len(h) - 1; i >= 0; i-- {
		if t := assistantText(h[i]); t != "" {
			return t
		}
	}
	return ""
}
