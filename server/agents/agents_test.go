package agents

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	genconfig "github.com/clawgate/gateway/gen/go/config"
	"github.com/clawgate/gateway/server/agent/bootstrap"
)

func cfg(t *testing.T, js string) *genconfig.ClawdbotConfig {
	t.Helper()
	var c genconfig.ClawdbotConfig
	if err := json.Unmarshal([]byte(js), &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

func TestNormalizeID(t *testing.T) {
	for in, want := range map[string]string{
		"": "main", "  ": "main", "Work": "work", "a_b-1": "a_b-1", "My Agent!": "my-agent",
		"--x--": "x", "!!!": "main", strings.Repeat("a", 70): strings.Repeat("a", 64), "_lead": "_lead",
	} {
		if got := NormalizeID(in); got != want {
			t.Errorf("NormalizeID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSessionAgentID(t *testing.T) {
	for key, want := range map[string]string{
		"agent:Work:main": "work", "agent:ops:telegram:dm:1": "ops", "main": "def", "agent:x": "def", "": "def", "agent::main": "def",
	} {
		if got := SessionAgentID(key, "def"); got != want {
			t.Errorf("SessionAgentID(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestDefaultAndWorkspace(t *testing.T) {
	p := Paths{Home: "/home/u", DefaultWorkspace: "/home/u/clawd"}
	tests := []struct {
		name, js, id, wantDefault, wantWS string
	}{
		{"no agents", `{}`, "main", "main", "/home/u/clawd"},
		{"defaults workspace", `{"agents":{"defaults":{"workspace":"~/w"}}}`, "main", "main", "/home/u/w"},
		{"first is default", `{"agents":{"list":[{"id":"Ops"},{"id":"home"}]}}`, "home", "ops", "/home/u/clawd-home"},
		{"default flag", `{"agents":{"list":[{"id":"ops"},{"id":"home","default":true,"workspace":"/srv/home"}]}}`, "home", "home", "/srv/home"},
		{"default gets defaults workspace", `{"agents":{"defaults":{"workspace":"/d"},"list":[{"id":"ops"}]}}`, "ops", "ops", "/d"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := cfg(t, tc.js)
			if got := DefaultID(c); got != tc.wantDefault {
				t.Fatalf("DefaultID = %q", got)
			}
			if got := WorkspaceDir(c, tc.id, p); got != tc.wantWS {
				t.Fatalf("WorkspaceDir = %q", got)
			}
		})
	}
}

func TestListAgents(t *testing.T) {
	state := t.TempDir()
	_ = os.MkdirAll(filepath.Join(state, "agents", "disk"), 0o755)
	ws := t.TempDir()
	png := []byte("\x89PNG\r\n\x1a\nfake")
	_ = os.WriteFile(filepath.Join(ws, "me.png"), png, 0o644)
	p := Paths{Home: "/home/u", DefaultWorkspace: ws}

	l := ListAgents(cfg(t, `{}`), state, p)
	want := List{DefaultID: "main", MainKey: "main", Scope: "per-sender", Agents: []Summary{{ID: "main"}, {ID: "disk"}}}
	if !reflect.DeepEqual(l, want) {
		t.Fatalf("no list: %+v", l)
	}

	c := cfg(t, `{"session":{"mainKey":"Home","scope":"global"},"agents":{"list":[
		{"id":"zed","name":" Zed "},
		{"id":"alpha","default":true,"workspace":"`+ws+`","identity":{"name":"Clawd","emoji":"🦞","avatar":"me.png"}},
		{"id":"web","identity":{"avatar":"https://x.test/a.png"}},
		{"id":"esc","identity":{"avatar":"../etc/passwd"}}]}}`)
	l = ListAgents(c, state, p)
	if l.DefaultID != "alpha" || l.MainKey != "home" || l.Scope != "global" {
		t.Fatalf("header %+v", l)
	}
	var ids []string
	for _, a := range l.Agents {
		ids = append(ids, a.ID)
	}
	if !reflect.DeepEqual(ids, []string{"alpha", "esc", "web", "zed", "home"}) {
		t.Fatalf("ids %v (disk agents are not listed when agents.list is set; the main key is appended)", ids)
	}
	a := l.Agents[0].Identity
	if a == nil || a.Name != "Clawd" || a.Emoji != "🦞" || a.Avatar != "me.png" || !strings.HasPrefix(a.AvatarURL, "data:image/png;base64,") {
		t.Fatalf("alpha identity %+v", a)
	}
	if l.Agents[1].Identity.AvatarURL != "" {
		t.Fatalf("avatar outside the workspace was inlined: %+v", l.Agents[1].Identity)
	}
	if l.Agents[2].Identity.AvatarURL != "https://x.test/a.png" || l.Agents[3].Name != "Zed" {
		t.Fatalf("rows %+v", l.Agents)
	}
}

func TestResolveIdentity(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ws := bootstrap.New(dir, nil)
	tests := []struct {
		name, js, file, agent string
		want                  AssistantIdentity
	}{
		{"defaults", `{}`, "", "", AssistantIdentity{"main", "Assistant", "A"}},
		{"from IDENTITY.md", `{}`, "- Name: Molty\n- Emoji: 🦞\n", "", AssistantIdentity{"main", "Molty", "🦞"}},
		{"config identity over file", `{"agents":{"list":[{"id":"main","identity":{"name":"Cfg","emoji":"⭐"}}]}}`, "Name: File\nEmoji: 🦞", "", AssistantIdentity{"main", "Cfg", "⭐"}},
		{"ui.assistant first", `{"ui":{"assistant":{"name":"UI","avatar":"https://x.test/u.png"}},"agents":{"list":[{"id":"main","identity":{"name":"Cfg"}}]}}`, "", "", AssistantIdentity{"main", "UI", "https://x.test/u.png"}},
		{"long text avatar skipped", `{"agents":{"list":[{"id":"main","identity":{"avatar":"a long phrase"}}]}}`, "Emoji: 🦞", "", AssistantIdentity{"main", "Assistant", "🦞"}},
		{"name capped", `{"ui":{"assistant":{"name":"` + strings.Repeat("n", 50) + `"}}}`, "", "", AssistantIdentity{"main", strings.Repeat("n", 50), "A"}},
		{"missing local image falls back", `{}`, "Avatar: pics/none.png", "", AssistantIdentity{"main", "Assistant", "A"}},
		{"agent id normalised", `{}`, "", "Work", AssistantIdentity{"work", "Assistant", "A"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, bootstrap.IdentityFile)
			_ = os.Remove(p)
			if tc.file != "" {
				_ = os.WriteFile(p, []byte(tc.file), 0o644)
			}
			if got := ResolveIdentity(ctx, cfg(t, tc.js), tc.agent, ws); got != tc.want {
				t.Fatalf("got %+v want %+v", got, tc.want)
			}
		})
	}
	_ = os.MkdirAll(filepath.Join(dir, "pics"), 0o755)
	_ = os.WriteFile(filepath.Join(dir, "pics", "me.png"), []byte("\x89PNG"), 0o644)
	_ = os.WriteFile(filepath.Join(dir, bootstrap.IdentityFile), []byte("Avatar: pics/me.png\n"), 0o644)
	if got := ResolveIdentity(ctx, cfg(t, `{}`), "", ws); got.Avatar != "data:image/png;base64,iVBORw==" {
		t.Fatalf("local avatar %+v", got)
	}
}
