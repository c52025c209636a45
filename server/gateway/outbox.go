package gateway

import (
	"encoding/binary"
	"sync"
	"syscall"
	"time"
)

// WebSocket opcodes the gateway writes (RFC 6455 §5.2), with FIN set.
const (
	opText  = 0x81
	opClose = 0x88
	opPing  = 0x89
	opPong  = 0x8A
)

// outbox is a connection's write queue. Frames are appended, already framed, to one
// pending buffer; a writer goroutine, started when the buffer goes from empty to
// non-empty, writes everything pending in one write(2) and exits when nothing is left.
// During a burst of broadcasts the frames that pile up while a socket is being written
// leave together, so the number of system calls falls as the load rises — the
// opposite of one write per frame (gws's own asynchronous queue), which is what bounded
// fan-out before. An idle connection holds no buffer and no goroutine.
//
// Server frames are not masked and the gateway does not negotiate compression, so
// framing is a 2–10 byte header in front of the payload.
type outbox struct {
	mu      sync.Mutex
	pending []byte
	running bool
	// closing is set by closeAfter: once pending is written, a close frame goes out,
	// the socket is closed and done is closed.
	closing   bool
	closeCode uint16
	closeText string
	closeDone chan struct{}
}

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

// push queues one frame and, when no writer runs, writes it at once with a
// non-blocking write (see flushNow).
func (o *outbox) push(c *Conn, op byte, payload []byte) {
	if o.add(c, op, payload) {
		o.flushNow(c)
	}
}

// add queues one frame. It reports whether the caller became the writer: then it must
// call flushNow or start flush.
func (o *outbox) add(c *Conn, op byte, payload []byte) bool {
	o.mu.Lock()
	if o.closing {
		o.mu.Unlock()
		return false
	}
	if o.pending == nil {
		o.pending = c.srv.bufs.get()
	}
	before := len(o.pending)
	o.pending = appendFrameHeader(o.pending, op, len(payload))
	o.pending = append(o.pending, payload...)
	c.buffered.Add(int64(len(o.pending) - before))
	start := !o.running
	o.running = true
	o.mu.Unlock()
	return start
}

// flushNow writes what is pending from the calling goroutine as long as the socket
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
		buf := o.pending
		if len(buf) == 0 || o.closing {
			o.mu.Unlock()
			go o.flush(c) // finishes (or closes) under the usual rules
			return
		}
		o.pending = nil
		o.mu.Unlock()
		n, err := writeNonBlocking(rc, buf)
		c.buffered.Add(-int64(n))
		if err != nil || n < len(buf) {
			// Put the rest back in front of anything queued meanwhile.
			o.mu.Lock()
			rest := append(c.srv.bufs.get(), buf[n:]...)
			o.pending = append(rest, o.pending...)
			o.mu.Unlock()
			c.srv.bufs.put(buf)
			go o.flush(c)
			return
		}
		c.srv.bufs.put(buf)
		o.mu.Lock()
		if len(o.pending) == 0 && !o.closing {
			o.running = false
			o.mu.Unlock()
			return
		}
		o.mu.Unlock()
	}
}

// writeNonBlocking writes as much of b as the socket accepts right now.
func writeNonBlocking(rc syscall.RawConn, b []byte) (n int, err error) {
	werr := rc.Write(func(fd uintptr) bool {
		for n < len(b) {
			m, e := syscall.Write(int(fd), b[n:])
			if m > 0 {
				n += m
			}
			if e == syscall.EINTR {
				continue
			}
			if e != nil {
				if e != syscall.EAGAIN {
					err = e
				}
				break
			}
			if m == 0 {
				break
			}
		}
		return true // never wait for writability here
	})
	if err == nil {
		err = werr
	}
	return n, err
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

// flush writes until nothing is pending. A write error (the peer is gone, or closeSlow
// set a deadline on a socket that stopped draining) ends the connection.
func (o *outbox) flush(c *Conn) {
	nc := c.ws.NetConn()
	for {
		o.mu.Lock()
		buf := o.pending
		o.pending = nil
		if len(buf) == 0 {
			if !o.closing {
				o.running = false
				o.mu.Unlock()
				c.srv.bufs.put(buf)
				return
			}
			// running stays true: nothing else may write after the close frame.
			code, text, done := o.closeCode, o.closeText, o.closeDone
			o.closeDone = nil
			o.mu.Unlock()
			c.srv.bufs.put(buf)
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
		_, err := nc.Write(buf)
		c.buffered.Add(-int64(len(buf)))
		c.srv.bufs.put(buf)
		if err != nil {
			c.closed.Store(true)
			_ = nc.Close()
			o.mu.Lock()
			o.running = false
			o.closing = true // nothing more is written
			done := o.closeDone
			o.closeDone = nil
			dropped := len(o.pending)
			o.pending = nil
			o.mu.Unlock()
			c.buffered.Add(-int64(dropped))
			if done != nil {
				close(done)
			}
			return
		}
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
