// Package approvals serves the approvals method group: exec.approval.request /
// exec.approval.resolve (a person approves a command that wants to run), the gateway's
// exec approvals file (exec.approvals.get / set, with the original's baseHash
// optimistic concurrency) and a node host's file (exec.approvals.node.get / set,
// proxied through node.invoke). It is a thin shell over execapprove.Manager and
// execapprove.Store: the waiting, the timeout and the file format live there, so the
// exec tool's gate and the wire share one set of pending approvals.
//
// It never imports server/gateway; it is generic over the transport's connection type.
package approvals

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/execapprove"
	"github.com/clawgate/gateway/server/nodes/live"
	"github.com/clawgate/gateway/tools/protogen/runtime/rpc"
	"github.com/clawgate/gateway/tools/protogen/runtime/wire"
)

// DefaultMaxTimeout caps timeoutMs of exec.approval.request: a request holds one of
// the caller's request slots and one of the manager's pending slots while it waits.
const DefaultMaxTimeout = time.Hour

// DefaultNodeTimeout bounds exec.approvals.node.get / set on the node.
const DefaultNodeTimeout = 30 * time.Second

// Node commands of a node host's approvals file, as the original names them.
const (
	NodeCommandGet = "system.execApprovals.get"
	NodeCommandSet = "system.execApprovals.set"
)

// Conn is what the group needs of a connection.
type Conn interface {
	// Done is closed when the connection has closed: a requester that went away
	// withdraws its request.
	Done() <-chan struct{}
	// ClientID is client.id of the connect params (resolvedBy when there is no
	// display name).
	ClientID() string
}

// displayNamer is implemented by connections that know client.displayName.
type displayNamer interface{ ClientDisplayName() string }

// NodeInvoker reaches a connected node (the live registry).
type NodeInvoker interface {
	Invoke(ctx context.Context, p live.InvokeParams) (live.Result, error)
}

// Options configure the group.
type Options struct {
	// Manager holds pending approvals; nil makes exec.approval.* UNAVAILABLE.
	Manager *execapprove.Manager
	// Store is the gateway's approvals file; nil makes exec.approvals.get/set UNAVAILABLE.
	Store *execapprove.Store
	// Nodes reaches node hosts; nil makes exec.approvals.node.* UNAVAILABLE.
	Nodes NodeInvoker
	// MaxTimeout caps a request's timeoutMs (DefaultMaxTimeout).
	MaxTimeout time.Duration
	// NodeTimeout bounds the node invocations (DefaultNodeTimeout).
	NodeTimeout time.Duration
}

// Errors of an unconfigured group.
var (
	ErrNoManager = errors.New("exec approvals are not available on this gateway")
	ErrNoStore   = errors.New("exec approvals file is not configured")
	ErrNoNodes   = errors.New("node registry is not available")
)

// Handler serves the approvals group over connections of type C.
type Handler[C Conn] struct {
	opts Options
}

var _ protocol.ApprovalsHandler[Conn] = (*Handler[Conn])(nil)

// New returns the approvals group.
func New[C Conn](o Options) *Handler[C] {
	if o.MaxTimeout <= 0 {
		o.MaxTimeout = DefaultMaxTimeout
	}
	if o.NodeTimeout <= 0 {
		o.NodeTimeout = DefaultNodeTimeout
	}
	return &Handler[C]{opts: o}
}

func unavailable(err error) error {
	return &rpc.Error{Code: string(protocol.ErrorCodeUnavailable), Message: err.Error(), Err: err}
}

func invalid(err error) error {
	return &rpc.Error{Code: string(protocol.ErrorCodeInvalidRequest), Message: err.Error(), Err: err}
}

// wireErr maps the domain's errors to wire errors.
func wireErr(err error) error {
	var le *live.Error
	var corrupt *execapprove.CorruptError
	switch {
	case errors.Is(err, execapprove.ErrAlreadyPending), errors.Is(err, execapprove.ErrUnknownApproval),
		errors.Is(err, execapprove.ErrInvalidDecision), errors.Is(err, execapprove.ErrChanged),
		errors.Is(err, execapprove.ErrBaseHashRequired):
		return invalid(err)
	case errors.As(err, &le):
		return &rpc.Error{Code: le.Code, Message: le.Message, Details: le.Details, Err: err}
	case errors.As(err, &corrupt), errors.Is(err, execapprove.ErrTooManyPending):
		return unavailable(err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return unavailable(err)
	}
	return unavailable(err)
}

// ExecApprovalRequest registers the request, broadcasts it and waits for the answer or
// the timeout (decision null). A requester that disconnects withdraws it.
func (h *Handler[C]) ExecApprovalRequest(ctx context.Context, c C, p *protocol.ExecApprovalRequestParams) (*protocol.ExecApprovalRequestResult, error) {
	m := h.opts.Manager
	if m == nil {
		return nil, unavailable(ErrNoManager)
	}
	var timeout time.Duration // 0: the manager's default (DefaultApprovalTimeout unless configured)
	if p.TimeoutMs != nil {
		timeout = min(time.Duration(*p.TimeoutMs)*time.Millisecond, h.opts.MaxTimeout)
	}
	req := execapprove.ApprovalRequest{
		ID: strings.TrimSpace(p.GetID()), Command: p.Command, Cwd: p.GetCwd(), Host: p.GetHost(),
		Security: execapprove.Security(p.GetSecurity()), Ask: execapprove.Ask(p.GetAsk()), AgentID: p.GetAgentID(),
		ResolvedPath: p.GetResolvedPath(), SessionKey: p.GetSessionKey(), Timeout: timeout,
	}
	rctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		select {
		case <-c.Done():
			cancel(errors.New("requester disconnected"))
		case <-rctx.Done():
		}
	}()
	res, err := m.Request(rctx, req)
	if err != nil {
		return nil, wireErr(err)
	}
	out := &protocol.ExecApprovalRequestResult{ID: res.ID, CreatedAtMs: res.CreatedAtMs, ExpiresAtMs: res.ExpiresAtMs}
	if res.Decision != nil {
		d := protocol.ExecApprovalDecision(*res.Decision)
		out.Decision = &d
	}
	return out, nil
}

// ExecApprovalResolve answers a pending request; resolvedBy is the caller's display
// name, else its client id.
func (h *Handler[C]) ExecApprovalResolve(ctx context.Context, c C, p *protocol.ExecApprovalResolveParams) (*protocol.ExecApprovalResolveResult, error) {
	m := h.opts.Manager
	if m == nil {
		return nil, unavailable(ErrNoManager)
	}
	by := c.ClientID()
	if dn, ok := any(c).(displayNamer); ok && strings.TrimSpace(dn.ClientDisplayName()) != "" {
		by = dn.ClientDisplayName()
	}
	if err := m.Resolve(strings.TrimSpace(p.ID), execapprove.Decision(p.Decision), by); err != nil {
		return nil, wireErr(err)
	}
	return &protocol.ExecApprovalResolveResult{Ok: true}, nil
}

// snapshot is the redacted wire form of a snapshot.
func snapshot(s execapprove.Snapshot) protocol.ExecApprovalsGetResult {
	return protocol.ExecApprovalsGetResult{Path: s.Path, Exists: s.Exists, Hash: s.Hash, File: FileToWire(execapprove.Redacted(s.File))}
}

// ExecApprovalsGet creates the file when missing (socket path and token, as the
// original does before every read) and answers it without the token.
func (h *Handler[C]) ExecApprovalsGet(ctx context.Context, c C, p *protocol.ExecApprovalsGetParams) (*protocol.ExecApprovalsGetResult, error) {
	st := h.opts.Store
	if st == nil {
		return nil, unavailable(ErrNoStore)
	}
	snap, err := st.Ensure()
	var corrupt *execapprove.CorruptError
	if errors.As(err, &corrupt) {
		// The hash of the broken bytes lets an operator replace the file with
		// exec.approvals.set without guessing.
		details := map[string]any{"path": corrupt.Path}
		if raw, rerr := os.ReadFile(corrupt.Path); rerr == nil {
			sum := sha256.Sum256(raw)
			details["hash"] = hex.EncodeToString(sum[:])
		}
		return nil, &rpc.Error{Code: string(protocol.ErrorCodeUnavailable), Message: err.Error(), Details: details, Err: err}
	}
	if err != nil {
		return nil, wireErr(err)
	}
	out := snapshot(snap)
	return &out, nil
}

// ExecApprovalsSet replaces the file when baseHash matches. As in the original the file
// is created first, so a baseHash is always required.
func (h *Handler[C]) ExecApprovalsSet(ctx context.Context, c C, p *protocol.ExecApprovalsSetParams) (*protocol.ExecApprovalsSetResult, error) {
	st := h.opts.Store
	if st == nil {
		return nil, unavailable(ErrNoStore)
	}
	var corrupt *execapprove.CorruptError
	if _, err := st.Ensure(); err != nil && !errors.As(err, &corrupt) {
		return nil, wireErr(err)
	}
	snap, err := st.SetIfUnchanged(FileFromWire(p.File), p.GetBaseHash())
	if err != nil {
		return nil, wireErr(err)
	}
	out := protocol.ExecApprovalsSetResult(snapshot(snap))
	return &out, nil
}

// nodeSnapshot invokes cmd on the node (stopping when the caller disconnects) and
// decodes its payload as a snapshot.
func (h *Handler[C]) nodeSnapshot(ctx context.Context, c C, nodeID, cmd string, params json.RawMessage) (protocol.ExecApprovalsGetResult, error) {
	if h.opts.Nodes == nil {
		return protocol.ExecApprovalsGetResult{}, unavailable(ErrNoNodes)
	}
	ictx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-c.Done():
			cancel()
		case <-ictx.Done():
		}
	}()
	return invokeSnapshot(ictx, h.opts.Nodes, nodeID, cmd, params, h.opts.NodeTimeout)
}

func invokeSnapshot(ctx context.Context, n NodeInvoker, nodeID, cmd string, params json.RawMessage, timeout time.Duration) (protocol.ExecApprovalsGetResult, error) {
	var out protocol.ExecApprovalsGetResult
	nodeID = strings.TrimSpace(nodeID)
	if nodeID == "" {
		return out, invalid(errors.New("nodeId required"))
	}
	res, err := n.Invoke(ctx, live.InvokeParams{NodeID: nodeID, Command: cmd, Params: params, Timeout: &timeout})
	if err != nil {
		return out, wireErr(err)
	}
	if res.PayloadJSON == nil {
		return out, unavailable(errors.New("node returned no exec approvals snapshot"))
	}
	if err := rpc.DecodeAll([]byte(*res.PayloadJSON), func(d *wire.Decoder, path *wire.Path) error {
		return (*protocol.ExecApprovalsNodeGetResult)(&out).DecodeJSON(d, path)
	}); err != nil {
		return out, unavailable(errors.New("node returned an invalid exec approvals snapshot: " + err.Error()))
	}
	return out, nil
}

// NodeFile reads a node host's approvals file (system.execApprovals.get), for the
// agent's node tools: the node's allowlist is honoured before a person is asked
// (tools.NodeApprovals). timeout <= 0 uses DefaultNodeTimeout.
func NodeFile(ctx context.Context, n NodeInvoker, nodeID string, timeout time.Duration) (*execapprove.File, error) {
	if n == nil {
		return nil, ErrNoNodes
	}
	if timeout <= 0 {
		timeout = DefaultNodeTimeout
	}
	s, err := invokeSnapshot(ctx, n, nodeID, NodeCommandGet, json.RawMessage(`{}`), timeout)
	if err != nil {
		return nil, err
	}
	f := FileFromWire(s.File)
	return &f, nil
}

// ExecApprovalsNodeGet asks a node host for its approvals file.
func (h *Handler[C]) ExecApprovalsNodeGet(ctx context.Context, c C, p *protocol.ExecApprovalsNodeGetParams) (*protocol.ExecApprovalsNodeGetResult, error) {
	s, err := h.nodeSnapshot(ctx, c, p.NodeID, NodeCommandGet, json.RawMessage(`{}`))
	if err != nil {
		return nil, err
	}
	out := protocol.ExecApprovalsNodeGetResult(s)
	return &out, nil
}

// ExecApprovalsNodeSet hands a new file and its base hash to a node host, which checks
// the hash itself.
func (h *Handler[C]) ExecApprovalsNodeSet(ctx context.Context, c C, p *protocol.ExecApprovalsNodeSetParams) (*protocol.ExecApprovalsNodeSetResult, error) {
	params := struct {
		File     execapprove.File `json:"file"`
		BaseHash string           `json:"baseHash,omitempty"`
	}{File: FileFromWire(p.File), BaseHash: p.GetBaseHash()}
	raw, err := json.Marshal(params)
	if err != nil {
		return nil, unavailable(err)
	}
	s, err := h.nodeSnapshot(ctx, c, p.NodeID, NodeCommandSet, raw)
	if err != nil {
		return nil, err
	}
	out := protocol.ExecApprovalsNodeSetResult(s)
	return &out, nil
}
