package tools

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestIsSubagentSessionKey(t *testing.T) {
	for key, want := range map[string]bool{
		"agent:main:subagent:1234": true, "Agent:Ops:SubAgent:x": true, "subagent:x": true,
		"agent:main:main": false, "main": false, "agent:subagent:main": false, "telegram:subagent:1": false, "": false,
	} {
		if got := IsSubagentSessionKey(key); got != want {
			t.Errorf("IsSubagentSessionKey(%q) = %v, want %v", key, got, want)
		}
	}
}

// TestSubagentPolicy: the default deny list holds whatever tools.subagents.tools.allow
// says; tools.subagents.tools.deny adds to it, allow narrows the rest.
func TestSubagentPolicy(t *testing.T) {
	all := []string{"read", "exec", "web_fetch", "message", "sessions_spawn", "sessions_send", "sessions_list", "sessions_history",
		"session_status", "agents_list", "cron", "memory_search", "memory_get", "gateway"}
	for _, tc := range []struct {
		name        string
		allow, deny []string
		want        string
	}{
		{"defaults", nil, nil, "read exec web_fetch message"},
		{"deny adds", nil, []string{"group:runtime"}, "read web_fetch message"},
		{"allow narrows, never lifts the defaults", []string{"read", "sessions_spawn", "cron"}, nil, "read"},
	} {
		var got []string
		p := SubagentPolicy(tc.allow, tc.deny)
		for _, n := range all {
			if p.Allowed(n) {
				got = append(got, n)
			}
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%s: allowed %v, want %s", tc.name, got, tc.want)
		}
	}
}

// TestAgentToAgentPolicy: the original's matching: off unless enabled; an empty allow
// list lets every agent take part; patterns with * match case-blind; both ends must
// match; the same agent is always allowed.
func TestAgentToAgentPolicy(t *testing.T) {
	for _, tc := range []struct {
		p                 AgentToAgent
		requester, target string
		want              bool
	}{
		{AgentToAgent{}, "main", "main", true},
		{AgentToAgent{}, "main", "ops", false},
		{AgentToAgent{Enabled: true}, "main", "ops", true},
		{AgentToAgent{Enabled: true, Allow: []string{"main"}}, "main", "ops", false},
		{AgentToAgent{Enabled: true, Allow: []string{"main", "ops"}}, "main", "ops", true},
		{AgentToAgent{Enabled: true, Allow: []string{"*"}}, "main", "ops", true},
		{AgentToAgent{Enabled: true, Allow: []string{"main", "OP*"}}, "main", "ops-eu", true},
		{AgentToAgent{Enabled: true, Allow: []string{"main", "OPS"}}, "main", "ops", false}, // exact ids are case-sensitive, as in the original
		{AgentToAgent{Enabled: false, Allow: []string{"*"}}, "main", "ops", false},
	} {
		if got := tc.p.Allowed(tc.requester, tc.target); got != tc.want {
			t.Errorf("%+v Allowed(%s, %s) = %v, want %v", tc.p, tc.requester, tc.target, got, tc.want)
		}
	}
}

func decodeResult(t *testing.T, r Result) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(text(r)), &m); err != nil {
		t.Fatalf("result %q: %v", text(r), err)
	}
	return m
}

// TestSessionsToolsAgentToAgent: sessions_send and sessions_history to another agent's
// session are refused with the original's texts unless tools.agentToAgent allows both
// agents; sessions_list leaves out the sessions it may not reach.
func TestSessionsToolsAgentToAgent(t *testing.T) {
	msg := json.RawMessage(`{"role":"user","content":[{"type":"text","text":"hi"}],"timestamp":1}`)
	for _, tc := range []struct {
		name      string
		a2a       AgentToAgent
		sendErr   string // "" = sent
		histErr   string
		listCount int
	}{
		{"off", AgentToAgent{}, "Agent-to-agent messaging is disabled. Set tools.agentToAgent.enabled=true to allow cross-agent sends.",
			"Agent-to-agent history is disabled. Set tools.agentToAgent.enabled=true to allow cross-agent access.", 1},
		{"not in allow", AgentToAgent{Enabled: true, Allow: []string{"main"}}, "Agent-to-agent messaging denied by tools.agentToAgent.allow.",
			"Agent-to-agent history denied by tools.agentToAgent.allow.", 1},
		{"allowed", AgentToAgent{Enabled: true, Allow: []string{"main", "op*"}}, "", "", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := &fakeSessions{rows: []SessionRow{{Key: "agent:main:main"}, {Key: "agent:ops:main"}},
				hist: map[string][]json.RawMessage{"agent:ops:main": {msg}}, sendRes: SessionSendResult{Status: "accepted"}}
			ts, err := SessionsTools(SessionsOptions{Sessions: fs, SessionKey: "agent:main:main", Scope: "run", AgentToAgent: tc.a2a})
			if err != nil {
				t.Fatal(err)
			}
			set, _ := NewSet(ts...)
			get := func(n string) *Tool { tl, _ := set.Get(n); return tl }

			r, _ := run(t, get("sessions_send"), map[string]any{"sessionKey": "agent:ops:main", "message": "hello", "timeoutSeconds": 0})
			m := decodeResult(t, r)
			if tc.sendErr == "" {
				if m["status"] != "accepted" || len(fs.sent) != 1 {
					t.Fatalf("send %v", m)
				}
			} else if m["status"] != "forbidden" || m["error"] != tc.sendErr || len(fs.sent) != 0 {
				t.Fatalf("send %v, sent %v", m, fs.sent)
			}
			// A label lookup in another agent is checked before the lookup.
			r, _ = run(t, get("sessions_send"), map[string]any{"label": "ops", "agentId": "OPS", "message": "hello", "timeoutSeconds": 0})
			if m := decodeResult(t, r); tc.sendErr != "" && (m["status"] != "forbidden" || m["error"] != tc.sendErr) {
				t.Fatalf("label send %v", m)
			}

			r, _ = run(t, get("sessions_history"), map[string]any{"sessionKey": "agent:ops:main"})
			m = decodeResult(t, r)
			if tc.histErr == "" {
				if m["messages"] == nil {
					t.Fatalf("history %v", m)
				}
			} else if m["status"] != "forbidden" || m["error"] != tc.histErr {
				t.Fatalf("history %v", m)
			}
			r, _ = run(t, get("sessions_list"), map[string]any{})
			if m := decodeResult(t, r); m["count"] != float64(tc.listCount) {
				t.Fatalf("list %v", m)
			}
		})
	}
}

// TestSessionsSpawnTool: the spawn request the tool makes (child key, runId stable
// for a retried call, origin, timeout and cleanup), the refusal inside a sub-agent
// session, allowAgents (normalised, "*"), and agents_list's order and "configured".
func TestSessionsSpawnTool(t *testing.T) {
	fs := &fakeSessions{}
	opts := SessionsOptions{Sessions: fs, SessionKey: "agent:main:main", Channel: "telegram", To: "42", AccountID: "acc", Scope: "run",
		AllowAgents: []string{" Writer ", "zeta"}, Agents: []AgentInfo{{ID: "main"}, {ID: "writer", Name: "Writer"}, {ID: "ops"}},
		SubagentModel: func(id string) string {
			if id == "writer" {
				return "fake/small"
			}
			return ""
		}}
	tools := func(o SessionsOptions) func(string) *Tool {
		ts, err := SessionsTools(o)
		if err != nil {
			t.Fatal(err)
		}
		set, _ := NewSet(ts...)
		return func(n string) *Tool { tl, _ := set.Get(n); return tl }
	}
	get := tools(opts)
	call := func(tl *Tool, id string, args map[string]any) map[string]any {
		b, _ := json.Marshal(args)
		if err := tl.Validate(b); err != nil {
			t.Fatal(err)
		}
		r, err := tl.Execute(t.Context(), Call{ID: id, Args: b})
		if err != nil {
			t.Fatal(err)
		}
		return decodeResult(t, r)
	}
	m := call(get("sessions_spawn"), "c1", map[string]any{"task": "write a haiku", "agentId": "WRITER", "runTimeoutSeconds": 90.7, "cleanup": "delete", "label": " poem "})
	if m["status"] != "accepted" || m["modelApplied"] != true || !strings.HasPrefix(m["childSessionKey"].(string), "agent:writer:subagent:") {
		t.Fatalf("spawn %v", m)
	}
	req := fs.spawned[0]
	if req.AgentID != "writer" || req.Task != "write a haiku" || req.Label != "poem" || req.Model != "fake/small" || req.Timeout != 90*time.Second ||
		req.Cleanup != "delete" || req.RequesterKey != "agent:main:main" || req.Origin != (DeliveryContext{Channel: "telegram", To: "42", AccountID: "acc"}) {
		t.Fatalf("spawn request %+v", req)
	}
	call(get("sessions_spawn"), "c1", map[string]any{"task": "write a haiku", "agentId": "writer"})
	if fs.spawned[1].RunID != req.RunID || fs.spawned[1].ChildKey == req.ChildKey {
		t.Fatalf("retried call: run ids %q / %q", req.RunID, fs.spawned[1].RunID)
	}
	m = call(get("sessions_spawn"), "c2", map[string]any{"task": "x", "timeoutSeconds": 5})
	if fs.spawned[2].AgentID != "main" || fs.spawned[2].Timeout != 5*time.Second || fs.spawned[2].Cleanup != "keep" || m["modelApplied"] != nil {
		t.Fatalf("own agent spawn %+v %v", fs.spawned[2], m)
	}
	m = call(get("sessions_spawn"), "c3", map[string]any{"task": "x", "agentId": "ops"})
	if m["status"] != "forbidden" || m["error"] != "agentId is not allowed for sessions_spawn (allowed: writer, zeta)" {
		t.Fatalf("forbidden %v", m)
	}

	m = call(get("agents_list"), "l1", map[string]any{})
	b, _ := json.Marshal(m)
	if want := `{"agents":[{"configured":true,"id":"main"},{"configured":true,"id":"writer","name":"Writer"},{"configured":false,"id":"zeta"}],"allowAny":false,"requester":"main"}`; string(b) != want {
		t.Fatalf("agents_list %s, want %s", b, want)
	}
	star := opts
	star.AllowAgents = []string{"*"}
	m = call(tools(star)("agents_list"), "l2", map[string]any{})
	b, _ = json.Marshal(m)
	if want := `{"agents":[{"configured":true,"id":"main"},{"configured":true,"id":"ops"},{"configured":true,"id":"writer","name":"Writer"}],"allowAny":true,"requester":"main"}`; string(b) != want {
		t.Fatalf("agents_list * %s, want %s", b, want)
	}
	if m = call(tools(star)("sessions_spawn"), "c4", map[string]any{"task": "x", "agentId": "ops"}); m["status"] != "accepted" {
		t.Fatalf("spawn with * %v", m)
	}

	sub := opts
	sub.SessionKey = "agent:main:subagent:abc"
	n := len(fs.spawned)
	m = call(tools(sub)("sessions_spawn"), "c5", map[string]any{"task": "x"})
	if m["status"] != "forbidden" || m["error"] != "sessions_spawn is not allowed from sub-agent sessions" || len(fs.spawned) != n {
		t.Fatalf("spawn from a sub-agent %v", m)
	}
}
