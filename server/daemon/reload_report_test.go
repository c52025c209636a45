package daemon

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	genconfig "github.com/clawgate/gateway/gen/go/config"
	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/providers/whatsapp"
)

// TestConfigApplyReportsChannelRestarts: config.apply's hot list names the channels
// whose accounts the reload actually restarted: a WhatsApp account's authDir change
// restarts it (the rules read channels.whatsapp live, so the plan alone left it out),
// a channels.telegram change with no bot configured restarts nothing (the plan alone
// said "telegram"), and a web.reconnect change restarts the WhatsApp accounts, as the
// original restarts the channel on web.*.
func TestConfigApplyReportsChannelRestarts(t *testing.T) {
	home := t.TempDir()
	cfg := func(authDir, dmPolicy string, maxAttempts int) string {
		return fmt.Sprintf(`{ gateway: { mode: "local", reload: { mode: "hybrid" } }, web: { reconnect: { maxAttempts: %d } },
  channels: { whatsapp: { accounts: { a: { authDir: %q } } }, telegram: { dmPolicy: %q } } }`,
			maxAttempts, filepath.Join(home, authDir), dmPolicy)
	}
	r := startHome(t, home, cfg("wa-1", "pairing", 0), nil)
	c := r.client(t)
	apply := func(raw string) protocol.ConfigApplyResult {
		t.Helper()
		var ar protocol.ConfigApplyResult
		got := configGet(t, c)
		c.MustOK("config.apply", map[string]any{"raw": raw, "baseHash": got.GetHash()}, &ar)
		if ar.Reload.Restart {
			t.Fatalf("a channel change restarts the gateway: %+v", ar.Reload)
		}
		return ar
	}
	tests := []struct {
		name, raw, hot, log string
	}{
		{"whatsapp account restarted", cfg("wa-2", "pairing", 0), "whatsapp", `restarted=[whatsapp]`},
		{"telegram without a bot", cfg("wa-2", "open", 0), "", `restarted=[] `},
		{"web.reconnect", cfg("wa-2", "open", 5), "whatsapp", `restarted=[whatsapp]`},
	}
	for _, tt := range tests {
		ar := apply(tt.raw)
		if got := strings.Join(ar.Reload.Hot, ","); got != tt.hot {
			t.Fatalf("%s: hot %q, want %q (changed %v)", tt.name, got, tt.hot, ar.Reload.Changed)
		}
		r.waitOutput(t, `msg="config.apply applied (hot)" changed=`+fmt.Sprint(ar.Reload.Changed)+" "+tt.log)
	}
}

// TestWhatsAppReconnect: web.reconnect's keys override the default policy one by one
// and are clamped as the original clamps them.
func TestWhatsAppReconnect(t *testing.T) {
	f64 := func(v float64) *float64 { return &v }
	n := func(v int) *int { return &v }
	def := whatsapp.DefaultReconnect()
	tests := []struct {
		name string
		web  *genconfig.ConfigWeb
		want whatsapp.ReconnectPolicy
	}{
		{"unset", nil, def},
		{"no reconnect", &genconfig.ConfigWeb{}, def},
		{"one key", &genconfig.ConfigWeb{Reconnect: &genconfig.ConfigWebReconnect{MaxAttempts: n(12)}},
			whatsapp.ReconnectPolicy{Initial: def.Initial, Max: def.Max, Factor: def.Factor, MaxAttempts: 12}},
		{"the original's defaults", &genconfig.ConfigWeb{Reconnect: &genconfig.ConfigWebReconnect{InitialMs: f64(2000), MaxMs: f64(30000),
			Factor: f64(1.8), Jitter: f64(0.25), MaxAttempts: n(12)}},
			whatsapp.ReconnectPolicy{Initial: 2 * time.Second, Max: 30 * time.Second, Factor: 1.8, Jitter: 0.25, MaxAttempts: 12}},
		{"clamped", &genconfig.ConfigWeb{Reconnect: &genconfig.ConfigWebReconnect{InitialMs: f64(10), MaxMs: f64(1e300), Factor: f64(99)}},
			whatsapp.ReconnectPolicy{Initial: 250 * time.Millisecond, Max: math.MaxInt64, Factor: 10}},
	}
	for _, tt := range tests {
		if got := whatsappReconnect(&genconfig.ClawdbotConfig{Web: tt.web}); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}
