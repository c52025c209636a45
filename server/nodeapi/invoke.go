package nodeapi

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/nodes/live"
	"github.com/clawgate/gateway/tools/protogen/runtime/rpc"
)

// node.invoke reaches a connected node (bridge or role-node socket) through the live
// registry; the node answers with node.invoke.result and reports node.event.

func liveErr(err error) error {
	var le *live.Error
	if errors.As(err, &le) {
		return &rpc.Error{Code: le.Code, Message: le.Message, Details: le.Details, Err: err}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return protocol.ErrorCodeUnavailable.Errorf("%v", err)
	}
	return err
}

func (h *Handler[C]) NodeInvoke(ctx context.Context, c C, p *protocol.NodeInvokeParams) (*protocol.NodeInvokeResult, error) {
	reg := h.opts.Live
	if reg == nil {
		return nil, protocol.ErrorCodeUnavailable.Errorf("%v", ErrNoRegistry)
	}
	nodeID, cmd := strings.TrimSpace(p.NodeID), strings.TrimSpace(p.Command)
	if nodeID == "" || cmd == "" {
		return nil, protocol.ErrorCodeInvalidRequest.Errorf(live.MsgRequired)
	}
	ip := live.InvokeParams{NodeID: nodeID, Command: cmd, Params: p.Params, IdempotencyKey: p.IdempotencyKey}
	if p.TimeoutMs != nil {
		d := time.Duration(*p.TimeoutMs) * time.Millisecond
		ip.Timeout = &d
	}
	// The invocation is bounded by its own timeout; a caller that disconnects stops
	// waiting (the result is still remembered under its idempotency key).
	ictx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-c.Done():
			cancel()
		case <-ictx.Done():
		}
	}()
	res, err := reg.Invoke(ictx, ip)
	if err != nil {
		return nil, liveErr(err)
	}
	out := &protocol.NodeInvokeResult{Ok: true, NodeID: nodeID, Command: cmd, PayloadJSON: res.PayloadJSON}
	if res.PayloadJSON != nil && *res.PayloadJSON != "" {
		raw := []byte(*res.PayloadJSON)
		if json.Valid(raw) {
			out.Payload = json.RawMessage(raw)
		} else {
			b, _ := json.Marshal(map[string]string{"payloadJSON": *res.PayloadJSON})
			out.Payload = b
		}
	}
	return out, nil
}

func (h *Handler[C]) NodeInvokeResult(ctx context.Context, c C, p *protocol.NodeInvokeResultParams) (*protocol.NodeInvokeResultResult, error) {
	hd, ok := c.NodeHandle()
	if !ok {
		return nil, protocol.ErrorCodeInvalidRequest.Errorf("not a connected node")
	}
	if strings.TrimSpace(p.NodeID) != hd.NodeID() {
		return nil, protocol.ErrorCodeInvalidRequest.Errorf("nodeId mismatch")
	}
	res := live.Result{Ok: p.Ok, PayloadJSON: p.PayloadJSON}
	if len(p.Payload) > 0 && string(p.Payload) != "null" {
		s := string(p.Payload)
		res.PayloadJSON = &s
	}
	if p.Error != nil {
		res.Error = &live.NodeError{Code: p.Error.GetCode(), Message: p.Error.GetMessage()}
	}
	if !h.opts.Live.Resolve(hd, p.ID, res) {
		// Late (after a timeout) or unknown: acknowledged, nothing waits for it.
		h.opts.Logger.Debug("node.invoke.result for no pending invoke", "node", hd.NodeID(), "id", p.ID)
	}
	return &protocol.NodeInvokeResultResult{Ok: true}, nil
}

func (h *Handler[C]) NodeEvent(ctx context.Context, c C, p *protocol.NodeEventParams) (*protocol.NodeEventResult, error) {
	hd, ok := c.NodeHandle()
	if !ok {
		return nil, protocol.ErrorCodeInvalidRequest.Errorf("not a connected node")
	}
	pj := p.PayloadJSON
	if len(p.Payload) > 0 && string(p.Payload) != "null" {
		s := string(p.Payload)
		pj = &s
	}
	h.opts.Live.Event(hd, p.Event, pj)
	return &protocol.NodeEventResult{Ok: true}, nil
}
