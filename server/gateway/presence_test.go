package gateway

import (
	"fmt"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
)

// TestDisconnectPresenceCoalesced: a burst of disconnects reaches a watcher as at most
// two presence broadcasts (the first at once, one trailing) whose last one has every
// disconnect and the store's version; with coalescing off each disconnect is its own
// broadcast.
func TestDisconnectPresenceCoalesced(t *testing.T) {
	for _, tc := range []struct {
		name      string
		coalesce  time.Duration
		maxEvents int
		minEvents int
	}{
		{"coalesced", time.Second, 2, 1},
		{"off", -1, 5, 5}, // (a broadcast may already show a later disconnect)
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := startGateway(t, Options{PresenceCoalesce: tc.coalesce})
			watcher := dial(t, g.url)
			watcher.Handshake(v2Connect(map[string]any{"client": map[string]any{"name": "watcher", "version": "1", "platform": "linux", "mode": "cli"}}))
			var apps []*testClient
			for i := range 5 {
				c := dial(t, g.url)
				c.Handshake(v2Connect(map[string]any{"client": map[string]any{"name": "app", "version": "1", "platform": "linux", "mode": "ui", "instanceId": fmt.Sprintf("app-%d", i)}}))
				apps = append(apps, c)
			}
			for _, c := range apps {
				_ = c.WS.NetConn().Close()
			}
			events := 0
			for tc.coalesce < 0 && events < 5 { // one broadcast per disconnect
				watcher.NextEvent("presence")
				events++
			}
			for tc.coalesce > 0 {
				ev := watcher.NextEvent("presence")
				events++
				var pe protocol.PresenceEvent
				if err := pe.UnmarshalJSON(ev.Payload); err != nil {
					t.Fatal(err)
				}
				gone := 0
				for _, e := range pe.Presence {
					if e.Reason != nil && *e.Reason == "disconnect" {
						gone++
					}
				}
				if gone == 5 {
					if v := g.s.presence.Version(); ev.StateVersion == nil || ev.StateVersion.Presence != v {
						t.Fatalf("last broadcast has stateVersion %+v, store is at %d", ev.StateVersion, v)
					}
					break
				}
			}
			if events > tc.maxEvents || events < tc.minEvents {
				t.Fatalf("%d presence broadcasts for 5 disconnects, want %d..%d", events, tc.minEvents, tc.maxEvents)
			}
		})
	}
}
