package gateway

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/clawgate/gateway/gen/go/protocol"
)

// TestTalkMode: talk.mode answers with the mode and broadcasts it as a talk.mode
// event; a webchat client may only set it while an iOS/Android node is connected.
func TestTalkMode(t *testing.T) {
	e := startNodeEnv(t)
	web := dial(t, e.g.url)
	web.Handshake(v3Connect(map[string]any{
		"auth":   map[string]any{"token": e.token},
		"client": map[string]any{"id": "webchat-ui", "version": "1.0.0", "platform": "web", "mode": "webchat"},
	}))

	f := web.Call("talk.mode", map[string]any{"enabled": true})
	if f.OK || f.Error.Code != "UNAVAILABLE" || f.Error.Message != "talk disabled: no connected iOS/Android nodes" {
		t.Fatalf("webchat without a mobile node: %s", f.Raw)
	}

	// Any other client sets it without a node; every client hears of it.
	var r protocol.TalkModeResult
	e.op.MustOK("talk.mode", map[string]any{"enabled": true, "phase": "listening"}, &r)
	if !r.Enabled || r.GetPhase() != "listening" || r.Ts <= 0 {
		t.Fatalf("talk.mode result %+v", r)
	}
	var ev protocol.TalkModeEvent
	if err := json.Unmarshal(web.NextEvent("talk.mode").Payload, &ev); err != nil {
		t.Fatal(err)
	}
	if !ev.Enabled || ev.GetPhase() != "listening" || ev.Ts != r.Ts {
		t.Fatalf("talk.mode event %+v, result %+v", ev, r)
	}

	// With an iOS node connected the webchat client may too; no phase is null.
	e.connectNode(t, newDevice(t), []string{"canvas.navigate"})
	f = web.Call("talk.mode", map[string]any{"enabled": false})
	if !f.OK || !strings.Contains(string(f.Payload), `"phase":null`) {
		t.Fatalf("webchat with a mobile node: %s", f.Raw)
	}

	f = web.Call("talk.mode", map[string]any{"phase": "speaking"})
	if f.OK || f.Error.Code != "INVALID_REQUEST" {
		t.Fatalf("talk.mode without enabled: %s", f.Raw)
	}
}
