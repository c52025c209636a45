package daemon

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// TestTelegramQueueCapDrop runs the gateway against the Telegram test server and the
// fake model server with messages.queue {mode: followup, cap: 1, drop: summarize}: two
// texts sent while the first is being answered leave one waiting — the older is dropped
// (logged) and the next turn's request starts the newer one's prompt with the overflow
// note, the dropped text still in the history. A reload to drop "new" then refuses the
// newcomer instead: it is never stored nor shown to the model.
func TestTelegramQueueCapDrop(t *testing.T) {
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	if err := os.MkdirAll(ws, 0o700); err != nil {
		t.Fatal(err)
	}
	gates := map[int]chan struct{}{0: make(chan struct{}), 2: make(chan struct{})}
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
		if g := gates[n]; g != nil {
			<-g
		}
		return fakeStep{text: fmt.Sprintf("answer %d", n+1)}
	})
	t.Cleanup(func() {
		for _, g := range gates {
			select {
			case <-g:
			default:
				close(g)
			}
		}
	})
	bot := tgtest.New(t, tgtest.DefaultToken)
	config := func(drop string) string {
		return agentConfigWith(ws, model, nil, fmt.Sprintf(`channels: {telegram: {botToken: %q, apiBaseUrl: %q, streamMode: "off", dmPolicy: "open", allowFrom: ["*"]}},
  messages: {queue: {mode: "followup", debounceMs: 0, cap: 1, drop: %q}},`, tgtest.DefaultToken, bot.URL(), drop))
	}
	r := startHome(t, home, config("summarize"), nil)
	r.waitOutput(t, "agent runtime ready")
	replies := func() []tgtest.Sent { return sentTo(bot, "42") }
	ann := tgtest.User{ID: 42, FirstName: "Ann"}

	bot.PushMessage(42, ann, "first")
	waitFor(t, "the first request", func() bool { return len(model.requests()) == 1 })
	bot.PushMessage(42, ann, "second")
	bot.PushMessage(42, ann, "third")
	r.waitOutput(t, "queued message dropped, not answered on its own")
	close(gates[0])
	waitFor(t, "two replies", func() bool { return len(replies()) == 2 })
	reqs := model.requests()
	if len(reqs) != 2 {
		t.Fatalf("model calls: %d, want 2", len(reqs))
	}
	body := string(reqs[1])
	// Each message ends with its id line ([message_id: N], for reply tags).
	if !strings.Contains(body, `] second\n[message_id: 2]"`) || !strings.Contains(body, `[Queue overflow] Dropped 1 message due to cap.\nSummary:\n- second\n\n[Telegram Ann id:42 `) || !strings.Contains(body, `] third\n[message_id: 3]"`) {
		t.Fatalf("the turn after the drop: %.1500s", body)
	}
	if got := replies()[1].Text; got != "answer 2" {
		t.Fatalf("second reply %q", got)
	}

	if err := os.WriteFile(filepath.Join(home, "clawdbot.json"), []byte(config("new")), 0o600); err != nil {
		t.Fatal(err)
	}
	r.waitOutput(t, "config reloaded (hot)")
	bot.PushMessage(42, ann, "fourth")
	waitFor(t, "the fourth's request", func() bool { return len(model.requests()) == 3 })
	bot.PushMessage(42, ann, "fifth")
	bot.PushMessage(42, ann, "sixth")
	r.waitOutput(t, "message refused, session queue full")
	close(gates[2])
	waitFor(t, "four replies", func() bool { return len(replies()) == 4 })
	reqs = model.requests()
	if len(reqs) != 4 {
		t.Fatalf("model calls: %d, want 4", len(reqs))
	}
	if last := string(reqs[3]); !strings.Contains(last, `] fifth\n[message_id: `) || strings.Contains(last, "sixth") || strings.Contains(last, "[Queue overflow]") {
		t.Fatalf("the turn after the refusal: %.1500s", last)
	}
}
