package daemon

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// fakeVision is an OpenAI-compatible chat completions server on 127.0.0.1 that
// describes pictures (or fails every request with 503 when down), recording the
// requests.
type fakeVision struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs [][]byte
}

func newFakeVision(t *testing.T, down bool) *fakeVision {
	v := &fakeVision{}
	v.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		v.mu.Lock()
		v.reqs = append(v.reqs, append([]byte(r.URL.Path+" "), b...))
		v.mu.Unlock()
		if down {
			http.Error(w, `{"error":{"message":"overloaded"}}`, http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"choices": []any{map[string]any{"message": map[string]any{"role": "assistant", "content": "A red bicycle against a brick wall."}}}})
	}))
	t.Cleanup(v.srv.Close)
	return v
}

func (v *fakeVision) requests() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []string
	for _, r := range v.reqs {
		out = append(out, string(r))
	}
	return out
}

// TestTelegramMediaUnderstanding runs the gateway with a text-only model against the
// Telegram test server, an OpenAI-compatible vision server, a failing provider and
// small scripts: a photo reaches the model as the vision server's description (and
// not as an image); in a group, where tools.media.image.scope denies, the vision
// server is not asked; a voice note falls back from the failing provider to a
// command; a link in a message is summarised by tools.links' command and the summary
// added to the body.
func TestTelegramMediaUnderstanding(t *testing.T) {
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	bin := filepath.Join(home, "bin")
	for _, d := range []string{ws, bin} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	transcribe := filepath.Join(bin, "transcribe")
	summarize := filepath.Join(bin, "summarize")
	for p, body := range map[string]string{
		// Proves it got the stored file: prints its size.
		transcribe: `echo "turn on the lights (from $(wc -c < "$1" | tr -d ' ') bytes)"`,
		summarize:  `echo "Summary of $1: a page about cats."`,
	} {
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep { return fakeStep{text: "ok"} })
	vision := newFakeVision(t, false)
	down := newFakeVision(t, true)
	bot := tgtest.New(t, tgtest.DefaultToken)
	cfg := fmt.Sprintf(`{
  agents: {defaults: {workspace: %q, model: {primary: "fake/m1"}}},
  models: {providers: {
    fake: {baseUrl: %q, api: "openai-completions", apiKey: "k1", models: [{id: "m1", name: "text only"}]},
    vision: {baseUrl: %q, apiKey: "kv", models: []},
    down: {baseUrl: %q, apiKey: "kd", models: []},
  }},
  channels: {telegram: {botToken: %q, apiBaseUrl: %q, streamMode: "off", dmPolicy: "open", allowFrom: ["*"],
    groupPolicy: "open", groups: {"-100": {requireMention: false}}}},
  tools: {
    media: {
      image: {scope: {rules: [{action: "deny", match: {channel: "telegram", chatType: "group"}}]}, models: [{provider: "vision", model: "see-1"}]},
      audio: {models: [{provider: "down", model: "w"}, {type: "cli", command: %q, args: ["{{MediaPath}}"]}]},
    },
    links: {models: [{command: %q, args: ["{{LinkUrl}}"]}]},
  },
}`, ws, model.baseURL(), vision.srv.URL+"/v1", down.srv.URL+"/v1", tgtest.DefaultToken, bot.URL(), transcribe, summarize)
	r := startHome(t, home, cfg, nil)
	user := tgtest.User{ID: 42, FirstName: "Ann"}
	replies := func(chat string) int { return len(sentTo(bot, chat)) }

	// 1. A photo in a DM: described, the description in the body, no image part.
	photo := pngBytes(300)
	bot.PushPhoto(42, user, "what is this?", nil, photo)
	waitFor(t, "the photo's reply", func() bool { return replies("42") == 1 })
	body := string(model.requests()[0])
	if !strings.Contains(body, `[Image]\nUser text:\nwhat is this?\nDescription:\nA red bicycle against a brick wall.`) {
		t.Fatalf("photo request: %.800s", body)
	}
	if strings.Contains(body, base64.StdEncoding.EncodeToString(photo)) || strings.Contains(body, `"image_url"`) {
		t.Fatal("the picture itself went to a text-only model")
	}
	vr := vision.requests()
	if len(vr) != 1 || !strings.HasPrefix(vr[0], "/v1/chat/completions ") || !strings.Contains(vr[0], `"model":"see-1"`) ||
		!strings.Contains(vr[0], "Describe the image. Respond in at most 500 characters.") || !strings.Contains(vr[0], "data:image/png;base64,"+base64.StdEncoding.EncodeToString(photo)) {
		t.Fatalf("vision requests: %.300q", vr)
	}

	// 2. The same in the group: the scope denies, the vision server is not asked.
	bot.PushPhoto(-100, user, "and this?", nil, photo)
	waitFor(t, "the group photo's reply", func() bool { return replies("-100") == 1 })
	if n := len(vision.requests()); n != 1 {
		t.Fatalf("vision asked %d times, want 1 (scope deny for groups)", n)
	}
	if body := string(model.requests()[1]); strings.Contains(body, "Description:") || !strings.Contains(body, "and this?") {
		t.Fatalf("group photo request: %.800s", body)
	}

	// 3. A voice note: the provider fails, the command transcribes.
	voice := append([]byte("OggS\x00\x02"), bytes.Repeat([]byte{1}, 200)...)
	bot.PushVoice(42, user, voice)
	waitFor(t, "the voice note's reply", func() bool { return replies("42") == 2 })
	if body := string(model.requests()[2]); !strings.Contains(body, fmt.Sprintf(`[Audio]\nTranscript:\nturn on the lights (from %d bytes)`, len(voice))) {
		t.Fatalf("voice request: %.800s", body)
	}
	if dr := down.requests(); len(dr) != 1 || !strings.HasPrefix(dr[0], "/v1/audio/transcriptions ") {
		t.Fatalf("failing provider requests: %.200q", dr)
	}

	// 4. A link: its summary follows the text.
	bot.PushUpdate(42, 42, "look at https://example.com/cats please")
	waitFor(t, "the link message's reply", func() bool { return replies("42") == 3 })
	if body := string(model.requests()[3]); !strings.Contains(body, `look at https://example.com/cats please\n\nSummary of https://example.com/cats: a page about cats.`) {
		t.Fatalf("link request: %.800s", body)
	}

	// 5. The config changes apply without a restart: links off, images described in
	// groups too.
	cfg = strings.Replace(cfg, `links: {models:`, `links: {enabled: false, models:`, 1)
	cfg = strings.Replace(cfg, `{action: "deny", match: {channel: "telegram", chatType: "group"}}`, `{action: "deny", match: {channel: "whatsapp"}}`, 1)
	if err := os.WriteFile(filepath.Join(home, "clawdbot.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	r.waitOutput(t, "config reloaded (hot)")
	bot.PushUpdate(42, 42, "again https://example.com/cats")
	waitFor(t, "the second link message's reply", func() bool { return replies("42") == 4 })
	if body := string(model.requests()[4]); !strings.Contains(body, "again https://example.com/cats") || strings.Contains(body, `again https://example.com/cats\n\nSummary`) {
		t.Fatalf("links still summarised after tools.links.enabled=false: %.800s", body)
	}
	bot.PushPhoto(-100, user, "now?", nil, photo)
	waitFor(t, "the second group photo's reply", func() bool { return replies("-100") == 2 })
	if body := string(model.requests()[5]); !strings.Contains(body, `[Image]\nUser text:\nnow?\nDescription:`) {
		t.Fatalf("group photo after the reload: %.800s", body)
	}
}
