package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/clients/go/gatewayclient"
	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// startPlain runs `clawdbot gateway` with no flags on home (config and state under
// it), so every setting comes from the config file, and waits for port.
func startPlain(t *testing.T, home string, port int, extraEnv ...string) *gatewayProc {
	t.Helper()
	cmd := exec.Command(binary, "gateway")
	cmd.Env = append(gatewayEnv(home, extraEnv...), "CLAWDBOT_BRIDGE_ENABLED=0", "CLAWDBOT_SKIP_CANVAS_HOST=1")
	out := &syncBuf{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _, _ = cmd.Process.Wait(); close(exited) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-exited:
			t.Fatalf("gateway exited: %s", out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway did not listen on %d: %s", port, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return &gatewayProc{cmd: cmd, out: out, port: port, home: home}
}

// dialToken connects a v3 client with a token; err when the gateway refuses it.
func dialToken(ctx context.Context, port int, token string) (*gatewayclient.Client, error) {
	return gatewayclient.Dial(ctx, fmt.Sprintf("ws://127.0.0.1:%d", port), gatewayclient.Options{
		Client:    gatewayclient.ClientInfo{ID: protocol.ClientIDCli, Version: "1", Platform: "linux", Mode: "cli"},
		Token:     token,
		Reconnect: gatewayclient.ReconnectPolicy{Disabled: true},
	})
}

// TestOriginalConfigStarts: the file the original CLI 2026.1.24 wrote (`setup`, then
// `config set` of channels.telegram.botToken, agents.defaults.model.primary,
// gateway.auth.token, gateway.port, session.dmScope, channels.*.allowFrom, …; kept
// verbatim in testdata) starts this gateway on its port with its token, its Telegram
// bot, and no warning about keys not implemented here.
func TestOriginalConfigStarts(t *testing.T) {
	raw, err := os.ReadFile("testdata/original-2026.1.24.json")
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	port := freePort(t)
	text := strings.ReplaceAll(string(raw), "__WORKSPACE__", filepath.Join(home, "clawd"))
	text = strings.Replace(text, `"port": 19555`, fmt.Sprintf(`"port": %d`, port), 1)
	writeConfig(t, home, text)
	// The Bot API of this test stands in for Telegram's: an extension key, set with
	// our own `config set`, which also proves it keeps the rest of the file.
	bot := tgtest.New(t, tgtest.DefaultToken)
	if out, code := runCLI(t, gatewayEnv(home), "config", "set", "channels.telegram.apiBaseUrl", bot.URL()); code != 0 {
		t.Fatalf("config set: %d %s", code, out)
	}
	p := startPlain(t, home, port)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if c, err := dialToken(ctx, port, "wrong"); err == nil {
		c.Close()
		t.Fatal("a wrong token was accepted")
	}
	c, err := dialToken(ctx, port, "tok123")
	if err != nil {
		t.Fatalf("the configured token: %v", err)
	}
	defer c.Close()
	probe := true
	h, err := c.Calls.Health(ctx, &protocol.HealthParams{Probe: &probe})
	if err != nil {
		t.Fatal(err)
	}
	if !h.Telegram.Configured {
		t.Fatalf("telegram not configured from channels.telegram.botToken: %+v", h.Telegram)
	}
	// Every key the original wrote is implemented (commands.nativeSkills was the last).
	if strings.Contains(p.out.String(), "not implemented by this gateway") {
		t.Fatalf("want no unimplemented-keys warning:\n%s", p.out)
	}
	if strings.Contains(p.out.String(), "legacy keys") {
		t.Fatalf("a current-shape file is not legacy:\n%s", p.out)
	}
	// The effective values as the original reads them.
	f, err := config.LoadWith(filepath.Join(home, "clawdbot.json"), config.MapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	a, err := config.ResolveAgent(&f.Config, home)
	if err != nil || a.ModelRef != "openai/gpt-4o-mini" || a.Workspace != filepath.Join(home, "clawd") || a.MaxConcurrent != 4 || a.Timeout != 120*time.Second {
		t.Fatalf("agent settings %+v %v", a, err)
	}
	if got := f.Config.Channels.Whatsapp.AllowFrom; len(got) != 1 || got[0] != "+15550001" {
		t.Fatalf("whatsapp allowFrom %v", got)
	}
}

// TestSetupThenConfigSetStarts: our own setup and `config set` write a file the
// gateway starts on, with the values set.
func TestSetupThenConfigSetStarts(t *testing.T) {
	home := t.TempDir()
	env := gatewayEnv(home)
	port := freePort(t)
	if out, code := runCLI(t, env, "setup"); code != 0 {
		t.Fatalf("setup: %d %s", code, out)
	}
	for _, kv := range [][2]string{
		{"gateway.port", fmt.Sprint(port)},
		{"gateway.auth.token", "s3cret"},
		{"agents.defaults.model.primary", "local/m1"},
		{"models.providers.local", `{baseUrl: "http://127.0.0.1:9/v1", models: [{id: "m1", name: "m1"}]}`},
		{"session.mainKey", "home"},
	} {
		if out, code := runCLI(t, env, "config", "set", kv[0], kv[1]); code != 0 {
			t.Fatalf("config set %s: %d %s", kv[0], code, out)
		}
	}
	if out, code := runCLI(t, env, "config", "get", "gateway.port"); code != 0 || strings.TrimSpace(out) != fmt.Sprint(port) {
		t.Fatalf("config get: %d %q", code, out)
	}
	// A typo is refused with a suggestion, and nothing is written.
	before, _ := os.ReadFile(filepath.Join(home, "clawdbot.json"))
	if out, code := runCLI(t, env, "config", "set", "gateway.prot", "1"); code == 0 || !strings.Contains(out, `did you mean "port"`) {
		t.Fatalf("typo: %d %s", code, out)
	}
	if after, _ := os.ReadFile(filepath.Join(home, "clawdbot.json")); string(after) != string(before) {
		t.Fatal("a refused config set changed the file")
	}
	checkMode(t, filepath.Join(home, "clawdbot.json"), 0o600, false)
	p := startPlain(t, home, port)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	c, err := dialToken(ctx, port, "s3cret")
	if err != nil {
		t.Fatalf("dial: %v\n%s", err, p.out)
	}
	defer c.Close()
	if got := c.Hello().Snapshot.SessionDefaults; got == nil || got.MainKey != "home" {
		t.Fatalf("session defaults %+v", got)
	}
	if out, code := runCLI(t, env, "config", "unset", "session.mainKey"); code != 0 {
		t.Fatalf("unset: %d %s", code, out)
	}
	if out, code := runCLI(t, env, "config", "get", "session.mainKey"); code == 0 {
		t.Fatalf("unset key still there: %s", out)
	}
}

// TestLegacyConfigStartsAndDoctorFixes: a file in this gateway's first shape (and
// the runbook's top-level whatsapp/telegram keys) starts, says it migrated, and
// `doctor --fix` rewrites it in the current shape with a backup.
func TestLegacyConfigStartsAndDoctorFixes(t *testing.T) {
	model := sseModel(t, 0)
	home := t.TempDir()
	port := freePort(t)
	old := fmt.Sprintf(`// my config
{
  gateway: { mode: "local", port: %d, token: "legacy-tok" },
  whatsapp: { allowFrom: ["+15550002"] },
  agent: { backend: "openai", timeoutSeconds: 30, openai: { baseUrl: %q, model: "m", apiKeyEnv: "CFG_TEST_KEY" } },
}
`, port, model.URL+"/v1")
	writeConfig(t, home, old)
	p := startPlain(t, home, port, "CFG_TEST_KEY=k")
	p.waitOutput(t, "config uses legacy keys, migrated in memory")
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	c, err := dialToken(ctx, port, "legacy-tok")
	if err != nil {
		t.Fatalf("gateway.token (legacy) did not become the auth token: %v", err)
	}
	s := "legacy"
	run, err := c.Agent(ctx, &protocol.AgentParams{Message: "hello", SessionKey: &s})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := run.Wait(ctx); err != nil || res.Status != protocol.AgentResultStatusOk {
		t.Fatalf("agent through the migrated openai backend: %v %+v", err, res)
	}
	c.Close()

	env := gatewayEnv(home, "CFG_TEST_KEY=k")
	out, code := runCLI(t, env, "doctor")
	if code != 0 || !strings.Contains(out, "legacy key: agent.openai → models.providers.openai") || !strings.Contains(out, "doctor --fix") {
		t.Fatalf("doctor: %d\n%s", code, out)
	}
	out, code = runCLI(t, env, "doctor", "--fix")
	if code != 0 || !strings.Contains(out, "fixed: rewrote") {
		t.Fatalf("doctor --fix: %d\n%s", code, out)
	}
	cfg := filepath.Join(home, "clawdbot.json")
	if bak, _ := os.ReadFile(cfg + ".bak"); string(bak) != old {
		t.Fatalf("backup:\n%s", bak)
	}
	checkMode(t, cfg, 0o600, false)
	checkMode(t, cfg+".bak", 0o600, false)
	f, err := config.LoadWith(cfg, config.MapEnv(map[string]string{"CFG_TEST_KEY": "k"}))
	if err != nil || len(f.Migrated) != 0 {
		t.Fatalf("fixed file: %v, still migrates %v", err, f.Migrated)
	}
	written, _ := os.ReadFile(cfg)
	for _, want := range []string{"// my config\n{", `"channels"`, `"agents"`, `"${CFG_TEST_KEY}"`, `"primary": "openai/m"`} {
		if !strings.Contains(string(written), want) {
			t.Fatalf("fixed file lacks %s:\n%s", want, written)
		}
	}
	if out, _ := runCLI(t, env, "doctor"); strings.Contains(out, "legacy key") {
		t.Fatalf("doctor after --fix:\n%s", out)
	}
}

// TestBadConfigAtStart: a typo, a syntax error, an unset ${VAR} and a missing
// $include each stop the start with exit 1 and say where.
func TestBadConfigAtStart(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"typo", `{gateway: {mode: "local", prot: 1}}`, `/gateway/prot: unknown key (did you mean "port"?)`},
		{"syntax", "{\n  gateway: {\n    mode: \"local\",,\n  },\n}", "(line 3, column"},
		{"unset env", `{gateway: {mode: "local", auth: {token: "${CFG_TEST_UNSET}"}}}`, "CFG_TEST_UNSET is not set (referenced at gateway.auth.token)"},
		{"missing include", `{$include: "nope.json5"}`, `$include "nope.json5"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home := t.TempDir()
			writeConfig(t, home, tc.text)
			out, code := runCLI(t, gatewayEnv(home), "gateway")
			if code != 1 || !strings.Contains(out, tc.want) {
				t.Fatalf("exit %d, want 1 and %q:\n%s", code, tc.want, out)
			}
		})
	}
}

// TestEnvAndIncludeAtStart: ${VAR} and $include as the original resolves them.
func TestEnvAndIncludeAtStart(t *testing.T) {
	home := t.TempDir()
	port := freePort(t)
	writeConfig(t, home, `{ $include: "./gateway.json5", gateway: { auth: { token: "${CFG_TEST_TOKEN}" } } }`)
	if err := os.WriteFile(filepath.Join(home, "gateway.json5"), []byte(fmt.Sprintf(`{ gateway: { mode: "local", port: %d } }`, port)), 0o600); err != nil {
		t.Fatal(err)
	}
	startPlain(t, home, port, "CFG_TEST_TOKEN=from-env")
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	c, err := dialToken(ctx, port, "from-env")
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

// TestDoctorFindings: unimplemented keys, open permissions of a config holding a
// secret, the original's WhatsApp credentials, and a config that does not load.
func TestDoctorFindings(t *testing.T) {
	home := t.TempDir()
	env := gatewayEnv(home)
	writeConfig(t, home, `{ gateway: { mode: "local", auth: { token: "t" } }, diagnostics: { enabled: true } }`)
	cfg := filepath.Join(home, "clawdbot.json")
	if err := os.Chmod(cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	creds := filepath.Join(home, "state", "credentials", "whatsapp", "default")
	if err := os.MkdirAll(creds, 0o700); err != nil {
		t.Fatal(err)
	}
	// The original counts a creds.json of more than one byte as linked.
	if err := os.WriteFile(filepath.Join(creds, "creds.json"), []byte(`{"me":{"id":"15550001:1@s.whatsapp.net"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := runCLI(t, env, "doctor")
	for _, want := range []string{
		"not implemented by this gateway (accepted, ignored): diagnostics",
		"permissions: " + cfg + " is 0644, want 0600",
		"WhatsApp credentials of the original",
		"re-link needed",
	} {
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("doctor (exit %d) lacks %q:\n%s", code, want, out)
		}
	}
	if out, code := runCLI(t, env, "doctor", "--fix"); code != 0 || !strings.Contains(out, "is now 0600") {
		t.Fatalf("doctor --fix: %d\n%s", code, out)
	}
	checkMode(t, cfg, 0o600, false)

	writeConfig(t, home, `{ gateway: { mode: "local", }, bogus: 1 }`)
	if out, code := runCLI(t, env, "doctor"); code != 1 || !strings.Contains(out, "/bogus: unknown key") {
		t.Fatalf("doctor on a broken config: %d\n%s", code, out)
	}
}
