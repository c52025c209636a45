package album_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/clock"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/providers/album"
)

// rig is a buffer of string parts keyed by album name, owned by the part's first
// letter, delivering into a channel.
type rig struct {
	clk *clock.Fake
	b   *album.Buffer[string, string, string]
	out chan string
}

func newRig(t *testing.T, maxParts, maxPending int) *rig {
	t.Helper()
	r := &rig{clk: clock.NewFake(time.Date(2026, 1, 24, 12, 0, 0, 0, time.UTC)), out: make(chan string, 64)}
	r.b = album.New[string, string](album.Config[string]{Clock: r.clk, MaxParts: maxParts, MaxPending: maxPending,
		Deliver: func(_ context.Context, parts []string) { r.out <- strings.Join(parts, "+") }})
	t.Cleanup(func() { r.b.Close(context.Background()) })
	return r
}

// next waits for one delivery (window deliveries run on the timer goroutine).
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

// armed waits until the window goroutine has re-armed on the fake clock.
func (r *rig) timers(t *testing.T, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if !r.clk.WaitPending(ctx, n) {
		t.Fatalf("timers pending %d, want %d", r.clk.Pending(), n)
	}
}

// TestWindowRestartsPerPart: an album goes on DefaultWindow after its latest part,
// not its first, with its parts in arrival order.
func TestWindowRestartsPerPart(t *testing.T) {
	ctx := t.Context()
	r := newRig(t, 10, 0)
	r.b.Add(ctx, "A", "a", "a1")
	r.clk.Advance(album.DefaultWindow - time.Millisecond)
	r.b.Add(ctx, "A", "a", "a2")
	r.clk.Advance(time.Millisecond) // the first timer fires; the window was restarted
	r.timers(t, 1)
	r.none(t)
	r.clk.Advance(album.DefaultWindow - 2*time.Millisecond) // 1 ms short of the second part's window
	r.timers(t, 1)
	r.none(t)
	r.clk.Advance(time.Millisecond)
	if got := r.next(t); got != "a1+a2" {
		t.Fatalf("album: %q", got)
	}
	if r.b.Pending() != 0 {
		t.Fatalf("pending %d", r.b.Pending())
	}
}

// TestExpectedCount: a header announcing n parts sends the album on as soon as the
// n-th part is in, without the window, whichever came first; the header does not count.
func TestExpectedCount(t *testing.T) {
	ctx := t.Context()
	for _, tc := range []struct {
		name string
		run  func(b *album.Buffer[string, string, string])
		want string
	}{
		{"header first", func(b *album.Buffer[string, string, string]) {
			b.Expect(ctx, "A", "a", 2, "hdr")
			b.Add(ctx, "A", "a", "a1")
			b.Add(ctx, "A", "a", "a2")
		}, "hdr+a1+a2"},
		{"header last", func(b *album.Buffer[string, string, string]) {
			b.Add(ctx, "A", "a", "a1")
			b.Add(ctx, "A", "a", "a2")
			b.Expect(ctx, "A", "a", 2, "hdr")
		}, "a1+a2+hdr"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, 10, 0)
			tc.run(r.b)
			if got := r.next(t); got != tc.want {
				t.Fatalf("album: %q", got)
			}
			if r.b.Pending() != 0 {
				t.Fatalf("pending %d", r.b.Pending())
			}
		})
	}
}

// TestLimits: MaxParts sends a full album on at once (the next part starts another);
// one album over MaxPending sends the oldest on; nothing is dropped.
func TestLimits(t *testing.T) {
	ctx := t.Context()
	r := newRig(t, 2, 2)
	r.b.Add(ctx, "A", "a", "a1")
	r.b.Add(ctx, "A", "a", "a2")
	if got := r.next(t); got != "a1+a2" {
		t.Fatalf("full album: %q", got)
	}
	r.b.Add(ctx, "A", "a", "a3")
	r.b.Add(ctx, "B", "b", "b1")
	r.none(t)
	r.b.Add(ctx, "C", "c", "c1") // a third album: the oldest (A) goes on
	if got := r.next(t); got != "a3" {
		t.Fatalf("evicted: %q", got)
	}
	if r.b.Pending() != 2 {
		t.Fatalf("pending %d", r.b.Pending())
	}
}

// TestOwnerOrder: an owner's ordinary message and their new album send their
// collecting album on first; another owner's album keeps collecting.
func TestOwnerOrder(t *testing.T) {
	ctx := t.Context()
	r := newRig(t, 10, 0)
	r.b.Add(ctx, "A", "a", "a1")
	r.b.Add(ctx, "B", "b", "b1")
	r.b.Single(ctx, "a", "a-text")
	if got := []string{r.next(t), r.next(t)}; !slices.Equal(got, []string{"a1", "a-text"}) {
		t.Fatalf("order: %q", got)
	}
	r.b.Add(ctx, "B2", "b", "b2") // b's new album sends B on
	if got := r.next(t); got != "b1" {
		t.Fatalf("previous album: %q", got)
	}
	r.b.Expect(ctx, "B2", "b", 0, "hdr1")
	r.none(t)
	r.b.Expect(ctx, "B2", "b", 0, "hdr2") // a second header for B2 sends B2 on
	if got := r.next(t); got != "b2+hdr1" {
		t.Fatalf("second header: %q", got)
	}
	r.none(t)
}

// TestCloseDelivers: Close delivers what is collecting; a part added afterwards goes
// on alone at once.
func TestCloseDelivers(t *testing.T) {
	ctx := t.Context()
	r := newRig(t, 10, 0)
	r.b.Expect(ctx, "A", "a", 3, "hdr")
	r.b.Add(ctx, "A", "a", "a1")
	r.b.Close(ctx)
	if got := r.next(t); got != "hdr+a1" {
		t.Fatalf("closed: %q", got)
	}
	r.b.Add(ctx, "A", "a", "late")
	if got := r.next(t); got != "late" {
		t.Fatalf("after close: %q", got)
	}
}

func TestPlaceholder(t *testing.T) {
	photo, doc := &providers.InboundMedia{Kind: "photo"}, &providers.InboundMedia{Kind: "document"}
	for _, tc := range []struct {
		in   []*providers.InboundMedia
		want string
	}{
		{[]*providers.InboundMedia{photo}, providers.MediaPlaceholder("photo")},
		{[]*providers.InboundMedia{photo, photo}, providers.MediaPlaceholder("photo") + " (2 images)"},
		{[]*providers.InboundMedia{photo, doc}, providers.MediaPlaceholder("photo") + " (2 files)"},
	} {
		if got := album.Placeholder(tc.in); got != tc.want {
			t.Errorf("%d parts: %q, want %q", len(tc.in), got, tc.want)
		}
	}
}

// TestSetWindow: a changed window applies to parts added afterwards (a config reload
// of a debounce window); a window ≤ 0 is ignored.
func TestSetWindow(t *testing.T) {
	ctx := t.Context()
	r := newRig(t, 10, 0)
	r.b.SetWindow(0) // ignored
	r.b.SetWindow(2 * album.DefaultWindow)
	r.b.Add(ctx, "A", "a", "a1")
	r.clk.Advance(album.DefaultWindow)
	r.timers(t, 1)
	r.none(t)
	r.clk.Advance(album.DefaultWindow)
	if got := r.next(t); got != "a1" {
		t.Fatalf("got %q", got)
	}
}
