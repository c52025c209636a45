package daemon

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPersonaGroupsServed: the daemon serves the agents and skills groups over its
// config file and state dir (the default workspace under HOME).
func TestPersonaGroupsServed(t *testing.T) {
	home := t.TempDir()
	ws := filepath.Join(home, "clawd")
	if err := os.MkdirAll(ws, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ws, "IDENTITY.md"), []byte("- Name: Homer\n- Emoji: 🏠\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	skill := filepath.Join(home, "state", "skills", "notes")
	if err := os.MkdirAll(skill, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(skill, "SKILL.md"), []byte("---\nname: notes\ndescription: Take notes\n---\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := startHome(t, home, `{gateway: {mode: "local"}, agents: {list: [{id: "main", name: "Main"}]}}`, nil)
	c := r.client(t)
	var list struct {
		DefaultID string `json:"defaultId"`
		Agents    []struct{ ID, Name string }
	}
	c.MustOK("agents.list", map[string]any{}, &list)
	if list.DefaultID != "main" || len(list.Agents) != 1 || list.Agents[0].Name != "Main" {
		t.Fatalf("agents.list %+v", list)
	}
	var id struct{ Name, Avatar string }
	c.MustOK("agent.identity.get", map[string]any{}, &id)
	if id.Name != "Homer" || id.Avatar != "🏠" {
		t.Fatalf("identity %+v", id)
	}
	var st struct {
		WorkspaceDir string
		Skills       []struct{ Name string }
	}
	c.MustOK("skills.status", map[string]any{}, &st)
	if st.WorkspaceDir != ws || len(st.Skills) != 1 || st.Skills[0].Name != "notes" {
		t.Fatalf("skills.status %+v", st)
	}
	c.MustOK("skills.update", map[string]any{"skillKey": "notes", "enabled": false}, nil)
	raw, _ := os.ReadFile(filepath.Join(home, "clawdbot.json"))
	if !strings.Contains(string(raw), `"notes": {`) || !strings.Contains(string(raw), `"enabled": false`) {
		t.Fatalf("skills.update did not reach the config file:\n%s", raw)
	}
}
