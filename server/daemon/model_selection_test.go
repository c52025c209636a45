package daemon

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestModelAliasesAndAllowlist: with agents.defaults.models configured, through
// daemon.Run and a real WebSocket, sessions.patch and /model take an alias and the
// next request at the fake OpenAI-compatible server asks for the aliased model; a model
// outside the map is refused by both (the original's "model not allowed: …"), and
// the session keeps its model; models.list still lists every catalog model, as the
// original's does. A stored override the allowlist no longer holds (after a restart
// with a smaller map) is dropped on the next run, as the original drops it.
func TestModelAliasesAndAllowlist(t *testing.T) {
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	if err := os.MkdirAll(ws, 0o700); err != nil {
		t.Fatal(err)
	}
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep { return fakeStep{text: fmt.Sprintf("answer %d", n)} })
	cfg := fmt.Sprintf(`{
  agents: {defaults: {workspace: %q, model: {primary: "fake/m1"},
    models: {"fake/m1": {alias: "one"}, "fake/m2": {alias: "Two"}}}},
  models: {providers: {fake: {baseUrl: %q, api: "openai-completions", apiKey: "k1", models: [{id: "m3", name: "m3"}]}}},
}`, ws, model.baseURL())
	r := startHome(t, home, cfg, nil)
	c := r.client(t)
	// turn runs one chat turn and returns the model its request at the fake server
	// asked for; a turn that sent no request fails the test.
	turn := func(runID, message string) string {
		t.Helper()
		before := len(model.requests())
		runChat(t, c, runID, message, nil)
		reqs := model.requests()
		if len(reqs) != before+1 {
			t.Fatalf("turn %s: %d requests at the model, want %d", runID, len(reqs), before+1)
		}
		var req struct{ Model string }
		if err := json.Unmarshal(reqs[len(reqs)-1], &req); err != nil {
			t.Fatal(err)
		}
		return req.Model
	}

	var patched struct{ Entry map[string]any }
	c.MustOK("sessions.patch", map[string]any{"key": "main", "model": "two"}, &patched)
	if patched.Entry["model"] != "fake/m2" {
		t.Fatalf("patch by alias stored %v, want fake/m2", patched.Entry["model"])
	}
	if m := turn("r1", "hello"); m != "m2" {
		t.Fatalf("after sessions.patch to alias two the model asked is %q, want m2", m)
	}
	// The system prompt lists the aliases, as the original's "Model Aliases".
	if reqs := model.requests(); !bytes.Contains(reqs[len(reqs)-1], []byte(`## Model Aliases\n`)) ||
		!bytes.Contains(reqs[len(reqs)-1], []byte(`\n- one: fake/m1\n- Two: fake/m2\n`)) {
		t.Fatalf("the request's system prompt lacks the alias lines: %.3000s", reqs[len(reqs)-1])
	}

	// Outside the allowlist: refused with the original's message; nothing changes.
	for _, name := range []string{"fake/m3", "m3"} {
		f := c.Call("sessions.patch", map[string]any{"key": "main", "model": name})
		if f.OK || f.Error == nil || f.Error.Code != "INVALID_REQUEST" || f.Error.Message != "model not allowed: fake/m3" {
			t.Fatalf("sessions.patch model %q: %s", name, f.Raw)
		}
	}
	if _, txt := finalText(t, runChat(t, c, "r2", "/model fake/m3", nil)); !strings.Contains(txt, `Model "fake/m3" is not allowed.`) ||
		!strings.Contains(txt, "fake/m1, fake/m2") {
		t.Fatalf("/model outside the allowlist answered %q", txt)
	}
	if m := turn("r3", "still two?"); m != "m2" {
		t.Fatalf("after the refusals the model asked is %q, want m2 still", m)
	}

	// /model by alias (any case); naming the default is no override.
	if _, txt := finalText(t, runChat(t, c, "r4", "/model ONE", nil)); !strings.Contains(txt, "default model again") {
		t.Fatalf("/model ONE answered %q", txt)
	}
	if m := turn("r5", "back to one"); m != "m1" {
		t.Fatalf("after /model ONE the model asked is %q, want m1", m)
	}

	// models.list is the whole catalog, allowlist or not (as in the original).
	var list struct {
		Models []struct{ ID, Provider string }
	}
	c.MustOK("models.list", map[string]any{}, &list)
	found := map[string]bool{}
	for _, m := range list.Models {
		found[m.Provider+"/"+m.ID] = true
	}
	for _, want := range []string{"fake/m1", "fake/m2", "fake/m3"} {
		if !found[want] {
			t.Errorf("models.list lacks %s: %+v", want, list.Models)
		}
	}

	// The allowlist shrinks: the stored override (fake/m2) is no longer allowed; the
	// next run uses the default and forgets it.
	c.MustOK("sessions.patch", map[string]any{"key": "main", "model": "Two"}, nil)
	r.stop(t)
	r = startHome(t, home, strings.Replace(cfg, `, "fake/m2": {alias: "Two"}`, "", 1), nil)
	c = r.client(t)
	if m := turn("r6", "after the restart"); m != "m1" {
		t.Fatalf("an override outside the new allowlist still asked %q, want the default m1", m)
	}
	var sl struct{ Sessions []map[string]any }
	c.MustOK("sessions.list", map[string]any{}, &sl)
	if len(sl.Sessions) != 1 || sl.Sessions[0]["model"] != nil {
		t.Fatalf("the dropped override is still stored: %v", sl.Sessions)
	}
}
