package gateway

import (
	"testing"

	"github.com/clawgate/gateway/gen/go/protocol"
)

// TestRolesFromManifest: who may call what on a v3 connection is the manifest's
// "roles" (health for operators and nodes; node.* results and events for nodes
// only), not a list in the gateway. A node is not held to operator scopes.
func TestRolesFromManifest(t *testing.T) {
	for _, tc := range []struct {
		method         string
		operator, node bool
	}{
		{"health", true, true},
		{"system-presence", true, false},
		{"node.event", false, true},
	} {
		mi := protocol.LookupMethod(tc.method)
		if mi == nil || mi.AllowsRole(protocol.RoleOperator) != tc.operator || mi.AllowsRole(protocol.RoleNode) != tc.node {
			t.Fatalf("%s: manifest roles differ from what this test expects (%+v)", tc.method, mi)
		}
	}
	g := startGateway(t, Options{})
	n := dial(t, g.url)
	n.Handshake(v3Connect(map[string]any{"role": "node", "client": map[string]any{"id": "node-host", "version": "1", "platform": "linux", "mode": "node"}}))
	if f := n.Call("health", nil); !f.OK {
		t.Fatalf("node calling health: %+v", f.Error)
	}
	if f := n.Call("system-presence", nil); f.OK || f.Error.Message != "unauthorized role: node" {
		t.Fatalf("node calling system-presence: %+v", f.Error)
	}
	// Past authorization the handler answers (this gateway has no live-node registry).
	if f := n.Call("node.event", map[string]any{"event": "voice.transcript"}); f.OK || f.Error.Message != "not a connected node" {
		t.Fatalf("node calling node.event: %+v", f.Error)
	}
	op := dial(t, g.url)
	op.Handshake(v3Connect(map[string]any{"scopes": []string{"operator.write"}}))
	if f := op.Call("node.event", map[string]any{"event": "voice.transcript"}); f.OK || f.Error.Message != "unauthorized role: operator" {
		t.Fatalf("operator calling node.event: %+v", f.Error)
	}
}
