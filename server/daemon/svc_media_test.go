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
	"github.com/clawgate/gateway/server/media"
)

// TestTranscriberFromConfig: which endpoint, key and model tools.media.audio selects,
// checked by what a transcription server on 127.0.0.1 receives.
func TestTranscriberFromConfig(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.URL.Path+" "+r.Header.Get("Authorization")+" "+r.FormValue("model")+" "+r.FormValue("language"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"text": "ok"})
	}))
	defer srv.Close()
	audio := filepath.Join(t.TempDir(), "a.ogg")
	if err := os.WriteFile(audio, []byte("OggS\x00\x02abc"), 0o600); err != nil {
		t.Fatal(err)
	}
	saved := media.Saved{Path: audio, ContentType: "audio/ogg", Kind: media.Audio, Size: 9}
	for _, tc := range []struct {
		name string
		cfg  string
		want string // "" = off
	}{
		{name: "no section", cfg: `{}`},
		{name: "disabled", cfg: `{tools: {media: {audio: {enabled: false, models: [{provider: "openai", baseUrl: "` + srv.URL + `/x/v1"}]}}}}`},
		{name: "unsupported provider only", cfg: `{tools: {media: {audio: {models: [{provider: "deepgram", model: "nova-3"}]}}}}`},
		{name: "a models.providers entry", cfg: `{models: {providers: {local: {baseUrl: "` + srv.URL + `/a/v1", apiKey: "ka", models: []}}},
		  tools: {media: {audio: {language: "de", models: [{provider: "deepgram"}, {provider: "local", model: "whisper-large"}]}}}}`,
			want: "/a/v1/audio/transcriptions Bearer ka whisper-large de"},
		{name: "openai with the env key and the section's baseUrl", cfg: `{tools: {media: {audio: {baseUrl: "` + srv.URL + `/b/v1", models: [{provider: "openai", language: "fr"}]}}}}`,
			want: "/b/v1/audio/transcriptions Bearer ke gpt-4o-mini-transcribe fr"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := config.Parse("clawdbot.json", []byte(tc.cfg))
			if err != nil {
				t.Fatal(err)
			}
			c := f.Config
			s := &services{log: slog.New(slog.DiscardHandler), env: config.MapEnv(map[string]string{"OPENAI_API_KEY": "ke"})}
			tr, err := transcriber(s, &c)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == "" {
				if tr.Enabled() {
					t.Fatal("transcription on")
				}
				return
			}
			mu.Lock()
			got = nil
			mu.Unlock()
			if _, err := tr.Transcribe(t.Context(), saved); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(got) != 1 || got[0] != tc.want {
				t.Fatalf("requests %q, want %q", got, tc.want)
			}
		})
	}
}
