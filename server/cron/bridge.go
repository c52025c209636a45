package cron

import (
	"context"
	"errors"

	"github.com/clawgate/gateway/server/heartbeat"
)

// HeartbeatBridge is the Runner the daemon hands to New: main-session work goes to the
// heartbeat runner (its system-event queue and its heartbeat), isolated turns to Turn
// (the agent runtime, session "cron:<jobId>").
type HeartbeatBridge struct {
	Heartbeat *heartbeat.Runner
	Turn      func(ctx context.Context, job Job) (TurnResult, error)
}

var _ Runner = HeartbeatBridge{}

// EnqueueSystemEvent queues text for the agent's next heartbeat.
func (b HeartbeatBridge) EnqueueSystemEvent(_ context.Context, agentID, text string) error {
	b.Heartbeat.Enqueue(agentID, text)
	return nil
}

// RequestHeartbeat asks for a heartbeat soon.
func (b HeartbeatBridge) RequestHeartbeat(_, reason string) { b.Heartbeat.RequestNow(reason) }

// RunHeartbeat runs the agent's heartbeat now.
func (b HeartbeatBridge) RunHeartbeat(ctx context.Context, agentID, reason string) (HeartbeatResult, error) {
	r := b.Heartbeat.RunOnce(ctx, agentID, reason)
	return HeartbeatResult{Status: r.Status, Reason: r.Reason, Busy: r.Busy()}, nil
}

// RunAgentTurn runs an isolated turn through Turn.
func (b HeartbeatBridge) RunAgentTurn(ctx context.Context, job Job) (TurnResult, error) {
	if b.Turn == nil {
		return TurnResult{}, errors.New("cron: no agent runtime for isolated jobs")
	}
	return b.Turn(ctx, job)
}
