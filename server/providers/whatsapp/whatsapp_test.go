package whatsapp

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	stdimage "image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	qrcode "github.com/skip2/go-qrcode"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"golang.org/x/image/bmp"
	"google.golang.org/protobuf/proto"

	"github.com/clawgate/gateway/server/providers"
)

func ctx10(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// waitFor polls cond (state changes arrive on whatsmeow's goroutines).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestRealDeviceStoreNotLinked(t *testing.T) {
	dir := t.TempDir()
	p := New(Config{StateDir: dir})
	if err := p.Start(ctx10(t)); err != nil {
		t.Fatal(err)
	}
	defer p.Stop(context.Background())
	if fi, err := os.Stat(SessionPath(dir)); err != nil || fi.Size() == 0 {
		t.Fatalf("device store not created: %v", err)
	}
	st := p.Status(t.Context(), false)
	if st.Linked || st.Connected || st.ConnState != StateNotLinked || !st.LinkedAt.IsZero() {
		t.Fatalf("status = %+v", st)
	}
	_, err := p.Send(t.Context(), providers.Outbound{To: "+15551234567", Text: "hi"})
	if !errors.Is(err, providers.ErrNotLinked) {
		t.Fatalf("send when not linked: %v", err)
	}
	if _, err := p.Logout(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := p.Stop(ctx10(t)); err != nil {
		t.Fatal(err)
	}
	// The store reopens (migrations are idempotent) and is still unlinked.
	st2, err := OpenStore(ctx10(t), SessionPath(dir), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	c, err := st2.Client(t.Context())
	if err != nil || c.Linked() {
		t.Fatalf("reopened: linked=%v err=%v", c != nil && c.Linked(), err)
	}
}

func TestParseRecipient(t *testing.T) {
	cases := []struct {
		in, want string // want "" = error
	}{
		{"+15551234567", "15551234567@s.whatsapp.net"},
		{"15551234567", "15551234567@s.whatsapp.net"},
		{" +1 (555) 123-4567 ", "15551234567@s.whatsapp.net"},
		{"whatsapp:+447700900123", "447700900123@s.whatsapp.net"},
		{"0044 7700 900123", "447700900123@s.whatsapp.net"},
		{"15551234567@s.whatsapp.net", "15551234567@s.whatsapp.net"},
		{"15551234567:12@s.whatsapp.net", "15551234567@s.whatsapp.net"},
		{"120363025246125486@g.us", "120363025246125486@g.us"},
		{"15551234567-1600000000@g.us", "15551234567-1600000000@g.us"},
		{"15551234567-1600000000", "15551234567-1600000000@g.us"},
		{"123456789012345@lid", "123456789012345@lid"},
		{"", ""},
		{"hello", ""},
		{"+123", ""},
		{"+1234567890123456", ""},
		{"abc@s.whatsapp.net", ""},
		{"x@g.us", ""},
		{"15551234567@example.com", ""},
		{"+1555abc4567", ""},
	}
	for _, c := range cases {
		jid, err := ParseRecipient(c.in)
		if c.want == "" {
			var ie *providers.InputError
			if err == nil || !errors.As(err, &ie) {
				t.Errorf("ParseRecipient(%q) = %v, %v; want an InputError", c.in, jid, err)
			}
			continue
		}
		if err != nil || jid.String() != c.want {
			t.Errorf("ParseRecipient(%q) = %v, %v; want %s", c.in, jid, err, c.want)
		}
	}
	if got := NormalizeE164("1 555 123 4567"); got != "+15551234567" {
		t.Errorf("NormalizeE164 = %q", got)
	}
}

// linkedProvider is a started provider over a fake, linked, connected device.
func linkedProvider(t *testing.T, cfg Config) (*Provider, *fakeStore) {
	t.Helper()
	fs := &fakeStore{own: types.NewJID("15550000000", types.DefaultUserServer)}
	cfg.Store = fs
	if cfg.StateDir == "" {
		cfg.StateDir = t.TempDir()
	}
	p := New(cfg)
	if err := p.Start(ctx10(t)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop(context.Background()) })
	waitFor(t, "connected", func() bool { return p.Status(t.Context(), false).ConnState == StateConnected })
	return p, fs
}

var pngBytes = func() []byte {
	b, err := qrcode.Encode("x", qrcode.Low, 64)
	if err != nil {
		panic(err)
	}
	return b
}()

func TestMediaSendAndLimits(t *testing.T) {
	const limit = 1 << 20 // mediaMaxMb: 1
	mp4 := append([]byte{0, 0, 0, 0x18, 'f', 't', 'y', 'p', 'm', 'p', '4', '2'}, make([]byte, 100)...)
	mux := http.NewServeMux()
	mux.HandleFunc("/cat.png", func(w http.ResponseWriter, r *http.Request) { w.Write(pngBytes) })
	// An uncompressed picture over the cap: re-encoded under it, not refused.
	var bigBMP bytes.Buffer
	grad := stdimage.NewRGBA(stdimage.Rect(0, 0, 1000, 400))
	for i := range grad.Pix {
		grad.Pix[i] = byte(i / 4000)
	}
	if err := bmp.Encode(&bigBMP, grad); err != nil || bigBMP.Len() <= limit {
		t.Fatalf("bmp of %d bytes: %v", bigBMP.Len(), err)
	}
	mux.HandleFunc("/scan.bmp", func(w http.ResponseWriter, r *http.Request) { w.Write(bigBMP.Bytes()) })
	mux.HandleFunc("/loop.mp4", func(w http.ResponseWriter, r *http.Request) { w.Write(mp4) })
	mux.HandleFunc("/exact.bin", func(w http.ResponseWriter, r *http.Request) { w.Write(bytes.Repeat([]byte{0xff}, limit)) })
	mux.HandleFunc("/big-declared.bin", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1048577")
		w.Write(bytes.Repeat([]byte{0xff}, limit+1))
	})
	mux.HandleFunc("/big-chunked.bin", func(w http.ResponseWriter, r *http.Request) {
		for range 3 {
			w.Write(bytes.Repeat([]byte{0xff}, limit/2+1))
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/voice", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "audio/mpeg")
		w.Write(bytes.Repeat([]byte{0x01, 0x02}, 50))
	})
	mux.HandleFunc("/missing", http.NotFound)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	p, fs := linkedProvider(t, Config{MediaMaxMB: 1})
	if p.MediaMaxBytes() != limit {
		t.Fatalf("limit = %d", p.MediaMaxBytes())
	}
	ctx := ctx10(t)
	c := fs.last()

	for _, bad := range []string{"/big-declared.bin", "/big-chunked.bin", "/missing"} {
		_, err := p.Send(ctx, providers.Outbound{To: "+15551234567", Text: "x", MediaURL: srv.URL + bad})
		var ie *providers.InputError
		if !errors.As(err, &ie) {
			t.Fatalf("%s: %v", bad, err)
		}
		if strings.HasPrefix(bad, "/big") && !strings.Contains(err.Error(), "limit") {
			t.Fatalf("%s: unclear error %v", bad, err)
		}
	}
	if n := len(c.sentMsgs()); n != 0 || c.uploads != 0 {
		t.Fatalf("failed downloads sent %d messages, %d uploads", n, c.uploads)
	}

	s, err := p.Send(ctx, providers.Outbound{To: "+1 555 123 4567", Text: "a cat", MediaURL: srv.URL + "/cat.png"})
	if err != nil || s.ToJID != "15551234567@s.whatsapp.net" || s.MessageID == "" {
		t.Fatalf("image: %+v %v", s, err)
	}
	if _, err := p.Send(ctx, providers.Outbound{To: "120363025246125486@g.us", MediaURL: srv.URL + "/loop.mp4", GifPlayback: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Send(ctx, providers.Outbound{To: "+15551234567", MediaURL: srv.URL + "/exact.bin"}); err != nil {
		t.Fatalf("media exactly at the limit: %v", err)
	}
	if _, err := p.Send(ctx, providers.Outbound{To: "+15551234567", MediaURL: srv.URL + "/voice"}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Send(ctx, providers.Outbound{To: "+15551234567", Text: "plain"}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Send(ctx, providers.Outbound{To: "+15551234567", MediaURL: srv.URL + "/scan.bmp"}); err != nil {
		t.Fatalf("picture over the cap: %v", err)
	}
	got := c.sentMsgs()
	if len(got) != 6 {
		t.Fatalf("sent %d", len(got))
	}
	// Pictures go re-encoded as the original sends them (providers.PrepareImage): an
	// opaque PNG as JPEG.
	if im := got[0].msg.GetImageMessage(); im.GetMimetype() != "image/jpeg" || im.GetCaption() != "a cat" || im.GetFileLength() == 0 {
		t.Errorf("image message: %v", got[0].msg)
	}
	if im := got[5].msg.GetImageMessage(); im.GetMimetype() != "image/jpeg" || im.GetFileLength() == 0 || im.GetFileLength() > limit {
		t.Errorf("picture over the cap: %v", got[5].msg)
	}
	if vm := got[1].msg.GetVideoMessage(); vm.GetMimetype() != "video/mp4" || !vm.GetGifPlayback() || got[1].to.Server != types.GroupServer {
		t.Errorf("video message: %v to %v", got[1].msg, got[1].to)
	}
	if dm := got[2].msg.GetDocumentMessage(); dm.GetFileName() != "exact.bin" || dm.GetFileLength() != limit {
		t.Errorf("document message: %v", got[2].msg)
	}
	if am := got[3].msg.GetAudioMessage(); am.GetMimetype() != "audio/mpeg" || !am.GetPTT() {
		t.Errorf("audio message (header used when sniffing is inconclusive; sent as a voice note): %v", got[3].msg)
	}
	if got[4].msg.GetConversation() != "plain" {
		t.Errorf("text: %v", got[4].msg)
	}
}

func TestSendPoll(t *testing.T) {
	p, fs := linkedProvider(t, Config{})
	_, err := p.SendPoll(t.Context(), providers.Poll{To: "+15551234567", Question: "Lunch?", Options: []string{"only one"}})
	var ie *providers.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("1 option: %v", err)
	}
	s, err := p.SendPoll(t.Context(), providers.Poll{To: "+15551234567", Question: "Lunch?", Options: []string{"pizza", "sushi"}, MaxSelections: 2})
	if err != nil || s.MessageID == "" {
		t.Fatal(s, err)
	}
	pm := fs.last().sentMsgs()[0].msg.GetPollCreationMessage()
	if pm.GetName() != "Lunch?" || len(pm.GetOptions()) != 2 || pm.GetSelectableOptionsCount() != 2 {
		t.Fatalf("poll = %v", pm)
	}
}

func TestConnectRetriesWithBackoff(t *testing.T) {
	fs := &fakeStore{own: types.NewJID("15550000000", types.DefaultUserServer),
		connectErrs: []error{errors.New("dial: refused"), errors.New("dial: refused")}}
	var mu sync.Mutex
	var waits []int
	changes := make(chan struct{}, 64)
	p := New(Config{Store: fs, StateDir: t.TempDir(), Backoff: func(n int) time.Duration {
		mu.Lock()
		waits = append(waits, n)
		mu.Unlock()
		return time.Millisecond
	}, OnChange: func() { changes <- struct{}{} }})
	if err := p.Start(ctx10(t)); err != nil { // returns at once: connecting happens in the background
		t.Fatal(err)
	}
	defer p.Stop(context.Background())
	waitFor(t, "connected", func() bool { return p.Status(t.Context(), false).ConnState == StateConnected })
	mu.Lock()
	defer mu.Unlock()
	if len(waits) != 2 || waits[0] != 1 || waits[1] != 2 {
		t.Fatalf("backoff attempts = %v", waits)
	}
	st := p.Status(t.Context(), false)
	if !st.Linked || !st.Connected || st.SelfE164 != "+15550000000" || st.LinkedAt.IsZero() || st.LastError != "" {
		t.Fatalf("status = %+v", st)
	}
	select {
	case <-changes:
	default:
		t.Fatal("no OnChange on connect")
	}
	// Default backoff: doubling from 1 s, capped at a minute.
	d := New(Config{}).cfg.Backoff
	if d(1) != time.Second || d(2) != 2*time.Second || d(7) != time.Minute || d(100) != time.Minute {
		t.Fatalf("default backoff: %v %v %v %v", d(1), d(2), d(7), d(100))
	}
}

func TestLoginWaitLogout(t *testing.T) {
	fs := &fakeStore{qrCodes: []string{"2@abc,def,ghi", "2@second"}}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p := New(Config{Store: fs, StateDir: t.TempDir(), Now: func() time.Time { return now }})
	if err := p.Start(ctx10(t)); err != nil {
		t.Fatal(err)
	}
	defer p.Stop(context.Background())
	if connected, msg, _ := p.LoginWait(t.Context(), time.Millisecond); connected || !strings.Contains(msg, "web.login.start") {
		t.Fatalf("wait without login: %v %q", connected, msg)
	}
	qr, err := p.LoginStart(ctx10(t), false, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if (qr.Code != "2@abc,def,ghi" && qr.Code != "2@second") || !strings.HasPrefix(qr.DataURL, "data:image/png;base64,") || qr.Text == "" {
		t.Fatalf("qr = %+v", qr)
	}
	if st := p.Status(t.Context(), false); st.ConnState != StateLinking || st.Linked {
		t.Fatalf("during login: %+v", st)
	}
	if connected, msg, _ := p.LoginWait(ctx10(t), 10*time.Millisecond); connected || !strings.Contains(msg, "waiting") {
		t.Fatalf("wait before scan: %v %q", connected, msg)
	}
	c := fs.last()
	go c.pair(types.NewJID("15557654321", types.DefaultUserServer))
	connected, msg, err := p.LoginWait(ctx10(t), 10*time.Second)
	if err != nil || !connected {
		t.Fatalf("wait after scan: %v %q %v", connected, msg, err)
	}
	waitFor(t, "connected", func() bool { return p.Status(t.Context(), false).ConnState == StateConnected })
	st := p.Status(t.Context(), false)
	if !st.Linked || st.SelfE164 != "+15557654321" || !st.LinkedAt.Equal(now) {
		t.Fatalf("after login: %+v", st)
	}
	if _, err := p.Send(t.Context(), providers.Outbound{To: "+15551234567", Text: "hi"}); err != nil {
		t.Fatalf("send after login: %v", err)
	}
	// Already linked: no QR without force.
	if qr, err := p.LoginStart(t.Context(), false, time.Second); err != nil || qr.Code != "" || !strings.Contains(qr.Message, "already linked") {
		t.Fatalf("second login: %+v %v", qr, err)
	}
	cleared, err := p.Logout(t.Context())
	if err != nil || !cleared {
		t.Fatalf("logout: %v %v", cleared, err)
	}
	if !c.loggedOut {
		t.Fatal("logout did not unlink on the server side")
	}
	if st := p.Status(t.Context(), false); st.Linked || st.ConnState != StateNotLinked {
		t.Fatalf("after logout: %+v", st)
	}
	if _, err := p.Send(t.Context(), providers.Outbound{To: "+15551234567", Text: "hi"}); !errors.Is(err, providers.ErrNotLinked) {
		t.Fatalf("send after logout: %v", err)
	}
	if cleared, _ := p.Logout(t.Context()); cleared {
		t.Fatal("second logout cleared something")
	}
}

type inbox struct {
	mu  sync.Mutex
	got []providers.Message
}

func (i *inbox) Inbound(_ context.Context, m providers.Message) {
	i.mu.Lock()
	i.got = append(i.got, m)
	i.mu.Unlock()
}

func TestInboundAllowFrom(t *testing.T) {
	in := &inbox{}
	p, fs := linkedProvider(t, Config{AllowFrom: []string{"+1 555 111 2222"}, Inbound: in})
	c := fs.last()
	msg := func(from string, fromMe bool, text string) *events.Message {
		jid := types.NewJID(from, types.DefaultUserServer)
		e := &events.Message{Message: &waE2E.Message{Conversation: proto.String(text)}}
		e.Info.Sender, e.Info.Chat, e.Info.IsFromMe, e.Info.ID = jid, jid, fromMe, "ID-"+text
		return e
	}
	c.emit(msg("15551112222", false, "allowed"))
	c.emit(msg("15559999999", false, "stranger"))
	c.emit(msg("15550000000", true, "self chat")) // the linked account itself
	in.mu.Lock()
	defer in.mu.Unlock()
	if len(in.got) != 2 || in.got[0].Text != "allowed" || in.got[0].From != "+15551112222" || in.got[0].ChatID != "15551112222@s.whatsapp.net" || in.got[1].Text != "self chat" {
		t.Fatalf("inbound = %+v", in.got)
	}
	_ = p
}

func TestQRRendering(t *testing.T) {
	const code = "2@Pn3X0rGk2aVY9gq5cD0ZbqkM,3Xh0QJQ6ScQcS6u5Ep5u2Q==,c2VjcmV0LWtleQ==,aWRlbnRpdHk="
	text, err := RenderQRText(code)
	if err != nil {
		t.Fatal(err)
	}
	q, _ := qrcode.New(code, qrcode.Low)
	bm := q.Bitmap()
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) != (len(bm)+1)/2 {
		t.Fatalf("%d lines for %d rows", len(lines), len(bm))
	}
	// Decode the half blocks back into modules: the drawing is the code, exactly.
	for y, line := range lines {
		row := []rune(line)
		if len(row) != len(bm) {
			t.Fatalf("line %d is %d wide, want %d", y, len(row), len(bm))
		}
		for x, r := range row {
			top := r == '█' || r == '▀'
			bottom := r == '█' || r == '▄'
			if top != !bm[2*y][x] || (2*y+1 < len(bm) && bottom != !bm[2*y+1][x]) {
				t.Fatalf("module mismatch at %d,%d", x, 2*y)
			}
		}
	}
	url, err := QRDataURL(code)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(url, "data:image/png;base64,"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil || img.Bounds().Dx() != QRPNGSize {
		t.Fatalf("png: %v %v", img.Bounds(), err)
	}
}

func TestSendWhenDisconnectedFailsFast(t *testing.T) {
	changes := make(chan struct{}, 16)
	p, fs := linkedProvider(t, Config{OnChange: func() { changes <- struct{}{} }})
	fs.last().Disconnect()
	waitFor(t, "disconnected", func() bool { return p.Status(t.Context(), false).ConnState == StateDisconnected })
	_, err := p.Send(t.Context(), providers.Outbound{To: "+15551234567", Text: "hi"})
	if !errors.Is(err, providers.ErrNotConnected) || !strings.Contains(err.Error(), StateDisconnected) {
		t.Fatalf("send while disconnected: %v", err)
	}
	if st := p.Status(t.Context(), false); !st.Linked || st.Connected {
		t.Fatalf("status = %+v", st)
	}
	if len(changes) == 0 {
		t.Fatal("no OnChange for the disconnect")
	}
	// Logged out from the phone: not linked any more, with a clear reason.
	fs.last().DeleteLocal(t.Context())
	fs.last().emit(&events.LoggedOut{})
	st := p.Status(t.Context(), false)
	if st.Linked || st.ConnState != StateLoggedOut || !strings.Contains(st.LastError, "clawdbot login") {
		t.Fatalf("after logout event: %+v", st)
	}
	if _, err := p.Send(t.Context(), providers.Outbound{To: "+15551234567", Text: "hi"}); !errors.Is(err, providers.ErrNotLinked) {
		t.Fatalf("send after logged out: %v", err)
	}
}
