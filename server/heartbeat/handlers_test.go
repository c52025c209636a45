package heartbeat

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/tools/protogen/runtime/rpc"
)

func TestHandlers(t *testing.T) {
	ctx := context.Background()
	r, _, ag, _, ev := newRunner(t, Config{})
	h := NewHandlers[struct{}](r)
	var c struct{}
	var re *rpc.Error
	if _, err := h.LastHeartbeat(ctx, c, &protocol.LastHeartbeatParams{}); !errors.As(err, &re) || re.Code != string(protocol.ErrorCodeUnavailable) {
		t.Fatalf("before the first heartbeat: %v", err)
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
