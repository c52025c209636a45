package core_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/bridge"
	"github.com/clawgate/gateway/server/core"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/gatewaytest"
)

// TestBridgeMethods: the bridge's method table runs on the gateway it was built for —
// health is that gateway's snapshot, and a node's voicewake.set reaches the
// gateway's WebSocket clients as voicewake.changed; groups it does not carry (chat)
// are UNAVAILABLE.
func TestBridgeMethods(t *testing.T) {
	s, err := gateway.New(gateway.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	core.Serve(s)
	url := gatewaytest.Start(t, s).URL
	op := gatewaytest.Dial(t, url)
	op.Handshake(gatewaytest.V3Connect(nil))

	m := core.BridgeMethods(s)
	ctx := context.Background()
	p, err := m.Dispatch(ctx, &bridge.Caller{}, nil, 2, "health", nil)
	if err != nil {
		t.Fatal(err)
	}
	var sum protocol.HealthSummary
	if err := json.Unmarshal(p.AppendJSON(nil), &sum); err != nil || !sum.Ok || sum.GetConnections() < 1 {
		t.Fatalf("health over the bridge table: %+v (%v)", sum, err)
	}
	if _, err := m.Dispatch(ctx, &bridge.Caller{}, nil, 2, "voicewake.set", []byte(`{"triggers":["bridge word"]}`)); err != nil {
		t.Fatal(err)
	}
	var ev protocol.VoicewakeChangedEvent
	if err := json.Unmarshal(op.NextEvent("voicewake.changed").Payload, &ev); err != nil || len(ev.Triggers) != 1 || ev.Triggers[0] != "bridge word" {
		t.Fatalf("voicewake.changed %+v (%v)", ev, err)
	}
	if _, err := m.Dispatch(ctx, &bridge.Caller{}, nil, 2, "chat.history", []byte(`{"sessionKey":"main"}`)); err == nil {
		t.Fatal("chat.history over the bridge table: no error")
	}
}
