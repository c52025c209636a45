package bridge

import (
	"errors"
	"log/slog"

	"github.com/clawgate/gateway/gen/go/protocol"
)

// DefaultMaxQueuedEvents is Options.MaxQueuedEvents' default.
const DefaultMaxQueuedEvents = 256

// Errors of SendEvent.
var (
	ErrEventQueueFull = errors.New("bridge: the node's event queue is full")
	errConnClosed     = errors.New("bridge: connection closed")
)

// SendEvent implements live.EventConn: ev goes to the node as an event frame
// ({type: "event", event, payloadJSON}, as the original's bridge sent them) — the
// wake words on connect, the chat streams it subscribed to. It never blocks: events
// wait in a bounded queue written after hello-ok; when the queue is full the event
// is dropped (ErrEventQueueFull), so a stalled node cannot hold up the gateway.
func (c *conn) SendEvent(ev protocol.Event) error {
	select {
	case <-c.done:
		return errConnClosed
	default:
	}
	payload := string(ev.AppendJSON(nil))
	f := Frame{Type: TypeEvent, Event: ev.EventName(), PayloadJSON: &payload}
	select {
	case c.events <- f:
		return nil
	default:
		c.s.sampler.Log(slog.LevelWarn, "bridge event dropped: the node's queue is full", "remote", c.remote, "event", f.Event, "max", cap(c.events))
		return ErrEventQueueFull
	}
}

// pumpEvents writes the queued events in order, from hello-ok until the connection
// closes (or a write fails, which closes it).
func (c *conn) pumpEvents() {
	defer c.s.wg.Done()
	for {
		select {
		case f := <-c.events:
			if c.write(f) != nil {
				return
			}
		case <-c.done:
			return
		}
	}
}
