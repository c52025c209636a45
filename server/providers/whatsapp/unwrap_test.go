package whatsapp

import (
	"encoding/base64"
	"strings"
	"testing"

	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"github.com/clawgate/gateway/server/access"
	"github.com/clawgate/gateway/server/media"
	"github.com/clawgate/gateway/server/pairing"
	"github.com/clawgate/gateway/server/providers"
)

// Envelopes as WhatsApp clients send them (waE2E field names).
func fp(m *waE2E.Message) *waE2E.FutureProofMessage { return &waE2E.FutureProofMessage{Message: m} }

func ephemeral(m *waE2E.Message) *waE2E.Message { return &waE2E.Message{EphemeralMessage: fp(m)} }
func viewOnce(m *waE2E.Message) *waE2E.Message  { return &waE2E.Message{ViewOnceMessage: fp(m)} }
func viewOnceV2(m *waE2E.Message) *waE2E.Message {
	return &waE2E.Message{ViewOnceMessageV2: fp(m)}
}
func viewOnceV2Ext(m *waE2E.Message) *waE2E.Message {
	return &waE2E.Message{ViewOnceMessageV2Extension: fp(m)}
}
func docWithCaption(m *waE2E.Message) *waE2E.Message {
	return &waE2E.Message{DocumentWithCaptionMessage: fp(m)}
}
func botInvoke(m *waE2E.Message) *waE2E.Message    { return &waE2E.Message{BotInvokeMessage: fp(m)} }
func botForwarded(m *waE2E.Message) *waE2E.Message { return &waE2E.Message{BotForwardedMessage: fp(m)} }
func lottie(m *waE2E.Message) *waE2E.Message       { return &waE2E.Message{LottieStickerMessage: fp(m)} }
func groupMentioned(m *waE2E.Message) *waE2E.Message {
	return &waE2E.Message{GroupMentionedMessage: fp(m)}
}
func deviceSent(m *waE2E.Message) *waE2E.Message {
	return &waE2E.Message{DeviceSentMessage: &waE2E.DeviceSentMessage{Message: m}}
}

// child wraps m as an associated child of parent with the given association, the
// association in the envelope's messageContextInfo (where WhatsApp puts it).
func child(kind waE2E.MessageAssociation_AssociationType, parent string, index int32, m *waE2E.Message) *waE2E.Message {
	return &waE2E.Message{
		MessageContextInfo: &waE2E.MessageContextInfo{MessageAssociation: &waE2E.MessageAssociation{
			AssociationType: kind.Enum(), ParentMessageKey: &waCommon.MessageKey{ID: proto.String(parent)}, MessageIndex: proto.Int32(index)}},
		AssociatedChildMessage: fp(m),
	}
}

func text(s string) *waE2E.Message { return &waE2E.Message{Conversation: proto.String(s)} }

func image(path, caption string) *waE2E.Message {
	x := &waE2E.ImageMessage{DirectPath: proto.String(path), Mimetype: proto.String("image/jpeg"), FileLength: proto.Uint64(uint64(len(pngBytes)))}
	if caption != "" {
		x.Caption = proto.String(caption)
	}
	return &waE2E.Message{ImageMessage: x}
}

// TestEnvelopesAreReadThrough: a message inside any envelope, whatever the order and
// nesting (whatsmeow opens some once, in a fixed order, and never associatedChild,
// groupMentioned or botForwarded), reaches the agent with its text, caption and file;
// content nested deeper than MaxWrapDepth is not read; an HD copy or the video half of
// a motion photo (a repeat of a delivered message) is not delivered again.
func TestEnvelopesAreReadThrough(t *testing.T) {
	nest := func(n int, m *waE2E.Message) *waE2E.Message {
		for range n {
			m = ephemeral(m)
		}
		return m
	}
	doc := &waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{DirectPath: proto.String("/doc"), FileName: proto.String("notes.txt"),
		Mimetype: proto.String("text/plain"), Caption: proto.String("see notes"), FileLength: proto.Uint64(5)}}
	cases := []struct {
		name   string
		msg    *waE2E.Message
		text   string // "" = nothing delivered
		images int
	}{
		{"plain", text("hi"), "hi", 0},
		{"ephemeral", ephemeral(text("eph")), "eph", 0},
		{"view once photo", viewOnce(image("/p", "once")), "once", 1},
		{"view once v2 photo", viewOnceV2(image("/p", "v2")), "v2", 1},
		{"view once v2 extension", viewOnceV2Ext(image("/p", "")), providers.MediaPlaceholder("photo"), 1},
		{"document with caption", docWithCaption(doc), "see notes", 0},
		{"bot invoke", botInvoke(text("bot")), "bot", 0},
		{"bot forwarded", botForwarded(text("fwd")), "fwd", 0},
		{"lottie sticker", lottie(&waE2E.Message{StickerMessage: &waE2E.StickerMessage{DirectPath: proto.String("/p"), Mimetype: proto.String("image/webp")}}),
			providers.MediaPlaceholder("sticker"), 1},
		{"group mentioned", groupMentioned(text("all")), "all", 0},
		{"device sent", deviceSent(text("from my phone")), "from my phone", 0},
		{"associated child", child(waE2E.MessageAssociation_UNKNOWN, "X", 0, image("/p", "child")), "child", 1},
		{"ephemeral inside view once (whatsmeow opens ephemeral first)", viewOnceV2(ephemeral(image("/p", "inner"))), "inner", 1},
		{"child inside ephemeral", ephemeral(child(waE2E.MessageAssociation_UNKNOWN, "X", 0, ephemeral(text("deep")))), "deep", 0},
		{"at the depth bound", nest(MaxWrapDepth, text("deepest")), "deepest", 0},
		{"past the depth bound", nest(MaxWrapDepth+1, text("too deep")), "", 0},
		{"hd copy", child(waE2E.MessageAssociation_HD_IMAGE_DUAL_UPLOAD, "P", 0, image("/p", "hd")), "", 0},
		{"hd video copy", ephemeral(child(waE2E.MessageAssociation_HD_VIDEO_DUAL_UPLOAD, "P", 0, text("hd video"))), "", 0},
		{"motion photo video", child(waE2E.MessageAssociation_MOTION_PHOTO, "P", 0, text("motion")), "", 0},
		{"an edit is not a new message", &waE2E.Message{EditedMessage: fp(&waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{
			Type: waE2E.ProtocolMessage_MESSAGE_EDIT.Enum(), EditedMessage: text("edited")}})}, "", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := &inbox{}
			st, err := media.New(media.Options{Dir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			_, fs := linkedProvider(t, Config{AllowFrom: []string{"+15551112222"}, Inbound: in, MediaStore: st})
			c := fs.last()
			c.mu.Lock()
			c.media = map[string][]byte{"/p": pngBytes, "/doc": []byte("notes")}
			c.mu.Unlock()
			jid := types.NewJID("15551112222", types.DefaultUserServer)
			e := &events.Message{Message: tc.msg}
			e.Info.Sender, e.Info.Chat, e.Info.ID = jid, jid, "M1"
			c.emit(e)
			in.mu.Lock()
			got := append([]providers.Message(nil), in.got...)
			in.mu.Unlock()
			if tc.text == "" {
				if len(got) != 0 {
					t.Fatalf("delivered %q", got[0].Text)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("delivered %d messages", len(got))
			}
			if m := got[0]; m.Text != tc.text && !(tc.name == "document with caption" && strings.HasPrefix(m.Text, tc.text)) {
				t.Fatalf("text %q, want %q", m.Text, tc.text)
			}
			if n := len(got[0].Images); n != tc.images {
				t.Fatalf("images %d, want %d", n, tc.images)
			}
			if tc.images > 0 && got[0].Images[0].Data != base64.StdEncoding.EncodeToString(pngBytes) {
				t.Fatal("image data differs")
			}
		})
	}
}

// TestMentionThroughEnvelope: in a group under mention gating, a mention of the linked
// account inside groupMentionedMessage or an ephemeral caption counts, as does a reply
// to it inside a view-once envelope; the same text without the mention does not.
func TestMentionThroughEnvelope(t *testing.T) {
	in := &inbox{}
	st, err := pairing.New(pairing.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	ac := access.Config{Account: access.Account{GroupAllowFrom: []string{"+15553334444"}}}
	_, fs := linkedProvider(t, Config{Inbound: in, Access: &ac, Pairing: st})
	c := fs.last()
	group := types.NewJID("120363000000000001", types.GroupServer)
	me := "15550000000@s.whatsapp.net"
	ext := func(s string, ci *waE2E.ContextInfo) *waE2E.Message {
		return &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: proto.String(s), ContextInfo: ci}}
	}
	n := 0
	send := func(m *waE2E.Message) {
		n++
		e := &events.Message{Message: m}
		e.Info.Sender, e.Info.Chat, e.Info.IsGroup, e.Info.ID = types.NewJID("15553334444", types.DefaultUserServer), group, true, "G"+string(rune('A'+n))
		c.emit(e)
	}
	send(groupMentioned(ext("no mention", nil)))
	send(groupMentioned(ext("@bot one", &waE2E.ContextInfo{MentionedJID: []string{me}})))
	caption := image("/p", "@bot two")
	caption.ImageMessage.ContextInfo = &waE2E.ContextInfo{MentionedJID: []string{me}}
	send(ephemeral(caption))
	send(viewOnceV2(ext("a reply", &waE2E.ContextInfo{Participant: proto.String(me)})))
	in.mu.Lock()
	defer in.mu.Unlock()
	var texts []string
	for _, m := range in.got {
		texts = append(texts, m.Text)
		if !m.Mentioned { // it picks the reply's default typing mode
			t.Errorf("%q delivered with Mentioned false", m.Text)
		}
	}
	if len(texts) != 3 || !strings.Contains(texts[0], "@bot one") || texts[1] != "@bot two" || texts[2] != "a reply" {
		t.Fatalf("delivered %q", texts)
	}
}
