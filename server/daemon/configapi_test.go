package daemon

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/gatewaytest"
)

// configGet reads config.get over c.
func configGet(t *testing.T, c *gatewaytest.Client) protocol.ConfigGetResult {
	t.Helper()
	var got protocol.ConfigGetResult
	c.MustOK("config.get", nil, &got)
	return got
}

// refused expects an INVALID_REQUEST whose message contains msg.
func refused(t *testing.T, f *gatewaytest.Frame, msg string) {
	t.Helper()
	if f.OK || f.Error == nil || f.Error.Code != string(protocol.ErrorCodeInvalidRequest) || !strings.Contains(f.Error.Message, msg) {
		t.Fatalf("want INVALID_REQUEST %q, got %s", msg, f.Raw)
	}
}

// TestConfigPatchAndGuards: config.get's hash is sha256 of the file text; a patch
// based on it applies and changes the hash; a stale or missing baseHash, broken
// JSON5, a schema violation and an exec-capable setting without a secret are refused
// with the file untouched; of two concurrent patches on the same hash one wins.
func TestConfigPatchAndGuards(t *testing.T) {
	cfg := `// my gateway
{
  gateway: { mode: "local", reload: { mode: "hybrid", debounceMs: 50 } },
  agents: { defaults: { timeoutSeconds: 600 } },
}`
	r := start(t, cfg)
	path := filepath.Join(r.home, "clawdbot.json")
	c := r.client(t)
	got := configGet(t, c)
	// sha256 of the raw text, as the original computes it.
	if got.GetHash() != sha256Hex(cfg) {
		t.Fatalf("hash %s, want sha256 of the file", got.GetHash())
	}
	var pr protocol.ConfigPatchResult
	c.MustOK("config.patch", map[string]any{"raw": `{ agents: { defaults: { timeoutSeconds: 30 } } }`, "baseHash": got.GetHash()}, &pr)
	after := configGet(t, c)
	if after.GetHash() == got.GetHash() || !strings.Contains(string(after.Config), `"timeoutSeconds":30`) || !strings.Contains(*after.Raw, "// my gateway") {
		t.Fatalf("after patch: %+v", after)
	}
	before, _ := os.ReadFile(path)
	unchanged := func() {
		t.Helper()
		if b, _ := os.ReadFile(path); string(b) != string(before) {
			t.Fatalf("a refused write changed the file:\n%s", b)
		}
	}
	refused(t, c.Call("config.patch", map[string]any{"raw": `{ agents: { defaults: { timeoutSeconds: 5 } } }`, "baseHash": got.GetHash()}),
		"config changed since last load; re-run config.get and retry")
	refused(t, c.Call("config.patch", map[string]any{"raw": `{ agents: { defaults: { timeoutSeconds: 5 } } }`}),
		"config base hash required; re-run config.get and retry")
	refused(t, c.Call("config.set", map[string]any{"raw": "{\n  gateway: {\n    port: ,\n  },\n}", "baseHash": after.GetHash()}), "(line 3, column 11)")
	f := c.Call("config.patch", map[string]any{"raw": `{ gateway: { port: "not a port" } }`, "baseHash": after.GetHash()})
	refused(t, f, "invalid config")
	if !strings.Contains(string(f.Error.Details), `"gateway.port"`) {
		t.Fatalf("issues missing: %s", f.Error.Details)
	}
	refused(t, c.Call("config.patch", map[string]any{"raw": `[1]`, "baseHash": after.GetHash()}), "config.patch raw must be an object")
	// No gateway secret: settings that make the gateway run programs stay local.
	refused(t, c.Call("config.patch", map[string]any{"raw": `{ tools: { exec: { host: "gateway" } } }`, "baseHash": after.GetHash()}),
		"config.patch cannot change tools.exec")
	refused(t, c.Call("config.apply", map[string]any{"raw": `{ gateway: { mode: "local" }, tools: { exec: { host: "gateway" } } }`, "baseHash": after.GetHash()}),
		"config.apply cannot change tools.exec")
	unchanged()

	// Two writers on the same hash: one wins, the other is told to reload.
	c2 := r.client(t)
	_, a := c.Request("config.patch", map[string]any{"raw": `{ agents: { defaults: { timeoutSeconds: 41 } } }`, "baseHash": after.GetHash()})
	_, b := c2.Request("config.patch", map[string]any{"raw": `{ agents: { defaults: { timeoutSeconds: 42 } } }`, "baseHash": after.GetHash()})
	fa, fb := <-a, <-b
	if fa.OK == fb.OK {
		t.Fatalf("want exactly one winner: %s / %s", fa.Raw, fb.Raw)
	}
	loser := fa
	if fa.OK {
		loser = fb
	}
	refused(t, loser, "config changed since last load")
}

// TestConfigApply: a hot-reloadable change is applied without closing anyone; a
// change that needs a restart restarts the gateway in process: the caller gets its
// answer first, then the shutdown event with restartExpectedMs and close 1012, and
// reconnects to a gateway running the new config.
func TestConfigApply(t *testing.T) {
	cfg := `{ gateway: { mode: "local", reload: { mode: "hybrid", debounceMs: 50 } }, agents: { defaults: { timeoutSeconds: 600 } } }`
	r := start(t, cfg)
	c := r.client(t)
	got := configGet(t, c)

	// The hooks come on with the answer: a POST without the token is theirs (401)
	// right after config.apply returns, not after a watcher's next look.
	hookStatus := func() int {
		t.Helper()
		resp, err := http.Post(fmt.Sprintf("http://127.0.0.1:%d/hooks/wake", r.port), "application/json", strings.NewReader(`{"text":"x"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := hookStatus(); st == http.StatusUnauthorized {
		t.Fatalf("hooks answer before they are enabled")
	}
	hot := strings.Replace(cfg, "agents: { defaults: { timeoutSeconds: 600 } }", `agents: { defaults: { timeoutSeconds: 45 } }, hooks: { enabled: true, token: "hook-secret" }`, 1)
	var ar protocol.ConfigApplyResult
	c.MustOK("config.apply", map[string]any{"raw": hot, "baseHash": got.GetHash()}, &ar)
	if ar.Reload.Restart || ar.Restart != nil || strings.Join(ar.Reload.Hot, ",") != "hooks" || ar.Reload.Mode != "hybrid" ||
		!strings.Contains(strings.Join(ar.Reload.Changed, ","), "agents.defaults.timeoutSeconds") {
		t.Fatalf("hot apply: %+v", ar)
	}
	if strings.Contains(string(ar.Config), "hook-secret") {
		t.Fatalf("apply result leaks the hook token: %s", ar.Config)
	}
	if st := hookStatus(); st != http.StatusUnauthorized {
		t.Fatalf("hooks after a hot apply: %d, want 401", st)
	}
	r.waitOutput(t, "config.apply applied (hot)")
	if f := c.Call("health", nil); !f.OK {
		t.Fatalf("client after a hot apply: %s", f.Raw)
	}
	select {
	case ce := <-c.Closed:
		t.Fatalf("hot apply closed the client: %d %s", ce.Code, ce.Reason)
	default:
	}

	got = configGet(t, c)
	next := strings.Replace(hot, `debounceMs: 50 }`, `debounceMs: 50 }, tickIntervalMs: 20000`, 1)
	c.MustOK("config.apply", map[string]any{"raw": next, "baseHash": got.GetHash(), "note": "tick slower", "restartDelayMs": 0}, &ar)
	if !ar.Reload.Restart || ar.Restart == nil || ar.Restart.GetRestartExpectedMs() != restartExpectedMs || ar.Restart.DelayMs != 0 ||
		ar.Sentinel == nil || ar.Sentinel.Payload.GetMessage() != "tick slower" {
		b, _ := json.Marshal(ar)
		t.Fatalf("restart apply: %s", b)
	}
	expectShutdown(t, c, "gateway restarting", true)
	r.waitOutput(t, "gateway restarted after config.apply")
	c = r.client(t)
	if got := configGet(t, c); !strings.Contains(string(got.Config), `"tickIntervalMs":20000`) {
		t.Fatalf("after restart: %s", got.Config)
	}
	if !strings.Contains(r.out.String(), "tick slower") {
		t.Fatalf("restart notice not told:\n%s", r.out)
	}
}

// TestConfigApplyModeOff: with gateway.reload.mode off, config.apply writes the file
// and leaves it for the next start (the mode says so); nobody is closed.
func TestConfigApplyModeOff(t *testing.T) {
	cfg := `{ gateway: { mode: "local", reload: { mode: "off" } } }`
	r := start(t, cfg)
	c := r.client(t)
	got := configGet(t, c)
	var ar protocol.ConfigApplyResult
	c.MustOK("config.apply", map[string]any{"raw": `{ gateway: { mode: "local", reload: { mode: "off" }, tickIntervalMs: 20000 } }`, "baseHash": got.GetHash(), "restartDelayMs": 0}, &ar)
	if ar.Reload.Restart || ar.Restart != nil || ar.Reload.GetNoopReason() != "reload mode off" {
		t.Fatalf("apply with mode off: %+v", ar)
	}
	if f := c.Call("health", nil); !f.OK {
		t.Fatalf("client after apply: %s", f.Raw)
	}
}

// TestConfigSchemaHints: config.schema carries uiHints the Control UI renders:
// sections with labels and order, secrets marked sensitive (the keys config.get
// redacts), help from the schema's descriptions and the hints file's placeholders.
func TestConfigSchemaHints(t *testing.T) {
	r := start(t, `{ gateway: { mode: "local" } }`)
	c := r.client(t)
	var sch protocol.ConfigSchemaResult
	c.MustOK("config.schema", nil, &sch)
	for _, k := range []string{"gateway.auth.token", "gateway.auth.password", "gateway.remote.token", "channels.telegram.botToken",
		"hooks.token", "models.providers.*.apiKey", "channels.telegram.accounts.*.botToken"} {
		if h := sch.UIHints[k]; h.Sensitive == nil || !*h.Sensitive {
			t.Errorf("%s not sensitive: %+v", k, h)
		}
	}
	if h := sch.UIHints["gateway.port"]; h.Sensitive != nil {
		t.Errorf("gateway.port sensitive")
	}
	for k, order := range map[string]int64{"gateway": 30, "agents": 40, "channels": 150, "logging": 900} {
		h := sch.UIHints[k]
		if h.Label == nil || h.Group == nil || *h.Group != *h.Label || h.Order == nil || *h.Order != order {
			t.Errorf("group %s: %+v", k, h)
		}
	}
	if h := sch.UIHints["gateway.tickIntervalMs"]; h.Help == nil || !strings.Contains(*h.Help, "tick") {
		t.Errorf("help from the schema description: %+v", h)
	}
	if h := sch.UIHints["gateway.port"]; h.Placeholder == nil || *h.Placeholder != "18789" {
		t.Errorf("placeholder: %+v", h)
	}
	if !strings.Contains(string(sch.Schema), `"ClawdbotConfig"`) || sch.Version != "test" {
		t.Fatalf("schema: %.100s %s", sch.Schema, sch.Version)
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestConfigGetTalkKey: the apps' Talk mode reads talk.apiKey from config.get (an
// operator.admin method). It comes unredacted in `config`: the file's key, else the
// original's fallback (ELEVENLABS_API_KEY, else an assignment in ~/.profile and
// friends), with talk's other keys as written; `raw` keeps it redacted like every
// other secret.
func TestConfigGetTalkKey(t *testing.T) {
	t.Setenv("ELEVENLABS_API_KEY", "")
	talk := func(c *gatewaytest.Client) map[string]any {
		t.Helper()
		got := configGet(t, c)
		var cfg struct {
			Talk map[string]any `json:"talk"`
		}
		if err := json.Unmarshal(got.Config, &cfg); err != nil {
			t.Fatal(err)
		}
		if got.Raw != nil && strings.Contains(*got.Raw, "sk-") {
			t.Fatalf("raw shows a key: %s", *got.Raw)
		}
		return cfg.Talk
	}

	r := start(t, `{talk: {voiceId: "v1", apiKey: "sk-file", interruptOnSpeech: true}, messages: {tts: {openai: {apiKey: "sk-other"}}}}`)
	got := configGet(t, r.client(t))
	if strings.Contains(string(got.Config), "sk-other") {
		t.Fatalf("another secret shown: %s", got.Config)
	}
	if got := talk(r.client(t)); got["apiKey"] != "sk-file" || got["voiceId"] != "v1" || got["interruptOnSpeech"] != true {
		t.Fatalf("talk: %v", got)
	}

	r2 := start(t, `{}`)
	if got := talk(r2.client(t)); got != nil {
		t.Fatalf("talk without any key: %v", got)
	}
	if err := os.WriteFile(filepath.Join(r2.home, ".zshrc"), []byte("alias ll='ls -l'\nexport ELEVENLABS_API_KEY=\"sk-prof\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := talk(r2.client(t)); got["apiKey"] != "sk-prof" {
		t.Fatalf("talk with the profile fallback: %v", got)
	}
	t.Setenv("ELEVENLABS_API_KEY", "sk-env")
	if got := talk(r2.client(t)); got["apiKey"] != "sk-env" {
		t.Fatalf("talk with the env fallback: %v", got)
	}
}
