package daemon

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/understand"
)

// TestMediaUnderstandingFromConfig: which endpoint, key and model tools.media.audio
// selects (checked by what a transcription server on 127.0.0.1 receives), and the
// legacy audio.transcription mapped as the original's migration does (a whisper
// command becomes the audio model; any other command is ignored).
func TestMediaUnderstandingFromConfig(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.URL.Path+" "+r.Header.Get("Authorization")+" "+r.FormValue("model")+" "+r.FormValue("language")+" "+r.Header.Get("X-Team"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"text": "ok"})
	}))
	defer srv.Close()
	dir := t.TempDir()
	audio := filepath.Join(dir, "a.ogg")
	if err := os.WriteFile(audio, []byte("OggS\x00\x02abc"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A fake "whisper" (the legacy key's only accepted command) and another command.
	whisper := filepath.Join(dir, "bin", "whisper")
	other := filepath.Join(dir, "bin", "transcribe-it")
	if err := os.MkdirAll(filepath.Dir(whisper), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{whisper, other} {
		if err := os.WriteFile(p, []byte("#!/bin/sh\necho \"legacy heard $1\"\n"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		cfg  string
		env  map[string]string
		want string // request seen; "" = none
		text string // output; "" = none
	}{
		{name: "no section, no key", cfg: `{}`},
		{name: "disabled", cfg: `{tools: {media: {audio: {enabled: false, models: [{provider: "openai", baseUrl: "` + srv.URL + `/x/v1"}]}}}}`},
		{name: "unsupported provider only", cfg: `{tools: {media: {audio: {models: [{provider: "deepgram", model: "nova-3"}]}}}}`},
		{name: "a models.providers entry after a failing one", cfg: `{models: {providers: {local: {baseUrl: "` + srv.URL + `/a/v1", apiKey: "ka", headers: {"X-Team": "t1"}, models: []}}},
		  tools: {media: {audio: {language: "de", models: [{provider: "deepgram"}, {provider: "local", model: "whisper-large"}]}}}}`,
			want: "/a/v1/audio/transcriptions Bearer ka whisper-large de t1", text: "ok"},
		{name: "openai with the env key and the section's baseUrl", cfg: `{tools: {media: {audio: {baseUrl: "` + srv.URL + `/b/v1", headers: {"X-Team": "t2"}, models: [{provider: "openai", language: "fr"}]}}}}`,
			env: map[string]string{"OPENAI_API_KEY": "ke"}, want: "/b/v1/audio/transcriptions Bearer ke gpt-4o-mini-transcribe fr t2", text: "ok"},
		{name: "groq's default model", cfg: `{tools: {media: {audio: {models: [{provider: "groq", baseUrl: "` + srv.URL + `/g/v1"}]}}}}`,
			env: map[string]string{"GROQ_API_KEY": "kg"}, want: "/g/v1/audio/transcriptions Bearer kg whisper-large-v3-turbo  ", text: "ok"},
		{name: "no models: the provider whose key is known", cfg: `{models: {providers: {openai: {baseUrl: "` + srv.URL + `/c/v1", models: []}}}}`,
			env: map[string]string{"OPENAI_API_KEY": "kc"}, want: "/c/v1/audio/transcriptions Bearer kc gpt-4o-mini-transcribe  ", text: "ok"},
		{name: "legacy whisper command", cfg: `{audio: {transcription: {command: ["` + whisper + `", "{{MediaPath}}"], timeoutSeconds: 5}}}`,
			text: "legacy heard " + audio},
		{name: "legacy other command ignored", cfg: `{audio: {transcription: {command: ["` + other + `", "{{MediaPath}}"]}}}`},
		{name: "legacy ignored when models are set", cfg: `{audio: {transcription: {command: ["` + whisper + `"]}},
		  tools: {media: {audio: {models: [{provider: "openai", baseUrl: "` + srv.URL + `/d/v1"}]}}}}`,
			want: "/d/v1/audio/transcriptions  gpt-4o-mini-transcribe  ", text: "ok"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := config.Parse("clawdbot.json", []byte(tc.cfg))
			if err != nil {
				t.Fatal(err)
			}
			c := f.Config
			s := &services{log: slog.New(slog.DiscardHandler), env: config.MapEnv(tc.env)}
			if tc.name == "legacy whisper command" {
				mc, _, err := mediaUnderstandingConfig(s, &c)
				if err != nil {
					t.Fatal(err)
				}
				if a := mc.Audio; a == nil || a.Enabled == nil || !*a.Enabled || len(a.Models) != 1 || a.Models[0].Type != "cli" ||
					a.Models[0].Command != whisper || len(a.Models[0].Args) != 1 || a.Models[0].Args[0] != "{{MediaPath}}" || a.Models[0].TimeoutSeconds != 5 {
					t.Fatalf("mapped audio section: %+v", a)
				}
			}
			r, err := mediaUnderstanding(s, &c)
			if err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			got = nil
			mu.Unlock()
			res := r.Media(t.Context(), understand.Message{Channel: "telegram", ChatType: "direct"}, []understand.Attachment{{Path: audio, MIME: "audio/ogg"}})
			text := ""
			if len(res.Outputs) == 1 {
				text = res.Outputs[0].Text
			}
			if text != tc.text {
				t.Fatalf("output %q, want %q (%+v)", text, tc.text, res)
			}
			mu.Lock()
			defer mu.Unlock()
			if (tc.want == "" && len(got) != 0) || (tc.want != "" && (len(got) != 1 || got[0] != tc.want)) {
				t.Fatalf("requests %q, want %q", got, tc.want)
			}
		})
	}
}
