// Package devices serves the devices method group: device pairing decisions and
// device tokens, over the auth package's device store. It never imports
// server/gateway; it is generic over the transport's connection type.
package devices

import (
	"context"
	"errors"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/auth"
	"github.com/clawgate/gateway/tools/protogen/runtime/rpc"
)

// Broadcaster sends an event to every client allowed to see it.
type Broadcaster interface {
	Broadcast(ev protocol.Event) int64
}

// Options configure the group.
type Options struct {
	// Store holds device identities; nil makes every method UNAVAILABLE.
	Store *auth.Store
	// Now is the clock of the resolved events' ts (time.Now when nil).
	Now func() time.Time
}

// ErrNotConfigured is the cause of every answer when there is no device store.
var ErrNotConfigured = errors.New("device pairing is not configured (no state dir)")

// Handler serves the devices group over connections of type C.
type Handler[C any] struct {
	out  Broadcaster
	opts Options
}

var _ protocol.DevicesHandler[struct{}] = (*Handler[struct{}])(nil)

// New returns the devices group; resolved pairings are broadcast through out.
func New[C any](out Broadcaster, o Options) *Handler[C] {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Handler[C]{out: out, opts: o}
}

// wireErr maps the store's errors (and a missing store) to wire errors.
func wireErr(err error) error {
	var ae *auth.Error
	switch {
	case errors.Is(err, ErrNotConfigured):
		return &rpc.Error{Code: string(protocol.ErrorCodeUnavailable), Message: err.Error(), Err: err}
	case errors.As(err, &ae):
		return &rpc.Error{Code: ae.Code, Message: ae.Message, Details: ae.Details, Err: err}
	}
	return err
}

func (h *Handler[C]) store() (*auth.Store, error) {
	if h.opts.Store == nil {
		return nil, wireErr(ErrNotConfigured)
	}
	return h.opts.Store, nil
}

func (h *Handler[C]) DevicePairList(ctx context.Context, c C, p *protocol.DevicePairListParams) (*protocol.DevicePairListResult, error) {
	st, err := h.store()
	if err != nil {
		return nil, err
	}
	r := st.List()
	return &r, nil
}

func (h *Handler[C]) DevicePairApprove(ctx context.Context, c C, p *protocol.DevicePairApproveParams) (*protocol.DevicePairApproveResult, error) {
	st, err := h.store()
	if err != nil {
		return nil, err
	}
	dev, err := st.Approve(p.RequestID)
	if err != nil {
		return nil, wireErr(err)
	}
	h.out.Broadcast(&protocol.DevicePairResolvedEvent{RequestID: p.RequestID, DeviceID: dev.DeviceID, Decision: protocol.PairingDecisionApproved, Ts: h.opts.Now().UnixMilli()})
	return &protocol.DevicePairApproveResult{RequestID: p.RequestID, Device: dev}, nil
}

func (h *Handler[C]) DevicePairReject(ctx context.Context, c C, p *protocol.DevicePairRejectParams) (*protocol.DevicePairRejectResult, error) {
	st, err := h.store()
	if err != nil {
		return nil, err
	}
	id, err := st.Reject(p.RequestID)
	if err != nil {
		return nil, wireErr(err)
	}
	h.out.Broadcast(&protocol.DevicePairResolvedEvent{RequestID: p.RequestID, DeviceID: id, Decision: protocol.PairingDecisionRejected, Ts: h.opts.Now().UnixMilli()})
	return &protocol.DevicePairRejectResult{RequestID: p.RequestID, DeviceID: id}, nil
}

func (h *Handler[C]) DeviceTokenRotate(ctx context.Context, c C, p *protocol.DeviceTokenRotateParams) (*protocol.DeviceTokenRotateResult, error) {
	st, err := h.store()
	if err != nil {
		return nil, err
	}
	tok, issued, err := st.RotateToken(p.DeviceID, p.Role)
	if err != nil {
		return nil, wireErr(err)
	}
	return &protocol.DeviceTokenRotateResult{DeviceID: p.DeviceID, Role: p.Role, Token: tok, IssuedAtMs: issued}, nil
}

func (h *Handler[C]) DeviceTokenRevoke(ctx context.Context, c C, p *protocol.DeviceTokenRevokeParams) (*protocol.DeviceTokenRevokeResult, error) {
	st, err := h.store()
	if err != nil {
		return nil, err
	}
	revoked, err := st.RevokeToken(p.DeviceID, p.Role)
	if err != nil {
		return nil, wireErr(err)
	}
	return &protocol.DeviceTokenRevokeResult{DeviceID: p.DeviceID, Role: p.Role, Revoked: revoked}, nil
}
