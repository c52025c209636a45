package debounce_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/clock"
	"github.com/clawgate/gateway/server/providers/debounce"
)

type rig struct {
	clk *clock.Fake
	b   *debounce.Buffer[string, string]
	out chan string
}

func newRig(t *testing.T, window time.Duration, maxParts, maxPending int) *rig {
	t.Helper()
	r := &rig{clk: clock.NewFake(time.Date(2026, 1, 24, 12, 0, 0, 0, time.UTC)), out: make(chan string, 64)}
	r.b = debounce.New[string](debounce.Config[string]{Clock: r.clk, Window: window, MaxParts: maxParts, MaxPending: maxPending,
		Deliver: func(_ context.Context, items []string) { r.out <- strings.Join(items, "+") }})
	t.Cleanup(func() { r.b.Close(context.Background()) })
	return r
}

func (r *rig) next(t *testing.T) string {
	t.Helper()
	select {
	case s := <-r.out:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery")
		return ""
	}
}

func (r *rig) none(t *testing.T) {
	t.Helper()
	select {
	case s := <-r.out:
		t.Fatalf("unexpected delivery %q", s)
	default:
	}
}

// timers waits until n window timers are armed on the fake clock.
func (r *rig) timers(t *testing.T, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if !r.clk.WaitPending(ctx, n) {
		t.Fatalf("timers pending %d, want %d", r.clk.Pending(), n)
	}
}

func TestWindow(t *testing.T) {
	ms := func(n int) *int { return &n }
	tests := []struct {
		name     string
		s        debounce.Settings
		channel  string
		override *int
		want     time.Duration
	}{
		{"unset is off", debounce.Settings{}, "telegram", nil, 0},
		{"global", debounce.Settings{DebounceMs: ms(1500)}, "telegram", nil, 1500 * time.Millisecond},
		{"byChannel over global", debounce.Settings{DebounceMs: ms(1500), ByChannel: map[string]int{"telegram": 300}}, "telegram", nil, 300 * time.Millisecond},
		{"byChannel 0 turns a channel off", debounce.Settings{DebounceMs: ms(1500), ByChannel: map[string]int{"whatsapp": 0}}, "whatsapp", nil, 0},
		{"other channel's entry ignored", debounce.Settings{DebounceMs: ms(1500), ByChannel: map[string]int{"whatsapp": 10}}, "telegram", nil, 1500 * time.Millisecond},
		{"override over byChannel", debounce.Settings{DebounceMs: ms(1500), ByChannel: map[string]int{"whatsapp": 10}}, "whatsapp", ms(2000), 2 * time.Second},
		{"negative is 0", debounce.Settings{DebounceMs: ms(-5)}, "telegram", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := debounce.Window(tt.s, tt.channel, tt.override); got != tt.want {
				t.Fatalf("Window = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestBurst: texts with one key within the window go on together once the window
// after the last has passed; another key is its own burst.
func TestBurst(t *testing.T) {
	ctx := t.Context()
	r := newRig(t, time.Second, 0, 0)
	r.b.Add(ctx, "alice", "a1")
	r.b.Add(ctx, "bob", "b1")
	r.clk.Advance(900 * time.Millisecond)
	r.b.Add(ctx, "alice", "a2")
	r.clk.Advance(100 * time.Millisecond) // bob's window ends; alice's restarted
	if got := r.next(t); got != "b1" {
		t.Fatalf("got %q, want b1", got)
	}
	r.timers(t, 1)
	r.none(t)
	r.clk.Advance(900 * time.Millisecond)
	if got := r.next(t); got != "a1+a2" {
		t.Fatalf("got %q, want a1+a2", got)
	}
}

// TestOffAndPass: window 0 delivers each text alone; Pass sends the key's held
// texts on first, then the message alone.
func TestOffAndPass(t *testing.T) {
	ctx := t.Context()
	r := newRig(t, 0, 0, 0)
	r.b.Add(ctx, "alice", "a1")
	r.b.Add(ctx, "alice", "a2")
	if a, b := r.next(t), r.next(t); a != "a1" || b != "a2" {
		t.Fatalf("off: got %q, %q", a, b)
	}
	r.b.SetWindow(time.Second)
	r.b.Add(ctx, "alice", "a3")
	r.b.Add(ctx, "alice", "a4")
	r.none(t)
	r.b.Pass(ctx, "alice", "/status")
	if a, b := r.next(t), r.next(t); a != "a3+a4" || b != "/status" {
		t.Fatalf("pass: got %q, %q", a, b)
	}
	r.b.SetWindow(0) // a reload turning it off
	r.b.Add(ctx, "alice", "a5")
	if got := r.next(t); got != "a5" {
		t.Fatalf("after SetWindow(0): got %q", got)
	}
}

// TestLimits: a burst that reaches MaxParts goes on at once; one burst more than
// MaxPending sends the oldest on; Close delivers the rest. Nothing is dropped.
func TestLimits(t *testing.T) {
	ctx := t.Context()
	r := newRig(t, time.Minute, 3, 2)
	r.b.Add(ctx, "alice", "a1")
	r.b.Add(ctx, "alice", "a2")
	r.b.Add(ctx, "alice", "a3")
	if got := r.next(t); got != "a1+a2+a3" {
		t.Fatalf("full burst: got %q", got)
	}
	r.b.Add(ctx, "alice", "a4")
	r.b.Add(ctx, "bob", "b1")
	r.b.Add(ctx, "carol", "c1") // a third burst: alice's (the oldest) goes on
	if got := r.next(t); got != "a4" {
		t.Fatalf("overflow: got %q", got)
	}
	if n := r.b.Pending(); n != 2 {
		t.Fatalf("pending %d, want 2", n)
	}
	r.b.Close(ctx)
	got := []string{r.next(t), r.next(t)}
	if got[0] != "b1" || got[1] != "c1" {
		t.Fatalf("close: got %v", got)
	}
	r.b.Add(ctx, "bob", "b2") // after Close: at once
	if got := r.next(t); got != "b2" {
		t.Fatalf("after close: got %q", got)
	}
}

func TestJoin(t *testing.T) {
	if got := debounce.Join([]string{"hey", "", "what's up?"}); got != "hey\nwhat's up?" {
		t.Fatalf("Join = %q", got)
	}
}
