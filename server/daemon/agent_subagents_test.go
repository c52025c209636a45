package daemon

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// toolNames lists the tools an OpenAI chat request offers the model.
func toolNames(t *testing.T, body []byte) []string {
	t.Helper()
	var req struct {
		Tools []struct {
			Function struct{ Name string } `json:"function"`
		} `json:"tools"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, tl := range req.Tools {
		out = append(out, tl.Function.Name)
	}
	return out
}

// TestAgentSubagentsEndToEnd: through daemon.Run, the parent's model calls
// sessions_spawn; the child run's request reaches the model with the task, the
// sub-agent system prompt and no sub-agent-denied tools (the defaults and
// tools.subagents.tools.deny), so its own sessions_spawn call is refused; its answer is announced into the parent session (in
// chat.history, and in the parent's next model request) and the parent's reply to it
// ends the announce run. In the same turn agents_list answers in the original's shape,
// a spawn for an agent outside subagents.allowAgents is forbidden, and a cross-agent
// sessions_history is refused while tools.agentToAgent is off.
func TestAgentSubagentsEndToEnd(t *testing.T) {
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	if err := os.MkdirAll(ws, 0o700); err != nil {
		t.Fatal(err)
	}
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
		switch {
		case bytes.Contains(body, []byte("# Subagent Context")) && !bytes.Contains(body, []byte(`"tool_call_id":"c_nested"`)):
			// A sub-agent tries to spawn one of its own.
			return fakeStep{calls: []fakeCall{{"c_nested", "sessions_spawn", `{"task":"nested"}`}}}
		case bytes.Contains(body, []byte("# Subagent Context")):
			return fakeStep{text: "child found 42"}
		case bytes.Contains(body, []byte("A background task")):
			return fakeStep{text: "Relaying: the answer is 42"}
		case bytes.Contains(body, []byte("childSessionKey")):
			return fakeStep{text: "Spawned a helper."}
		default:
			return fakeStep{calls: []fakeCall{
				{"c_spawn", "sessions_spawn", `{"task":"find the answer","label":"finder","cleanup":"keep"}`},
				{"c_list", "agents_list", `{}`},
				{"c_other", "sessions_spawn", `{"task":"x","agentId":"other"}`},
				{"c_hist", "sessions_history", `{"sessionKey":"agent:research:main"}`},
			}}
		}
	})
	r := startHome(t, home, agentConfigWith(ws, model, nil, `
  tools: {exec: {security: "full", ask: "off"}, subagents: {tools: {deny: ["exec"]}}},
  agents: {defaults: {workspace: `+fmt.Sprintf("%q", ws)+`, model: {primary: "fake/m1"}},
    list: [{id: "main", default: true, subagents: {allowAgents: ["Research"]}}, {id: "research", name: "Research"}]},
`), nil)
	c := r.client(t)
	evs := runChat(t, c, "run-parent", "please research", nil)
	if last := evs[len(evs)-1]; !bytes.Contains(last.Payload, []byte("Spawned a helper.")) {
		t.Fatalf("parent final %s", last.Payload)
	}
	results := map[string]map[string]any{}
	for _, e := range toolEvents(evs) {
		if e.Data["phase"] == "result" {
			res, _ := e.Data["result"].(map[string]any)
			d, _ := res["details"].(map[string]any)
			results[e.Data["toolCallId"].(string)] = d
		}
	}
	spawn := results["c_spawn"]
	child, _ := spawn["childSessionKey"].(string)
	if spawn["status"] != "accepted" || !strings.HasPrefix(child, "agent:main:subagent:") || spawn["runId"] == nil {
		t.Fatalf("sessions_spawn result %v (all: %v)", spawn, results)
	}
	list, _ := json.Marshal(results["c_list"])
	if want := `{"agents":[{"configured":true,"id":"main"},{"configured":true,"id":"research","name":"Research"}],"allowAny":false,"requester":"main"}`; string(list) != want {
		t.Errorf("agents_list %s, want %s", list, want)
	}
	if o := results["c_other"]; o["status"] != "forbidden" || o["error"] != "agentId is not allowed for sessions_spawn (allowed: research)" {
		t.Errorf("spawn for another agent %v", o)
	}
	if h := results["c_hist"]; h["status"] != "forbidden" || !strings.Contains(fmt.Sprint(h["error"]), "Agent-to-agent history is disabled") {
		t.Errorf("cross-agent history %v", h)
	}

	// The announce run's reply ends up in the parent session.
	deadline := time.After(30 * time.Second)
	for announced := false; !announced; {
		select {
		case f := <-c.Events:
			announced = f.Event == "chat" && bytes.Contains(f.Payload, []byte(`"state":"final"`)) && bytes.Contains(f.Payload, []byte("Relaying: the answer is 42"))
		case <-deadline:
			t.Fatal("no announce reply in the parent session")
		}
	}
	var childReq, nestedReq, announceReq []byte
	for _, b := range model.requests() {
		switch {
		case bytes.Contains(b, []byte("# Subagent Context")) && bytes.Contains(b, []byte(`"tool_call_id":"c_nested"`)):
			nestedReq = b
		case bytes.Contains(b, []byte("# Subagent Context")):
			childReq = b
		case bytes.Contains(b, []byte(`A background task \"finder\" just completed successfully.`)):
			announceReq = b
		}
	}
	if childReq == nil || !bytes.Contains(childReq, []byte("find the answer")) || !bytes.Contains(childReq, []byte("Your session: "+child+".")) {
		t.Fatalf("child request %s", childReq)
	}
	if !bytes.Contains(nestedReq, []byte("Tool sessions_spawn not found")) {
		t.Fatalf("a sub-agent's sessions_spawn was not refused: %s", nestedReq)
	}
	names := toolNames(t, childReq)
	for _, denied := range []string{"sessions_spawn", "sessions_list", "sessions_send", "sessions_history", "agents_list", "session_status", "exec"} {
		if slices.Contains(names, denied) {
			t.Errorf("sub-agent offered %s: %v", denied, names)
		}
	}
	if !slices.Contains(names, "read") {
		t.Errorf("sub-agent tools %v lack read", names)
	}
	if parent := toolNames(t, model.requests()[0]); !slices.Contains(parent, "sessions_spawn") || !slices.Contains(parent, "agents_list") || !slices.Contains(parent, "exec") {
		t.Errorf("parent tools %v", parent)
	}
	if announceReq == nil || !bytes.Contains(announceReq, []byte(`Findings:\nchild found 42`)) {
		t.Fatalf("announce request %s", announceReq)
	}
	var hist struct{ Messages []map[string]any }
	c.MustOK("chat.history", map[string]any{"sessionKey": "main"}, &hist)
	h, _ := json.Marshal(hist.Messages)
	if !bytes.Contains(h, []byte(`Findings:\nchild found 42`)) || !bytes.Contains(h, []byte("Relaying: the answer is 42")) {
		t.Fatalf("parent transcript %s", h)
	}
	var childHist struct{ Messages []map[string]any }
	c.MustOK("chat.history", map[string]any{"sessionKey": child}, &childHist)
	if ch, _ := json.Marshal(childHist.Messages); !bytes.Contains(ch, []byte("find the answer")) || !bytes.Contains(ch, []byte("child found 42")) {
		t.Fatalf("child transcript %s", ch)
	}
}
