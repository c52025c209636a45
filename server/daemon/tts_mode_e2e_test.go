package daemon

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
	"github.com/clawgate/gateway/server/tts"
	"github.com/clawgate/gateway/server/tts/edgetest"
)

// speechRecorder is a fake OpenAI-compatible /audio/speech server that records the
// texts it was asked to speak.
type speechRecorder struct {
	srv   *httptest.Server
	audio []byte

	mu     sync.Mutex
	inputs []string
}

func newSpeechRecorder(t *testing.T) *speechRecorder {
	t.Helper()
	s := &speechRecorder{audio: append([]byte("OggS\x00\x02"), bytes.Repeat([]byte{5}, 48)...)}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]string
		_ = json.NewDecoder(r.Body).Decode(&body)
		s.mu.Lock()
		s.inputs = append(s.inputs, body["input"])
		s.mu.Unlock()
		_, _ = w.Write(s.audio)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *speechRecorder) spoken() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.inputs)
}

// reasoningModel is an OpenAI-compatible streaming model that thinks
// ("reasoning_content") and then answers; it records the model of each request.
type reasoningModel struct {
	srv *httptest.Server

	mu     sync.Mutex
	models []string
	bodies []string
	answer func(model string) (reasoning, text string)
}

func newReasoningModel(t *testing.T, answer func(model string) (string, string)) *reasoningModel {
	t.Helper()
	m := &reasoningModel{answer: answer}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var req struct {
			Model string `json:"model"`
		}
		_ = json.Unmarshal(b, &req)
		m.mu.Lock()
		m.models = append(m.models, req.Model)
		m.bodies = append(m.bodies, string(b))
		m.mu.Unlock()
		reasoning, text := m.answer(req.Model)
		w.Header().Set("Content-Type", "text/event-stream")
		for _, d := range []map[string]string{{"reasoning_content": reasoning}, {"content": text}} {
			if d["reasoning_content"] == "" && d["content"] == "" {
				continue
			}
			b, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"index": 0, "delta": d}}})
			fmt.Fprintf(w, "data: %s\n\n", b)
		}
		fmt.Fprint(w, "data: [DONE]\n\n")
	}))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *reasoningModel) requests() (models, bodies []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.models), slices.Clone(m.bodies)
}

// TestTelegramTTSModeEndToEnd: with the session showing its reasoning, a run sends
// two messages, the reasoning block (a block reply, as the original) and the final
// reply. messages.tts.mode "final" (and unset) speaks only the final reply: the
// reasoning goes as text. "all" speaks both: two voice notes, each with its text.
func TestTelegramTTSModeEndToEnd(t *testing.T) {
	const thought = "The user wants the weather; it is sunny."
	const answer = "It is sunny today, my friend."
	for _, tc := range []struct {
		mode       string // "" = unset
		wantSpoken []string
	}{
		{"", []string{answer}},
		{"final", []string{answer}},
		{"all", []string{"Reasoning:\n_" + thought + "_", answer}},
	} {
		t.Run(fmt.Sprintf("mode=%q", tc.mode), func(t *testing.T) {
			home := t.TempDir()
			speech := newSpeechRecorder(t)
			t.Setenv("OPENAI_BASE_URL", speech.srv.URL+"/v1")
			model := newReasoningModel(t, func(string) (string, string) { return thought, answer })
			bot := tgtest.New(t, tgtest.DefaultToken)
			mode := ""
			if tc.mode != "" {
				mode = fmt.Sprintf("mode: %q, ", tc.mode)
			}
			r := startHome(t, home, fmt.Sprintf(`{
  channels: {telegram: {apiBaseUrl: %q, botToken: %q, dmPolicy: "open", allowFrom: ["*"], streamMode: "off"}},
  models: {providers: {local: {baseUrl: %q, apiKey: "k", models: []}}},
  agents: {defaults: {model: {primary: "local/m1"}}},
  messages: {tts: {auto: "always", %sprovider: "openai", openai: {apiKey: "sk-speech"}}},
}`, bot.URL(), tgtest.DefaultToken, model.srv.URL+"/v1", mode), nil)
			r.waitOutput(t, "agent runtime ready")
			c := r.client(t)
			c.MustOK("sessions.patch", map[string]any{"key": "agent:main:telegram:42", "reasoningLevel": "on"}, nil)

			bot.PushUpdate(42, 42, "weather?")
			waitFor(t, "the reasoning and the reply", func() bool { return len(sentTo(bot, "42")) == 2 })
			sent := sentTo(bot, "42")
			reasoningMsg, final := sent[0], sent[1]
			if final.Method != "sendVoice" || final.Caption != answer || !bytes.Equal(final.File, speech.audio) {
				t.Fatalf("final reply: %s caption %q text %q", final.Method, final.Caption, final.Text)
			}
			if tc.mode == "all" {
				if reasoningMsg.Method != "sendVoice" || !strings.Contains(reasoningMsg.Caption, thought) {
					t.Fatalf("reasoning under mode all: %s caption %q text %q", reasoningMsg.Method, reasoningMsg.Caption, reasoningMsg.Text)
				}
			} else if reasoningMsg.Method != "sendMessage" || !strings.Contains(reasoningMsg.Text, thought) {
				t.Fatalf("reasoning under mode %q: %s text %q", tc.mode, reasoningMsg.Method, reasoningMsg.Text)
			}
			if got := speech.spoken(); !slices.Equal(got, tc.wantSpoken) {
				t.Fatalf("spoken %q, want %q", got, tc.wantSpoken)
			}
		})
	}
}

// TestTTSPrefsPathAndSummaryModelEndToEnd: messages.tts.prefsPath ("~" is the home)
// is where tts.enable writes the auto mode (the default file stays untouched),
// tts.status reports it, and replies follow it; the preferences' maxLength there
// makes a long reply summarised before speech by messages.tts.summaryModel (its own
// model request), the voice note carrying the full text as its caption.
func TestTTSPrefsPathAndSummaryModelEndToEnd(t *testing.T) {
	home := t.TempDir()
	speech := newSpeechRecorder(t)
	t.Setenv("OPENAI_BASE_URL", speech.srv.URL+"/v1")
	long := "Here is a long answer. " + strings.Repeat("It keeps going with more detail. ", 6)
	const summary = "A short summary of the long answer."
	model := newReasoningModel(t, func(m string) (string, string) {
		if m == "m-sum" {
			return "", summary
		}
		return "", long
	})
	bot := tgtest.New(t, tgtest.DefaultToken)
	r := startHome(t, home, fmt.Sprintf(`{
  channels: {telegram: {apiBaseUrl: %q, botToken: %q, dmPolicy: "open", allowFrom: ["*"], streamMode: "off"}},
  models: {providers: {local: {baseUrl: %q, apiKey: "k", models: []}}},
  agents: {defaults: {model: {primary: "local/m1"}}},
  messages: {tts: {auto: "off", provider: "openai", openai: {apiKey: "sk-speech"}, prefsPath: "~/custom/tts-prefs.json", summaryModel: "local/m-sum"}},
}`, bot.URL(), tgtest.DefaultToken, model.srv.URL+"/v1"), nil)
	r.waitOutput(t, "agent runtime ready")
	c := r.client(t)
	prefs := filepath.Join(home, "custom", "tts-prefs.json")

	c.MustOK("tts.enable", map[string]any{}, nil)
	b, err := os.ReadFile(prefs)
	if err != nil {
		t.Fatalf("tts.enable did not write messages.tts.prefsPath: %v", err)
	}
	var p map[string]map[string]any
	if err := json.Unmarshal(b, &p); err != nil || p["tts"]["auto"] != "always" {
		t.Fatalf("prefs file %s: %s (%v)", prefs, b, err)
	}
	if _, err := os.Stat(filepath.Join(home, "state", "settings", "tts.json")); !os.IsNotExist(err) {
		t.Fatalf("the default preferences file was written: %v", err)
	}
	var st struct {
		Enabled   bool   `json:"enabled"`
		PrefsPath string `json:"prefsPath"`
	}
	c.MustOK("tts.status", map[string]any{}, &st)
	if !st.Enabled || st.PrefsPath != prefs {
		t.Fatalf("tts.status: %+v, want enabled with prefsPath %s", st, prefs)
	}

	// The spoken-reply limit from the same file: 120 characters.
	p["tts"]["maxLength"] = 120
	b, _ = json.Marshal(p)
	if err := os.WriteFile(prefs, b, 0o600); err != nil {
		t.Fatal(err)
	}
	bot.PushUpdate(42, 42, "tell me everything")
	waitFor(t, "the spoken reply", func() bool { return len(sentTo(bot, "42")) == 1 })
	s := sentTo(bot, "42")[0]
	if s.Method != "sendVoice" || s.Caption != strings.TrimSpace(long) {
		t.Fatalf("reply: %s caption %q text %q", s.Method, s.Caption, s.Text)
	}
	if got := speech.spoken(); !slices.Equal(got, []string{summary}) {
		t.Fatalf("spoken %q, want the summary", got)
	}
	models, bodies := model.requests()
	if !slices.Equal(models, []string{"m1", "m-sum"}) {
		t.Fatalf("model requests %q, want the reply (m1) then the summary (m-sum)", models)
	}
	if !strings.Contains(bodies[1], "It keeps going with more detail.") || !strings.Contains(bodies[1], "120") {
		t.Fatalf("summary request lacks the reply or the target: %.500s", bodies[1])
	}

	// tts.disable writes the same file: the next reply is text.
	c.MustOK("tts.disable", map[string]any{}, nil)
	bot.PushUpdate(42, 42, "again")
	waitFor(t, "the text reply", func() bool { return len(sentTo(bot, "42")) == 2 })
	if s := sentTo(bot, "42")[1]; s.Method != "sendMessage" {
		t.Fatalf("after tts.disable: %s", s.Method)
	}
}

// TestTelegramEdgeSpeechEndToEnd: with messages.tts.provider "edge" a Telegram reply
// is spoken through the Edge read-aloud protocol (a fake service on 127.0.0.1): the
// service receives the SSML with the configured voice, rate and pitch and the
// configured output format, and the chat gets its audio (ogg: a voice note) with the
// reply as caption.
func TestTelegramEdgeSpeechEndToEnd(t *testing.T) {
	home := t.TempDir()
	edge := edgetest.New(t)
	edge.SetAudio([]byte("OggS\x00\x02edge-voice"))
	t.Setenv(tts.EnvEdgeEndpoint, edge.URL())
	const answer = "Good morning & welcome back."
	model := newReasoningModel(t, func(string) (string, string) { return "", answer })
	bot := tgtest.New(t, tgtest.DefaultToken)
	startHome(t, home, fmt.Sprintf(`{
  channels: {telegram: {apiBaseUrl: %q, botToken: %q, dmPolicy: "open", allowFrom: ["*"], streamMode: "off"}},
  models: {providers: {local: {baseUrl: %q, apiKey: "k", models: []}}},
  agents: {defaults: {model: {primary: "local/m1"}}},
  messages: {tts: {auto: "always", provider: "edge", edge: {enabled: true, voice: "en-GB-SoniaNeural", lang: "en-GB", rate: "+15%%", pitch: "+2st", outputFormat: "ogg-24khz-16bit-mono-opus"}}},
}`, bot.URL(), tgtest.DefaultToken, model.srv.URL+"/v1"), nil)

	bot.PushUpdate(42, 42, "morning")
	waitFor(t, "the spoken reply", func() bool { return len(sentTo(bot, "42")) == 1 })
	s := sentTo(bot, "42")[0]
	if s.Method != "sendVoice" || string(s.File) != "OggS\x00\x02edge-voice" || !strings.Contains(s.Caption, "welcome back") || !strings.HasSuffix(s.FileName, ".ogg") {
		t.Fatalf("reply: %s %q (%q) caption %q", s.Method, s.FileName, s.File, s.Caption)
	}
	reqs := edge.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d edge requests", len(reqs))
	}
	r := reqs[0]
	for _, want := range []string{`xml:lang="en-GB"`, `<voice name="en-GB-SoniaNeural">`, `rate="+15%"`, `pitch="+2st"`, `volume="default"`, "Good morning &amp; welcome back."} {
		if !strings.Contains(r.SSML, want) {
			t.Fatalf("ssml lacks %s: %s", want, r.SSML)
		}
	}
	if r.Format != "ogg-24khz-16bit-mono-opus" {
		t.Fatalf("output format %q", r.Format)
	}
}
