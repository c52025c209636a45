package daemon

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawgate/gateway/gen/go/protocol"
)

// TestConfigApplyReportsChannelRestarts: config.apply's hot list names the channels
// whose accounts the reload actually restarted: a WhatsApp account's authDir change
// restarts it (the rules read channels.whatsapp live, so the plan alone left it out),
// and a channels.telegram change with no bot configured restarts nothing (the plan
// alone said "telegram").
func TestConfigApplyReportsChannelRestarts(t *testing.T) {
	home := t.TempDir()
	cfg := func(authDir, dmPolicy string) string {
		return fmt.Sprintf(`{ gateway: { mode: "local", reload: { mode: "hybrid" } },
  channels: { whatsapp: { accounts: { a: { authDir: %q } } }, telegram: { dmPolicy: %q } } }`,
			filepath.Join(home, authDir), dmPolicy)
	}
	r := startHome(t, home, cfg("wa-1", "pairing"), nil)
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
		{"whatsapp account restarted", cfg("wa-2", "pairing"), "whatsapp", `restarted=[whatsapp]`},
		{"telegram without a bot", cfg("wa-2", "open"), "", `restarted=[] `},
	}
	for _, tt := range tests {
		ar := apply(tt.raw)
		if got := strings.Join(ar.Reload.Hot, ","); got != tt.hot {
			t.Fatalf("%s: hot %q, want %q (changed %v)", tt.name, got, tt.hot, ar.Reload.Changed)
		}
		r.waitOutput(t, `msg="config.apply applied (hot)" changed=`+fmt.Sprint(ar.Reload.Changed)+" "+tt.log)
	}
}
