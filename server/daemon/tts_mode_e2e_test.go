package daemon

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
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
