package telegram

import (
	"cmp"
	"context"
	"strings"
	"time"

	"github.com/mymmrac/telego"

	"github.com/clawgate/gateway/server/agent/commands"
	"github.com/clawgate/gateway/server/providers/debounce"
)

// Inbound debounce (messages.inbound.debounceMs, byChannel.telegram). A sender's
// quick consecutive texts in one chat (and forum topic) are held for the window and
// go on as one message, their texts joined with newlines, as the original does:
// the first text's message (sender, reply-to) with the last one's id and time.
// Media, albums, empty texts and control commands are not held; they go on alone, after
// the sender's held texts. The window sits after the album buffer and before the
// access rules, so pairing, allowlists and mention gating judge the combined
// message once (the original gates DMs and mentions after its debouncer too).

// debounceKey is a sender in a chat and forum topic (0: none).
type debounceKey struct{ chat, thread, sender int64 }

// debouncer is the running poller's debounce buffer; its items are what the album
// buffer delivers (a lone message, or an album's parts).
type debouncer struct {
	p *Provider
	b *debounce.Buffer[debounceKey, []*telego.Message]
}

// newDebouncer opens the running poller's buffer in the provider's slot, with the
// window in force.
func (p *Provider) newDebouncer() *debouncer {
	d := &debouncer{p: p}
	d.b = p.debounce.Open(debounce.Config[[]*telego.Message]{Clock: p.cfg.Clock,
		MaxParts: p.cfg.DebounceMaxParts, MaxPending: p.cfg.DebounceMaxPending, Deliver: d.deliver})
	return d
}

// SetDebounce changes the debounce window (a config reload); texts arriving from now
// on are held w (0: off).
func (p *Provider) SetDebounce(w time.Duration) { p.debounce.SetWindow(w) }

// route takes what the album buffer delivers: a lone plain text may be held, anything
// else goes on after the sender's held texts.
func (d *debouncer) route(ctx context.Context, parts []*telego.Message) {
	m := parts[0]
	key := debounceKey{chat: m.Chat.ID, sender: m.From.ID}
	if m.Chat.IsForum {
		key.thread = int64(m.MessageThreadID)
	}
	if len(parts) == 1 && d.p.debounceable(m) {
		d.b.Add(ctx, key, parts)
		return
	}
	d.b.Pass(ctx, key, parts)
}

// debounceable: a text without media that is not a control command (the original's
// rule: a command is answered at once, not merged into the texts around it).
func (p *Provider) debounceable(m *telego.Message) bool {
	if p.inboundMedia(m) != nil {
		return false
	}
	text := cmp.Or(m.Text, m.Caption)
	if strings.TrimSpace(text) == "" {
		return false
	}
	_, isCmd := commands.Parse(text)
	return !isCmd
}

// deliver hands a lone message or album on, or combines a burst of held texts.
func (d *debouncer) deliver(ctx context.Context, items [][]*telego.Message) {
	if len(items) == 1 {
		d.p.deliver(ctx, items[0])
		return
	}
	burst := make([]*telego.Message, 0, len(items))
	texts := make([]string, 0, len(items))
	for _, it := range items {
		burst = append(burst, it[0])
		texts = append(texts, cmp.Or(it[0].Text, it[0].Caption))
	}
	first := *burst[0]
	first.Text, first.Caption = debounce.Join(texts), ""
	first.Entities, first.CaptionEntities = nil, nil // offsets of the first text only
	d.p.emit(ctx, &first, first.Text, nil, burst)
}
