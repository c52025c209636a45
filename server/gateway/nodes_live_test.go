package gateway

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/auth"
	"github.com/clawgate/gateway/server/nodes"
	"github.com/clawgate/gateway/server/nodes/live"
)

type nodeEnv struct {
	g     *testGateway
	st    *nodes.Store
	reg   *live.Registry
	dir   string
	op    *testClient
	token string // gateway token
}

func startNodeEnv(t *testing.T) *nodeEnv {
	t.Helper()
	dir := t.TempDir()
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
	g := startGateway(t, Options{Nodes: st, LiveNodes: reg, Devices: devices, Secrets: auth.Secrets{Mode: auth.ModeToken, Token: "gw-secret"}})
	op := dial(t, g.url)
	op.Handshake(v3Connect(map[string]any{"auth": map[string]any{"token": "gw-secret"}}))
	return &nodeEnv{g: g, st: st, reg: reg, dir: dir, op: op, token: "gw-secret"}
}

// connectNode opens a role-node socket with a device identity (local: auto-approved).
func (e *nodeEnv) connectNode(t *testing.T, dev *device, commands []string) *testClient {
	t.Helper()
	n := dial(t, e.g.url)
	nonce := n.Challenge()
	n.Handshake(map[string]any{
		"minProtocol": 3, "maxProtocol": 3, "role": "node",
		"client":   map[string]any{"id": "clawdbot-ios", "version": "2.1.0", "platform": "ios", "mode": "node", "displayName": "Test Phone", "deviceFamily": "iPhone", "modelIdentifier": "iPhone17,1"},
		"caps":     []string{"camera", "canvas"},
		"commands": commands,
		"auth":     map[string]any{"token": e.token},
		"device":   dev.Sign("clawdbot-ios", "node", "node", nil, time.Now(), e.token, nonce),
	})
	return n
}

func (e *nodeEnv) describe(t *testing.T, id string) protocol.NodeDescribeResult {
	t.Helper()
	var d protocol.NodeDescribeResult
	e.op.MustOK("node.describe", map[string]any{"nodeId": id}, &d)
	return d
}

// nextInvoke waits for the node's next node.invoke.request.
func nextInvoke(t *testing.T, n *testClient) protocol.NodeInvokeRequestEvent {
	t.Helper()
	f := n.NextEvent("node.invoke.request")
	if f.Seq != nil {
		t.Errorf("node.invoke.request is targeted: no seq")
	}
	var ev protocol.NodeInvokeRequestEvent
	if err := ev.UnmarshalJSON(f.Payload); err != nil {
		t.Fatal(err)
	}
	return ev
}

func waitPresence(t *testing.T, c *testClient, key, reason string) {
	t.Helper()
	for {
		f := c.NextEvent("presence")
		var p protocol.PresenceEvent
		if err := p.UnmarshalJSON(f.Payload); err != nil {
			t.Fatal(err)
		}
		for _, e := range p.Presence {
			if e.InstanceID != nil && *e.InstanceID == key && e.Reason != nil && *e.Reason == reason {
				return
			}
		}
	}
}

func TestWSNodePairInvokeRoundTrip(t *testing.T) {
	e := startNodeEnv(t)
	dev := newDevice(t)
	node := e.connectNode(t, dev, []string{"camera.snap", "canvas.eval", "bogus.cmd"})
	waitPresence(t, e.op, dev.ID, "node-connected")

	d := e.describe(t, dev.ID)
	if !d.Connected || d.Paired || d.GetDeviceFamily() != "iPhone" || d.GetModelIdentifier() != "iPhone17,1" {
		t.Fatalf("describe before pairing: %+v", d)
	}
	if strings.Join(d.Commands, ",") != "camera.snap,canvas.eval" || strings.Join(d.Caps, ",") != "camera,canvas" {
		t.Fatalf("commands %v (allowlist must drop bogus.cmd), caps %v", d.Commands, d.Caps)
	}

	// Pair: request → approve → verify.
	var rq protocol.NodePairRequestResult
	e.op.MustOK("node.pair.request", map[string]any{"nodeId": dev.ID, "displayName": "Test Phone", "platform": "ios"}, &rq)
	e.op.NextEvent("node.pair.requested")
	var ap protocol.NodePairApproveResult
	e.op.MustOK("node.pair.approve", map[string]any{"requestId": rq.Request.RequestID}, &ap)
	e.op.NextEvent("node.pair.resolved")
	var vr protocol.NodePairVerifyResult
	e.op.MustOK("node.pair.verify", map[string]any{"nodeId": dev.ID, "token": ap.Token}, &vr)
	if !vr.Ok {
		t.Fatal("verify with the issued token failed")
	}
	e.op.MustOK("node.pair.verify", map[string]any{"nodeId": dev.ID, "token": ap.Token + "x"}, &vr)
	if vr.Ok {
		t.Fatal("verify with a wrong token succeeded")
	}
	var list protocol.NodeListResult
	e.op.MustOK("node.list", nil, &list)
	if len(list.Nodes) != 1 || !list.Nodes[0].Paired || !list.Nodes[0].Connected {
		t.Fatalf("node.list: %+v", list.Nodes)
	}

	// Invoke round trip.
	_, res := e.op.Request("node.invoke", map[string]any{"nodeId": dev.ID, "command": "canvas.eval", "params": map[string]any{"javaScript": "1+1"}, "idempotencyKey": "k1"})
	ev := nextInvoke(t, node)
	if ev.Command != "canvas.eval" || ev.GetParamsJSON() != `{"javaScript":"1+1"}` || ev.TimeoutMs == nil || *ev.TimeoutMs != 30000 || ev.GetIdempotencyKey() != "k1" {
		t.Fatalf("invoke request: %+v", ev)
	}
	node.MustOK("node.invoke.result", map[string]any{"id": ev.ID, "nodeId": dev.ID, "ok": true, "payload": map[string]any{"result": 2}}, nil)
	f := <-res
	if !f.OK {
		t.Fatalf("invoke: %+v", f.Error)
	}
	var ir protocol.NodeInvokeResult
	_ = json.Unmarshal(f.Payload, &ir)
	if string(ir.Payload) != `{"result":2}` || ir.GetPayloadJSON() != `{"result":2}` || ir.Command != "canvas.eval" {
		t.Fatalf("invoke result: %s", f.Payload)
	}

	// A node failure surfaces as UNAVAILABLE with the node's error.
	_, res = e.op.Request("node.invoke", map[string]any{"nodeId": dev.ID, "command": "camera.snap", "idempotencyKey": "k-fail"})
	ev = nextInvoke(t, node)
	if ev.ParamsJSON != nil {
		t.Errorf("no params → no paramsJSON, got %q", *ev.ParamsJSON)
	}
	node.MustOK("node.invoke.result", map[string]any{"id": ev.ID, "nodeId": dev.ID, "ok": false, "error": map[string]any{"code": "CAMERA_DISABLED", "message": "camera disabled"}}, nil)
	if f := <-res; f.OK || f.Error.Code != "UNAVAILABLE" || f.Error.Message != "camera disabled" || !strings.Contains(string(f.Error.Details), "CAMERA_DISABLED") {
		t.Fatalf("node failure: %+v", f.Error)
	}

	// Commands outside the allowlist never reach the node.
	if f := e.op.Call("node.invoke", map[string]any{"nodeId": dev.ID, "command": "system.run", "idempotencyKey": "k-x"}); f.OK || f.Error.Message != "node command not allowed" {
		t.Fatalf("system.run on ios: %+v", f.Error)
	}
	// Only the node the request went to may answer, as itself.
	if f := node.Call("node.invoke.result", map[string]any{"id": "x", "nodeId": "someone-else", "ok": true}); f.OK || f.Error.Message != "nodeId mismatch" {
		t.Fatalf("foreign result: %+v", f.Error)
	}
	// Operators may not answer invocations.
	if f := e.op.Call("node.invoke.result", map[string]any{"id": "x", "nodeId": dev.ID, "ok": true}); f.OK {
		t.Fatal("operator answered an invocation")
	}
	// node.event is accepted from the node.
	node.MustOK("node.event", map[string]any{"event": "voice.transcript", "payload": map[string]any{"text": "hi"}}, nil)

	// Unknown node.
	if f := e.op.Call("node.invoke", map[string]any{"nodeId": "nobody", "command": "camera.snap", "idempotencyKey": "k-n"}); f.OK || f.Error.Code != "UNAVAILABLE" || f.Error.Message != "node not connected (nobody)" {
		t.Fatalf("unknown node: %+v", f.Error)
	}
}

func TestWSNodeInvokeTimeoutsAndDisconnect(t *testing.T) {
	e := startNodeEnv(t)
	dev := newDevice(t)
	node := e.connectNode(t, dev, []string{"camera.snap"})
	waitPresence(t, e.op, dev.ID, "node-connected")

	// timeoutMs 0 times out at once and sends nothing (§12.7).
	if f := e.op.Call("node.invoke", map[string]any{"nodeId": dev.ID, "command": "camera.snap", "timeoutMs": 0, "idempotencyKey": "t0"}); f.OK || f.Error.Message != "invoke timeout" {
		t.Fatalf("timeoutMs 0: %+v", f.Error)
	}
	// A node that does not answer in time.
	start := time.Now()
	f := e.op.Call("node.invoke", map[string]any{"nodeId": dev.ID, "command": "camera.snap", "timeoutMs": 150, "idempotencyKey": "t1"})
	if f.OK || f.Error.Code != "UNAVAILABLE" || f.Error.Message != "invoke timeout" {
		t.Fatalf("timeout: %+v", f.Error)
	}
	if el := time.Since(start); el < 150*time.Millisecond {
		t.Fatalf("timed out after %v, before the 150 ms timeout", el)
	}
	ev := nextInvoke(t, node)
	if ev.TimeoutMs == nil || *ev.TimeoutMs != 150 {
		t.Fatalf("the node is told the timeout: %+v", ev)
	}
	// The late answer is acknowledged and dropped.
	node.MustOK("node.invoke.result", map[string]any{"id": ev.ID, "nodeId": dev.ID, "ok": true}, nil)
	if e.reg.Pending() != 0 {
		t.Fatalf("pending = %d after timeout", e.reg.Pending())
	}

	// Disconnect mid-invoke fails the call at once, not after its 60 s timeout.
	_, res := e.op.Request("node.invoke", map[string]any{"nodeId": dev.ID, "command": "camera.snap", "timeoutMs": 60000, "idempotencyKey": "d1"})
	nextInvoke(t, node)
	start = time.Now()
	_ = node.WS.NetConn().Close()
	select {
	case f := <-res:
		if f.OK || f.Error.Code != "UNAVAILABLE" || f.Error.Message != "node disconnected" {
			t.Fatalf("disconnect: %+v", f.Error)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("invoke still waiting after the node disconnected")
	}
	t.Logf("failed %v after the disconnect", time.Since(start))
	waitPresence(t, e.op, dev.ID, "node-disconnected")
	// Never paired, no longer connected: unknown.
	if f := e.op.Call("node.describe", map[string]any{"nodeId": dev.ID}); f.OK || f.Error.Message != "unknown nodeId" {
		t.Fatalf("describe after disconnect: %s %+v", f.Payload, f.Error)
	}
	// A retry with the same key runs again (the node never answered the first).
	node2 := e.connectNode(t, dev, []string{"camera.snap"})
	_, res = e.op.Request("node.invoke", map[string]any{"nodeId": dev.ID, "command": "camera.snap", "idempotencyKey": "d1"})
	ev = nextInvoke(t, node2)
	node2.MustOK("node.invoke.result", map[string]any{"id": ev.ID, "nodeId": dev.ID, "ok": true, "payloadJSON": "not json"}, nil)
	f = <-res
	if !f.OK || !strings.Contains(string(f.Payload), `"payload":{"payloadJSON":"not json"}`) {
		t.Fatalf("retry after disconnect: %s %+v", f.Payload, f.Error)
	}
}

func TestWSNodeDuplicateInvokeRunsOnce(t *testing.T) {
	e := startNodeEnv(t)
	dev := newDevice(t)
	node := e.connectNode(t, dev, []string{"camera.snap"})
	params := map[string]any{"nodeId": dev.ID, "command": "camera.snap", "idempotencyKey": "same"}
	_, r1 := e.op.Request("node.invoke", params)
	ev := nextInvoke(t, node)
	// A concurrent duplicate from another operator waits for the same run.
	op2 := dial(t, e.g.url)
	op2.Handshake(v3Connect(map[string]any{"auth": map[string]any{"token": e.token}}))
	_, r2 := op2.Request("node.invoke", params)
	waitFor(t, func() bool { return e.reg.Duplicates() == 1 })
	node.MustOK("node.invoke.result", map[string]any{"id": ev.ID, "nodeId": dev.ID, "ok": true, "payloadJSON": `{"n":1}`}, nil)
	a, b := <-r1, <-r2
	if !a.OK || !b.OK || string(a.Payload) != string(b.Payload) {
		t.Fatalf("duplicates differ: %s / %s", a.Payload, b.Payload)
	}
	// After completion the remembered result comes back without a second run.
	var again protocol.NodeInvokeResult
	e.op.MustOK("node.invoke", params, &again)
	if string(again.Payload) != `{"n":1}` {
		t.Fatalf("remembered: %+v", again)
	}
	// The key with another command is refused rather than answered wrongly.
	if f := e.op.Call("node.invoke", map[string]any{"nodeId": dev.ID, "command": "camera.clip", "idempotencyKey": "same"}); f.OK || f.Error.Message != live.MsgKeyReused {
		t.Fatalf("key reuse: %+v", f.Error)
	}
	// The node saw exactly one request: the next one it gets is a new key's.
	_, r3 := e.op.Request("node.invoke", map[string]any{"nodeId": dev.ID, "command": "camera.snap", "idempotencyKey": "other"})
	if ev := nextInvoke(t, node); ev.GetIdempotencyKey() != "other" {
		t.Fatalf("the node ran the duplicate: %+v", ev)
	} else {
		node.MustOK("node.invoke.result", map[string]any{"id": ev.ID, "nodeId": dev.ID, "ok": true}, nil)
	}
	if f := <-r3; !f.OK {
		t.Fatalf("other: %+v", f.Error)
	}
}

func TestWSNodeWrongTokenRefusedAndPairingSurvivesRestart(t *testing.T) {
	e := startNodeEnv(t)
	dev := newDevice(t)
	// A node with a wrong gateway token never joins.
	n := dial(t, e.g.url)
	nonce := n.Challenge()
	_, ch := n.Request("connect", map[string]any{
		"minProtocol": 3, "maxProtocol": 3, "role": "node",
		"client": map[string]any{"id": "clawdbot-ios", "version": "1", "platform": "ios", "mode": "node"},
		"auth":   map[string]any{"token": "wrong"},
		"device": dev.Sign("clawdbot-ios", "node", "node", nil, time.Now(), "wrong", nonce),
	})
	// The refusal and the close race in the test client; either proves it.
	select {
	case f := <-ch:
		if f.OK {
			t.Fatal("node with a wrong token accepted")
		}
	case ce := <-n.Closed:
		n.Closed <- ce
	case <-time.After(10 * time.Second):
		t.Fatal("no answer to a wrong-token connect")
	}
	n.WaitClose()
	if len(e.reg.List()) != 0 {
		t.Fatalf("refused node registered: %+v", e.reg.List())
	}

	var rq protocol.NodePairRequestResult
	e.op.MustOK("node.pair.request", map[string]any{"nodeId": dev.ID}, &rq)
	var ap protocol.NodePairApproveResult
	e.op.MustOK("node.pair.approve", map[string]any{"requestId": rq.Request.RequestID}, &ap)
	var rj protocol.NodePairRequestResult
	e.op.MustOK("node.pair.request", map[string]any{"nodeId": "other-node"}, &rj)
	e.op.MustOK("node.pair.reject", map[string]any{"requestId": rj.Request.RequestID}, nil)

	// A new gateway over a new store on the same state dir.
	st2, err := nodes.OpenStore(nodes.StoreOptions{StateDir: e.dir})
	if err != nil {
		t.Fatal(err)
	}
	g2 := startGateway(t, Options{Nodes: st2, LiveNodes: live.New(live.Options{})})
	op := dial(t, g2.url)
	op.Handshake(v3Connect(nil))
	var vr protocol.NodePairVerifyResult
	op.MustOK("node.pair.verify", map[string]any{"nodeId": dev.ID, "token": ap.Token}, &vr)
	if !vr.Ok {
		t.Fatal("pairing lost across the restart")
	}
	var list protocol.NodePairListResult
	op.MustOK("node.pair.list", nil, &list)
	if len(list.Pending) != 0 || len(list.Paired) != 1 {
		t.Fatalf("after restart: %+v", list)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
