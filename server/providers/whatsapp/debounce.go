package whatsapp

import (
	"context"
	"strings"
	"time"

	"github.com/clawgate/gateway/server/agent/commands"
	"github.com/clawgate/gateway/server/providers/debounce"
)

// Inbound debounce (channels.whatsapp.debounceMs, else messages.inbound.byChannel.
// whatsapp, else messages.inbound.debounceMs). A sender's quick consecutive texts in
// one chat are held for the window and go on as one message, their texts joined with
// newlines, as the original does: the last text's message (id, time) carrying every
// text, with a mention in any of them counting. Media, locations, replies (a quoted
// message) and control commands are not held; they go on alone, after the sender's
// held texts in that chat. The window sits after the album buffer and before the
// access rules, which judge the combined message once; its read receipt names every
// text.

// debouncer is the running provider's debounce buffer, keyed by chat and sender; its
// items are what the album buffer delivers (a lone message, or an album's parts).
type debouncer struct {
	p *Provider
	b *debounce.Buffer[albumOwner, []*part]
}

// newDebouncer opens the running provider's buffer in its slot, with the window in
// force.
func (p *Provider) newDebouncer() *debouncer {
	d := &debouncer{p: p}
	d.b = p.debounce.Open(debounce.Config[[]*part]{Clock: p.cfg.Clock,
		MaxParts: p.cfg.DebounceMaxParts, MaxPending: p.cfg.DebounceMaxPending, Deliver: d.deliver})
	return d
}

// SetDebounce changes the debounce window (a config reload); texts arriving from now
// on are held w (0: off).
func (p *Provider) SetDebounce(w time.Duration) { p.debounce.SetWindow(w) }

// route takes what the album buffer delivers: a lone plain text may be held, anything
// else goes on after the sender's held texts.
func (d *debouncer) route(ctx context.Context, parts []*part) {
	e := parts[0].e
	key := albumOwner{chat: e.Info.Chat.ToNonAD().String(), sender: e.Info.Sender.ToNonAD().String()}
	if len(parts) == 1 && d.p.debounceable(parts[0]) {
		d.b.Add(ctx, key, parts)
		return
	}
	d.b.Pass(ctx, key, parts)
}

// debounceable is the original's rule: a text without media, location or quoted
// message that is not a control command.
func (p *Provider) debounceable(x *part) bool {
	c := x.content
	if p.inboundMedia(c) != nil || c.GetAlbumMessage() != nil || c.GetLocationMessage() != nil || c.GetLiveLocationMessage() != nil {
		return false
	}
	if ci := contextInfo(c); ci.GetQuotedMessage() != nil || ci.GetStanzaID() != "" {
		return false
	}
	text := messageText(c)
	if strings.TrimSpace(text) == "" {
		return false
	}
	_, isCmd := commands.Parse(text)
	return !isCmd
}

// deliver hands a lone message or album on, or combines a burst of held texts.
func (d *debouncer) deliver(ctx context.Context, items [][]*part) {
	if len(items) == 1 {
		d.p.deliver(ctx, items[0])
		return
	}
	burst := make([]*part, 0, len(items))
	texts := make([]string, 0, len(items))
	for _, it := range items {
		burst = append(burst, it[0])
		texts = append(texts, messageText(it[0].content))
	}
	d.p.emit(ctx, burst, burst[len(burst)-1], debounce.Join(texts), nil)
}
