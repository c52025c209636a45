package live

import (
	"errors"

	"github.com/clawgate/gateway/gen/go/protocol"
)

// EventConn is a node connection that can also carry gateway → node events (the
// chat stream a node subscribed to). Transports that cannot leave it unimplemented;
// SendEvent then answers ErrNoEvents.
type EventConn interface {
	SendEvent(ev protocol.Event) error
}

// Errors of SendEvent.
var (
	ErrNotConnected = errors.New("node not connected")
	ErrNoEvents     = errors.New("node transport does not carry events")
)

// EventHandler consumes node-initiated events (node.event, bridge event frames) next
// to the observer: the observer belongs to the serving gateway instance, the handler
// to the daemon's node-events component, which outlives in-process restarts.
type EventHandler func(nodeID, event string, payloadJSON *string)

// SetEventHandler installs the handler (nil removes it).
func (r *Registry) SetEventHandler(h EventHandler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handler = h
}

// SendEvent queues ev to the connected node nodeID. It must not block on the network.
func (r *Registry) SendEvent(nodeID string, ev protocol.Event) error {
	r.mu.Lock()
	s := r.nodes[nodeID]
	r.mu.Unlock()
	if s == nil {
		return ErrNotConnected
	}
	ec, ok := s.conn.(EventConn)
	if !ok {
		return ErrNoEvents
	}
	return ec.SendEvent(ev)
}

// SetDisconnectHandler installs f (nil removes it), called with the node id after a
// node's connection ends (not when a newer connection replaces it): the node-events
// component drops that node's chat subscriptions, as the original does.
func (r *Registry) SetDisconnectHandler(f func(nodeID string)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.onGone = f
}

// SetConnectHandler installs f (nil removes it), called in its own goroutine with the
// node id after each node registers: the daemon sends a newly connected node the
// current voice wake words, as the original does.
func (r *Registry) SetConnectHandler(f func(nodeID string)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.onJoin = f
}
