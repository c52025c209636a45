// Package album collects the parts of a media album into one delivery.
//
// Chat networks deliver each photo or video of an album as its own message (Telegram
// tags them with a media_group_id; WhatsApp sends an albumMessage announcing the count,
// then children pointing at it). Handled one by one, an album of three photos runs the
// agent three times and gets three answers; instead a Buffer collects the parts for a
// short window and hands them on together, so the provider builds one inbound message
// with every file and the caption.
//
// The buffer is bounded (parts per album, albums collecting at once), keeps order per
// sender (a sender's next ordinary message goes on only after the albums they have
// collecting in that chat), and loses nothing on shutdown (Close delivers what is
// collecting). Package debounce reuses it, keyed by sender, to combine quick texts.
package album

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/clawgate/gateway/server/clock"
	"github.com/clawgate/gateway/server/providers"
)

// Defaults shared by the providers.
const (
	// DefaultWindow is how long an album collects parts after its latest one (the
	// original's 500 ms for Telegram media groups; it has no config key).
	DefaultWindow = 500 * time.Millisecond
	// DefaultMaxPending bounds how many albums collect at once (across chats); one
	// more sends the oldest on at once rather than dropping anything.
	DefaultMaxPending = 64
)

// Config configures a Buffer.
type Config[P any] struct {
	// Clock times the window (clock.Real when nil).
	Clock clock.Clock
	// Window is how long an album waits for its next part (DefaultWindow when 0).
	Window time.Duration
	// MaxParts bounds the counted parts of one album; an album that reaches it goes on
	// at once and later parts with its key start a new one. Must be ≥ 1.
	MaxParts int
	// MaxPending bounds the albums collecting at once (DefaultMaxPending when 0).
	MaxPending int
	// Deliver receives an album's parts in arrival order (a header first when it came
	// first), or a lone message as a one-element slice. Calls are serialised.
	Deliver func(ctx context.Context, parts []P)
}

type entry[K, O comparable, P any] struct {
	key      K
	owner    O
	parts    []P
	counted  int       // parts that count towards MaxParts and the expected count
	header   bool      // a header (Expect) has been added
	expected int       // parts announced by the header (0: unknown)
	deadline time.Time // the window ends: Window after the latest part
	seq      uint64    // creation order, for evicting the oldest
	done     chan struct{}
}

// Buffer collects album parts keyed by K (for example chat and album id), each album
// owned by O (for example chat and sender), and delivers P values.
//
// Lock order: order, then mu. order serialises deliveries (the caller's event loop,
// window timers, Close), so the agent sees an album before the message that followed it.
type Buffer[K, O comparable, P any] struct {
	cfg Config[P]

	order   sync.Mutex
	mu      sync.Mutex
	pending map[K]*entry[K, O, P]
	seq     uint64
	closed  bool
	wg      sync.WaitGroup // the window goroutines
}

// New returns a buffer; it panics on a config without Deliver or with MaxParts < 1
// (a programming error, not input).
func New[K, O comparable, P any](cfg Config[P]) *Buffer[K, O, P] {
	if cfg.Deliver == nil || cfg.MaxParts < 1 {
		panic(fmt.Sprintf("album: Deliver is required and MaxParts must be ≥ 1 (got %d)", cfg.MaxParts))
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.MaxPending <= 0 {
		cfg.MaxPending = DefaultMaxPending
	}
	return &Buffer[K, O, P]{cfg: cfg, pending: map[K]*entry[K, O, P]{}}
}

// Single delivers a message that is not part of an album, after any album its owner
// has collecting (they go on first, oldest first, so the message keeps its place).
func (b *Buffer[K, O, P]) Single(ctx context.Context, owner O, p P) {
	b.order.Lock()
	defer b.order.Unlock()
	b.mu.Lock()
	earlier := b.takeLocked(func(e *entry[K, O, P]) bool { return e.owner == owner })
	b.mu.Unlock()
	b.deliverAll(ctx, earlier)
	b.cfg.Deliver(ctx, []P{p})
}

// Add buffers a counted part of album key. It delivers at once what a limit pushes
// out: the album when it reaches MaxParts or the count its header announced, the
// oldest album when a new one would exceed MaxPending, and the owner's other albums
// when a new one starts. After Close the part is delivered alone at once.
func (b *Buffer[K, O, P]) Add(ctx context.Context, key K, owner O, p P) {
	b.add(ctx, key, owner, p, false, 0)
}

// Expect buffers the header of album key, which announces n counted parts (0:
// unknown) and does not count itself: the album goes on as soon as n parts are in,
// without waiting for the window. A second header for an album that has one sends the
// first album on and starts a new one.
func (b *Buffer[K, O, P]) Expect(ctx context.Context, key K, owner O, n int, header P) {
	b.add(ctx, key, owner, header, true, n)
}

func (b *Buffer[K, O, P]) add(ctx context.Context, key K, owner O, p P, header bool, n int) {
	b.order.Lock()
	defer b.order.Unlock()
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		b.cfg.Deliver(ctx, []P{p})
		return
	}
	var out [][]P
	e := b.pending[key]
	if e != nil && header && e.header {
		out = append(out, b.removeLocked(e))
		e = nil
	}
	if e == nil {
		out = append(out, b.takeLocked(func(x *entry[K, O, P]) bool { return x.owner == owner })...)
		if len(b.pending) >= b.cfg.MaxPending {
			var oldest *entry[K, O, P]
			for _, x := range b.pending {
				if oldest == nil || x.seq < oldest.seq {
					oldest = x
				}
			}
			out = append(out, b.removeLocked(oldest))
		}
		b.seq++
		e = &entry[K, O, P]{key: key, owner: owner, seq: b.seq, done: make(chan struct{})}
		b.pending[key] = e
		b.wg.Add(1)
		go b.wait(ctx, e, b.cfg.Clock.NewTimer(b.cfg.Window))
	}
	e.parts = append(e.parts, p)
	if header {
		e.header, e.expected = true, n
	} else {
		e.counted++
	}
	e.deadline = b.cfg.Clock.Now().Add(b.cfg.Window)
	if e.counted >= b.cfg.MaxParts || (e.expected > 0 && e.counted >= e.expected) {
		out = append(out, b.removeLocked(e))
	}
	b.mu.Unlock()
	b.deliverAll(ctx, out)
}

// wait delivers e once its window has passed (the window restarts with every part).
// When ctx ends first, the album stays for Close, which delivers it with a live
// context.
func (b *Buffer[K, O, P]) wait(ctx context.Context, e *entry[K, O, P], t clock.Timer) {
	defer b.wg.Done()
	for {
		select {
		case <-t.C():
		case <-e.done:
			t.Stop()
			return
		case <-ctx.Done():
			t.Stop()
			return
		}
		b.order.Lock()
		b.mu.Lock()
		if b.pending[e.key] != e || ctx.Err() != nil {
			b.mu.Unlock()
			b.order.Unlock()
			return
		}
		if b.cfg.Clock.Now().Before(e.deadline) {
			t = clock.NewTimerAt(b.cfg.Clock, e.deadline)
			b.mu.Unlock()
			b.order.Unlock()
			continue
		}
		parts := b.removeLocked(e)
		b.mu.Unlock()
		b.cfg.Deliver(ctx, parts)
		b.order.Unlock()
		return
	}
}

// Close delivers every collecting album with ctx (shutdown loses none) and waits for
// the window goroutines. Parts added later are delivered alone at once.
func (b *Buffer[K, O, P]) Close(ctx context.Context) {
	b.order.Lock()
	b.mu.Lock()
	b.closed = true
	all := b.takeLocked(func(*entry[K, O, P]) bool { return true })
	b.mu.Unlock()
	b.deliverAll(ctx, all)
	b.order.Unlock()
	b.wg.Wait()
}

// SetWindow changes the window (a config reload; d ≤ 0 is ignored): parts added from
// now on wait d, an entry's earlier parts keep the deadline they set.
func (b *Buffer[K, O, P]) SetWindow(d time.Duration) {
	if d <= 0 {
		return
	}
	b.mu.Lock()
	b.cfg.Window = d
	b.mu.Unlock()
}

// Pending reports how many albums are collecting.
func (b *Buffer[K, O, P]) Pending() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.pending)
}

// takeLocked removes the albums match selects, oldest first.
func (b *Buffer[K, O, P]) takeLocked(match func(*entry[K, O, P]) bool) [][]P {
	var sel []*entry[K, O, P]
	for _, e := range b.pending {
		if match(e) {
			sel = append(sel, e)
		}
	}
	slices.SortFunc(sel, func(x, y *entry[K, O, P]) int { return cmp.Compare(x.seq, y.seq) })
	out := make([][]P, 0, len(sel))
	for _, e := range sel {
		out = append(out, b.removeLocked(e))
	}
	return out
}

func (b *Buffer[K, O, P]) removeLocked(e *entry[K, O, P]) []P {
	delete(b.pending, e.key)
	close(e.done)
	return e.parts
}

func (b *Buffer[K, O, P]) deliverAll(ctx context.Context, groups [][]P) {
	for _, parts := range groups {
		b.cfg.Deliver(ctx, parts)
	}
}

// Placeholder is the body of a caption-less album (the original's "<media:image>
// (3 images)"); a lone file gets its own placeholder, a mixed album "(N files)".
func Placeholder(media []*providers.InboundMedia) string {
	first := providers.MediaPlaceholder(media[0].Kind)
	if len(media) == 1 {
		return first
	}
	for _, in := range media {
		if in.Kind != "photo" {
			return fmt.Sprintf("%s (%d files)", first, len(media))
		}
	}
	return fmt.Sprintf("%s (%d images)", first, len(media))
}
