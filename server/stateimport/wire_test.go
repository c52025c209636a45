package stateimport_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/clawgate/gateway/clients/go/gatewayclient"
	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/auth"
	"github.com/clawgate/gateway/server/core"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/stateimport"
)

// A device paired with the original gateway connects to this one over a real
// WebSocket with nothing but its key and the device token the original issued: no
// shared gateway token, no new pairing request. A wrong device token is refused.
func TestImportedDeviceConnectsWithItsToken(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join("testdata", "original")
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dir, rel), 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if rep, err := stateimport.Run(ctx, stateimport.RunOptions{StateDir: dir}); err != nil || rep.Devices.Imported != 2 {
		t.Fatalf("import: %+v %v", rep.Devices, err)
	}

	devs, err := auth.OpenStore(auth.StoreOptions{Dir: stateimport.OwnDir(dir)})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := gateway.New(gateway.Options{
		Secrets: auth.Secrets{Mode: auth.ModeToken, Token: "a-gateway-token-the-device-does-not-know"},
		Devices: devs, StateDir: dir, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	core.Serve(srv)
	ln, err := gateway.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		sctx, c := context.WithTimeout(context.Background(), 10*time.Second)
		defer c()
		_ = srv.Shutdown(sctx, "test over", 0)
		<-done
	})

	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32))
	id := &gatewayclient.DeviceIdentity{ID: "34750f98bd59fcfc946da45aaabe933be154a4b5094e1c4abf42866505f3c97e",
		PublicKey: priv.Public().(ed25519.PublicKey), PrivateKey: priv}
	dial := func(tok string) (*gatewayclient.Client, gatewayclient.DeviceTokenStore, error) {
		store := gatewayclient.NewMemoryTokenStore()
		if err := store.StoreDeviceToken(id.ID, gatewayclient.DeviceToken{Token: tok, Role: "operator"}); err != nil {
			t.Fatal(err)
		}
		c, err := gatewayclient.Dial(ctx, "ws://"+ln.Addr().String(), gatewayclient.Options{
			Client: gatewayclient.ClientInfo{ID: protocol.ClientIDClawdbotMacos, Version: "2026.1.24", Platform: "macos", Mode: "ui"},
			Role:   "operator", Scopes: []string{"operator.admin"},
			Device: id, DeviceTokenStore: store,
			Reconnect: gatewayclient.ReconnectPolicy{Disabled: true},
		})
		return c, store, err
	}

	c, store, err := dial("3f1c2b7a9d8e4f6a8b0c1d2e3f4a5b6c")
	if err != nil {
		t.Fatalf("imported device with its original token: %v", err)
	}
	var h map[string]any
	if err := c.Call(ctx, "health", map[string]any{}, &h); err != nil {
		t.Errorf("health as the imported device: %v", err)
	}
	c.Close()
	if got, ok, _ := store.LoadDeviceToken(id.ID, "operator"); !ok || got.Token != "3f1c2b7a9d8e4f6a8b0c1d2e3f4a5b6c" {
		t.Errorf("device token after connect: %+v %v (want the original's, handed back unchanged)", got, ok)
	}
	if l := devs.List(); len(l.Pending) != 0 {
		t.Errorf("a pairing request was created: %+v", l.Pending)
	}

	_, _, err = dial("00000000000000000000000000000000")
	var pe *gatewayclient.ProtocolError
	if !errors.As(err, &pe) {
		t.Fatalf("wrong device token: %v, want a refused connect", err)
	}
}
