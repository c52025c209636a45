package telegram_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/chunk"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/providers/telegram"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

const token = "123456:TEST-abcdefghijklmnopqrstuvwxyz0123"

type inbox struct {
	mu  sync.Mutex
	got []providers.Message
	ch  chan providers.Message
}

func newInbox() *inbox { return &inbox{ch: make(chan providers.Message, 16)} }

func (i *inbox) Inbound(_ context.Context, m providers.Message) {
	i.mu.Lock()
	i.got = append(i.got, m)
	i.mu.Unlock()
	i.ch <- m
}

func (i *inbox) all() []providers.Message {
	i.mu.Lock()
	defer i.mu.Unlock()
	return append([]providers.Message(nil), i.got...)
}

func newProvider(t *testing.T, srv *tgtest.Server, tok string, allow []string, in providers.Inbound) *telegram.Provider {
	t.Helper()
	p, err := telegram.New(telegram.Config{Token: tok, APIBaseURL: srv.URL(), AllowFrom: allow, Inbound: in, PollTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop(context.Background()) })
	return p
}

func ctx10(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestGetMeAndStatus(t *testing.T) {
	srv := tgtest.New(t, token)
	p := newProvider(t, srv, token, nil, nil)
	u, err := p.Probe(ctx10(t))
	if err != nil {
		t.Fatal(err)
	}
	if u.Username != tgtest.BotUsername || u.ID != 123456 {
		t.Fatalf("getMe = %+v", u)
	}
	st := p.Status(ctx10(t), true)
	if !st.Configured || st.Username != tgtest.BotUsername || !strings.Contains(string(st.Probe), `"ok":true`) {
		t.Fatalf("status = %+v probe=%s", st, st.Probe)
	}
}

func TestSendTextAndPhotoAndDocument(t *testing.T) {
	srv := tgtest.New(t, token)
	srv.AddChat(777)
	p := newProvider(t, srv, token, nil, nil)
	ctx := ctx10(t)
	s, err := p.Send(ctx, providers.Outbound{To: "777", Text: "hello there"})
	if err != nil {
		t.Fatal(err)
	}
	if s.ChatID != "777" || s.MessageID == "" {
		t.Fatalf("sent = %+v", s)
	}
	jpeg := append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), bytes.Repeat([]byte{1}, 64)...)
	pdf := []byte("%PDF-1.4\n%fake\n")
	mux := http.NewServeMux()
	mux.HandleFunc("/cat.jpg", func(w http.ResponseWriter, r *http.Request) { w.Write(jpeg) })
	// A "picture" that is a PDF goes as a document: the bytes decide, not the name.
	mux.HandleFunc("/report.jpg", func(w http.ResponseWriter, r *http.Request) { w.Write(pdf) })
	mux.HandleFunc("/huge.bin", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(telegram.MaxUploadBytes+1))
	})
	files := httptest.NewServer(mux)
	defer files.Close()
	for _, bad := range []string{"/missing.png", "/huge.bin"} {
		_, err := p.Send(ctx, providers.Outbound{To: "777", Text: "x", MediaURL: files.URL + bad})
		var ie *providers.InputError
		if !errors.As(err, &ie) {
			t.Fatalf("%s: %v, want an input error", bad, err)
		}
	}
	if n := len(srv.Sent()); n != 1 {
		t.Fatalf("failed downloads sent %d messages", n-1)
	}
	if _, err := p.Send(ctx, providers.Outbound{To: "777", Text: "a cat", MediaURL: files.URL + "/cat.jpg"}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Send(ctx, providers.Outbound{To: "777", MediaURL: files.URL + "/report.jpg"}); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", telegram.MaxTextChars+10)
	if _, err := p.Send(ctx, providers.Outbound{To: "777", Text: long}); err != nil {
		t.Fatal(err)
	}
	got := srv.Sent()
	if len(got) != 5 {
		t.Fatalf("sent %d messages: %+v", len(got), got)
	}
	if got[0].Method != "sendMessage" || got[0].Text != "hello there" || got[0].ChatID != "777" {
		t.Errorf("text: %+v", got[0])
	}
	if got[1].Method != "sendPhoto" || !bytes.Equal(got[1].File, jpeg) || got[1].FileName != "cat.jpg" || got[1].Caption != "a cat" {
		t.Errorf("photo: %+v", got[1])
	}
	if got[2].Method != "sendDocument" || !bytes.Equal(got[2].File, pdf) || got[2].Caption != "" {
		t.Errorf("document: %+v", got[2])
	}
	// Split at textChunkLimit's default (4000, as the original), not the Bot API's 4096.
	if len([]rune(got[3].Text)) != chunk.DefaultLimit || len(got[4].Text) != telegram.MaxTextChars+10-chunk.DefaultLimit {
		t.Errorf("split: %d + %d", len(got[3].Text), len(got[4].Text))
	}
}

func TestErrorsAreClear(t *testing.T) {
	srv := tgtest.New(t, token)
	ctx := ctx10(t)

	bad := newProvider(t, srv, "123456:WRONG-token-zzzzzzzzzzzzzzzzzzzzzzz", nil, nil)
	srv.AddChat(1)
	_, err := bad.Send(ctx, providers.Outbound{To: "1", Text: "x"})
	if !errors.Is(err, telegram.ErrTokenRejected) || !strings.Contains(err.Error(), "bot token rejected") {
		t.Fatalf("401: %v", err)
	}
	if _, err := bad.Probe(ctx); !errors.Is(err, telegram.ErrTokenRejected) {
		t.Fatalf("probe 401: %v", err)
	}

	p := newProvider(t, srv, token, nil, nil)
	_, err = p.Send(ctx, providers.Outbound{To: "999", Text: "x"})
	var ie *providers.InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "chat 999 not found") {
		t.Fatalf("chat not found: %v", err)
	}
	if _, err := p.Send(ctx, providers.Outbound{To: "not a chat", Text: "x"}); !errors.As(err, &ie) {
		t.Fatalf("bad chat id: %v", err)
	}
	if n := len(srv.Sent()); n != 0 {
		t.Fatalf("%d messages sent by failing calls", n)
	}
	if _, err := telegram.New(telegram.Config{Token: "nonsense"}); err == nil {
		t.Fatal("malformed token accepted")
	}
}

func TestInboundAllowList(t *testing.T) {
	srv := tgtest.New(t, token)
	in := newInbox()
	p := newProvider(t, srv, token, []string{"42", "@Friend"}, in)
	if err := p.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	srv.PushUpdate(500, 500, "from a stranger")
	srv.PushMessage(600, tgtest.User{ID: 600, Username: "friend", FirstName: "Fr"}, "by username")
	srv.PushUpdate(42, 42, "hello bot")
	var got []providers.Message
	for len(got) < 2 {
		select {
		case m := <-in.ch:
			got = append(got, m)
		case <-ctx10(t).Done():
			t.Fatalf("inbound: got %+v", got)
		}
	}
	if got[0].Text != "by username" || got[0].From != "600" || got[1].Text != "hello bot" || got[1].ChatID != "42" || got[1].Channel != providers.Telegram {
		t.Fatalf("inbound = %+v", got)
	}
	// The stranger's update came first and was consumed (the offset moved past it)
	// without reaching the inbox.
	for _, m := range in.all() {
		if m.From == "500" {
			t.Fatalf("non-allowed sender reached Inbound: %+v", m)
		}
	}
	st := p.Status(t.Context(), false)
	if !st.Running || st.LastError != "" {
		t.Fatalf("status = %+v", st)
	}
	if err := p.Stop(ctx10(t)); err != nil {
		t.Fatal(err)
	}
	if st := p.Status(t.Context(), false); st.Running {
		t.Fatal("still running after Stop")
	}
}

func TestBadTokenStopsPolling(t *testing.T) {
	srv := tgtest.New(t, token)
	changed := make(chan struct{}, 8)
	p, err := telegram.New(telegram.Config{Token: "123456:WRONG-token-zzzzzzzzzzzzzzzzzzzzzzz", APIBaseURL: srv.URL(),
		OnChange: func() { changed <- struct{}{} }})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop(context.Background())
	_ = p.Start(t.Context())
	select {
	case <-changed:
	case <-ctx10(t).Done():
		t.Fatal("no state change")
	}
	if st := p.Status(t.Context(), false); st.Running || !strings.Contains(st.LastError, "bot token rejected") {
		t.Fatalf("status = %+v", st)
	}
}
