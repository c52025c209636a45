package main

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawgate/gateway/clients/go/gatewayclient"
	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/core"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/gatewaytest"
	"github.com/clawgate/gateway/server/messaging"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/providers/dedupe"
	"github.com/clawgate/gateway/server/providers/whatsapp"
)

// scriptedLogin plays a login: two QR codes, one "still waiting", then linked.
type scriptedLogin struct {
	mu     sync.Mutex
	starts int
	waits  int
	forced bool
}

func (s *scriptedLogin) LoginStart(_ context.Context, force bool, _ time.Duration) (whatsapp.LoginQR, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.starts++
	s.forced = s.forced || force
	if s.waits >= 2 {
		return whatsapp.LoginQR{Message: "already linked (+15550000000)"}, nil
	}
	code := "2@first-code"
	if s.starts > 1 {
		code = "2@second-code"
	}
	return whatsapp.LoginQR{Code: code, Message: "scan"}, nil
}

func (s *scriptedLogin) LoginWait(context.Context, time.Duration) (bool, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits++
	if s.waits == 1 {
		return false, "still waiting for the QR code to be scanned", nil
	}
	return true, "linked", nil
}

func (s *scriptedLogin) Logout(context.Context) (bool, error) { return false, nil }

func TestLoginThroughGateway(t *testing.T) {
	dir := t.TempDir()
	d, err := dedupe.Open(t.Context(), dedupe.Options{Path: filepath.Join(dir, "d.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	login := &scriptedLogin{}
	h := messaging.New(messaging.Options{Registry: providers.NewRegistry(nil), Dedupe: d, WebLogin: login})
	srv, err := gateway.New(gateway.Options{StateDir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	core.Serve(srv)
	srv.Mux().SetMessaging(h)
	if err := h.Attach(srv); err != nil {
		t.Fatal(err)
	}
	url := gatewaytest.Start(t, srv).URL

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	c, err := gatewayclient.Dial(ctx, url, gatewayclient.Options{
		Client:    gatewayclient.ClientInfo{ID: protocol.ClientIDCli, Name: "cli", Version: "test", Platform: runtime.GOOS, Mode: "cli"},
		Reconnect: gatewayclient.ReconnectPolicy{Disabled: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var out bytes.Buffer
	if err := runLogin(ctx, c, &out, true, ""); err != nil {
		t.Fatalf("login: %v\n%s", err, out.String())
	}
	text := out.String()
	first, _ := whatsapp.RenderQRText("2@first-code")
	second, _ := whatsapp.RenderQRText("2@second-code")
	for _, want := range []string{"Scan this QR code", first, "waiting for the scan", "refreshed", second, "Linked."} {
		if !strings.Contains(text, want) {
			t.Fatalf("output lacks %q:\n%s", want, text)
		}
	}
	login.mu.Lock()
	forced := login.forced
	login.mu.Unlock()
	if !forced {
		t.Error("--force not passed on")
	}
	// Already linked: no QR, a clear message.
	out.Reset()
	if err := runLogin(ctx, c, &out, false, ""); err != nil || !strings.Contains(out.String(), "already linked") {
		t.Fatalf("second login: %v %q", err, out.String())
	}
	// --account names the account on the wire: this gateway has only the default one.
	if err := runLogin(ctx, c, &out, false, "work"); err == nil || !strings.Contains(err.Error(), `unknown account "work"`) {
		t.Fatalf("login --account work: %v", err)
	}
}
