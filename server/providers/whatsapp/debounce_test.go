package whatsapp

import (
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"github.com/clawgate/gateway/server/access"
)

const waDebounce = 2 * time.Second

// TestDebounceCombinesTexts: three quick texts from one sender reach the agent as one
// message after the window, joined with newlines, as the last one (its id), with one
// read receipt naming all three; another sender's text is its own message.
func TestDebounceCombinesTexts(t *testing.T) {
	r := newWAAlbumRig(t, Config{Debounce: waDebounce})
	bob := types.NewJID("15553334444", types.DefaultUserServer)
	r.emit(annJID, "T1", text("hey"))
	r.emit(annJID, "T2", text("quick question"))
	r.emit(bob, "B1", text("hello from Bob"))
	r.clk.Advance(time.Second)
	r.emit(annJID, "T3", &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: proto.String("what's the weather?")}})
	r.none(t, "inside the windows")
	r.clk.Advance(time.Second) // Bob's window ends; Ann's restarted at T3
	got := r.wait(t, 1)
	if got[0].Text != "hello from Bob" {
		t.Fatalf("Bob: %q", got[0].Text)
	}
	r.clk.Advance(time.Second)
	got = r.wait(t, 2)
	m := got[1]
	if m.Text != "hey\nquick question\nwhat's the weather?" || m.MessageID != "T3" || m.From != "+15551112222" {
		t.Fatalf("combined: %q id %s from %s", m.Text, m.MessageID, m.From)
	}
	reads := r.c.readReceipts()
	if len(reads) != 2 || !strings.HasSuffix(reads[1], " T1,T2,T3") {
		t.Fatalf("read receipts: %q", reads)
	}
}

// TestDebounceBypass: media, a reply (quoted message) and a control command are not
// held: each sends the sender's held texts on first and goes on alone at once. With
// the window off (the default) every text goes on alone; SetDebounce turns it on.
func TestDebounceBypass(t *testing.T) {
	r := newWAAlbumRig(t, Config{Debounce: waDebounce})
	r.emit(annJID, "T1", text("first"))
	r.emit(annJID, "I1", image("/img1", "look"))
	r.emit(annJID, "T2", text("second"))
	r.emit(annJID, "R1", &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: proto.String("as I said"),
		ContextInfo: &waE2E.ContextInfo{StanzaID: proto.String("OLD"), QuotedMessage: text("old")}}})
	r.emit(annJID, "T3", text("third"))
	r.emit(annJID, "C1", text("/status"))
	got := r.wait(t, 6)
	want := []string{"first", "look", "second", "as I said", "third", "/status"}
	for i, m := range got {
		if m.Text != want[i] {
			t.Fatalf("message %d: %q, want %q", i, m.Text, want[i])
		}
	}

	r.p.SetDebounce(0)
	r.emit(annJID, "T4", text("four"))
	r.emit(annJID, "T5", text("five"))
	r.wait(t, 8)
	r.p.SetDebounce(waDebounce)
	r.emit(annJID, "T6", text("six"))
	r.emit(annJID, "T7", text("seven"))
	r.clk.Advance(waDebounce)
	if got := r.wait(t, 9); got[8].Text != "six\nseven" {
		t.Fatalf("after SetDebounce: %q", got[8].Text)
	}
}

// TestDebounceAccess: the burst is judged once: an unknown sender's texts get one
// pairing reply; in a group that needs a mention, a mention in any text admits the
// burst. Stop delivers what is held; a burst over DebounceMaxParts goes on at once.
func TestDebounceAccess(t *testing.T) {
	t.Run("pairing", func(t *testing.T) {
		r := newWAAlbumRig(t, Config{Access: &access.Config{}, Debounce: waDebounce})
		r.emit(annJID, "T1", text("hi"))
		r.emit(annJID, "T2", text("anyone?"))
		r.clk.Advance(waDebounce)
		waitFor(t, "pairing reply", func() bool { return len(r.c.sentMsgs()) == 1 })
		if err := r.p.Stop(t.Context()); err != nil {
			t.Fatal(err)
		}
		if sent := r.c.sentMsgs(); len(sent) != 1 || !strings.Contains(sent[0].msg.GetConversation(), "Pairing code") {
			t.Fatalf("replies: %+v", sent)
		}
		r.none(t, "unapproved")
	})
	t.Run("mention, limit and stop", func(t *testing.T) {
		r := newWAAlbumRig(t, Config{Access: &access.Config{Account: access.Account{GroupAllowFrom: []string{"+15551112222"}}},
			Debounce: waDebounce, DebounceMaxParts: 3})
		group := types.NewJID("120363000000000001", types.GroupServer)
		emit := func(id, s string, mention bool) {
			x := &waE2E.ExtendedTextMessage{Text: proto.String(s)}
			if mention {
				x.ContextInfo = &waE2E.ContextInfo{MentionedJID: []string{"15550000000@s.whatsapp.net"}}
			}
			e := &events.Message{Message: &waE2E.Message{ExtendedTextMessage: x}}
			e.Info.Sender, e.Info.Chat, e.Info.IsGroup, e.Info.ID = annJID, group, true, id
			r.c.emit(e)
		}
		emit("G1", "@bot so", true)
		emit("G2", "about the trip", false)
		emit("G3", "thoughts?", false) // the third part: the burst goes on at once
		m := r.wait(t, 1)[0]
		if m.Text != "@bot so\nabout the trip\nthoughts?" || m.MessageID != "G3" || !m.Group {
			t.Fatalf("mentioned burst: %q id %s", m.Text, m.MessageID)
		}
		emit("G4", "anyway", false)
		emit("G5", "@bot also this", true)
		if err := r.p.Stop(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := r.wait(t, 2); got[1].Text != "anyway\n@bot also this" {
			t.Fatalf("after Stop: %q", got[1].Text)
		}
	})
}
