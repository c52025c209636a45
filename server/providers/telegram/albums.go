package telegram

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/mymmrac/telego"

	"github.com/clawgate/gateway/server/clock"
	"github.com/clawgate/gateway/server/providers"
)

// Albums. Telegram delivers each item of an album (a media group: photos, videos or
// documents sent together) as its own message, all with the same media_group_id and
// the caption on one of them. Handled one by one, an album of three photos would run
// the agent three times and get three answers; instead the parts are collected for a
// short window and go on as one inbound message carrying every file and the caption.
const (
	// DefaultAlbumWindow is how long an album collects parts after its latest one (the
	// original's 500 ms; it has no config key, so neither do we).
	DefaultAlbumWindow = 500 * time.Millisecond
	// DefaultAlbumMaxParts bounds one album (Telegram's own media groups hold at most
	// 10 items). An album that reaches it goes on at once; later parts with its id
	// start a new one.
	DefaultAlbumMaxParts = 10
	// DefaultAlbumMaxPending bounds how many albums collect at once (across chats);
	// one more sends the oldest on at once rather than dropping anything.
	DefaultAlbumMaxPending = 64
)

type albumKey struct {
	chat  int64
	group string
}

type album struct {
	key      albumKey
	sender   int64
	parts    []*telego.Message
	deadline time.Time     // the window ends: DefaultAlbumWindow after the latest part
	seq      uint64        // creation order, for evicting the oldest
	done     chan struct{} // closed when the album leaves the buffer
}

// albums collects the parts of media groups and hands each group, or a lone message,
// to deliver as one slice of messages. The poll loop calls add and single; a goroutine
// per collecting album waits for its window on the clock.
//
// Order: a message is delivered only after the albums its sender started earlier in
// the same chat (they are sent on first), and all deliveries are serialised, so a
// caption-less album followed at once by "what are these?" reaches the agent in that
// order.
type albums struct {
	clk        clock.Clock
	window     time.Duration
	maxParts   int
	maxPending int
	deliver    func(ctx context.Context, parts []*telego.Message)

	// order serialises deliveries (poll loop, window timers, close). Lock order:
	// order, then mu.
	order   sync.Mutex
	mu      sync.Mutex
	pending map[albumKey]*album
	seq     uint64
	wg      sync.WaitGroup // the window goroutines
}

func newAlbums(clk clock.Clock, window time.Duration, maxParts, maxPending int, deliver func(context.Context, []*telego.Message)) *albums {
	return &albums{clk: clk, window: window, maxParts: maxParts, maxPending: maxPending, deliver: deliver, pending: map[albumKey]*album{}}
}

// single delivers a message that is not part of an album, after any album its sender
// has collecting in the same chat.
func (b *albums) single(ctx context.Context, m *telego.Message) {
	b.order.Lock()
	defer b.order.Unlock()
	b.mu.Lock()
	earlier := b.takeLocked(func(a *album) bool { return a.key.chat == m.Chat.ID && a.sender == m.From.ID })
	b.mu.Unlock()
	b.deliverAll(ctx, earlier)
	b.deliver(ctx, []*telego.Message{m})
}

// add buffers an album part. It delivers at once what a limit pushes out: the album
// when it reaches maxParts, the oldest album when a new one would exceed maxPending,
// and the sender's earlier albums in the chat when a new one starts.
func (b *albums) add(ctx context.Context, m *telego.Message) {
	b.order.Lock()
	defer b.order.Unlock()
	key := albumKey{chat: m.Chat.ID, group: m.MediaGroupID}
	b.mu.Lock()
	var out [][]*telego.Message
	a := b.pending[key]
	if a == nil {
		out = b.takeLocked(func(a *album) bool { return a.key.chat == key.chat && a.sender == m.From.ID })
		if len(b.pending) >= b.maxPending {
			var oldest *album
			for _, x := range b.pending {
				if oldest == nil || x.seq < oldest.seq {
					oldest = x
				}
			}
			out = append(out, b.removeLocked(oldest))
		}
		b.seq++
		a = &album{key: key, sender: m.From.ID, seq: b.seq, done: make(chan struct{})}
		b.pending[key] = a
		b.wg.Add(1)
		go b.wait(ctx, a, b.clk.NewTimer(b.window))
	}
	a.parts = append(a.parts, m)
	a.deadline = b.clk.Now().Add(b.window)
	if len(a.parts) >= b.maxParts {
		out = append(out, b.removeLocked(a))
	}
	b.mu.Unlock()
	b.deliverAll(ctx, out)
}

// wait delivers a once its window has passed (the window restarts with every part).
// When ctx ends first, the album stays for close, which delivers it with a live
// context.
func (b *albums) wait(ctx context.Context, a *album, t clock.Timer) {
	defer b.wg.Done()
	for {
		select {
		case <-t.C():
		case <-a.done:
			t.Stop()
			return
		case <-ctx.Done():
			t.Stop()
			return
		}
		b.order.Lock()
		b.mu.Lock()
		if b.pending[a.key] != a || ctx.Err() != nil {
			b.mu.Unlock()
			b.order.Unlock()
			return
		}
		if b.clk.Now().Before(a.deadline) {
			t = clock.NewTimerAt(b.clk, a.deadline)
			b.mu.Unlock()
			b.order.Unlock()
			continue
		}
		parts := b.removeLocked(a)
		b.mu.Unlock()
		b.deliver(ctx, parts)
		b.order.Unlock()
		return
	}
}

// close delivers every collecting album with ctx (shutdown loses none) and waits for
// the window goroutines. The poll loop must have ended: nothing adds after close.
func (b *albums) close(ctx context.Context) {
	b.order.Lock()
	b.mu.Lock()
	all := b.takeLocked(func(*album) bool { return true })
	b.mu.Unlock()
	b.deliverAll(ctx, all)
	b.order.Unlock()
	b.wg.Wait()
}

// takeLocked removes the albums match selects, oldest first.
func (b *albums) takeLocked(match func(*album) bool) [][]*telego.Message {
	var sel []*album
	for _, a := range b.pending {
		if match(a) {
			sel = append(sel, a)
		}
	}
	slices.SortFunc(sel, func(x, y *album) int { return cmp.Compare(x.seq, y.seq) })
	out := make([][]*telego.Message, 0, len(sel))
	for _, a := range sel {
		out = append(out, b.removeLocked(a))
	}
	return out
}

func (b *albums) removeLocked(a *album) []*telego.Message {
	delete(b.pending, a.key)
	close(a.done)
	return a.parts
}

func (b *albums) deliverAll(ctx context.Context, groups [][]*telego.Message) {
	for _, parts := range groups {
		b.deliver(ctx, parts)
	}
}

// albumPlaceholder is the body of a caption-less album (the original's "<media:image>
// (3 images)"); a lone file gets its own placeholder.
func albumPlaceholder(media []*providers.InboundMedia) string {
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
