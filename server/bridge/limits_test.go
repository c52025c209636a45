package bridge

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// dialFrom dials the bridge from a given loopback source address (127.0.0.2, …:
// every one is local), so per-address limits can be tested on one machine.
func (e *env) dialFrom(src string) *testNode {
	e.t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	c, err := d.Dial("tcp", e.addr)
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
				n.lines <- Frame{Type: typeEOF, Message: err.Error()}
				return
			}
			n.lines <- f
		}
		n.lines <- Frame{Type: typeEOF, Message: "eof"}
	}()
	e.t.Cleanup(func() { _ = c.Close() })
	return n
}

// TestBridgePreAuthLineLimit (issue 15 #3): before authenticating a node may send only
// small lines; an authenticated node gets the full limit.
func TestBridgePreAuthLineLimit(t *testing.T) {
	e := startEnv(t, func(o *Options) { o.MaxLineBytes = 1 << 20; o.MaxPreAuthLineBytes = 4096 })
	n := e.dial()
	n.c.Write([]byte(`{"type":"pair-request","nodeId":"` + strings.Repeat("x", 5000) + "\"}\n"))
	n.expectError(CodeInvalidRequest, "frame too large (max 4096 bytes)")
	n.waitEOF()
	// Endless input without a newline is cut at the pre-auth limit too.
	n2 := e.dial()
	go func() { _, _ = n2.c.Write([]byte(strings.Repeat("y", 1<<20))) }()
	n2.expectError(CodeInvalidRequest, "frame too large (max 4096 bytes)")
	n2.waitEOF()
	// Authenticated: a 100 KiB event is fine.
	n3 := e.dial()
	e.pair(n3)
	payload, _ := json.Marshal(strings.Repeat("z", 100<<10))
	n3.send(map[string]any{"type": "event", "event": "big", "payloadJSON": string(payload)})
	n3.send(map[string]any{"type": "ping", "id": "after"})
	if f := n3.expect(TypePong); f.ID != "after" {
		t.Fatalf("pong %+v", f)
	}
}

// TestBridgePerAddressLimit (issue 15 #3): one address may hold only a few
// unauthenticated connections; other addresses still get in, and a connection that
// authenticates stops counting.
func TestBridgePerAddressLimit(t *testing.T) {
	e := startEnv(t, func(o *Options) { o.MaxUnauthPerAddr = 2 })
	a := e.dialFrom("127.0.0.3")
	e.dialFrom("127.0.0.3")
	waitFor(t, func() bool { return e.srv.Conns() == 2 })
	over := e.dialFrom("127.0.0.3")
	over.expectError(CodeUnavailable, "too many unauthenticated bridge connections from this address")
	over.waitEOF()
	e.dialFrom("127.0.0.4").send(map[string]any{"type": "ping", "id": "p"})
	// a authenticates: its address gets a slot back.
	e.pair(a)
	n := e.dialFrom("127.0.0.3")
	n.send(map[string]any{"type": "ping", "id": "p"})
	n.expectError(CodeUnauthorized, "not authenticated")
}

// TestBridgePairWaitsBounded (issue 15 #3): only MaxPairWaits connections may wait
// for a pairing decision at once; a decision frees a place.
func TestBridgePairWaitsBounded(t *testing.T) {
	e := startEnv(t, func(o *Options) { o.MaxPairWaits = 2 })
	for i, src := range []string{"127.0.0.5", "127.0.0.6"} {
		n := e.dialFrom(src)
		n.send(map[string]any{"type": "pair-request", "nodeId": "waiter-" + src})
		select {
		case <-e.events:
		case <-time.After(10 * time.Second):
			t.Fatalf("waiter %d: no request", i)
		}
	}
	third := e.dialFrom("127.0.0.7")
	third.send(map[string]any{"type": "pair-request", "nodeId": "third"})
	third.expectError(CodeUnavailable, "too many pairing requests waiting; retry later")
	list := e.st.List()
	if len(list.Pending) != 2 {
		t.Fatalf("pending %+v", list.Pending)
	}
	if _, err := e.st.Reject(list.Pending[0].RequestID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		e.srv.mu.Lock()
		defer e.srv.mu.Unlock()
		return e.srv.pairWaits == 1
	})
	third.send(map[string]any{"type": "pair-request", "nodeId": "third"})
	select {
	case <-e.events:
	case <-time.After(10 * time.Second):
		t.Fatal("pair-request after a decision was not stored")
	}
}

var _ = io.EOF
