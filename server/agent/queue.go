package agent

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/clawgate/gateway/server/agent/llm"
	"github.com/clawgate/gateway/server/clock"
)

// Queue policies (messages.queue.debounceMs, cap, drop) for channel messages that
// arrive while their session is busy. Such a message is written to the transcript when
// it is accepted and then waits on its session's lane; the policies decide when the
// waiting ones start and what happens when too many wait.
const (
	// DefaultQueueDebounce is how long after the last queued message a waiting one
	// starts, so a burst is answered together (the original's 1 000 ms).
	DefaultQueueDebounce = time.Second
	// DefaultQueueCap is how many channel messages may wait per session (20).
	DefaultQueueCap = 20
	// QueueDropSummarize drops the oldest waiting message when the cap is reached and
	// tells the next turn what was dropped (the original's default).
	QueueDropSummarize = "summarize"
	// QueueDropOld drops the oldest waiting message when the cap is reached.
	QueueDropOld = "old"
	// QueueDropNew refuses a message that arrives when the cap is reached.
	QueueDropNew = "new"

	// queueSummaryLineLimit bounds one dropped message's line in the overflow block.
	queueSummaryLineLimit = 160
)

// QueueSettings are a channel's messages.queue debounce, cap and drop policy.
type QueueSettings struct {
	// Debounce: a waiting message starts only once this long has passed since the
	// last message queued on its session (0 = as soon as the session is free).
	Debounce time.Duration
	// Cap bounds the channel messages waiting per session (<= 0 = DefaultQueueCap).
	Cap int
	// Drop is QueueDropSummarize, QueueDropOld or QueueDropNew ("" = summarize).
	Drop string
}

// DefaultQueueSettings are the original's: 1 s, 20, summarize.
func DefaultQueueSettings() QueueSettings {
	return QueueSettings{Debounce: DefaultQueueDebounce, Cap: DefaultQueueCap, Drop: QueueDropSummarize}
}

// queueSettings is the resolved policy for a channel's messages.
func (rt *Runtime) queueSettings(channel string) QueueSettings {
	s := DefaultQueueSettings()
	if rt.opts.QueueSettings != nil {
		s = rt.opts.QueueSettings(channel)
	}
	s.Debounce = max(s.Debounce, 0)
	if s.Cap <= 0 {
		s.Cap = DefaultQueueCap
	}
	switch s.Drop {
	case QueueDropOld, QueueDropNew, QueueDropSummarize:
	default:
		s.Drop = QueueDropSummarize
	}
	return s
}

// queueSubject reports whether req is a channel message governed by messages.queue
// (chat.send, agent, hook and heartbeat runs keep the per-session bound alone).
func queueSubject(req Request) bool {
	return req.Source == "inbound" && !req.Ephemeral
}

// queuedCount is how many channel messages wait on the lane under messages.queue.
func (l *lane) queuedCount() int {
	n := 0
	for _, w := range l.waiting {
		if w.queued {
			n++
		}
	}
	return n
}

// dropForCapLocked makes room for one more queued message under s: the oldest queued
// ones leave the lane until fewer than s.Cap wait (drop old and summarize). It returns them; the caller ends
// them (endDropped) once rt.mu is released. Under summarize each leaves a line for the
// next turn's overflow block; the lines kept are bounded by the cap, as the original's.
func (rt *Runtime) dropForCapLocked(l *lane, s QueueSettings) []*Run {
	if s.Drop == QueueDropNew {
		return nil // refused in Start instead; what waits is never dropped
	}
	var dropped []*Run
	for l.queuedCount() >= s.Cap {
		i := 0
		for !l.waiting[i].queued {
			i++
		}
		r := l.waiting[i]
		l.waiting = append(l.waiting[:i], l.waiting[i+1:]...)
		dropped = append(dropped, r)
		if s.Drop == QueueDropSummarize {
			l.droppedCount++
			l.summaryLines = append(l.summaryLines, queueSummaryLine(r.req.summaryText()))
			if over := len(l.summaryLines) - s.Cap; over > 0 {
				// A copy, so the dropped prefix is not kept alive by the array.
				l.summaryLines = append([]string(nil), l.summaryLines[over:]...)
			}
		}
	}
	return dropped
}

// endDropped ends runs dropped from their session's queue: each was stored as a user
// message (the model sees it in the history of later turns) and now ends without a
// model call or a reply of its own, with an aborted outcome that says why; the drop is
// logged so a message never vanishes silently.
func (rt *Runtime) endDropped(dropped []*Run, s QueueSettings) {
	for _, r := range dropped {
		out := Outcome{Status: StatusAborted, Err: fmt.Sprintf("dropped from the session queue: more than %d messages waiting (messages.queue.cap, drop %s)", s.Cap, s.Drop), EndedAt: rt.now()}
		rt.log.Warn("agent: queued message dropped, not answered on its own", "run", r.ID, "session", r.laneKey, "channel", r.req.Channel, "cap", s.Cap, "drop", s.Drop)
		rt.emitEnd(r, out)
		rt.finish(r, out)
	}
}

// takeOverflowLocked hands the lane's pending overflow summary (drop summarize) to r,
// the next queued message to run, and clears it.
func (l *lane) takeOverflowLocked(r *Run) {
	if l.droppedCount == 0 {
		return
	}
	r.overflow = queueOverflowBlock(l.droppedCount, l.summaryLines)
	l.droppedCount, l.summaryLines = 0, nil
}

// withOverflow is a prompt's parts with the overflow note before its text, in the
// model request only (the transcript keeps the message as it came).
func withOverflow(note string, parts []llm.Part) []llm.Part {
	out := make([]llm.Part, 0, len(parts)+1)
	if len(parts) > 0 && parts[0].Type == llm.PartText {
		p := parts[0]
		p.Text = note + "\n\n" + p.Text
		return append(append(out, p), parts[1:]...)
	}
	return append(append(out, llm.TextPart(note)), parts...)
}

// queueOverflowBlock is the note the next turn's prompt starts with after drop
// summarize: "[Queue overflow] Dropped N message(s) due to cap." and, when there are
// any, "Summary:" with one "- line" per dropped message.
func queueOverflowBlock(n int, lines []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[Queue overflow] Dropped %d message", n)
	if n != 1 {
		b.WriteByte('s')
	}
	b.WriteString(" due to cap.")
	if len(lines) > 0 {
		b.WriteString("\nSummary:")
		for _, l := range lines {
			b.WriteString("\n- ")
			b.WriteString(l)
		}
	}
	return b.String()
}

// queueSummaryLine is a dropped message as one line: whitespace runs collapsed to one
// space, trimmed, and elided to queueSummaryLineLimit characters (runes) with "…".
func queueSummaryLine(text string) string {
	s := strings.Join(strings.Fields(text), " ")
	if utf8.RuneCountInString(s) <= queueSummaryLineLimit {
		return s
	}
	r := []rune(s)[:queueSummaryLineLimit-1]
	return strings.TrimRight(string(r), " ") + "…"
}

// debounceLocked reports whether r, next on lane l, must wait for the queue debounce;
// if so a timer pumps the lane again when the window has passed (a later arrival moves
// the window, and the pump then waits again).
func (rt *Runtime) debounceLocked(l *lane, r *Run) bool {
	if !r.queued || rt.closed {
		return false
	}
	d := rt.queueSettings(r.req.Channel).Debounce
	if d <= 0 {
		return false
	}
	due := l.lastQueued.Add(d)
	if !rt.opts.Clock.Now().Before(due) {
		return false
	}
	if l.debounceStop == nil {
		l.debounceStop = rt.afterLocked(due, func() {
			l.debounceStop = nil
			rt.pumpLocked(l)
		})
	}
	return true
}

// afterLocked runs f under rt.mu once the clock reaches at, unless the returned stop
// is called first (under rt.mu, as the callers hold it, so a stopped f never runs even
// when its timer had already fired).
func (rt *Runtime) afterLocked(at time.Time, f func()) (stop func()) {
	t := clock.NewTimerAt(rt.opts.Clock, at)
	stopped := make(chan struct{})
	go func() {
		select {
		case <-t.C():
		case <-stopped:
			return
		}
		rt.mu.Lock()
		defer rt.mu.Unlock()
		select {
		case <-stopped:
		default:
			f()
		}
	}()
	return func() {
		t.Stop()
		close(stopped)
	}
}
