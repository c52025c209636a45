package config

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestCurrentShape: a config as the original's CLI writes it (setup, then
// `config set` of common keys) loads with the effective values the original reads.
func TestCurrentShape(t *testing.T) {
	raw := `{
  "meta": {"lastTouchedVersion": "2026.1.24", "lastTouchedAt": "2026-01-25T10:00:00.000Z"},
  "agents": {"defaults": {"workspace": "~/clawd", "model": {"primary": "openai/gpt-4o-mini"}, "timeoutSeconds": 120, "maxConcurrent": 2}},
  "gateway": {"mode": "local", "port": 19123, "bind": "loopback", "auth": {"mode": "token", "token": "tok"}},
  "session": {"dmScope": "per-peer", "mainKey": "home"},
  "channels": {"telegram": {"botToken": "123:abc", "dmPolicy": "pairing", "groupPolicy": "allowlist"}},
  "messages": {"ackReaction": "👀"},
  "commands": {"native": "auto", "nativeSkills": "auto"}
}`
	f, err := ParseWith("/x/clawdbot.json", []byte(raw), MapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Resolve(&f.Config, MapEnv(nil), Flags{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Port != 19123 || r.Host != "127.0.0.1" || r.Auth.Mode != AuthToken || r.Auth.Token != "tok" {
		t.Fatalf("resolved %+v", r)
	}
	a, err := ResolveAgent(&f.Config, "/home/u")
	if err != nil {
		t.Fatal(err)
	}
	if a.Workspace != "/home/u/clawd" || a.Kind != BackendProvider || a.ModelID != "gpt-4o-mini" || a.BaseURL != DefaultOpenAIBaseURL || a.MaxConcurrent != 2 || a.Timeout.Seconds() != 120 {
		t.Fatalf("agent %+v", a)
	}
	if f.Config.Session.MainKey != "home" || *f.Config.Channels.Telegram.BotToken != "123:abc" {
		t.Fatalf("config %+v", f.Config)
	}
	// messages.ackReaction and commands.native/nativeSkills/useAccessGroups are implemented.
	if len(f.Unimplemented) != 0 {
		t.Fatalf("unimplemented = %v, want none", f.Unimplemented)
	}
	if len(f.Migrated) != 0 {
		t.Fatalf("migrated %v", f.Migrated)
	}
}

func TestDidYouMean(t *testing.T) {
	tests := []struct{ raw, path, msg string }{
		{`{agents: {defaults: {workspce: "x"}}}`, "/agents/defaults/workspce", `unknown key (did you mean "workspace"?)`},
		{`{gateway: {prot: 1}}`, "/gateway/prot", `unknown key (did you mean "port"?)`},
		{`{channels: {telegram: {botTokn: "x"}}}`, "/channels/telegram/botTokn", `unknown key (did you mean "botToken"?)`},
		{`{gatway: {}}`, "/gatway", `unknown key (did you mean "gateway"?)`},
		{`{zzzzzzzz: 1}`, "/zzzzzzzz", "unknown key"},
	}
	for _, tt := range tests {
		_, err := ParseWith("", []byte(tt.raw), MapEnv(nil))
		var inv *InvalidError
		if !errors.As(err, &inv) || len(inv.Issues) != 1 || inv.Issues[0].Path != tt.path || inv.Issues[0].Message != tt.msg {
			t.Errorf("%s: %v", tt.raw, err)
		}
	}
}

func TestEnvSubstitution(t *testing.T) {
	env := MapEnv(map[string]string{"TOK": "s3cret", "PORT": "x"})
	f, err := ParseWith("", []byte(`{gateway: {auth: {token: "${TOK}"}, remote: {url: "ws://h/${TOK}/$${TOK}/${lower}"}}}`), env)
	if err != nil {
		t.Fatal(err)
	}
	if *f.Config.Gateway.Auth.Token != "s3cret" || *f.Config.Gateway.Remote.URL != "ws://h/s3cret/${TOK}/${lower}" {
		t.Fatalf("got %q %q", *f.Config.Gateway.Auth.Token, *f.Config.Gateway.Remote.URL)
	}
	_, err = ParseWith("", []byte(`{gateway: {auth: {token: "${MISSING}"}}}`), env)
	var me *MissingEnvError
	if !errors.As(err, &me) || me.Var != "MISSING" || !strings.Contains(err.Error(), "gateway.auth.token") {
		t.Fatalf("err = %v", err)
	}
}

func TestIncludes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("gw.json5", `{port: 19999, auth: {token: "a"}, controlUi: {allowedOrigins: ["x"]}}`)
	write("more.json5", `{controlUi: {allowedOrigins: ["y"]}}`)
	write("nested.json5", `{$include: "gw.json5"}`)
	main := write("clawdbot.json", `{gateway: {$include: ["nested.json5", "./more.json5"], bind: "lan", auth: {token: "b"}}}`)
	f, err := LoadWith(main, MapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	g := f.Config.Gateway
	if g.Port != 19999 || g.Bind != "lan" || *g.Auth.Token != "b" || !reflect.DeepEqual(g.ControlUI.AllowedOrigins, []string{"x", "y"}) {
		t.Fatalf("gateway %+v", g)
	}
	write("loop.json5", `{$include: "clawdbot2.json"}`)
	loop := write("clawdbot2.json", `{$include: "loop.json5"}`)
	if _, err := LoadWith(loop, MapEnv(nil)); err == nil || !strings.Contains(err.Error(), "circular") {
		t.Fatalf("circular include: %v", err)
	}
	bad := write("bad.json", `{$include: "missing.json5"}`)
	var ie *IncludeError
	if _, err := LoadWith(bad, MapEnv(nil)); !errors.As(err, &ie) {
		t.Fatalf("missing include: %v", err)
	}
}

// TestLegacyShapes: this gateway's first shape and the original's older keys load
// as their current equivalents, and Fix writes that shape.
func TestLegacyShapes(t *testing.T) {
	old := `{
  // our old shape
  gateway: {mode: "local", token: "t1"},
  whatsapp: {allowFrom: ["+1555"]},
  telegram: {botToken: "123:x", mode: "polling", requireMention: true},
  agent: {backend: "openai", timeoutSeconds: 60, maxConcurrent: 3, openai: {baseUrl: "http://127.0.0.1:9/v1", model: "m1", apiKeyEnv: "KEY", systemPrompt: "hi", temperature: 0.2}},
  routing: {allowFrom: ["+1666"]},
  logging: {redactSensitive: true},
}`
	env := MapEnv(map[string]string{"KEY": "sk"})
	f, err := ParseWith("/c/clawdbot.json", []byte(old), env)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Migrated) < 5 {
		t.Fatalf("migrated %v", f.Migrated)
	}
	r, err := Resolve(&f.Config, MapEnv(nil), Flags{})
	if err != nil || r.Auth.Token != "t1" {
		t.Fatalf("auth %+v %v", r.Auth, err)
	}
	a, err := ResolveAgent(&f.Config, "/h")
	if err != nil {
		t.Fatal(err)
	}
	if a.Kind != BackendProvider || a.BaseURL != "http://127.0.0.1:9/v1" || a.ModelID != "m1" || a.APIKey != "sk" || a.SystemPrompt != "hi" || a.Temperature == nil || *a.Temperature != 0.2 || a.MaxConcurrent != 3 {
		t.Fatalf("agent %+v", a)
	}
	if got := f.Config.Channels.Whatsapp.AllowFrom; !reflect.DeepEqual(got, []string{"+1555"}) {
		t.Fatalf("allowFrom %v (the current key wins over routing.allowFrom)", got)
	}
	if v, _ := f.Lookup("/channels/telegram/groups/*/requireMention"); v != true {
		t.Fatalf("requireMention %v", v)
	}
	out, notes, err := Fix("/c/clawdbot.json", []byte(old), env)
	if err != nil || len(notes) == 0 {
		t.Fatal(err)
	}
	g, err := ParseWith("/c/clawdbot.json", out, env)
	if err != nil || len(g.Migrated) != 0 {
		t.Fatalf("fixed file: %v, migrated %v:\n%s", err, g.Migrated, out)
	}
	if !strings.Contains(string(out), `"${KEY}"`) {
		t.Fatalf("the env reference must stay a reference:\n%s", out)
	}
	if !reflect.DeepEqual(f.Config, g.Config) {
		t.Fatalf("fixed file differs:\n%+v\n%+v", f.Config, g.Config)
	}
	if _, _, err := Fix("/c/clawdbot.json", out, env); !errors.Is(err, ErrNothingToFix) {
		t.Fatalf("second fix: %v", err)
	}

	cmd := `{agent: {backend: "command", command: {program: "/bin/echo", args: ["hi"], workdir: "/w"}}}`
	f, err = ParseWith("", []byte(cmd), MapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	if a, err := ResolveAgent(&f.Config, "/h"); err != nil || a.Kind != BackendCommand || a.Program != "/bin/echo" || a.Workspace != "/w" || !reflect.DeepEqual(a.Args, []string{"hi"}) {
		t.Fatalf("command agent %+v %v", a, err)
	}
}

func TestKeyPathEdit(t *testing.T) {
	tree := map[string]any{}
	for _, tc := range []struct {
		path string
		val  string
	}{
		{"gateway.port", "19001"},
		{"channels.telegram.botToken", "123:abc"},
		{`channels.telegram.groups["*"].requireMention`, "false"},
		{"agents.defaults.model.primary", "openai/gpt-4o"},
		{"agents.list", `[{id: "main"}]`},
		{"agents.list[0].name", "Bob"},
	} {
		p, err := ParseKeyPath(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		if err := SetPath(tree, p, ParseValue(tc.val)); err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
	}
	b, _ := Format(tree)
	f, err := ParseWith("", b, MapEnv(nil))
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if f.Config.Gateway.Port != 19001 {
		t.Fatal("port")
	}
	if v, _ := GetPath(f.Parsed, []string{"agents", "list", "0", "name"}); v != "Bob" {
		t.Fatalf("name %v", v)
	}
	p, _ := ParseKeyPath("agents.list[0]")
	if !UnsetPath(tree, p) {
		t.Fatal("unset")
	}
	if v, _ := GetPath(tree, []string{"agents", "list"}); len(v.([]any)) != 0 {
		t.Fatalf("list %v", v)
	}
	for _, bad := range []string{"", "a..b", "a[", "a[x]"} {
		if _, err := ParseKeyPath(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestBrokenFileLineColumn(t *testing.T) {
	_, err := ParseWith("/c.json", []byte("{\n  gateway: {\n    port: 1,,\n  }\n}"), MapEnv(nil))
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 3 || pe.Column == 0 || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("err = %v", err)
	}
}

func TestLogLevels(t *testing.T) {
	for _, tc := range []struct {
		raw           string
		file, console slog.Level
	}{
		{`{}`, slog.LevelInfo, slog.LevelInfo},
		{`{logging: {level: "debug"}}`, slog.LevelDebug, slog.LevelInfo},
		{`{logging: {level: "warn"}}`, slog.LevelWarn, slog.LevelInfo},
		{`{logging: {level: "trace", consoleLevel: "error"}}`, slog.LevelDebug, slog.LevelError},
		{`{logging: {consoleLevel: "silent"}}`, slog.LevelInfo, slog.LevelError + 4},
	} {
		f, err := ParseWith("", []byte(tc.raw), MapEnv(nil))
		if err != nil {
			t.Fatal(err)
		}
		if fl, cl := LogLevels(&f.Config); fl != tc.file || cl != tc.console {
			t.Errorf("%s: %v %v", tc.raw, fl, cl)
		}
	}
}

func TestAgentsListDefaultOverrides(t *testing.T) {
	f, err := ParseWith("", []byte(`{
  agents: {
    defaults: {workspace: "/d", model: {primary: "openai/a"}},
    list: [{id: "other", model: "openai/x"}, {id: "work", default: true, workspace: "/w", model: {primary: "openai/b"}}],
  },
}`), MapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	a, err := ResolveAgent(&f.Config, "/h")
	if err != nil || a.Workspace != "/w" || a.ModelRef != "openai/b" {
		t.Fatalf("%+v %v", a, err)
	}
	f, _ = ParseWith("", []byte(`{agents: {defaults: {workspace: "/d"}, list: [{id: "solo", model: "openai/x"}]}}`), MapEnv(nil))
	if a, err := ResolveAgent(&f.Config, "/h"); err != nil || a.Workspace != "/d" || a.ModelRef != "openai/x" {
		t.Fatalf("%+v %v", a, err)
	}
}

// TestRunbookKeys: the runbook-era keys of the original land where the original
// migrates them.
func TestRunbookKeys(t *testing.T) {
	raw := `{
  agent: {workspace: "~/w", model: "openai/gpt-x", modelFallbacks: ["openai/y"], heartbeat: {every: "30m"}, elevated: {enabled: true}},
  routing: {allowFrom: ["+1"], groupChat: {requireMention: true}, queue: {mode: "collect"}, agents: {a1: {name: "A"}}, defaultAgentId: "a1"},
  identity: {name: "Clawd"},
  telegram: {botToken: "1:x"},
  tools: {bash: {timeoutSec: 5}},
}`
	f, err := ParseWith("", []byte(raw), MapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	for ptr, want := range map[string]any{
		"/agents/defaults/workspace":                 "~/w",
		"/agents/defaults/model/primary":             "openai/gpt-x",
		"/agents/defaults/model/fallbacks/0":         "openai/y",
		"/agents/defaults/heartbeat/every":           "30m",
		"/tools/elevated/enabled":                    true,
		"/tools/exec/timeoutSec":                     float64(5),
		"/channels/whatsapp/allowFrom/0":             "+1",
		"/channels/whatsapp/groups/*/requireMention": true,
		"/channels/telegram/groups/*/requireMention": true,
		"/channels/telegram/botToken":                "1:x",
		"/messages/queue/mode":                       "collect",
		"/agents/list/0/id":                          "a1",
		"/agents/list/0/default":                     true,
		"/agents/list/0/identity/name":               "Clawd",
	} {
		if got, ok := f.Lookup(ptr); !ok || got != want {
			t.Errorf("%s = %v (%v), want %v", ptr, got, ok, want)
		}
	}
	for _, legacy := range []string{"/agent", "/routing", "/identity", "/telegram", "/tools/bash"} {
		if f.IsSet(legacy) {
			t.Errorf("%s still set", legacy)
		}
	}
}

func TestLeadingComments(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{"{a: 1}", ""},
		{"// head\n/* block\n */\n{a: 1} // tail", "// head\n/* block\n */\n"},
		{"\n\n  {a: 1}", ""},
		{"// only a comment", ""},
	} {
		if got := string(LeadingComments([]byte(tc.raw))); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.raw, got, tc.want)
		}
	}
}

// TestResolveAgentModelAlias: agents.defaults.model primary and fallbacks may name an
// alias of agents.defaults.models, as in the original; the alias's entry params apply.
func TestResolveAgentModelAlias(t *testing.T) {
	src := `{
  agents: {defaults: {model: {primary: "Fast", fallbacks: ["slow"]},
    models: {"fake/m1": {alias: "fast", params: {temperature: 0.3}}, "fake/m2": {alias: "slow"}}}},
  models: {providers: {fake: {baseUrl: "http://127.0.0.1:9/v1", api: "openai-completions", models: []}}},
}`
	f, err := ParseWith("", []byte(src), MapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	a, err := ResolveAgent(&f.Config, "/h")
	if err != nil {
		t.Fatal(err)
	}
	if a.ModelRef != "fake/m1" || a.Kind != BackendProvider || a.Temperature == nil || *a.Temperature != 0.3 {
		t.Fatalf("primary by alias: %+v", a.Model)
	}
	if len(a.Fallbacks) != 1 || a.Fallbacks[0].ModelRef != "fake/m2" || a.Fallbacks[0].Kind != BackendProvider {
		t.Fatalf("fallback by alias: %+v", a.Fallbacks)
	}
}
