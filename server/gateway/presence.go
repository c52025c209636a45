package gateway

import (
	"bytes"
	"sync"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
)

// DefaultPresenceCoalesce is how long disconnect-driven presence broadcasts are held
// to merge with others. A disconnect only changes a row's reason and ts, but the full
// list (up to 200 rows, ~40 KB) goes to every client each time; during a reconnect
// storm that was most of the gateway's work. Each broadcast carries the whole current
// list with its stateVersion, so a client that sees one broadcast instead of several
// ends in the same state.
const DefaultPresenceCoalesce = 100 * time.Millisecond

// presenceJSON is a presence event whose list is already encoded (Store.AppendJSON).
type presenceJSON []byte

func (presenceJSON) EventName() string { return (*protocol.PresenceEvent)(nil).EventName() }
func (presenceJSON) Droppable() bool   { return (*protocol.PresenceEvent)(nil).Droppable() }
func (p presenceJSON) AppendJSON(b []byte) []byte {
	b = append(b, `{"presence":`...)
	b = append(b, p...)
	return append(b, '}')
}

// presenceFanout decides when presence is broadcast: changes a client asked for
// (system-event, node beacons) go out at once; disconnects are coalesced.
type presenceFanout struct {
	interval time.Duration
	mu       sync.Mutex
	lastAt   time.Time
	lastVer  int64 // presence version of the last broadcast
	timer    *time.Timer
	stopped  bool
}

// broadcastPresence sends the full presence list with the current stateVersion now.
func (s *Server) broadcastPresence() {
	f := &s.presenceOut
	f.mu.Lock()
	flush := s.sendPresenceLocked()
	f.mu.Unlock()
	s.hub.flush(flush)
}

// changePresence applies a change and broadcasts the list right after it, with no
// other change in between: every system-event a client sends is visible in at least
// one broadcast (requests of one connection run concurrently, so without this a
// later beacon could overwrite an earlier one before its broadcast was encoded).
func (s *Server) changePresence(change func()) {
	f := &s.presenceOut
	f.mu.Lock()
	change()
	flush := s.sendPresenceLocked()
	f.mu.Unlock()
	s.hub.flush(flush) // the sockets are written outside the lock
}

// sendPresenceLocked encodes and queues a broadcast; f.mu is held so broadcasts are
// queued in version order. The caller flushes the returned connections after
// unlocking.
func (s *Server) sendPresenceLocked() []*Conn {
	f := &s.presenceOut
	list, pv := s.presence.AppendJSON(s.bufs.get())
	defer s.bufs.put(list)
	_, hv, _ := s.health.Current()
	_, flush := s.hub.queue(presenceJSON(list), &protocol.StateVersion{Presence: pv, Health: hv})
	f.lastAt, f.lastVer = time.Now(), pv
	return flush
}

// broadcastPresenceSoon broadcasts at once when nothing went out in the last interval,
// otherwise once at the end of it (a single trailing broadcast for any number of
// changes, skipped when another broadcast already carried them).
func (s *Server) broadcastPresenceSoon() {
	f := &s.presenceOut
	if f.interval <= 0 {
		s.broadcastPresence()
		return
	}
	f.mu.Lock()
	if f.timer != nil || f.stopped {
		f.mu.Unlock()
		return // a trailing broadcast is scheduled and will carry this change
	}
	wait := f.interval - time.Since(f.lastAt)
	if wait <= 0 {
		flush := s.sendPresenceLocked()
		f.mu.Unlock()
		s.hub.flush(flush)
		return
	}
	f.timer = time.AfterFunc(wait, func() {
		f.mu.Lock()
		f.timer = nil
		if f.stopped || s.presence.Version() == f.lastVer {
			f.mu.Unlock()
			return
		}
		flush := s.sendPresenceLocked()
		f.mu.Unlock()
		s.hub.flush(flush)
	})
	f.mu.Unlock()
}

// stopPresence cancels a pending trailing broadcast (shutdown).
func (s *Server) stopPresence() {
	f := &s.presenceOut
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopped = true
	if f.timer != nil {
		f.timer.Stop()
		f.timer = nil
	}
}

// helloPresenceSlot is where hello-ok's snapshot gets its presence list: hello-ok is
// encoded with an empty list and the pre-encoded one is spliced in.
var helloPresenceSlot = []byte(`"presence":[]`)

// helloFrame encodes the hello-ok res frame with the store's current list, setting
// the snapshot's presence version to the list's. The frame is in a pooled buffer: the
// caller hands it back with s.bufs.put once it is queued. With 200 presence rows a
// hello-ok is ~40 KB; building it from pooled scratch keeps a connect storm from
// producing that much garbage per connection (which set the heap's size, and so the
// RSS, long after the storm).
func (s *Server) helloFrame(id string, h *protocol.HelloOk) []byte {
	list, pv := s.presence.AppendJSON(s.bufs.get())
	defer s.bufs.put(list)
	h.Snapshot.Presence = nil
	h.Snapshot.StateVersion.Presence = pv
	frame := appendRes(s.bufs.get(), id, h, nil)
	defer s.bufs.put(frame)
	snap := bytes.Index(frame, []byte(`"snapshot":{`))
	at := -1
	if snap >= 0 {
		if i := bytes.Index(frame[snap:], helloPresenceSlot); i >= 0 {
			at = snap + i + len(helloPresenceSlot) - 2 // at the "[]"
		}
	}
	if at < 0 { // cannot happen with the generated encoder; never send a wrong snapshot
		s.log.Error("hello-ok presence slot not found; encoding the list directly")
		h.Snapshot.Presence = s.presence.List()
		return appendRes(s.bufs.get(), id, h, nil)
	}
	out := s.bufs.get()
	out = append(out, frame[:at]...)
	out = append(out, list...)
	return append(out, frame[at+2:]...)
}
