package gateway

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/nodes/live"
	"github.com/clawgate/gateway/server/presence"
)

// The seams through which capabilities that live in their own packages (providers,
// the agent runtime, sessions) plug into the control plane without the gateway
// importing them: they implement generated handler groups over *Conn, are handed to
// the Mux (Options.Mux, Server.Mux) before Serve, and use the small API below to talk
// back to clients.

// HealthSource adds its part (provider link state, sessions) to a health snapshot. It
// runs inside the throttled health refresh, never per request.
type HealthSource func(ctx context.Context, sum *protocol.HealthSummary)

// AddHealthSource registers a contributor to the health snapshot; call before Serve.
// A refresh may already run (a provider nudged it), so the list is locked.
func (s *Server) AddHealthSource(src HealthSource) {
	s.healthSrcMu.Lock()
	s.healthSources = append(s.healthSources, src)
	s.healthSrcMu.Unlock()
}

// RefreshHealth asks for a health refresh soon (throttled), e.g. after a provider's
// link state changed, so clients see it without waiting for the periodic one.
func (s *Server) RefreshHealth() { s.health.Nudge() }

// Mux is the method table requests are dispatched through: Options.Mux, or the one
// New made. Set a group's implementation on it before Serve.
func (s *Server) Mux() *protocol.Mux[*Conn] { return s.methods }

// Now is the server's clock (injectable in tests).
func (s *Server) Now() int64 { return s.opts.Now().UnixMilli() }

// Options are the server's effective options (defaults applied). Whoever builds the
// server reads them to configure the method groups it hands to the Mux.
func (s *Server) Options() Options { return s.opts }

// Health is the health snapshot (refreshed first when probe is set or it is stale),
// with the connection count and uptime read live: the cached snapshot may be up to a
// minute old, and these two are free.
func (s *Server) Health(ctx context.Context, probe bool) (protocol.HealthSummary, error) {
	sum, err := s.health.Get(ctx, probe)
	if err != nil {
		return sum, err
	}
	conns, up := int64(s.hub.len()), s.uptimeMs()
	sum.Connections, sum.UptimeMs = &conns, &up
	return sum, nil
}

// CurrentHealth is the last health snapshot, without refreshing it.
func (s *Server) CurrentHealth() protocol.HealthSummary {
	sum, _, _ := s.health.Current()
	return sum
}

// ChangePresence applies change to the presence store and broadcasts the list right
// after it (see changePresence).
func (s *Server) ChangePresence(change func(*presence.Store)) {
	s.changePresence(func() { change(s.presence) })
}

type requestKey struct{}

type requestInfo struct {
	c  *Conn
	id string

	mu sync.Mutex
	// acked: the request gave its read slot back for an accepted-run token (Ack).
	acked bool
	// after run once the final response is queued (AfterResponse).
	after []func()
}

// handOver trades the request's read slot for an accepted-run token, if one is free:
// an accepted two-stage run then waits for its final answer without holding up the
// connection's reader. With MaxAcceptedRuns tokens taken, the run keeps its read
// slot (and the reader pushes back, as for any long request).
func (ri *requestInfo) handOver() {
	ri.mu.Lock()
	defer ri.mu.Unlock()
	if ri.acked {
		return
	}
	select {
	case ri.c.accepted <- struct{}{}:
		ri.acked = true
		<-ri.c.inflight
	default:
	}
}

// release gives back whatever the request holds when its handler returns.
func (ri *requestInfo) release() {
	ri.mu.Lock()
	defer ri.mu.Unlock()
	if ri.acked {
		<-ri.c.accepted
		return
	}
	<-ri.c.inflight
}

// AfterResponse runs f once the final response to the request ctx belongs to is
// queued on its connection, so anything f causes (a restart's shutdown event, the
// close) reaches the client after that response. Outside a request f runs at once.
func AfterResponse(ctx context.Context, f func()) {
	ri, ok := ctx.Value(requestKey{}).(*requestInfo)
	if !ok {
		f()
		return
	}
	ri.mu.Lock()
	ri.after = append(ri.after, f)
	ri.mu.Unlock()
}

// runAfter runs the AfterResponse functions.
func (ri *requestInfo) runAfter() {
	ri.mu.Lock()
	fs := ri.after
	ri.after = nil
	ri.mu.Unlock()
	for _, f := range fs {
		f()
	}
}

// RequestID is the id of the request whose handler runs with ctx, or "".
func RequestID(ctx context.Context) string {
	if ri, ok := ctx.Value(requestKey{}).(*requestInfo); ok {
		return ri.id
	}
	return ""
}

// Ack sends an interim response on the request ctx belongs to, before the handler's
// final return value answers the same id: the agent's two-stage response (§3.4,
// {status:"accepted"} first). Clients that match responses by id and wait for a final
// status see both, in order. An acknowledged request no longer holds one of the
// connection's MaxInflight read slots (up to MaxAcceptedRuns of them per connection),
// so the client's next requests — health, its own chat.abort — are read and answered
// while the run goes on.
func Ack(ctx context.Context, payload protocol.Payload) error {
	ri, ok := ctx.Value(requestKey{}).(*requestInfo)
	if !ok {
		return errors.New("gateway: Ack outside a request")
	}
	ri.c.respond(ri.id, payload, nil)
	ri.handOver()
	return nil
}

// AcceptedRuns is the number of acknowledged requests of this connection still
// waiting for their final answer without a read slot.
func (c *Conn) AcceptedRuns() int { return len(c.accepted) }

// SendEvent queues a targeted event to this connection only (no seq), e.g. the run
// events of a chat.send to the client that started it, or node.invoke.request to a node.
func (c *Conn) SendEvent(ev protocol.Event) { c.sendEvent(ev) }

// Done is closed when the connection has closed.
func (c *Conn) Done() <-chan struct{} { return c.done }

// ClientID is client.id from the connect params.
func (c *Conn) ClientID() string { return c.clientID }

// ClientDisplayName is client.displayName from the connect params ("" when absent).
func (c *Conn) ClientDisplayName() string { return c.displayName }

// Remote is the peer address.
func (c *Conn) Remote() string { return c.remote }

// RemoteHost is the peer's IP, or "" for a loopback peer.
func (c *Conn) RemoteHost() string { return remoteHost(c) }

// NodeHandle is the live-registry handle of a role-node connection; ok is false for
// any other connection (or once the node left).
func (c *Conn) NodeHandle() (h live.Handle, ok bool) { return c.nodeHandle() }

// SetCanvasHostPort advertises the canvas host's port in hello-ok.canvasHostUrl (the
// canvas host runs for the whole process; call before Serve). 0 advertises none.
func (s *Server) SetCanvasHostPort(port int) { s.opts.CanvasHostPort = port }

// canvasHostURL is http[s]://<host>:<canvas port>, no path (§10.3): the host the
// client used to reach the gateway (Host header), else the socket's local address.
func (s *Server) canvasHostURL(c *Conn) string {
	if s.opts.CanvasHostPort <= 0 {
		return ""
	}
	host := c.host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if host == "" && c.ws != nil {
		if h, _, err := net.SplitHostPort(c.ws.LocalAddr().String()); err == nil {
			host = h
		}
	}
	if host == "" {
		return ""
	}
	scheme := "http"
	if c.https {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, strconv.Itoa(s.opts.CanvasHostPort))
}
