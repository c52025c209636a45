package auth

import (
	"testing"
	"time"
)

func TestThrottleBudgetAndDelay(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	th := NewThrottle(ThrottleOptions{Burst: 3, Rate: 0.5, Delay: 2 * time.Second, Now: clk.Now})
	// The burst is answered at once; the right secret gives its reservation back.
	for i := 0; i < 3; i++ {
		if d := th.Begin().Done(false); d != 0 {
			t.Fatalf("failure %d within the burst waits %v", i, d)
		}
	}
	// The budget is spent: every answer now waits the full delay — the wrong one and,
	// just as long, the right one (no timing oracle), but the right one is accepted.
	wrong, right := th.Begin(), th.Begin()
	clk.Advance(500 * time.Millisecond)
	if d := wrong.Done(false); d != 1500*time.Millisecond {
		t.Fatalf("wrong guess waits %v, want 1.5s", d)
	}
	if d := right.Done(true); d != 1500*time.Millisecond {
		t.Fatalf("right secret waits %v, want the same 1.5s", d)
	}
	// Half a second refilled 0.25 of a failure: still spent.
	if d := th.Begin().Done(true); d != 2*time.Second {
		t.Fatalf("right secret on a spent budget waits %v", d)
	}
	clk.Advance(2 * time.Second) // +1 failure
	if d := th.Begin().Done(true); d != 0 {
		t.Fatalf("refilled budget still slows: %v", d)
	}
	// A right secret refunded its reservation: one failure is still free.
	if d := th.Begin().Done(false); d != 0 {
		t.Fatalf("the refunded failure waits %v", d)
	}
	if d := th.Begin().Done(false); d != 2*time.Second {
		t.Fatalf("over budget: %v", d)
	}
	st := th.Stats()
	if st.Checks != 9 || st.Failures != 6 || st.Slowed != 4 {
		t.Fatalf("stats %+v", st)
	}
	// The budget never exceeds the burst, however long it rests.
	clk.Advance(time.Hour)
	fast := 0
	for i := 0; i < 10; i++ {
		if th.Begin().Done(false) == 0 {
			fast++
		}
	}
	if fast != 3 {
		t.Fatalf("after a rest %d failures answered at once, want the burst (3)", fast)
	}
}

// TestThrottleConcurrentReservations: attempts that begin together cannot all spend
// the same spare failure — at most Burst are answered at once.
func TestThrottleConcurrentReservations(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	th := NewThrottle(ThrottleOptions{Burst: 5, Rate: 1, Delay: time.Second, Now: clk.Now})
	atts := make([]Attempt, 50)
	for i := range atts {
		atts[i] = th.Begin()
	}
	fast := 0
	for _, a := range atts {
		if a.Done(false) == 0 {
			fast++
		}
	}
	if fast != 5 {
		t.Fatalf("%d of 50 simultaneous guesses answered at once, want 5", fast)
	}
}
