package whatsapp

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"github.com/clawgate/gateway/server/access"
	"github.com/clawgate/gateway/server/pairing"
	"github.com/clawgate/gateway/server/providers"
)

// BuildReaction builds what whatsmeow builds: the key names the sender's message
// (fromMe when the sender is the linked account, else the participant in groups).
func (c *fakeClient) BuildReaction(chat, sender types.JID, id types.MessageID, reaction string) *waE2E.Message {
	fromMe := sender.User == c.OwnJID().User
	key := &waCommon.MessageKey{RemoteJID: proto.String(chat.String()), ID: proto.String(id), FromMe: proto.Bool(fromMe)}
	if !fromMe && chat.Server == types.GroupServer {
		key.Participant = proto.String(sender.ToNonAD().String())
	}
	return &waE2E.Message{ReactionMessage: &waE2E.ReactionMessage{Key: key, Text: proto.String(reaction)}}
}

func (c *fakeClient) MarkRead(_ context.Context, ids []types.MessageID, _ time.Time, chat, sender types.JID) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reads = append(c.reads, chat.String()+" "+sender.String()+" "+strings.Join(ids, ","))
	return nil
}

func (c *fakeClient) readReceipts() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.reads...)
}

// reactions are the reaction messages sent: "<chat> <message id> <emoji>".
func reactions(c *fakeClient) []string {
	var out []string
	for _, s := range c.sentMsgs() {
		if r := s.msg.GetReactionMessage(); r != nil {
			out = append(out, s.to.String()+" "+r.GetKey().GetID()+" "+r.GetText())
		}
	}
	return out
}

// Admitted messages are marked read and acked per channels.whatsapp.ackReaction
// before they reach the agent; an unapproved sender under dmPolicy pairing gets the
// pairing code and neither; the self-chat gets no read receipt.
func TestAckAndReadReceipts(t *testing.T) {
	ann := types.NewJID("15551112222", types.DefaultUserServer)
	stranger := types.NewJID("15553334444", types.DefaultUserServer)
	self := types.NewJID("15550000000", types.DefaultUserServer)
	group := types.NewJID("120363000000000001", types.GroupServer)
	dm := func(from types.JID, id string) *events.Message {
		e := &events.Message{Message: &waE2E.Message{Conversation: proto.String("hi")}}
		e.Info.Sender, e.Info.Chat, e.Info.ID, e.Info.IsFromMe = from, from, id, from == self
		return e
	}
	grp := func(from types.JID, id string, mention bool) *events.Message {
		ci := &waE2E.ContextInfo{}
		if mention {
			ci.MentionedJID = []string{self.String()}
		}
		e := &events.Message{Message: &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: proto.String("hey"), ContextInfo: ci}}}
		e.Info.Sender, e.Info.Chat, e.Info.IsGroup, e.Info.ID = from, group, true, id
		return e
	}
	tests := []struct {
		name      string
		ack       AckConfig
		evt       *events.Message
		delivered bool
		reads     []string
		reacts    []string
	}{
		{"approved DM: read and acked", AckConfig{Emoji: "👀", Direct: true, ReadReceipts: true}, dm(ann, "D1"), true,
			[]string{ann.String() + " " + ann.String() + " D1"}, []string{ann.String() + " D1 👀"}},
		{"direct off: read only", AckConfig{Emoji: "👀", ReadReceipts: true}, dm(ann, "D2"), true,
			[]string{ann.String() + " " + ann.String() + " D2"}, nil},
		{"receipts off, no emoji: nothing", AckConfig{Direct: true}, dm(ann, "D3"), true, nil, nil},
		{"unapproved sender: neither", AckConfig{Emoji: "👀", Direct: true, ReadReceipts: true}, dm(stranger, "D4"), false, nil, nil},
		{"self-chat: no receipt", AckConfig{ReadReceipts: true}, dm(self, "D5"), true, nil, nil},
		{"group mention acked", AckConfig{Emoji: "✅", ReadReceipts: true}, grp(ann, "G1", true), true,
			[]string{group.String() + " " + ann.String() + " G1"}, []string{group.String() + " G1 ✅"}},
		{"group never", AckConfig{Emoji: "✅", GroupMode: providers.AckModeNever}, grp(ann, "G2", true), true, nil, nil},
		{"group without mention: not admitted, nothing", AckConfig{Emoji: "✅", GroupMode: providers.AckModeAlways, ReadReceipts: true},
			grp(ann, "G3", false), false, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := pairing.New(pairing.Options{Dir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			in := &inbox{}
			ac := access.Config{Account: access.Account{DMPolicy: access.DMPairing, AllowFrom: []string{"+15551112222"},
				GroupPolicy: access.GroupOpen}}
			_, fs := linkedProvider(t, Config{Inbound: in, Access: &ac, Pairing: st, Ack: tt.ack})
			c := fs.last()
			c.emit(tt.evt)
			in.mu.Lock()
			n := len(in.got)
			in.mu.Unlock()
			if (n == 1) != tt.delivered {
				t.Fatalf("delivered %d, want %v", n, tt.delivered)
			}
			if got := c.readReceipts(); strings.Join(got, "|") != strings.Join(tt.reads, "|") {
				t.Fatalf("read receipts %q, want %q", got, tt.reads)
			}
			if got := reactions(c); strings.Join(got, "|") != strings.Join(tt.reacts, "|") {
				t.Fatalf("reactions %q, want %q", got, tt.reacts)
			}
			if tt.evt.Info.Sender == stranger {
				if s := c.sentMsgs(); len(s) != 1 || !strings.Contains(s[0].msg.GetConversation(), "Pairing code") {
					t.Fatalf("stranger: sent %+v", s)
				}
			}
		})
	}
}

// SetAck (a config reload) applies to the next message: a new emoji, receipts off.
func TestSetAckAppliesToNextMessage(t *testing.T) {
	ann := types.NewJID("15551112222", types.DefaultUserServer)
	dm := func(id string) *events.Message {
		e := &events.Message{Message: &waE2E.Message{Conversation: proto.String("hi")}}
		e.Info.Sender, e.Info.Chat, e.Info.ID = ann, ann, id
		return e
	}
	ac := access.Config{Account: access.Account{DMPolicy: access.DMOpen, AllowFrom: []string{"*"}}}
	p, fs := linkedProvider(t, Config{Inbound: &inbox{}, Access: &ac, Ack: AckConfig{Emoji: "👀", Direct: true, ReadReceipts: true}})
	c := fs.last()
	c.emit(dm("M1"))
	p.SetAck(AckConfig{Emoji: "🔥", Direct: true})
	c.emit(dm("M2"))
	if got, want := reactions(c), []string{ann.String() + " M1 👀", ann.String() + " M2 🔥"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("reactions %q, want %q", got, want)
	}
	if got := c.readReceipts(); len(got) != 1 || !strings.HasSuffix(got[0], " M1") {
		t.Fatalf("read receipts %q: want M1's only", got)
	}
}
