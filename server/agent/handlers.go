package agent

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/agent/llm"
	"github.com/clawgate/gateway/server/agents"
	"github.com/clawgate/gateway/server/envelope"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/sessions"
	"github.com/clawgate/gateway/tools/protogen/runtime/wire"
)

// Limits of the WebChat methods.
const (
	// MaxChatHistoryBytes bounds chat.history's messages array (the original's 6 MiB).
	MaxChatHistoryBytes = 6 << 20
	// DefaultChatHistoryLimit is chat.history's default limit.
	DefaultChatHistoryLimit = 200
	// DeleteWait is how long sessions.delete waits for the session's runs to stop.
	DeleteWait = 15 * time.Second
)

// Handlers serves the agent, chat and sessions method groups over the gateway
// (hand them to the gateway's Mux: SetAgent, SetChat, SetSessions).
type Handlers struct {
	rt *Runtime
}

// NewHandlers returns the method groups backed by rt.
func NewHandlers(rt *Runtime) *Handlers { return &Handlers{rt: rt} }

var (
	_ protocol.AgentHandler[*gateway.Conn]    = (*Handlers)(nil)
	_ protocol.ChatHandler[*gateway.Conn]     = (*Handlers)(nil)
	_ protocol.SessionsHandler[*gateway.Conn] = (*Handlers)(nil)
)

func canonical(key string) (string, error) {
	k, err := sessions.Canonical(key)
	if err != nil {
		return "", gateway.Invalid("invalid sessionKey: %v", err)
	}
	return k, nil
}

// Agent serves "agent": accepted at once (gateway.Ack), the final answer when the run
// has ended. A duplicate of a run in flight gets the accepted answer only; of a
// finished run, its final answer.
func (h *Handlers) Agent(ctx context.Context, c *gateway.Conn, p *protocol.AgentParams) (*protocol.AgentResult, error) {
	req := Request{RunID: p.IdempotencyKey, Message: p.Message, Deliver: p.Deliver != nil && *p.Deliver,
		Channel: p.GetChannel(), To: p.GetTo(), AccountID: p.GetAccountID(), ExtraSystemPrompt: p.GetExtraSystemPrompt(), Source: "agent"}
	if p.Timeout != nil {
		if *p.Timeout == 0 {
			return nil, gateway.Invalid("timeout must be positive (seconds)")
		}
		req.Timeout = time.Duration(*p.Timeout) * time.Second
	}
	if len(p.Attachments) > 0 {
		imgs, err := ParseAttachments(p.Attachments)
		if err != nil {
			return nil, gateway.Invalid("%v", err)
		}
		req.Images = imgs
	}
	switch {
	case strings.TrimSpace(p.GetSessionKey()) != "":
		k, err := canonical(*p.SessionKey)
		if err != nil {
			return nil, err
		}
		req.SessionKey = k
	case p.GetSessionID() != "":
		// A known transcript id selects its session (without chat events, as §12.13).
		ss, err := h.rt.Store().GetByID(ctx, *p.SessionID)
		if err == nil {
			req.SessionKey = ss.Key
		} else if !errors.Is(err, sessions.ErrNotFound) {
			return nil, err
		}
	}
	if aid := strings.TrimSpace(p.GetAgentID()); aid != "" {
		// As the original: a known agent; without a session, its main session; with
		// one, the session must be that agent's.
		seg, ok := h.rt.agentSegment(aid)
		if !ok {
			return nil, gateway.Invalid("invalid agent params: unknown agent id %q", aid)
		}
		if req.SessionKey == "" {
			req.SessionKey = "agent:" + seg + ":" + agents.NormalizeMainKey(h.rt.opts.MainKey)
		} else if got := agents.SessionAgentID(req.SessionKey, sessions.DefaultAgentID); got != seg {
			return nil, gateway.Invalid("invalid agent params: agent %q does not match session key agent %q", aid, got)
		}
	}
	if len(req.Images) > 0 {
		lane := req.SessionKey
		if lane == "" {
			lane = h.rt.MainSessionKey() // where a run without a session key runs
		}
		if err := h.rt.CheckImages(ctx, lane); err != nil {
			return nil, err
		}
	}
	if req.SessionKey != "" && p.Label != nil && *p.Label != "" {
		if err := h.rt.Store().SetLabel(ctx, req.SessionKey, *p.Label); err != nil {
			return nil, err
		}
	}
	r, dup, err := h.rt.Start(ctx, req)
	if err != nil {
		return nil, err
	}
	accepted := &protocol.AgentResult{RunID: r.ID, Status: protocol.AgentResultStatusAccepted, AcceptedAt: new(r.AcceptedAt)}
	if dup {
		if !r.Finished() {
			return accepted, nil
		}
		return agentFinal(r)
	}
	if err := gateway.Ack(ctx, accepted); err != nil {
		return nil, err
	}
	select {
	case <-r.Done():
		return agentFinal(r)
	case <-c.Done():
		// Nobody to answer; the run goes on and its events still reach everyone.
		return nil, gateway.Unavailable("connection closed")
	}
}

// agentFinal is the final answer of a finished run: ok, or the error payload together
// with UNAVAILABLE (AGENT_TIMEOUT for a timeout).
func agentFinal(r *Run) (*protocol.AgentResult, error) {
	out := r.Outcome()
	if out.Status == StatusOK {
		// As the original's: reply tags never reach the caller, and a silent reply
		// (NO_REPLY) is no payload at all.
		payloads := []map[string]any{}
		if text := VisibleReply(out.Text); strings.TrimSpace(text) != "" {
			payloads = append(payloads, map[string]any{"text": text})
		}
		meta := map[string]any{"durationMs": out.EndedAt - out.StartedAt}
		if out.Usage != nil {
			meta["usage"] = map[string]int64{"input": out.Usage.PromptTokens, "output": out.Usage.CompletionTokens, "total": out.Usage.TotalTokens}
		}
		if len(out.Fallbacks) > 0 {
			meta["fallbacks"] = out.Fallbacks
		}
		if out.Delivered != nil {
			meta["delivered"] = map[string]string{"messageId": out.Delivered.MessageID}
		}
		res, _ := json.Marshal(map[string]any{"payloads": payloads, "meta": meta})
		return &protocol.AgentResult{RunID: r.ID, Status: protocol.AgentResultStatusOk, Summary: new("completed"), Result: res}, nil
	}
	pl := &protocol.AgentResult{RunID: r.ID, Status: protocol.AgentResultStatusError, Summary: new(out.Err)}
	code := gateway.CodeUnavailable
	if out.Status == StatusTimeout {
		pl.Status, code = protocol.AgentResultStatusTimeout, CodeAgentTimeout
	}
	return nil, &gateway.Error{Code: code, Message: out.Err, Payload: pl}
}

// AgentWait serves "agent.wait".
func (h *Handlers) AgentWait(ctx context.Context, c *gateway.Conn, p *protocol.AgentWaitParams) (*protocol.AgentWaitResult, error) {
	timeout := 30 * time.Second
	if p.TimeoutMs != nil {
		timeout = time.Duration(*p.TimeoutMs) * time.Millisecond
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-c.Done():
			cancel()
		case <-wctx.Done():
		}
	}()
	out, ok := h.rt.Wait(wctx, p.RunID, timeout)
	if !ok {
		return &protocol.AgentWaitResult{RunID: p.RunID, Status: protocol.AgentWaitResultStatusTimeout}, nil
	}
	res := &protocol.AgentWaitResult{RunID: p.RunID, Status: protocol.AgentWaitResultStatusOk, EndedAt: new(out.EndedAt)}
	if out.StartedAt > 0 {
		res.StartedAt = new(out.StartedAt)
	}
	if out.Status != StatusOK {
		res.Status, res.Error = protocol.AgentWaitResultStatusError, new(out.Err)
	}
	return res, nil
}

// Wake serves "wake".
func (h *Handlers) Wake(ctx context.Context, c *gateway.Conn, p *protocol.WakeParams) (*protocol.WakeResult, error) {
	if strings.TrimSpace(p.Text) == "" {
		return &protocol.WakeResult{Ok: false}, nil
	}
	if max := h.rt.Store().MaxMessageBytes(); len(p.Text) > max {
		return nil, gateway.Invalid("text too large: %d bytes, limit %d", len(p.Text), max)
	}
	if err := h.rt.Wake(ctx, p.Text, string(p.Mode)); err != nil {
		return nil, gateway.Unavailable("%v", err)
	}
	return &protocol.WakeResult{Ok: true}, nil
}

// ChatSend serves "chat.send". Protocol 3 answers at once ({status:"started"}, or
// "in_flight" / the final answer for a duplicate); protocol 2 answers once, when the
// run has ended. A duplicate never starts a second run (protocol 2 waits for the first).
func (h *Handlers) ChatSend(ctx context.Context, c *gateway.Conn, p *protocol.ChatSendParams) (*protocol.ChatSendResult, error) {
	return h.chatSend(ctx, "operator:"+c.ID(), c.Protocol(), c.Done(), p)
}

// chatSend is chat.send for a caller: sender names it to the chat commands, proto
// picks the answer (protocol 3: at once; 2: when the run ends, or done closes).
func (h *Handlers) chatSend(ctx context.Context, sender string, proto int, done <-chan struct{}, p *protocol.ChatSendParams) (*protocol.ChatSendResult, error) {
	key, err := canonical(p.SessionKey)
	if err != nil {
		return nil, err
	}
	var images []llm.Part
	if len(p.Attachments) > 0 {
		if images, err = ParseAttachments(p.Attachments); err != nil {
			return nil, gateway.Invalid("%v", err)
		}
		if err := h.rt.CheckImages(ctx, key); err != nil {
			return nil, err
		}
	}
	if p.IdempotencyKey == "" {
		return nil, gateway.Invalid("idempotencyKey required")
	}
	// Chat commands are answered by the gateway; operator clients may run them all.
	res, err := h.rt.Command(ctx, key, p.Message, true, sender)
	if err != nil {
		return nil, gateway.Unavailable("%v", err)
	}
	if res.Handled && res.Continue == "" {
		h.rt.commandReply(p.IdempotencyKey, key, res.Reply)
		return &protocol.ChatSendResult{RunID: p.IdempotencyKey, Status: protocol.ChatSendResultStatusOk}, nil
	}
	if res.Handled {
		p.Message = res.Continue
	}
	req := Request{RunID: p.IdempotencyKey, SessionKey: key, Message: p.Message, Images: images, Deliver: p.Deliver != nil && *p.Deliver, BestEffort: true, Channel: ChannelLast, Source: "chat"}
	if p.TimeoutMs != nil && *p.TimeoutMs > 0 {
		req.Timeout = time.Duration(*p.TimeoutMs) * time.Millisecond
	}
	r, dup, err := h.rt.Start(ctx, req)
	if err != nil {
		return nil, err
	}
	if proto >= 3 {
		switch {
		case !dup:
			return &protocol.ChatSendResult{RunID: r.ID, Status: protocol.ChatSendResultStatusStarted}, nil
		case !r.Finished():
			return &protocol.ChatSendResult{RunID: r.ID, Status: protocol.ChatSendResultStatusInFlight}, nil
		}
		return chatFinal(r)
	}
	select {
	case <-r.Done():
		return chatFinal(r)
	case <-done:
		return nil, gateway.Unavailable("connection closed")
	}
}

func chatFinal(r *Run) (*protocol.ChatSendResult, error) {
	out := r.Outcome()
	if out.Status == StatusOK {
		return &protocol.ChatSendResult{RunID: r.ID, Status: protocol.ChatSendResultStatusOk}, nil
	}
	pl := &protocol.ChatSendResult{RunID: r.ID, Status: protocol.ChatSendResultStatusError, Summary: new(out.Err)}
	code := gateway.CodeUnavailable
	if out.Status == StatusTimeout {
		code = CodeAgentTimeout
	}
	return nil, &gateway.Error{Code: code, Message: out.Err, Payload: pl}
}

// ChatHistory serves "chat.history": the last limit messages of the session's
// transcript, oldest dropped until the array fits MaxChatHistoryBytes.
func (h *Handlers) ChatHistory(ctx context.Context, c *gateway.Conn, p *protocol.ChatHistoryParams) (*protocol.ChatHistoryResult, error) {
	key, err := canonical(p.SessionKey)
	if err != nil {
		return nil, err
	}
	limit := DefaultChatHistoryLimit
	if p.Limit != nil {
		limit = int(*p.Limit)
	}
	res := &protocol.ChatHistoryResult{SessionKey: key, Messages: []json.RawMessage{}}
	ss, err := h.rt.Store().Get(ctx, key)
	if errors.Is(err, sessions.ErrNotFound) {
		return res, nil
	}
	if err != nil {
		return nil, err
	}
	res.SessionID = new(ss.ID)
	hist, err := h.rt.Store().History(ctx, key, limit, 0)
	if err != nil {
		return nil, err
	}
	total := 2
	for _, m := range hist {
		b := historyMessage(m)
		res.Messages = append(res.Messages, b)
		total += len(b) + 1
	}
	for len(res.Messages) > 0 && total > MaxChatHistoryBytes {
		total -= len(res.Messages[0]) + 1
		res.Messages = res.Messages[1:]
	}
	return res, nil
}

// ChatAbort serves "chat.abort".
func (h *Handlers) ChatAbort(ctx context.Context, c *gateway.Conn, p *protocol.ChatAbortParams) (*protocol.ChatAbortResult, error) {
	return h.chatAbort(c.Protocol(), p)
}

func (h *Handlers) chatAbort(proto int, p *protocol.ChatAbortParams) (*protocol.ChatAbortResult, error) {
	key, err := canonical(p.SessionKey)
	if err != nil {
		return nil, err
	}
	ids, err := h.rt.Abort(key, p.GetRunID())
	if err != nil {
		return nil, err
	}
	res := &protocol.ChatAbortResult{Ok: true, Aborted: len(ids) > 0}
	if proto >= 3 {
		res.RunIds = ids
	}
	return res, nil
}

// SessionsList serves "sessions.list".
func (h *Handlers) SessionsList(ctx context.Context, c *gateway.Conn, p *protocol.SessionsListParams) (*protocol.SessionsListResult, error) {
	o := sessions.ListOptions{Label: p.GetLabel(), Search: p.GetSearch()}
	if p.Limit != nil {
		o.Limit = int(*p.Limit)
	}
	if p.ActiveMinutes != nil {
		o.ActiveMinutes = int(*p.ActiveMinutes)
	}
	if aid := strings.TrimSpace(p.GetAgentID()); aid != "" {
		seg, ok := h.rt.agentSegment(aid)
		if !ok {
			o.Limit = -1 // an agent that is not configured has no sessions
		}
		o.Agent = seg
	}
	list := []sessions.Session{}
	if o.Limit >= 0 {
		var err error
		if list, err = h.rt.Store().List(ctx, o); err != nil {
			return nil, err
		}
	}
	res := &protocol.SessionsListResult{Ts: h.rt.now(), Path: h.rt.Store().Path(), Defaults: h.rt.modelDefaults(), Sessions: []protocol.SessionRow{}}
	for _, ss := range list {
		row := protocol.SessionRow{Key: ss.Key, Kind: protocol.SessionKindDirect, UpdatedAt: new(ss.UpdatedAt), SessionID: new(ss.ID), TotalTokens: ss.TotalTokens}
		switch {
		case ss.Key == "global":
			row.Kind = protocol.SessionKindGlobal
		case ss.Key == "unknown":
			row.Kind = protocol.SessionKindUnknown
		case ss.ChatType == "group":
			row.Kind = protocol.SessionKindGroup
		}
		row.DisplayName, row.Label, row.ChatType = wire.Opt(ss.DisplayName), wire.Opt(ss.Label), wire.Opt(ss.ChatType)
		row.LastProvider, row.LastChannel, row.LastTo, row.LastAccountID = wire.Opt(ss.LastChannel), wire.Opt(ss.LastChannel), wire.Opt(ss.LastTo), wire.Opt(ss.LastAccountID)
		row.Provider, row.Channel = wire.Opt(ss.LastChannel), wire.Opt(ss.LastChannel)
		if ss.InputTokens > 0 || ss.OutputTokens > 0 {
			row.InputTokens, row.OutputTokens = new(ss.InputTokens), new(ss.OutputTokens)
		}
		if ss.AbortedLastRun {
			row.AbortedLastRun = new(true)
		}
		row.Model, row.ThinkingLevel, row.VerboseLevel, row.ReasoningLevel = wire.Opt(ss.Model), wire.Opt(ss.ThinkingLevel), wire.Opt(ss.VerboseLevel), wire.Opt(ss.ReasoningLevel)
		if ss.SendPolicy != "" {
			row.SendPolicy = new(protocol.SessionSendPolicy(ss.SendPolicy))
		}
		if p.IncludeLastMessage != nil && *p.IncludeLastMessage {
			if m, ok, err := h.rt.Store().LastMessage(ctx, ss.Key); err == nil && ok {
				row.LastMessagePreview = new(preview(m.Text, 120))
			}
		}
		if p.IncludeDerivedTitles != nil && *p.IncludeDerivedTitles {
			if hist, err := h.rt.Store().History(ctx, ss.Key, 1000, 0); err == nil {
				for _, m := range hist {
					if m.Role == "user" && strings.TrimSpace(m.Text) != "" {
						row.DerivedTitle = new(preview(strings.TrimSpace(m.Text), 60))
						break
					}
				}
			}
		}
		res.Sessions = append(res.Sessions, row)
	}
	res.Count = int64(len(res.Sessions))
	return res, nil
}

func (rt *Runtime) modelDefaults() protocol.SessionModelDefaults {
	d := protocol.SessionModelDefaults{}
	if m := rt.modelConfig().Model; m != "" {
		d.Model = new(m)
	}
	return d
}

func preview(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func entry(ss sessions.Session) protocol.SessionEntry {
	e := protocol.SessionEntry{SessionID: ss.ID, UpdatedAt: ss.UpdatedAt, DisplayName: wire.Opt(ss.DisplayName), ChatType: wire.Opt(ss.ChatType), Label: wire.Opt(ss.Label),
		LastProvider: wire.Opt(ss.LastChannel), LastChannel: wire.Opt(ss.LastChannel), LastTo: wire.Opt(ss.LastTo), LastAccountID: wire.Opt(ss.LastAccountID)}
	if ss.AbortedLastRun {
		e.AbortedLastRun = new(true)
	}
	e.Model, e.ThinkingLevel, e.VerboseLevel, e.ReasoningLevel = wire.Opt(ss.Model), wire.Opt(ss.ThinkingLevel), wire.Opt(ss.VerboseLevel), wire.Opt(ss.ReasoningLevel)
	e.ElevatedLevel = wire.Opt(ss.ElevatedLevel)
	if ss.SendPolicy != "" {
		e.SendPolicy = new(protocol.SessionSendPolicy(ss.SendPolicy))
	}
	if ss.InputTokens > 0 || ss.OutputTokens > 0 || ss.TotalTokens > 0 {
		e.InputTokens, e.OutputTokens, e.TotalTokens = new(ss.InputTokens), new(ss.OutputTokens), new(ss.TotalTokens)
	}
	return e
}

// SessionsReset serves "sessions.reset": a new transcript id; route and label kept.
func (h *Handlers) SessionsReset(ctx context.Context, c *gateway.Conn, p *protocol.SessionsResetParams) (*protocol.SessionsResetResult, error) {
	key, err := canonical(p.Key)
	if err != nil {
		return nil, err
	}
	ss, err := h.rt.Store().Reset(ctx, key)
	if err != nil {
		return nil, err
	}
	return &protocol.SessionsResetResult{Ok: true, Key: key, Entry: entry(ss)}, nil
}

// SessionsDelete serves "sessions.delete": never the main session; the session's runs
// are aborted first and must stop within DeleteWait.
func (h *Handlers) SessionsDelete(ctx context.Context, c *gateway.Conn, p *protocol.SessionsDeleteParams) (*protocol.SessionsDeleteResult, error) {
	key, err := canonical(p.Key)
	if err != nil {
		return nil, err
	}
	if key == h.rt.MainSessionKey() {
		return nil, gateway.Invalid("Cannot delete the main session (%s).", key)
	}
	if h.rt.Active(key) {
		if _, err := h.rt.Abort(key, ""); err != nil {
			return nil, err
		}
		deadline := time.NewTimer(DeleteWait)
		defer deadline.Stop()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for h.rt.Active(key) {
			select {
			case <-deadline.C:
				return nil, &gateway.Error{Code: gateway.CodeUnavailable, Message: "Session " + key + " is still active; try again in a moment.", Retryable: true, RetryAfterMs: 1000}
			case <-tick.C:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
	}
	deleted, archived, err := h.rt.Store().Delete(ctx, key)
	if err != nil {
		return nil, err
	}
	if p.DeleteTranscript != nil && !*p.DeleteTranscript {
		archived = []string{}
	}
	return &protocol.SessionsDeleteResult{Ok: true, Key: key, Deleted: deleted, Archived: archived}, nil
}

// HealthSource fills the sessions part of the health summary (count and the five most
// recently updated sessions).
func (rt *Runtime) HealthSource(ctx context.Context, sum *protocol.HealthSummary) {
	st := rt.opts.Store
	sum.Sessions.Path = st.Path()
	if n, err := st.Count(ctx); err == nil {
		sum.Sessions.Count = n
	}
	list, err := st.List(ctx, sessions.ListOptions{Limit: 5})
	if err != nil {
		return
	}
	now := rt.now()
	recent := make([]protocol.HealthSummarySessionsRecentItem, 0, len(list))
	for _, ss := range list {
		recent = append(recent, protocol.HealthSummarySessionsRecentItem{Key: ss.Key, UpdatedAt: new(ss.UpdatedAt), Age: new(max(now-ss.UpdatedAt, 0))})
	}
	sum.Sessions.Recent = recent
}

// historyMessage is one chat.history entry: the stored message in the original's
// transcript shape (assistant steps with their tool calls, tool results), or for a
// text-only entry one text part.
func historyMessage(m sessions.Message) json.RawMessage {
	if m.Role == RoleCompaction {
		return historyCompaction(m)
	}
	if len(m.Body) > 0 && json.Valid(m.Body) {
		b := historyImages(json.RawMessage(m.Body))
		if m.Role == "user" {
			b = stripBodyEnvelope(b)
		}
		return b
	}
	text := m.Text
	if m.Role == "user" {
		// The envelope header is for the model; the person reading the chat gets the
		// message as written (the original's chat.history strips it too).
		text = envelope.Strip(text)
	}
	b, _ := json.Marshal(map[string]any{"role": m.Role, "content": []map[string]string{{"type": "text", "text": text}}, "timestamp": m.Ts})
	return b
}

// stripBodyEnvelope is envelope.Strip on the text parts of a stored user message
// with parts (an inbound photo and its caption).
func stripBodyEnvelope(body json.RawMessage) json.RawMessage {
	if !strings.Contains(string(body), "[") {
		return body
	}
	return rewriteParts(body, func(p map[string]any) (map[string]any, bool) {
		t, ok := p["text"].(string)
		if !ok || p["type"] != "text" {
			return p, false
		}
		s := envelope.Strip(t)
		if s == t {
			return p, false
		}
		p["text"] = s
		return p, true
	})
}
