package daemon

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompactionUsesCatalogContextWindow: through daemon.Run, a model whose
// models.providers entry gives a 2000-token contextWindow has a turn past its budget
// compacted first — one summarisation request to the same provider, then the turn with
// the summary — and the compaction events reach the WebSocket client; the same turn
// under the default 200k window is sent as it is.
func TestCompactionUsesCatalogContextWindow(t *testing.T) {
	for _, tc := range []struct {
		name    string
		window  string
		compact bool
	}{
		{"catalog window", `, contextWindow: 2000`, true},
		{"default window", ``, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home := t.TempDir()
			ws := filepath.Join(home, "ws")
			model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
				if bytes.Contains(body, []byte("context summarization assistant")) {
					return fakeStep{text: "SUMMARY of the greetings"}
				}
				return fakeStep{text: fmt.Sprintf("answer %d", n)}
			})
			cfg := agentConfig(ws, model, nil)
			cfg = strings.Replace(cfg, `models: []}`, `models: [{id: "m1", name: "m1"`+tc.window+`}]}`, 1)
			r := startHome(t, home, cfg, nil)
			c := r.client(t)
			runChat(t, c, "c1", "hello", nil)
			runChat(t, c, "c2", "hello again", nil)
			evs := runChat(t, c, "c3", "please read this: "+strings.Repeat("lorem ipsum ", 400), nil)
			if st, txt := finalText(t, evs); st != "final" || !strings.HasPrefix(txt, "answer") {
				t.Fatalf("long turn: %s %q", st, txt)
			}
			var phases []string
			for _, f := range evs {
				if f.Event == "agent" && bytes.Contains(f.Payload, []byte(`"stream":"compaction"`)) {
					phases = append(phases, string(f.Payload))
				}
			}
			reqs := model.requests()
			if !tc.compact {
				if len(phases) != 0 || len(reqs) != 3 {
					t.Fatalf("default window: %d compaction events, %d requests", len(phases), len(reqs))
				}
				return
			}
			if len(phases) != 2 || !strings.Contains(phases[0], `"phase":"start"`) || !strings.Contains(phases[1], `"willRetry":false`) {
				t.Fatalf("compaction events: %v", phases)
			}
			if len(reqs) != 4 || !bytes.Contains(reqs[2], []byte("context summarization assistant")) || !bytes.Contains(reqs[2], []byte("hello again")) {
				t.Fatalf("requests: %d; third is not the summarisation", len(reqs))
			}
			if !bytes.Contains(reqs[3], []byte("SUMMARY of the greetings")) || bytes.Contains(reqs[3], []byte(`"hello again"`)) {
				t.Fatalf("turn request after compaction: %s", reqs[3])
			}
		})
	}
}
