package approvals_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/agent/tools"
	"github.com/clawgate/gateway/server/approvals"
	"github.com/clawgate/gateway/server/auth"
	"github.com/clawgate/gateway/server/core"
	"github.com/clawgate/gateway/server/execapprove"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/gatewaytest"
	"github.com/clawgate/gateway/server/nodes"
	"github.com/clawgate/gateway/server/nodes/live"
)

const token = "gw-secret"

// env is a real gateway on 127.0.0.1 serving the approvals group over one Manager and
// one approvals file in a temporary home.
type env struct {
	g     *gatewaytest.Gateway
	mgr   *execapprove.Manager
	store *execapprove.Store
	reg   *live.Registry
	home  string
	ws    string
}

func start(t *testing.T, o approvals.Options, mo ...execapprove.ManagerOptions) *env {
	t.Helper()
	dir, home := t.TempDir(), t.TempDir()
	st, err := nodes.OpenStore(nodes.StoreOptions{StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	devices, err := auth.OpenStore(auth.StoreOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	reg := live.New(live.Options{})
	t.Cleanup(reg.Close)
	srv, err := gateway.New(gateway.Options{StateDir: dir, Nodes: st, LiveNodes: reg, Devices: devices,
		Secrets: auth.Secrets{Mode: auth.ModeToken, Token: token}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	core.Serve(srv)
	e := &env{reg: reg, home: home, ws: t.TempDir(),
		store: execapprove.NewStore(execapprove.DefaultPath(home), filepath.Join(home, execapprove.DefaultSocketRel))}
	var m execapprove.ManagerOptions
	if len(mo) > 0 {
		m = mo[0]
	}
	m.Events = approvals.Events{Out: func() approvals.Broadcaster { return srv }}
	e.mgr = execapprove.NewManager(m)
	o.Manager, o.Store, o.Nodes = e.mgr, e.store, reg
	srv.Mux().SetApprovals(approvals.New[*gateway.Conn](o))
	e.g = gatewaytest.Start(t, srv)
	return e
}

// operator connects a v3 operator with the given scopes (nil: the default, admin).
func (e *env) operator(t *testing.T, name string, scopes []string) *gatewaytest.Client {
	t.Helper()
	c := gatewaytest.Dial(t, e.g.URL)
	p := gatewaytest.V3Connect(map[string]any{"auth": map[string]any{"token": token}})
	p["client"].(map[string]any)["displayName"] = name
	if scopes != nil {
		p["scopes"] = scopes
	}
	c.Handshake(p)
	return c
}

func requested(t *testing.T, c *gatewaytest.Client) protocol.ExecApprovalRequestedEvent {
	t.Helper()
	var ev protocol.ExecApprovalRequestedEvent
	if err := ev.UnmarshalJSON(c.NextEvent("exec.approval.requested").Payload); err != nil {
		t.Fatal(err)
	}
	return ev
}

func resolved(t *testing.T, c *gatewaytest.Client) protocol.ExecApprovalResolvedEvent {
	t.Helper()
	var ev protocol.ExecApprovalResolvedEvent
	if err := ev.UnmarshalJSON(c.NextEvent("exec.approval.resolved").Payload); err != nil {
		t.Fatal(err)
	}
	return ev
}

func wantErr(t *testing.T, f *gatewaytest.Frame, code, msg string) {
	t.Helper()
	if f.OK || f.Error == nil || f.Error.Code != code || !strings.Contains(f.Error.Message, msg) {
		t.Fatalf("want %s %q, got ok=%v %+v", code, msg, f.OK, f.Error)
	}
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// execTool is the agent's exec tool over a gate whose Asker is the gateway's Manager:
// the path a model's exec call takes.
func (e *env) execTool(t *testing.T, approvalTimeout time.Duration) *tools.Tool {
	t.Helper()
	gate, err := execapprove.NewGate(execapprove.GateOptions{Store: e.store, Asker: e.mgr, Timeout: approvalTimeout, Home: e.home})
	if err != nil {
		t.Fatal(err)
	}
	procs := tools.NewProcesses(tools.ProcessOptions{})
	t.Cleanup(procs.Close)
	tl, err := tools.ExecTool(tools.ExecOptions{Gate: gate, Workspace: e.ws, Processes: procs, NoBackground: true,
		Security: execapprove.SecurityAllowlist, Ask: execapprove.AskOnMiss, ApprovalTimeout: approvalTimeout,
		Environ: func() []string { return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + e.home} }})
	if err != nil {
		t.Fatal(err)
	}
	return tl
}

type toolOutcome struct {
	res tools.Result
	err error
}

func runExec(tl *tools.Tool, command string) chan toolOutcome {
	out := make(chan toolOutcome, 1)
	go func() {
		b, _ := json.Marshal(map[string]any{"command": command})
		res, err := tl.Execute(context.Background(), tools.Call{ID: "call-1", Args: b})
		out <- toolOutcome{res, err}
	}()
	return out
}

func text(o toolOutcome) string {
	var b strings.Builder
	if o.err != nil {
		b.WriteString(o.err.Error())
	}
	for _, p := range o.res.Content {
		b.WriteString(p.Text)
	}
	return b.String()
}

func wait(t *testing.T, ch chan toolOutcome) toolOutcome {
	t.Helper()
	select {
	case o := <-ch:
		return o
	case <-time.After(30 * time.Second):
		t.Fatal("exec did not return")
	}
	return toolOutcome{}
}

// The exec tool asks through the gateway; an approver with operator.approvals answers
// over the WebSocket. The command runs only when allowed (checked on disk).
func TestExecToolWaitsForApprovalOverWire(t *testing.T) {
	cases := []struct {
		name     string
		decision string // "" = nobody answers
		timeout  time.Duration
		runs     bool
		reason   string
	}{
		{name: "allow-once", decision: "allow-once", timeout: time.Minute, runs: true},
		{name: "deny", decision: "deny", timeout: time.Minute, reason: "user-denied"},
		{name: "unanswered", timeout: 300 * time.Millisecond, reason: "approval-timeout"},
		{name: "allow-always", decision: "allow-always", timeout: time.Minute, runs: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t, approvals.Options{})
			approver := e.operator(t, "Approver", []string{"operator.approvals"})
			tl := e.execTool(t, tc.timeout)
			marker := filepath.Join(e.ws, "marker")
			done := runExec(tl, "touch "+marker)

			ev := requested(t, approver)
			if ev.Request.Command != "touch "+marker || ev.Request.GetHost() != "gateway" || ev.Request.GetSecurity() != "allowlist" ||
				ev.Request.GetAsk() != "on-miss" || !strings.HasSuffix(ev.Request.GetResolvedPath(), "/touch") {
				t.Fatalf("requested event: %+v", ev.Request)
			}
			if got := ev.ExpiresAtMs - ev.CreatedAtMs; got != tc.timeout.Milliseconds() {
				t.Fatalf("expiresAtMs-createdAtMs = %d, want %d", got, tc.timeout.Milliseconds())
			}
			if exists(marker) {
				t.Fatal("command ran before it was approved")
			}
			if tc.decision != "" {
				approver.MustOK("exec.approval.resolve", map[string]any{"id": ev.ID, "decision": tc.decision}, nil)
				r := resolved(t, approver)
				if r.ID != ev.ID || string(r.Decision) != tc.decision || r.GetResolvedBy() != "Approver" {
					t.Fatalf("resolved event: %+v", r)
				}
			}
			o := wait(t, done)
			if exists(marker) != tc.runs {
				t.Fatalf("marker exists=%v, want %v (tool said %q)", exists(marker), tc.runs, text(o))
			}
			if !tc.runs {
				if o.err == nil && !o.res.IsError {
					t.Fatalf("a denied exec must fail: %q", text(o))
				}
				if !strings.Contains(text(o), tc.reason) {
					t.Fatalf("denial %q does not name %q", text(o), tc.reason)
				}
			}
			if tc.decision == "" {
				// Timed out: the id is gone; a late answer is refused.
				f := approver.Call("exec.approval.resolve", map[string]any{"id": ev.ID, "decision": "allow-once"})
				wantErr(t, f, "INVALID_REQUEST", "unknown approval id")
			}
			if n := len(e.mgr.Pending()); n != 0 {
				t.Fatalf("%d approvals still pending", n)
			}
			if tc.decision != "allow-always" {
				return
			}
			// allow-always persisted the executable into the agent's allowlist, in the
			// original's file format...
			raw, err := os.ReadFile(execapprove.DefaultPath(e.home))
			if err != nil {
				t.Fatal(err)
			}
			var f struct {
				Version int `json:"version"`
				Socket  struct {
					Path  string `json:"path"`
					Token string `json:"token"`
				} `json:"socket"`
				Agents map[string]struct {
					Allowlist []struct {
						ID      string `json:"id"`
						Pattern string `json:"pattern"`
					} `json:"allowlist"`
				} `json:"agents"`
			}
			if err := json.Unmarshal(raw, &f); err != nil {
				t.Fatal(err)
			}
			list := f.Agents["main"].Allowlist
			if f.Version != 1 || f.Socket.Token == "" || len(list) != 1 || list[0].Pattern != ev.Request.GetResolvedPath() || list[0].ID == "" {
				t.Fatalf("approvals file after allow-always:\n%s", raw)
			}
			// ...so the same executable now runs without asking (nobody would answer).
			marker2 := filepath.Join(e.ws, "marker2")
			o = wait(t, runExec(tl, "touch "+marker2))
			if !exists(marker2) {
				t.Fatalf("allowlisted command did not run: %q", text(o))
			}
		})
	}
}

// A client calls exec.approval.request on the wire (as the original's tools do through
// the gateway); only operators with operator.approvals (or admin) see and answer it.
func TestRequestResolveScopes(t *testing.T) {
	e := start(t, approvals.Options{})
	requester := e.operator(t, "Requester", []string{"operator.approvals"})
	approver := e.operator(t, "Approver", []string{"operator.approvals"})
	admin := e.operator(t, "Admin", nil)
	reader := e.operator(t, "Reader", []string{"operator.read", "operator.write"})

	// Without the scope a client cannot ask either.
	wantErr(t, reader.Call("exec.approval.request", map[string]any{"command": "ls"}), "INVALID_REQUEST", "missing scope: operator.approvals")

	_, resCh := requester.Request("exec.approval.request", map[string]any{"id": "ap-1", "command": "rm -rf build", "cwd": "/tmp",
		"host": "node", "agentId": "main", "sessionKey": "agent:main:main", "timeoutMs": 60000})
	ev := requested(t, approver)
	if ev.ID != "ap-1" || ev.Request.Command != "rm -rf build" || ev.Request.GetCwd() != "/tmp" || ev.Request.Security != nil || ev.ExpiresAtMs-ev.CreatedAtMs != 60000 {
		t.Fatalf("requested: %+v", ev)
	}
	if a := requested(t, admin); a.ID != "ap-1" {
		t.Fatalf("admin got %+v", a)
	}
	// The same id cannot be pending twice.
	wantErr(t, requester.Call("exec.approval.request", map[string]any{"id": "ap-1", "command": "ls"}), "INVALID_REQUEST", "approval id already pending")
	// A client without operator.approvals cannot answer.
	wantErr(t, reader.Call("exec.approval.resolve", map[string]any{"id": "ap-1", "decision": "allow-once"}), "INVALID_REQUEST", "missing scope: operator.approvals")
	// Bad decisions are refused by the schema.
	wantErr(t, approver.Call("exec.approval.resolve", map[string]any{"id": "ap-1", "decision": "yes"}), "INVALID_REQUEST", "decision")

	approver.MustOK("exec.approval.resolve", map[string]any{"id": "ap-1", "decision": "allow-once"}, nil)
	var res protocol.ExecApprovalRequestResult
	select {
	case f := <-resCh:
		if !f.OK {
			t.Fatalf("request failed: %+v", f.Error)
		}
		if err := res.UnmarshalJSON(f.Payload); err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("exec.approval.request did not return after resolve")
	}
	if res.ID != "ap-1" || res.GetDecision() != protocol.ExecApprovalDecisionAllowOnce || res.ExpiresAtMs != ev.ExpiresAtMs {
		t.Fatalf("request result: %+v", res)
	}
	r := resolved(t, admin)
	if r.ID != "ap-1" || r.GetResolvedBy() != "Approver" {
		t.Fatalf("resolved: %+v", r)
	}
	// A second answer finds nothing.
	wantErr(t, approver.Call("exec.approval.resolve", map[string]any{"id": "ap-1", "decision": "deny"}), "INVALID_REQUEST", "unknown approval id")

	// The reader never received either event: a later unscoped broadcast (presence,
	// after a system-event) arrives after them in seq order, and nothing
	// exec.approval.* came before it.
	admin.MustOK("system-event", map[string]any{"text": "after the approval", "instanceId": "late-one"}, nil)
	for {
		select {
		case f := <-reader.Events:
			if strings.HasPrefix(f.Event, "exec.approval.") {
				t.Fatalf("reader without operator.approvals got %s", f.Event)
			}
			if f.Event == "presence" && strings.Contains(string(f.Payload), "late-one") {
				return
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no presence event for the late client")
		}
	}
}

// Nobody answers: the request ends with decision null after its timeout; a requester
// that disconnects withdraws its request (approvers see it resolved as deny).
func TestRequestTimeoutAndWithdraw(t *testing.T) {
	e := start(t, approvals.Options{MaxTimeout: 250 * time.Millisecond})
	approver := e.operator(t, "Approver", []string{"operator.approvals"})
	requester := e.operator(t, "Requester", []string{"operator.approvals"})

	// timeoutMs above MaxTimeout is capped to it.
	f := requester.Call("exec.approval.request", map[string]any{"command": "make deploy", "timeoutMs": 3600000})
	if !f.OK {
		t.Fatalf("request: %+v", f.Error)
	}
	var res protocol.ExecApprovalRequestResult
	if err := res.UnmarshalJSON(f.Payload); err != nil {
		t.Fatal(err)
	}
	if res.Decision != nil || res.ExpiresAtMs-res.CreatedAtMs != 250 || !strings.Contains(string(f.Payload), `"decision":null`) {
		t.Fatalf("unanswered request: %s", f.Payload)
	}
	if ev := requested(t, approver); ev.ID != res.ID {
		t.Fatalf("requested %s, answered %s", ev.ID, res.ID)
	}

	// Without timeoutMs the manager's configured default applies.
	e3 := start(t, approvals.Options{}, execapprove.ManagerOptions{DefaultTimeout: 150 * time.Millisecond})
	r3 := e3.operator(t, "Requester", []string{"operator.approvals"})
	f = r3.Call("exec.approval.request", map[string]any{"command": "make deploy"})
	if !f.OK || !strings.Contains(string(f.Payload), `"decision":null`) {
		t.Fatalf("default-timeout request: %s %+v", f.Payload, f.Error)
	}
	if err := res.UnmarshalJSON(f.Payload); err != nil || res.ExpiresAtMs-res.CreatedAtMs != 150 {
		t.Fatalf("default timeout: %s", f.Payload)
	}

	e2 := start(t, approvals.Options{})
	approver2 := e2.operator(t, "Approver", []string{"operator.approvals"})
	leaver := e2.operator(t, "Leaver", []string{"operator.approvals"})
	leaver.Request("exec.approval.request", map[string]any{"id": "gone-1", "command": "ls"})
	requested(t, approver2)
	_ = leaver.WS.NetConn().Close()
	r := resolved(t, approver2)
	if r.ID != "gone-1" || r.Decision != protocol.ExecApprovalDecisionDeny {
		t.Fatalf("withdrawn request resolved as %+v", r)
	}
	if n := len(e2.mgr.Pending()); n != 0 {
		t.Fatalf("%d approvals still pending", n)
	}
}

// exec.approvals.get / set: the file round trip with the original's baseHash rules.
func TestApprovalsGetSetBaseHash(t *testing.T) {
	e := start(t, approvals.Options{})
	admin := e.operator(t, "Admin", nil)
	approver := e.operator(t, "Approver", []string{"operator.approvals"})

	// exec.approvals.* need operator.admin.
	wantErr(t, approver.Call("exec.approvals.get", map[string]any{}), "INVALID_REQUEST", "missing scope: operator.admin")

	var got protocol.ExecApprovalsGetResult
	f := admin.Call("exec.approvals.get", map[string]any{})
	if !f.OK {
		t.Fatalf("get: %+v", f.Error)
	}
	if err := got.UnmarshalJSON(f.Payload); err != nil {
		t.Fatal(err)
	}
	if !got.Exists || got.Path != execapprove.DefaultPath(e.home) || got.File.Version != 1 || got.File.Socket == nil ||
		got.File.Socket.GetPath() != filepath.Join(e.home, execapprove.DefaultSocketRel) || got.File.Socket.Token != nil {
		t.Fatalf("get: %s", f.Payload)
	}
	before, _ := os.ReadFile(got.Path)
	var disk execapprove.File
	if err := json.Unmarshal(before, &disk); err != nil || disk.Socket == nil || disk.Socket.Token == "" {
		t.Fatalf("file on disk has no token: %s", before)
	}
	if strings.Contains(string(f.Payload), disk.Socket.Token) {
		t.Fatal("exec.approvals.get leaked the socket token")
	}

	next := map[string]any{"version": 1, "defaults": map[string]any{"security": "allowlist", "ask": "always"},
		"agents": map[string]any{"main": map[string]any{"allowlist": []any{map[string]any{"pattern": "/usr/bin/git"}}}}}
	wantErr(t, admin.Call("exec.approvals.set", map[string]any{"file": next}), "INVALID_REQUEST", "exec approvals base hash required")
	wantErr(t, admin.Call("exec.approvals.set", map[string]any{"file": next, "baseHash": "0000"}), "INVALID_REQUEST", "exec approvals changed since last load")
	if after, _ := os.ReadFile(got.Path); string(after) != string(before) {
		t.Fatal("a refused set changed the file")
	}
	wantErr(t, admin.Call("exec.approvals.set", map[string]any{"file": map[string]any{"version": 2}, "baseHash": got.Hash}), "INVALID_REQUEST", "version")

	var set protocol.ExecApprovalsSetResult
	f = admin.Call("exec.approvals.set", map[string]any{"file": next, "baseHash": got.Hash})
	if !f.OK {
		t.Fatalf("set: %+v", f.Error)
	}
	if err := set.UnmarshalJSON(f.Payload); err != nil {
		t.Fatal(err)
	}
	if set.Hash == got.Hash || len(set.File.Agents["main"].Allowlist) != 1 || set.File.Agents["main"].Allowlist[0].GetID() == "" {
		t.Fatalf("set: %s", f.Payload)
	}
	// On disk: the original's format, the token kept although the client never saw it.
	raw, _ := os.ReadFile(got.Path)
	var after execapprove.File
	if err := json.Unmarshal(raw, &after); err != nil {
		t.Fatal(err)
	}
	if after.Version != 1 || after.Socket.Token != disk.Socket.Token || after.Defaults.Ask != execapprove.AskAlways ||
		after.Agents["main"].Allowlist[0].Pattern != "/usr/bin/git" {
		t.Fatalf("file after set:\n%s", raw)
	}
	if st, _ := os.Stat(got.Path); st.Mode().Perm() != execapprove.FileMode {
		t.Fatalf("mode %v", st.Mode().Perm())
	}
	// A writer holding the old hash loses; a get shows the new hash.
	wantErr(t, admin.Call("exec.approvals.set", map[string]any{"file": map[string]any{"version": 1}, "baseHash": got.Hash}), "INVALID_REQUEST", "changed since last load")
	var again protocol.ExecApprovalsGetResult
	admin.MustOK("exec.approvals.get", map[string]any{}, nil)
	if err := again.UnmarshalJSON(admin.Call("exec.approvals.get", map[string]any{}).Payload); err != nil || again.Hash != set.Hash {
		t.Fatalf("get after set: hash %s want %s (%v)", again.Hash, set.Hash, err)
	}

	// A corrupt file is reported, never overwritten by get.
	if err := os.WriteFile(got.Path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	f = admin.Call("exec.approvals.get", map[string]any{})
	wantErr(t, f, "UNAVAILABLE", "invalid")
	if raw, _ := os.ReadFile(got.Path); string(raw) != "{not json" {
		t.Fatalf("corrupt file was rewritten: %s", raw)
	}
	// ...and replaced only by a set that names the broken bytes' hash (in the error).
	var details struct {
		Hash string `json:"hash"`
	}
	b, _ := json.Marshal(f.Error.Details)
	if err := json.Unmarshal(b, &details); err != nil || details.Hash == "" {
		t.Fatalf("no hash in the error details: %s", b)
	}
	wantErr(t, admin.Call("exec.approvals.set", map[string]any{"file": map[string]any{"version": 1}, "baseHash": set.Hash}), "INVALID_REQUEST", "changed since last load")
	admin.MustOK("exec.approvals.set", map[string]any{"file": map[string]any{"version": 1}, "baseHash": details.Hash}, nil)
	raw, _ = os.ReadFile(got.Path)
	if err := json.Unmarshal(raw, &after); err != nil || after.Version != 1 {
		t.Fatalf("file after replacing the broken one: %s", raw)
	}
}

// exec.approvals.node.get / set go to the node host as system.execApprovals.get / set
// through node.invoke; the node's answers (and failures) come back.
func TestNodeGetSetProxied(t *testing.T) {
	e := start(t, approvals.Options{NodeTimeout: 10 * time.Second})
	admin := e.operator(t, "Admin", nil)
	dev := gatewaytest.NewDevice(t)
	node := gatewaytest.Dial(t, e.g.URL)
	nonce := node.Challenge()
	node.Handshake(map[string]any{
		"minProtocol": 3, "maxProtocol": 3, "role": "node",
		"client":   map[string]any{"id": "node-host", "version": "2026.1.24", "platform": "linux", "mode": "node", "displayName": "build box"},
		"commands": []string{"system.run", approvals.NodeCommandGet, approvals.NodeCommandSet},
		"auth":     map[string]any{"token": token},
		"device":   dev.Sign("node-host", "node", "node", nil, time.Now(), token, nonce),
	})
	for i := 0; ; i++ {
		if _, ok := e.reg.Get(dev.ID); ok {
			break
		}
		if i > 1000 {
			t.Fatal("node never joined the live registry")
		}
		time.Sleep(10 * time.Millisecond)
	}
	snap := `{"path":"/Users/me/.clawdbot/exec-approvals.json","exists":true,"hash":"h1","file":{"version":1,"socket":{"path":"/Users/me/.clawdbot/exec-approvals.sock"}}}`
	answer := func(wantCmd string, reply func(ev protocol.NodeInvokeRequestEvent) map[string]any) protocol.NodeInvokeRequestEvent {
		var ev protocol.NodeInvokeRequestEvent
		if err := ev.UnmarshalJSON(node.NextEvent("node.invoke.request").Payload); err != nil {
			t.Fatal(err)
		}
		if ev.Command != wantCmd {
			t.Fatalf("node got %s, want %s", ev.Command, wantCmd)
		}
		r := reply(ev)
		r["id"], r["nodeId"] = ev.ID, dev.ID
		node.MustOK("node.invoke.result", r, nil)
		return ev
	}

	_, ch := admin.Request("exec.approvals.node.get", map[string]any{"nodeId": dev.ID})
	answer(approvals.NodeCommandGet, func(protocol.NodeInvokeRequestEvent) map[string]any {
		return map[string]any{"ok": true, "payloadJSON": snap}
	})
	f := <-ch
	var got protocol.ExecApprovalsNodeGetResult
	if !f.OK || got.UnmarshalJSON(f.Payload) != nil || got.Hash != "h1" || got.Path != "/Users/me/.clawdbot/exec-approvals.json" {
		t.Fatalf("node.get: ok=%v %s %+v", f.OK, f.Payload, f.Error)
	}

	// set: the node receives {file, baseHash} and checks the hash itself.
	_, ch = admin.Request("exec.approvals.node.set", map[string]any{"nodeId": dev.ID, "baseHash": "h1",
		"file": map[string]any{"version": 1, "defaults": map[string]any{"security": "deny"}}})
	ev := answer(approvals.NodeCommandSet, func(protocol.NodeInvokeRequestEvent) map[string]any {
		return map[string]any{"ok": true, "payloadJSON": strings.Replace(snap, `"h1"`, `"h2"`, 1)}
	})
	var sent struct {
		File     execapprove.File `json:"file"`
		BaseHash string           `json:"baseHash"`
	}
	if err := json.Unmarshal([]byte(ev.GetParamsJSON()), &sent); err != nil || sent.BaseHash != "h1" || sent.File.Version != 1 || sent.File.Defaults.Security != execapprove.SecurityDeny {
		t.Fatalf("node received %s (%v)", ev.GetParamsJSON(), err)
	}
	if f := <-ch; !f.OK || !strings.Contains(string(f.Payload), `"hash":"h2"`) {
		t.Fatalf("node.set: %s %+v", f.Payload, f.Error)
	}

	// The node refuses (a stale hash): UNAVAILABLE with its error.
	_, ch = admin.Request("exec.approvals.node.set", map[string]any{"nodeId": dev.ID, "baseHash": "old", "file": map[string]any{"version": 1}})
	answer(approvals.NodeCommandSet, func(protocol.NodeInvokeRequestEvent) map[string]any {
		return map[string]any{"ok": false, "error": map[string]any{"code": "INVALID_REQUEST", "message": "INVALID_REQUEST: exec approvals changed; reload and retry"}}
	})
	f = <-ch
	wantErr(t, f, "UNAVAILABLE", "exec approvals changed")
	// A payload that is not a snapshot is refused, not passed on.
	_, ch = admin.Request("exec.approvals.node.get", map[string]any{"nodeId": dev.ID})
	answer(approvals.NodeCommandGet, func(protocol.NodeInvokeRequestEvent) map[string]any {
		return map[string]any{"ok": true, "payloadJSON": `{"whatever":1}`}
	})
	wantErr(t, <-ch, "UNAVAILABLE", "invalid exec approvals snapshot")
	// Unknown node.
	wantErr(t, admin.Call("exec.approvals.node.get", map[string]any{"nodeId": "nope"}), "UNAVAILABLE", "not connected")
	// A node may neither ask nor answer (operators only, as in the original).
	wantErr(t, node.Call("exec.approval.request", map[string]any{"command": "ls"}), "INVALID_REQUEST", "unauthorized role: node")
	wantErr(t, node.Call("exec.approval.resolve", map[string]any{"id": "x", "decision": "allow-once"}), "INVALID_REQUEST", "unauthorized role: node")
}

// The pending approvals are bounded: past the limit a request is refused at once.
func TestPendingBound(t *testing.T) {
	e := start(t, approvals.Options{}, execapprove.ManagerOptions{MaxPending: 1})
	a := e.operator(t, "A", []string{"operator.approvals"})
	a.Request("exec.approval.request", map[string]any{"id": "first", "command": "ls"})
	requested(t, a)
	wantErr(t, a.Call("exec.approval.request", map[string]any{"command": "ls"}), "UNAVAILABLE", "too many pending exec approvals")
	a.MustOK("exec.approval.resolve", map[string]any{"id": "first", "decision": "deny"}, nil)
	// A slot is free again.
	_, ch := a.Request("exec.approval.request", map[string]any{"id": "second", "command": "ls"})
	if ev := requested(t, a); ev.ID != "second" {
		t.Fatalf("requested %s", ev.ID)
	}
	a.MustOK("exec.approval.resolve", map[string]any{"id": "second", "decision": "allow-once"}, nil)
	if f := <-ch; !f.OK || !strings.Contains(string(f.Payload), `"allow-once"`) {
		t.Fatalf("second: %s", f.Payload)
	}
}

// Handlers without their parts answer UNAVAILABLE rather than panic.
func TestUnconfigured(t *testing.T) {
	h := approvals.New[fakeConn](approvals.Options{})
	ctx := context.Background()
	_, err := h.ExecApprovalRequest(ctx, fakeConn{}, &protocol.ExecApprovalRequestParams{Command: "ls"})
	if !errors.Is(err, approvals.ErrNoManager) {
		t.Fatalf("request: %v", err)
	}
	if _, err := h.ExecApprovalsGet(ctx, fakeConn{}, &protocol.ExecApprovalsGetParams{}); !errors.Is(err, approvals.ErrNoStore) {
		t.Fatalf("get: %v", err)
	}
	if _, err := h.ExecApprovalsNodeGet(ctx, fakeConn{}, &protocol.ExecApprovalsNodeGetParams{NodeID: "n"}); !errors.Is(err, approvals.ErrNoNodes) {
		t.Fatalf("node get: %v", err)
	}
}

type fakeConn struct{}

func (fakeConn) Done() <-chan struct{} { return nil }
func (fakeConn) ClientID() string      { return "test" }
