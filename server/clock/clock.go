// Package clock is the one time source of the scheduler packages (cron, heartbeat).
//
// Why an interface: every decision those packages make ("is this job due", "is it within
// active hours", "when does the next timer fire") reads the time, and tests must drive
// those decisions deterministically on a noisy machine. Production code uses Real; tests
// use Fake and move time with Advance, which fires the timers that came due — no sleeps.
package clock

import (
	"context"
	"sort"
	"sync"
	"time"
)

// Clock reads the time and makes timers.
type Clock interface {
	Now() time.Time
	// NewTimer returns a timer that delivers once on C after d.
	NewTimer(d time.Duration) Timer
}

// Timer is a one-shot timer.
type Timer interface {
	C() <-chan time.Time
	// Stop prevents the timer from firing; it reports whether it did.
	Stop() bool
}

// TimerAt is a Clock that can make a timer for an absolute time. A scheduler that
// knows when it wants to wake asks for that time rather than "now + d": with a fake
// clock moved between the caller's Now and NewTimer, a relative timer would land that
// much later (a deadline already passed must fire at once).
type TimerAt interface {
	NewTimerAt(at time.Time) Timer
}

// NewTimerAt returns a timer that fires at at (at once when at has passed), exactly on
// clocks that implement TimerAt, else as c.NewTimer(at - c.Now()).
func NewTimerAt(c Clock, at time.Time) Timer {
	if ta, ok := c.(TimerAt); ok {
		return ta.NewTimerAt(at)
	}
	return c.NewTimer(at.Sub(c.Now()))
}

// Real is the wall clock.
func Real() Clock { return realClock{} }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }
func (realClock) NewTimer(d time.Duration) Timer {
	return realTimer{time.NewTimer(d)}
}

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time { return r.t.C }
func (r realTimer) Stop() bool          { return r.t.Stop() }

// Fake is a manually advanced clock for tests. Its timers fire during Advance (or Set),
// in deadline order, each delivering the fake time on a channel with room for one value.
type Fake struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
	// armed receives a value whenever a timer is created (for tests that wait until the
	// code under test has armed its next timer).
	armed chan struct{}
}

// NewFake returns a fake clock set to t.
func NewFake(t time.Time) *Fake { return &Fake{now: t, armed: make(chan struct{}, 1024)} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Armed delivers one value for every timer created since the last receive (buffered).
func (f *Fake) Armed() <-chan struct{} { return f.armed }

// NewTimer makes a timer that fires when the fake time reaches now+d.
func (f *Fake) NewTimer(d time.Duration) Timer {
	f.mu.Lock()
	at := f.now.Add(d)
	f.mu.Unlock()
	return f.NewTimerAt(at)
}

// NewTimerAt makes a timer that fires when the fake time reaches at (at once when it
// already has).
func (f *Fake) NewTimerAt(at time.Time) Timer {
	f.mu.Lock()
	t := &fakeTimer{f: f, at: at, c: make(chan time.Time, 1)}
	if !at.After(f.now) {
		t.fired = true
		t.c <- f.now
	} else {
		f.timers = append(f.timers, t)
	}
	f.mu.Unlock()
	select {
	case f.armed <- struct{}{}:
	default:
	}
	return t
}

// Pending reports how many timers wait to fire.
func (f *Fake) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.timers)
}

// WaitPending waits until exactly n timers wait to fire — for tests whose code under
// test arms or stops its timers on another goroutine — and reports whether that
// happened before ctx ended.
func (f *Fake) WaitPending(ctx context.Context, n int) bool {
	for f.Pending() != n {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(time.Millisecond):
		}
	}
	return true
}

// Advance moves the time forward by d and fires the timers that came due.
func (f *Fake) Advance(d time.Duration) { f.Set(f.Now().Add(d)) }

// Set moves the time to t (never backwards) and fires the timers that came due.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	if t.After(f.now) {
		f.now = t
	}
	sort.SliceStable(f.timers, func(i, j int) bool { return f.timers[i].at.Before(f.timers[j].at) })
	keep := f.timers[:0]
	for _, tm := range f.timers {
		if !tm.at.After(f.now) {
			tm.fired = true
			tm.c <- f.now
			continue
		}
		keep = append(keep, tm)
	}
	f.timers = keep
	f.mu.Unlock()
}

type fakeTimer struct {
	f     *Fake
	at    time.Time
	c     chan time.Time
	fired bool
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	if t.fired {
		return false
	}
	for i, x := range t.f.timers {
		if x == t {
			t.f.timers = append(t.f.timers[:i], t.f.timers[i+1:]...)
			break
		}
	}
	t.fired = true
	return true
}
