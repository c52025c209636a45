package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawgate/gateway/server/agent"
	"github.com/clawgate/gateway/server/agent/tools"
	"github.com/clawgate/gateway/server/config"
)

// TestImageToolMediaMaxMb: agents.defaults.mediaMaxMb bounds what the image tool loads:
// a 2 KB picture is refused under a 0.001 MB cap before the image model is asked, and
// described by it without the cap.
func TestImageToolMediaMaxMb(t *testing.T) {
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, "pic.png"), pngBytes(2048), 0o600); err != nil {
		t.Fatal(err)
	}
	model := newFakeModel(t, "openai-completions", func(int, []byte) fakeStep { return fakeStep{text: "a grey square"} })
	s := &services{log: slog.New(slog.DiscardHandler), env: config.MapEnv(nil), home: home, paths: config.Paths{StateDir: home}}
	parts, err := newEngineParts(s)
	if err != nil {
		t.Fatal(err)
	}
	defer parts.close()
	run := func(extra string) (tools.Result, error) {
		t.Helper()
		raw := fmt.Sprintf(`{agents: {defaults: {imageModel: {primary: "fake/v1"} %s}},
  models: {providers: {fake: {baseUrl: %q, api: "openai-completions", apiKey: "k", models: [{id: "m1", name: "m1"}, {id: "v1", name: "v1", input: ["text", "image"]}]}}}}`,
			extra, model.baseURL())
		f, err := config.Parse("clawdbot.json", []byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		e, err := buildEngine(s, f, config.Agent{Model: config.Model{Kind: config.BackendProvider, ModelRef: "fake/m1", Provider: "fake", ModelID: "m1"}, Workspace: home}, parts)
		if err != nil {
			t.Fatal(err)
		}
		set, cleanup, err := e.Tools(context.Background(), agent.RunInfo{RunID: "r", SessionKey: "agent:main:r"})
		if err != nil {
			t.Fatal(err)
		}
		defer cleanup()
		tl, ok := set.Get("image")
		if !ok {
			t.Fatal("no image tool")
		}
		return tl.Execute(context.Background(), tools.Call{Args: json.RawMessage(`{"image":"pic.png"}`)})
	}
	if _, err := run(`, mediaMaxMb: 0.001`); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("2 KB image under a 0.001 MB cap: err = %v", err)
	}
	res, err := run(``)
	if err != nil {
		t.Fatalf("without the cap: %v", err)
	}
	if b, _ := json.Marshal(res.Content); !strings.Contains(string(b), "a grey square") {
		t.Fatalf("without the cap: %s", b)
	}
}
