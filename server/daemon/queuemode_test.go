package daemon

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/agent"
	"github.com/clawgate/gateway/server/config"
)

func TestQueueModeFromConfig(t *testing.T) {
	tests := []struct {
		raw, channel, want string
	}{
		{`{}`, "telegram", ""},
		{`{messages: {queue: {mode: "followup"}}}`, "telegram", agent.QueueFollowup},
		{`{messages: {queue: {mode: "interrupt"}}}`, "whatsapp", agent.QueueInterrupt},
		{`{messages: {queue: {mode: "steer"}}}`, "whatsapp", agent.QueueCollect},
		{`{messages: {queue: {mode: "queue"}}}`, "whatsapp", agent.QueueCollect},
		{`{messages: {queue: {mode: "followup", byChannel: {telegram: "interrupt"}}}}`, "telegram", agent.QueueInterrupt},
		{`{messages: {queue: {mode: "followup", byChannel: {telegram: "interrupt"}}}}`, "whatsapp", agent.QueueFollowup},
		{`{messages: {queue: {byChannel: {webchat: "followup"}}}}`, "webchat", agent.QueueFollowup},
	}
	for _, tt := range tests {
		f, err := config.Parse("clawdbot.json", []byte(tt.raw))
		if err != nil {
			t.Fatal(err)
		}
		var cur atomic.Pointer[config.File]
		cur.Store(f)
		if got := queueMode(&cur)(tt.channel); got != tt.want {
			t.Errorf("%s on %s: %q, want %q", tt.raw, tt.channel, got, tt.want)
		}
	}
}

// TestQueueSettingsFromConfig: messages.queue.debounceMs (debounceMsByChannel.<channel>
// first), cap and drop reach the runtime, with the original's defaults for absent keys;
// they are read from the live config, so a reload applies to the next queued message.
func TestQueueSettingsFromConfig(t *testing.T) {
	def := agent.DefaultQueueSettings()
	tests := []struct {
		raw, channel string
		want         agent.QueueSettings
	}{
		{`{}`, "telegram", def},
		{`{messages: {queue: {mode: "followup"}}}`, "telegram", def},
		{`{messages: {queue: {debounceMs: 0}}}`, "telegram", agent.QueueSettings{Debounce: 0, Cap: 20, Drop: agent.QueueDropSummarize}},
		{`{messages: {queue: {debounceMs: 2500, cap: 3, drop: "old"}}}`, "whatsapp", agent.QueueSettings{Debounce: 2500 * time.Millisecond, Cap: 3, Drop: agent.QueueDropOld}},
		{`{messages: {queue: {debounceMs: 2500, debounceMsByChannel: {telegram: 100}, drop: "new"}}}`, "telegram", agent.QueueSettings{Debounce: 100 * time.Millisecond, Cap: 20, Drop: agent.QueueDropNew}},
		{`{messages: {queue: {debounceMs: 2500, debounceMsByChannel: {telegram: 100}}}}`, "whatsapp", agent.QueueSettings{Debounce: 2500 * time.Millisecond, Cap: 20, Drop: agent.QueueDropSummarize}},
		{`{messages: {queue: {debounceMsByChannel: {whatsapp: 0}}}}`, "whatsapp", agent.QueueSettings{Debounce: 0, Cap: 20, Drop: agent.QueueDropSummarize}},
	}
	for _, tt := range tests {
		f, err := config.Parse("clawdbot.json", []byte(tt.raw))
		if err != nil {
			t.Fatal(err)
		}
		var cur atomic.Pointer[config.File]
		cur.Store(f)
		if got := queueSettings(&cur)(tt.channel); got != tt.want {
			t.Errorf("%s on %s: %+v, want %+v", tt.raw, tt.channel, got, tt.want)
		}
	}
	// A reload is seen by the same function.
	var cur atomic.Pointer[config.File]
	f1, _ := config.Parse("clawdbot.json", []byte(`{messages: {queue: {cap: 5}}}`))
	f2, _ := config.Parse("clawdbot.json", []byte(`{messages: {queue: {cap: 7}}}`))
	cur.Store(f1)
	get := queueSettings(&cur)
	if got := get("telegram").Cap; got != 5 {
		t.Fatalf("cap %d, want 5", got)
	}
	cur.Store(f2)
	if got := get("telegram").Cap; got != 7 {
		t.Fatalf("cap after reload %d, want 7", got)
	}
	if _, err := config.Parse("clawdbot.json", []byte(`{messages: {queue: {drop: "newest"}}}`)); err == nil {
		t.Error("drop \"newest\" accepted")
	}
}
