package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/agents"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/models"
	"github.com/clawgate/gateway/server/sessions"
	"github.com/clawgate/gateway/server/token"
)

// Limits of the session-control methods (the original's).
const (
	// MaxLabelLength bounds a session label (characters).
	MaxLabelLength = 64
	// DefaultCompactKeep is sessions.compact's default maxLines.
	DefaultCompactKeep = 400
	// MaxPreviewKeys bounds the sessions sessions.preview reads; more keys are ignored.
	MaxPreviewKeys = 64
	// DefaultPreviewItems and MaxPreviewItems bound the items per session.
	DefaultPreviewItems, MaxPreviewItems = 12, 50
	// DefaultPreviewChars and MaxPreviewChars bound an item's text.
	DefaultPreviewChars, MaxPreviewChars = 240, 2000
)

// patchValue decodes one sessions.patch field: absent (set=false), null (set, "" ),
// or a non-empty string (trimmed).
func patchValue(name string, raw json.RawMessage) (val string, set bool, err error) {
	if len(raw) == 0 {
		return "", false, nil
	}
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return "", true, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false, gateway.Invalid("invalid %s: must be a string or null", name)
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false, gateway.Invalid("invalid %s: empty", name)
	}
	return s, true, nil
}

// normalizeThinking maps the original's thinking level spellings to a level ("" for
// off); ok is false for an unknown spelling.
func normalizeThinking(raw string) (string, bool) {
	switch strings.ToLower(raw) {
	case "off":
		return "", true
	case "on", "enable", "enabled", "low", "thinkhard", "think-hard", "think_hard":
		return "low", true
	case "min", "minimal", "think":
		return "minimal", true
	case "mid", "med", "medium", "thinkharder", "think-harder", "harder":
		return "medium", true
	case "high", "ultra", "ultrathink", "thinkhardest", "highest", "max":
		return "high", true
	case "xhigh", "x-high", "x_high":
		return "xhigh", true
	}
	return "", false
}

// errNoCatalog: the agent runs a CLI backend, whose model cannot change per session.
var errNoCatalog = errors.New("no model catalog: the agent runs a CLI backend")

// sessionModel resolves a model named for one session (sessions.patch, /model) against
// the configured providers; "" means the agent's default model, which is no override,
// as in the original.
func (rt *Runtime) sessionModel(name string) (string, error) {
	e := rt.modelConfig().Engine
	if e == nil || e.ModelFor == nil {
		return "", errNoCatalog
	}
	if e.Models != nil {
		key, err := e.Models.ResolveAllowed(name)
		if err != nil {
			return "", err
		}
		name = key
	}
	_, ref, err := e.ModelFor(name)
	if err != nil {
		return "", err
	}
	if ref == e.Primary {
		return "", nil
	}
	return ref, nil
}

// SessionsPatch serves "sessions.patch": label, model, thinking/verbose/reasoning/
// elevated levels and send policy of one session; absent fields are untouched, null clears.
// Fields this gateway has no behaviour for are refused unless null, so a client never
// believes a setting took effect when it did not.
func (h *Handlers) SessionsPatch(ctx context.Context, c *gateway.Conn, p *protocol.SessionsPatchParams) (*protocol.SessionsPatchResult, error) {
	key, err := canonical(p.Key)
	if err != nil {
		return nil, err
	}
	for name, raw := range map[string]json.RawMessage{"spawnedBy": p.SpawnedBy, "groupActivation": p.GroupActivation,
		"execHost": p.ExecHost, "execSecurity": p.ExecSecurity, "execAsk": p.ExecAsk, "execNode": p.ExecNode} {
		if v, set, err := patchValue(name, raw); err != nil {
			return nil, err
		} else if set && v != "" {
			return nil, gateway.Invalid("%s is not supported by this gateway (only null is accepted)", name)
		}
	}
	if v, _, err := patchValue("responseUsage", p.ResponseUsage); err != nil {
		return nil, err
	} else if v != "" && v != "off" {
		return nil, gateway.Invalid("responseUsage is not supported by this gateway (only off or null is accepted)")
	}

	type field struct {
		set bool
		val string
	}
	var label, model, thinking, verbose, reasoning, policy, elevated field
	if label.val, label.set, err = patchValue("label", p.Label); err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(label.val) > MaxLabelLength {
		return nil, gateway.Invalid("invalid label: too long (max %d)", MaxLabelLength)
	}
	if thinking.val, thinking.set, err = patchValue("thinkingLevel", p.ThinkingLevel); err != nil {
		return nil, err
	}
	if thinking.val != "" {
		lv, ok := normalizeThinking(thinking.val)
		if !ok {
			return nil, gateway.Invalid("invalid thinkingLevel (use off|minimal|low|medium|high|xhigh)")
		}
		thinking.val = lv
	}
	if verbose.val, verbose.set, err = patchValue("verboseLevel", p.VerboseLevel); err != nil {
		return nil, err
	}
	switch strings.ToLower(verbose.val) {
	case "":
	case "on", "full", "off":
		verbose.val = strings.ToLower(verbose.val)
	default:
		return nil, gateway.Invalid(`invalid verboseLevel (use "on"|"off")`)
	}
	if reasoning.val, reasoning.set, err = patchValue("reasoningLevel", p.ReasoningLevel); err != nil {
		return nil, err
	}
	switch strings.ToLower(reasoning.val) {
	case "", "off":
		reasoning.val = ""
	case "on", "stream":
		reasoning.val = strings.ToLower(reasoning.val)
	default:
		return nil, gateway.Invalid(`invalid reasoningLevel (use "on"|"off"|"stream")`)
	}
	if elevated.val, elevated.set, err = patchValue("elevatedLevel", p.ElevatedLevel); err != nil {
		return nil, err
	}
	if elevated.val != "" {
		// "off" is stored as such: it overrides a default that is on.
		lv, ok := normalizeElevatedLevel(elevated.val)
		if !ok {
			return nil, gateway.Invalid(`invalid elevatedLevel (use "on"|"off"|"ask"|"full")`)
		}
		elevated.val = lv
	}
	if policy.val, policy.set, err = patchValue("sendPolicy", p.SendPolicy); err != nil {
		return nil, err
	}
	if policy.val != "" && policy.val != "allow" && policy.val != "deny" {
		return nil, gateway.Invalid(`invalid sendPolicy (use "allow"|"deny")`)
	}
	if model.val, model.set, err = patchValue("model", p.Model); err != nil {
		return nil, err
	}
	if model.val != "" {
		ref, err := h.rt.sessionModel(model.val)
		if errors.Is(err, errNoCatalog) {
			return nil, gateway.Unavailable("model catalog unavailable: the agent runs a CLI backend, not a model provider")
		}
		if errors.Is(err, models.ErrNotAllowed) {
			return nil, gateway.Invalid("%s", err.Error()) // the original's "model not allowed: provider/model"
		}
		if err != nil {
			return nil, gateway.Invalid("invalid model: %s (%v)", model.val, err)
		}
		model.val = ref
	}

	ss, err := h.rt.Store().Patch(ctx, key, func(ss *sessions.Session) error {
		for _, f := range []struct {
			field
			dst *string
		}{{label, &ss.Label}, {model, &ss.Model}, {thinking, &ss.ThinkingLevel}, {verbose, &ss.VerboseLevel}, {reasoning, &ss.ReasoningLevel}, {policy, &ss.SendPolicy}, {elevated, &ss.ElevatedLevel}} {
			if f.set {
				*f.dst = f.val
			}
		}
		return nil
	})
	if errors.Is(err, sessions.ErrLabelInUse) {
		return nil, gateway.Invalid("label already in use: %s", label.val)
	}
	if err != nil {
		return nil, err
	}
	return &protocol.SessionsPatchResult{Ok: true, Path: h.rt.Store().Path(), Key: key, Entry: entry(ss)}, nil
}

// SessionsCompact serves "sessions.compact": keep the newest maxLines messages.
func (h *Handlers) SessionsCompact(ctx context.Context, c *gateway.Conn, p *protocol.SessionsCompactParams) (*protocol.SessionsCompactResult, error) {
	key, err := canonical(p.Key)
	if err != nil {
		return nil, err
	}
	keep := DefaultCompactKeep
	if p.MaxLines != nil {
		keep = int(min(*p.MaxLines, int64(sessions.DefaultMaxMessages)*1000))
	}
	kept, done, err := h.rt.Store().Compact(ctx, key, keep)
	if errors.Is(err, sessions.ErrNotFound) {
		return &protocol.SessionsCompactResult{Ok: true, Key: key, Reason: new("no sessionId")}, nil
	}
	if err != nil {
		return nil, err
	}
	return &protocol.SessionsCompactResult{Ok: true, Key: key, Compacted: done, Kept: new(kept)}, nil
}

// SessionsResolve serves "sessions.resolve": exactly one of key, sessionId, label.
func (h *Handlers) SessionsResolve(ctx context.Context, c *gateway.Conn, p *protocol.SessionsResolveParams) (*protocol.SessionsResolveResult, error) {
	key, id, label := strings.TrimSpace(p.GetKey()), strings.TrimSpace(p.GetSessionID()), strings.TrimSpace(p.GetLabel())
	n := 0
	for _, s := range []string{key, id, label} {
		if s != "" {
			n++
		}
	}
	switch {
	case n > 1:
		return nil, gateway.Invalid("Provide either key, sessionId, or label (not multiple)")
	case n == 0:
		return nil, gateway.Invalid("Either key, sessionId, or label is required")
	}
	st := h.rt.Store()
	// visible applies the filters the original's list applies to id and label matches:
	// global and unknown only when asked for, and with agentId only the sessions of that
	// agent (agent:<id>:… keys, ids normalised), never global or unknown.
	visible := func(k string) bool {
		switch {
		case p.SpawnedBy != nil: // no subagent sessions here
			return false
		case k == "global" && !p.GetIncludeGlobal(), k == "unknown" && !p.GetIncludeUnknown():
			return false
		case p.AgentID != nil:
			return agents.SessionAgentID(k, "") == agents.NormalizeID(*p.AgentID)
		}
		return true
	}
	switch {
	case key != "":
		k, err := canonical(key)
		if err != nil {
			return nil, err
		}
		if _, err := st.Get(ctx, k); errors.Is(err, sessions.ErrNotFound) {
			return nil, gateway.Invalid("No session found: %s", key)
		} else if err != nil {
			return nil, err
		}
		return &protocol.SessionsResolveResult{Ok: true, Key: k}, nil
	case id != "":
		var matches []string
		if ss, err := st.GetByID(ctx, id); err == nil && visible(ss.Key) {
			matches = append(matches, ss.Key)
		} else if err != nil && !errors.Is(err, sessions.ErrNotFound) {
			return nil, err
		}
		if k, err := sessions.Canonical(id); err == nil && (len(matches) == 0 || matches[0] != k) {
			if _, err := st.Get(ctx, k); err == nil && visible(k) && (k == id) {
				matches = append(matches, k)
			}
		}
		switch len(matches) {
		case 0:
			return nil, gateway.Invalid("No session found: %s", id)
		case 1:
			return &protocol.SessionsResolveResult{Ok: true, Key: matches[0]}, nil
		}
		return nil, gateway.Invalid("Multiple sessions found for sessionId: %s (%s)", id, strings.Join(matches, ", "))
	}
	list, err := st.List(ctx, sessions.ListOptions{Label: label})
	if err != nil {
		return nil, err
	}
	var matches []string
	for _, ss := range list {
		if visible(ss.Key) {
			matches = append(matches, ss.Key)
		}
	}
	switch len(matches) {
	case 0:
		return nil, gateway.Invalid("No session found with label: %s", label)
	case 1:
		return &protocol.SessionsResolveResult{Ok: true, Key: matches[0]}, nil
	}
	return nil, gateway.Invalid("Multiple sessions found with label: %s (%s)", label, strings.Join(matches, ", "))
}

// SessionsPreview serves "sessions.preview": the newest messages of each session as
// role/text items (tool calls as "call <names>").
func (h *Handlers) SessionsPreview(ctx context.Context, c *gateway.Conn, p *protocol.SessionsPreviewParams) (*protocol.SessionsPreviewResult, error) {
	limit, maxChars := DefaultPreviewItems, DefaultPreviewChars
	if p.Limit != nil {
		limit = int(min(*p.Limit, MaxPreviewItems))
	}
	if p.MaxChars != nil {
		maxChars = int(min(*p.MaxChars, MaxPreviewChars))
	}
	res := &protocol.SessionsPreviewResult{Ts: h.rt.now(), Previews: []protocol.SessionsPreviewResultPreviewsItem{}}
	n := 0
	for _, raw := range p.Keys {
		key := strings.TrimSpace(raw)
		if key == "" {
			continue
		}
		if n++; n > MaxPreviewKeys {
			break
		}
		pe := protocol.SessionsPreviewResultPreviewsItem{Key: key, Status: protocol.SessionsPreviewResultPreviewsItemStatusError, Items: []protocol.SessionsPreviewResultPreviewsItemItemsItem{}}
		k, err := sessions.Canonical(key)
		if err == nil {
			_, err = h.rt.Store().Get(ctx, k)
		}
		switch {
		case errors.Is(err, sessions.ErrNotFound):
			pe.Status = protocol.SessionsPreviewResultPreviewsItemStatusMissing
		case err != nil:
		default:
			// Read a few more than asked: messages without text are skipped.
			hist, err := h.rt.Store().History(ctx, k, limit*2, 0)
			if err != nil {
				break
			}
			for _, m := range hist {
				if it, ok := previewItem(m, maxChars); ok {
					pe.Items = append(pe.Items, it)
				}
			}
			if len(pe.Items) > limit {
				pe.Items = pe.Items[len(pe.Items)-limit:]
			}
			pe.Status = protocol.SessionsPreviewResultPreviewsItemStatusEmpty
			if len(pe.Items) > 0 {
				pe.Status = protocol.SessionsPreviewResultPreviewsItemStatusOk
			}
		}
		res.Previews = append(res.Previews, pe)
	}
	return res, nil
}

// previewItem is one message as a preview item; ok is false for a message with
// nothing to show.
func previewItem(m sessions.Message, maxChars int) (protocol.SessionsPreviewResultPreviewsItemItemsItem, bool) {
	role := protocol.SessionsPreviewResultPreviewsItemItemsItemRoleOther
	switch m.Role {
	case "user":
		role = protocol.SessionsPreviewResultPreviewsItemItemsItemRoleUser
	case "assistant":
		role = protocol.SessionsPreviewResultPreviewsItemItemsItemRoleAssistant
	case "system":
		role = protocol.SessionsPreviewResultPreviewsItemItemsItemRoleSystem
	case "toolResult", "tool":
		role = protocol.SessionsPreviewResultPreviewsItemItemsItemRoleTool
	}
	text := strings.TrimSpace(m.Text)
	var body struct {
		Content []struct {
			Type string `json:"type"`
			Name string `json:"name"`
		} `json:"content"`
	}
	if len(m.Body) > 0 && json.Unmarshal(m.Body, &body) == nil {
		var names []string
		for _, part := range body.Content {
			if part.Name != "" {
				names = append(names, part.Name)
			}
		}
		if len(names) > 0 {
			role = protocol.SessionsPreviewResultPreviewsItemItemsItemRoleTool
			if text == "" {
				text = "call " + strings.Join(names[:min(2, len(names))], ", ")
				if len(names) > 2 {
					text += fmt.Sprintf(" +%d", len(names)-2)
				}
			}
		}
	}
	if text == "" {
		return protocol.SessionsPreviewResultPreviewsItemItemsItem{}, false
	}
	if r := []rune(text); len(r) > maxChars {
		text = string(r[:maxChars-3]) + "..."
	}
	return protocol.SessionsPreviewResultPreviewsItemItemsItem{Role: role, Text: text}, true
}

// ChatInject serves "chat.inject": an assistant note appended to an existing
// session's transcript without a run; chat clients get it as a final chat event.
func (h *Handlers) ChatInject(ctx context.Context, c *gateway.Conn, p *protocol.ChatInjectParams) (*protocol.ChatInjectResult, error) {
	key, err := canonical(p.SessionKey)
	if err != nil {
		return nil, err
	}
	if _, err := h.rt.Store().Get(ctx, key); errors.Is(err, sessions.ErrNotFound) {
		return nil, gateway.Invalid("session not found")
	} else if err != nil {
		return nil, err
	}
	text := p.Message
	if l := p.GetLabel(); l != "" {
		text = "[" + l + "]\n\n" + text
	}
	if max := h.rt.Store().MaxMessageBytes(); len(text) > max {
		return nil, gateway.Invalid("message too large: %d bytes, limit %d", len(text), max)
	}
	now := h.rt.now()
	id := token.UUID()[:8]
	body, _ := json.Marshal(map[string]any{"role": "assistant", "content": []map[string]string{{"type": "text", "text": text}},
		"timestamp": now, "stopReason": "injected", "usage": map[string]int{"input": 0, "output": 0, "totalTokens": 0}})
	if _, _, err := h.rt.Store().Append(ctx, key, sessions.Message{Role: "assistant", Text: text, Ts: now, Body: body}); err != nil {
		return nil, gateway.Unavailable("failed to write transcript: %v", err)
	}
	h.rt.broadcast(&protocol.ChatEvent{RunID: "inject-" + id, SessionKey: key, Seq: 0, State: protocol.ChatEventStateFinal, Message: body})
	return &protocol.ChatInjectResult{Ok: true, MessageID: id}, nil
}
