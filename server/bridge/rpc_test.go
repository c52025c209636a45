package bridge

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/presence"
	"github.com/clawgate/gateway/server/system"
	"github.com/clawgate/gateway/server/voicewake"
)

// TestBridgeReqAllowlist: which methods a node may call with req comes from the
// manifest ("bridge": true, and bridgePending for methods of the original not defined
// here yet). Without a method table allowed ones are answered UNAVAILABLE, the rest
// FORBIDDEN "Method not allowed", each with details {method}.
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

// fakeGateway is the system group's view of a gateway: a fixed health snapshot.
type fakeGateway struct{ sum protocol.HealthSummary }

func (g *fakeGateway) Health(context.Context, bool) (protocol.HealthSummary, error) {
	return g.sum, nil
}
func (g *fakeGateway) CurrentHealth() protocol.HealthSummary { return g.sum }
func (g *fakeGateway) Presence() *presence.Store             { return nil }
func (g *fakeGateway) ChangePresence(func(*presence.Store))  {}

type broadcaster struct{ events chan protocol.Event }

func (b broadcaster) Broadcast(ev protocol.Event) int64 { b.events <- ev; return 1 }

// TestBridgeReqRuns: with a method table a node's req runs the allowlisted method
// over the real TCP connection and gets its payloadJSON (protocol-2 shapes); bad
// params are INVALID_REQUEST with the schema's message; a group the table lacks is
// UNAVAILABLE; methods outside the allowlist stay FORBIDDEN.
func TestBridgeReqRuns(t *testing.T) {
	stateDir := t.TempDir()
	events := make(chan protocol.Event, 10)
	mux := protocol.NewMux[*Caller]()
	mux.SetSystem(system.New[*Caller](&fakeGateway{sum: protocol.HealthSummary{Ok: true, Ts: 42, Sessions: protocol.HealthSummarySessions{Path: "p", Recent: []protocol.HealthSummarySessionsRecentItem{}}}}, system.Options{}))
	mux.SetVoicewake(voicewake.New[*Caller](broadcaster{events}, voicewake.Options{StateDir: stateDir}))
	e := startEnv(t, func(o *Options) { o.Methods = func() *protocol.Mux[*Caller] { return mux } })
	n := e.dial()
	e.pair(n)

	call := func(id, method, params string) Frame {
		t.Helper()
		m := map[string]any{"type": "req", "id": id, "method": method}
		if params != "" {
			m["paramsJSON"] = params
		}
		n.send(m)
		f := n.expect(TypeRes)
		if f.ID != id {
			t.Fatalf("res id %q, want %q", f.ID, id)
		}
		return f
	}
	f := call("h", "health", "")
	var sum protocol.HealthSummary
	if f.Ok == nil || !*f.Ok || f.PayloadJSON == nil || json.Unmarshal([]byte(*f.PayloadJSON), &sum) != nil || !sum.Ok || sum.Ts != 42 {
		t.Fatalf("health: %+v", f)
	}
	f = call("s", "voicewake.set", `{"triggers":[" hey node "]}`)
	if f.Ok == nil || !*f.Ok || f.PayloadJSON == nil || *f.PayloadJSON != `{"triggers":["hey node"]}` {
		t.Fatalf("voicewake.set: %+v %v", f, f.PayloadJSON)
	}
	if ev := (<-events).(*protocol.VoicewakeChangedEvent); ev.Triggers[0] != "hey node" {
		t.Fatalf("voicewake.changed %+v", ev)
	}
	if b, err := os.ReadFile(filepath.Join(stateDir, "settings", "voicewake.json")); err != nil || !strings.Contains(string(b), "hey node") {
		t.Fatalf("voicewake file %s (%v)", b, err)
	}
	f = call("g", "voicewake.get", "{}")
	if f.Ok == nil || !*f.Ok || *f.PayloadJSON != `{"triggers":["hey node"]}` {
		t.Fatalf("voicewake.get: %+v", f)
	}
	f = call("bad", "voicewake.set", `{"triggers":"x"}`)
	if f.Ok == nil || *f.Ok || f.Error == nil || f.Error.Code != CodeInvalidRequest || !strings.Contains(f.Error.Message, "/triggers") {
		t.Fatalf("bad params: %+v %+v", f, f.Error)
	}
	f = call("chat", "chat.history", `{"sessionKey":"main"}`)
	if f.Ok == nil || *f.Ok || f.Error == nil || f.Error.Code != CodeUnavailable {
		t.Fatalf("chat.history without the chat group: %+v %+v", f, f.Error)
	}
	f = call("send", "send", `{}`)
	if f.Error == nil || f.Error.Code != CodeForbidden {
		t.Fatalf("send: %+v", f.Error)
	}
}
