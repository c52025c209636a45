package daemon

import (
	"context"
	"fmt"
	"os"
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
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
		if n == 1 {
			return fakeStep{text: "the chart\nMEDIA: ./chart.png"}
		}
		return fakeStep{text: "the answer"}
	})
	if err := os.MkdirAll(filepath.Join(home, "ws"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "ws", "chart.png"), pngBytes(30), 0o600); err != nil {
		t.Fatal(err)
	}
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

	// A reply with media (sent as a photo, not through the reply stream) clears its
	// ack too.
	bot.PushUpdate(42, 42, "the chart please")
	if sent, err = bot.WaitSent(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if sent[1].Method != "sendPhoto" || sent[1].Caption != "the chart" {
		t.Fatalf("media reply %+v", sent[1])
	}
	if rs, err = bot.WaitReactions(ctx, 4); err != nil {
		t.Fatal(err)
	}
	if rs[2].Emoji != "👍" || rs[3].MessageID != rs[2].MessageID || rs[3].Emoji != "" || rs[2].MessageID == rs[0].MessageID {
		t.Fatalf("reactions %+v: want the second message's ack, then its removal", rs)
	}
}
