package whatsapp

import (
	"sync"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"
)

// MaxQuotable bounds the received messages a provider remembers so that a reply can
// quote them (providers.Outbound.ReplyTo): the oldest are forgotten first. A reply
// naming a forgotten (or never seen) message goes out unquoted.
const MaxQuotable = 512

// quotable is what a quote needs of a received message: WhatsApp shows a quote from
// the message's id, its author (participant) and a copy of its content.
type quotable struct {
	chat    string // the chat it was received in (non-AD JID)
	sender  types.JID
	content *waE2E.Message
}

// quoteCache remembers the last MaxQuotable received messages by id.
type quoteCache struct {
	mu    sync.Mutex
	max   int
	byID  map[string]quotable
	order []string // ids, oldest first
}

func newQuoteCache(max int) *quoteCache {
	return &quoteCache{max: max, byID: map[string]quotable{}}
}

func (c *quoteCache) put(id string, q quotable) {
	if id == "" || q.content == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byID[id]; !ok {
		c.order = append(c.order, id)
	}
	c.byID[id] = q
	for len(c.order) > c.max {
		delete(c.byID, c.order[0])
		c.order = c.order[1:]
	}
}

// contextFor is the quote of message id for a send to chat (nil when the message is
// unknown or was received in another chat).
func (c *quoteCache) contextFor(id string, chat types.JID) *waE2E.ContextInfo {
	if id == "" {
		return nil
	}
	c.mu.Lock()
	q, ok := c.byID[id]
	c.mu.Unlock()
	if !ok || q.chat != chat.ToNonAD().String() {
		return nil
	}
	return &waE2E.ContextInfo{
		StanzaID:      proto.String(id),
		Participant:   proto.String(q.sender.ToNonAD().String()),
		QuotedMessage: proto.Clone(q.content).(*waE2E.Message),
	}
}

// withQuote puts ci on msg: a plain text becomes an extended text (the kind that
// carries context), a media message takes it on its own context info.
func withQuote(msg *waE2E.Message, ci *waE2E.ContextInfo) *waE2E.Message {
	if ci == nil || msg == nil {
		return msg
	}
	switch {
	case msg.Conversation != nil:
		return &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: msg.Conversation, ContextInfo: ci}}
	case msg.ExtendedTextMessage != nil:
		msg.ExtendedTextMessage.ContextInfo = ci
	case msg.ImageMessage != nil:
		msg.ImageMessage.ContextInfo = ci
	case msg.VideoMessage != nil:
		msg.VideoMessage.ContextInfo = ci
	case msg.AudioMessage != nil:
		msg.AudioMessage.ContextInfo = ci
	case msg.DocumentMessage != nil:
		msg.DocumentMessage.ContextInfo = ci
	case msg.StickerMessage != nil:
		msg.StickerMessage.ContextInfo = ci
	}
	return msg
}
