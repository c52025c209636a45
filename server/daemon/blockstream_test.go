package daemon

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/agent"
	"github.com/clawgate/gateway/server/config"
)

// TestBlockStreamingConfig: the resolution of a reply's block streaming, as the
// original: off unless blockStreamingDefault "on" or the channel (or its account)
// says blockStreaming true, the channel's false winning over "on"; blocks 800..1200
// capped at the text limit; the coalescing object of the account, else the channel,
// else the defaults, whole (not field by field); humanDelay field by field, the
// agent's over the defaults'.
func TestBlockStreamingConfig(t *testing.T) {
	for _, tc := range []struct {
		name, cfg        string
		key, ch, account string
		want             *agent.BlockStreaming
	}{
		{"off by default", `{}`, "agent:main:telegram:1", "telegram", "", nil},
		{"default on", `{agents: {defaults: {blockStreamingDefault: "on"}}}`, "agent:main:whatsapp:1", "whatsapp", "",
			&agent.BlockStreaming{Break: "text_end", MinChars: 800, MaxChars: 1200, Preference: "paragraph", CoalesceMin: 800, CoalesceMax: 4000, CoalesceIdle: time.Second}},
		{"channel off wins", `{agents: {defaults: {blockStreamingDefault: "on"}}, channels: {whatsapp: {blockStreaming: false}}}`, "k", "whatsapp", "", nil},
		{"account on", `{channels: {whatsapp: {blockStreaming: false, accounts: {work: {blockStreaming: true}}}}}`, "k", "whatsapp", "work",
			&agent.BlockStreaming{Break: "text_end", MinChars: 800, MaxChars: 1200, Preference: "paragraph", CoalesceMin: 800, CoalesceMax: 4000, CoalesceIdle: time.Second}},
		{"whatsapp coalescing", `{channels: {whatsapp: {blockStreaming: true, textChunkLimit: 1000, blockStreamingCoalesce: {minChars: 5, idleMs: 0},
			accounts: {work: {blockStreamingCoalesce: {maxChars: 600}}}}}}`, "k", "whatsapp", "",
			&agent.BlockStreaming{Break: "text_end", MinChars: 800, MaxChars: 1000, Preference: "paragraph", CoalesceMin: 5, CoalesceMax: 1000}},
		{"whatsapp account coalescing", `{channels: {whatsapp: {blockStreaming: true, blockStreamingCoalesce: {minChars: 5, idleMs: 0},
			accounts: {Work: {blockStreamingCoalesce: {maxChars: 600}, textChunkLimit: 700}}}}}`, "k", "whatsapp", "work",
			&agent.BlockStreaming{Break: "text_end", MinChars: 700, MaxChars: 700, Preference: "paragraph", CoalesceMin: 600, CoalesceMax: 600, CoalesceIdle: time.Second}},
		{"other account off", `{channels: {whatsapp: {accounts: {work: {blockStreaming: true}}}}}`, "k", "whatsapp", "home", nil},
		{"limits and coalescing", `{agents: {defaults: {blockStreamingBreak: "message_end", blockStreamingChunk: {minChars: 50, maxChars: 900, breakPreference: "sentence"},
			blockStreamingCoalesce: {minChars: 10, maxChars: 20, idleMs: 5}}},
			channels: {telegram: {blockStreaming: true, textChunkLimit: 300, blockStreamingCoalesce: {idleMs: 250},
			accounts: {b2: {blockStreamingCoalesce: {minChars: 100, maxChars: 5000}}}}}}`, "k", "telegram", "",
			&agent.BlockStreaming{Break: "message_end", MinChars: 50, MaxChars: 300, Preference: "sentence", CoalesceMin: 50, CoalesceMax: 300, CoalesceIdle: 250 * time.Millisecond}},
		{"account coalescing", `{channels: {telegram: {blockStreaming: true, blockStreamingCoalesce: {idleMs: 250},
			accounts: {b2: {blockStreamingCoalesce: {minChars: 100, maxChars: 5000}}}}}}`, "k", "telegram", "b2",
			&agent.BlockStreaming{Break: "text_end", MinChars: 800, MaxChars: 1200, Preference: "paragraph", CoalesceMin: 100, CoalesceMax: 4000, CoalesceIdle: time.Second}},
		{"human delay", `{agents: {defaults: {blockStreamingDefault: "on", humanDelay: {mode: "natural", maxMs: 9000}},
			list: [{id: "main", default: true}, {id: "ops", humanDelay: {mode: "custom", minMs: 100}}]}}`, "agent:ops:telegram:1", "telegram", "",
			&agent.BlockStreaming{Break: "text_end", MinChars: 800, MaxChars: 1200, Preference: "paragraph", CoalesceMin: 800, CoalesceMax: 4000, CoalesceIdle: time.Second,
				DelayMin: 100 * time.Millisecond, DelayMax: 9 * time.Second}},
		{"natural ignores the range", `{agents: {defaults: {blockStreamingDefault: "on", humanDelay: {mode: "natural", minMs: 1, maxMs: 2}}}}`, "agent:main:telegram:1", "telegram", "",
			&agent.BlockStreaming{Break: "text_end", MinChars: 800, MaxChars: 1200, Preference: "paragraph", CoalesceMin: 800, CoalesceMax: 4000, CoalesceIdle: time.Second,
				DelayMin: 800 * time.Millisecond, DelayMax: 2500 * time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := config.Parse("clawdbot.json", []byte(tc.cfg))
			if err != nil {
				t.Fatal(err)
			}
			cur := &atomic.Pointer[config.File]{}
			cur.Store(f)
			got := blockStreamingConfig(cur)(tc.key, tc.ch, tc.account)
			switch {
			case got == nil && tc.want == nil:
			case got == nil || tc.want == nil || *got != *tc.want:
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
