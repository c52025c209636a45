package telegram

import (
	"context"
	"time"

	"github.com/mymmrac/telego"

	"github.com/clawgate/gateway/server/clock"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/providers/album"
)

// Albums. Telegram delivers each item of an album (a media group: photos, videos or
// documents sent together) as its own message, all with the same media_group_id and
// the caption on one of them. Handled one by one, an album of three photos would run
// the agent three times and get three answers; instead the parts are collected for a
// short window (package album) and go on as one inbound message carrying every file
// and the caption.
const (
	// DefaultAlbumWindow is how long an album collects parts after its latest one (the
	// original's 500 ms; it has no config key, so neither do we).
	DefaultAlbumWindow = album.DefaultWindow
	// DefaultAlbumMaxParts bounds one album (Telegram's own media groups hold at most
	// 10 items). An album that reaches it goes on at once; later parts with its id
	// start a new one.
	DefaultAlbumMaxParts = 10
	// DefaultAlbumMaxPending bounds how many albums collect at once (across chats);
	// one more sends the oldest on at once rather than dropping anything.
	DefaultAlbumMaxPending = album.DefaultMaxPending
)

// albumKey is one media group in one chat.
type albumKey struct {
	chat  int64
	group string
}

// albumOwner is a sender in a chat: their next ordinary message there sends their
// collecting albums on first.
type albumOwner struct{ chat, sender int64 }

// albums is the poller's album buffer. The poll loop calls add and single; close runs
// once the poll loop has ended.
type albums struct {
	b *album.Buffer[albumKey, albumOwner, *telego.Message]
}

func newAlbums(clk clock.Clock, window time.Duration, maxParts, maxPending int, deliver func(context.Context, []*telego.Message)) *albums {
	return &albums{b: album.New[albumKey, albumOwner](album.Config[*telego.Message]{
		Clock: clk, Window: window, MaxParts: maxParts, MaxPending: maxPending, Deliver: deliver})}
}

// single delivers a message that is not part of an album, after any album its sender
// has collecting in the same chat.
func (a *albums) single(ctx context.Context, m *telego.Message) {
	a.b.Single(ctx, albumOwner{m.Chat.ID, m.From.ID}, m)
}

// add buffers an album part.
func (a *albums) add(ctx context.Context, m *telego.Message) {
	a.b.Add(ctx, albumKey{chat: m.Chat.ID, group: m.MediaGroupID}, albumOwner{m.Chat.ID, m.From.ID}, m)
}

// close delivers every collecting album with ctx and waits for the window goroutines.
func (a *albums) close(ctx context.Context) { a.b.Close(ctx) }

// albumPlaceholder is the body of a caption-less album.
func albumPlaceholder(media []*providers.InboundMedia) string { return album.Placeholder(media) }
