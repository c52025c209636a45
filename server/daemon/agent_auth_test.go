package daemon

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/agent/llm"
	"github.com/clawgate/gateway/server/clock"
	"github.com/clawgate/gateway/server/config"
)

// keyedModel is an OpenAI-compatible model server that answers by API key: keys in
// refuse get that HTTP status, the others a text answer.
type keyedModel struct {
	srv    *httptest.Server
	mu     sync.Mutex
	keys   []string
	bodies [][]byte
	hdrs   []http.Header
}

func newKeyedModel(t *testing.T, refuse map[string]int) *keyedModel {
	m := &keyedModel{}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		key := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		m.mu.Lock()
		m.keys = append(m.keys, key)
		m.bodies = append(m.bodies, body)
		m.hdrs = append(m.hdrs, r.Header.Clone())
		m.mu.Unlock()
		if st := refuse[key]; st != 0 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(st)
			fmt.Fprint(w, `{"error":{"message":"scripted refusal"}}`)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		writeOpenAI(w, fakeStep{text: "answered with " + key})
	}))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *keyedModel) usedKeys() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.keys...)
}

func writeAuthStore(t *testing.T, dir, body string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "auth-profiles.json"), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

type storedUsage struct {
	UsageStats map[string]struct {
		CooldownUntil int64          `json:"cooldownUntil"`
		LastUsed      int64          `json:"lastUsed"`
		ErrorCount    int            `json:"errorCount"`
		FailureCounts map[string]int `json:"failureCounts"`
	} `json:"usageStats"`
	LastGood map[string]string `json:"lastGood"`
	Profiles map[string]any    `json:"profiles"`
}

func readAuthStore(t *testing.T, dir string) storedUsage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "auth-profiles.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s storedUsage
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestAuthProfilesFailover: through daemon.Run with the original's auth-profiles.json
// in the main agent directory and auth.order naming two profiles of the provider, the
// first profile's 429 moves the request to the second, which answers; the file then
// records the first profile's cooldown (a minute on the gateway's clock, a fake one
// here), the second as last good and used. While the first cools down the next run
// goes straight to the second; once the cooldown has passed (the clock advanced) the
// first is tried again.
func TestAuthProfilesFailover(t *testing.T) {
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	model := newKeyedModel(t, map[string]int{"key-a": 429})
	agentDir := filepath.Join(home, "state", "agents", "main", "agent")
	writeAuthStore(t, agentDir, `{"version":1,"profiles":{
  "fake:a":{"type":"api_key","provider":"fake","key":"key-a"},
  "fake:b":{"type":"api_key","provider":"fake","key":"key-b","email":"b@example.com"}}}`)
	t0 := time.Date(2026, 1, 24, 12, 0, 0, 0, time.UTC)
	clk := clock.NewFake(t0)
	r := startHome(t, home, fmt.Sprintf(`{
  agents: {defaults: {workspace: %q, model: {primary: "fake/m1"}}},
  models: {providers: {fake: {baseUrl: %q, apiKey: "config-key", models: []}}},
  auth: {profiles: {"fake:a": {provider: "fake", mode: "api_key"}, "fake:b": {provider: "fake", mode: "api_key", email: "b@example.com"}},
    order: {fake: ["fake:a", "fake:b"]}, cooldowns: {failureWindowHours: 1}},
}`, ws, model.srv.URL+"/v1"), clk)
	c := r.client(t)
	evs := runChat(t, c, "run-1", "hello", nil)
	if last := evs[len(evs)-1]; !bytes.Contains(last.Payload, []byte("answered with key-b")) {
		t.Fatalf("final %s", last.Payload)
	}
	if got := strings.Join(model.usedKeys(), ","); got != "key-a,key-b" {
		t.Fatalf("keys %s, want key-a then key-b", got)
	}
	st := readAuthStore(t, agentDir)
	a, b := st.UsageStats["fake:a"], st.UsageStats["fake:b"]
	if a.CooldownUntil != t0.Add(time.Minute).UnixMilli() || a.ErrorCount != 1 || a.FailureCounts["rate_limit"] != 1 {
		t.Fatalf("fake:a usage %+v", a)
	}
	if b.LastUsed != t0.UnixMilli() || st.LastGood["fake"] != "fake:b" || len(st.Profiles) != 2 {
		t.Fatalf("fake:b usage %+v lastGood %v", b, st.LastGood)
	}

	// Cooling down: straight to b.
	runChat(t, c, "run-2", "again", nil)
	if got := strings.Join(model.usedKeys()[2:], ","); got != "key-b" {
		t.Fatalf("while a cools down: keys %s", got)
	}
	// /status names the profile in use (a cools down, so b).
	evs = runChat(t, c, "run-status", "/status", nil)
	if last := evs[len(evs)-1]; !bytes.Contains(last.Payload, []byte("🔑 api-key key-…ey-b (fake:b (b@example.com))")) {
		t.Fatalf("/status %s", last.Payload)
	}
	// Past the cooldown a is first again (auth.order) and fails again: 5 minutes now.
	clk.Advance(2 * time.Minute)
	runChat(t, c, "run-3", "later", nil)
	if got := strings.Join(model.usedKeys()[3:], ","); got != "key-a,key-b" {
		t.Fatalf("after the cooldown: keys %s", got)
	}
	if a := readAuthStore(t, agentDir).UsageStats["fake:a"]; a.ErrorCount != 2 || a.CooldownUntil != clk.Now().Add(5*time.Minute).UnixMilli() {
		t.Fatalf("second failure %+v", a)
	}
}

// TestAuthProfilesAgentDir: agents.list[].agentDir is where that agent's store is
// read (over the main agent's): a session of agent "work" authenticates with the
// profile in its own directory, the main agent with the main one.
func TestAuthProfilesAgentDir(t *testing.T) {
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	model := newKeyedModel(t, nil)
	writeAuthStore(t, filepath.Join(home, "state", "agents", "main", "agent"), `{"version":1,"profiles":{"fake:main":{"type":"api_key","provider":"fake","key":"key-main"}}}`)
	workDir := filepath.Join(home, "work-agent")
	writeAuthStore(t, workDir, `{"version":1,"profiles":{"fake:work":{"type":"token","provider":"fake","token":"key-work"}},"order":{"fake":["fake:work"]}}`)
	r := startHome(t, home, fmt.Sprintf(`{
  agents: {defaults: {workspace: %q, model: {primary: "fake/m1"}},
    list: [{id: "main", default: true}, {id: "work", agentDir: %q, workspace: %q}]},
  models: {providers: {fake: {baseUrl: %q, models: []}}},
}`, ws, workDir, filepath.Join(home, "ws-work"), model.srv.URL+"/v1"), nil)
	c := r.client(t)
	runChat(t, c, "run-main", "hi", nil)
	c.MustOK("chat.send", map[string]any{"sessionKey": "agent:work:main", "message": "hi", "idempotencyKey": "run-work"}, nil)
	deadline := time.After(30 * time.Second)
	for len(model.usedKeys()) < 2 {
		select {
		case <-c.Events:
		case <-deadline:
			t.Fatalf("keys %v", model.usedKeys())
		}
	}
	if got := strings.Join(model.usedKeys(), ","); got != "key-main,key-work" {
		t.Fatalf("keys %s, want key-main,key-work", got)
	}
}

// TestModelCompatOnTheWire: models.providers.*.models[] settings reach the request the
// model server gets: compat.maxTokensField (max_completion_tokens with maxTokens),
// supportsDeveloperRole (a developer system message for a reasoning model),
// supportsStore (store:false), supportsReasoningEffort false (no reasoning_effort
// although the thinking level is high), the model's headers, and its api; a model
// of the same provider without compat gets the defaults.
func TestModelCompatOnTheWire(t *testing.T) {
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	model := newKeyedModel(t, nil)
	r := startHome(t, home, fmt.Sprintf(`{
  agents: {defaults: {workspace: %q, model: {primary: "fake/tuned"}, thinkingDefault: "high"}},
  models: {providers: {fake: {baseUrl: %q, apiKey: "k", models: [
    {id: "tuned", name: "Tuned", api: "openai-completions", reasoning: true, input: ["text"], maxTokens: 512, headers: {"X-Model": "tuned"},
     compat: {maxTokensField: "max_completion_tokens", supportsDeveloperRole: true, supportsStore: true, supportsReasoningEffort: false}},
    {id: "plain", name: "Plain", reasoning: true, maxTokens: 256}]}}},
}`, ws, model.srv.URL+"/v1"), nil)
	c := r.client(t)
	runChat(t, c, "run-tuned", "hi", nil)
	c.MustOK("sessions.patch", map[string]any{"key": "main", "model": "fake/plain"}, nil)
	runChat(t, c, "run-plain", "hi", nil)
	model.mu.Lock()
	bodies, hdrs := model.bodies, model.hdrs
	model.mu.Unlock()
	if len(bodies) != 2 {
		t.Fatalf("%d requests", len(bodies))
	}
	type req struct {
		Messages            []struct{ Role string } `json:"messages"`
		MaxTokens           *int                    `json:"max_tokens"`
		MaxCompletionTokens *int                    `json:"max_completion_tokens"`
		Store               *bool                   `json:"store"`
		ReasoningEffort     *string                 `json:"reasoning_effort"`
	}
	var tuned, plain req
	if err := json.Unmarshal(bodies[0], &tuned); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(bodies[1], &plain); err != nil {
		t.Fatal(err)
	}
	if tuned.MaxCompletionTokens == nil || *tuned.MaxCompletionTokens != 512 || tuned.MaxTokens != nil || tuned.Store == nil || *tuned.Store ||
		tuned.ReasoningEffort != nil || tuned.Messages[0].Role != "developer" || hdrs[0].Get("X-Model") != "tuned" {
		t.Fatalf("tuned request %s (X-Model %q)", bodies[0], hdrs[0].Get("X-Model"))
	}
	if plain.MaxTokens == nil || *plain.MaxTokens != 256 || plain.MaxCompletionTokens != nil || plain.Store != nil ||
		plain.ReasoningEffort == nil || *plain.ReasoningEffort != "high" || plain.Messages[0].Role != "system" || hdrs[1].Get("X-Model") != "" {
		t.Fatalf("plain request %s", bodies[1])
	}
}

// TestModelsModeAndCatalog: under models.mode "merge" (the default) a provider the
// original's models.json (main agent directory) defines, and the config does not,
// resolves — its apiKey naming an environment variable reads it; the config's own
// entry wins for a provider both name; "replace" leaves models.json out. auth
// "aws-sdk" is refused when the engine is built.
func TestModelsModeAndCatalog(t *testing.T) {
	home := t.TempDir()
	stateDir := filepath.Join(home, "state")
	dir := filepath.Join(stateDir, "agents", "main", "agent")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "models.json"), []byte(`{"providers":{
  "disk":{"baseUrl":"http://127.0.0.1:1/v1","apiKey":"DISK_KEY","api":"openai-completions","models":[{"id":"d1","name":"D1","maxTokens":99}]},
  "fake":{"baseUrl":"http://127.0.0.1:2/v1","apiKey":"from-disk","models":[]}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DISK_KEY": "disk-secret"}
	getenv := func(k string) string { return env[k] }
	s := &services{home: home, log: slog.New(slog.DiscardHandler)}
	s.paths.StateDir = stateDir
	for _, tc := range []struct {
		mode     string
		wantDisk bool
	}{{"", true}, {`mode: "merge",`, true}, {`mode: "replace",`, false}} {
		f, err := config.ParseWith("", []byte(`{models: {`+tc.mode+` providers: {fake: {baseUrl: "http://127.0.0.1:3/v1", apiKey: "from-config", models: []}}}}`), config.MapEnv(nil))
		if err != nil {
			t.Fatal(err)
		}
		table := agentProviderTable(s, &f.Config, getenv)
		disk, ok := table["disk"]
		if ok != tc.wantDisk || (ok && (disk.APIKey != "disk-secret" || len(disk.Models) != 1 || disk.Models[0].MaxTokens != 99)) {
			t.Errorf("mode %q: disk provider %+v (present %v)", tc.mode, disk, ok)
		}
		if fk := table["fake"]; fk.APIKey != "from-config" || fk.BaseURL != "http://127.0.0.1:3/v1" {
			t.Errorf("mode %q: config provider replaced by models.json: %+v", tc.mode, fk)
		}
	}
	f, err := config.ParseWith("", []byte(`{models: {providers: {bedrock: {baseUrl: "http://127.0.0.1:3/v1", auth: "aws-sdk", models: []}}}}`), config.MapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := llm.NewRegistry(llm.RegistryOptions{Providers: agentProviderTable(s, &f.Config, getenv)}); err == nil || !strings.Contains(err.Error(), "aws-sdk") {
		t.Fatalf("aws-sdk auth: %v", err)
	}
}

// TestConfigEnvReachesExec: through daemon.Run, env.vars and env's string members are
// in the environment of an exec tool command, while a variable the process already
// sets keeps its value; with env.shellEnv on, a provider key the login shell exports
// (and the process lacks) authenticates the model.
func TestConfigEnvReachesExec(t *testing.T) {
	// Registered for restoring; blank counts as unset, so the config's values apply.
	t.Setenv("CLAWGATE_TEST_VAR", "")
	t.Setenv("CLAWGATE_TEST_TOP", "")
	t.Setenv("CLAWGATE_TEST_KEEP", "from-process")
	for _, k := range config.ShellEnvExpectedKeys {
		t.Setenv(k, "")
	}
	shell := filepath.Join(t.TempDir(), "loginshell")
	if err := os.WriteFile(shell, []byte("#!/bin/sh\nprintf 'OPENAI_API_KEY=sk-from-login-shell\\0'\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SHELL", shell)
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	model := newKeyedModel(t, nil)
	var mu sync.Mutex
	step := 0
	model.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		model.mu.Lock()
		model.keys = append(model.keys, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		model.bodies = append(model.bodies, body)
		model.mu.Unlock()
		mu.Lock()
		step++
		n := step
		mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		if n == 1 {
			writeOpenAI(w, fakeStep{calls: []fakeCall{{"c_env", "exec", `{"command":"echo \"var=$CLAWGATE_TEST_VAR top=$CLAWGATE_TEST_TOP keep=$CLAWGATE_TEST_KEEP\""}`}}})
			return
		}
		writeOpenAI(w, fakeStep{text: "done"})
	})
	r := startHome(t, home, fmt.Sprintf(`{
  env: {vars: {CLAWGATE_TEST_VAR: "from-vars", CLAWGATE_TEST_KEEP: "from-config"}, CLAWGATE_TEST_TOP: "from-top", shellEnv: {enabled: true, timeoutMs: 5000}},
  tools: {exec: {security: "full", ask: "off"}},
  agents: {defaults: {workspace: %q, model: {primary: "openai/m1"}}},
  models: {providers: {openai: {baseUrl: %q, models: []}}},
}`, ws, model.srv.URL+"/v1"), nil)
	c := r.client(t)
	runChat(t, c, "run-env", "show env", nil)
	model.mu.Lock()
	defer model.mu.Unlock()
	if len(model.bodies) < 2 || !bytes.Contains(model.bodies[1], []byte("var=from-vars top=from-top keep=from-process")) {
		t.Fatalf("exec output not in the tool result (%d requests)", len(model.bodies))
	}
	if model.keys[0] != "sk-from-login-shell" {
		t.Fatalf("model key %q, want the login shell's OPENAI_API_KEY", model.keys[0])
	}
}
