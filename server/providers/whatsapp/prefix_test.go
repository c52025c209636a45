package whatsapp

import (
	"testing"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"github.com/clawgate/gateway/server/access"
	"github.com/clawgate/gateway/server/providers"
)

// TestInboundMessagePrefix: the configured messagePrefix rides along as BodyPrefix
// (asked per message, so a reload applies at once), while the text itself stays
// bare for commands and mention patterns.
func TestInboundMessagePrefix(t *testing.T) {
	in := &inbox{}
	prefix := "[wa]"
	var asked []providers.Message
	ac := access.Config{Account: access.Account{DMPolicy: access.DMOpen, AllowFrom: []string{"*"}}}
	_, fs := linkedProvider(t, Config{Inbound: in, Access: &ac, MessagePrefix: func(m providers.Message) string {
		asked = append(asked, m)
		return prefix
	}})
	c := fs.last()
	send := func(id, text string) {
		jid := types.NewJID("15551112222", types.DefaultUserServer)
		e := &events.Message{Message: &waE2E.Message{Conversation: proto.String(text)}}
		e.Info.Sender, e.Info.Chat, e.Info.ID = jid, jid, types.MessageID(id)
		c.emit(e)
	}
	send("A", "hello")
	prefix = ""
	send("B", "again")
	in.mu.Lock()
	defer in.mu.Unlock()
	if len(in.got) != 2 {
		t.Fatalf("delivered %d messages", len(in.got))
	}
	if m := in.got[0]; m.Text != "hello" || m.BodyPrefix != "[wa]" {
		t.Fatalf("first: text %q prefix %q", m.Text, m.BodyPrefix)
	}
	if m := in.got[1]; m.BodyPrefix != "" {
		t.Fatalf("prefix turned off, still %q", m.BodyPrefix)
	}
	if len(asked) != 2 || asked[0].From != "+15551112222" || asked[0].AccountID != "" && asked[0].AccountID != "default" {
		t.Fatalf("asked with %+v", asked)
	}
}
