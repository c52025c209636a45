package daemon

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/voicewake"
)

// TestVoicewakeOnNodeConnect: a node that connects gets voicewake.changed with the
// current wake words right after its hello-ok, sent to it alone (no seq), as the
// original does; the defaults when none are stored, the stored words after a set.
func TestVoicewakeOnNodeConnect(t *testing.T) {
	r := start(t, `{gateway: {mode: "local"}}`)
	op := r.client(t)

	expect := func(want []string) {
		t.Helper()
		n, _ := r.nodeClient(t)
		f := n.NextEvent("voicewake.changed")
		var ev protocol.VoicewakeChangedEvent
		if err := json.Unmarshal(f.Payload, &ev); err != nil || !slices.Equal(ev.Triggers, want) {
			t.Fatalf("voicewake.changed on connect = %s (%v), want %v", f.Payload, err, want)
		}
		if f.Seq != nil {
			t.Fatalf("voicewake.changed on connect carries a seq (a broadcast, not the node's own): %s", f.Raw)
		}
	}
	expect(voicewake.DefaultTriggers())

	op.MustOK("voicewake.set", map[string]any{"triggers": []string{"hey node"}}, nil)
	expect([]string{"hey node"})
}
