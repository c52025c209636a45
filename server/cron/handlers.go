package cron

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/clawgate/gateway/gen/go/protocol"
)

// Handlers serves the cron method group over any transport: C is the server's per-call
// context, unused here (hand it to the Mux with SetCron).
type Handlers[C any] struct{ svc *Service }

// NewHandlers returns the cron group backed by svc.
func NewHandlers[C any](svc *Service) *Handlers[C] { return &Handlers[C]{svc: svc} }

var _ protocol.CronHandler[struct{}] = (*Handlers[struct{}])(nil)

// wireError maps the service's errors to wire errors.
func wireError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrInvalid), errors.Is(err, ErrNotFound):
		e := protocol.ErrorCodeInvalidRequest.Errorf("%s", err.Error())
		e.Err = err
		return e
	case errors.Is(err, ErrLimit):
		e := protocol.ErrorCodeUnavailable.Errorf("%s", err.Error())
		e.Err = err
		return e
	}
	return err
}

// remarshal converts between the service's types and the generated ones through their
// common JSON shape (the original's), validating on the way in.
func remarshal(src, dst any) error {
	b, err := json.Marshal(src)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, dst)
}

func toWire(j Job) (*protocol.CronJob, error) {
	var w protocol.CronJob
	if err := remarshal(j, &w); err != nil {
		return nil, fmt.Errorf("cron job %s does not fit the wire schema: %w", j.ID, err)
	}
	return &w, nil
}

func jobID(id, jobID *string) (string, error) {
	if id != nil && strings.TrimSpace(*id) != "" {
		return strings.TrimSpace(*id), nil
	}
	if jobID != nil && strings.TrimSpace(*jobID) != "" {
		return strings.TrimSpace(*jobID), nil
	}
	return "", protocol.ErrorCodeInvalidRequest.Errorf("missing id")
}

// CronList serves cron.list.
func (h *Handlers[C]) CronList(ctx context.Context, _ C, p *protocol.CronListParams) (*protocol.CronListResult, error) {
	jobs, err := h.svc.List(ctx, p.GetIncludeDisabled())
	if err != nil {
		return nil, wireError(err)
	}
	out := &protocol.CronListResult{Jobs: make([]protocol.CronJob, 0, len(jobs))}
	for _, j := range jobs {
		w, err := toWire(j)
		if err != nil {
			return nil, err
		}
		out.Jobs = append(out.Jobs, *w)
	}
	return out, nil
}

// CronStatus serves cron.status.
func (h *Handlers[C]) CronStatus(ctx context.Context, _ C, _ *protocol.CronStatusParams) (*protocol.CronStatusResult, error) {
	st, err := h.svc.Status(ctx)
	if err != nil {
		return nil, wireError(err)
	}
	return &protocol.CronStatusResult{Enabled: st.Enabled, StorePath: st.StorePath, Jobs: int64(st.Jobs), NextWakeAtMs: st.NextWakeAtMs}, nil
}

// CronAdd serves cron.add: the stored job itself.
func (h *Handlers[C]) CronAdd(ctx context.Context, _ C, p *protocol.CronAddParams) (*protocol.CronAddResult, error) {
	in := Create{AgentID: p.GetAgentID(), Name: p.Name, Description: p.GetDescription(), Enabled: p.Enabled,
		DeleteAfterRun: p.DeleteAfterRun}
	if p.SessionTarget != nil {
		in.SessionTarget = string(*p.SessionTarget)
	}
	if p.WakeMode != nil {
		in.WakeMode = string(*p.WakeMode)
	}
	if err := remarshal(p.Schedule, &in.Schedule); err != nil {
		return nil, protocol.ErrorCodeInvalidRequest.Errorf("invalid schedule: %v", err)
	}
	if err := remarshal(p.Payload, &in.Payload); err != nil {
		return nil, protocol.ErrorCodeInvalidRequest.Errorf("invalid payload: %v", err)
	}
	if p.Isolation != nil {
		in.Isolation = new(Isolation)
		if err := remarshal(p.Isolation, in.Isolation); err != nil {
			return nil, protocol.ErrorCodeInvalidRequest.Errorf("invalid isolation: %v", err)
		}
	}
	j, err := h.svc.Add(ctx, in)
	if err != nil {
		return nil, wireError(err)
	}
	return toWire(j)
}

// patchFromWire converts a wire patch.
func patchFromWire(w *protocol.CronJobPatch) (Patch, error) {
	p := Patch{Name: w.Name, AgentID: w.AgentID, Description: w.Description, Enabled: w.Enabled, DeleteAfterRun: w.DeleteAfterRun}
	if w.SessionTarget != nil {
		p.SessionTarget = ptr(string(*w.SessionTarget))
	}
	if w.WakeMode != nil {
		p.WakeMode = ptr(string(*w.WakeMode))
	}
	if w.Schedule != nil {
		p.Schedule = new(Schedule)
		if err := remarshal(w.Schedule, p.Schedule); err != nil {
			return p, err
		}
	}
	if w.Isolation != nil {
		p.Isolation = new(Isolation)
		if err := remarshal(w.Isolation, p.Isolation); err != nil {
			return p, err
		}
	}
	switch pp := w.Payload.(type) {
	case *protocol.CronPayloadPatchSystemEvent:
		p.Payload = &PayloadPatch{Kind: PayloadSystemEvent, Text: pp.Text}
	case *protocol.CronPayloadPatchAgentTurn:
		p.Payload = &PayloadPatch{Kind: PayloadAgentTurn, Message: pp.Message, Model: pp.Model, Thinking: pp.Thinking,
			TimeoutSeconds: pp.TimeoutSeconds, Deliver: pp.Deliver, Channel: pp.Channel, To: pp.To, BestEffortDeliver: pp.BestEffortDeliver}
	}
	return p, nil
}

// CronUpdate serves cron.update: the changed job itself.
func (h *Handlers[C]) CronUpdate(ctx context.Context, _ C, p *protocol.CronUpdateParams) (*protocol.CronUpdateResult, error) {
	id, err := jobID(p.ID, p.JobID)
	if err != nil {
		return nil, err
	}
	patch, err := patchFromWire(&p.Patch)
	if err != nil {
		return nil, protocol.ErrorCodeInvalidRequest.Errorf("invalid patch: %v", err)
	}
	j, err := h.svc.Update(ctx, id, patch)
	if err != nil {
		return nil, wireError(err)
	}
	return toWire(j)
}

// CronRemove serves cron.remove.
func (h *Handlers[C]) CronRemove(ctx context.Context, _ C, p *protocol.CronRemoveParams) (*protocol.CronRemoveResult, error) {
	id, err := jobID(p.ID, p.JobID)
	if err != nil {
		return nil, err
	}
	removed, err := h.svc.Remove(ctx, id)
	if err != nil {
		return nil, wireError(err)
	}
	return &protocol.CronRemoveResult{Ok: true, Removed: removed}, nil
}

// CronRun serves cron.run: it answers when the run has ended.
func (h *Handlers[C]) CronRun(ctx context.Context, _ C, p *protocol.CronRunParams) (*protocol.CronRunResult, error) {
	id, err := jobID(p.ID, p.JobID)
	if err != nil {
		return nil, err
	}
	r, err := h.svc.Run(ctx, id, p.Mode != nil && *p.Mode == protocol.CronRunParamsModeForce)
	if err != nil {
		return nil, wireError(err)
	}
	out := &protocol.CronRunResult{Ok: true, Ran: r.Ran}
	if r.Reason != "" {
		out.Reason = ptr(protocol.CronRunResultReason(r.Reason))
	}
	return out, nil
}

// CronRuns serves cron.runs.
func (h *Handlers[C]) CronRuns(ctx context.Context, _ C, p *protocol.CronRunsParams) (*protocol.CronRunsResult, error) {
	id, err := jobID(p.ID, p.JobID)
	if err != nil {
		return nil, err
	}
	entries, err := h.svc.Runs(ctx, id, int(p.GetLimit()))
	if err != nil {
		return nil, wireError(err)
	}
	out := &protocol.CronRunsResult{Entries: make([]protocol.CronRunLogEntry, 0, len(entries))}
	for _, e := range entries {
		var w protocol.CronRunLogEntry
		if err := remarshal(e, &w); err != nil {
			continue // a line the schema rejects (written by hand) is skipped, as unparsable ones are
		}
		out.Entries = append(out.Entries, w)
	}
	return out, nil
}

// WireEvent converts a service event into the `cron` event payload (for the EventSink the
// lead hands to New: broadcast WireEvent(e)).
func WireEvent(e Event) *protocol.CronEvent {
	w := &protocol.CronEvent{JobID: e.JobID, Action: protocol.CronEventAction(e.Action), RunAtMs: e.RunAtMs,
		DurationMs: e.DurationMs, NextRunAtMs: e.NextRunAtMs}
	if e.Status != "" {
		w.Status = ptr(protocol.CronRunStatus(e.Status))
	}
	if e.Error != "" {
		w.Error = ptr(e.Error)
	}
	if e.Summary != "" {
		w.Summary = ptr(e.Summary)
	}
	return w
}

// Call runs one cron method in process with raw JSON params through the generated Mux
// (the same decoding and validation as over the gateway) and answers the result's JSON.
// The agent's cron tool uses it (tools.Cron), so the tool and the wire accept the same
// jobs. Methods outside the cron group are refused.
func (s *Service) Call(ctx context.Context, method string, params json.RawMessage) (json.RawMessage, error) {
	if !strings.HasPrefix(method, "cron.") {
		return nil, fmt.Errorf("not a cron method: %q", method)
	}
	m := protocol.NewMux[struct{}]()
	m.SetCron(NewHandlers[struct{}](s))
	r, err := m.Dispatch(ctx, struct{}{}, nil, 3, method, params)
	if err != nil {
		return nil, err
	}
	return r.AppendJSON(nil), nil
}
