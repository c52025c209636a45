package gateway

import (
	"slices"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
)

// TestConnectV2ClientOffering3: a protocol-2 client block (client.name) with
// maxProtocol 3 negotiates protocol 2 instead of failing the v3 schema; a v3 block
// with the same range still gets 3, and a v2 block that only offers 3 is refused.
func TestConnectV2ClientOffering3(t *testing.T) {
	g := startGateway(t, Options{})
	tests := []struct {
		name   string
		params map[string]any
		want   int64
		refuse string
	}{
		{"v2 client, range 2..3", v2Connect(map[string]any{"maxProtocol": 3}), 2, ""},
		{"v3 client, range 2..3", v3Connect(map[string]any{"minProtocol": 2}), 3, ""},
		{"v2 client, range 3..3", v2Connect(map[string]any{"minProtocol": 3, "maxProtocol": 3}), 0, "invalid connect params: /client: must NOT have additional properties (\"name\")"},
		{"both name and id, range 2..3", v3Connect(map[string]any{"minProtocol": 2, "client": map[string]any{"id": "test", "name": "x", "version": "1", "platform": "linux", "mode": "test"}}), 0, "invalid connect params: /client: must NOT have additional properties (\"name\")"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, g.url)
			if tc.refuse != "" {
				f := c.Call("connect", tc.params)
				if f.OK || f.Error.Message != tc.refuse {
					t.Fatalf("connect = %s, want refusal %q", f.Raw, tc.refuse)
				}
				return
			}
			if h := c.Handshake(tc.params); h.Protocol != tc.want {
				t.Fatalf("protocol %d, want %d", h.Protocol, tc.want)
			}
		})
	}
}

// TestHealthAfterConnect: every new client hears a health event shortly after
// hello-ok, as the reference sends one after each connect, even when connects come
// faster than the refresh throttle (the burst shares one trailing refresh).
func TestHealthAfterConnect(t *testing.T) {
	g := startGateway(t, Options{})
	for i := range 3 {
		c := dial(t, g.url)
		params := v3Connect(nil)
		if i == 1 {
			params = v2Connect(nil)
		}
		h := c.Handshake(params)
		start := time.Now()
		f := c.NextEvent("health")
		if f.StateVersion == nil || f.StateVersion.Health <= h.Snapshot.StateVersion.Health {
			t.Fatalf("client %d: health event stateVersion %+v not newer than hello-ok's %d", i, f.StateVersion, h.Snapshot.StateVersion.Health)
		}
		// The throttle is 1s; 5s is a generous bound for a loaded machine.
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("client %d waited %v for health", i, d)
		}
	}
}

// TestHealthStatusShapes: health and status carry the protocol-3 fields (channels,
// channelOrder, channelLabels, defaultAgentId, agents; linkChannel, heartbeat,
// channelSummary, sessions.paths/byAgent) next to the v2 fields, for clients of either
// protocol, and a v3 hello-ok carries snapshot.sessionDefaults.
func TestHealthStatusShapes(t *testing.T) {
	g := startGateway(t, Options{MainKey: "main"})
	for _, params := range []map[string]any{v2Connect(nil), v3Connect(nil)} {
		c := dial(t, g.url)
		h := c.Handshake(params)
		if h.Protocol == 3 {
			sd := h.Snapshot.SessionDefaults
			if sd == nil || sd.DefaultAgentID != "main" || sd.MainSessionKey != "agent:main:main" || sd.GetScope() != "per-sender" {
				t.Fatalf("v3 hello-ok sessionDefaults = %+v", sd)
			}
		}
		var sum protocol.HealthSummary
		c.MustOK("health", map[string]any{"probe": true}, &sum)
		if !slices.Equal(sum.ChannelOrder, []string{"whatsapp", "telegram"}) || sum.ChannelLabels["whatsapp"] != "WhatsApp" ||
			sum.Channels["telegram"].AccountID != "default" || sum.Channels["whatsapp"].Accounts["default"].AccountID != "default" {
			t.Fatalf("protocol %d health channels: %+v %+v %+v", h.Protocol, sum.ChannelOrder, sum.ChannelLabels, sum.Channels)
		}
		if sum.GetDefaultAgentID() != "main" || len(sum.Agents) != 1 || !sum.Agents[0].IsDefault ||
			sum.Agents[0].Heartbeat.Every != "disabled" || sum.Agents[0].Sessions.Path != sum.Sessions.Path {
			t.Fatalf("protocol %d health agents: %+v", h.Protocol, sum.Agents)
		}
		var st protocol.StatusResult
		c.MustOK("status", nil, &st)
		if st.GetLinkChannel().ID != "whatsapp" || st.GetHeartbeat().DefaultAgentID != "main" || len(st.GetHeartbeat().Agents) != 1 ||
			!slices.Equal(st.ChannelSummary, st.ProviderSummary) || len(st.Sessions.ByAgent) != 1 || st.Sessions.Paths[0] != st.Sessions.Path {
			t.Fatalf("protocol %d status: %+v", h.Protocol, st)
		}
	}
}
