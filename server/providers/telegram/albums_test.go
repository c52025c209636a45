package telegram_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/access"
	"github.com/clawgate/gateway/server/clock"
	"github.com/clawgate/gateway/server/grouphistory"
	"github.com/clawgate/gateway/server/media"
	"github.com/clawgate/gateway/server/pairing"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/providers/telegram"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// albumRig is a provider against the test Bot API with a media store and a fake
// clock for the album window.
type albumRig struct {
	srv *tgtest.Server
	clk *clock.Fake
	in  *inbox
	p   *telegram.Provider
}

func newAlbumRig(t *testing.T, cfg telegram.Config) *albumRig {
	t.Helper()
	r := &albumRig{srv: tgtest.New(t, token), clk: clock.NewFake(time.Date(2026, 1, 24, 12, 0, 0, 0, time.UTC)), in: newInbox()}
	ms, err := media.New(media.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Token, cfg.APIBaseURL, cfg.Inbound, cfg.PollTimeout = token, r.srv.URL(), r.in, 5*time.Second
	cfg.MediaStore, cfg.Clock = ms, r.clk
	if cfg.Access == nil {
		cfg.Access = &access.Config{Account: access.Account{DMPolicy: access.DMOpen, AllowFrom: []string{"*"}}}
	}
	r.p, err = telegram.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.p.Stop(t.Context()) })
	ctx := ctx10(t)
	if _, err := r.p.Probe(ctx); err != nil { // the bot's username, for mentions
		t.Fatal(err)
	}
	if err := r.p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return r
}

// handled waits until the poller has handled every pushed update (the server counts
// an update pending until a later getUpdates confirms it, which the poller sends only
// after handling the batch): album parts are then in the buffer, their windows armed.
func (r *albumRig) handled(t *testing.T) {
	t.Helper()
	waitDrained(t, r.srv, 0)
}

// timers waits until n timers wait on the fake clock (a window goroutine re-arms
// after its timer fired early).
func (r *albumRig) timers(t *testing.T, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if !r.clk.WaitPending(ctx, n) {
		t.Fatalf("timers pending %d, want %d", r.clk.Pending(), n)
	}
}

// none checks nothing more reached the agent.
func (r *albumRig) none(t *testing.T, what string) {
	t.Helper()
	if got := r.in.all(); len(got) != 0 {
		t.Fatalf("%s: %d messages reached the agent early: %q", what, len(got), got[0].Text)
	}
}

func png(n byte) []byte {
	return append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{n}, 64)...)
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

var ann = tgtest.User{ID: 42, FirstName: "Ann"}

// TestAlbumIsOneInbound: three photos sent as an album, the caption on the second,
// reach the agent as one message once the window has passed: the caption as text, the
// three images in order, the captioned part's id. Nothing goes on before the window.
func TestAlbumIsOneInbound(t *testing.T) {
	r := newAlbumRig(t, telegram.Config{})
	ids := r.srv.PushAlbum(42, ann, "album-1",
		tgtest.AlbumPart{Data: png(1)}, tgtest.AlbumPart{Data: png(2), Caption: "which one is best?"}, tgtest.AlbumPart{Data: png(3)})
	r.handled(t)
	r.none(t, "inside the window")
	r.clk.Advance(telegram.DefaultAlbumWindow - time.Millisecond)
	r.timers(t, 1) // the window's timer has not fired
	r.none(t, "just before the window ends")
	r.clk.Advance(time.Millisecond)
	m := recvMsg(t, r.in)
	if m.Text != "which one is best?" || len(m.Images) != 3 || m.From != "42" || m.ChatID != "42" {
		t.Fatalf("album: text %q, %d images, from %s", m.Text, len(m.Images), m.From)
	}
	for i, im := range m.Images {
		if im.MimeType != "image/png" || im.Data != b64(png(byte(i+1))) {
			t.Fatalf("image %d: %s %.20s", i, im.MimeType, im.Data)
		}
	}
	if m.MessageID != "2" || ids[1] != 2 {
		t.Fatalf("message id %s, want the captioned part's (2)", m.MessageID)
	}
	if n := r.srv.Calls("getFile"); n != 3 {
		t.Fatalf("getFile %d, want 3", n)
	}
	// A following text is the next and only other message.
	r.srv.PushUpdate(42, 42, "thanks")
	if m := recvMsg(t, r.in); m.Text != "thanks" || len(r.in.all()) != 2 {
		t.Fatalf("after the album: %q, %d delivered", m.Text, len(r.in.all()))
	}
}

// TestAlbumWindowRestartsPerPart: the window counts from the latest part, as the
// original's timer does.
func TestAlbumWindowRestartsPerPart(t *testing.T) {
	r := newAlbumRig(t, telegram.Config{AlbumWindow: time.Second})
	r.srv.PushAlbum(42, ann, "g", tgtest.AlbumPart{Data: png(1)})
	r.handled(t)
	r.clk.Advance(800 * time.Millisecond)
	r.srv.PushAlbum(42, ann, "g", tgtest.AlbumPart{Data: png(2)})
	r.handled(t)
	r.clk.Advance(800 * time.Millisecond) // 1.6 s after the first part, 0.8 s after the second
	r.timers(t, 1)                        // fired at 1 s, found the window moved, re-armed
	r.none(t, "0.8 s after the latest part")
	r.clk.Advance(200 * time.Millisecond)
	if m := recvMsg(t, r.in); len(m.Images) != 2 || m.Text != "<media:image> (2 images)" {
		t.Fatalf("album: %q, %d images", m.Text, len(m.Images))
	}
}

// TestAlbumBeforeNextMessage: a message (or a new album) from the same sender in the
// same chat sends the collecting album on first, so the caption-less album and the
// question about it reach the agent in order, without waiting for the window. Another
// chat's message, or another sender's, does not.
func TestAlbumBeforeNextMessage(t *testing.T) {
	no := false
	chatty := access.Account{DMPolicy: access.DMOpen, AllowFrom: []string{"*"}, GroupPolicy: access.GroupOpen,
		Groups: map[string]access.Group{"-100": {RequireMention: &no}}} // group -100 answers every message
	r := newAlbumRig(t, telegram.Config{Access: &access.Config{Account: chatty}})
	r.srv.PushAlbum(42, ann, "g", tgtest.AlbumPart{Data: png(1)}, tgtest.AlbumPart{Data: pdfDoc, FileName: "a.pdf"})
	r.srv.PushUpdate(7, 7, "unrelated")
	r.srv.PushUpdate(42, 42, "what are these?")
	first, second, third := recvMsg(t, r.in), recvMsg(t, r.in), recvMsg(t, r.in)
	if first.Text != "unrelated" {
		t.Fatalf("first: %q", first.Text)
	}
	if !strings.HasPrefix(second.Text, "<media:image> (2 files)\n<media:document> [a.pdf application/pdf") || len(second.Images) != 1 {
		t.Fatalf("album: %q, %d images", second.Text, len(second.Images))
	}
	if third.Text != "what are these?" {
		t.Fatalf("third: %q", third.Text)
	}

	// A sender's new album sends their previous one on; another sender's album in the
	// same group keeps collecting.
	bo := tgtest.User{ID: 6, FirstName: "Bo"}
	r.srv.PushAlbum(-100, ann, "a1", tgtest.AlbumPart{Data: png(1), Caption: "first"}, tgtest.AlbumPart{Data: png(2)})
	r.srv.PushAlbum(-100, bo, "b1", tgtest.AlbumPart{Data: png(3), Caption: "bo's"})
	r.srv.PushAlbum(-100, ann, "a2", tgtest.AlbumPart{Data: png(4), Caption: "second"})
	if m := recvMsg(t, r.in); m.Text != "first" || len(m.Images) != 2 {
		t.Fatalf("previous album: %q, %d images", m.Text, len(m.Images))
	}
	r.handled(t)
	if n := len(r.in.all()); n != 4 {
		t.Fatalf("%d delivered, want 4 (bo's album and the second still collecting)", n)
	}
	r.clk.Advance(telegram.DefaultAlbumWindow)
	got := map[string]bool{}
	for range 2 {
		got[recvMsg(t, r.in).Text] = true
	}
	if !got["bo's"] || !got["second"] {
		t.Fatalf("after the window: %v", got)
	}
}

var pdfDoc = []byte("%PDF-1.4\n%binary\n")

// TestAlbumUnapprovedSender: an album from a sender who is not approved (dmPolicy
// pairing) is decided once: one pairing reply, nothing downloaded, nothing delivered.
// The pairing store would also hold back a second code; what the album changes is that
// the decision is made once, so the reply count and the single pairing request are
// what we can see.
func TestAlbumUnapprovedSender(t *testing.T) {
	st, err := pairing.New(pairing.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	r := newAlbumRig(t, telegram.Config{Access: &access.Config{}, Pairing: st})
	r.srv.PushAlbum(42, ann, "g", tgtest.AlbumPart{Data: png(1)}, tgtest.AlbumPart{Data: png(2), Caption: "hi"}, tgtest.AlbumPart{Data: png(3)})
	r.handled(t)
	if n := len(r.srv.Sent()); n != 0 {
		t.Fatalf("%d replies inside the window", n)
	}
	r.clk.Advance(telegram.DefaultAlbumWindow)
	sent, err := r.srv.WaitSent(ctx10(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sent[0].Text, "Pairing code: ") || sent[0].ChatID != "42" {
		t.Fatalf("reply: %+v", sent[0])
	}
	if err := r.p.Stop(ctx10(t)); err != nil { // waits for the album's delivery to end
		t.Fatal(err)
	}
	if n := len(r.srv.Sent()); n != 1 {
		t.Fatalf("%d replies, want one pairing reply", n)
	}
	if r.srv.Calls("getFile") != 0 || len(r.in.all()) != 0 {
		t.Fatalf("unapproved album: getFile %d, delivered %d", r.srv.Calls("getFile"), len(r.in.all()))
	}
	if reqs, _ := st.List("telegram"); len(reqs) != 1 {
		t.Fatalf("pairing requests %+v", reqs)
	}
}

// TestAlbumGroupMention: in a group that needs a mention, the album is gated once on
// its caption: mentioned on the second part, all three images reach the agent (part
// by part, only the captioned photo would have). An album without a mention becomes
// one history entry, handed over with the next mention.
func TestAlbumGroupMention(t *testing.T) {
	h := grouphistory.New(10, 0)
	ac := access.Config{Account: access.Account{GroupPolicy: access.GroupOpen}}
	r := newAlbumRig(t, telegram.Config{Access: &ac, History: h})
	r.srv.PushAlbum(-100, ann, "g1", tgtest.AlbumPart{Data: png(1)}, tgtest.AlbumPart{Data: png(2), Caption: "@" + tgtest.BotUsername + " rate these"}, tgtest.AlbumPart{Data: png(3)})
	r.handled(t)
	r.clk.Advance(telegram.DefaultAlbumWindow)
	m := recvMsg(t, r.in)
	if !m.Group || len(m.Images) != 3 || !strings.HasSuffix(m.Text, "@"+tgtest.BotUsername+" rate these") {
		t.Fatalf("mentioned album: %q, %d images", m.Text, len(m.Images))
	}

	bo := tgtest.User{ID: 6, FirstName: "Bo"}
	r.srv.PushAlbum(-100, bo, "g2", tgtest.AlbumPart{Data: png(4), Caption: "holiday"}, tgtest.AlbumPart{Data: png(5)})
	r.handled(t)
	r.clk.Advance(telegram.DefaultAlbumWindow)
	key := "telegram\x00" + providers.DefaultAccountID + "\x00-100"
	deadline := time.Now().Add(10 * time.Second)
	for h.Len(key) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("history entries %d, want the album as one", h.Len(key))
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.srv.PushMessage(-100, ann, "@"+tgtest.BotUsername+" nice?")
	m = recvMsg(t, r.in)
	if strings.Count(m.Text, "holiday") != 1 || !strings.Contains(m.Text, "Bo (6): holiday") || r.srv.Calls("getFile") != 3 {
		t.Fatalf("history:\n%s\ngetFile %d", m.Text, r.srv.Calls("getFile"))
	}
}

// TestAlbumLimits: an album that reaches AlbumMaxParts goes on at once (later parts
// start a new one); a new album beyond AlbumMaxPending sends the oldest on at once.
// Nothing is dropped.
func TestAlbumLimits(t *testing.T) {
	t.Run("parts", func(t *testing.T) {
		r := newAlbumRig(t, telegram.Config{AlbumMaxParts: 3})
		r.srv.PushAlbum(42, ann, "g", tgtest.AlbumPart{Data: png(1)}, tgtest.AlbumPart{Data: png(2)}, tgtest.AlbumPart{Data: png(3)}, tgtest.AlbumPart{Data: png(4)})
		if m := recvMsg(t, r.in); len(m.Images) != 3 || m.Images[2].Data != b64(png(3)) {
			t.Fatalf("full album: %d images", len(m.Images))
		}
		r.handled(t)
		if n := len(r.in.all()); n != 1 {
			t.Fatalf("%d delivered before the window", n)
		}
		r.clk.Advance(telegram.DefaultAlbumWindow)
		if m := recvMsg(t, r.in); len(m.Images) != 1 || m.Images[0].Data != b64(png(4)) || m.Text != "<media:image>" {
			t.Fatalf("rest: %q, %d images", m.Text, len(m.Images))
		}
	})
	t.Run("pending", func(t *testing.T) {
		r := newAlbumRig(t, telegram.Config{AlbumMaxPending: 2})
		for i := int64(1); i <= 3; i++ {
			r.srv.PushAlbum(i, tgtest.User{ID: i, FirstName: "U"}, "g"+strconv.FormatInt(i, 10),
				tgtest.AlbumPart{Data: png(byte(i)), Caption: "from " + strconv.FormatInt(i, 10)}, tgtest.AlbumPart{Data: png(9)})
		}
		if m := recvMsg(t, r.in); m.Text != "from 1" || len(m.Images) != 2 {
			t.Fatalf("oldest album: %q, %d images", m.Text, len(m.Images))
		}
		r.handled(t)
		if n := len(r.in.all()); n != 1 {
			t.Fatalf("%d delivered before the window, want only the evicted album", n)
		}
		r.clk.Advance(telegram.DefaultAlbumWindow)
		got := map[string]int{}
		for range 2 {
			m := recvMsg(t, r.in)
			got[m.Text] = len(m.Images)
		}
		if got["from 2"] != 2 || got["from 3"] != 2 {
			t.Fatalf("after the window: %v", got)
		}
	})
}

// TestAlbumFlushedOnStop: Stop delivers an album still inside its window.
func TestAlbumFlushedOnStop(t *testing.T) {
	r := newAlbumRig(t, telegram.Config{})
	r.srv.PushAlbum(42, ann, "g", tgtest.AlbumPart{Data: png(1), Caption: "last words"}, tgtest.AlbumPart{Data: png(2)})
	r.handled(t)
	r.none(t, "before Stop")
	if err := r.p.Stop(ctx10(t)); err != nil {
		t.Fatal(err)
	}
	got := r.in.all()
	if len(got) != 1 || got[0].Text != "last words" || len(got[0].Images) != 2 {
		t.Fatalf("after Stop: %+v", got)
	}
}

// TestAlbumPartTooLarge: a part over mediaMaxMb is left out and the chat told once;
// the rest of the album is read. Each part is capped as a single file is.
func TestAlbumPartTooLarge(t *testing.T) {
	r := newAlbumRig(t, telegram.Config{MediaMaxMB: 1})
	r.srv.PushAlbum(42, ann, "g", tgtest.AlbumPart{Data: png(1), Caption: "docs"},
		tgtest.AlbumPart{Data: pdfDoc, FileName: "big.pdf", MimeType: "application/pdf", DeclaredSize: 3 << 20},
		tgtest.AlbumPart{Data: pdfDoc, FileName: "small.pdf", MimeType: "application/pdf"})
	r.handled(t)
	r.clk.Advance(telegram.DefaultAlbumWindow)
	m := recvMsg(t, r.in)
	if len(m.Images) != 1 || !strings.Contains(m.Text, "<media:document> [too large: not read]") || !strings.Contains(m.Text, "small.pdf") || !strings.HasPrefix(m.Text, "docs\n") {
		t.Fatalf("album: %q, %d images", m.Text, len(m.Images))
	}
	sent := r.srv.Sent()
	if len(sent) != 1 || sent[0].Text != providers.AlbumTooLargeReply(1, 3, media.MB) {
		t.Fatalf("replies %+v", sent)
	}
}
