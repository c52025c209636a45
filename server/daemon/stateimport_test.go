package daemon

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/clawgate/gateway/clients/go/gatewayclient"
	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/auth"
	"github.com/clawgate/gateway/server/nodes"
	"github.com/clawgate/gateway/server/stateimport"
)

// The original's fixture (server/stateimport/testdata/original): a state dir as
// clawdbot 2026.1.24 writes it. The Mac's key is the Ed25519 key from seed 32×0x01.
const (
	origMacID  = "34750f98bd59fcfc946da45aaabe933be154a4b5094e1c4abf42866505f3c97e"
	origMacTok = "3f1c2b7a9d8e4f6a8b0c1d2e3f4a5b6c"
	origNodeID = "ios-4f2a9c"
	origNodeTk = "8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b"
	groupKey   = "agent:main:telegram:group:-1001234567890"
	// sharedToken is the gateway token: the devices here do not know it, so they
	// connect only if their own device token is accepted.
	sharedToken = "a-gateway-token-no-device-knows"
)

var tokenConfig = fmt.Sprintf(`{ gateway: { mode: "local", auth: { mode: "token", token: %q } } }`, sharedToken)

func copyOriginal(t *testing.T, state string) {
	t.Helper()
	src := filepath.Join("..", "stateimport", "testdata", "original")
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
}

// deviceClient connects with a device key and the device token it holds, and nothing
// else (no shared token, no password).
func (r *running) deviceClient(ctx context.Context, t *testing.T, priv ed25519.PrivateKey, tok string) (*gatewayclient.Client, error) {
	t.Helper()
	r.waitListening(t)
	pub := priv.Public().(ed25519.PublicKey)
	id := &gatewayclient.DeviceIdentity{ID: auth.DeviceIDFromPublicKey(pub), PublicKey: pub, PrivateKey: priv}
	store := gatewayclient.NewMemoryTokenStore()
	if err := store.StoreDeviceToken(id.ID, gatewayclient.DeviceToken{Token: tok, Role: "operator"}); err != nil {
		t.Fatal(err)
	}
	return gatewayclient.Dial(ctx, fmt.Sprintf("ws://127.0.0.1:%d", r.port), gatewayclient.Options{
		Client: gatewayclient.ClientInfo{ID: protocol.ClientIDClawdbotMacos, Version: "2026.1.24", Platform: "macos", Mode: "ui"},
		Role:   "operator", Scopes: []string{"operator.admin"},
		Device: id, DeviceTokenStore: store,
		Reconnect: gatewayclient.ReconnectPolicy{Disabled: true},
	})
}

// waitListening polls until the gateway's port accepts connections.
func (r *running) waitListening(t *testing.T) {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", r.port)
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		conn, err := net.Dial("tcp", addr)
		if err == nil {
			conn.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway not listening: %v\n%s", err, r.out)
		}
	}
}

func sessionKeys(ctx context.Context, t *testing.T, c *gatewayclient.Client) []string {
	t.Helper()
	var list struct{ Sessions []struct{ Key string } }
	if err := c.Call(ctx, "sessions.list", map[string]any{}, &list); err != nil {
		t.Fatalf("sessions.list: %v", err)
	}
	var keys []string
	for _, s := range list.Sessions {
		keys = append(keys, s.Key)
	}
	return keys
}

// TestStartCarriesOriginalStateOver: a user switching from the original starts this
// gateway over the original's state dir. The Mac paired with the original connects with
// its stored device token alone, sessions.list shows the original's sessions, the
// original's node verifies with its token, and the original's files are untouched. A
// second start imports nothing again: a session deleted here stays deleted.
func TestStartCarriesOriginalStateOver(t *testing.T) {
	home := t.TempDir()
	state := filepath.Join(home, "state")
	copyOriginal(t, state)
	originals := map[string][]byte{}
	for _, p := range []string{"devices/paired.json", "nodes/paired.json", "agents/main/sessions/sessions.json"} {
		b, err := os.ReadFile(filepath.Join(state, p))
		if err != nil {
			t.Fatal(err)
		}
		originals[p] = b
	}
	mac := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32))
	if id := auth.DeviceIDFromPublicKey(mac.Public().(ed25519.PublicKey)); id != origMacID {
		t.Fatalf("fixture key: %s", id)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	r := startHome(t, home, tokenConfig, nil)
	r.waitOutput(t, "state carried over from the original gateway")
	c, err := r.deviceClient(ctx, t, mac, origMacTok)
	if err != nil {
		t.Fatalf("device paired with the original, with its token: %v\n%s", err, r.out)
	}
	keys := sessionKeys(ctx, t, c)
	for _, k := range []string{"agent:main:main", groupKey, "agent:main:hook:gmail:18f2a"} {
		if !slices.Contains(keys, k) {
			t.Errorf("sessions.list %v lacks %s", keys, k)
		}
	}
	var pairs protocol.DevicePairListResult
	if err := c.Call(ctx, "device.pair.list", map[string]any{}, &pairs); err != nil || len(pairs.Pending) != 0 {
		t.Errorf("device.pair.list: %+v %v (want no pairing request)", pairs.Pending, err)
	}
	var v protocol.NodePairVerifyResult
	if err := c.Call(ctx, "node.pair.verify", map[string]any{"nodeId": origNodeID, "token": origNodeTk}, &v); err != nil || !v.Ok {
		t.Errorf("node.pair.verify of the original's node: %+v %v", v, err)
	}
	if err := c.Call(ctx, "sessions.delete", map[string]any{"key": groupKey}, nil); err != nil {
		t.Fatalf("sessions.delete: %v", err)
	}
	c.Close()
	if _, err := r.deviceClient(ctx, t, mac, "00000000000000000000000000000000"); err == nil {
		t.Error("a wrong device token was accepted")
	}
	r.stop(t)

	r = startHome(t, home, tokenConfig, nil)
	c, err = r.deviceClient(ctx, t, mac, origMacTok)
	if err != nil {
		t.Fatalf("second start, device token: %v\n%s", err, r.out)
	}
	defer c.Close()
	if keys := sessionKeys(ctx, t, c); slices.Contains(keys, groupKey) || !slices.Contains(keys, "agent:main:main") {
		t.Errorf("second start: sessions %v (the deleted %s must stay deleted)", keys, groupKey)
	}
	rep, ok, err := stateimport.LastReport(state)
	if err != nil || !ok || rep.Sessions.Imported != 0 || rep.Devices.Imported != 0 || rep.Nodes.Imported != 0 ||
		rep.Sessions.Existing == 0 || rep.Devices.Existing != 2 || rep.Nodes.Existing != 1 {
		t.Errorf("second start's report: %+v %v %v", rep, ok, err)
	}
	for p, want := range originals {
		if got, _ := os.ReadFile(filepath.Join(state, p)); !bytes.Equal(got, want) {
			t.Errorf("the original's %s was changed", p)
		}
	}
}

// TestUpgradeKeepsOwnPairings: a state dir written by an earlier build of this
// gateway, which kept its device and node stores directly in the state dir. After the
// upgrade the device paired then still connects with its token, the node's token
// still verifies, and the files live in <state>/gateway.
func TestUpgradeKeepsOwnPairings(t *testing.T) {
	home := t.TempDir()
	state := filepath.Join(home, "state")
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	pub := priv.Public().(ed25519.PublicKey)
	devID := auth.DeviceIDFromPublicKey(pub)
	old, err := auth.OpenStore(auth.StoreOptions{Dir: state})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Authorize(auth.Device{DeviceID: devID, PublicKey: auth.EncodePublicKey(pub), Role: "operator", Scopes: []string{"operator.admin"}}, true); err != nil {
		t.Fatal(err)
	}
	devTok, _, err := old.IssueToken(devID, "operator", []string{"operator.admin"})
	if err != nil {
		t.Fatal(err)
	}
	oldNodes, err := nodes.OpenStore(nodes.StoreOptions{StateDir: state})
	if err != nil {
		t.Fatal(err)
	}
	req, _, err := oldNodes.Request(protocol.NodePairRequestParams{NodeID: "own-node"}, "")
	if err != nil {
		t.Fatal(err)
	}
	_, nodeTok, err := oldNodes.Approve(req.RequestID)
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r := startHome(t, home, tokenConfig, nil)
	c, err := r.deviceClient(ctx, t, priv, devTok)
	if err != nil {
		t.Fatalf("our own earlier paired device after the upgrade: %v\n%s", err, r.out)
	}
	defer c.Close()
	var v protocol.NodePairVerifyResult
	if err := c.Call(ctx, "node.pair.verify", map[string]any{"nodeId": "own-node", "token": nodeTok}, &v); err != nil || !v.Ok {
		t.Errorf("node.pair.verify of our own earlier node: %+v %v", v, err)
	}
	for _, sub := range []string{"devices", "nodes"} {
		if _, err := os.Stat(filepath.Join(state, sub, "paired.json")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s/paired.json still in the original's place: %v", sub, err)
		}
		if _, err := os.Stat(filepath.Join(stateimport.OwnDir(state), sub, "paired.json")); err != nil {
			t.Errorf("%s store in OwnDir: %v", sub, err)
		}
	}
}
