package daemon

import (
	"encoding/json"
	"log/slog"
	"reflect"
	"testing"
	"time"

	genconfig "github.com/clawgate/gateway/gen/go/config"
	"github.com/clawgate/gateway/server/agent/pruning"
)

// TestContextPruningConfig: agents.defaults.contextPruning reaches the engine — off
// unless mode is cache-ttl, the original's defaults for what is unset, the ttl's bare
// number in minutes, out-of-range values clamped, a blank placeholder ignored.
func TestContextPruningConfig(t *testing.T) {
	with := func(f func(*pruning.Settings)) *pruning.Settings {
		s := pruning.Defaults()
		f(&s)
		return &s
	}
	for _, tc := range []struct {
		name string
		cfg  string
		want *pruning.Settings
	}{
		{"absent", `{}`, nil},
		{"off", `{"agents":{"defaults":{"contextPruning":{"mode":"off","ttl":"1h"}}}}`, nil},
		{"defaults", `{"agents":{"defaults":{"contextPruning":{"mode":"cache-ttl"}}}}`, with(func(*pruning.Settings) {})},
		{"configured", `{"agents":{"defaults":{"contextPruning":{"mode":"cache-ttl","ttl":"90","keepLastAssistants":1,"softTrimRatio":0.2,"hardClearRatio":0.9,
			"minPrunableToolChars":10,"tools":{"allow":["exec"],"deny":["read"]},"softTrim":{"maxChars":50,"headChars":5,"tailChars":6},
			"hardClear":{"enabled":false,"placeholder":"  [gone]  "}}}}}`, with(func(s *pruning.Settings) {
			s.TTL, s.KeepLastAssistants, s.SoftTrimRatio, s.HardClearRatio, s.MinPrunableToolChars = 90*time.Minute, 1, 0.2, 0.9, 10
			s.Allow, s.Deny = []string{"exec"}, []string{"read"}
			s.SoftTrimMaxChars, s.SoftTrimHeadChars, s.SoftTrimTailChars = 50, 5, 6
			s.HardClearEnabled, s.Placeholder = false, "[gone]"
		})},
		{"bad ttl keeps the default", `{"agents":{"defaults":{"contextPruning":{"mode":"cache-ttl","ttl":"soon","hardClear":{"placeholder":" "}}}}}`, with(func(*pruning.Settings) {})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c genconfig.ClawdbotConfig
			if err := json.Unmarshal([]byte(tc.cfg), &c); err != nil {
				t.Fatal(err)
			}
			got := contextPruning(&c, slog.New(slog.DiscardHandler))
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
