package daemon

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawgate/gateway/server/config"
)

// TestAgentGatewayToolConfigPatch: the model calls the gateway tool's config.patch
// without a baseHash; the tool fetches it, the patch goes through the config group the
// wire uses, the file on disk changes, the reload watcher applies it, and the model
// reads {ok: true, result} back.
func TestAgentGatewayToolConfigPatch(t *testing.T) {
	home := t.TempDir()
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
		if n == 0 {
			return fakeStep{calls: []fakeCall{{"c1", "gateway", `{"action":"config.patch","raw":"{agents: {defaults: {timeoutSeconds: 45}}}","note":"slower"}`}}}
		}
		return fakeStep{text: "patched"}
	})
	cfg := agentConfigWith(filepath.Join(home, "ws"), model, nil, `gateway: {mode: "local", reload: {mode: "hybrid", debounceMs: 50}},`)
	r := startHome(t, home, cfg, nil)
	c := r.client(t)
	evs := runChat(t, c, "gw-patch", "make the agent timeout 45 seconds", nil)
	if last := evs[len(evs)-1]; !bytes.Contains(last.Payload, []byte(`"state":"final"`)) {
		t.Fatalf("run ended %s", last.Payload)
	}
	reqs := model.requests()
	if !bytes.Contains(reqs[0], []byte(`"name":"gateway"`)) {
		t.Fatal("the gateway tool was not offered to the model")
	}
	if len(reqs) < 2 || !bytes.Contains(reqs[1], []byte(`\"ok\": true`)) || !bytes.Contains(reqs[1], []byte(`\"path\":`)) {
		t.Fatalf("tool result the model saw:\n%s", reqs[len(reqs)-1])
	}
	f, err := config.Load(filepath.Join(home, "clawdbot.json"))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := f.Lookup("/agents/defaults/timeoutSeconds"); v != float64(45) && v != int64(45) && v != 45 {
		raw, _ := os.ReadFile(filepath.Join(home, "clawdbot.json"))
		t.Fatalf("timeoutSeconds = %v (%T) in the file:\n%s", v, v, raw)
	}
	r.waitOutput(t, "config reloaded (hot)")
}

// TestAgentGatewayToolRestartRefused: without commands.restart the restart action is
// an error result with the original's text, and nothing restarts; once config.patch
// turns commands.restart on, the next run may restart.
func TestAgentGatewayToolRestartRefused(t *testing.T) {
	home := t.TempDir()
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
		switch n {
		case 0:
			return fakeStep{calls: []fakeCall{{"c1", "gateway", `{"action":"restart","delayMs":0}`}}}
		case 2:
			// Time for the run to finish before the restart.
			return fakeStep{calls: []fakeCall{{"c2", "gateway", `{"action":"restart","delayMs":500}`}}}
		}
		return fakeStep{text: "done"}
	})
	r := startHome(t, home, agentConfigWith(filepath.Join(home, "ws"), model, nil, ""), nil)
	c := r.client(t)
	runChat(t, c, "gw-no", "restart yourself", nil)
	reqs := model.requests()
	if len(reqs) < 2 || !bytes.Contains(reqs[1], []byte("Gateway restart is disabled. Set commands.restart=true to enable.")) {
		t.Fatalf("the model saw:\n%s", reqs[len(reqs)-1])
	}
	if f := c.Call("health", nil); !f.OK {
		t.Fatalf("client after a refused restart: %s", f.Raw)
	}
	if strings.Contains(r.out.String(), "restarting in process") {
		t.Fatalf("the gateway restarted:\n%s", r.out)
	}
	got := configGet(t, c)
	c.MustOK("config.patch", map[string]any{"raw": `{commands: {restart: true}}`, "baseHash": got.GetHash()}, nil)
	// commands.* changes restart the gateway; the agent (and its engine) stay.
	expectShutdown(t, c, "gateway restarting", true)
	c = r.client(t)
	runChat(t, c, "gw-yes", "restart yourself now", nil)
	if reqs := model.requests(); len(reqs) < 4 || !bytes.Contains(reqs[3], []byte(`\"signal\": \"SIGUSR1\"`)) {
		t.Fatalf("the model saw:\n%s", reqs[len(reqs)-1])
	}
	expectShutdown(t, c, "gateway restarting", true)
	c = r.client(t)
	if f := c.Call("health", nil); !f.OK {
		t.Fatalf("client after the restart: %s", f.Raw)
	}
}

// TestAgentGatewayToolRestart: with commands.restart the tool schedules the in-process
// restart SIGUSR1 uses; the client gets the shutdown event, reconnects to the new
// server, and the session's next turn carries the restart notice.
func TestAgentGatewayToolRestart(t *testing.T) {
	home := t.TempDir()
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
		switch n {
		case 0:
			return fakeStep{calls: []fakeCall{{"c1", "gateway", `{"action":"restart","delayMs":300,"reason":"apply plugins","note":"back again"}`}}}
		case 1:
			return fakeStep{text: "restarting"}
		default:
			return fakeStep{text: "hello again"}
		}
	})
	r := startHome(t, home, agentConfigWith(filepath.Join(home, "ws"), model, nil, `commands: {restart: true},`), nil)
	c := r.client(t)
	runChat(t, c, "gw-restart", "restart yourself", nil)
	if reqs := model.requests(); len(reqs) < 2 || !bytes.Contains(reqs[1], []byte(`\"signal\": \"SIGUSR1\"`)) ||
		!bytes.Contains(reqs[1], []byte(`\"delayMs\": 300`)) {
		t.Fatalf("the model saw:\n%s", reqs[len(reqs)-1])
	}
	expectShutdown(t, c, "gateway restarting", true)
	r.waitOutput(t, "gateway restarted after gateway.restart")
	c = r.client(t)
	if f := c.Call("health", nil); !f.OK {
		t.Fatalf("client after the restart: %s", f.Raw)
	}
	runChat(t, c, "gw-after", "are you back?", nil)
	reqs := model.requests()
	if last := reqs[len(reqs)-1]; !bytes.Contains(last, []byte("the gateway restarted (gateway.restart). back again")) {
		t.Fatalf("the restart notice is not in the session's next turn:\n%s", last)
	}
}

// TestAgentGatewayToolPolicy: the gateway tool is offered only where tool policy lets
// it through (the original's groups: group:automation, group:clawdbot; of the
// profiles only "full").
func TestAgentGatewayToolPolicy(t *testing.T) {
	for _, tc := range []struct {
		name, tools string
		offered     bool
	}{
		{"default", `tools: {exec: {security: "full", ask: "off"}},`, true},
		{"coding profile", `tools: {profile: "coding"},`, false},
		{"messaging profile", `tools: {profile: "messaging"},`, false},
		{"deny group:automation", `tools: {deny: ["group:automation"]},`, false},
		{"allow group:clawdbot", `tools: {allow: ["group:clawdbot"]},`, true},
		{"allow gateway only", `tools: {allow: ["gateway"]},`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home := t.TempDir()
			model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep { return fakeStep{text: "ok"} })
			r := startHome(t, home, agentConfigWith(filepath.Join(home, "ws"), model, nil, tc.tools), nil)
			c := r.client(t)
			runChat(t, c, "gw-policy", "hi", nil)
			if got := bytes.Contains(model.requests()[0], []byte(`"name":"gateway"`)); got != tc.offered {
				t.Fatalf("gateway offered = %v, want %v", got, tc.offered)
			}
		})
	}
}
