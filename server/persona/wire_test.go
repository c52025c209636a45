package persona_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/core"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/gatewaytest"
	"github.com/clawgate/gateway/server/persona"
	"github.com/clawgate/gateway/server/skills"
)

type fixture struct {
	state, config, home, mainWS, workWS, bin, calls string
	models                                          *httptest.Server
	url                                             string
}

func write(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// setup builds a state dir, a config with two agents, their workspaces and
// skills, a fake /models server and a fake brew on the installers' PATH, and
// serves the groups on a real gateway on loopback.
func setup(t *testing.T) *fixture {
	t.Helper()
	root := t.TempDir()
	f := &fixture{state: filepath.Join(root, "state"), home: filepath.Join(root, "home"), bin: filepath.Join(root, "bin"), calls: filepath.Join(root, "calls")}
	f.config = filepath.Join(f.state, "clawdbot.json")
	f.mainWS, f.workWS = filepath.Join(root, "ws-main"), filepath.Join(root, "ws-work")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.models = &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"data":[{"id":"llama3"},{"id":"mistral"}]}`))
	})}}
	f.models.Start()
	t.Cleanup(f.models.Close)

	write(t, f.config, `{
		session: {mainKey: "main"},
		models: {providers: {local: {baseUrl: "`+f.models.URL+`/v1", models: [{id: "llama3", name: "Llama 3", contextWindow: 8192}]}}},
		agents: {
			defaults: {model: {primary: "local/llama3"}, bootstrapMaxChars: 40},
			list: [
				{id: "main", default: true, workspace: "`+f.mainWS+`"},
				{id: "work", name: "Work", workspace: "`+f.workWS+`", identity: {name: "Clawd", emoji: "🦞"}},
			],
		},
		skills: {entries: {weather: {env: {WEATHER_UNITS: "metric"}}}},
	}`)
	write(t, filepath.Join(f.mainWS, "IDENTITY.md"), "- **Name:** Molty\n- **Emoji:** 🐙\n")
	write(t, filepath.Join(f.mainWS, "SOUL.md"), "Be kind. "+strings.Repeat("s", 100)+"\n")
	write(t, filepath.Join(f.mainWS, "AGENTS.md"), "Main agent rules.\n")
	write(t, filepath.Join(f.workWS, "AGENTS.md"), "Work agent rules.\n")
	write(t, filepath.Join(f.mainWS, "skills", "weather", "SKILL.md"), `---
name: weather
description: Forecasts for a place
metadata: {"clawdbot":{"emoji":"🌦","primaryEnv":"WEATHER_KEY","requires":{"bins":["curl-for-weather"],"env":["WEATHER_KEY"]},"install":[{"id":"brew","kind":"brew","formula":"curl-for-weather","bins":["curl-for-weather"]}]}}
---
Use curl.
`)
	write(t, filepath.Join(f.state, "skills", "notes", "SKILL.md"), "---\nname: notes\ndescription: Take notes\n---\n")
	write(t, filepath.Join(f.workWS, "skills", "deploy", "SKILL.md"), "---\nname: deploy\ndescription: Ship it\nmetadata: {clawdbot: {requires: {anyBins: [\"kubectl\", \"helm\"]}}}\n---\n")

	if err := os.MkdirAll(f.bin, 0o755); err != nil {
		t.Fatal(err)
	}
	hasBin := func(b string) bool { _, err := os.Stat(filepath.Join(f.bin, b)); return err == nil }
	svc := persona.New(persona.Options{
		ConfigPath: f.config, Env: config.MapEnv(map[string]string{}), Home: f.home, StateDir: f.state,
		DefaultWorkspace: filepath.Join(f.home, "clawd"),
		Installer:        &skills.Installer{Env: []string{"PATH=" + f.bin, "CALLS=" + f.calls}, ToolsDir: filepath.Join(f.state, "tools")},
		Host: func() skills.Host {
			return skills.Host{Platform: "linux", HasBin: hasBin, Getenv: func(string) string { return "" }}
		},
	})
	s, err := gateway.New(gateway.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), StateDir: f.state, ConfigPath: f.config})
	if err != nil {
		t.Fatal(err)
	}
	core.Serve(s)
	h := persona.NewHandler[*gateway.Conn](svc)
	s.Mux().SetAgents(h)
	s.Mux().SetSkills(h)
	f.url = gatewaytest.Start(t, s).URL
	return f
}

func operator(t *testing.T, url string, scopes ...string) *gatewaytest.Client {
	c := gatewaytest.Dial(t, url)
	extra := map[string]any{}
	if len(scopes) > 0 {
		extra["scopes"] = scopes
	}
	c.Handshake(gatewaytest.V3Connect(extra))
	return c
}

func TestAgentsAndIdentityOverTheWire(t *testing.T) {
	f := setup(t)
	c := operator(t, f.url)

	var list struct {
		DefaultID string `json:"defaultId"`
		MainKey   string `json:"mainKey"`
		Scope     string `json:"scope"`
		Agents    []map[string]any
	}
	c.MustOK("agents.list", map[string]any{}, &list)
	if list.DefaultID != "main" || list.MainKey != "main" || list.Scope != "per-sender" || len(list.Agents) != 2 {
		t.Fatalf("agents.list %+v", list)
	}
	want := []map[string]any{{"id": "main"}, {"id": "work", "name": "Work", "identity": map[string]any{"name": "Clawd", "emoji": "🦞"}}}
	if !reflect.DeepEqual(list.Agents, want) {
		t.Fatalf("agents %v", list.Agents)
	}

	var id map[string]any
	c.MustOK("agent.identity.get", map[string]any{}, &id)
	if !reflect.DeepEqual(id, map[string]any{"agentId": "main", "name": "Molty", "avatar": "🐙"}) {
		t.Fatalf("default identity %v", id)
	}
	c.MustOK("agent.identity.get", map[string]any{"sessionKey": "agent:work:telegram:dm:42"}, &id)
	if !reflect.DeepEqual(id, map[string]any{"agentId": "work", "name": "Clawd", "avatar": "🦞"}) {
		t.Fatalf("work identity %v", id)
	}
	fr := c.Call("agent.identity.get", map[string]any{"agentId": "main", "sessionKey": "agent:work:main"})
	if fr.OK || fr.Error.Code != "INVALID_REQUEST" || !strings.Contains(fr.Error.Message, `agent "main" does not match session key agent "work"`) {
		t.Fatalf("mismatch %+v", fr.Error)
	}
	fr = c.Call("agent.identity.get", map[string]any{"extra": 1})
	if fr.OK || fr.Error.Code != "INVALID_REQUEST" {
		t.Fatalf("unknown param accepted: %+v", fr)
	}
}

// TestIdentityOfTheDefaultAgent: agent.identity.get without agentId or sessionKey
// answers for the configured default agent — the agents.list entry with default: true,
// else the first entry — not for a hard-coded "main".
func TestIdentityOfTheDefaultAgent(t *testing.T) {
	f := setup(t)
	c := operator(t, f.url)
	for _, tt := range []struct{ list, agentID, name, avatar string }{
		{`[{id: "ops", identity: {name: "Opsy", emoji: "🛠"}}, {id: "Home", default: true, identity: {name: "Homer", emoji: "🏠"}}]`, "home", "Homer", "🏠"},
		{`[{id: "ops", identity: {name: "Opsy", emoji: "🛠"}}, {id: "home", identity: {name: "Homer", emoji: "🏠"}}]`, "ops", "Opsy", "🛠"},
	} {
		write(t, f.config, `{agents: {list: `+tt.list+`}}`)
		var id map[string]any
		c.MustOK("agent.identity.get", map[string]any{}, &id)
		if want := map[string]any{"agentId": tt.agentID, "name": tt.name, "avatar": tt.avatar}; !reflect.DeepEqual(id, want) {
			t.Errorf("agents.list %s: identity %v, want %v", tt.list, id, want)
		}
	}
}

func TestModelsListOverTheWire(t *testing.T) {
	f := setup(t)
	var res struct{ Models []map[string]any }
	operator(t, f.url).MustOK("models.list", map[string]any{}, &res)
	want := []map[string]any{
		{"id": "llama3", "name": "Llama 3", "provider": "local", "contextWindow": 8192.0},
		{"id": "mistral", "name": "mistral", "provider": "local"},
	}
	if !reflect.DeepEqual(res.Models, want) {
		t.Fatalf("models %v", res.Models)
	}
	// Protocol 2 has models.list too.
	v2 := gatewaytest.Dial(t, f.url)
	v2.Handshake(gatewaytest.V2Connect(nil))
	v2.MustOK("models.list", map[string]any{}, &res)
	if len(res.Models) != 2 {
		t.Fatalf("v2 models %v", res.Models)
	}
}

type statusEntry struct {
	Name, SkillKey, Source string
	Eligible, Disabled     bool
	Missing                map[string][]string
	Install                []map[string]any
}

func status(t *testing.T, c *gatewaytest.Client) map[string]statusEntry {
	t.Helper()
	var res struct {
		WorkspaceDir, ManagedSkillsDir string
		Skills                         []statusEntry
	}
	c.MustOK("skills.status", map[string]any{}, &res)
	out := map[string]statusEntry{}
	for _, s := range res.Skills {
		out[s.Name] = s
	}
	return out
}

func TestSkillsOverTheWire(t *testing.T) {
	f := setup(t)
	c := operator(t, f.url)
	st := status(t, c)
	w, n := st["weather"], st["notes"]
	if len(st) != 2 || !n.Eligible || n.Source != "clawdbot-managed" {
		t.Fatalf("status %+v", st)
	}
	if w.Eligible || !reflect.DeepEqual(w.Missing["bins"], []string{"curl-for-weather"}) || !reflect.DeepEqual(w.Missing["env"], []string{"WEATHER_KEY"}) {
		t.Fatalf("weather should be ineligible for its binary and key: %+v", w)
	}
	if len(w.Install) != 1 || w.Install[0]["id"] != "brew" || w.Install[0]["kind"] != "brew" {
		t.Fatalf("install options %+v", w.Install)
	}

	// skills.update writes the entry into the config file (keeping the env there).
	var upd map[string]any
	c.MustOK("skills.update", map[string]any{"skillKey": "weather", "apiKey": "wk-1", "enabled": true}, &upd)
	if !reflect.DeepEqual(upd, map[string]any{"ok": true, "skillKey": "weather", "config": map[string]any{"apiKey": "wk-1", "enabled": true, "env": map[string]any{"WEATHER_UNITS": "metric"}}}) {
		t.Fatalf("update %v", upd)
	}
	raw, _ := os.ReadFile(f.config)
	if !strings.Contains(string(raw), `"apiKey": "wk-1"`) {
		t.Fatalf("config file:\n%s", raw)
	}
	if st = status(t, c); len(st["weather"].Missing["env"]) != 0 || len(st["weather"].Missing["bins"]) != 1 {
		t.Fatalf("after apiKey: %+v", st["weather"])
	}
	c.MustOK("skills.update", map[string]any{"skillKey": "notes", "enabled": false}, nil)
	if st = status(t, c); st["notes"].Eligible || !st["notes"].Disabled {
		t.Fatalf("disabled notes: %+v", st["notes"])
	}

	// skills.install: no brew on PATH → a clear error with the result as payload.
	fr := c.Call("skills.install", map[string]any{"name": "weather", "installId": "brew"})
	if fr.OK || fr.Error.Code != "UNAVAILABLE" || fr.Error.Message != "brew not installed" {
		t.Fatalf("install without brew: %+v", fr.Error)
	}
	var payload map[string]any
	if err := json.Unmarshal(fr.Payload, &payload); err != nil || payload["ok"] != false || payload["code"] != nil {
		t.Fatalf("failure payload %s", fr.Payload)
	}
	// A fake brew that "installs" the binary: then the skill becomes eligible.
	shPath, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	touch, err := exec.LookPath("touch")
	if err != nil {
		t.Skip("no touch")
	}
	chmod, _ := exec.LookPath("chmod")
	write(t, filepath.Join(f.bin, "brew"), "#!"+shPath+"\necho \"brew $*\" >> \"$CALLS\"\n"+touch+" \""+f.bin+"/$2\"; "+chmod+" +x \""+f.bin+"/$2\"\necho installed $2\n")
	_ = os.Chmod(filepath.Join(f.bin, "brew"), 0o755)
	var ir map[string]any
	c.MustOK("skills.install", map[string]any{"name": "weather", "installId": "brew", "timeoutMs": 60000}, &ir)
	if !reflect.DeepEqual(ir, map[string]any{"ok": true, "message": "Installed", "stdout": "installed curl-for-weather", "stderr": "", "code": 0.0}) {
		t.Fatalf("install %v", ir)
	}
	if b, _ := os.ReadFile(f.calls); string(b) != "brew install curl-for-weather\n" {
		t.Fatalf("calls %q", b)
	}
	if st = status(t, c); !st["weather"].Eligible {
		t.Fatalf("weather after install: %+v", st["weather"])
	}
	fr = c.Call("skills.install", map[string]any{"name": "nope", "installId": "x"})
	if fr.OK || fr.Error.Message != "Skill not found: nope" {
		t.Fatalf("unknown skill %+v", fr.Error)
	}
	fr = c.Call("skills.install", map[string]any{"name": "weather", "installId": "brew", "timeoutMs": 5})
	if fr.OK || fr.Error.Code != "INVALID_REQUEST" {
		t.Fatalf("timeoutMs below 1000 accepted: %+v", fr)
	}

	// Scopes: read may see status, not change or install.
	ro := operator(t, f.url, "operator.read")
	status(t, ro)
	for _, m := range []string{"skills.update", "skills.install"} {
		params := map[string]any{"skillKey": "notes"}
		if m == "skills.install" {
			params = map[string]any{"name": "weather", "installId": "brew"}
		}
		if fr := ro.Call(m, params); fr.OK || fr.Error.Message != "missing scope: operator.admin" {
			t.Fatalf("%s with read scope: %+v", m, fr.Error)
		}
	}
}

func TestSkillsBinsForNodes(t *testing.T) {
	f := setup(t)
	n := gatewaytest.Dial(t, f.url)
	n.Handshake(gatewaytest.V3Connect(map[string]any{"role": "node", "client": map[string]any{"id": "node-host", "version": "1", "platform": "linux", "mode": "node"}}))
	var res struct{ Bins []string }
	n.MustOK("skills.bins", map[string]any{}, &res)
	if !reflect.DeepEqual(res.Bins, []string{"curl-for-weather", "helm", "kubectl"}) {
		t.Fatalf("bins %v (both agents' workspaces)", res.Bins)
	}
	if fr := operator(t, f.url).Call("skills.bins", map[string]any{}); fr.OK {
		t.Fatal("an operator called skills.bins")
	}
}

// TestSystemPromptPerAgent: each agent's prompt carries its own workspace files
// (capped by agents.defaults.bootstrapMaxChars) and its own eligible skills.
func TestSystemPromptPerAgent(t *testing.T) {
	f := setup(t)
	svc := persona.New(persona.Options{ConfigPath: f.config, Env: config.MapEnv(nil), Home: f.home, StateDir: f.state,
		Host: func() skills.Host {
			return skills.Host{Platform: "linux", HasBin: func(b string) bool { return b == "helm" }}
		}})
	ctx := context.Background()
	main, err := svc.SystemPrompt(ctx, persona.PromptOptions{SessionKey: "agent:main:main", Extra: "Extra rule."})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Main agent rules.", "[...truncated, read SOUL.md for full content...]", "Molty", "<name>notes</name>", "Extra rule.", "## USER.md"} {
		if !strings.Contains(main, s) {
			t.Errorf("main prompt lacks %q:\n%s", s, main)
		}
	}
	if _, err := os.Stat(filepath.Join(f.mainWS, "USER.md")); err != nil {
		t.Errorf("the missing USER.md was not created: %v", err)
	}
	if strings.Contains(main, "## BOOTSTRAP.md") || strings.Contains(main, "[MISSING]") {
		t.Errorf("an existing workspace got the first-run file or a missing marker:\n%s", main)
	}
	if strings.Contains(main, "<name>weather</name>") || strings.Contains(main, "deploy") || strings.Contains(main, "Work agent") {
		t.Errorf("main prompt has what it should not:\n%s", main)
	}
	work, err := svc.SystemPrompt(ctx, persona.PromptOptions{SessionKey: "agent:work:telegram:dm:1"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(work, "Work agent rules.") || !strings.Contains(work, "<name>deploy</name>") || strings.Contains(work, "Main agent rules.") {
		t.Errorf("work prompt:\n%s", work)
	}
	// An edit to a workspace file shows in the next prompt.
	write(t, filepath.Join(f.workWS, "AGENTS.md"), "Work agent rules, revised.\n")
	work, _ = svc.SystemPrompt(ctx, persona.PromptOptions{SessionKey: "agent:work:main"})
	if !strings.Contains(work, "revised") {
		t.Errorf("edit not picked up:\n%s", work)
	}
}

// TestPromptDefaultAgentUnderMainKeys: the runtime's "agent:main:…" sessions use the
// default agent's workspace when no agent is called main.
func TestPromptDefaultAgentUnderMainKeys(t *testing.T) {
	root := t.TempDir()
	ws := filepath.Join(root, "ws-home")
	cfgPath := filepath.Join(root, "clawdbot.json")
	write(t, cfgPath, `{agents: {list: [{id: "home", workspace: "`+ws+`"}, {id: "ops"}]}}`)
	write(t, filepath.Join(ws, "AGENTS.md"), "Home rules.\n")
	svc := persona.New(persona.Options{ConfigPath: cfgPath, Env: config.MapEnv(nil), Home: root, StateDir: filepath.Join(root, "state")})
	p, err := svc.Prompt(context.Background(), "agent:main:main", "Configured prompt.")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p, "Home rules.") || !strings.Contains(p, "Configured prompt.") || !strings.Contains(p, ws) {
		t.Fatalf("prompt:\n%s", p)
	}
	p, _ = svc.Prompt(context.Background(), "agent:ops:main", "")
	if !strings.Contains(p, filepath.Join(root, "clawd-ops")) || strings.Contains(p, "Home rules.") {
		t.Fatalf("ops prompt:\n%s", p)
	}
}

// TestFirstRunRitual: a brand-new workspace gets the persona files and BOOTSTRAP.md,
// which reaches the prompt; once the agent deletes it, it is not recreated. With
// agents.defaults.skipBootstrap nothing is written and missing files are marked.
func TestFirstRunRitual(t *testing.T) {
	root := t.TempDir()
	ws := filepath.Join(root, "fresh")
	cfgPath := filepath.Join(root, "clawdbot.json")
	write(t, cfgPath, `{agents: {defaults: {workspace: "`+ws+`"}}}`)
	svc := persona.New(persona.Options{ConfigPath: cfgPath, Env: config.MapEnv(nil), Home: root})
	ctx := context.Background()
	p, err := svc.Prompt(ctx, "agent:main:main", "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p, "## BOOTSTRAP.md") || !strings.Contains(p, "## SOUL.md") || strings.Contains(p, "[MISSING]") {
		t.Fatalf("first run prompt:\n%s", p)
	}
	if err := os.Remove(filepath.Join(ws, "BOOTSTRAP.md")); err != nil {
		t.Fatal(err)
	}
	p, _ = svc.Prompt(ctx, "agent:main:main", "")
	if strings.Contains(p, "BOOTSTRAP.md") {
		t.Fatalf("BOOTSTRAP.md back after the ritual:\n%s", p)
	}
	if _, err := os.Stat(filepath.Join(ws, "BOOTSTRAP.md")); err == nil {
		t.Fatal("BOOTSTRAP.md recreated")
	}

	skipWS := filepath.Join(root, "skip")
	write(t, cfgPath, `{agents: {defaults: {workspace: "`+skipWS+`", skipBootstrap: true}}}`)
	p, _ = svc.Prompt(ctx, "agent:main:main", "")
	if !strings.Contains(p, "[MISSING] Expected at: "+filepath.Join(skipWS, "AGENTS.md")) {
		t.Fatalf("skipBootstrap prompt:\n%s", p)
	}
	if _, err := os.Stat(skipWS); err == nil {
		t.Fatal("skipBootstrap created the workspace")
	}
}

// TestPromptCacheInvalidates: the run's prompt follows the workspace and the config —
// an edited file, a deleted persona file (recreated from its template before the next
// run), a config edit (bootstrapMaxChars) — even though unchanged prompts are reused.
func TestPromptCacheInvalidates(t *testing.T) {
	root := t.TempDir()
	ws := filepath.Join(root, "ws")
	cfgPath := filepath.Join(root, "clawdbot.json")
	write(t, cfgPath, `{agents: {defaults: {workspace: "`+ws+`"}}}`)
	svc := persona.New(persona.Options{ConfigPath: cfgPath, Env: config.MapEnv(nil), Home: root})
	ctx := context.Background()
	prompt := func() string {
		t.Helper()
		p, err := svc.Prompt(ctx, "agent:main:main", "Configured.")
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	first := prompt()
	if again := prompt(); again != first {
		t.Fatal("unchanged workspace: prompt differs")
	}
	write(t, filepath.Join(ws, "SOUL.md"), "A brand new soul, edited by hand.\n")
	edited := prompt()
	if edited == first || !strings.Contains(edited, "A brand new soul, edited by hand.") {
		t.Fatalf("edited SOUL.md not in the prompt:\n%s", edited)
	}
	if err := os.Remove(filepath.Join(ws, "SOUL.md")); err != nil {
		t.Fatal(err)
	}
	recreated := prompt()
	if _, err := os.Stat(filepath.Join(ws, "SOUL.md")); err != nil {
		t.Fatalf("deleted SOUL.md not recreated: %v", err)
	}
	if strings.Contains(recreated, "edited by hand") || strings.Contains(recreated, "[MISSING]") {
		t.Fatalf("prompt after SOUL.md was deleted:\n%s", recreated)
	}
	write(t, cfgPath, `{agents: {defaults: {workspace: "`+ws+`", bootstrapMaxChars: 40}}}`)
	if capped := prompt(); capped == recreated || len(capped) >= len(recreated) {
		t.Fatalf("bootstrapMaxChars edit did not change the prompt (%d vs %d chars)", len(capped), len(recreated))
	}
}
