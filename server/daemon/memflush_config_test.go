package daemon

import (
	"encoding/json"
	"testing"

	genconfig "github.com/clawgate/gateway/gen/go/config"
	"github.com/clawgate/gateway/server/agent"
)

// TestCompactionConfigMemoryFlush: agents.defaults.compaction.memoryFlush reaches the
// engine's compaction config — on by default with the original's defaults, off with
// enabled false, the configured threshold and prompts otherwise.
func TestCompactionConfigMemoryFlush(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  string
		want *agent.MemoryFlushConfig
	}{
		{"default", `{}`, &agent.MemoryFlushConfig{SoftThresholdTokens: agent.DefaultMemoryFlushSoftTokens, Prompt: agent.DefaultMemoryFlushPrompt, SystemPrompt: agent.DefaultMemoryFlushSystemPrompt}},
		{"disabled", `{"agents":{"defaults":{"compaction":{"memoryFlush":{"enabled":false}}}}}`, nil},
		{"configured", `{"agents":{"defaults":{"compaction":{"memoryFlush":{"softThresholdTokens":1500,"prompt":"Save notes.","systemPrompt":"Flush now."}}}}}`,
			&agent.MemoryFlushConfig{SoftThresholdTokens: 1500, Prompt: "Save notes.", SystemPrompt: "Flush now."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c genconfig.ClawdbotConfig
			if err := json.Unmarshal([]byte(tc.cfg), &c); err != nil {
				t.Fatal(err)
			}
			got := compactionConfig(&c).MemoryFlush
			if (got == nil) != (tc.want == nil) || (got != nil && *got != *tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
