package gateway

import (
	"runtime"
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

	fmu      sync.Mutex
	flushing bool    // a goroutine is writing broadcast sockets
	deferred []*Conn // claimed sockets it writes next
	bufs     bufPool // scratch for encoding (every receiver copies the frame)
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
	seq, flush := h.queue(ev, sv)
	h.flush(flush)
	return seq
}

// broadcastAll broadcasts evs in order with consecutive seqs, as that many broadcast
// calls would, but queues them all before writing: a client that receives several of
// them gets them in one write instead of one write each.
func (h *hub) broadcastAll(evs []protocol.Event) {
	h.mu.Lock()
	flush := h.flushList(len(h.conns))
	for _, ev := range evs {
		_, flush = h.queueLocked(ev, nil, flush)
	}
	h.mu.Unlock()
	h.flush(flush)
}

// queue assigns the seq and queues the frame to every receiver under the hub lock, so
// every client sees events in seq order. It returns the connections whose sockets
// were idle: the caller writes them with flush once it holds no lock, without
// blocking. A broadcast that comes while an earlier one is still being written finds
// those connections busy and its frame leaves with the earlier one's, in one write.
func (h *hub) queue(ev protocol.Event, sv *protocol.StateVersion) (int64, []*Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.queueLocked(ev, sv, h.flushList(len(h.conns)))
}

// queueLocked is queue with h.mu held, appending to flush the connections whose
// sockets were idle. A connection is appended at most once however many events are
// queued before the flush: the first frame makes its caller the socket's writer, and
// nobody else takes that role until the writer has written everything queued.
func (h *hub) queueLocked(ev protocol.Event, sv *protocol.StateVersion, flush []*Conn) (int64, []*Conn) {
	info := protocol.LookupEvent(ev.EventName())
	droppable := ev.Droppable()
	h.seq++
	seq := h.seq
	payload := appendEvent(h.bufs.get(), ev, seq, sv)
	frame := frameOf(opText, payload) // framed once, shared by every receiver's queue
	h.bufs.put(payload)
	for _, c := range h.conns {
		if info != nil && !canSee(c, info) {
			continue
		}
		if c.enqueueDeferred(frame, droppable) {
			flush = append(flush, c)
		}
	}
	return seq, flush
}

// parallelFlushMin is the number of sockets from which a broadcast's writes are spread
// over the processors: one write(2) per socket is nearly all of a broadcast's cost, and
// with thousands of receivers one core would take milliseconds to reach the last one.
const parallelFlushMin = 512

// flush writes the connections queue returned and recycles the list. While one
// broadcast's sockets are being written, later broadcasts hand theirs to it instead of
// writing in parallel: under load the writer works through one queue, and every
// socket it has not reached yet collects the frames of the broadcasts that come
// meanwhile, to send them in one write — so the number of system calls per event
// falls as the rate rises, instead of several passes competing for the processors.
func (h *hub) flush(list []*Conn) {
	h.fmu.Lock()
	if h.flushing {
		h.deferred = append(h.deferred, list...)
		h.fmu.Unlock()
		h.recycle(list)
		return
	}
	h.flushing = true
	h.fmu.Unlock()
	for {
		h.write(list)
		h.recycle(list)
		h.fmu.Lock()
		if len(h.deferred) == 0 {
			h.flushing = false
			h.fmu.Unlock()
			return
		}
		list, h.deferred = h.deferred, h.flushList(0)
		h.fmu.Unlock()
	}
}

func (h *hub) recycle(list []*Conn) {
	clear(list)
	list = list[:0]
	h.lists.Put(&list)
}

// write flushes the sockets of list, spread over the processors when there are many.
func (h *hub) write(list []*Conn) {
	if n := min(runtime.GOMAXPROCS(0), len(list)/(parallelFlushMin/2)); n > 1 && len(list) >= parallelFlushMin {
		var wg sync.WaitGroup
		per := (len(list) + n - 1) / n
		for start := per; start < len(list); start += per {
			part := list[start:min(start+per, len(list))]
			wg.Go(func() { flushAll(part) })
		}
		flushAll(list[:per])
		wg.Wait()
		return
	}
	flushAll(list)
}

func flushAll(list []*Conn) {
	for _, c := range list {
		c.out.flushNow(c)
	}
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
