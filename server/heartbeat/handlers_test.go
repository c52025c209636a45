package heartbeat

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/clawgate/gateway/gen/go/protocol"
)

func TestHandlers(t *testing.T) {
	ctx := context.Background()
	r, _, ag, _, ev := newRunner(t, Config{})
	h := NewHandlers[struct{}](r)
	var c struct{}
	// Before the first heartbeat: no result and no error (the Mux answers payload null).
	if last, err := h.LastHeartbeat(ctx, c, &protocol.LastHeartbeatParams{}); last != nil || err != nil {
		t.Fatalf("before the first heartbeat: %+v %v", last, err)
	}
	res, err := h.SetHeartbeats(ctx, c, &protocol.SetHeartbeatsParams{Enabled: false})
	if err != nil || !res.Ok || res.Enabled || r.Enabled() {
		t.Fatal(res, err)
	}
	if got := r.RunOnce(ctx, "main", "x"); got.Reason != "disabled" {
		t.Fatalf("%+v", got)
	}
	_, _ = h.SetHeartbeats(ctx, c, &protocol.SetHeartbeatsParams{Enabled: true})
	ag.replies = [][]string{{"Meeting moved"}, {"HEARTBEAT_OK"}}
	r.RunOnce(ctx, "main", "x")
	last, err := h.LastHeartbeat(ctx, c, &protocol.LastHeartbeatParams{})
	if err != nil || last.Status != protocol.HeartbeatEventStatusSent || last.GetTo() != "42" {
		t.Fatalf("%+v %v", last, err)
	}
	r.RunOnce(ctx, "main", "x")
	for len(ev) > 0 {
		b, _ := json.Marshal(WireEvent(<-ev))
		if err, ok := protocol.Validate("events/heartbeat.json#/$defs/payload", b); !ok || err != nil {
			t.Fatalf("event %s: %v", b, err)
		}
	}
}
