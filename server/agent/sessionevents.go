package agent

import (
	"context"

	"github.com/clawgate/gateway/server/providers"
	"strings"
	"sync"
	"time"

	"github.com/clawgate/gateway/server/envelope"
	"github.com/clawgate/gateway/server/sessions"
)

// Bounds of the per-session system event queues.
const (
	// MaxSessionEvents is how many events one session keeps until its next message
	// (the oldest go first), as the original's queue.
	MaxSessionEvents = 20
	// MaxEventSessions is how many sessions may hold queued events at once; an event
	// for one more session is dropped (events are ephemeral notes, never state).
	MaxEventSessions = 1000
)

// sessionEvents are short system notes (a Telegram reaction on the bot's message)
// queued per session and put in front of that session's next inbound message, as
// "System: [time] text" lines. They live in memory only, as in the original.
type sessionEvents struct {
	mu     sync.Mutex
	queues map[string]*eventQueue
}

type eventQueue struct {
	events   []sessionEvent
	lastText string
}

type sessionEvent struct {
	text string
	at   time.Time
}

// EnqueueSessionEvent queues text for session key's next inbound message;
// consecutive duplicates are dropped.
func (rt *Runtime) EnqueueSessionEvent(key, text string) {
	key, text = strings.TrimSpace(key), strings.TrimSpace(text)
	if key == "" || text == "" {
		return
	}
	if k, err := sessions.Canonical(key); err == nil {
		key = k
	}
	e := &rt.events
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.queues == nil {
		e.queues = map[string]*eventQueue{}
	}
	q := e.queues[key]
	if q == nil {
		if len(e.queues) >= MaxEventSessions {
			rt.log.Warn("agent: system event dropped: too many sessions with queued events", "session", key)
			return
		}
		q = &eventQueue{}
		e.queues[key] = q
	}
	if q.lastText == text {
		return
	}
	q.lastText = text
	q.events = append(q.events, sessionEvent{text: text, at: rt.opts.Now()})
	if len(q.events) > MaxSessionEvents {
		q.events = q.events[len(q.events)-MaxSessionEvents:]
	}
}

// SessionEvents are the events queued for key, without taking them.
func (rt *Runtime) SessionEvents(key string) []string {
	if k, err := sessions.Canonical(key); err == nil {
		key = k
	}
	rt.events.mu.Lock()
	defer rt.events.mu.Unlock()
	q := rt.events.queues[key]
	if q == nil {
		return nil
	}
	out := make([]string, len(q.events))
	for i, ev := range q.events {
		out[i] = ev.text
	}
	return out
}

// withSessionEvents takes key's queued events and puts them, one "System: [time]
// text" line each, before body (times as the envelope shows them, to the second).
func (rt *Runtime) withSessionEvents(key, body string, o envelope.Options) string {
	rt.events.mu.Lock()
	q := rt.events.queues[key]
	delete(rt.events.queues, key)
	rt.events.mu.Unlock()
	if q == nil || len(q.events) == 0 {
		return body
	}
	lines := make([]string, 0, len(q.events))
	for _, ev := range q.events {
		lines = append(lines, "System: ["+envelope.EventTimestamp(ev.at, o)+"] "+ev.text)
	}
	return strings.Join(lines, "\n") + "\n\n" + body
}

// SessionEvent implements providers.SessionEvents: the note waits for the next
// message of the session m would go to.
func (rt *Runtime) SessionEvent(_ context.Context, m providers.Message, text string) {
	rt.EnqueueSessionEvent(rt.InboundKey(m), text)
}
