package bridge

import (
	"context"
	"errors"
	"log/slog"
	"runtime/debug"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/nodes/live"
	"github.com/clawgate/gateway/tools/protogen/runtime/rpc"
)

// DefaultMaxInflightReqs bounds the req frames of one node running at once; the next
// req waits (the node's reads pause), as a WebSocket connection's MaxInflight does.
const DefaultMaxInflightReqs = 8

// Caller is the bridge node a req runs for: the connection type of Options.Methods,
// so method groups generic over their connection serve bridge nodes too.
type Caller struct {
	nodeID string
	remote string
	done   <-chan struct{}
	handle live.Handle
}

// NodeID is the authenticated node's id.
func (c *Caller) NodeID() string { return c.nodeID }

// Done is closed when the node's connection closes.
func (c *Caller) Done() <-chan struct{} { return c.done }

// RemoteHost is the node's IP, or "" for a loopback peer.
func (c *Caller) RemoteHost() string { return c.remote }

// NodeHandle is the node's live-registry handle.
func (c *Caller) NodeHandle() (live.Handle, bool) { return c.handle, true }

// ClientID is the node id (bridge nodes have no client.id).
func (c *Caller) ClientID() string { return c.nodeID }

// ClientMode is "node".
func (c *Caller) ClientMode() string { return "node" }

// serveReq runs an allowlisted method for the node and writes its res. It runs on its
// own goroutine; c.reqs bounds how many do per connection.
func (c *conn) serveReq(h live.Handle, f Frame) {
	defer func() { <-c.reqs }()
	res := Frame{Type: TypeRes, ID: f.ID}
	defer func() {
		if r := recover(); r != nil {
			c.s.log.Error("bridge req handler panic", "method", f.Method, "panic", r, "stack", string(debug.Stack()))
			res.Ok, res.PayloadJSON = new(false), nil
			res.Error = &FrameError{Code: CodeUnavailable, Message: "internal error in " + f.Method}
		}
		_ = c.write(res)
	}()
	var params []byte
	if f.ParamsJSON != nil {
		params = []byte(*f.ParamsJSON)
	}
	caller := &Caller{nodeID: h.NodeID(), remote: c.remoteIP(), done: c.done, handle: h}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-c.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	m := c.s.methods()
	if m == nil {
		res.Ok, res.Error = new(false), &FrameError{Code: CodeUnavailable, Message: "method not available over the bridge", Details: map[string]string{"method": f.Method}}
		return
	}
	p, err := m.Dispatch(ctx, caller, nil, 2, f.Method, params)
	if err != nil {
		res.Ok, res.Error = new(false), frameError(err)
		if c.s.log.Enabled(ctx, slog.LevelDebug) {
			c.s.log.Debug("bridge req failed", "node", h.NodeID(), "method", f.Method, "err", err)
		}
		return
	}
	out := "null"
	if p != nil {
		out = string(p.AppendJSON(nil))
	}
	res.Ok, res.PayloadJSON = new(true), &out
}

// frameError maps a handler's error to the res error object: a wire error keeps its
// code, message and details; anything else is UNAVAILABLE.
func frameError(err error) *FrameError {
	var re *rpc.Error
	if errors.As(err, &re) {
		return &FrameError{Code: re.Code, Message: re.Message, Details: re.Details}
	}
	return &FrameError{Code: string(protocol.ErrorCodeUnavailable), Message: err.Error()}
}

// methods is the current method table, or nil.
func (s *Server) methods() *protocol.Mux[*Caller] {
	if s.o.Methods == nil {
		return nil
	}
	return s.o.Methods()
}
