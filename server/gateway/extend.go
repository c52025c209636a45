package gateway

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"

	"github.com/clawgate/gateway/gen/go/protocol"
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
func (s *Server) AddHealthSource(src HealthSource) { s.healthSources = append(s.healthSources, src) }

// RefreshHealth asks for a health refresh soon (throttled), e.g. after a provider's
// link state changed, so clients see it without waiting for the periodic one.
func (s *Server) RefreshHealth() { s.health.Nudge() }

// Now is the server's clock (injectable in tests).
func (s *Server) Now() int64 { return s.opts.Now().UnixMilli() }

type requestKey struct{}

type requestInfo struct {
	c  *Conn
	id string
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
// status see both, in order.
func Ack(ctx context.Context, payload protocol.Payload) error {
	ri, ok := ctx.Value(requestKey{}).(*requestInfo)
	if !ok {
		return errors.New("gateway: Ack outside a request")
	}
	ri.c.respond(ri.id, payload, nil)
	return nil
}

// SendEvent queues a targeted event to this connection only (no seq), e.g. the run
// events of a chat.send to the client that started it, or node.invoke.request to a node.
func (c *Conn) SendEvent(ev protocol.Event) { c.sendEvent(ev) }

// Done is closed when the connection has closed.
func (c *Conn) Done() <-chan struct{} { return c.done }

// ClientID is client.id from the connect params.
func (c *Conn) ClientID() string { return c.clientID }

// Remote is the peer address.
func (c *Conn) Remote() string { return c.remote }

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
