package whatsapp

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"github.com/clawgate/gateway/server/media"
	"github.com/clawgate/gateway/server/providers"
)

// TestInboundMedia: received media goes through the client's Download (the fake's
// interface; the real one is whatsmeow's decrypting download) only for admitted
// senders: a photo reaches the agent as an image part with its caption, a voice note
// without a transcription endpoint as the "not configured" placeholder, a stranger's
// photo is never downloaded, and a file declared over mediaMaxMb is refused with a
// reply and never downloaded or delivered.
func TestInboundMedia(t *testing.T) {
	in := &inbox{}
	dir := t.TempDir()
	st, err := media.New(media.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	_, fs := linkedProvider(t, Config{AllowFrom: []string{"+1 555 111 2222"}, Inbound: in, MediaStore: st, MediaMaxMB: 1})
	c := fs.last()
	voice := append([]byte("OggS\x00\x02"), bytes.Repeat([]byte{1}, 100)...)
	c.mu.Lock()
	c.media = map[string][]byte{"/photo": pngBytes, "/voice": voice, "/big": bytes.Repeat([]byte("x"), 10)}
	c.mu.Unlock()
	msg := func(from, id string, m *waE2E.Message) *events.Message {
		jid := types.NewJID(from, types.DefaultUserServer)
		e := &events.Message{Message: m}
		e.Info.Sender, e.Info.Chat, e.Info.ID = jid, jid, id
		return e
	}
	photo := &waE2E.Message{ImageMessage: &waE2E.ImageMessage{DirectPath: proto.String("/photo"), Mimetype: proto.String("image/jpeg"),
		Caption: proto.String("look"), FileLength: proto.Uint64(uint64(len(pngBytes)))}}
	c.emit(msg("15559999999", "S1", photo)) // a stranger: nothing downloaded
	c.mu.Lock()
	n := c.downloads
	c.mu.Unlock()
	if n != 0 {
		t.Fatalf("a stranger's media was downloaded (%d)", n)
	}
	c.emit(msg("15551112222", "P1", photo))
	c.emit(msg("15551112222", "V1", &waE2E.Message{AudioMessage: &waE2E.AudioMessage{DirectPath: proto.String("/voice"), PTT: proto.Bool(true),
		Mimetype: proto.String("audio/ogg; codecs=opus"), FileLength: proto.Uint64(uint64(len(voice)))}}))
	c.emit(msg("15551112222", "D1", &waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{DirectPath: proto.String("/big"),
		FileName: proto.String("big.bin"), FileLength: proto.Uint64(5 << 20)}}))

	in.mu.Lock()
	got := append([]providers.Message(nil), in.got...)
	in.mu.Unlock()
	if len(got) != 2 {
		t.Fatalf("delivered %d messages: %+v", len(got), got)
	}
	if m := got[0]; m.Text != "look" || len(m.Images) != 1 || m.Images[0].MimeType != "image/png" || m.Images[0].Data != base64.StdEncoding.EncodeToString(pngBytes) || m.Media != nil {
		t.Fatalf("photo message: text %q images %d", m.Text, len(m.Images))
	}
	if m := got[1]; m.Text != providers.NoTranscription || len(m.Images) != 0 {
		t.Fatalf("voice note: %q", m.Text)
	}
	c.mu.Lock()
	downloads := c.downloads
	c.mu.Unlock()
	if downloads != 2 {
		t.Fatalf("downloads: %d, want 2 (photo, voice; not the stranger's, not the oversize file)", downloads)
	}
	sent := c.sentMsgs()
	if len(sent) != 1 || !strings.Contains(sent[0].msg.GetConversation(), "too large") || sent[0].to.User != "15551112222" {
		t.Fatalf("refusal reply: %+v", sent)
	}
	ents, _ := os.ReadDir(filepath.Join(dir, "inbound"))
	if len(ents) != 2 {
		t.Fatalf("stored files: %d", len(ents))
	}
}
