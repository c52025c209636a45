package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/clients/go/gatewayclient"
	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/auth"
)

// TestSwitchFromOriginal: the binary started over a state dir the original
// (2026.1.24) wrote carries it over. The Mac paired with the original connects with
// its device token alone (the gateway token is one it never knew), sessions.list shows
// the original's sessions, and doctor prints what the import did and its problems.
func TestSwitchFromOriginal(t *testing.T) {
	home := t.TempDir()
	state := filepath.Join(home, "state")
	src := filepath.Join("..", "..", "server", "stateimport", "testdata", "original")
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(state, rel), 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(state, rel), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	writeConfig(t, home, `{ gateway: { mode: "local", auth: { mode: "token", token: "never-given-to-the-mac" } } }`)
	p := startOn(t, home, freePort(t))

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32)) // the fixture's Mac
	pub := priv.Public().(ed25519.PublicKey)
	id := &gatewayclient.DeviceIdentity{ID: auth.DeviceIDFromPublicKey(pub), PublicKey: pub, PrivateKey: priv}
	store := gatewayclient.NewMemoryTokenStore()
	if err := store.StoreDeviceToken(id.ID, gatewayclient.DeviceToken{Token: "3f1c2b7a9d8e4f6a8b0c1d2e3f4a5b6c", Role: "operator"}); err != nil {
		t.Fatal(err)
	}
	c, err := gatewayclient.Dial(ctx, fmt.Sprintf("ws://127.0.0.1:%d", p.port), gatewayclient.Options{
		Client: gatewayclient.ClientInfo{ID: protocol.ClientIDClawdbotMacos, Version: "2026.1.24", Platform: "macos", Mode: "ui"},
		Role:   "operator", Scopes: []string{"operator.admin"},
		Device: id, DeviceTokenStore: store,
		Reconnect: gatewayclient.ReconnectPolicy{Disabled: true},
	})
	if err != nil {
		t.Fatalf("the original's Mac with its device token: %v\n%s", err, p.out)
	}
	defer c.Close()
	var list struct{ Sessions []struct{ Key string } }
	if err := c.Call(ctx, "sessions.list", map[string]any{}, &list); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, s := range list.Sessions {
		keys = append(keys, s.Key)
	}
	if got := strings.Join(keys, " "); !strings.Contains(got, "agent:main:main") || !strings.Contains(got, "agent:main:telegram:group:-1001234567890") {
		t.Errorf("sessions.list: %v", keys)
	}

	out, code := runCLI(t, gatewayEnv(home), "doctor")
	for _, want := range []string{
		"- state import (" + state + "): sessions 4 imported, 1 failed",
		"devices 2 imported, 1 failed; nodes 1 imported",
		"\n  not kept from transcripts: 1 tool calls (kept as text)",
		"\n  problem: " + state + "/agents/main/sessions/sessions.json (agent:main:broken): session entry has no sessionId\n",
		"re-link needed",
	} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("doctor (exit %d) lacks %q:\n%s", code, want, out)
		}
	}
}
