package daemon

import (
	"sync/atomic"
	"testing"

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
