package whatsapp_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/core"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/gatewaytest"
	"github.com/clawgate/gateway/server/messaging"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/providers/dedupe"
	"github.com/clawgate/gateway/server/providers/whatsapp"
)

// TestLogoutAccountOverTheWire: two linked WhatsApp numbers (fake devices below the
// whatsmeow client interface) behind the real messaging methods on a loopback
// gateway. channels.logout and web.logout with an accountId unlink that number only;
// channels.status shows which one is left.
func TestLogoutAccountOverTheWire(t *testing.T) {
	ctx := t.Context()
	state := t.TempDir()
	mk := func(id, user string) *whatsapp.Provider {
		p := whatsapp.New(whatsapp.Config{AccountID: id, StateDir: state, Store: whatsapp.NewFakeLinkedStore(user), AllowFrom: []string{"*"}})
		if err := p.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = p.Stop(context.Background()) })
		return p
	}
	def, second, third := mk("default", "15550000001"), mk("second", "15550000002"), mk("third", "15550000003")
	for deadline := time.Now().Add(10 * time.Second); !def.Status(ctx, false).Connected || !second.Status(ctx, false).Connected || !third.Status(ctx, false).Connected; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("fake devices did not connect")
		}
	}
	set := providers.NewAccountSet(providers.WhatsApp, "default", map[string]providers.Provider{"default": def, "second": second, "third": third})
	reg := providers.NewRegistry(nil, set, providers.Unconfigured{Channel: providers.Telegram})
	d, err := dedupe.Open(ctx, dedupe.Options{Path: state + "/dedupe.db"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	h := messaging.New(messaging.Options{Registry: reg, Dedupe: d})
	srv, err := gateway.New(gateway.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), StateDir: state})
	if err != nil {
		t.Fatal(err)
	}
	core.Serve(srv)
	srv.Mux().SetMessaging(h)
	if err := h.Attach(srv); err != nil {
		t.Fatal(err)
	}
	c := gatewaytest.Dial(t, gatewaytest.Start(t, srv).URL)
	c.Handshake(gatewaytest.V3Connect(nil))

	linked := func() map[string]bool {
		var st protocol.ChannelsStatusResult
		c.MustOK("channels.status", map[string]any{}, &st)
		out := map[string]bool{}
		for _, a := range st.ChannelAccounts["whatsapp"] {
			out[a.AccountID] = a.GetLinked()
		}
		return out
	}
	if l := linked(); !l["default"] || !l["second"] || !l["third"] {
		t.Fatalf("before: %v", l)
	}
	var lo protocol.ChannelsLogoutResult
	c.MustOK("channels.logout", map[string]any{"channel": "whatsapp", "accountId": "second"}, &lo)
	if lo.AccountID != "second" || lo.Channel != "whatsapp" || !lo.Cleared || !lo.GetLoggedOut() {
		t.Fatalf("logout: %+v", lo)
	}
	if l := linked(); !l["default"] || l["second"] || !l["third"] {
		t.Fatalf("after channels.logout second: %v", l)
	}
	// Again: nothing left to clear.
	c.MustOK("channels.logout", map[string]any{"channel": "whatsapp", "accountId": "second"}, &lo)
	if lo.Cleared {
		t.Fatal("second logout cleared something")
	}
	var wl protocol.WebLogoutResult
	c.MustOK("web.logout", map[string]any{"accountId": "third"}, &wl)
	if !wl.Cleared {
		t.Fatal("web.logout third cleared nothing")
	}
	if l := linked(); !l["default"] || l["second"] || l["third"] {
		t.Fatalf("after web.logout third: %v", l)
	}
	if f := c.Call("web.logout", map[string]any{"accountId": "nope"}); f.OK || f.Error.Code != string(protocol.ErrorCodeInvalidRequest) {
		t.Fatalf("web.logout of an unknown account: %s", f.Raw)
	}
	// The default account is still linked and sends.
	var sent protocol.SendResult
	c.MustOK("send", map[string]any{"to": "+15551112222", "message": "still here", "idempotencyKey": "k1"}, &sent)
	if sent.MessageID == "" {
		t.Fatalf("send: %+v", sent)
	}
	if f := c.Call("send", map[string]any{"to": "+15551112222", "message": "x", "accountId": "second", "idempotencyKey": "k2"}); f.OK || f.Error.Code != string(protocol.ErrorCodeNotLinked) {
		t.Fatalf("send through the logged-out number: %s", f.Raw)
	}
}
