package daemon

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/bridge"
)

// bridgeNode is a v2 bridge client over a real TCP socket (JSON lines).
type bridgeNode struct {
	t  *testing.T
	c  net.Conn
	sc *bufio.Scanner
}

func dialBridge(t *testing.T, port int) *bridgeNode {
	t.Helper()
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	sc := bufio.NewScanner(c)
	sc.Buffer(nil, 16<<20)
	return &bridgeNode{t: t, c: c, sc: sc}
}

func (n *bridgeNode) send(v any) {
	n.t.Helper()
	b, _ := json.Marshal(v)
	if _, err := n.c.Write(append(b, '\n')); err != nil {
		n.t.Fatal(err)
	}
}

// next reads frames until one of type typ (pings and events are skipped).
func (n *bridgeNode) next(typ string) bridge.Frame {
	n.t.Helper()
	_ = n.c.SetReadDeadline(time.Now().Add(30 * time.Second))
	for n.sc.Scan() {
		f, err := bridge.ParseLine(n.sc.Bytes())
		if err != nil {
			n.t.Fatalf("bad line %q: %v", n.sc.Text(), err)
		}
		if f.Type == typ {
			return f
		}
		if f.Type == bridge.TypeError {
			n.t.Fatalf("bridge error: %+v", f)
		}
	}
	n.t.Fatalf("bridge closed before %s: %v", typ, n.sc.Err())
	return bridge.Frame{}
}

// call sends a req and returns the res.
func (n *bridgeNode) call(id, method string, params any) bridge.Frame {
	n.t.Helper()
	b, _ := json.Marshal(params)
	n.send(map[string]any{"type": "req", "id": id, "method": method, "paramsJSON": string(b)})
	f := n.next(bridge.TypeRes)
	if f.ID != id {
		n.t.Fatalf("res for %s, want %s", f.ID, id)
	}
	return f
}

// TestBridgeChat: a paired bridge node gets the wake words right after hello-ok,
// subscribes to the main session's chat, runs chat.send (acknowledged at once, as
// the original's bridge did), sees the run's chat events as event frames, reads the
// answer with chat.history, lists sessions and
// models over the TCP bridge, as the original's bridge allowed; methods outside the
// bridge allowlist stay forbidden.
func TestBridgeChat(t *testing.T) {
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	if err := os.MkdirAll(ws, 0o700); err != nil {
		t.Fatal(err)
	}
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep { return fakeStep{text: "bridge answer"} })
	port := freePort(t)
	r := startHome(t, home, agentConfigWith(ws, model, nil, fmt.Sprintf(`bridge: {enabled: true, port: %d},`, port)), nil)
	op := r.client(t)

	n := dialBridge(t, port)
	n.send(map[string]any{"type": "pair-request", "nodeId": "ios-1", "displayName": "Phone", "platform": "ios", "version": "2.0"})
	var req protocol.PendingNodeRequest
	if err := json.Unmarshal(op.NextEvent("node.pair.requested").Payload, &req); err != nil {
		t.Fatal(err)
	}
	op.MustOK("node.pair.approve", map[string]any{"requestId": req.RequestID}, nil)
	n.next(bridge.TypePairOk)
	n.next(bridge.TypeHelloOk)
	// Right after hello-ok: the wake words, as an event frame.
	if ev := n.next(bridge.TypeEvent); ev.Event != "voicewake.changed" || ev.PayloadJSON == nil || !strings.Contains(*ev.PayloadJSON, `"clawd"`) {
		t.Fatalf("first event %+v", ev)
	}
	// The node subscribes to the main session's chat (a node → gateway event frame).
	n.send(map[string]any{"type": "event", "event": "chat.subscribe", "payloadJSON": `{"sessionKey":"main"}`})

	res := n.call("1", "chat.send", map[string]any{"sessionKey": "main", "message": "hello over the bridge", "idempotencyKey": "b-1"})
	if res.Ok == nil || !*res.Ok || res.PayloadJSON == nil || !strings.Contains(*res.PayloadJSON, `"runId":"b-1"`) || !strings.Contains(*res.PayloadJSON, `"status":"started"`) {
		t.Fatalf("chat.send over the bridge: %+v %+v", res, res.Error)
	}
	// The run's chat stream reaches the node as event frames, ending with the final.
	for {
		ev := n.next(bridge.TypeEvent)
		if ev.Event != "chat" || ev.PayloadJSON == nil {
			continue
		}
		var ce protocol.ChatEvent
		if err := json.Unmarshal([]byte(*ev.PayloadJSON), &ce); err != nil {
			t.Fatal(err)
		}
		if ce.RunID == "b-1" && ce.State == protocol.ChatEventStateFinal {
			if !strings.Contains(string(ce.Message), "bridge answer") {
				t.Fatalf("final chat event %s", *ev.PayloadJSON)
			}
			break
		}
	}
	// The node reads the answer with chat.history once the run has ended.
	for i := 0; ; i++ {
		res = n.call(fmt.Sprintf("h%d", i), "chat.history", map[string]any{"sessionKey": "main"})
		if res.Ok == nil || !*res.Ok || !strings.Contains(*res.PayloadJSON, "hello over the bridge") {
			t.Fatalf("chat.history over the bridge: %+v %+v", res, res.Error)
		}
		if strings.Contains(*res.PayloadJSON, "bridge answer") {
			break
		}
		if i == 500 {
			t.Fatalf("no answer in the history: %s", *res.PayloadJSON)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A repeated idempotencyKey gets the run's outcome, not a second run.
	if res = n.call("dup", "chat.send", map[string]any{"sessionKey": "main", "message": "hello over the bridge", "idempotencyKey": "b-1"}); res.Ok == nil || !*res.Ok || !strings.Contains(*res.PayloadJSON, `"status":"ok"`) {
		t.Fatalf("repeated chat.send: %+v %+v", res, res.Error)
	}
	res = n.call("3", "sessions.list", map[string]any{})
	if res.Ok == nil || !*res.Ok || !strings.Contains(*res.PayloadJSON, "agent:main:main") {
		t.Fatalf("sessions.list over the bridge: %+v %+v", res, res.Error)
	}
	res = n.call("models", "models.list", map[string]any{})
	if res.Ok == nil || !*res.Ok || !strings.Contains(*res.PayloadJSON, `"models"`) {
		t.Fatalf("models.list over the bridge: %+v %+v", res, res.Error)
	}
	res = n.call("4", "send", map[string]any{"to": "x", "message": "y", "idempotencyKey": "s"})
	if res.Ok == nil || *res.Ok || res.Error == nil || res.Error.Code != bridge.CodeForbidden {
		t.Fatalf("send over the bridge: %+v %+v", res, res.Error)
	}
}
