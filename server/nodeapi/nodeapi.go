// Package nodeapi serves the nodes method group: node pairing (over the nodes
// package's pairing store), the node list and descriptions (paired and connected
// nodes), and node.invoke with its result and event calls (over the live registry).
// It never imports server/gateway; it is generic over the transport's connection
// type, of which it needs what Conn lists.
package nodeapi

import (
	"errors"
	"log/slog"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/nodes"
	"github.com/clawgate/gateway/server/nodes/live"
)

// Conn is what the group needs from a connection.
type Conn interface {
	// Done is closed when the connection has closed.
	Done() <-chan struct{}
	// RemoteHost is the peer's IP, or "" for a loopback peer.
	RemoteHost() string
	// NodeHandle is the live-registry handle of a role-node connection.
	NodeHandle() (live.Handle, bool)
	// ClientID and ClientMode are client.id and client.mode from the connect params.
	ClientID() string
	ClientMode() string
}

// Broadcaster sends an event to every client allowed to see it.
type Broadcaster interface {
	Broadcast(ev protocol.Event) int64
}

// Options configure the group.
type Options struct {
	// Store is the node pairing store; nil makes the node.pair.* methods UNAVAILABLE.
	Store *nodes.Store
	// Live is the registry of connected nodes; nil makes node.invoke UNAVAILABLE.
	Live *live.Registry
	// Now is the clock of events and results (time.Now when nil).
	Now    func() time.Time
	Logger *slog.Logger
}

// ErrNotConfigured is the cause of the pairing methods' answer without a store.
var ErrNotConfigured = errors.New("node pairing is not configured (no state dir)")

// ErrNoRegistry is the cause of node.invoke's answer without a live registry.
var ErrNoRegistry = errors.New("nodes are not available (no live node registry)")

// Handler serves the nodes group over connections of type C.
type Handler[C Conn] struct {
	out  Broadcaster
	opts Options
}

// New returns the nodes group; pairing requests and decisions are broadcast through out.
func New[C Conn](out Broadcaster, o Options) *Handler[C] {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Handler[C]{out: out, opts: o}
}
