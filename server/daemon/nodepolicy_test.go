package daemon

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/gatewaytest"
)

// TestNodeCommandPolicyFromConfig: gateway.nodes.allowCommands adds to a node's
// platform defaults and denyCommands removes from them, over the wire (node.list,
// node.invoke), and a config reload applies to the node already connected.
func TestNodeCommandPolicyFromConfig(t *testing.T) {
	r := start(t, `{"gateway": {"nodes": {"allowCommands": ["custom.ping"], "denyCommands": ["camera.snap"]}}}`)
	op := r.client(t)
	n := gatewaytest.Dial(t, fmt.Sprintf("ws://127.0.0.1:%d", r.port))
	dev := gatewaytest.NewDevice(t)
	nonce := n.Challenge()
	n.Handshake(map[string]any{
		"minProtocol": 3, "maxProtocol": 3, "role": "node",
		"client":   map[string]any{"id": "clawdbot-ios", "version": "2026.1.24", "platform": "ios", "mode": "node"},
		"commands": []string{"camera.snap", "canvas.eval", "custom.ping", "sms.send"},
		"device":   dev.Sign("clawdbot-ios", "node", "node", nil, time.Now(), "", nonce),
	})
	commands := func() []string {
		var list struct {
			Nodes []struct {
				NodeID   string   `json:"nodeId"`
				Commands []string `json:"commands"`
			} `json:"nodes"`
		}
		op.MustOK("node.list", map[string]any{}, &list)
		for _, x := range list.Nodes {
			if x.NodeID == dev.ID {
				return x.Commands
			}
		}
		t.Fatalf("node %s not listed: %+v", dev.ID, list)
		return nil
	}
	// sms.send is not an iOS command: declared, never allowed.
	if got := commands(); !slices.Equal(got, []string{"canvas.eval", "custom.ping"}) {
		t.Fatalf("commands %v, want canvas.eval and custom.ping (camera.snap denied, sms.send not for iOS)", got)
	}
	f := op.Call("node.invoke", map[string]any{"nodeId": dev.ID, "command": "camera.snap", "idempotencyKey": "k1"})
	if f.OK || f.Error == nil || f.Error.Code != "INVALID_REQUEST" || !strings.Contains(f.Error.Message, "not allowed") {
		t.Fatalf("denied command: %s", f.Raw)
	}

	// Reload: the deny list goes, the extra command too.
	if err := os.WriteFile(filepath.Join(r.home, "clawdbot.json"), []byte(`{"gateway": {"nodes": {}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if got := commands(); slices.Equal(got, []string{"camera.snap", "canvas.eval"}) {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("after the reload: commands %v, want camera.snap and canvas.eval\n%s", got, r.out)
		}
	}
}
