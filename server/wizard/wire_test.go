package wizard_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/clients/go/gatewayclient"
	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/clock"
	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/configapi"
	"github.com/clawgate/gateway/server/core"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/gatewaytest"
	"github.com/clawgate/gateway/server/wizard"
)

// env is a gateway serving the core groups with a wizard on a fake idle clock.
type env struct {
	dir, cfgPath string
	url          string
	clk          *clock.Fake
	op           *gatewaytest.Client
	wiz          *wizard.Handler[*gateway.Conn]
}

func newEnv(t *testing.T, initialConfig string) *env {
	t.Helper()
	dir := t.TempDir()
	e := &env{dir: dir, cfgPath: filepath.Join(dir, "clawdbot.json"), clk: clock.NewFake(time.Date(2026, 1, 24, 9, 0, 0, 0, time.UTC))}
	if initialConfig != "" {
		if err := os.WriteFile(e.cfgPath, []byte(initialConfig), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s, err := gateway.New(gateway.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), StateDir: filepath.Join(dir, "state"), ConfigPath: e.cfgPath, Version: "2026.1.24-test"})
	if err != nil {
		t.Fatal(err)
	}
	core.Serve(s)
	e.wiz = wizard.New[*gateway.Conn](wizard.Options{
		Now: e.clk.Now,
		FlowOptions: wizard.FlowOptions{
			Config: s.Mux().Config().(*configapi.Handler[*gateway.Conn]), Home: dir, Version: "2026.1.24-test", Now: e.clk.Now,
		},
	})
	s.Mux().SetWizard(e.wiz)
	t.Cleanup(e.wiz.Close)
	e.url = gatewaytest.Start(t, s).URL
	e.op = gatewaytest.Dial(t, e.url)
	e.op.Handshake(gatewaytest.V3Connect(nil))
	return e
}

// call runs a wizard method and returns its raw payload (failing the test on error).
func (e *env) call(t *testing.T, method string, params map[string]any) map[string]any {
	t.Helper()
	f := e.op.Call(method, params)
	if !f.OK {
		t.Fatalf("%s %v: %+v", method, params, f.Error)
	}
	var m map[string]any
	if err := json.Unmarshal(f.Payload, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// fail runs a method that must fail with code and a message containing msg.
func (e *env) fail(t *testing.T, method string, params map[string]any, code, msg string) {
	t.Helper()
	f := e.op.Call(method, params)
	if f.OK || f.Error.Code != code || !strings.Contains(f.Error.Message, msg) {
		t.Fatalf("%s %v = %s, want %s %q", method, params, f.Raw, code, msg)
	}
}

// stepOf checks a running result and returns its step.
func stepOf(t *testing.T, res map[string]any, typ, message string) map[string]any {
	t.Helper()
	st, _ := res["step"].(map[string]any)
	if res["done"] != false || res["status"] != "running" || st == nil {
		t.Fatalf("not a running result: %v", res)
	}
	if st["type"] != typ || !strings.Contains(st["message"].(string), message) || st["executor"] != "client" || st["id"] == "" {
		t.Fatalf("step = %v, want %s %q", st, typ, message)
	}
	return st
}

func (e *env) answer(t *testing.T, sid string, st map[string]any, value any) map[string]any {
	t.Helper()
	a := map[string]any{"stepId": st["id"]}
	if value != nil {
		a["value"] = value
	}
	return e.call(t, "wizard.next", map[string]any{"sessionId": sid, "answer": a})
}

// begin starts a local wizard and accepts the intro, security note and risk.
func (e *env) begin(t *testing.T, params map[string]any) (string, map[string]any) {
	t.Helper()
	res := e.call(t, "wizard.start", params)
	sid, _ := res["sessionId"].(string)
	if sid == "" {
		t.Fatalf("wizard.start = %v", res)
	}
	st := stepOf(t, res, "note", "")
	if st["title"] != "Clawdbot onboarding" {
		t.Fatalf("intro = %v", st)
	}
	st = stepOf(t, e.answer(t, sid, st, nil), "note", "commands")
	st = stepOf(t, e.answer(t, sid, st, nil), "confirm", "risky")
	if st["initialValue"] != false {
		t.Fatalf("risk confirm = %v", st)
	}
	return sid, st
}

func readConfig(t *testing.T, path string) *config.File {
	t.Helper()
	f, err := config.Load(path)
	if err != nil || !f.Valid() {
		t.Fatalf("config after the wizard: %v %+v", err, f.Issues)
	}
	return f
}

func lookup(f *config.File, ptr string) any { v, _ := f.Lookup(ptr); return v }

// TestWizardOnboardingWire drives the whole local flow the macOS app drives, with
// the original's request and response shapes: bad answers are refused and leave
// the step pending, nothing is written before the last step, and the config file
// on disk then holds the workspace, the provider and key, the model, the Telegram
// token and the wizard's run record — merged into what the file already had.
func TestWizardOnboardingWire(t *testing.T) {
	e := newEnv(t, "// mine\n{gateway: {port: 18790}}\n")
	if err := os.Chmod(e.cfgPath, 0o644); err != nil { // no secrets yet
		t.Fatal(err)
	}
	before, _ := os.ReadFile(e.cfgPath)

	sid, st := e.begin(t, map[string]any{"mode": "local"})
	e.fail(t, "wizard.start", map[string]any{}, "UNAVAILABLE", "wizard already running")
	e.fail(t, "wizard.next", map[string]any{"sessionId": "nope"}, "INVALID_REQUEST", "wizard not found")
	e.fail(t, "wizard.next", map[string]any{"sessionId": sid, "answer": map[string]any{"stepId": "other", "value": true}}, "INVALID_REQUEST", "no pending step")
	e.fail(t, "wizard.next", map[string]any{"sessionId": sid, "answer": map[string]any{"stepId": st["id"], "value": "yes"}}, "INVALID_REQUEST", "boolean")
	e.fail(t, "wizard.next", map[string]any{"sessionId": sid, "answer": map[string]any{"stepId": st["id"], "value": strings.Repeat("x", wizard.MaxAnswerBytes)}}, "INVALID_REQUEST", "larger than")
	e.fail(t, "wizard.next", map[string]any{"sessionId": sid, "extra": 1}, "INVALID_REQUEST", "")
	// Without an answer the pending step comes back unchanged.
	if again := stepOf(t, e.call(t, "wizard.next", map[string]any{"sessionId": sid}), "confirm", "risky"); again["id"] != st["id"] {
		t.Fatalf("pending step changed: %v vs %v", again, st)
	}
	if s := e.call(t, "wizard.status", map[string]any{"sessionId": sid}); s["status"] != "running" {
		t.Fatalf("status = %v", s)
	}

	st = stepOf(t, e.answer(t, sid, st, true), "text", "Workspace directory")
	if st["initialValue"] != wizard.DefaultWorkspace {
		t.Fatalf("workspace step = %v", st)
	}
	st = stepOf(t, e.answer(t, sid, st, "~/ws"), "select", "Model provider")
	opts, _ := st["options"].([]any)
	if len(opts) != 5 || st["initialValue"] != "anthropic" {
		t.Fatalf("provider step = %v", st)
	}
	e.fail(t, "wizard.next", map[string]any{"sessionId": sid, "answer": map[string]any{"stepId": st["id"], "value": "nope"}}, "INVALID_REQUEST", "not one of")
	st = stepOf(t, e.answer(t, sid, st, "custom"), "text", "Base URL")
	e.fail(t, "wizard.next", map[string]any{"sessionId": sid, "answer": map[string]any{"stepId": st["id"], "value": "ftp://x"}}, "INVALID_REQUEST", "http")
	st = stepOf(t, e.answer(t, sid, st, "http://127.0.0.1:9/v1"), "text", "API key")
	if st["sensitive"] != true {
		t.Fatalf("key step not sensitive: %v", st)
	}
	e.fail(t, "wizard.next", map[string]any{"sessionId": sid, "answer": map[string]any{"stepId": st["id"], "value": "sk test"}}, "INVALID_REQUEST", "spaces")
	e.fail(t, "wizard.next", map[string]any{"sessionId": sid, "answer": map[string]any{"stepId": st["id"]}}, "INVALID_REQUEST", "required")
	st = stepOf(t, e.answer(t, sid, st, "sk-test-123"), "text", "Default model")
	e.fail(t, "wizard.next", map[string]any{"sessionId": sid, "answer": map[string]any{"stepId": st["id"], "value": ""}}, "INVALID_REQUEST", "model id is required") // no default for a custom endpoint
	st = stepOf(t, e.answer(t, sid, st, "local-model"), "multiselect", "channels")
	e.fail(t, "wizard.next", map[string]any{"sessionId": sid, "answer": map[string]any{"stepId": st["id"], "value": "telegram"}}, "INVALID_REQUEST", "array")
	st = stepOf(t, e.answer(t, sid, st, []string{"whatsapp", "telegram"}), "text", "Telegram bot token")
	e.fail(t, "wizard.next", map[string]any{"sessionId": sid, "answer": map[string]any{"stepId": st["id"], "value": "not-a-token"}}, "INVALID_REQUEST", "Telegram bot token")
	st = stepOf(t, e.answer(t, sid, st, "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ_abc"), "note", "web.login.start")
	st = stepOf(t, e.answer(t, sid, st, nil), "confirm", "Write this configuration")
	if now, _ := os.ReadFile(e.cfgPath); string(now) != string(before) {
		t.Fatalf("config written before the last step:\n%s", now)
	}
	res := e.answer(t, sid, st, true)
	if res["done"] != true || res["status"] != "done" || res["step"] != nil || res["error"] != nil {
		t.Fatalf("final = %v", res)
	}
	// Reported done → forgotten, as in the original.
	e.fail(t, "wizard.status", map[string]any{"sessionId": sid}, "INVALID_REQUEST", "wizard not found")

	f := readConfig(t, e.cfgPath)
	ws := filepath.Join(e.dir, "ws")
	for ptr, want := range map[string]any{
		"/gateway/port": 18790.0, "/gateway/mode": "local",
		"/agents/defaults/workspace": ws, "/agents/defaults/model/primary": "custom/local-model",
		"/models/providers/custom/baseUrl": "http://127.0.0.1:9/v1", "/models/providers/custom/apiKey": "sk-test-123",
		"/models/providers/custom/api": "openai-completions",
		"/channels/telegram/enabled":   true, "/channels/telegram/botToken": "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ_abc",
		"/wizard/lastRunMode": "local", "/wizard/lastRunCommand": "onboard", "/wizard/lastRunVersion": "2026.1.24-test",
		"/wizard/lastRunAt": "2026-01-24T09:00:00Z",
	} {
		if got := lookup(f, ptr); got != want {
			t.Errorf("%s = %#v, want %#v", ptr, got, want)
		}
	}
	if fi, err := os.Stat(e.cfgPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("config with the key and token is not 0600: %v %v", fi.Mode(), err)
	}
	if !strings.HasPrefix(string(f.Raw), "// mine") {
		t.Errorf("the file's comment was lost:\n%s", f.Raw)
	}
	if _, err := os.Stat(filepath.Join(ws, "AGENTS.md")); err != nil {
		t.Errorf("workspace not created: %v", err)
	}
	// The slot is free again.
	e.call(t, "wizard.start", map[string]any{})
}

// TestWizardEndings: cancel, a declined risk, idle expiry and a config edited while
// the wizard ran each end the session with the original's status and write nothing.
func TestWizardEndings(t *testing.T) {
	e := newEnv(t, "")

	// wizard.cancel answers the final state and forgets the session.
	sid, _ := e.begin(t, map[string]any{})
	if res := e.call(t, "wizard.cancel", map[string]any{"sessionId": sid}); res["status"] != "cancelled" || res["error"] != "cancelled" {
		t.Fatalf("cancel = %v", res)
	}
	e.fail(t, "wizard.status", map[string]any{"sessionId": sid}, "INVALID_REQUEST", "wizard not found")
	e.fail(t, "wizard.cancel", map[string]any{"sessionId": sid}, "INVALID_REQUEST", "wizard not found")

	// Declining the risk ends the flow cancelled.
	sid, st := e.begin(t, map[string]any{})
	if res := e.answer(t, sid, st, false); res["done"] != true || res["status"] != "cancelled" || res["error"] != "risk not accepted" {
		t.Fatalf("declined = %v", res)
	}

	// An idle wizard is cancelled when the limit has passed; its state is readable once.
	sid, _ = e.begin(t, map[string]any{})
	e.clk.Advance(wizard.DefaultIdleTimeout - time.Second)
	e.fail(t, "wizard.start", map[string]any{}, "UNAVAILABLE", "already running")
	e.clk.Advance(wizard.DefaultIdleTimeout) // idle since the failed start did not touch it
	next, _ := e.begin(t, map[string]any{})
	e.fail(t, "wizard.next", map[string]any{"sessionId": sid, "answer": map[string]any{"stepId": "x", "value": true}}, "INVALID_REQUEST", "wizard not running")
	if res := e.call(t, "wizard.status", map[string]any{"sessionId": sid}); res["status"] != "cancelled" || res["error"] != "wizard expired (idle)" {
		t.Fatalf("expired status = %v", res)
	}
	e.fail(t, "wizard.status", map[string]any{"sessionId": sid}, "INVALID_REQUEST", "wizard not found")
	e.fail(t, "wizard.next", map[string]any{"sessionId": sid, "answer": map[string]any{"stepId": "x"}}, "INVALID_REQUEST", "wizard not found")
	e.call(t, "wizard.cancel", map[string]any{"sessionId": next})

	// The config changes while the wizard runs: the final write fails (baseHash), the
	// other edit stays.
	sid, st = e.begin(t, map[string]any{})
	st = stepOf(t, e.answer(t, sid, st, true), "text", "Workspace")
	st = stepOf(t, e.answer(t, sid, st, ""), "select", "Model provider") // "" keeps the suggested workspace
	st = stepOf(t, e.answer(t, sid, st, "skip"), "multiselect", "channels")
	st = stepOf(t, e.answer(t, sid, st, []string{}), "confirm", "Write")
	var got protocol.ConfigGetResult
	e.op.MustOK("config.get", map[string]any{}, &got)
	e.op.MustOK("config.set", map[string]any{"raw": `{"gateway":{"port":18801}}`, "baseHash": *got.Hash}, nil)
	res := e.answer(t, sid, st, true)
	if res["done"] != true || res["status"] != "error" || !strings.Contains(res["error"].(string), "config changed since last load") {
		t.Fatalf("stale write = %v", res)
	}
	f := readConfig(t, e.cfgPath)
	if lookup(f, "/gateway/port") != 18801.0 || lookup(f, "/wizard") != nil {
		t.Fatalf("config after a stale wizard:\n%s", f.Raw)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "clawd")); !os.IsNotExist(err) {
		t.Fatalf("a failed wizard created its workspace: %v", err)
	}
}

// TestWizardScope: the wizard needs operator.admin, as in the original.
func TestWizardScope(t *testing.T) {
	e := newEnv(t, "")
	for _, scopes := range [][]string{{"operator.read"}, {"operator.write"}} {
		c := gatewaytest.Dial(t, e.url)
		c.Handshake(gatewaytest.V3Connect(map[string]any{"scopes": scopes}))
		for _, m := range []string{"wizard.start", "wizard.status"} {
			params := map[string]any{"sessionId": "x"}
			if m == "wizard.start" {
				params = map[string]any{}
			}
			if f := c.Call(m, params); f.OK || f.Error.Message != "missing scope: operator.admin" {
				t.Fatalf("%s with %v: %s", m, scopes, f.Raw)
			}
		}
	}
}

// TestWizardRemote: mode remote asks for the remote gateway and writes
// gateway.mode remote with its URL and token.
func TestWizardRemote(t *testing.T) {
	e := newEnv(t, "")
	sid, st := e.begin(t, map[string]any{"mode": "remote"})
	st = stepOf(t, e.answer(t, sid, st, true), "text", "Gateway WebSocket URL")
	e.fail(t, "wizard.next", map[string]any{"sessionId": sid, "answer": map[string]any{"stepId": st["id"], "value": "http://host"}}, "INVALID_REQUEST", "ws://")
	st = stepOf(t, e.answer(t, sid, st, "wss://gw.example:18789"), "text", "token")
	st = stepOf(t, e.answer(t, sid, st, "tok-1"), "confirm", "Write")
	if res := e.answer(t, sid, st, true); res["status"] != "done" {
		t.Fatalf("final = %v", res)
	}
	f := readConfig(t, e.cfgPath)
	if lookup(f, "/gateway/mode") != "remote" || lookup(f, "/gateway/remote/url") != "wss://gw.example:18789" ||
		lookup(f, "/gateway/remote/token") != "tok-1" || lookup(f, "/wizard/lastRunMode") != "remote" {
		t.Fatalf("remote config:\n%s", f.Raw)
	}
}

// TestWizardGoClient drives the remote flow through the typed Go client
// (clients/go), as a GatewayClient-style v3 client does: each step is answered from
// its type, and the result types decode every answer.
func TestWizardGoClient(t *testing.T) {
	e := newEnv(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := gatewayclient.Dial(ctx, e.url, gatewayclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	mode := protocol.WizardStartParamsModeRemote
	start, err := cl.WizardStart(ctx, &protocol.WizardStartParams{Mode: &mode})
	if err != nil {
		t.Fatal(err)
	}
	step, done := start.Step, start.Done
	texts := []string{"ws://10.0.0.5:18789", ""}
	for !done {
		var v any
		switch step.Type {
		case protocol.WizardStepTypeNote:
		case protocol.WizardStepTypeConfirm:
			v = true
		case protocol.WizardStepTypeText:
			v, texts = texts[0], texts[1:]
		default:
			t.Fatalf("unexpected step %+v", step)
		}
		a := &protocol.WizardAnswer{StepID: step.ID}
		if v != nil {
			a.Value, _ = json.Marshal(v)
		}
		res, err := cl.WizardNext(ctx, &protocol.WizardNextParams{SessionID: start.SessionID, Answer: a})
		if err != nil {
			t.Fatal(err)
		}
		step, done = res.Step, res.Done
		if done && res.GetStatus() != protocol.WizardStatusDone {
			t.Fatalf("final %+v", res)
		}
	}
	f := readConfig(t, e.cfgPath)
	if lookup(f, "/gateway/remote/url") != "ws://10.0.0.5:18789" || lookup(f, "/gateway/remote/token") != nil {
		t.Fatalf("config:\n%s", f.Raw)
	}
}
