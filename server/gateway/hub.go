package gateway

import (
	"slices"
	"sync"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/auth"
)

// hub owns the set of connections that receive broadcasts and the global event seq.
// One mutex serialises "assign seq, then queue to everyone", so every client sees
// events in seq order; queuing never blocks (writes are asynchronous), so the lock is
// never held across I/O.
type hub struct {
	mu    sync.Mutex
	seq   int64
	conns []*Conn
	lists sync.Pool // *[]*Conn scratch lists of broadcast
}

// join queues the connection's first frame (hello-ok) and adds it to the set, under
// the broadcast lock: every event is either before the join (not sent) or after the
// hello-ok in the connection's queue.
func (h *hub) join(c *Conn, first []byte) {
	h.mu.Lock()
	c.enqueue(first, false, true)
	h.conns = append(h.conns, c)
	h.mu.Unlock()
}

func (h *hub) remove(c *Conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	i := slices.Index(h.conns, c)
	if i < 0 {
		return false
	}
	last := len(h.conns) - 1
	h.conns[i] = h.conns[last]
	h.conns[last] = nil
	h.conns = h.conns[:last]
	return true
}

func (h *hub) len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

func (h *hub) snapshot() []*Conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.conns)
}

// broadcast encodes ev once and queues it to every connection allowed to see it. The
// seq advances on every call, even with no receivers (§4.1). It returns the seq used.
func (h *hub) broadcast(ev protocol.Event, sv *protocol.StateVersion) int64 {
	info := protocol.LookupEvent(ev.EventName())
	droppable := ev.Droppable()
	h.mu.Lock()
	h.seq++
	seq := h.seq
	frame := appendEvent(make([]byte, 0, 256), ev, seq, sv)
	// Queue under the lock (seq order for everyone), write after it: the sockets that
	// were idle are written by this goroutine, without blocking, once the lock is free.
	flush := h.flushList(len(h.conns))
	for _, c := range h.conns {
		if info != nil && !canSee(c, info) {
			continue
		}
		if c.enqueueDeferred(frame, droppable) {
			flush = append(flush, c)
		}
	}
	h.mu.Unlock()
	for i, c := range flush {
		c.out.flushNow(c)
		flush[i] = nil
	}
	h.lists.Put(&flush)
	return seq
}

// flushList returns an empty slice with room for n connections, reused across
// broadcasts (one broadcast to 10 000 clients would otherwise allocate 80 KB).
func (h *hub) flushList(n int) []*Conn {
	if p, ok := h.lists.Get().(*[]*Conn); ok && cap(*p) >= n {
		return (*p)[:0]
	}
	return make([]*Conn, 0, n)
}

// canSee applies the protocol version and the v3 event scopes.
func canSee(c *Conn, info *protocol.EventInfo) bool {
	if !info.In(c.proto) {
		return false
	}
	if info.Scope == protocol.ScopeNone || c.proto < 3 {
		return true
	}
	if c.role != "operator" {
		return false
	}
	ok, _ := auth.Allowed(c.scopes, string(info.Scope))
	return ok
}
