package heartbeat

import (
	"context"

	"github.com/clawgate/gateway/gen/go/protocol"
)

// Handlers serves the heartbeat method group (last-heartbeat, set-heartbeats) over any
// transport: C is the server's per-call context, unused here (hand it to the Mux with
// SetHeartbeat). The wake method stays in the agent group; its handler calls
// Runner.Wake.
type Handlers[C any] struct{ r *Runner }

// NewHandlers returns the heartbeat group backed by r.
func NewHandlers[C any](r *Runner) *Handlers[C] { return &Handlers[C]{r: r} }

var _ protocol.HeartbeatHandler[struct{}] = (*Handlers[struct{}])(nil)

// LastHeartbeat serves last-heartbeat. Before the first heartbeat it returns nil, which
// the Mux answers as payload null (the result schema is nullable): clients read that as
// "none yet", as with the original.
func (h *Handlers[C]) LastHeartbeat(ctx context.Context, _ C, _ *protocol.LastHeartbeatParams) (*protocol.LastHeartbeatResult, error) {
	e := h.r.Last()
	if e == nil {
		return nil, nil
	}
	return WireEvent(*e), nil
}

// SetHeartbeats serves set-heartbeats.
func (h *Handlers[C]) SetHeartbeats(ctx context.Context, _ C, p *protocol.SetHeartbeatsParams) (*protocol.SetHeartbeatsResult, error) {
	h.r.SetEnabled(p.Enabled)
	return &protocol.SetHeartbeatsResult{Ok: true, Enabled: p.Enabled}, nil
}

// WireEvent converts an event into the `heartbeat` event payload (for the EventSink the
// lead hands to New: broadcast WireEvent(e)).
func WireEvent(e Event) *protocol.HeartbeatEvent {
	w := &protocol.HeartbeatEvent{Ts: e.Ts, Status: protocol.HeartbeatEventStatus(e.Status), DurationMs: e.DurationMs,
		HasMedia: e.HasMedia, Silent: e.Silent}
	str := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	w.To, w.Preview, w.Reason, w.Channel = str(e.To), str(e.Preview), str(e.Reason), str(e.Channel)
	if e.IndicatorType != "" {
		it := protocol.HeartbeatEventIndicatorType(e.IndicatorType)
		w.IndicatorType = &it
	}
	return w
}
