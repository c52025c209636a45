package telegram_test

import (
	"bytes"
	"encoding/base64"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/access"
	"github.com/clawgate/gateway/server/media"
	"github.com/clawgate/gateway/server/pairing"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/providers/telegram"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// TestInboundMediaAfterAdmission: an unknown sender's photo gets the pairing code and
// is never fetched (no getFile, no download); once approved, a photo arrives as an
// image part and a voice note, with no transcription configured, as the placeholder.
func TestInboundMediaAfterAdmission(t *testing.T) {
	srv := tgtest.New(t, token)
	st, err := pairing.New(pairing.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	ms, err := media.New(media.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	in := newInbox()
	p, err := telegram.New(telegram.Config{Token: token, APIBaseURL: srv.URL(), Inbound: in, PollTimeout: 5 * time.Second,
		Access: &access.Config{}, Pairing: st, MediaStore: ms})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop(t.Context()) })
	ctx := ctx10(t)
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	user := tgtest.User{ID: 42, FirstName: "Ann"}
	photo := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{3}, 100)...)
	srv.PushPhoto(42, user, "", nil, photo)
	if _, err := srv.WaitSent(ctx, 1); err != nil {
		t.Fatal(err)
	}
	waitDrained(t, srv, srv.Calls("getUpdates")+1)
	if srv.Calls("getFile") != 0 || srv.Calls("download") != 0 || len(in.all()) != 0 {
		t.Fatalf("unapproved photo: getFile %d, download %d, delivered %d", srv.Calls("getFile"), srv.Calls("download"), len(in.all()))
	}
	reqs, _ := st.List("telegram")
	if len(reqs) != 1 {
		t.Fatalf("pairing requests: %+v", reqs)
	}
	if _, err := st.Approve("telegram", reqs[0].Code); err != nil {
		t.Fatal(err)
	}

	srv.PushPhoto(42, user, "", nil, photo)
	srv.PushVoice(42, user, append([]byte("OggS\x00\x02"), bytes.Repeat([]byte{1}, 40)...))
	deadline := time.Now().Add(10 * time.Second)
	for len(in.all()) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("delivered %d of 2", len(in.all()))
		}
		time.Sleep(5 * time.Millisecond)
	}
	got := in.all()
	if m := got[0]; m.Text != "<media:image>" || len(m.Images) != 1 || m.Images[0].Data != base64.StdEncoding.EncodeToString(photo) || m.Images[0].MimeType != "image/png" {
		t.Fatalf("photo: %q, %d images", m.Text, len(m.Images))
	}
	if m := got[1]; m.Text != providers.NoTranscription || len(m.Images) != 0 {
		t.Fatalf("voice: %q", m.Text)
	}
	if srv.Calls("getFile") != 2 || srv.Calls("download") != 2 {
		t.Fatalf("getFile %d, download %d", srv.Calls("getFile"), srv.Calls("download"))
	}
}
