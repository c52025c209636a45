package whatsapp

import (
	"fmt"
	"strings"
	"testing"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"github.com/clawgate/gateway/server/providers"
)

// TestReplyQuotesMessage: a reply whose ReplyTo names a received message goes out as
// an extended text quoting it (stanza id, author, content) on its first chunk only;
// a reply naming an unknown message, or one from another chat, goes out unquoted.
func TestReplyQuotesMessage(t *testing.T) {
	in := &inbox{}
	p, fs := linkedProvider(t, Config{AllowFrom: []string{"+15551112222", "+15553334444"}, Inbound: in, ChunkLimit: 10})
	c := fs.last()
	alice := types.NewJID("15551112222", types.DefaultUserServer)
	bob := types.NewJID("15553334444", types.DefaultUserServer)
	recv := func(from types.JID, id, text string) {
		e := &events.Message{Message: &waE2E.Message{Conversation: proto.String(text)}}
		e.Info.Sender, e.Info.Chat, e.Info.ID = from, from, id
		c.emit(e)
	}
	recv(alice, "IN-1", "what time is it?")
	recv(bob, "IN-2", "hello")
	waitFor(t, "both inbound", func() bool { in.mu.Lock(); defer in.mu.Unlock(); return len(in.got) == 2 })

	if _, err := p.Send(t.Context(), providers.Outbound{To: "+15551112222", Text: "noon today, friend", ReplyTo: "IN-1"}); err != nil {
		t.Fatal(err)
	}
	sent := c.sentMsgs()
	if len(sent) < 2 {
		t.Fatalf("sent %d messages, want several chunks", len(sent))
	}
	ext := sent[0].msg.GetExtendedTextMessage()
	ci := ext.GetContextInfo()
	if ext == nil || ci.GetStanzaID() != "IN-1" || ci.GetParticipant() != alice.String() || ci.GetQuotedMessage().GetConversation() != "what time is it?" {
		t.Fatalf("first chunk %v: want a quote of IN-1", sent[0].msg)
	}
	if !strings.HasPrefix(ext.GetText(), "noon") || sent[1].msg.GetExtendedTextMessage() != nil || sent[1].msg.GetConversation() == "" {
		t.Fatalf("chunks %v / %v: only the first quotes", sent[0].msg, sent[1].msg)
	}

	for i, tc := range []struct{ to, id string }{
		{"+15551112222", "NOPE"}, // never seen
		{"+15551112222", "IN-2"}, // seen in Bob's chat, not Alice's
		{"+15551112222", ""},     // no reply tag
	} {
		before := len(c.sentMsgs())
		if _, err := p.Send(t.Context(), providers.Outbound{To: tc.to, Text: fmt.Sprint("r", i), ReplyTo: tc.id}); err != nil {
			t.Fatal(err)
		}
		got := c.sentMsgs()[before]
		if got.msg.GetConversation() != fmt.Sprint("r", i) || got.msg.GetExtendedTextMessage() != nil {
			t.Fatalf("ReplyTo %q: sent %v, want a plain unquoted text", tc.id, got.msg)
		}
	}
}

// TestQuoteCacheBounded: the cache keeps the newest MaxQuotable-style bound.
func TestQuoteCacheBounded(t *testing.T) {
	c := newQuoteCache(3)
	chat := types.NewJID("1", types.DefaultUserServer)
	for i := range 5 {
		c.put(fmt.Sprint(i), quotable{chat: chat.String(), sender: chat, content: &waE2E.Message{Conversation: proto.String("x")}})
	}
	for i := range 5 {
		if got := c.contextFor(fmt.Sprint(i), chat) != nil; got != (i >= 2) {
			t.Errorf("message %d remembered = %v", i, got)
		}
	}
	if len(c.byID) != 3 || len(c.order) != 3 {
		t.Fatalf("cache holds %d/%d", len(c.byID), len(c.order))
	}
}
