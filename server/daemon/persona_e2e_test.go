package daemon

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPersonaFilesReachTheModel: through daemon.Run, a real WebSocket chat.send and the
// fake OpenAI-compatible server, the workspace persona files reach the model's system
// prompt under "# Project Context" in the original's order (AGENTS, SOUL, TOOLS,
// IDENTITY, USER, HEARTBEAT, BOOTSTRAP), each as "## <name>" then its content; a file
// over agents.defaults.bootstrapMaxChars keeps its first 70 % and last 20 % around the
// original's truncation marker; a missing file (agents.defaults.skipBootstrap, so none
// is created) is "[MISSING] Expected at: <path>". Once BOOTSTRAP.md is deleted (the
// first-run ritual is done) the next request has neither it nor a marker for it.
func TestPersonaFilesReachTheModel(t *testing.T) {
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	if err := os.MkdirAll(ws, 0o700); err != nil {
		t.Fatal(err)
	}
	const maxChars = 60
	// SOUL.md is over the cap: head (42 chars) and tail (12 chars) are distinct runs.
	soul := "SOUL-HEAD " + strings.Repeat("h", 32) + strings.Repeat("m", 40) + strings.Repeat("t", 4) + " SOUL-TAIL\n"
	files := map[string]string{
		"AGENTS.md":    "Agents: answer in English.\n",
		"SOUL.md":      soul,
		"TOOLS.md":     "Tools: the printer is lp0.\n",
		"IDENTITY.md":  "- **Name:** Molty\n",
		"USER.md":      "User: Ada, in Berlin.\n",
		"BOOTSTRAP.md": "First run: ask for a name.\n",
		// HEARTBEAT.md is missing.
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(ws, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep { return fakeStep{text: "ok"} })
	cfg := fmt.Sprintf(`{
  agents: {defaults: {workspace: %q, model: {primary: "fake/m1"}, bootstrapMaxChars: %d, skipBootstrap: true, userTimezone: "Europe/Berlin"}},
  models: {providers: {fake: {baseUrl: %q, api: "openai-completions", apiKey: "k1", models: []}}},
}`, ws, maxChars, model.baseURL())
	r := startHome(t, home, cfg, nil)
	c := r.client(t)
	system := func(i int) string {
		t.Helper()
		var req struct {
			Messages []struct{ Role, Content string }
		}
		if err := json.Unmarshal(model.requests()[i], &req); err != nil {
			t.Fatal(err)
		}
		if len(req.Messages) == 0 || req.Messages[0].Role != "system" {
			t.Fatalf("request %d has no system message first: %s", i, model.requests()[i])
		}
		return req.Messages[0].Content
	}

	runChat(t, c, "p1", "hello", nil)
	prompt := system(0)
	project := strings.Index(prompt, "# Project Context")
	if project < 0 {
		t.Fatalf("no # Project Context in the system prompt:\n%s", prompt)
	}
	trimmed := strings.TrimRight(soul, "\n")
	head, tail := trimmed[:maxChars*7/10], trimmed[len(trimmed)-maxChars*2/10:]
	soulCut := head + "\n\n[...truncated, read SOUL.md for full content...]\n" +
		fmt.Sprintf("…(truncated SOUL.md: kept %d+%d chars of %d)…", len(head), len(tail), len(trimmed)) + "\n\n" + tail
	// Each section in order, after the previous one: header, blank line, content.
	want := []string{
		"## AGENTS.md\n\nAgents: answer in English.\n",
		"## SOUL.md\n\n" + soulCut + "\n",
		"## TOOLS.md\n\nTools: the printer is lp0.\n",
		"## IDENTITY.md\n\n- **Name:** Molty\n",
		"## USER.md\n\nUser: Ada, in Berlin.\n",
		"## HEARTBEAT.md\n\n[MISSING] Expected at: " + filepath.Join(ws, "HEARTBEAT.md") + "\n",
		"## BOOTSTRAP.md\n\nFirst run: ask for a name.",
		// Then the run's own sections, as the original closes its prompt: the tools
		// offered, the user's zone, heartbeat acks and the runtime line.
		"\n\n## Tooling\n",
		"\n- read: ",
		"\n\n## Current Date & Time\nTime zone: Europe/Berlin\n",
		"\n\n## Heartbeats\n",
		"\n\n## Runtime\nRuntime: agent=main | host=",
		" | model=fake/m1 | default_model=fake/m1 | thinking=off",
	}
	at := project
	for _, w := range want {
		i := strings.Index(prompt[at:], w)
		if i < 0 {
			t.Fatalf("after offset %d the prompt lacks (in this order) %q:\n%s", at, w, prompt[project:])
		}
		at += i + len(w)
	}
	if strings.Contains(prompt, strings.Repeat("m", 40)) {
		t.Errorf("the middle of SOUL.md (past the cap) reached the model:\n%s", prompt)
	}

	// The ritual is done: BOOTSTRAP.md goes, and with it its section (no marker).
	if err := os.Remove(filepath.Join(ws, "BOOTSTRAP.md")); err != nil {
		t.Fatal(err)
	}
	runChat(t, c, "p2", "again", nil)
	if p := system(1); strings.Contains(p, "BOOTSTRAP.md") || !strings.Contains(p, strings.TrimSuffix(want[5], "\n")+"\n\n## Tooling\n") {
		t.Fatalf("after BOOTSTRAP.md was deleted:\n%s", p[strings.Index(p, "# Project Context"):])
	}
}
