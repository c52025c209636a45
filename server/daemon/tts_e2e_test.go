package daemon

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// TestTelegramSpokenReplies runs the gateway against the Telegram test server, a
// scripted model and a fake OpenAI-compatible /audio/speech server. Under
// messages.tts.auto "inbound" a text message is answered with text and a voice note
// with a voice note (sendVoice, the fake audio, opus asked for, the text as caption);
// under "always" (set in the preferences file, as tts.enable does) every reply is
// spoken; a reply over maxTextLength goes as text only, and so does one whose speech
// fails, with a log line.
func TestTelegramSpokenReplies(t *testing.T) {
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	if err := os.MkdirAll(ws, 0o700); err != nil {
		t.Fatal(err)
	}
	audio := append([]byte("OggS\x00\x02"), bytes.Repeat([]byte{7}, 64)...)
	var failSpeech atomic.Bool
	var formats, inputs []string
	speech := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]string
		_ = json.NewDecoder(r.Body).Decode(&body)
		if r.URL.Path != "/v1/audio/speech" || r.Header.Get("Authorization") != "Bearer sk-speech" {
			http.NotFound(w, r)
			return
		}
		formats, inputs = append(formats, body["response_format"]), append(inputs, body["input"])
		if failSpeech.Load() {
			http.Error(w, "overloaded", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write(audio)
	}))
	defer speech.Close()
	t.Setenv("OPENAI_BASE_URL", speech.URL+"/v1")

	long := "This reply is far too long to be spoken. " + strings.Repeat("More words here. ", 12)
	replies := []string{
		"Here is a plain text answer.",
		"Answering your voice note.",
		"Always spoken now, my friend.",
		long,
		"This one fails to be spoken.",
	}
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
		if n < len(replies) {
			return fakeStep{text: replies[n]}
		}
		return fakeStep{text: "more"}
	})
	bot := tgtest.New(t, tgtest.DefaultToken)
	r := startHome(t, home, mediaConfig(ws, model, fmt.Sprintf(`channels: {telegram: {botToken: %q, apiBaseUrl: %q, streamMode: "off", dmPolicy: "open", allowFrom: ["*"]}},
  messages: {tts: {auto: "inbound", provider: "openai", maxTextLength: 200, openai: {apiKey: "sk-speech"}}},
  `, tgtest.DefaultToken, bot.URL())), nil)
	r.waitOutput(t, "agent runtime ready")
	sent := func() []tgtest.Sent { return sentTo(bot, "42") }

	// 1. inbound: a text message gets text.
	bot.PushUpdate(42, 42, "hello")
	waitFor(t, "the text reply", func() bool { return len(sent()) == 1 })
	if s := sent()[0]; s.Method != "sendMessage" || s.Text != replies[0] {
		t.Fatalf("text reply: %+v", s)
	}
	// A voice note gets a voice note.
	bot.PushVoice(42, tgtest.User{ID: 42, FirstName: "Ann"}, []byte("OggS-inbound-voice"))
	waitFor(t, "the voice reply", func() bool { return len(sent()) == 2 })
	if s := sent()[1]; s.Method != "sendVoice" || !bytes.Equal(s.File, audio) || s.Caption != replies[1] || !strings.HasSuffix(s.FileName, ".opus") {
		t.Fatalf("voice reply: %s %q (%d bytes) caption %q", s.Method, s.FileName, len(s.File), s.Caption)
	}
	if len(formats) != 1 || formats[0] != "opus" || inputs[0] != replies[1] {
		t.Fatalf("speech requests: formats %v inputs %q", formats, inputs)
	}

	// 2. always (the preferences file, as tts.enable writes it): text messages too.
	prefs := filepath.Join(home, "state", "settings", "tts.json")
	if err := os.MkdirAll(filepath.Dir(prefs), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(prefs, []byte(`{"tts":{"auto":"always"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	bot.PushUpdate(42, 42, "again")
	waitFor(t, "the spoken reply", func() bool { return len(sent()) == 3 })
	if s := sent()[2]; s.Method != "sendVoice" || !bytes.Equal(s.File, audio) || s.Caption != replies[2] {
		t.Fatalf("always reply: %+v", s)
	}

	// 3. Over maxTextLength (200): text only, and the provider is not asked.
	bot.PushUpdate(42, 42, "tell me more")
	waitFor(t, "the long reply", func() bool { return len(sent()) == 4 })
	if s := sent()[3]; s.Method != "sendMessage" || s.Text != strings.TrimSpace(long) {
		t.Fatalf("long reply: %+v", s)
	}
	r.waitOutput(t, "Text too long")
	if len(formats) != 2 {
		t.Fatalf("speech requests: %d, want 2", len(formats))
	}

	// 4. The provider fails: text only, logged.
	failSpeech.Store(true)
	bot.PushUpdate(42, 42, "last one")
	waitFor(t, "the reply after a failed speech", func() bool { return len(sent()) == 5 })
	if s := sent()[4]; s.Method != "sendMessage" || s.Text != replies[4] {
		t.Fatalf("failed speech reply: %+v", s)
	}
	r.waitOutput(t, "OpenAI TTS API error (503)")
}

// TestTelegramTTSTool: the agent's tts tool speaks through the configured provider
// (auto off: replies are not spoken by themselves), answers with [[audio_as_voice]]
// and a MEDIA: line; the model's reply copying them arrives as a voice note with the
// audio and the rest of the text as caption.
func TestTelegramTTSTool(t *testing.T) {
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	tmp := filepath.Join(home, "tmp")
	for _, d := range []string{ws, tmp} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("TMPDIR", tmp) // where the audio goes: a safe folder for reply media
	audio := append([]byte("OggS\x00\x02"), bytes.Repeat([]byte{9}, 40)...)
	speech := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(audio) }))
	defer speech.Close()
	t.Setenv("OPENAI_BASE_URL", speech.URL+"/v1")
	toolAnswer := regexp.MustCompile(`\[\[audio_as_voice\]\]\\nMEDIA:[^"\\]+`)
	var seen string
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
		switch n {
		case 0:
			return fakeStep{calls: []fakeCall{{"c1", "tts", `{"text":"Good night, sleep well."}`}}}
		case 1:
			seen = toolAnswer.FindString(string(body))
			return fakeStep{text: "Here you go.\n" + strings.ReplaceAll(seen, `\n`, "\n")}
		}
		return fakeStep{text: "more"}
	})
	bot := tgtest.New(t, tgtest.DefaultToken)
	r := startHome(t, home, mediaConfig(ws, model, fmt.Sprintf(`channels: {telegram: {botToken: %q, apiBaseUrl: %q, streamMode: "off", dmPolicy: "open", allowFrom: ["*"]}},
  messages: {tts: {provider: "openai", openai: {apiKey: "sk-speech"}}},
  `, tgtest.DefaultToken, bot.URL())), nil)
	r.waitOutput(t, "agent runtime ready")
	bot.PushUpdate(42, 42, "say good night")
	waitFor(t, "the voice note", func() bool { return len(sentTo(bot, "42")) == 1 })
	if seen == "" {
		t.Fatal("the tool's answer did not reach the model")
	}
	if s := sentTo(bot, "42")[0]; s.Method != "sendVoice" || !bytes.Equal(s.File, audio) || s.Caption != "Here you go." {
		t.Fatalf("reply: %s %q (%d bytes) caption %q", s.Method, s.FileName, len(s.File), s.Caption)
	}
}
