package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/clawgate/gateway/server/agent/tools"
	"github.com/clawgate/gateway/server/envelope"
	"github.com/clawgate/gateway/server/sessions"
)

// sessionsAPI is what the sessions_* tools see of the gateway: this runtime's session
// store and runs. It is the tools.Sessions of every run's tool set.
type sessionsAPI struct{ rt *Runtime }

// SessionsAPI returns the runtime's implementation of tools.Sessions.
func (rt *Runtime) SessionsAPI() tools.Sessions { return sessionsAPI{rt} }

func (a sessionsAPI) List(ctx context.Context, q tools.SessionQuery) ([]tools.SessionRow, error) {
	list, err := a.rt.opts.Store.List(ctx, sessions.ListOptions{Limit: q.Limit, ActiveMinutes: q.ActiveMinutes})
	if err != nil {
		return nil, err
	}
	model := a.rt.modelConfig().Model
	rows := make([]tools.SessionRow, 0, len(list))
	for _, ss := range list {
		row := tools.SessionRow{Key: ss.Key, Kind: tools.SessionKind(ss.Key, a.rt.MainSessionKey()), Channel: ss.LastChannel,
			Label: ss.Label, DisplayName: ss.DisplayName, UpdatedAt: ss.UpdatedAt, SessionID: ss.ID, Model: model,
			TotalTokens: ss.TotalTokens, AbortedLastRun: ss.AbortedLastRun, LastChannel: ss.LastChannel, LastTo: ss.LastTo,
			LastAccountID: ss.LastAccountID}
		if ss.LastChannel != "" || ss.LastTo != "" {
			row.DeliveryContext = &tools.DeliveryContext{Channel: ss.LastChannel, To: ss.LastTo, AccountID: ss.LastAccountID}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func (a sessionsAPI) History(ctx context.Context, key string, limit int) ([]json.RawMessage, error) {
	k, err := sessions.Canonical(key)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > DefaultChatHistoryLimit {
		limit = DefaultChatHistoryLimit // "all", bounded as chat.history is
	}
	hist, err := a.rt.opts.Store.History(ctx, k, limit, 0)
	if err != nil {
		return nil, err
	}
	out := make([]json.RawMessage, 0, len(hist))
	for _, m := range hist {
		out = append(out, historyMessage(m))
	}
	return out, nil
}

// Send starts a run on the target session and, when asked, waits for it. A run that
// sends to its own session, or to another while every run slot is taken, cannot finish
// within its own wait: it gets status "timeout" and the target run goes on.
func (a sessionsAPI) Send(ctx context.Context, req tools.SessionSendRequest) (tools.SessionSendResult, error) {
	k, err := sessions.Canonical(req.SessionKey)
	if err != nil {
		return tools.SessionSendResult{}, err
	}
	r, _, err := a.rt.Start(ctx, Request{RunID: req.IdempotencyKey, SessionKey: k, Message: req.Message,
		ExtraSystemPrompt: req.ExtraSystemPrompt, Source: "sessions_send"})
	if err != nil {
		return tools.SessionSendResult{}, err
	}
	flow := a2aFlow{requester: req.RequesterKey, requesterChannel: req.RequesterChannel, target: k, message: req.Message}
	if req.Wait <= 0 {
		flow.first = r
		a.rt.startA2A(flow)
		return tools.SessionSendResult{RunID: r.ID, Status: "accepted"}, nil
	}
	out, ok := a.rt.Wait(ctx, r.ID, req.Wait)
	switch {
	case !ok:
		return tools.SessionSendResult{RunID: r.ID, Status: "timeout"}, nil
	case out.Status == StatusOK:
		flow.reply = out.Text
		a.rt.startA2A(flow)
		return tools.SessionSendResult{RunID: r.ID, Status: "ok", Reply: out.Text}, nil
	default:
		return tools.SessionSendResult{RunID: r.ID, Status: "error", Error: out.Err}, nil
	}
}

func (a sessionsAPI) ResolveLabel(ctx context.Context, label, agentID string) (string, error) {
	list, err := a.rt.opts.Store.List(ctx, sessions.ListOptions{Label: strings.TrimSpace(label), Limit: 1})
	if err != nil || len(list) == 0 {
		return "", err
	}
	return list[0].Key, nil
}

// Status renders the session's card. Per-session model overrides are not kept by this
// gateway, so asking to change the model is an error rather than a silent no-op.
func (a sessionsAPI) Status(ctx context.Context, key, model string) (tools.SessionStatus, error) {
	if model != "" && model != "default" {
		return tools.SessionStatus{}, errors.New("changing a session's model is not supported by this gateway")
	}
	k, err := sessions.Canonical(key)
	if err != nil {
		return tools.SessionStatus{}, err
	}
	ss, err := a.rt.opts.Store.Get(ctx, k)
	if err != nil {
		return tools.SessionStatus{}, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Session: %s\n", ss.Key)
	// The user's current time, as the original's card shows it (userTimezone,
	// timeFormat).
	var eo envelope.Options
	if a.rt.opts.Envelope != nil {
		eo = a.rt.opts.Envelope()
	}
	loc := eo.UserLocation
	if loc == nil {
		loc = time.Local
	}
	now := a.rt.opts.Now()
	fmt.Fprintf(&b, "Time: %s (%s)\n", envelope.UserTime(now, loc, eo.TimeFormat), envelope.ZoneName(loc, now))
	if m := a.rt.modelConfig().Model; m != "" {
		fmt.Fprintf(&b, "Model: %s\n", m)
	}
	fmt.Fprintf(&b, "Tokens (last run): %d in / %d out / %d total\n", ss.InputTokens, ss.OutputTokens, ss.TotalTokens)
	fmt.Fprintf(&b, "Messages: %d\n", ss.Messages)
	fmt.Fprintf(&b, "Updated: %s", time.UnixMilli(ss.UpdatedAt).UTC().Format(time.RFC3339))
	if a.rt.Active(ss.Key) {
		b.WriteString("\nA run is in progress.")
	}
	return tools.SessionStatus{Key: ss.Key, Text: b.String()}, nil
}
