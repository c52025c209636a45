package clock

import (
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
