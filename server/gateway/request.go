package gateway

import (
	"context"
	"log/slog"
	"runtime/debug"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/auth"
	"github.com/clawgate/gateway/tools/protogen/runtime/wire"
)

// The request path: every frame after the handshake is a request, decoded, checked
// against the connection's role and scopes from the manifest, and dispatched through
// the generated Mux in its own goroutine (bounded per connection).

// request handles one frame after the handshake (§2.5).
func (s *Server) request(c *Conn, data []byte) {
	d := &c.dec
	d.Reset(data)
	d.BorrowRaw = true
	var req protocol.RequestFrame
	if err := req.DecodeJSON(d, nil); err != nil || d.End() != nil {
		var chk wire.Decoder
		chk.Reset(data)
		if cerr := chk.Skip(); cerr != nil || chk.End() != nil {
			if id, refused := refusedJSON(data); refused {
				if cerr == nil {
					cerr = chk.End()
				}
				c.respond(id, nil, Invalid("invalid request frame: %v", cerr))
				return
			}
			s.sampler.Log(slog.LevelDebug, "ignoring unparseable frame", "conn", c.id)
			return // not JSON: ignored (§2.5)
		}
		if err == nil {
			err = d.End()
		}
		id := "invalid"
		if v, ok := sniffID(data); ok {
			id = v
		}
		c.respond(id, nil, Invalid("invalid request frame: %v", err))
		return
	}
	if req.Method == "connect" {
		c.respond(req.ID, nil, Invalid("connect is only valid as the first request"))
		return
	}
	if c.proto >= 3 {
		if perr := authorize(c, req.Method); perr != nil {
			c.respond(req.ID, nil, perr)
			return
		}
	}
	c.inflight <- struct{}{} // bounded per connection: waits when full
	// Under s.mu, so Shutdown's barrier orders every Add before its Wait.
	s.mu.Lock()
	if s.closing.Load() {
		s.mu.Unlock()
		<-c.inflight
		c.respond(req.ID, nil, &Error{Code: CodeUnavailable, Message: "gateway is shutting down", Retryable: true})
		return
	}
	s.requests.Add(1)
	s.mu.Unlock()
	ri := &requestInfo{c: c, id: req.ID}
	go func() {
		defer func() {
			if r := recover(); r != nil {
				s.log.Error("handler panic", "method", req.Method, "panic", r, "stack", string(debug.Stack()))
				c.respond(req.ID, nil, Unavailable("internal error in %s", req.Method))
			}
			ri.release()
			s.requests.Done()
		}()
		ctx := context.WithValue(context.Background(), requestKey{}, ri)
		r, err := s.methods.Dispatch(ctx, c, nil, c.proto, req.Method, req.Params)
		c.respond(req.ID, r, err)
		ri.runAfter()
	}()
}

// authorize applies v3 roles and scopes from the manifest (§11): the roles that may
// call the method, then the scope an operator needs.
func authorize(c *Conn, method string) *Error {
	info := protocol.LookupMethod(method)
	if info == nil || !info.In(c.proto) {
		return nil // Dispatch answers "unknown method"
	}
	if !info.AllowsRole(c.role) {
		return Invalid("unauthorized role: %s", c.role)
	}
	if c.role != protocol.RoleOperator {
		return nil // scopes are an operator's
	}
	if ok, missing := auth.Allowed(c.scopes, string(info.Scope)); !ok {
		return Invalid("missing scope: %s", missing)
	}
	return nil
}

func sniffID(data []byte) (string, bool) {
	var d wire.Decoder
	d.Reset(data)
	if d.BeginObject() != nil {
		return "", false
	}
	for {
		k, more, err := d.NextKey()
		if err != nil || !more {
			return "", false
		}
		if string(k) == "id" {
			v, err := d.String()
			return v, err == nil && v != ""
		}
		if d.Skip() != nil {
			return "", false
		}
	}
}
