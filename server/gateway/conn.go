package gateway

import (
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/lxzan/gws"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/nodes/live"
	"github.com/clawgate/gateway/tools/protogen/runtime/wire"
)

// Close codes (§2.6).
const (
	closeNormal         = 1000
	closeProtocolError  = 1002
	closePolicy         = 1008
	closeServiceRestart = 1012
)

// Conn is one WebSocket client. Its handshake fields are written once, by the read
// goroutine, before the connection joins the hub; after that they are read-only.
type Conn struct {
	srv    *Server
	ws     *gws.Conn
	id     string
	remote string
	local  bool // local direct peer (§2.3)
	host   string
	origin string
	https  bool // TLS, or X-Forwarded-Proto: https

	// Set by the handshake.
	proto       int
	role        string
	scopes      []string
	clientID    string
	clientMode  string
	displayName string // client.displayName (v3), "" when absent
	deviceID    string
	presenceKey string     // "" when not tracked (mode cli)
	nonce       string     // connect.challenge nonce
	liveNode    *live.Node // role node: what joins the live registry after hello-ok

	nodeMu  sync.Mutex // guards nodeReg/nodeOn (set after hello-ok, cleared on close)
	nodeReg live.Handle
	nodeOn  bool
	joined  chan struct{} // role node: closed once hello-ok is queued

	ready  atomic.Bool // hello-ok sent
	closed atomic.Bool

	// buffered is the number of bytes queued for writing and not yet written: the
	// slow-consumer measure.
	buffered atomic.Int64
	out      outbox
	raw      syscall.RawConn // the TCP socket, for non-blocking writes; nil if not available

	done     chan struct{} // closed by OnClose
	timer    *time.Timer   // handshake deadline
	inflight chan struct{}
	// accepted holds one token per accepted two-stage run that gave its read slot
	// back (see Ack); bounded by MaxAcceptedRuns.
	accepted chan struct{}
	dec      wire.Decoder // used only by the read goroutine
}

// ID is the connection id (connId in hello-ok).
func (c *Conn) ID() string { return c.id }

// Protocol is the negotiated protocol version (0 before the handshake).
func (c *Conn) Protocol() int { return c.proto }

// Role is "operator" or "node".
func (c *Conn) Role() string { return c.role }

// Scopes are the granted operator scopes.
func (c *Conn) Scopes() []string { return c.scopes }

// DeviceID is the verified v3 device identity, or "".
func (c *Conn) DeviceID() string { return c.deviceID }

// ClientMode is client.mode from the connect params.
func (c *Conn) ClientMode() string { return c.clientMode }

// Local reports whether the peer is a local direct connection.
func (c *Conn) Local() bool { return c.local }

// writeSync writes a frame from the read goroutine during the handshake, where order
// matters more than anything and the queue is empty.
func (c *Conn) writeSync(b []byte) error {
	return c.ws.WriteMessage(gws.OpcodeText, b)
}

// enqueue queues a text frame. Events obey the slow-consumer policy (§4.3): a
// droppable event is skipped when the backlog is over the limit, a non-droppable one
// closes the connection with 1008. Responses are never skipped, but a client that stops
// reading while it keeps sending requests is closed too once its backlog passes a hard
// cap.
func (c *Conn) enqueue(b []byte, droppable, response bool) {
	if c.closed.Load() {
		return
	}
	limit := int64(c.srv.opts.MaxBufferedBytes)
	if response {
		limit *= 4
	}
	if c.buffered.Load() > limit {
		if droppable {
			c.srv.metrics.dropped.Add(1)
			return
		}
		c.closeSlow()
		return
	}
	c.out.push(c, opText, b)
}

// enqueueDeferred is enqueue for broadcasts: it queues a complete frame shared by every
// receiver, and reports whether the caller must flush (flushNow) once it has released
// the hub lock.
func (c *Conn) enqueueDeferred(b []byte, droppable bool) bool {
	if c.closed.Load() {
		return false
	}
	if c.buffered.Load() > int64(c.srv.opts.MaxBufferedBytes) {
		if droppable {
			c.srv.metrics.dropped.Add(1)
			return false
		}
		c.closeSlow()
		return false
	}
	return c.out.add(c, b)
}

// enqueueControl queues a ping or pong behind the frames already queued, so the
// timer loop and the read loop never block on a socket. Control frames count against
// the outbound byte limit like everything else: over it, our own ping is skipped (the
// client is behind anyway), and a pong — which the client causes by pinging — closes
// the connection as a slow consumer, so a socket that floods pings without reading
// cannot make the gateway queue pongs without end.
func (c *Conn) enqueueControl(op byte, payload []byte) {
	if c.closed.Load() {
		return
	}
	if c.buffered.Load() > int64(c.srv.opts.MaxBufferedBytes) {
		if op == opPing {
			c.srv.metrics.dropped.Add(1)
			return
		}
		c.closeSlow()
		return
	}
	c.out.push(c, op, payload)
}

// closeSlow closes a connection whose client does not read. The writer may be blocked
// in a TCP write, so the deadline unblocks it before the close frame is attempted.
func (c *Conn) closeSlow() {
	if !c.closed.CompareAndSwap(false, true) {
		return
	}
	c.srv.metrics.slow.Add(1)
	// The dropped backlog is garbage the idle trim may hand back to the OS.
	c.srv.trim.connects.Add(1)
	c.srv.sampler.Log(slog.LevelWarn, "closing slow consumer", "conn", c.id, "remote", c.remote, "ready", c.ready.Load(), "buffered", c.buffered.Load())
	go func() {
		_ = c.ws.SetWriteDeadline(time.Now().Add(time.Second))
		_ = c.ws.WriteClose(closePolicy, []byte("slow consumer"))
		_ = c.ws.NetConn().Close()
	}()
}

// closeGrace is how long closeWith lets queued frames and the close frame drain.
const closeGrace = 2 * time.Second

// closeWith sends a close frame after everything already queued, then drops the
// connection. Used for shutdown (after the shutdown event), the handshake deadline
// and protocol errors. The returned channel is closed once the close frame was
// written (or failed). The socket gets a write deadline of closeGrace at once: a
// writer blocked on a client that does not read fails then and the socket is closed,
// instead of the close waiting behind it for ever.
func (c *Conn) closeWith(code uint16, reason string) <-chan struct{} {
	done := make(chan struct{})
	if !c.closed.CompareAndSwap(false, true) {
		close(done)
		return done
	}
	_ = c.ws.NetConn().SetWriteDeadline(time.Now().Add(closeGrace))
	c.out.closeAfter(c, code, truncateReason(reason), done)
	return done
}

// closeNow closes synchronously from the read goroutine (handshake failures).
func (c *Conn) closeNow(code uint16, reason string) {
	if !c.closed.CompareAndSwap(false, true) {
		return
	}
	_ = c.ws.SetWriteDeadline(time.Now().Add(2 * time.Second))
	_ = c.ws.WriteClose(code, []byte(truncateReason(reason)))
	_ = c.ws.NetConn().Close()
}

// truncateReason keeps a close reason within the 123 bytes a close frame allows
// (the original cuts at 120), without splitting a UTF-8 sequence.
func truncateReason(s string) string {
	const max = 120
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && s[i]&0xC0 == 0x80 {
		i--
	}
	return s[:i]
}

// sendEvent encodes and queues a targeted event (no seq).
func (c *Conn) sendEvent(ev protocol.Event) {
	c.enqueue(appendEvent(nil, ev, -1, nil), ev.Droppable(), false)
}

// respond encodes and queues a res frame.
func (c *Conn) respond(id string, payload protocol.Payload, err error) {
	var e *protocol.ErrorShape
	if err != nil {
		e = errorShape(err)
		payload = nil
		var ge *Error
		if errors.As(err, &ge) && ge.Payload != nil {
			payload = ge.Payload
		}
	}
	c.enqueue(appendRes(nil, id, payload, e), false, true)
}
