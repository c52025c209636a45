package daemon

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// TestTelegramVoiceNoteCommand: through the daemon, a Telegram voice note whose
// transcript (from a fake transcription server) is "/status" gets the status reply
// without a model call, as if "/status" had been typed; a typed message afterwards
// still reaches the model.
func TestTelegramVoiceNoteCommand(t *testing.T) {
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	if err := os.MkdirAll(ws, 0o700); err != nil {
		t.Fatal(err)
	}
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep { return fakeStep{text: "got it"} })
	tr := newFakeTranscriber(t, "/status")
	bot := tgtest.New(t, tgtest.DefaultToken)
	cfg := mediaConfig(ws, model, fmt.Sprintf(`channels: {telegram: {botToken: %q, apiBaseUrl: %q, streamMode: "off", dmPolicy: "open", allowFrom: ["*"]}},
  `, tgtest.DefaultToken, bot.URL()))
	cfg = strings.Replace(cfg, `tools: {exec: {security: "full", ask: "off"}},`,
		fmt.Sprintf(`tools: {exec: {security: "full", ask: "off"}, media: {audio: {models: [{provider: "openai", model: "whisper-1", baseUrl: %q}]}}},`, tr.srv.URL+"/v1"), 1)
	startHome(t, home, cfg, nil)
	user := tgtest.User{ID: 42, FirstName: "Ann"}

	bot.PushVoice(42, user, append([]byte("OggS\x00\x02"), bytes.Repeat([]byte{1}, 200)...))
	waitFor(t, "the status reply", func() bool { return len(sentTo(bot, "42")) == 1 })
	if got := sentTo(bot, "42")[0].Text; !strings.Contains(got, "🧠 Model: fake/m1") {
		t.Fatalf("reply to the spoken /status: %q", got)
	}
	if files, _ := tr.calls(); len(files) != 1 {
		t.Fatalf("transcription calls: %d", len(files))
	}
	if n := len(model.requests()); n != 0 {
		t.Fatalf("the spoken /status reached the model: %d requests", n)
	}

	bot.PushUpdate(42, 42, "hello")
	waitFor(t, "the model's reply", func() bool { return len(sentTo(bot, "42")) == 2 })
	if n := len(model.requests()); n != 1 {
		t.Fatalf("model requests: %d, want 1", n)
	}
}
