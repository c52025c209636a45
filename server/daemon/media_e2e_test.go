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

// pngBytes is a small but real PNG header followed by filler: what sniffing sees.
func pngBytes(n int) []byte {
	b := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"), bytes.Repeat([]byte{7}, n)...)
	return b
}

// mediaConfig: provider "fake" with a text-only default model m1 and a vision model v1
// (input ["text","image"], as models.providers.*.models[] declares it).
func mediaConfig(ws string, m *fakeModel, extra string) string {
	return fmt.Sprintf(`{
  agents: {defaults: {workspace: %q, model: {primary: "fake/m1"}}},
  models: {providers: {fake: {baseUrl: %q, api: %q, apiKey: "k1", models: [
    {id: "m1", name: "text only"},
    {id: "v1", name: "vision", input: ["text", "image"]},
  ]}}},
  tools: {exec: {security: "full", ask: "off"}},
  %s
}`, ws, m.baseURL(), m.api, extra)
}

// TestChatSendImageAttachments: over the real WebSocket, an image attachment on a
// text-only model is refused with INVALID_REQUEST naming the model and nothing reaches
// it; once the session uses the vision model the image reaches the model server as an
// image part (OpenAI image_url data URL; Anthropic base64 image block), also through
// the agent method; chat.history shows the image on the user turn; a non-image
// attachment is refused.
func TestChatSendImageAttachments(t *testing.T) {
	for _, api := range []string{"openai-completions", "anthropic-messages"} {
		t.Run(api, func(t *testing.T) {
			home := t.TempDir()
			ws := filepath.Join(home, "ws")
			if err := os.MkdirAll(ws, 0o700); err != nil {
				t.Fatal(err)
			}
			model := newFakeModel(t, api, func(n int, body []byte) fakeStep { return fakeStep{text: "I see it"} })
			r := startHome(t, home, mediaConfig(ws, model, ""), nil)
			c := r.client(t)
			img := pngBytes(64)
			b64 := base64.StdEncoding.EncodeToString(img)
			att := []map[string]any{{"type": "image", "mimeType": "image/jpeg", "fileName": "shot.png", "content": b64}}

			f := c.Call("chat.send", map[string]any{"sessionKey": "main", "message": "what is this?", "idempotencyKey": "i1", "attachments": att})
			if f.OK || f.Error == nil || f.Error.Code != "INVALID_REQUEST" || !strings.Contains(f.Error.Message, "fake/m1") || !strings.Contains(f.Error.Message, "images") {
				t.Fatalf("text-only model: %s", f.Raw)
			}
			if n := len(model.requests()); n != 0 {
				t.Fatalf("refused request reached the model (%d requests)", n)
			}

			c.MustOK("sessions.patch", map[string]any{"key": "main", "model": "fake/v1"}, nil)
			c.MustOK("chat.send", map[string]any{"sessionKey": "main", "message": "what is this?", "idempotencyKey": "i2", "attachments": att}, nil)
			waitFor(t, "the model request", func() bool { return len(model.requests()) == 1 })
			body := string(model.requests()[0])
			// The sniffed type (png) wins over the declared one (jpeg).
			var want []string
			if api == "anthropic-messages" {
				want = []string{`"type":"image"`, `"media_type":"image/png"`, `"data":"` + b64 + `"`}
			} else {
				want = []string{`"type":"image_url"`, `"url":"data:image/png;base64,` + b64 + `"`}
			}
			for _, w := range want {
				if !strings.Contains(body, w) {
					t.Fatalf("request lacks %s: %s", w, body)
				}
			}

			// The agent method takes the same attachments.
			waitFor(t, "run i2 to finish", func() bool {
				var h struct{ Messages []json.RawMessage }
				c.MustOK("chat.history", map[string]any{"sessionKey": "main"}, &h)
				return len(h.Messages) >= 2
			})
			c.MustOK("agent", map[string]any{"message": "and this?", "sessionKey": "main", "idempotencyKey": "a1", "attachments": att}, nil)
			waitFor(t, "the agent run's model request", func() bool { return len(model.requests()) == 2 })
			if n := strings.Count(string(model.requests()[1]), b64); n != 2 {
				t.Fatalf("second turn carries the image %d times, want 2 (history and prompt)", n)
			}

			var hist struct{ Messages []map[string]any }
			c.MustOK("chat.history", map[string]any{"sessionKey": "main"}, &hist)
			var user map[string]any
			for _, m := range hist.Messages {
				if m["role"] == "user" {
					user = m
					break
				}
			}
			content, _ := user["content"].([]any)
			if len(content) != 2 {
				t.Fatalf("user turn in history: %v", user)
			}
			if p, _ := content[1].(map[string]any); p["type"] != "image" || p["mimeType"] != "image/png" || p["data"] != b64 {
				t.Fatalf("image part in history: %v", content[1])
			}

			// Bad attachments: not an image; not base64.
			for i, bad := range []map[string]any{
				{"fileName": "doc.pdf", "mimeType": "image/png", "content": base64.StdEncoding.EncodeToString([]byte("%PDF-1.4\n%âãÏÓ\n1 0 obj"))},
				{"fileName": "x.png", "content": "not base64!"},
				{"fileName": "y.png", "content": 42},
			} {
				f := c.Call("chat.send", map[string]any{"sessionKey": "main", "message": "bad", "idempotencyKey": fmt.Sprintf("b%d", i), "attachments": []any{bad}})
				if f.OK || f.Error == nil || f.Error.Code != "INVALID_REQUEST" || !strings.Contains(f.Error.Message, "attachment "+bad["fileName"].(string)) {
					t.Fatalf("bad attachment %v: %s", bad["fileName"], f.Raw)
				}
			}
			if n := len(model.requests()); n != 2 {
				t.Fatalf("refused attachments reached the model: %d requests", n)
			}
		})
	}
}

// fakeTranscriber is an OpenAI-compatible /v1/audio/transcriptions server on
// 127.0.0.1 that records the uploaded files.
type fakeTranscriber struct {
	srv   *httptest.Server
	mu    sync.Mutex
	files [][]byte
	names []string
}

func newFakeTranscriber(t *testing.T, text string) *fakeTranscriber {
	ft := &fakeTranscriber{}
	ft.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/audio/transcriptions" {
			http.NotFound(w, r)
			return
		}
		f, h, err := r.FormFile("file")
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		b, _ := io.ReadAll(f)
		ft.mu.Lock()
		ft.files = append(ft.files, b)
		ft.names = append(ft.names, h.Filename+" "+r.FormValue("model"))
		ft.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"text": text})
	}))
	t.Cleanup(ft.srv.Close)
	return ft
}

func (ft *fakeTranscriber) calls() ([][]byte, []string) {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	return append([][]byte(nil), ft.files...), append([]string(nil), ft.names...)
}

// TestTelegramInboundMedia runs the gateway against the Telegram test server, a vision
// model server and a transcription server: a photo reaches the model as an image part
// (the largest size), a voice note as its transcript, and a file over mediaMaxMb is
// refused with a reply — declared too large (never downloaded) or found too large
// while downloading — and nothing of it reaches the model. Received files are stored
// under <state>/media/inbound.
func TestTelegramInboundMedia(t *testing.T) {
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	if err := os.MkdirAll(ws, 0o700); err != nil {
		t.Fatal(err)
	}
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep { return fakeStep{text: "got it"} })
	tr := newFakeTranscriber(t, "please turn on the lights")
	bot := tgtest.New(t, tgtest.DefaultToken)
	cfg := strings.Replace(mediaConfig(ws, model, fmt.Sprintf(`channels: {telegram: {botToken: %q, apiBaseUrl: %q, streamMode: "off", dmPolicy: "open", allowFrom: ["*"], mediaMaxMb: 1}},
  `, tgtest.DefaultToken, bot.URL())), `primary: "fake/m1"`, `primary: "fake/v1"`, 1)
	cfg = strings.Replace(cfg, `tools: {exec: {security: "full", ask: "off"}},`,
		fmt.Sprintf(`tools: {exec: {security: "full", ask: "off"}, media: {audio: {models: [{provider: "openai", model: "whisper-1", baseUrl: %q}]}}},`, tr.srv.URL+"/v1"), 1)
	startHome(t, home, cfg, nil) // providers start after the agent runtime: no wait needed
	user := tgtest.User{ID: 42, FirstName: "Ann"}
	replies := func() int { return len(sentTo(bot, "42")) }

	// 1. A photo with a caption: the largest size reaches the model as an image part.
	photo := pngBytes(2000)
	thumb := append(pngBytes(0), bytes.Repeat([]byte{9}, 12)...)
	bot.PushPhoto(42, user, "what is in the picture?", thumb, photo)
	waitFor(t, "the photo's reply", func() bool { return replies() == 1 })
	reqs := model.requests()
	if len(reqs) != 1 {
		t.Fatalf("model requests: %d", len(reqs))
	}
	b64 := base64.StdEncoding.EncodeToString(photo)
	if body := string(reqs[0]); !strings.Contains(body, `"url":"data:image/png;base64,`+b64+`"`) || !strings.Contains(body, "what is in the picture?") {
		t.Fatalf("photo request: %.400s", body)
	}
	if strings.Contains(string(reqs[0]), base64.StdEncoding.EncodeToString(thumb)) {
		t.Fatal("the thumbnail was sent instead of / besides the largest size")
	}

	// 2. A voice note: its transcript is the prompt.
	voice := append([]byte("OggS\x00\x02"), bytes.Repeat([]byte{1}, 300)...)
	bot.PushVoice(42, user, voice)
	waitFor(t, "the voice note's reply", func() bool { return replies() == 2 })
	files, names := tr.calls()
	if len(files) != 1 || !bytes.Equal(files[0], voice) || !strings.HasSuffix(names[0], ".ogg whisper-1") {
		t.Fatalf("transcription calls: %d %q", len(files), names)
	}
	body := string(model.requests()[1])
	if !strings.Contains(body, `Transcript:\nplease turn on the lights`) {
		t.Fatalf("voice request: %.600s", body)
	}

	// 3. Over mediaMaxMb (1 MB): declared too large (no download), then declared small
	// but too large on the wire (the download is cut off). Each gets a reply; the model
	// sees neither.
	downloads := bot.Calls("download")
	big := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), 2<<20)...)
	bot.PushDocument(42, user, "read this", "big.pdf", "application/pdf", big, 0)
	waitFor(t, "the first refusal", func() bool { return replies() == 3 })
	if bot.Calls("download") != downloads {
		t.Fatal("a file declared over the cap was downloaded")
	}
	bot.PushDocument(42, user, "", "liar.pdf", "application/pdf", big, 1000)
	waitFor(t, "the second refusal", func() bool { return replies() == 4 })
	for _, s := range sentTo(bot, "42")[2:] {
		if !strings.Contains(s.Text, "too large") || !strings.Contains(s.Text, "limit 1 MB") {
			t.Fatalf("refusal reply: %q", s.Text)
		}
	}
	// A text message after them is answered, and is the only new model call.
	bot.PushUpdate(42, 42, "ok then")
	waitFor(t, "the text reply", func() bool { return replies() == 5 })
	if n := len(model.requests()); n != 3 {
		t.Fatalf("model requests after the refusals: %d, want 3", n)
	}
	if strings.Contains(string(model.requests()[2]), "read this") {
		t.Fatal("a refused file's caption reached the model")
	}

	// The photo and the voice note are stored under the state dir; the refused files
	// are not.
	ents, err := os.ReadDir(filepath.Join(home, "state", "media", "inbound"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 2 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Fatalf("stored media: %q", names)
	}
}
