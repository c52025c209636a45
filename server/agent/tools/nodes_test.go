package tools

import (
	"context"
	"encoding/json"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/agent/llm"
	"github.com/clawgate/gateway/server/execapprove"
)

type fakeNodes struct {
	mu      sync.Mutex
	nodes   []NodeInfo
	invokes []InvokeRequest
	payload map[string]json.RawMessage
	file    *execapprove.File
}

func (f *fakeNodes) List(ctx context.Context) ([]NodeInfo, error) { return f.nodes, nil }
func (f *fakeNodes) Describe(ctx context.Context, id string) (json.RawMessage, error) {
	return json.RawMessage(`{"nodeId":"` + id + `"}`), nil
}
func (f *fakeNodes) PairList(ctx context.Context) (json.RawMessage, error) {
	return json.RawMessage(`{"pending":[],"paired":[]}`), nil
}
func (f *fakeNodes) PairApprove(ctx context.Context, id string) (json.RawMessage, error) {
	return json.RawMessage(`{"ok":true}`), nil
}
func (f *fakeNodes) PairReject(ctx context.Context, id string) (json.RawMessage, error) {
	return json.RawMessage(`{"ok":true}`), nil
}
func (f *fakeNodes) Invoke(ctx context.Context, req InvokeRequest) (json.RawMessage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.invokes = append(f.invokes, req)
	if p, ok := f.payload[req.Command]; ok {
		return p, nil
	}
	return json.RawMessage(`{}`), nil
}
func (f *fakeNodes) NodeApprovalsFile(ctx context.Context, id string) (*execapprove.File, error) {
	return f.file, nil
}

func (f *fakeNodes) params(i int) map[string]any {
	b, _ := json.Marshal(f.invokes[i].Params)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

func testNodes() *fakeNodes {
	return &fakeNodes{nodes: []NodeInfo{
		{NodeID: "mac-abcdef123", DisplayName: "Studio Mac", Platform: "darwin", Commands: []string{"system.run", "system.notify"}, Caps: []string{"canvas"}, Connected: true},
		{NodeID: "ios-998877", DisplayName: "Phone", Platform: "ios", Commands: []string{"camera.snap", "location.get"}, Caps: []string{"camera"}, Connected: true},
	}, payload: map[string]json.RawMessage{
		"camera.snap":     json.RawMessage(`{"format":"jpg","base64":"/9j/AA==","width":640,"height":480}`),
		"location.get":    json.RawMessage(`{"lat":52.5,"lon":13.4,"accuracyMeters":12}`),
		"system.run":      json.RawMessage(`{"exitCode":0,"success":true,"stdout":"hi\n","stderr":""}`),
		"canvas.snapshot": json.RawMessage(`{"format":"png","base64":"iVBORw0KGgo="}`),
	}}
}

func TestResolveNode(t *testing.T) {
	nodes := testNodes().nodes
	cases := map[string]string{"mac-abcdef123": "mac-abcdef123", "studio mac": "mac-abcdef123", "Studio-Mac": "mac-abcdef123", "ios-99": "ios-998877"}
	for q, want := range cases {
		if got, err := ResolveNode(nodes, q, false); err != nil || got != want {
			t.Errorf("%q -> %q %v", q, got, err)
		}
	}
	if _, err := ResolveNode(nodes, "ios", false); err == nil || !strings.Contains(err.Error(), "unknown node: ios (known: Studio Mac, Phone)") {
		t.Fatalf("short prefix: %v", err)
	}
	if got, _ := ResolveNode(nodes, "", true); got != "mac-abcdef123" {
		t.Fatalf("default canvas node %q", got)
	}
	if _, err := ResolveNode(nodes, "", false); err == nil {
		t.Fatal("empty query without default")
	}
}

func TestNodesToolActions(t *testing.T) {
	fn := testNodes()
	tl := mustTool(NodesTool(NodesOptions{Nodes: fn, AgentID: "main"}))
	r, err := run(t, tl, map[string]any{"action": "notify", "node": "Studio Mac", "title": "Done", "priority": "active"})
	if err != nil || !strings.Contains(text(r), `"ok": true`) {
		t.Fatalf("notify %v", err)
	}
	if p := fn.params(0); fn.invokes[0].Command != "system.notify" || p["title"] != "Done" || p["priority"] != "active" || fn.invokes[0].IdempotencyKey == "" {
		t.Fatalf("notify invoke %+v %v", fn.invokes[0], p)
	}
	if _, ok := fn.params(0)["body"]; ok {
		t.Fatal("empty body sent")
	}
	r, err = run(t, tl, map[string]any{"action": "camera_snap", "node": "Phone", "facing": "both", "maxWidth": 800})
	if err != nil || len(r.Content) != 4 || r.Content[1].Type != llm.PartImage || r.Content[1].MimeType != "image/jpeg" {
		t.Fatalf("snap %+v %v", r.Content, err)
	}
	if p := fn.params(2); p["facing"] != "back" || p["maxWidth"] != float64(800) || p["format"] != "jpg" {
		t.Fatalf("snap params %v", p)
	}
	r, _ = run(t, tl, map[string]any{"action": "location_get", "node": "Phone", "desiredAccuracy": "precise"})
	if !strings.Contains(text(r), `"lat": 52.5`) {
		t.Fatalf("location %q", text(r))
	}
	r, _ = run(t, tl, map[string]any{"action": "status"})
	if !strings.Contains(text(r), "mac-abcdef123") {
		t.Fatalf("status %q", text(r))
	}
	if _, err := run(t, tl, map[string]any{"action": "notify", "node": "Phone"}); err == nil || !strings.Contains(err.Error(), "agent=main node=Phone action=notify: title or body required") {
		t.Fatalf("notify without text: %v", err)
	}
}

// system.run on a node passes the same gate as exec: denied → never invoked; approved →
// invoked with the original's params and the approval recorded.
func TestNodesRunGoesThroughTheGate(t *testing.T) {
	home := t.TempDir()
	store := execapprove.NewStore(execapprove.DefaultPath(home), filepath.Join(home, "s.sock"))
	asker := &recordingAsker{d: execapprove.Deny}
	gate, _ := execapprove.NewGate(execapprove.GateOptions{Store: store, Asker: asker, Timeout: time.Second})
	fn := testNodes()
	tl := mustTool(NodesTool(NodesOptions{Nodes: fn, Gate: gate, AgentID: "main", SessionKey: "main"}))
	args := map[string]any{"action": "run", "node": "Studio Mac", "command": []string{"rm", "-rf", "/tmp/x"}, "env": []string{"A=1"}}
	if _, err := run(t, tl, args); !execapprove.IsDenied(err) {
		t.Fatalf("denied: %v", err)
	}
	if len(fn.invokes) != 0 {
		t.Fatal("denied command reached the node")
	}
	if len(asker.asked) != 1 || asker.asked[0].Host != "node" || asker.asked[0].Command != "rm -rf /tmp/x" {
		t.Fatalf("asked %+v", asker.asked)
	}
	asker.d = execapprove.AllowOnce
	r, err := run(t, tl, args)
	if err != nil || !strings.Contains(text(r), `"stdout": "hi\n"`) {
		t.Fatalf("approved: %q %v", text(r), err)
	}
	p := fn.params(0)
	if fn.invokes[0].Command != "system.run" || p["approved"] != true || p["approvalDecision"] != "allow-once" || p["agentId"] != "main" ||
		p["env"].(map[string]any)["A"] != "1" {
		t.Fatalf("params %v", p)
	}
	// The node's own allowlist is honoured without asking.
	if runtime.GOOS != "windows" {
		fn.file = &execapprove.File{Version: 1, Agents: map[string]execapprove.Agent{"main": {Allowlist: []execapprove.AllowlistEntry{{Pattern: "/bin/*"}}}}}
		asker.d, asker.asked = execapprove.Deny, nil
		if _, err := run(t, tl, map[string]any{"action": "run", "node": "Studio Mac", "command": []string{"/bin/sh", "-c", "true"}}); err != nil || len(asker.asked) != 0 {
			t.Fatalf("node allowlist: %v asked %d", err, len(asker.asked))
		}
		fn.file = nil
	}
	if _, err := run(t, tl, map[string]any{"action": "run", "node": "Phone", "command": []string{"ls"}}); err == nil || !strings.Contains(err.Error(), "does not support system.run") {
		t.Fatalf("node without system.run: %v", err)
	}
	// exec host=node uses the same gate and node.
	xt := mustTool(ExecTool(ExecOptions{Host: "node", Nodes: fn, Gate: gate, AgentID: "main", Processes: NewProcesses(ProcessOptions{}), Workspace: home}))
	asker.d = execapprove.Deny
	if _, err := run(t, xt, map[string]any{"command": "uname -a", "node": "Studio Mac"}); !execapprove.IsDenied(err) {
		t.Fatalf("exec host=node denied: %v", err)
	}
	asker.d = execapprove.AllowOnce
	r, err = run(t, xt, map[string]any{"command": "uname -a", "node": "Studio Mac"})
	if err != nil || text(r) != "hi\n" {
		t.Fatalf("exec host=node: %q %v", text(r), err)
	}
	last := fn.params(len(fn.invokes) - 1)
	argv := last["command"].([]any)
	if argv[0] != "/bin/sh" || argv[2] != "uname -a" || last["rawCommand"] != "uname -a" {
		t.Fatalf("node argv %v", last)
	}
}

type recordingAsker struct {
	d     execapprove.Decision
	asked []execapprove.ApprovalRequest
}

func (a *recordingAsker) Ask(ctx context.Context, req execapprove.ApprovalRequest) (execapprove.Decision, error) {
	a.asked = append(a.asked, req)
	return a.d, nil
}

func TestCanvasTool(t *testing.T) {
	fn := testNodes()
	tl := mustTool(CanvasTool(fn))
	if _, err := run(t, tl, map[string]any{"action": "present", "target": "https://example.org", "x": 10}); err != nil {
		t.Fatal(err)
	}
	p := fn.params(0)
	if fn.invokes[0].NodeID != "mac-abcdef123" || p["url"] != "https://example.org" || p["placement"].(map[string]any)["x"] != float64(10) {
		t.Fatalf("present %v", p)
	}
	if _, ok := p["placement"].(map[string]any)["width"]; ok {
		t.Fatal("absent placement fields sent")
	}
	r, err := run(t, tl, map[string]any{"action": "snapshot"})
	if err != nil || r.Content[1].MimeType != "image/png" {
		t.Fatalf("snapshot %+v %v", r, err)
	}
	if _, err := run(t, tl, map[string]any{"action": "navigate"}); err == nil {
		t.Fatal("navigate without url")
	}
}
