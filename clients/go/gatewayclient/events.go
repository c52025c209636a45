package gatewayclient

import (
	"encoding/json"
	"slices"

	"github.com/clawgate/gateway/gen/go/protocol"
)

// EventGap is the Name of the synthetic notices the client delivers when events may
// have been missed (Event.Gap is set on them).
const EventGap = "gap"

// Event is one server event as delivered to a subscriber, or a synthetic gap notice.
type Event struct {
	// Name is the event name ("presence", "health", "tick", "agent", …), or EventGap.
	Name string
	// Seq is the frame's global sequence number; 0 for events sent without one
	// (targeted events) and for gap notices.
	Seq int64
	// Payload is the event's JSON payload. It is shared by every subscriber: do not
	// modify it.
	Payload json.RawMessage
	// StateVersion rides on presence and health events.
	StateVersion *protocol.StateVersion
	// Gap is set on synthetic notices only.
	Gap *Gap
}

// GapReason says why events may have been missed.
type GapReason string

const (
	// GapSeq: an event arrived with a seq more than one past the previous one — the
	// gateway skipped this client as a slow consumer, or v3 scope filtering hid events.
	// The client has refetched health and system-presence before delivering the notice.
	GapSeq GapReason = "seq"
	// GapReconnect: the connection was lost and re-established; events sent in between
	// are gone. Presence and health were replaced from the new hello-ok snapshot.
	GapReconnect GapReason = "reconnect"
	// GapOverflow: this subscriber did not keep up and the client dropped Missed events
	// from its buffer. The client's own state (Presence, HealthState) is unaffected.
	GapOverflow GapReason = "overflow"
)

// Gap describes a gap notice.
type Gap struct {
	Reason GapReason
	// Expected and Received are the seq the client expected and the seq that arrived
	// (GapSeq; for several gaps merged into one refresh, the first expected and the
	// last received).
	Expected, Received int64
	// Missed is how many events were lost, when known: seq numbers skipped (GapSeq) or
	// events dropped for this subscriber (GapOverflow).
	Missed int64
	// Err is set when refetching presence or health after a seq gap failed; the
	// client's state may then be stale until the next presence/health event.
	Err error
}

type subscription struct {
	name   string
	ch     chan Event
	missed int64 // guarded by Client.subMu
}

// offer queues ev without blocking; called with Client.subMu held. When the buffer is
// full the event is dropped and counted; the next delivery that fits is preceded by a
// GapOverflow notice, so the subscriber always learns that it missed something.
func (s *subscription) offer(ev Event) {
	if s.missed > 0 {
		if cap(s.ch)-len(s.ch) < 2 {
			s.missed++
			return
		}
		s.ch <- Event{Name: EventGap, Gap: &Gap{Reason: GapOverflow, Missed: s.missed}}
		s.missed = 0
	}
	select {
	case s.ch <- ev:
	default:
		s.missed++
	}
}

// Subscribe delivers events named name ("" = every event) to the returned channel, in
// the order the gateway sent them (seq order). Gap notices (Name EventGap, Gap set) are
// delivered to every subscription whatever its name. The channel is buffered
// (Options.EventBuffer); a subscriber that falls behind loses events and is told so by
// a GapOverflow notice — the client never blocks on a slow subscriber. cancel stops the
// subscription and closes the channel; Close closes every channel.
func (c *Client) Subscribe(name string) (events <-chan Event, cancel func()) {
	s := &subscription{name: name, ch: make(chan Event, c.o.EventBuffer)}
	c.subMu.Lock()
	if c.subsClosed {
		c.subMu.Unlock()
		close(s.ch)
		return s.ch, func() {}
	}
	c.subs[s] = struct{}{}
	c.subMu.Unlock()
	return s.ch, func() {
		c.subMu.Lock()
		defer c.subMu.Unlock()
		if _, ok := c.subs[s]; ok {
			delete(c.subs, s)
			close(s.ch)
		}
	}
}

// publish fans ev out to the subscriptions that want it.
func (c *Client) publish(ev Event) {
	c.subMu.Lock()
	defer c.subMu.Unlock()
	for s := range c.subs {
		if ev.Gap != nil || s.name == "" || s.name == ev.Name {
			s.offer(ev)
		}
	}
}

// state is the client's view of presence and health, kept current from hello-ok and
// from presence/health events, ordered by stateVersion.
type state struct {
	presence []protocol.PresenceEntry
	health   *protocol.HealthSummary
	version  protocol.StateVersion
}

// Presence returns the gateway's presence list as last known (newest first). The
// entries are shared: do not modify them.
func (c *Client) Presence() []protocol.PresenceEntry {
	c.stMu.RLock()
	defer c.stMu.RUnlock()
	return slices.Clone(c.st.presence)
}

// HealthState returns the gateway's health summary as last known (from hello-ok,
// health events and refetches after gaps). It is a shallow copy. (Health, from the
// embedded protocol.Calls, asks the gateway instead.)
func (c *Client) HealthState() *protocol.HealthSummary {
	c.stMu.RLock()
	defer c.stMu.RUnlock()
	if c.st.health == nil {
		return nil
	}
	h := *c.st.health
	return &h
}

// StateVersion returns the versions of Presence and HealthState. They are the
// gateway's counters and only grow while the client stays connected to the same
// gateway process; after a reconnect they restart from the new hello-ok.
func (c *Client) StateVersion() protocol.StateVersion {
	c.stMu.RLock()
	defer c.stMu.RUnlock()
	return c.st.version
}

// resetState replaces everything from a hello-ok snapshot: versions belong to one
// gateway process, so a new connection's snapshot wins even if its numbers are lower.
func (c *Client) resetState(s *protocol.Snapshot) {
	h := s.Health
	c.stMu.Lock()
	c.st.presence = s.Presence
	c.st.health = &h
	c.st.version = s.StateVersion
	c.stMu.Unlock()
}

// applyPresence takes a presence event unless it is older than what the client has.
func (c *Client) applyPresence(list []protocol.PresenceEntry, sv *protocol.StateVersion) bool {
	c.stMu.Lock()
	defer c.stMu.Unlock()
	if sv != nil {
		if sv.Presence < c.st.version.Presence {
			return false
		}
		c.st.version.Presence = sv.Presence
	}
	c.st.presence = list
	return true
}

// applyHealth takes a health event unless it is older than what the client has.
func (c *Client) applyHealth(h *protocol.HealthSummary, sv *protocol.StateVersion) bool {
	c.stMu.Lock()
	defer c.stMu.Unlock()
	if sv != nil {
		if sv.Health < c.st.version.Health {
			return false
		}
		c.st.version.Health = sv.Health
	}
	c.st.health = h
	return true
}

// applyRefetch stores state refetched after a gap. The answers carry no stateVersion;
// they were produced after every event received before them, so they replace the
// client's view unless that view is newer by timestamp — a health event from a refresh
// the health call itself started may overtake the (cached) answer, and a presence
// event may race the listing. Health compares ts; presence compares the newest entry
// ts (the gateway refreshes its own entry's ts on every listing).
func (c *Client) applyRefetch(list []protocol.PresenceEntry, havePresence bool, h *protocol.HealthSummary) {
	c.stMu.Lock()
	defer c.stMu.Unlock()
	if havePresence && newestTs(list) >= newestTs(c.st.presence) {
		c.st.presence = list
	}
	if h != nil && (c.st.health == nil || h.Ts >= c.st.health.Ts) {
		c.st.health = h
	}
}

func newestTs(list []protocol.PresenceEntry) int64 {
	var n int64
	for i := range list {
		n = max(n, list[i].Ts)
	}
	return n
}
