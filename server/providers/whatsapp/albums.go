package whatsapp

import (
	"cmp"
	"context"
	"slices"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types/events"

	"github.com/clawgate/gateway/server/providers/album"
)

// Albums. WhatsApp sends an album as a parent albumMessage announcing how many
// images and videos follow (expectedImageCount, expectedVideoCount), then each file
// as its own message whose messageContextInfo.messageAssociation (type MEDIA_ALBUM)
// names the parent's id in parentMessageKey. Handled one by one, an album of three
// photos would run the agent three times; instead the children are collected per chat
// and parent (package album) and go on as one inbound message with every file and the
// caption, as soon as the announced count is in or the window after the latest part
// has passed.
const (
	// DefaultAlbumWindow is how long an album waits for its next part (Telegram's
	// 500 ms: the original does not group WhatsApp albums, so has no value of its own).
	DefaultAlbumWindow = album.DefaultWindow
	// DefaultAlbumMaxParts bounds the files of one inbound message (downloads and the
	// model's images). A bigger album goes on in batches of this many, losing nothing.
	DefaultAlbumMaxParts = 30
	// DefaultAlbumMaxPending bounds how many albums collect at once (across chats);
	// one more sends the oldest on at once.
	DefaultAlbumMaxPending = album.DefaultMaxPending
)

// albumKey is one album (its parent's id) in one chat.
type albumKey struct{ chat, parent string }

// albumOwner is a sender in a chat: their next ordinary message there sends their
// collecting album on first.
type albumOwner struct{ chat, sender string }

// part is one received message with its content read through its envelopes.
type part struct {
	e       *events.Message
	content *waE2E.Message
	index   int32 // the child's place in its album (messageAssociation.messageIndex)
}

type albumBuffer = album.Buffer[albumKey, albumOwner, *part]

// newAlbums returns the album buffer, delivering to deliver (the debouncer).
func (p *Provider) newAlbums(deliver func(context.Context, []*part)) *albumBuffer {
	return album.New[albumKey, albumOwner](album.Config[*part]{Clock: p.cfg.Clock, Window: p.cfg.AlbumWindow,
		MaxParts: p.cfg.AlbumMaxParts, MaxPending: p.cfg.AlbumMaxPending, Deliver: deliver})
}

// sortParts puts an album's parent first, then the children by their index (arrival
// order among equals).
func sortParts(parts []*part) []*part {
	parts = slices.Clone(parts)
	slices.SortStableFunc(parts, func(a, b *part) int {
		ap, bp := a.content.GetAlbumMessage() != nil, b.content.GetAlbumMessage() != nil
		if ap != bp {
			if ap {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.index, b.index)
	})
	return parts
}
