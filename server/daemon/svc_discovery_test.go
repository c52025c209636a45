package daemon

import (
	"testing"

	"github.com/clawgate/gateway/server/config"
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
