package daemon

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/gatewaytls"
)

func TestBonjourPlan(t *testing.T) {
	cases := []struct {
		env  map[string]string
		host string
		want bool
		why  string
	}{
		{nil, "0.0.0.0", true, ""},
		{nil, "192.168.1.20", true, ""},
		{nil, "127.0.0.1", false, "loopback bind"},
		{nil, "::1", false, "loopback bind"},
		{map[string]string{"CLAWDBOT_DISABLE_BONJOUR": "1"}, "0.0.0.0", false, "CLAWDBOT_DISABLE_BONJOUR"},
		{map[string]string{"CLAWDBOT_DISABLE_BONJOUR": "true"}, "0.0.0.0", false, "CLAWDBOT_DISABLE_BONJOUR"},
		{map[string]string{"CLAWDBOT_DISABLE_BONJOUR": "0"}, "0.0.0.0", true, ""},
	}
	for _, tc := range cases {
		ok, why := bonjourPlan(config.MapEnv(tc.env), tc.host)
		if ok != tc.want || why != tc.why {
			t.Errorf("env %v host %s: %v %q, want %v %q", tc.env, tc.host, ok, why, tc.want, tc.why)
		}
	}
}

// TestBonjourOffOnLoopback: the default (loopback) daemon says why it does not
// advertise; a LAN bind with CLAWDBOT_DISABLE_BONJOUR=1 does not either.
func TestBonjourDaemon(t *testing.T) {
	r := start(t, "")
	r.waitOutput(t, `bonjour: not advertising" reason="loopback bind"`)

	t.Setenv("CLAWDBOT_DISABLE_BONJOUR", "1")
	t.Setenv("CLAWDBOT_GATEWAY_TOKEN", "tok-for-lan")
	r2 := start(t, `{ gateway: { mode: "local", bind: "lan" } }`)
	r2.waitOutput(t, `bonjour: not advertising" reason=CLAWDBOT_DISABLE_BONJOUR`)
}

// TestDiscoveryAdvertisesTLS: with gateway.tls on, the TXT record says gatewayTls=1 and
// carries the certificate's SHA-256, which the apps pin (the original's beacon keys).
func TestDiscoveryAdvertisesTLS(t *testing.T) {
	for _, tc := range []struct {
		cfg     string
		wantTLS bool
	}{
		{`{"gateway": {"tls": {"enabled": true}}}`, true},
		{`{"gateway": {"tls": {"enabled": false}}}`, false},
		{`{}`, false},
	} {
		f, err := config.Parse("clawdbot.json", []byte(tc.cfg))
		if err != nil {
			t.Fatal(err)
		}
		state := t.TempDir()
		s := &services{file: f, paths: config.Paths{StateDir: state}, env: config.MapEnv(nil), log: slog.New(slog.DiscardHandler)}
		txt := strings.Join(s.discoveryOptions("0.0.0.0", 18789, 0).TXT(), " ")
		if !tc.wantTLS {
			if strings.Contains(txt, "gatewayTls") {
				t.Errorf("%s: TXT %s advertises TLS", tc.cfg, txt)
			}
			continue
		}
		cert, key := gatewaytls.DefaultPaths(state)
		rt, err := gatewaytls.Load(gatewaytls.Options{CertPath: cert, KeyPath: key})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(txt, "gatewayTls=1 gatewayTlsSha256="+rt.Fingerprint) {
			t.Errorf("%s: TXT %s lacks gatewayTls=1 and the fingerprint %s", tc.cfg, txt, rt.Fingerprint)
		}
	}
}
