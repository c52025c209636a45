package gatewayclient

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/tools/protogen/runtime/wire"
)

// agentEventBuffer is the capacity of AgentRun.Events.
const agentEventBuffer = 1024

// AgentRun is an agent run started by Client.Agent: the gateway has accepted it and
// will answer the same request a second time when it ends.
type AgentRun struct {
	// RunID identifies the run (the gateway uses the idempotency key).
	RunID string
	// Accepted is the first answer, {runId, status:"accepted", acceptedAt}.
	Accepted *protocol.AgentResult

	c      *Client
	events chan protocol.AgentEvent // guarded by c.subMu for sends and close
	missed int64                    // guarded by c.subMu

	mu     sync.Mutex
	cn     *conn
	id     string
	done   chan struct{}
	result *protocol.AgentResult
	err    error
}

// Agent starts an agent run and returns as soon as the gateway accepts it (its first
// answer). The run's agent events stream on run.Events(); run.Wait returns the final
// answer. An empty p.IdempotencyKey is set to a new UUID first (see Call), which is also
// the run id; calling Agent again with the same p after a retryable error does not
// start a second run.
//
// If the connection drops before the final answer, Wait returns a retryable
// ErrDisconnected error; the run itself goes on in the gateway and its outcome can be
// read with AgentWait (agent.wait) after the reconnect.
func (c *Client) Agent(ctx context.Context, p *protocol.AgentParams) (*AgentRun, error) {
	if p == nil {
		return nil, fmt.Errorf("gatewayclient: Agent needs params")
	}
	key := fillIdempotencyKey(p)
	run := &AgentRun{RunID: key, c: c, events: make(chan protocol.AgentEvent, agentEventBuffer), done: make(chan struct{})}
	// Registered before the request goes out: events may overtake the first answer.
	c.subMu.Lock()
	if c.subsClosed {
		c.subMu.Unlock()
		return nil, closedErr("agent")
	}
	c.runs[key] = run
	c.subMu.Unlock()

	res, err := c.roundTrip(ctx, "agent", p, run)
	if err != nil {
		run.finish(nil, err)
		return nil, err
	}
	if !res.Ok || !isAccepted(res.Payload) {
		// A single answer: an error, or the cached final of a run that already ended.
		run.finish(res, nil)
		if run.err != nil {
			return nil, run.err
		}
		run.Accepted = run.result
		return run, nil
	}
	acc := new(protocol.AgentResult)
	if err := decodeResult("agent", res, acc); err != nil {
		run.Close()
		return nil, err
	}
	run.Accepted = acc
	if acc.RunID != "" && acc.RunID != run.RunID {
		c.subMu.Lock()
		if c.runs[run.RunID] == run {
			delete(c.runs, run.RunID)
			c.runs[acc.RunID] = run
		}
		run.RunID = acc.RunID
		c.subMu.Unlock()
	}
	return run, nil
}

// attach records where the run's request is pending, so Close can withdraw it.
func (r *AgentRun) attach(cn *conn, id string) {
	r.mu.Lock()
	r.cn, r.id = cn, id
	r.mu.Unlock()
}

// Events streams the run's agent events (stream lifecycle, assistant, tool, …) in the
// order the gateway sent them. The channel is closed when the final answer arrives, on
// Close, or when the connection is lost. Events beyond its buffer (1024) are dropped
// if nobody reads.
func (r *AgentRun) Events() <-chan protocol.AgentEvent { return r.events }

// Done is closed when the run's outcome is known (final answer, error or Close).
func (r *AgentRun) Done() <-chan struct{} { return r.done }

// Wait returns the final answer: {runId, status:"ok", summary, result} on success. A
// run that failed returns a *ProtocolError (its Payload holds {runId, status:"error",
// summary}) together with the decoded payload when there is one. When ctx ends first
// Wait returns a *ProtocolError with Code AGENT_TIMEOUT (wrapping ctx.Err()); the run
// keeps going and Wait may be called again.
func (r *AgentRun) Wait(ctx context.Context) (*protocol.AgentResult, error) {
	select {
	case <-r.done:
		return r.result, r.err
	case <-ctx.Done():
		return nil, &ProtocolError{
			Method: "agent", Code: CodeAgentTimeout,
			Message: fmt.Sprintf("agent run %s: no final result before the context ended", r.RunID),
			err:     ctx.Err(),
		}
	}
}

// Close stops following the run (the gateway keeps running it): Events is closed and
// Wait returns ErrClosed if the final answer has not arrived yet.
func (r *AgentRun) Close() {
	r.mu.Lock()
	cn, id := r.cn, r.id
	r.mu.Unlock()
	if cn != nil {
		cn.forget(id)
	}
	r.finish(nil, closedErr("agent"))
}

// finish records the outcome once, closes Events and unregisters the run.
func (r *AgentRun) finish(res *protocol.ResponseFrame, err error) {
	r.mu.Lock()
	select {
	case <-r.done:
		r.mu.Unlock()
		return
	default:
	}
	switch {
	case err != nil:
		r.err = err
	case res != nil:
		var out protocol.AgentResult
		if len(res.Payload) > 0 {
			var d wire.Decoder
			d.Reset(res.Payload)
			d.BorrowRaw = true
			if derr := out.DecodeJSON(&d, nil); derr == nil {
				r.result = &out
			} else if res.Ok {
				r.err = &DecodeError{Method: "agent", Err: derr}
			}
		}
		if !res.Ok {
			r.err = fromShape("agent", res.Error, res.Payload)
		}
	}
	close(r.done)
	r.mu.Unlock()

	c := r.c
	c.subMu.Lock()
	if c.runs[r.RunID] == r {
		delete(c.runs, r.RunID)
	}
	close(r.events)
	c.subMu.Unlock()
}

// routeAgentEvent hands an agent event to the run it belongs to, if the client follows
// that run. Called from the read goroutine.
func (c *Client) routeAgentEvent(payload json.RawMessage) {
	ev, ok := decodeAgentEvent(payload)
	if !ok {
		return
	}
	c.subMu.Lock()
	defer c.subMu.Unlock()
	r := c.runs[ev.RunID]
	if r == nil {
		return
	}
	select {
	case r.events <- ev:
	default:
		r.missed++
	}
}

// decodeAgentEvent decodes strictly, then leniently: gateways add fields the schema does
// not list (and the synthetic seq-gap agent event has no seq).
func decodeAgentEvent(payload json.RawMessage) (protocol.AgentEvent, bool) {
	var ev protocol.AgentEvent
	if err := ev.UnmarshalJSON(payload); err == nil {
		return ev, true
	}
	var loose struct {
		RunID      string                     `json:"runId"`
		Seq        int64                      `json:"seq"`
		SessionKey *string                    `json:"sessionKey"`
		Stream     string                     `json:"stream"`
		Ts         int64                      `json:"ts"`
		Data       map[string]json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(payload, &loose); err != nil || loose.RunID == "" {
		return ev, false
	}
	return protocol.AgentEvent{RunID: loose.RunID, Seq: loose.Seq, SessionKey: loose.SessionKey,
		Stream: protocol.AgentEventStream(loose.Stream), Ts: loose.Ts, Data: loose.Data}, true
}
