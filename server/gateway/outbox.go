package gateway

import (
	"encoding/binary"
	"net"
	"slices"
	"sync"
	"time"
)

// WebSocket opcodes the gateway writes (RFC 6455 §5.2), with FIN set.
const (
	opText  = 0x81
	opClose = 0x88
	opPing  = 0x89
	opPong  = 0x8A
)

// outbox is a connection's write queue: the framed messages not yet written, as
// references. A broadcast frames its message once and every receiver queues the same
// bytes, so queuing to 10 000 connections copies nothing. A writer — the caller that
// finds the socket idle, with a non-blocking writev, or a goroutine when the socket
// does not take everything — writes all that is queued in one system call. During a
// burst the frames that pile up while a socket is being written leave together, so the
// number of system calls falls as the load rises — the opposite of one write per frame
// (gws's own asynchronous queue), which is what bounded fan-out before. An idle
// connection holds no goroutine and only an empty slice.
//
// Server frames are not masked and the gateway does not negotiate compression, so
// framing is a 2–10 byte header in front of the payload.
type outbox struct {
	mu    sync.Mutex
	segs  [][]byte // queued frames; broadcast frames are shared and never written to
	spare [][]byte // an emptied segs, reused to queue without allocating
	// Frames for this connection alone (responses, hello-ok, pings) are framed into
	// pooled buffers of its own: tail is the one still being appended to (the last of
	// segs), owned the others segs refers to. They go back to the pool once written.
	tail    []byte
	owned   [][]byte
	running bool
	// closing is set by closeAfter: once segs are written, a close frame goes out,
	// the socket is closed and done is closed.
	closing   bool
	closeCode uint16
	closeText string
	closeDone chan struct{}
}

// maxIovec bounds the frames handed to one writev (the kernel's IOV_MAX is 1024).
const maxIovec = 1024

// appendFrameHeader appends the header of an unmasked frame with n payload bytes.
func appendFrameHeader(b []byte, op byte, n int) []byte {
	switch {
	case n < 126:
		return append(b, op, byte(n))
	case n <= 0xFFFF:
		return binary.BigEndian.AppendUint16(append(b, op, 126), uint16(n))
	default:
		return binary.BigEndian.AppendUint64(append(b, op, 127), uint64(n))
	}
}

// frameOf returns a new slice holding the whole frame (header and payload), which
// queues may share.
func frameOf(op byte, payload []byte) []byte {
	f := make([]byte, 0, len(payload)+10)
	f = appendFrameHeader(f, op, len(payload))
	return append(f, payload...)
}

// push queues one frame for this connection alone and, when no writer runs, writes it
// at once with a non-blocking write (see flushNow).
func (o *outbox) push(c *Conn, op byte, payload []byte) {
	o.mu.Lock()
	if o.closing {
		o.mu.Unlock()
		return
	}
	if o.tail == nil {
		if o.segs == nil {
			o.segs, o.spare = o.spare, nil
		}
		o.tail = c.srv.bufs.get()
		o.segs = append(o.segs, nil)
	}
	before := len(o.tail)
	o.tail = appendFrameHeader(o.tail, op, len(payload))
	o.tail = append(o.tail, payload...)
	o.segs[len(o.segs)-1] = o.tail // append may have moved it
	c.buffered.Add(int64(len(o.tail) - before))
	start := !o.running
	o.running = true
	o.mu.Unlock()
	if start {
		o.flushNow(c)
	}
}

// add queues a complete frame, which must not change afterwards (it may be shared with
// other connections). It reports whether the caller became the writer: then it must
// call flushNow or start flush.
func (o *outbox) add(c *Conn, frame []byte) bool {
	o.mu.Lock()
	if o.closing {
		o.mu.Unlock()
		return false
	}
	if o.segs == nil {
		o.segs, o.spare = o.spare, nil
	}
	o.closeTailLocked()
	o.segs = append(o.segs, frame)
	c.buffered.Add(int64(len(frame)))
	start := !o.running
	o.running = true
	o.mu.Unlock()
	return start
}

// closeTailLocked ends appending to the private buffer: later frames go after it.
func (o *outbox) closeTailLocked() {
	if o.tail != nil {
		o.owned = append(o.owned, o.tail)
		o.tail = nil
	}
}

// takeLocked hands the writer everything queued, and the private buffers in it.
func (o *outbox) takeLocked() (segs, owned [][]byte) {
	o.closeTailLocked()
	segs, owned = o.segs, o.owned
	o.segs, o.owned = nil, nil
	return segs, owned
}

// requeueLocked puts back what a writer did not write, in front of anything queued
// meanwhile; the private buffers it took stay owned until a write completes.
func (o *outbox) requeueLocked(rest, owned [][]byte) {
	o.closeTailLocked()
	o.segs = append(slices.Clip(rest), o.segs...)
	o.owned = append(owned, o.owned...)
}

// release returns written private buffers to the pool.
func release(c *Conn, owned [][]byte) {
	for _, b := range owned {
		c.srv.bufs.put(b)
	}
}

// recycle keeps an emptied queue slice for reuse, dropping its references.
func (o *outbox) recycle(segs [][]byte) {
	if cap(segs) > 64 {
		return // grew in a burst: let it go
	}
	clear(segs)
	o.mu.Lock()
	if o.spare == nil {
		o.spare = segs[:0]
	}
	o.mu.Unlock()
}

// advance drops the first n bytes of segs.
func advance(segs [][]byte, n int) [][]byte {
	for len(segs) > 0 && n >= len(segs[0]) {
		n -= len(segs[0])
		segs = segs[1:]
	}
	if n > 0 {
		segs[0] = segs[0][n:]
	}
	return segs
}

// flushNow writes what is queued from the calling goroutine as long as the socket
// takes it without blocking — the common case, which costs one system call and no
// goroutine. Whatever the socket does not take is handed to a writer goroutine.
func (o *outbox) flushNow(c *Conn) {
	rc := c.raw
	if rc == nil {
		go o.flush(c)
		return
	}
	for {
		o.mu.Lock()
		if len(o.segs) == 0 || o.closing {
			o.mu.Unlock()
			go o.flush(c) // finishes (or closes) under the usual rules
			return
		}
		segs, owned := o.takeLocked()
		o.mu.Unlock()
		c.srv.metrics.writes.Add(1)
		rest, n, err := writevNonBlocking(rc, segs)
		c.buffered.Add(-int64(n))
		if err != nil || len(rest) > 0 {
			o.mu.Lock()
			o.requeueLocked(rest, owned)
			o.mu.Unlock()
			go o.flush(c)
			return
		}
		release(c, owned)
		o.recycle(segs)
		o.mu.Lock()
		if len(o.segs) == 0 && !o.closing {
			o.running = false
			o.mu.Unlock()
			return
		}
		o.mu.Unlock()
	}
}

// closeAfter queues a close frame behind everything pending.
func (o *outbox) closeAfter(c *Conn, code uint16, reason string, done chan struct{}) {
	o.mu.Lock()
	if o.closing {
		o.mu.Unlock()
		close(done)
		return
	}
	o.closing, o.closeCode, o.closeText, o.closeDone = true, code, reason, done
	start := !o.running
	o.running = true
	o.mu.Unlock()
	if start {
		go o.flush(c)
	}
}

// flush writes until nothing is queued. A write error (the peer is gone, or closeSlow
// set a deadline on a socket that stopped draining) ends the connection.
func (o *outbox) flush(c *Conn) {
	nc := c.ws.NetConn()
	for {
		o.mu.Lock()
		segs, owned := o.takeLocked()
		if len(segs) == 0 {
			if !o.closing {
				o.running = false
				o.mu.Unlock()
				return
			}
			// running stays true: nothing else may write after the close frame.
			code, text, done := o.closeCode, o.closeText, o.closeDone
			o.closeDone = nil
			o.mu.Unlock()
			frame := binary.BigEndian.AppendUint16(appendFrameHeader(nil, opClose, 2+len(text)), code)
			_ = nc.SetWriteDeadline(time.Now().Add(2 * time.Second))
			_, _ = nc.Write(append(frame, text...))
			_ = nc.Close()
			if done != nil {
				close(done)
			}
			return
		}
		o.mu.Unlock()
		bufs := net.Buffers(slices.Clone(segs)) // WriteTo consumes its receiver
		c.srv.metrics.writes.Add(1)
		n, err := bufs.WriteTo(nc)
		c.buffered.Add(-n)
		if err == nil {
			release(c, owned)
		}
		if err != nil {
			c.closed.Store(true)
			_ = nc.Close()
			o.mu.Lock()
			o.running = false
			o.closing = true // nothing more is written
			done := o.closeDone
			o.closeDone = nil
			var dropped int
			for _, f := range advance(segs, int(n)) {
				dropped += len(f)
			}
			for _, f := range o.segs {
				dropped += len(f)
			}
			o.segs, o.tail, o.owned = nil, nil, nil
			o.mu.Unlock()
			c.buffered.Add(-int64(dropped))
			if done != nil {
				close(done)
			}
			return
		}
		o.recycle(segs)
	}
}

// bufPool recycles outbox buffers between connections and bursts. Buffers that grew
// large (a big response) are not kept.
type bufPool struct{ p sync.Pool }

const (
	outboxBufSize    = 4 << 10
	outboxBufMaxKeep = 64 << 10
)

func (bp *bufPool) get() []byte {
	if b, ok := bp.p.Get().(*[]byte); ok {
		return (*b)[:0]
	}
	return make([]byte, 0, outboxBufSize)
}

func (bp *bufPool) put(b []byte) {
	if b == nil || cap(b) > outboxBufMaxKeep {
		return
	}
	b = b[:0]
	bp.p.Put(&b)
}
