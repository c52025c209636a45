package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/auth"
)

// twoStage is an agent group implemented outside the core, as the agent runtime is.
type twoStage struct {
	protocol.UnimplementedAgentHandler[*Conn]
	conns chan *Conn
}

func (a *twoStage) Agent(ctx context.Context, c *Conn, p *protocol.AgentParams) (*protocol.AgentResult, error) {
	at := int64(1)
	if err := Ack(ctx, &protocol.AgentResult{RunID: p.IdempotencyKey, Status: protocol.AgentResultStatusAccepted, AcceptedAt: &at}); err != nil {
		return nil, err
	}
	a.conns <- c
	c.SendEvent(&protocol.TickEvent{Ts: 7})
	done := "completed"
	return &protocol.AgentResult{RunID: p.IdempotencyKey, Status: protocol.AgentResultStatusOk, Summary: &done}, nil
}

func TestRegisterAndTwoStageResponse(t *testing.T) {
	impl := &twoStage{conns: make(chan *Conn, 1)}
	g := startGateway(t, Options{}, func(s *Server) {
		s.Mux().SetAgent(impl)
	})
	c := dial(t, g.url)
	c.Handshake(v3Connect(nil))
	ch := c.RequestMulti("agent", map[string]any{"message": "hi", "idempotencyKey": "run-1"})
	var statuses []string
	for len(statuses) < 2 {
		select {
		case f := <-ch:
			var r struct{ Status, RunID string }
			if !f.OK || json.Unmarshal(f.Payload, &r) != nil || r.RunID != "run-1" {
				t.Fatalf("bad response %s", f.Raw)
			}
			statuses = append(statuses, r.Status)
		case <-time.After(10 * time.Second):
			t.Fatalf("got %v, want two responses", statuses)
		}
	}
	if statuses[0] != "accepted" || statuses[1] != "ok" {
		t.Fatalf("responses %v, want [accepted ok]", statuses)
	}
	if f := c.NextEvent("tick"); f.Seq != nil {
		t.Errorf("targeted event carries a seq: %s", f.Raw)
	}
	conn := <-impl.conns
	_ = c.WS.WriteClose(1000, nil)
	select {
	case <-conn.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Done not closed after the client left")
	}
	// Unregistered groups still answer honestly.
	c2 := dial(t, g.url)
	c2.Handshake(v3Connect(nil))
	if f := c2.Call("sessions.list", map[string]any{}); f.OK {
		t.Fatalf("sessions.list answered ok without an implementation: %s", f.Raw)
	}
}

func TestHealthSourceContributes(t *testing.T) {
	g := startGateway(t, Options{}, func(s *Server) {
		s.AddHealthSource(func(ctx context.Context, sum *protocol.HealthSummary) {
			sum.Telegram.Configured = true
		})
	})
	c := dial(t, g.url)
	c.Handshake(v3Connect(nil))
	f := c.Call("health", map[string]any{"probe": true})
	if !f.OK {
		t.Fatal(f.Error)
	}
	var raw struct{ Telegram struct{ Configured bool } }
	_ = json.Unmarshal(f.Payload, &raw)
	if !raw.Telegram.Configured {
		t.Fatalf("health source not applied: %s", f.Payload)
	}
}

// TestControlUIInsecureAuth: a Control UI without device identity connecting from
// another machine (plain HTTP there) is refused unless
// gateway.controlUi.allowInsecureAuth; on localhost, and for other clients, the token
// is enough.
func TestControlUIInsecureAuth(t *testing.T) {
	remote := http.Header{"X-Forwarded-For": {"203.0.113.9"}}
	ui := func(map[string]any) map[string]any {
		p := v3Connect(map[string]any{"auth": map[string]any{"token": "s3cret"}})
		p["client"] = map[string]any{"id": "clawdbot-control-ui", "version": "1", "platform": "web", "mode": "webchat"}
		return p
	}
	for _, tc := range []struct {
		name   string
		allow  bool
		header http.Header
		params map[string]any
		ok     bool
	}{
		{"remote control ui refused", false, remote, ui(nil), false},
		{"remote control ui with allowInsecureAuth", true, remote, ui(nil), true},
		{"local control ui", false, nil, ui(nil), true},
		{"remote cli with token", false, remote, v3Connect(map[string]any{"auth": map[string]any{"token": "s3cret"}}), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := startGateway(t, Options{Secrets: auth.Secrets{Mode: auth.ModeToken, Token: "s3cret"}, AllowInsecureControlUI: tc.allow})
			c := dialHeader(t, g.url, tc.header)
			f := c.Call("connect", tc.params)
			if f.OK != tc.ok {
				t.Fatalf("ok = %v, want %v (%+v)", f.OK, tc.ok, f.Error)
			}
			if !tc.ok {
				if f.Error.Message != "control ui requires HTTPS or localhost (secure context)" {
					t.Fatalf("error %+v", f.Error)
				}
				if ce := c.WaitClose(); ce.Code != 1008 {
					t.Fatalf("close %d %q", ce.Code, ce.Reason)
				}
			}
		})
	}
}

// TestStatusReflectsHealthSources: status summarises what the providers and the
// session store put into health, not fixed text.
func TestStatusReflectsHealthSources(t *testing.T) {
	age, upd := int64(90*60*1000), int64(1700000000000)
	g := startGateway(t, Options{}, func(s *Server) {
		s.AddHealthSource(func(ctx context.Context, sum *protocol.HealthSummary) {
			sum.Web.Linked, sum.Web.AuthAgeMs = true, &age
			sum.Telegram.Configured = true
			sum.Sessions.Count = 2
			sum.Sessions.Recent = []protocol.HealthSummarySessionsRecentItem{{Key: "agent:main:main", UpdatedAt: &upd}, {Key: "agent:main:telegram:group:5"}}
		})
	})
	c := dial(t, g.url)
	c.Handshake(v3Connect(nil))
	c.MustOK("health", map[string]any{"probe": true}, nil)
	var st protocol.StatusResult
	f := c.Call("status", nil)
	if !f.OK || st.UnmarshalJSON(f.Payload) != nil {
		t.Fatalf("status: %s", f.Raw)
	}
	if want := []string{"WhatsApp: linked (auth age 1h30m0s)", "Telegram: configured"}; len(st.ProviderSummary) != 2 || st.ProviderSummary[0] != want[0] || st.ProviderSummary[1] != want[1] {
		t.Fatalf("providerSummary %q, want %q", st.ProviderSummary, want)
	}
	if !st.Web.Linked || st.Sessions.Count != 2 || len(st.Sessions.Recent) != 2 || st.Sessions.Recent[1].Kind != protocol.SessionKindGroup || st.Sessions.Recent[0].Kind != protocol.SessionKindDirect {
		t.Fatalf("status %+v", st)
	}
}

// TestTrustedProxies: behind a reverse proxy listed in gateway.trustedProxies, the
// client X-Forwarded-For names is the one that counts: a Control UI whose proxy says it
// is on this machine is local, one the proxy says is remote is not, and a client that
// writes "127.0.0.1" into the header itself (the proxy appends the real address) is
// still remote. Without trusted proxies the header makes any request remote. The
// presence entry shows the client's address, not the proxy's.
func TestTrustedProxies(t *testing.T) {
	trusted, bad := auth.ParseTrustedProxies([]string{"127.0.0.1", "not-an-ip"})
	if len(bad) != 1 {
		t.Fatalf("bad entries %q", bad)
	}
	ui := func() map[string]any {
		p := v3Connect(map[string]any{"auth": map[string]any{"token": "s3cret"}})
		p["client"] = map[string]any{"id": "clawdbot-control-ui", "version": "1", "platform": "web", "mode": "webchat"}
		return p
	}
	for _, tc := range []struct {
		name    string
		trusted []netip.Prefix
		xff     string
		local   bool
	}{
		{"local client through a trusted proxy", trusted, "127.0.0.1", true},
		{"remote client through a trusted proxy", trusted, "203.0.113.9", false},
		{"spoofed first entry", trusted, "127.0.0.1, 203.0.113.9", false},
		{"untrusted proxy", nil, "127.0.0.1", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := startGateway(t, Options{Secrets: auth.Secrets{Mode: auth.ModeToken, Token: "s3cret"}, TrustedProxies: tc.trusted})
			c := dialHeader(t, g.url, http.Header{"X-Forwarded-For": {tc.xff}})
			if f := c.Call("connect", ui()); f.OK != tc.local {
				t.Fatalf("control ui connect ok = %v, want %v (%+v)", f.OK, tc.local, f.Error)
			}
		})
	}

	g := startGateway(t, Options{Secrets: auth.Secrets{Mode: auth.ModeToken, Token: "s3cret"}, TrustedProxies: trusted})
	c := dialHeader(t, g.url, http.Header{"X-Forwarded-For": {"198.51.100.7"}})
	p := v3Connect(map[string]any{"auth": map[string]any{"token": "s3cret"}})
	p["client"] = map[string]any{"id": "clawdbot-macos", "version": "1", "platform": "macos", "mode": "ui", "instanceId": "mac-behind-proxy"}
	c.Handshake(p)
	var pres []map[string]any
	c.MustOK("system-presence", nil, &pres)
	for _, e := range pres {
		if e["instanceId"] == "mac-behind-proxy" {
			if e["ip"] != "198.51.100.7" {
				t.Fatalf("presence ip %v, want the client's 198.51.100.7", e["ip"])
			}
			return
		}
	}
	t.Fatalf("no presence entry for the client: %v", pres)
}
