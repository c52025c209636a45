package daemon

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReasoningEffort: through daemon.Run and a real WebSocket, a session's thinking
// level (sessions.patch) reaches an OpenAI-protocol model configured with
// reasoning: true as reasoning_effort on the next request (xhigh as high, off as
// none); a model without reasoning never gets the field.
func TestReasoningEffort(t *testing.T) {
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	if err := os.MkdirAll(ws, 0o700); err != nil {
		t.Fatal(err)
	}
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep { return fakeStep{text: "ok"} })
	cfg := strings.Replace(agentConfig(ws, model, nil), "models: []}",
		`models: [{id: "m1", name: "M1", reasoning: true}, {id: "m2", name: "M2", reasoning: false}]}`, 1)
	r := startHome(t, home, cfg, nil)
	c := r.client(t)
	effort := func(i int) (string, bool) {
		var req map[string]any
		if err := json.Unmarshal(model.requests()[i], &req); err != nil {
			t.Fatal(err)
		}
		v, ok := req["reasoning_effort"]
		s, _ := v.(string)
		return s, ok
	}
	steps := []struct {
		patch map[string]any
		want  string // "" = no field
	}{
		{nil, ""}, // no level set
		{map[string]any{"thinkingLevel": "high"}, "high"},
		{map[string]any{"thinkingLevel": "minimal"}, "minimal"},
		{map[string]any{"thinkingLevel": "xhigh"}, "high"},
		{map[string]any{"thinkingLevel": "off"}, ""},
		{map[string]any{"thinkingLevel": "medium", "model": "fake/m2"}, ""}, // not a reasoning model
		{map[string]any{"model": nil}, "medium"},                            // back on m1, level kept
	}
	for i, st := range steps {
		if st.patch != nil {
			p := map[string]any{"key": "main"}
			for k, v := range st.patch {
				p[k] = v
			}
			c.MustOK("sessions.patch", p, nil)
		}
		runChat(t, c, "r"+string(rune('a'+i)), "question", nil)
		got, ok := effort(i)
		if ok != (st.want != "") || got != st.want {
			t.Fatalf("step %d (%v): reasoning_effort %q (present %v), want %q", i, st.patch, got, ok, st.want)
		}
	}
}
