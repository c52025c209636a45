package heartbeat

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/clawgate/gateway/clients/go/gatewayclient"
	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/gatewaytest"
)

// TestLastHeartbeatOverTheWire: over a real WebSocket, last-heartbeat answers ok:true
// with payload null before any heartbeat (as the original; the typed Go call returns
// nil, nil), and the heartbeat's event after one, the same payload the `heartbeat`
// event carried.
func TestLastHeartbeatOverTheWire(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, err := gateway.New(gateway.Options{StateDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	r, _, ag, _, ev := newRunner(t, Config{})
	srv.Mux().SetHeartbeat(NewHandlers[*gateway.Conn](r))
	gw := gatewaytest.Start(t, srv)

	c := gatewaytest.Dial(t, gw.URL)
	c.Handshake(gatewaytest.V3Connect(nil))
	f := c.Call("last-heartbeat", map[string]any{})
	if !f.OK || f.Error != nil || string(f.Payload) != "null" {
		t.Fatalf("before the first heartbeat: want ok:true payload null, got %s", f.Raw)
	}
	cl, err := gatewayclient.Dial(ctx, gw.URL, gatewayclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if last, err := cl.LastHeartbeat(ctx, nil); last != nil || err != nil {
		t.Fatalf("typed call before the first heartbeat: %+v %v", last, err)
	}

	ag.replies = [][]string{{"Meeting moved"}}
	r.RunOnce(ctx, "main", "x")
	srv.Broadcast(WireEvent(<-ev))
	evf := c.NextEvent("heartbeat")
	f = c.Call("last-heartbeat", map[string]any{})
	if !f.OK || string(f.Payload) != string(evf.Payload) {
		t.Fatalf("after a heartbeat: last-heartbeat %s, event %s", f.Raw, evf.Payload)
	}
	last, err := cl.LastHeartbeat(ctx, nil)
	if err != nil || last == nil || last.Status != protocol.HeartbeatEventStatusSent || last.GetTo() != "42" {
		t.Fatalf("typed call after a heartbeat: %+v %v", last, err)
	}
	if n := c.Invalid.Load(); n != 0 {
		t.Fatalf("%d frames broke their schema", n)
	}
}
