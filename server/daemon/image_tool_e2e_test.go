package daemon

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// TestImageTool: with agents.defaults.imageModel set, the agent's image tool sends a
// workspace picture to the image model as an image part (with the prompt; the primary
// fails, its fallback answers), and the
// image model's answer reaches the main model's next request as the tool result; a
// path outside the workspace is refused without reaching any model.
func TestImageTool(t *testing.T) {
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	if err := os.MkdirAll(ws, 0o700); err != nil {
		t.Fatal(err)
	}
	pic := pngBytes(120)
	if err := os.WriteFile(filepath.Join(ws, "pic.png"), pic, 0o600); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(home, "outside.png")
	if err := os.WriteFile(secret, pic, 0o600); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var bodies []string
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
		mu.Lock()
		bodies = append(bodies, string(body))
		mu.Unlock()
		switch n {
		case 0:
			return fakeStep{calls: []fakeCall{{"c1", "image", `{"image":"pic.png","prompt":"What color is it?"}`}}}
		case 1:
			return fakeStep{status: 500} // the primary image model fails
		case 2:
			return fakeStep{text: "A bright red square."}
		case 3:
			return fakeStep{text: "It is red."}
		case 4:
			return fakeStep{calls: []fakeCall{{"c2", "image", fmt.Sprintf(`{"image":%q}`, secret)}}}
		}
		return fakeStep{text: "Could not look."}
	})
	bot := tgtest.New(t, tgtest.DefaultToken)
	r := startHome(t, home, fmt.Sprintf(`{
  agents: {defaults: {workspace: %q, model: {primary: "fake/m1"}, imageModel: {primary: "fake/v2", fallbacks: ["fake/v1"]}}},
  models: {providers: {fake: {baseUrl: %q, api: "openai-completions", apiKey: "k1", models: [
    {id: "m1", name: "text only"},
    {id: "v1", name: "vision", input: ["text", "image"]},
    {id: "v2", name: "vision 2", input: ["text", "image"]},
  ]}}},
  channels: {telegram: {botToken: %q, apiBaseUrl: %q, streamMode: "off", dmPolicy: "open", allowFrom: ["*"]}},
}`, ws, model.baseURL(), tgtest.DefaultToken, bot.URL()), nil)
	r.waitOutput(t, "agent runtime ready")

	bot.PushUpdate(42, 42, "what is in pic.png?")
	waitFor(t, "the answer", func() bool { return len(sentTo(bot, "42")) == 1 })
	if s := sentTo(bot, "42")[0]; s.Text != "It is red." {
		t.Fatalf("reply: %+v", s)
	}
	mu.Lock()
	got := append([]string(nil), bodies...)
	mu.Unlock()
	if len(got) != 4 || !strings.Contains(got[1], `"model":"v2"`) {
		t.Fatalf("%d model requests, want 4 (the primary image model first)", len(got))
	}
	img := got[2] // the fallback (agents.defaults.imageModel.fallbacks)
	if !strings.Contains(img, `"model":"v1"`) || !strings.Contains(img, "data:image/png;base64,"+base64.StdEncoding.EncodeToString(pic)) || !strings.Contains(img, "What color is it?") {
		t.Fatalf("image model request: %.400s", img)
	}
	if !strings.Contains(got[3], `"model":"m1"`) || !strings.Contains(got[3], "A bright red square.") {
		t.Fatalf("main model's next request: %.600s", got[3])
	}

	// Outside the workspace: an error result, no image model request.
	bot.PushUpdate(42, 42, "and the other one?")
	waitFor(t, "the second answer", func() bool { return len(sentTo(bot, "42")) == 2 })
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 6 || !strings.Contains(bodies[5], "path is outside the workspace") || strings.Contains(bodies[5], `"model":"v1"`) {
		t.Fatalf("requests after the refused path: %d; last %.400s", len(bodies), bodies[len(bodies)-1])
	}
}
