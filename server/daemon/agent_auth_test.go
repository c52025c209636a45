package daemon

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/clock"
)

// keyedModel is an OpenAI-compatible model server that answers by API key: keys in
// refuse get that HTTP status, the others a text answer.
type keyedModel struct {
	srv    *httptest.Server
	mu     sync.Mutex
	keys   []string
	bodies [][]byte
}

func newKeyedModel(t *testing.T, refuse map[string]int) *keyedModel {
	m := &keyedModel{}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		key := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		m.mu.Lock()
		m.keys = append(m.keys, key)
		m.bodies = append(m.bodies, body)
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
