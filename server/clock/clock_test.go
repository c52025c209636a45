package clock

import (
	"context"
	"testing"
	"time"
)

func TestFakeTimers(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := NewFake(t0)
	a := f.NewTimer(2 * time.Second)
	b := f.NewTimer(time.Second)
	c := f.NewTimer(3 * time.Second)
	if !c.Stop() || c.Stop() {
		t.Fatal("Stop reports wrong")
	}
	f.Advance(time.Second)
	select {
	case got := <-b.C():
		if !got.Equal(t0.Add(time.Second)) {
			t.Fatal(got)
		}
	default:
		t.Fatal("b did not fire")
	}
	select {
	case <-a.C():
		t.Fatal("a fired early")
	default:
	}
	f.Advance(time.Hour)
	<-a.C()
	select {
	case <-c.C():
		t.Fatal("stopped timer fired")
	default:
	}
	if f.Pending() != 0 {
		t.Fatal(f.Pending())
	}
	// A timer for the past fires at once; time never goes back.
	<-f.NewTimer(-time.Second).C()
	f.Set(t0)
	if !f.Now().Equal(t0.Add(time.Hour + time.Second)) {
		t.Fatal(f.Now())
	}
}

// TestNewTimerAt: a scheduler that read the time, then armed its timer after the fake
// clock moved past its deadline, still wakes (a relative timer would wait another d).
func TestNewTimerAt(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := NewFake(t0)
	due := f.Now().Add(time.Minute)
	f.Advance(time.Minute) // between the scheduler's Now and its NewTimer
	select {
	case <-NewTimerAt(f, due).C():
	default:
		t.Fatal("timer for a passed deadline did not fire")
	}
	later := NewTimerAt(f, t0.Add(2*time.Minute))
	f.Advance(59 * time.Second)
	select {
	case <-later.C():
		t.Fatal("fired early")
	default:
	}
	f.Advance(time.Second)
	select {
	case <-later.C():
	default:
		t.Fatal("did not fire at its deadline")
	}
	// The wall clock goes through NewTimer.
	select {
	case <-NewTimerAt(Real(), time.Now().Add(-time.Second)).C():
	case <-time.After(10 * time.Second):
		t.Fatal("real timer for a passed deadline did not fire")
	}
}

// TestFakeWaitPending: WaitPending returns once the count matches, and false when the
// context ends first.
func TestFakeWaitPending(t *testing.T) {
	f := NewFake(time.Unix(0, 0))
	go f.NewTimer(time.Second)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if !f.WaitPending(ctx, 1) {
		t.Fatal("the armed timer was not seen")
	}
	short, cancelShort := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancelShort()
	if f.WaitPending(short, 0) {
		t.Fatal("WaitPending(0) returned true with a timer pending")
	}
}
