package bridge

import (
	"testing"

	"github.com/clawgate/gateway/gen/go/protocol"
)

// TestBridgeReqAllowlist: which methods a node may call with req comes from the
// manifest ("bridge": true, and bridgePending for methods of the original not defined
// here yet). Allowed ones are answered UNAVAILABLE (node RPC is not wired to the bridge
// yet), the rest FORBIDDEN "Method not allowed", each with details {method}.
func TestBridgeReqAllowlist(t *testing.T) {
	e := startEnv(t, nil)
	n := e.dial()
	e.pair(n)
	for _, tc := range []struct {
		method, code, msg string
	}{
		{"health", CodeUnavailable, "method not available over the bridge"},         // "bridge": true
		{"chat.send", CodeUnavailable, "method not available over the bridge"},      // "bridge": true
		{"sessions.patch", CodeUnavailable, "method not available over the bridge"}, // bridgePending
		{"send", CodeForbidden, "Method not allowed"},                               // defined, not for nodes
		{"system.run", CodeForbidden, "Method not allowed"},                         // unknown
	} {
		if allowed := protocol.BridgeAllowed(tc.method); allowed != (tc.code == CodeUnavailable) {
			t.Fatalf("BridgeAllowed(%q) = %v; the case expects otherwise", tc.method, allowed)
		}
		n.send(map[string]any{"type": "req", "id": "r-" + tc.method, "method": tc.method})
		f := n.expect(TypeRes)
		if f.ID != "r-"+tc.method || f.Ok == nil || *f.Ok || f.Error == nil || f.Error.Code != tc.code || f.Error.Message != tc.msg {
			t.Fatalf("%s: %+v %+v", tc.method, f, f.Error)
		}
		if d, _ := f.Error.Details.(map[string]any); d["method"] != tc.method {
			t.Fatalf("%s: details %#v", tc.method, f.Error.Details)
		}
	}
}
