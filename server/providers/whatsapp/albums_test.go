package whatsapp

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"github.com/clawgate/gateway/server/access"
	"github.com/clawgate/gateway/server/clock"
	"github.com/clawgate/gateway/server/media"
	"github.com/clawgate/gateway/server/pairing"
	"github.com/clawgate/gateway/server/providers"
)

// albumRig is a linked provider with a media store, a fake clock for the album
// window and read receipts on; the fake client serves /img<n> as distinct PNGs.
type albumRig struct {
	p   *Provider
	c   *fakeClient
	clk *clock.Fake
	in  *inbox
}

func albumPNG(n int) []byte {
	return append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{byte(n)}, 64)...)
}

func newWAAlbumRig(t *testing.T, cfg Config) *albumRig {
	t.Helper()
	r := &albumRig{clk: clock.NewFake(time.Date(2026, 1, 24, 12, 0, 0, 0, time.UTC)), in: &inbox{}}
	st, err := media.New(media.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Inbound, cfg.MediaStore, cfg.Clock = r.in, st, r.clk
	cfg.Ack.ReadReceipts = true
	if cfg.Access == nil {
		cfg.Access = &access.Config{Account: access.Account{DMPolicy: access.DMOpen, AllowFrom: []string{"*"}}}
	}
	if cfg.Pairing == nil {
		ps, err := pairing.New(pairing.Options{Dir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Pairing = ps
	}
	var fs *fakeStore
	r.p, fs = linkedProvider(t, cfg)
	r.c = fs.last()
	r.c.mu.Lock()
	r.c.media = map[string][]byte{}
	for i := range 10 {
		r.c.media[fmt.Sprintf("/img%d", i)] = albumPNG(i)
	}
	r.c.mu.Unlock()
	return r
}

var annJID = types.NewJID("15551112222", types.DefaultUserServer)

func (r *albumRig) emit(from types.JID, id string, m *waE2E.Message) {
	e := &events.Message{Message: m}
	e.Info.Sender, e.Info.Chat, e.Info.ID, e.Info.PushName = from, from, id, "Ann"
	r.c.emit(e)
}

// parent sends an albumMessage announcing n images.
func (r *albumRig) parent(from types.JID, id string, n uint32) {
	r.emit(from, id, &waE2E.Message{AlbumMessage: &waE2E.AlbumMessage{ExpectedImageCount: proto.Uint32(n)}})
}

// child sends image n of album parent (index n) as WhatsApp does: the photo in an
// associatedChildMessage whose messageContextInfo points at the parent.
func (r *albumRig) child(from types.JID, id, parent string, n int, caption string) {
	r.emit(from, id, child(waE2E.MessageAssociation_MEDIA_ALBUM, parent, int32(n), image(fmt.Sprintf("/img%d", n), caption)))
}

func (r *albumRig) got() []providers.Message {
	r.in.mu.Lock()
	defer r.in.mu.Unlock()
	return append([]providers.Message(nil), r.in.got...)
}

// wait waits until n messages reached the agent (window deliveries run on the
// buffer's timer goroutine).
func (r *albumRig) wait(t *testing.T, n int) []providers.Message {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d inbound messages", n), func() bool { return len(r.got()) >= n })
	got := r.got()
	if len(got) != n {
		t.Fatalf("%d inbound messages, want %d", len(got), n)
	}
	return got
}

func (r *albumRig) none(t *testing.T, what string) {
	t.Helper()
	if got := r.got(); len(got) != 0 {
		t.Fatalf("%s: %d messages reached the agent early: %q", what, len(got), got[0].Text)
	}
}

func (r *albumRig) downloads() int {
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	return r.c.downloads
}

// checkImages checks m carries images of albumPNG(first...) in order.
func checkImages(t *testing.T, m providers.Message, want ...int) {
	t.Helper()
	if len(m.Images) != len(want) {
		t.Fatalf("%d images, want %d", len(m.Images), len(want))
	}
	for i, n := range want {
		if im := m.Images[i]; im.MimeType != "image/png" || im.Data != base64.StdEncoding.EncodeToString(albumPNG(n)) {
			t.Fatalf("image %d: %s, want picture %d", i, im.MimeType, n)
		}
	}
}

// TestAlbumExpectedCountIsOneInbound: a parent announcing 3 images and its 3 children
// (arriving out of order, the caption on the second) reach the agent as one message as
// soon as the third child is in, without waiting for the window: the caption, the 3
// pictures in album order, the captioned child's id; one read receipt covers the
// parent and every child.
func TestAlbumExpectedCountIsOneInbound(t *testing.T) {
	r := newWAAlbumRig(t, Config{})
	r.parent(annJID, "P1", 3)
	r.child(annJID, "C0", "P1", 0, "")
	// A child may also come without the associatedChildMessage envelope, the
	// association beside the photo.
	plain := image("/img2", "")
	plain.MessageContextInfo = child(waE2E.MessageAssociation_MEDIA_ALBUM, "P1", 2, nil).MessageContextInfo
	r.emit(annJID, "C2", plain)
	r.none(t, "two of three children")
	r.child(annJID, "C1", "P1", 1, "which one is best?")
	got := r.wait(t, 1) // delivered during the emit: the clock never moved
	m := got[0]
	if m.Text != "which one is best?" || m.MessageID != "C1" || m.From != "+15551112222" || m.SenderName != "Ann" {
		t.Fatalf("album: text %q id %s from %s", m.Text, m.MessageID, m.From)
	}
	checkImages(t, m, 0, 1, 2)
	if reads := r.c.readReceipts(); len(reads) != 1 || !strings.HasSuffix(reads[0], " P1,C0,C1,C2") {
		t.Fatalf("read receipts: %q", reads)
	}
	// The window goroutine stops its timer once the album has gone on.
	waitFor(t, "the window timer stopped", func() bool { return r.clk.Pending() == 0 })
}

// TestAlbumWindow: children whose count is not reached (parent announcing more, or
// never seen) go on together once the window after the latest part has passed, not
// before; a caption-less album reads "<media:image> (N images)".
func TestAlbumWindow(t *testing.T) {
	r := newWAAlbumRig(t, Config{})
	r.parent(annJID, "P1", 4)
	for i := range 3 {
		r.child(annJID, fmt.Sprintf("C%d", i), "P1", i, "")
	}
	r.clk.Advance(DefaultAlbumWindow - time.Millisecond)
	r.none(t, "inside the window")
	r.clk.Advance(time.Millisecond)
	m := r.wait(t, 1)[0]
	if m.Text != providers.MediaPlaceholder("photo")+" (3 images)" || m.MessageID != "C0" {
		t.Fatalf("caption-less album: %q id %s", m.Text, m.MessageID)
	}
	checkImages(t, m, 0, 1, 2)

	// Children whose parent never came: grouped by the parent id they name.
	r.child(annJID, "D0", "LOST", 0, "no parent")
	r.child(annJID, "D1", "LOST", 1, "")
	r.clk.Advance(DefaultAlbumWindow)
	got := r.wait(t, 2)
	if got[1].Text != "no parent" {
		t.Fatalf("parentless album: %q", got[1].Text)
	}
	checkImages(t, got[1], 0, 1)
}

// TestAlbumPairingOnce: an unapproved sender's album under dmPolicy pairing gets one
// pairing reply for the whole album; nothing is downloaded, delivered or marked read.
func TestAlbumPairingOnce(t *testing.T) {
	r := newWAAlbumRig(t, Config{Access: &access.Config{}})
	r.parent(annJID, "P1", 3)
	for i := range 3 {
		r.child(annJID, fmt.Sprintf("C%d", i), "P1", i, "")
	}
	sent := r.c.sentMsgs()
	if len(sent) != 1 || !strings.Contains(sent[0].msg.GetConversation(), "Pairing code") || sent[0].to.User != annJID.User {
		t.Fatalf("replies: %d %+v", len(sent), sent)
	}
	r.none(t, "unapproved")
	if n := r.downloads(); n != 0 {
		t.Fatalf("downloads: %d", n)
	}
	if reads := r.c.readReceipts(); len(reads) != 0 {
		t.Fatalf("read receipts: %q", reads)
	}
}

// TestAlbumGroupMentionOnce: in a group with mention gating, an album whose caption
// mentions the linked account is delivered once; one without a mention is not.
func TestAlbumGroupMentionOnce(t *testing.T) {
	r := newWAAlbumRig(t, Config{Access: &access.Config{Account: access.Account{GroupAllowFrom: []string{"+15551112222"}}}})
	group := types.NewJID("120363000000000001", types.GroupServer)
	emit := func(id string, m *waE2E.Message) {
		e := &events.Message{Message: m}
		e.Info.Sender, e.Info.Chat, e.Info.IsGroup, e.Info.ID = annJID, group, true, id
		r.c.emit(e)
	}
	albumOf := func(parent, caption string, mention bool) {
		emit(parent, &waE2E.Message{AlbumMessage: &waE2E.AlbumMessage{ExpectedImageCount: proto.Uint32(2)}})
		for i := range 2 {
			img := image(fmt.Sprintf("/img%d", i), "")
			if i == 1 {
				img.ImageMessage.Caption = proto.String(caption)
				if mention {
					img.ImageMessage.ContextInfo = &waE2E.ContextInfo{MentionedJID: []string{"15550000000@s.whatsapp.net"}}
				}
			}
			emit(fmt.Sprintf("%s-%d", parent, i), child(waE2E.MessageAssociation_MEDIA_ALBUM, parent, int32(i), img))
		}
	}
	albumOf("G1", "just photos", false)
	r.none(t, "no mention")
	albumOf("G2", "@bot look", true)
	m := r.wait(t, 1)[0]
	if !strings.Contains(m.Text, "@bot look") || m.MessageID != "G2-1" || !m.Group {
		t.Fatalf("mentioned album: %q id %s", m.Text, m.MessageID)
	}
	checkImages(t, m, 0, 1)
	if n := r.downloads(); n != 2 {
		t.Fatalf("downloads %d, want 2 (the unmentioned album's files are not fetched)", n)
	}
}

// TestAlbumLimits: an album reaching AlbumMaxParts goes on at once and its later
// children start a new one; an album over AlbumMaxPending sends the oldest on at once.
func TestAlbumLimits(t *testing.T) {
	r := newWAAlbumRig(t, Config{AlbumMaxParts: 2, AlbumMaxPending: 1})
	r.parent(annJID, "P1", 3)
	r.child(annJID, "C0", "P1", 0, "first")
	r.child(annJID, "C1", "P1", 1, "")
	got := r.wait(t, 1)
	checkImages(t, got[0], 0, 1)
	r.child(annJID, "C2", "P1", 2, "")
	bob := types.NewJID("15553334444", types.DefaultUserServer)
	r.child(bob, "B0", "Q1", 3, "bob's") // a second album: Ann's leftover goes on
	got = r.wait(t, 2)
	checkImages(t, got[1], 2)
	r.clk.Advance(DefaultAlbumWindow)
	got = r.wait(t, 3)
	if got[2].Text != "bob's" {
		t.Fatalf("bob's album: %q", got[2].Text)
	}
}

// TestAlbumKeepsItsPlace: a sender's next ordinary message sends their collecting
// album on first; another sender's message does not; Stop delivers what is still
// collecting rather than dropping it.
func TestAlbumKeepsItsPlace(t *testing.T) {
	r := newWAAlbumRig(t, Config{})
	r.parent(annJID, "P1", 5)
	r.child(annJID, "C0", "P1", 0, "")
	r.child(annJID, "C1", "P1", 1, "")
	bob := types.NewJID("15553334444", types.DefaultUserServer)
	r.emit(bob, "B1", text("bob talks"))
	got := r.wait(t, 1)
	if got[0].Text != "bob talks" {
		t.Fatalf("other sender: %q", got[0].Text)
	}
	r.emit(annJID, "T1", text("what are these?"))
	got = r.wait(t, 3)
	if got[1].MessageID != "C0" || len(got[1].Images) != 2 || got[2].Text != "what are these?" {
		t.Fatalf("order: %q then %q", got[1].Text, got[2].Text)
	}

	r.parent(annJID, "P2", 3)
	r.child(annJID, "E0", "P2", 0, "at shutdown")
	if err := r.p.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	got = r.wait(t, 4)
	if got[3].Text != "at shutdown" || len(got[3].Images) != 1 {
		t.Fatalf("stop: %q with %d images", got[3].Text, len(got[3].Images))
	}
}
