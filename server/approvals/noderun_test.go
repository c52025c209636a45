package approvals_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/agent/tools"
	"github.com/clawgate/gateway/server/approvals"
	"github.com/clawgate/gateway/server/execapprove"
	"github.com/clawgate/gateway/server/gatewaytest"
	"github.com/clawgate/gateway/server/nodes/live"
)

// liveNodes is the agent's view of the node registry (tools.Nodes) over the gateway's
// live registry, with the node's own approvals file through approvals.NodeFile.
type liveNodes struct{ reg *live.Registry }

var errNotHere = errors.New("not used in this test")

func (n liveNodes) List(ctx context.Context) ([]tools.NodeInfo, error) {
	var out []tools.NodeInfo
	for _, x := range n.reg.List() {
		out = append(out, tools.NodeInfo{NodeID: x.NodeID, DisplayName: x.DisplayName, Platform: x.Platform, Caps: x.Caps, Commands: x.Commands, Connected: true})
	}
	return out, nil
}
func (liveNodes) Describe(context.Context, string) (json.RawMessage, error) { return nil, errNotHere }
func (liveNodes) PairList(context.Context) (json.RawMessage, error)         { return nil, errNotHere }
func (liveNodes) PairApprove(context.Context, string) (json.RawMessage, error) {
	return nil, errNotHere
}
func (liveNodes) PairReject(context.Context, string) (json.RawMessage, error) { return nil, errNotHere }
func (n liveNodes) Invoke(ctx context.Context, r tools.InvokeRequest) (json.RawMessage, error) {
	p, err := json.Marshal(r.Params)
	if err != nil {
		return nil, err
	}
	res, err := n.reg.Invoke(ctx, live.InvokeParams{NodeID: r.NodeID, Command: r.Command, Params: p, Timeout: &r.Timeout, IdempotencyKey: r.IdempotencyKey})
	if err != nil {
		return nil, err
	}
	if res.PayloadJSON == nil {
		return nil, nil
	}
	return json.RawMessage(*res.PayloadJSON), nil
}
func (n liveNodes) NodeApprovalsFile(ctx context.Context, nodeID string) (*execapprove.File, error) {
	return approvals.NodeFile(ctx, n.reg, nodeID, 10*time.Second)
}

// nodeHost is a node host over a real role-node WebSocket: it answers
// system.execApprovals.get with an empty allowlist and runs system.run's argv, as the
// original's node host does once the gateway says the run was approved.
type nodeHost struct {
	id   string
	runs chan map[string]any // params of every system.run it received
	cmds chan string         // every command it received, in order
}

func (e *env) nodeHost(t *testing.T) *nodeHost {
	t.Helper()
	dev := gatewaytest.NewDevice(t)
	c := gatewaytest.Dial(t, e.g.URL)
	nonce := c.Challenge()
	c.Handshake(map[string]any{
		"minProtocol": 3, "maxProtocol": 3, "role": "node",
		"client":   map[string]any{"id": "node-host", "version": "2026.1.24", "platform": "linux", "mode": "node", "displayName": "build box"},
		"commands": []string{"system.run", "system.which", approvals.NodeCommandGet, approvals.NodeCommandSet},
		"auth":     map[string]any{"token": token},
		"device":   dev.Sign("node-host", "node", "node", nil, time.Now(), token, nonce),
	})
	h := &nodeHost{id: dev.ID, runs: make(chan map[string]any, 8), cmds: make(chan string, 16)}
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	go func() {
		for {
			var f *gatewaytest.Frame
			select {
			case f = <-c.Events:
			case <-stop:
				return
			}
			if f.Event != "node.invoke.request" {
				continue
			}
			var ev protocol.NodeInvokeRequestEvent
			if ev.UnmarshalJSON(f.Payload) != nil {
				continue
			}
			h.cmds <- ev.Command
			res := map[string]any{"id": ev.ID, "nodeId": h.id, "ok": true}
			switch ev.Command {
			case approvals.NodeCommandGet:
				res["payloadJSON"] = `{"path":"/home/n/.clawdbot/exec-approvals.json","exists":true,"hash":"h","file":{"version":1}}`
			case "system.run":
				var p map[string]any
				_ = json.Unmarshal([]byte(ev.GetParamsJSON()), &p)
				h.runs <- p
				var argv []string
				for _, a := range p["command"].([]any) {
					argv = append(argv, a.(string))
				}
				out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
				b, _ := json.Marshal(map[string]any{"exitCode": 0, "success": err == nil, "stdout": string(out)})
				res["payloadJSON"] = string(b)
			default:
				res["payloadJSON"] = `{}`
			}
			_, _ = c.Request("node.invoke.result", res)
		}
	}()
	for i := 0; ; i++ {
		if _, ok := e.reg.Get(dev.ID); ok {
			return h
		}
		if i > 1000 {
			t.Fatal("node never joined the live registry")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Node system.run goes through the same gate as exec on the gateway: the person is
// asked over the wire, and the node receives system.run only when it was approved
// (with approved/approvalDecision, as the original's node host expects).
func TestNodeSystemRunThroughGate(t *testing.T) {
	for _, decision := range []string{"allow-once", "deny"} {
		t.Run(decision, func(t *testing.T) {
			e := start(t, approvals.Options{})
			approver := e.operator(t, "Approver", []string{"operator.approvals"})
			admin := e.operator(t, "Admin", nil)
			host := e.nodeHost(t)
			gate, err := execapprove.NewGate(execapprove.GateOptions{Store: e.store, Asker: e.mgr, Timeout: time.Minute, Home: e.home})
			if err != nil {
				t.Fatal(err)
			}
			tl, err := tools.NodesTool(tools.NodesOptions{Nodes: liveNodes{e.reg}, Gate: gate, AgentID: "main", SessionKey: "agent:main:main"})
			if err != nil {
				t.Fatal(err)
			}
			touch, err := exec.LookPath("touch")
			if err != nil {
				t.Skip("no touch")
			}
			marker := filepath.Join(e.ws, "node-marker")
			done := make(chan toolOutcome, 1)
			go func() {
				b, _ := json.Marshal(map[string]any{"action": "run", "node": host.id, "command": []string{touch, marker}})
				res, err := tl.Execute(context.Background(), tools.Call{ID: "n-1", Args: b})
				done <- toolOutcome{res, err}
			}()
			ev := requested(t, approver)
			if ev.Request.GetHost() != "node" || !strings.Contains(ev.Request.Command, marker) {
				t.Fatalf("requested: %+v", ev.Request)
			}
			approver.MustOK("exec.approval.resolve", map[string]any{"id": ev.ID, "decision": decision}, nil)
			o := wait(t, done)
			if decision == "deny" {
				if o.err == nil && !o.res.IsError || !strings.Contains(text(o), "user-denied") {
					t.Fatalf("denied run: %q", text(o))
				}
				// The node never saw system.run: the next command it receives is this one.
				admin.MustOK("node.invoke", map[string]any{"nodeId": host.id, "command": "system.which", "params": map[string]any{}, "idempotencyKey": "w-1"}, nil)
				for c := range host.cmds {
					if c == "system.run" {
						t.Fatal("node received system.run after a deny")
					}
					if c == "system.which" {
						break
					}
				}
				if _, err := os.Stat(marker); err == nil {
					t.Fatal("denied command ran")
				}
				return
			}
			if _, err := os.Stat(marker); err != nil {
				t.Fatalf("approved command did not run on the node: %q", text(o))
			}
			p := <-host.runs
			if p["approved"] != true || p["approvalDecision"] != "allow-once" || p["agentId"] != "main" {
				t.Fatalf("system.run params: %v", p)
			}
		})
	}
}
