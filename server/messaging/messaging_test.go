package messaging_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/core"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/messaging"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/providers/dedupe"
	"github.com/clawgate/gateway/server/providers/telegram"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
	"github.com/clawgate/gateway/server/providers/whatsapp"
)

// stack is one gateway instance with real providers: Telegram against the test Bot API
// server, WhatsApp over a real (unlinked) device store, dedupe in the state dir.
type stack struct {
	url string
	reg *providers.Registry
	wa  *whatsapp.Provider
	tg  *telegram.Provider
}

func startStack(t *testing.T, stateDir string, bot *tgtest.Server) *stack {
	t.Helper()
	ctx := t.Context()
	tg, err := telegram.New(telegram.Config{Token: bot.Token(), APIBaseURL: bot.URL(), PollTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	wa := whatsapp.New(whatsapp.Config{StateDir: stateDir})
	reg := providers.NewRegistry(nil, wa, tg)
	if err := wa.Start(ctx); err != nil {
		t.Fatal(err)
	}
	d, err := dedupe.Open(ctx, dedupe.Options{Path: filepath.Join(stateDir, "send-dedupe.db")})
	if err != nil {
		t.Fatal(err)
	}
	h := messaging.New(messaging.Options{Registry: reg, Dedupe: d, WebLogin: wa})
	url := startGateway(t, stateDir, func(s *gateway.Server) {
		s.Mux().SetMessaging(h)
		if err := h.Attach(s); err != nil {
			t.Fatal(err)
		}
	})
	t.Cleanup(func() {
		_ = reg.Stop(context.Background())
		_ = d.Close()
	})
	return &stack{url: url, reg: reg, wa: wa, tg: tg}
}

func TestSendOverGateway(t *testing.T) {
	bot := tgtest.New(t, tgtest.DefaultToken)
	bot.AddChat(777)
	st := startStack(t, t.TempDir(), bot)
	c := dial(t, st.url, 3)

	var res protocol.SendResult
	c.ok("send", map[string]any{"to": "777", "message": "hello", "channel": "telegram", "idempotencyKey": "k-1"}, &res)
	if res.Provider != "telegram" || res.ChatID == nil || *res.ChatID != "777" || res.RunID != "k-1" || res.MessageID == "" {
		t.Fatalf("result = %+v", res)
	}
	if sent := bot.Sent(); len(sent) != 1 || sent[0].Text != "hello" {
		t.Fatalf("delivered = %+v", sent)
	}

	// The same key again: the same receipt, no second delivery.
	var again protocol.SendResult
	c.ok("send", map[string]any{"to": "777", "message": "hello", "channel": "telegram", "idempotencyKey": "k-1"}, &again)
	if again.MessageID != res.MessageID || len(bot.Sent()) != 1 {
		t.Fatalf("replay = %+v, deliveries %d", again, len(bot.Sent()))
	}

	// Protocol 2 names the channel "provider"; media goes as a photo.
	v2 := dial(t, st.url, 2)
	png := []byte("\x89PNG\r\n\x1a\n0000")
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(png) }))
	defer files.Close()
	v2.ok("send", map[string]any{"to": "777", "message": "cat", "mediaUrl": files.URL + "/c.png", "provider": "Telegram", "idempotencyKey": "k-2"}, &res)
	if sent := bot.Sent(); len(sent) != 2 || sent[1].Method != "sendPhoto" || sent[1].Caption != "cat" || string(sent[1].File) != string(png) {
		t.Fatalf("photo = %+v", sent)
	}

	e := c.fail("send", map[string]any{"to": "777", "message": "x", "channel": "discord", "idempotencyKey": "k-3"}, "INVALID_REQUEST")
	if !strings.Contains(e.Message, "unknown channel") {
		t.Errorf("unknown channel message: %q", e.Message)
	}
	e = c.fail("send", map[string]any{"to": "+15551234567", "message": "x", "idempotencyKey": "k-4"}, "NOT_LINKED")
	if !strings.Contains(e.Message, "clawdbot login") {
		t.Errorf("not linked message: %q", e.Message)
	}
	e = c.fail("send", map[string]any{"to": "999", "message": "x", "channel": "telegram", "idempotencyKey": "k-5"}, "INVALID_REQUEST")
	if !strings.Contains(e.Message, "chat 999 not found") {
		t.Errorf("chat not found message: %q", e.Message)
	}
	// A failure is not remembered: once the chat exists, the same key delivers.
	bot.AddChat(999)
	c.ok("send", map[string]any{"to": "999", "message": "x", "channel": "telegram", "idempotencyKey": "k-5"}, &res)
	e = c.fail("poll", map[string]any{"to": "777", "question": "q?", "options": []string{"a", "b"}, "channel": "telegram", "idempotencyKey": "p-1"}, "INVALID_REQUEST")
	if !strings.Contains(e.Message, "unsupported poll channel") {
		t.Errorf("poll message: %q", e.Message)
	}
	c.fail("poll", map[string]any{"to": "+15551234567", "question": "q?", "options": []string{"a", "b"}, "idempotencyKey": "p-2"}, "NOT_LINKED")
	if n := len(bot.Sent()); n != 3 {
		t.Fatalf("deliveries = %d, want 3", n)
	}
}

func TestConcurrentDuplicateSendsDeliverOnce(t *testing.T) {
	bot := tgtest.New(t, tgtest.DefaultToken)
	bot.AddChat(42)
	st := startStack(t, t.TempDir(), bot)
	const conns, perConn = 5, 10
	var wg sync.WaitGroup
	ids := make(chan string, conns*perConn)
	for range conns {
		c := dial(t, st.url, 3)
		chs := make([]chan *frame, perConn)
		for j := range perConn {
			chs[j] = c.request("send", map[string]any{"to": "42", "message": "once", "channel": "telegram", "idempotencyKey": "same"})
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, ch := range chs {
				select {
				case f := <-ch:
					var r protocol.SendResult
					if !f.OK || json.Unmarshal(f.Payload, &r) != nil {
						t.Errorf("send failed: %s", f.Raw)
						continue
					}
					ids <- r.MessageID
				case <-time.After(15 * time.Second):
					t.Error("no response")
				}
			}
		}()
	}
	wg.Wait()
	close(ids)
	seen := map[string]int{}
	for id := range ids {
		seen[id]++
	}
	if len(seen) != 1 || len(bot.Sent()) != 1 {
		t.Fatalf("%d distinct receipts %v, %d deliveries; want 1 and 1", len(seen), seen, len(bot.Sent()))
	}
}

func TestRestartDoesNotResend(t *testing.T) {
	bot := tgtest.New(t, tgtest.DefaultToken)
	bot.AddChat(42)
	dir := t.TempDir()
	var first protocol.SendResult
	func() {
		// A sub-test scope would hide cleanup order; stop the first stack explicitly.
		ctx := t.Context()
		tg, _ := telegram.New(telegram.Config{Token: bot.Token(), APIBaseURL: bot.URL()})
		reg := providers.NewRegistry(nil, tg)
		d, err := dedupe.Open(ctx, dedupe.Options{Path: filepath.Join(dir, "send-dedupe.db")})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		h := messaging.New(messaging.Options{Registry: reg, Dedupe: d})
		s, err := gateway.New(gateway.Options{StateDir: dir, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		core.Serve(s)
		s.Mux().SetMessaging(h)
		if err := h.Attach(s); err != nil {
			t.Fatal(err)
		}
		ln, _ := gateway.Listen("127.0.0.1:0")
		done := make(chan error, 1)
		go func() { done <- s.Serve(ln) }()
		c := dial(t, "ws://"+ln.Addr().String(), 3)
		c.ok("send", map[string]any{"to": "42", "message": "hi", "channel": "telegram", "idempotencyKey": "restart-1"}, &first)
		_ = s.Shutdown(ctx, "restart", 0)
		<-done
	}()
	st := startStack(t, dir, bot) // new registry, new store handle, same state dir
	c := dial(t, st.url, 3)
	var again protocol.SendResult
	c.ok("send", map[string]any{"to": "42", "message": "hi", "channel": "telegram", "idempotencyKey": "restart-1"}, &again)
	if again.MessageID != first.MessageID || len(bot.Sent()) != 1 {
		t.Fatalf("after restart: %+v vs %+v, deliveries %d", again, first, len(bot.Sent()))
	}
}

func TestStatusHealthAndLogin(t *testing.T) {
	bot := tgtest.New(t, tgtest.DefaultToken)
	st := startStack(t, t.TempDir(), bot)
	c := dial(t, st.url, 3)
	var ps protocol.ProvidersStatusResult
	dial(t, st.url, 2).ok("providers.status", map[string]any{"probe": true, "timeoutMs": 5000}, &ps)
	if !ps.Telegram.Configured || ps.Telegram.BotUsername == nil || *ps.Telegram.BotUsername != tgtest.BotUsername || !strings.Contains(string(ps.Telegram.Probe), `"ok":true`) {
		t.Fatalf("telegram status = %+v probe=%s", ps.Telegram, ps.Telegram.Probe)
	}
	if !ps.Whatsapp.Configured || ps.Whatsapp.Linked || ps.Whatsapp.Connected || ps.Whatsapp.AuthAgeMs != nil {
		t.Fatalf("whatsapp status = %+v", ps.Whatsapp)
	}
	var cs protocol.ChannelsStatusResult
	c.ok("channels.status", map[string]any{}, &cs)
	if cs.Whatsapp.Linked || !cs.Telegram.Configured || cs.Telegram.Probe != nil {
		t.Fatalf("channels.status = %+v", cs)
	}
	var hs protocol.HealthSummary
	c.ok("health", map[string]any{}, &hs)
	if hs.Web.Linked || hs.Web.Connect == nil || *hs.Web.Connect.Status != whatsapp.StateNotLinked || !hs.Telegram.Configured {
		t.Fatalf("health = %+v", hs)
	}
	var lw protocol.WebLoginWaitResult
	c.ok("web.login.wait", map[string]any{"timeoutMs": 10}, &lw)
	if lw.Connected || !strings.Contains(lw.Message, "web.login.start") {
		t.Fatalf("web.login.wait = %+v", lw)
	}
	var lo protocol.WebLogoutResult
	c.ok("web.logout", map[string]any{}, &lo)
	if lo.Cleared {
		t.Fatal("logout cleared credentials that did not exist")
	}
}
