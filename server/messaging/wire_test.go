package messaging_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lxzan/gws"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/core"
	"github.com/clawgate/gateway/server/gateway"
)

// startGateway runs a real gateway on a loopback port with setup applied before Serve.
func startGateway(t *testing.T, stateDir string, setup func(*gateway.Server)) string {
	t.Helper()
	s, err := gateway.New(gateway.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), StateDir: stateDir})
	if err != nil {
		t.Fatal(err)
	}
	core.Serve(s)
	setup(s)
	ln, err := gateway.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		_ = s.Shutdown(t.Context(), "test over", 0)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return")
		}
	})
	return "ws://" + ln.Addr().String()
}

type frame struct {
	Type    string               `json:"type"`
	ID      string               `json:"id"`
	OK      bool                 `json:"ok"`
	Payload json.RawMessage      `json:"payload"`
	Error   *protocol.ErrorShape `json:"error"`
	raw     []byte
}

// client is a WebSocket client that checks every successful result against its
// method's result schema.
type client struct {
	t       *testing.T
	ws      *gws.Conn
	mu      sync.Mutex
	pending map[string]string
	waiters map[string]chan *frame
	next    atomic.Int64
}

func dial(t *testing.T, url string, v int) *client {
	t.Helper()
	c := &client{t: t, pending: map[string]string{}, waiters: map[string]chan *frame{}}
	ws, _, err := gws.NewClient(c, &gws.ClientOption{Addr: url, ReadMaxPayloadSize: 16 << 20})
	if err != nil {
		t.Fatal(err)
	}
	c.ws = ws
	go ws.ReadLoop()
	t.Cleanup(func() { _ = ws.NetConn().Close() })
	p := map[string]any{"minProtocol": v, "maxProtocol": v}
	if v == 2 {
		p["client"] = map[string]any{"name": "test-client", "version": "1.0.0", "platform": "linux", "mode": "backend", "instanceId": "i1"}
	} else {
		p["client"] = map[string]any{"id": "test", "version": "1.0.0", "platform": "linux", "mode": "test"}
	}
	if f := c.call("connect", p); !f.OK {
		t.Fatalf("connect: %s", f.raw)
	}
	return c
}

func (c *client) OnOpen(*gws.Conn)              {}
func (c *client) OnClose(*gws.Conn, error)      {}
func (c *client) OnPing(ws *gws.Conn, p []byte) { _ = ws.WritePong(p) }
func (c *client) OnPong(*gws.Conn, []byte)      {}
func (c *client) OnMessage(_ *gws.Conn, m *gws.Message) {
	b := append([]byte(nil), m.Bytes()...)
	_ = m.Close()
	var f frame
	if err := json.Unmarshal(b, &f); err != nil {
		c.t.Errorf("bad frame %s", b)
		return
	}
	f.raw = b
	if f.Type != "res" {
		return
	}
	c.mu.Lock()
	method, w := c.pending[f.ID], c.waiters[f.ID]
	delete(c.waiters, f.ID)
	c.mu.Unlock()
	if f.OK && method != "" && method != "connect" && len(f.Payload) > 0 {
		if err, known := protocol.Validate("methods/"+method+".json#/$defs/result", f.Payload); !known || err != nil {
			c.t.Errorf("%s result breaks its schema (known=%v): %v\n%s", method, known, err, f.Payload)
		}
	}
	if w != nil {
		w <- &f
	}
}

func (c *client) request(method string, params any) chan *frame {
	id := fmt.Sprintf("r%d", c.next.Add(1))
	ch := make(chan *frame, 1)
	c.mu.Lock()
	c.pending[id], c.waiters[id] = method, ch
	c.mu.Unlock()
	b, _ := json.Marshal(map[string]any{"type": "req", "id": id, "method": method, "params": params})
	if err := c.ws.WriteMessage(gws.OpcodeText, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
	return ch
}

func wait(t *testing.T, ch chan *frame) *frame {
	t.Helper()
	select {
	case f := <-ch:
		return f
	case <-time.After(15 * time.Second):
		t.Fatal("no response")
	}
	return nil
}

func (c *client) call(method string, params any) *frame {
	c.t.Helper()
	return wait(c.t, c.request(method, params))
}

func (c *client) ok(method string, params, out any) {
	c.t.Helper()
	f := c.call(method, params)
	if !f.OK {
		c.t.Fatalf("%s failed: %s", method, f.raw)
	}
	if out != nil {
		if err := json.Unmarshal(f.Payload, out); err != nil {
			c.t.Fatal(err)
		}
	}
}

func (c *client) fail(method string, params any, code string) *protocol.ErrorShape {
	c.t.Helper()
	f := c.call(method, params)
	if f.OK || f.Error == nil || f.Error.Code != code {
		c.t.Fatalf("%s: want %s, got %s", method, code, f.raw)
	}
	return f.Error
}
