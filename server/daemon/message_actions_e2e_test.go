package daemon

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/clawgate/gateway/server/gatewaytest"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// TestTelegramMessageActions: through the daemon, the model's message tool reacts to
// and deletes Telegram messages and sends a file from its workspace (tgtest records
// setMessageReaction, deleteMessage and the upload), and is refused a file outside
// the allowed folders. After a reload with channels.telegram.actions.reactions and
// deleteMessage false, the same calls fail with the reference's errors and reach
// nothing.
func TestTelegramMessageActions(t *testing.T) {
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	if err := os.MkdirAll(ws, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ws, "notes.txt"), []byte("quarterly notes"), 0o600); err != nil {
		t.Fatal(err)
	}
	bot := tgtest.New(t, tgtest.DefaultToken)
	bot.AddChat(77)
	react := `{"action":"react","channel":"telegram","target":"77","messageId":"5","emoji":"👍"}`
	del := `{"action":"delete","channel":"telegram","chatId":"77","messageId":"6"}`
	script := []string{react, del,
		`{"action":"send","channel":"telegram","target":"77","path":"./notes.txt","message":"the notes"}`,
		`{"action":"send","channel":"telegram","target":"77","filePath":"/etc/passwd"}`,
		"", react, del, ""}
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
		if n < len(script) && script[n] != "" {
			return fakeStep{calls: []fakeCall{{"m" + strconv.Itoa(n), "message", script[n]}}}
		}
		return fakeStep{text: "done"}
	})
	cfg := func(on bool) string {
		extra := fmt.Sprintf(`channels: {telegram: {botToken: %q, apiBaseUrl: %q, allowFrom: ["77"], actions: {reactions: %t, deleteMessage: %t}}},`,
			tgtest.DefaultToken, bot.URL(), on, on)
		return agentConfigWith(ws, model, nil, extra)
	}
	r := startHome(t, home, cfg(true), nil)
	c := r.client(t)
	type res struct {
		text  string
		isErr bool
	}
	results := func(evs []*gatewaytest.Frame) []res {
		var out []res
		for _, e := range toolEvents(evs) {
			if e.Data["phase"] == "result" {
				b, _ := json.Marshal(e.Data["result"])
				out = append(out, res{string(b), e.Data["isError"] == true})
			}
		}
		return out
	}
	got := results(runChat(t, c, "run-on", "tidy chat 77", nil))
	if len(got) != 4 {
		t.Fatalf("tool results %+v", got)
	}
	for i, want := range []string{`\"added\": \"👍\"`, `\"deleted\": true`, `"messageId`, "outside the allowed folders"} {
		if !strings.Contains(got[i].text, want) || got[i].isErr != (i == 3) {
			t.Fatalf("result %d: %+v, want %s", i, got[i], want)
		}
	}
	if rs := bot.Reactions(); len(rs) != 1 || rs[0] != (tgtest.Reaction{ChatID: "77", MessageID: 5, Emoji: "👍"}) {
		t.Fatalf("reactions %+v", rs)
	}
	if ds := bot.Deletions(); len(ds) != 1 || ds[0] != (tgtest.Deletion{ChatID: "77", MessageID: 6}) {
		t.Fatalf("deletions %+v", ds)
	}
	sent := bot.Sent()
	if len(sent) != 1 || sent[0].Method != "sendDocument" || string(sent[0].File) != "quarterly notes" || sent[0].Caption != "the notes" {
		t.Fatalf("sent %+v", sent)
	}

	if err := os.WriteFile(filepath.Join(home, "clawdbot.json"), []byte(cfg(false)), 0o600); err != nil {
		t.Fatal(err)
	}
	r.waitOutput(t, "config reloaded")
	got = results(runChat(t, c, "run-off", "tidy again", nil))
	if len(got) != 2 || !got[0].isErr || !strings.Contains(got[0].text, "Telegram reactions are disabled via actions.reactions.") ||
		!got[1].isErr || !strings.Contains(got[1].text, "Telegram deleteMessage is disabled.") {
		t.Fatalf("gated results %+v", got)
	}
	if len(bot.Reactions()) != 1 || len(bot.Deletions()) != 1 {
		t.Fatalf("gated calls reached telegram: reactions %+v deletions %+v", bot.Reactions(), bot.Deletions())
	}
}
