package bridge

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/nodes"
	"github.com/clawgate/gateway/server/nodes/live"
	"github.com/clawgate/gateway/tools/protogen/runtime/wire"
)

type env struct {
	t      *testing.T
	dir    string
	st     *nodes.Store
	reg    *live.Registry
	srv    *Server
	addr   string
	events chan protocol.Event
}

func startEnv(t *testing.T, mod func(*Options)) *env {
	t.Helper()
	dir := t.TempDir()
	return startEnvDir(t, dir, mod)
}

func startEnvDir(t *testing.T, dir string, mod func(*Options)) *env {
	t.Helper()
	st, err := nodes.OpenStore(nodes.StoreOptions{StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	reg := live.New(live.Options{})
	t.Cleanup(reg.Close)
	e := &env{t: t, dir: dir, st: st, reg: reg, events: make(chan protocol.Event, 100)}
	o := Options{Store: st, Live: reg, ServerName: "test-gw", Broadcast: func(ev protocol.Event) { e.events <- ev }}
	if mod != nil {
		mod(&o)
	}
	srv, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	e.srv, e.addr = srv, ln.Addr().String()
	return e
}

// testNode is a bridge client speaking JSONL over a real TCP socket.
type testNode struct {
	t     *testing.T
	c     net.Conn
	lines chan Frame // in order; the end of the stream is a frame of type typeEOF
}

const typeEOF = "<eof>"

func (e *env) dial() *testNode {
	e.t.Helper()
	c, err := net.Dial("tcp", e.addr)
	if err != nil {
		e.t.Fatal(err)
	}
	n := &testNode{t: e.t, c: c, lines: make(chan Frame, 100)}
	go func() {
		sc := bufio.NewScanner(c)
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			f, err := ParseLine(sc.Bytes())
			if err != nil {
				n.lines <- Frame{Type: typeEOF, Message: "unparseable: " + err.Error()}
				return
			}
			n.lines <- f
		}
		err := sc.Err()
		if err == nil {
			err = io.EOF
		}
		n.lines <- Frame{Type: typeEOF, Message: err.Error()}
	}()
	e.t.Cleanup(func() { _ = c.Close() })
	return n
}

func (n *testNode) send(v any) {
	n.t.Helper()
	b, _ := json.Marshal(v)
	if _, err := n.c.Write(append(b, '\n')); err != nil {
		n.t.Fatalf("write: %v", err)
	}
}

func (n *testNode) next() Frame {
	n.t.Helper()
	select {
	case f := <-n.lines:
		if f.Type == typeEOF {
			n.t.Fatalf("connection ended: %s", f.Message)
		}
		return f
	case <-time.After(10 * time.Second):
		n.t.Fatal("no frame")
	}
	return Frame{}
}

func (n *testNode) expect(typ string) Frame {
	n.t.Helper()
	f := n.next()
	if f.Type != typ {
		n.t.Fatalf("got %+v, want %s", f, typ)
	}
	return f
}

func (n *testNode) expectError(code, msg string) {
	n.t.Helper()
	f := n.expect(TypeError)
	if f.Code != code || f.Message != msg {
		n.t.Fatalf("error = %s %q, want %s %q", f.Code, f.Message, code, msg)
	}
}

func (n *testNode) waitEOF() {
	n.t.Helper()
	for {
		select {
		case f := <-n.lines:
			if f.Type == typeEOF {
				return
			}
		case <-time.After(10 * time.Second):
			n.t.Fatal("connection not closed")
		}
	}
}

var phone = map[string]any{"nodeId": "ios-1", "displayName": "Phone", "platform": "ios", "version": "2.0", "deviceFamily": "iPhone",
	"modelIdentifier": "iPhone17,1", "commands": []string{"camera.snap", "canvas.eval"}}

func with(m map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// pair runs pair-request → operator approval → pair-ok + hello-ok; it returns the token.
func (e *env) pair(n *testNode) string {
	e.t.Helper()
	n.send(with(phone, "type", "pair-request"))
	var req *protocol.PendingNodeRequest
	select {
	case ev := <-e.events:
		req = ev.(*protocol.PendingNodeRequest)
	case <-time.After(10 * time.Second):
		e.t.Fatal("no node.pair.requested broadcast")
	}
	if req.NodeID != "ios-1" || req.GetDisplayName() != "Phone" {
		e.t.Fatalf("request: %+v", req)
	}
	if _, _, err := e.st.Approve(req.RequestID); err != nil {
		e.t.Fatal(err)
	}
	tok := n.expect(TypePairOk).Token
	if f := n.expect(TypeHelloOk); f.ServerName != "test-gw" {
		e.t.Fatalf("hello-ok: %+v", f)
	}
	return tok
}

func (e *env) invoke(p live.InvokeParams) chan error {
	ch := make(chan error, 1)
	go func() {
		res, err := e.reg.Invoke(context.Background(), p)
		if err == nil && wire.Val(res.PayloadJSON) != `{"ok":1}` {
			err = errors.New("unexpected payload " + wire.Val(res.PayloadJSON))
		}
		ch <- err
	}()
	return ch
}

func waitErr(t *testing.T, ch chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(15 * time.Second):
		t.Fatal("invoke still waiting")
	}
	return nil
}

func errMsg(err error) string {
	var le *live.Error
	if errors.As(err, &le) {
		return le.Message
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestBridgePairApproveVerifyInvoke(t *testing.T) {
	e := startEnv(t, nil)
	n := e.dial()
	tok := e.pair(n)
	if _, ok := e.st.Verify("ios-1", tok); !ok {
		t.Fatal("issued token does not verify")
	}
	live1, ok := e.reg.Get("ios-1")
	if !ok || live1.Transport != live.TransportBridge || live1.DeviceFamily != "iPhone" || strings.Join(live1.Caps, ",") != "camera,canvas" {
		t.Fatalf("live node: %+v %v", live1, ok)
	}

	ch := e.invoke(live.InvokeParams{NodeID: "ios-1", Command: "canvas.eval", Params: json.RawMessage(`{"javaScript":"1"}`), IdempotencyKey: "a"})
	inv := n.expect(TypeInvoke)
	if inv.Command != "canvas.eval" || wire.Val(inv.ParamsJSON) != `{"javaScript":"1"}` || inv.ID == "" {
		t.Fatalf("invoke frame: %+v", inv)
	}
	n.send(map[string]any{"type": "invoke-res", "id": inv.ID, "ok": true, "payloadJSON": `{"ok":1}`})
	if err := waitErr(t, ch); err != nil {
		t.Fatal(err)
	}
	// ping/pong and node events after authentication.
	n.send(map[string]any{"type": "ping", "id": "p1"})
	if f := n.expect(TypePong); f.ID != "p1" {
		t.Fatalf("pong: %+v", f)
	}
	n.send(map[string]any{"type": "req", "id": "r1", "method": "system.run"})
	if f := n.expect(TypeRes); f.Ok == nil || *f.Ok || f.Error.Code != "FORBIDDEN" {
		t.Fatalf("forbidden req: %+v", f)
	}

	// Reconnecting with the token replaces the old connection.
	n2 := e.dial()
	n2.send(with(phone, "type", "hello", "token", tok))
	n2.expect(TypeHelloOk)
	n.waitEOF()
	if _, ok := e.reg.Get("ios-1"); !ok {
		t.Fatal("the replacement must stay registered when the old socket closes")
	}
	n2.c.Close()
	waitFor(t, func() bool { _, ok := e.reg.Get("ios-1"); return !ok })
}

func TestBridgePairReject(t *testing.T) {
	e := startEnv(t, nil)
	n := e.dial()
	n.send(with(phone, "type", "pair-request"))
	req := (<-e.events).(*protocol.PendingNodeRequest)
	if _, err := e.st.Reject(req.RequestID); err != nil {
		t.Fatal(err)
	}
	n.expectError(CodeUnauthorized, "pairing rejected")
	if _, ok := e.st.Paired("ios-1"); ok {
		t.Fatal("rejected node is paired")
	}
	// The connection stays open and unauthenticated.
	n.send(map[string]any{"type": "ping", "id": "x"})
	n.expectError(CodeUnauthorized, "not authenticated")
}

func TestBridgePairExpires(t *testing.T) {
	e := startEnv(t, func(o *Options) { o.PairTimeout = 100 * time.Millisecond })
	n := e.dial()
	n.send(with(phone, "type", "pair-request"))
	n.expectError(CodeUnauthorized, "pairing expired")
}

func TestBridgeWrongTokenRefused(t *testing.T) {
	e := startEnv(t, nil)
	tok := e.pair(e.dial())
	n := e.dial()
	n.send(with(phone, "type", "hello"))
	n.expectError(CodeUnauthorized, "pairing required")
	n.send(with(phone, "type", "hello", "nodeId", "stranger"))
	n.expectError(CodeNotPaired, "pairing required")
	n.send(with(phone, "type", "hello", "nodeId", " "))
	n.expectError(CodeInvalidRequest, "nodeId required")
	for i := 1; i <= MaxAuthFailures; i++ {
		n.send(with(phone, "type", "hello", "token", tok+"x"))
		n.expectError(CodeUnauthorized, "invalid token")
	}
	n.waitEOF() // closed after MaxAuthFailures
	// The paired node itself is untouched.
	if _, ok := e.st.Verify("ios-1", tok); !ok {
		t.Fatal("token stopped working")
	}
}

func TestBridgeInvokeTimeoutAndDisconnect(t *testing.T) {
	e := startEnv(t, nil)
	n := e.dial()
	e.pair(n)
	short := 100 * time.Millisecond
	err := waitErr(t, e.invoke(live.InvokeParams{NodeID: "ios-1", Command: "camera.snap", Timeout: &short}))
	if errMsg(err) != live.MsgTimeout {
		t.Fatalf("timeout: %v", err)
	}
	late := n.expect(TypeInvoke)
	n.send(map[string]any{"type": "invoke-res", "id": late.ID, "ok": true}) // ignored

	long := time.Minute
	ch := e.invoke(live.InvokeParams{NodeID: "ios-1", Command: "camera.snap", Timeout: &long})
	n.expect(TypeInvoke)
	start := time.Now()
	n.c.Close()
	if err := waitErr(t, ch); errMsg(err) != live.MsgDisconnected {
		t.Fatalf("disconnect: %v", err)
	}
	t.Logf("failed %v after the disconnect", time.Since(start))
	if e.reg.Pending() != 0 {
		t.Fatalf("pending = %d", e.reg.Pending())
	}
}

func TestBridgeDuplicateInvokeRunsOnce(t *testing.T) {
	e := startEnv(t, nil)
	n := e.dial()
	e.pair(n)
	p := live.InvokeParams{NodeID: "ios-1", Command: "camera.snap", IdempotencyKey: "dup"}
	a := e.invoke(p)
	inv := n.expect(TypeInvoke)
	b := e.invoke(p)
	waitFor(t, func() bool { return e.reg.Duplicates() == 1 })
	n.send(map[string]any{"type": "invoke-res", "id": inv.ID, "ok": true, "payloadJSON": `{"ok":1}`})
	if err := waitErr(t, a); err != nil {
		t.Fatal(err)
	}
	if err := waitErr(t, b); err != nil {
		t.Fatal(err)
	}
	if err := waitErr(t, e.invoke(p)); err != nil {
		t.Fatal(err)
	}
	// No second invoke frame reached the node: the next frame is the pong.
	n.send(map[string]any{"type": "ping", "id": "after"})
	if f := n.next(); f.Type != TypePong {
		t.Fatalf("the node got a duplicate: %+v", f)
	}
}

func TestBridgePairingSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	e := startEnvDir(t, dir, nil)
	tok := e.pair(e.dial())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.srv.Close(ctx); err != nil {
		t.Fatal(err)
	}
	e2 := startEnvDir(t, dir, nil) // new store, new registry, new bridge
	n := e2.dial()
	n.send(with(phone, "type", "hello", "token", tok))
	n.expect(TypeHelloOk)
	if _, ok := e2.reg.Get("ios-1"); !ok {
		t.Fatal("not connected after restart")
	}
}

func TestBridgeOversizedLineAndLimits(t *testing.T) {
	const max = 1024
	e := startEnv(t, func(o *Options) { o.MaxLineBytes = max })
	n := e.dial()
	// Exactly at the limit: parsed.
	line := `{"type":"ping","id":"x"}`
	n.c.Write([]byte(line + strings.Repeat(" ", max-len(line)) + "\n"))
	n.expectError(CodeUnauthorized, "not authenticated")
	// One byte over: a clear error, then close.
	n.c.Write([]byte(line + strings.Repeat(" ", max+1-len(line)) + "\n"))
	n.expectError(CodeInvalidRequest, "frame too large (max 1024 bytes)")
	n.waitEOF()
	// No newline at all, endless: same.
	n2 := e.dial()
	n2.c.Write([]byte(strings.Repeat("x", 4*max)))
	n2.expectError(CodeInvalidRequest, "frame too large (max 1024 bytes)")
	n2.waitEOF()
}

func TestBridgeFramesBeforeAuth(t *testing.T) {
	e := startEnv(t, nil)
	n := e.dial()
	n.c.Write([]byte("\n   \n")) // blank lines are skipped
	for _, c := range []struct {
		send     string
		code     string
		contains string
	}{
		{`{"type":"event","event":"voice.transcript"}`, CodeUnauthorized, "not authenticated"},
		{`{"type":"invoke","id":"1","command":"x"}`, CodeInvalidRequest, "invoke not allowed from node"},
		{`{"type":"res","id":"1","ok":true}`, CodeInvalidRequest, "res not allowed from node"},
		{`{"type":"bogus"}`, CodeInvalidRequest, "unknown type"},
		{`{"type":`, CodeInvalidRequest, "invalid JSON"},
		{`[1,2]`, CodeInvalidRequest, "frame must be a JSON object"},
		{`{"type":"invoke-res","id":"1","ok":true}`, CodeUnauthorized, "not authenticated"},
	} {
		n.c.Write([]byte(c.send + "\n"))
		f := n.expect(TypeError)
		if f.Code != c.code || !strings.Contains(f.Message, c.contains) {
			t.Errorf("%s → %s %q", c.send, f.Code, f.Message)
		}
	}
	n.c.Write([]byte(`{"type":"req","id":"r","method":"health"}` + "\n"))
	if f := n.expect(TypeRes); f.ID != "r" || f.Ok == nil || *f.Ok || f.Error.Code != CodeUnauthorized {
		t.Fatalf("req before auth: %+v", f)
	}
}

func TestBridgeHandshakeTimeoutAndMaxConns(t *testing.T) {
	e := startEnv(t, func(o *Options) { o.HandshakeTimeout = 200 * time.Millisecond; o.MaxConns = 2 })
	a, b := e.dial(), e.dial()
	waitFor(t, func() bool { return e.srv.Conns() == 2 })
	c := e.dial()
	c.expectError(CodeUnavailable, "too many bridge connections")
	c.waitEOF()
	// Silent connections are dropped after the handshake timeout.
	a.waitEOF()
	b.waitEOF()
	waitFor(t, func() bool { return e.srv.Conns() == 0 })
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

func TestBridgeIdleTimeoutUnregisters(t *testing.T) {
	e := startEnv(t, func(o *Options) { o.IdleTimeout = time.Second })
	n := e.dial()
	e.pair(n)
	// Pings keep it alive past the idle timeout…
	for i := 0; i < 6; i++ {
		time.Sleep(250 * time.Millisecond) // simulated node activity, well inside the 1 s
		n.send(map[string]any{"type": "ping", "id": "k"})
		n.expect(TypePong)
	}
	if _, ok := e.reg.Get("ios-1"); !ok {
		t.Fatal("a pinging node was dropped")
	}
	// …silence does not.
	n.waitEOF()
	waitFor(t, func() bool { _, ok := e.reg.Get("ios-1"); return !ok })
}
