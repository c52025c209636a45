package daemon

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// TestTelegramAckEndToEnd: through daemon.Run with the Telegram test server and a
// scripted model, a DM under messages.ackReactionScope "direct" gets the ack emoji
// before the reply, and with removeAckAfterReply the reaction is cleared after the
// reply is delivered by the agent runtime.
func TestTelegramAckEndToEnd(t *testing.T) {
	home := t.TempDir()
	bot := tgtest.New(t, tgtest.DefaultToken)
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep { return fakeStep{text: "the answer"} })
	extra := fmt.Sprintf(`channels: {telegram: {botToken: %q, apiBaseUrl: %q, dmPolicy: "allowlist", allowFrom: ["42"], streamMode: "off"}},
  messages: {ackReaction: "👍", ackReactionScope: "direct", removeAckAfterReply: true},`, tgtest.DefaultToken, bot.URL())
	// No wait for the gateway: the providers start after the agent runtime, so a
	// message pushed at once is answered (TestTelegramMessageBeforeStartIsAnswered).
	startHome(t, home, agentConfigWith(filepath.Join(home, "ws"), model, nil, extra), nil)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	bot.PushUpdate(42, 42, "a question")
	sent, err := bot.WaitSent(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if sent[0].ChatID != "42" || sent[0].Text != "the answer" {
		t.Fatalf("sent %+v", sent)
	}
	rs, err := bot.WaitReactions(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].ChatID != "42" || rs[0].Emoji != "👍" || rs[1].MessageID != rs[0].MessageID || rs[1].Emoji != "" {
		t.Fatalf("reactions %+v: want the ack, then its removal", rs)
	}
}
