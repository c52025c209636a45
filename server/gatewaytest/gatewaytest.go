// Package gatewaytest is the one test harness of the gateway, in the spirit of
// net/http/httptest: serve a gateway on a loopback port (Start), dial protocol 2 and 3
// clients (Dial) that check every frame the server sends against the schemas, call
// methods, wait for events and closes, and speak raw WebSocket frames (DialRaw) for
// what a library client will not send.
package gatewaytest

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lxzan/gws"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/auth"
)

// Server is what Start runs: a *gateway.Server (this package does not import the
// gateway, so the gateway's own tests can use it).
type Server interface {
	Serve(ln net.Listener) error
	Shutdown(ctx context.Context, reason string, restartExpectedMs int64) error
}

// Gateway is a server listening on a loopback port.
type Gateway struct {
	// URL is ws://127.0.0.1:<port>.
	URL string
	// Addr is 127.0.0.1:<port>.
	Addr string
	ln   net.Listener
}

// Start serves s on a free loopback port until the test ends, then shuts it down
// and checks that Serve returned nil.
func Start(t testing.TB, s Server) *Gateway {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	g := &Gateway{URL: "ws://" + ln.Addr().String(), Addr: ln.Addr().String(), ln: ln}
	t.Cleanup(func() {
		_ = s.Shutdown(context.Background(), "test over", 0)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return after Shutdown")
		}
	})
	return g
}

// Frame is a received frame, decoded loosely for assertions.
type Frame struct {
	Type         string                 `json:"type"`
	ID           string                 `json:"id"`
	OK           bool                   `json:"ok"`
	Payload      json.RawMessage        `json:"payload"`
	Error        *protocol.ErrorShape   `json:"error"`
	Event        string                 `json:"event"`
	Seq          *int64                 `json:"seq"`
	StateVersion *protocol.StateVersion `json:"stateVersion"`
	Raw          []byte                 `json:"-"`
}

// Client is a real WebSocket client (gws) that validates every frame the server
// sends against the schemas: the frame itself, each event payload against its event
// schema and each successful result against its method's result schema.
type Client struct {
	t       testing.TB
	WS      *gws.Conn
	mu      sync.Mutex
	pending map[string]string      // id → method
	waiters map[string]chan *Frame // id → first response
	multi   map[string]bool        // ids that get more than one response (two-stage)
	Events  chan *Frame            // every event received, in order
	Closed  chan *gws.CloseError   // the close the server sent (once)
	nextID  atomic.Int64
	Invalid atomic.Int64 // frames that broke their schema
}

func Dial(t testing.TB, url string) *Client { return DialHeader(t, url, nil) }

// DialHeader dials with extra request headers (X-Forwarded-For makes a peer remote).
func DialHeader(t testing.TB, url string, h http.Header) *Client {
	t.Helper()
	c, err := TryDial(t, url, h)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TryDial is DialHeader returning the dial error (a test retrying while a gateway
// restarts).
func TryDial(t testing.TB, url string, h http.Header) (*Client, error) {
	c := &Client{t: t, pending: map[string]string{}, waiters: map[string]chan *Frame{}, multi: map[string]bool{}, Events: make(chan *Frame, 20000), Closed: make(chan *gws.CloseError, 1)}
	ws, _, err := gws.NewClient(c, &gws.ClientOption{Addr: url, ReadMaxPayloadSize: 16 << 20, RequestHeader: h})
	if err != nil {
		return nil, err
	}
	c.WS = ws
	go ws.ReadLoop()
	t.Cleanup(func() { _ = ws.NetConn().Close() })
	return c, nil
}

func (c *Client) OnOpen(*gws.Conn)              {}
func (c *Client) OnPing(ws *gws.Conn, p []byte) { _ = ws.WritePong(p) }
func (c *Client) OnPong(*gws.Conn, []byte)      {}
func (c *Client) OnClose(_ *gws.Conn, err error) {
	var ce *gws.CloseError
	if !errors.As(err, &ce) {
		ce = &gws.CloseError{Code: 0, Reason: []byte(fmt.Sprint(err))}
	}
	c.Closed <- ce
}

func (c *Client) OnMessage(_ *gws.Conn, m *gws.Message) {
	b := append([]byte(nil), m.Bytes()...)
	_ = m.Close()
	if _, err := protocol.DecodeFrame(b); err != nil {
		c.Invalid.Add(1)
		c.t.Errorf("server sent a frame that breaks the frame schema: %v\n%s", err, b)
	}
	var f Frame
	if err := json.Unmarshal(b, &f); err != nil {
		c.t.Errorf("unparseable frame: %v", err)
		return
	}
	f.Raw = b
	switch f.Type {
	case "event":
		if len(f.Payload) > 0 {
			if err, known := protocol.Validate("events/"+f.Event+".json#/$defs/payload", f.Payload); !known || err != nil {
				c.Invalid.Add(1)
				c.t.Errorf("event %s payload breaks its schema (known=%v): %v\n%s", f.Event, known, err, f.Payload)
			}
		}
		c.Events <- &f
	case "res":
		c.mu.Lock()
		method := c.pending[f.ID]
		w := c.waiters[f.ID]
		if !c.multi[f.ID] {
			delete(c.waiters, f.ID)
		}
		c.mu.Unlock()
		// A result is checked also when it rides on an ok:false answer (the agent's
		// failed final answer carries {runId, status}).
		if method != "" && len(f.Payload) > 0 {
			if err, known := protocol.Validate("methods/"+method+".json#/$defs/result", f.Payload); !known || err != nil {
				c.Invalid.Add(1)
				c.t.Errorf("%s result breaks its schema (known=%v): %v\n%s", method, known, err, f.Payload)
			}
		}
		if w != nil {
			w <- &f
		}
	}
}

// Expect delivers the response with id (a request sent raw with Send) to ch.
func (c *Client) Expect(id string, ch chan *Frame) {
	c.mu.Lock()
	c.waiters[id] = ch
	c.mu.Unlock()
}

// Send writes a raw text frame.
func (c *Client) Send(s string) {
	if err := c.WS.WriteString(s); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// Request sends a req frame and returns the channel of its response.
func (c *Client) Request(method string, params any) (string, chan *Frame) {
	id := fmt.Sprintf("r%d", c.nextID.Add(1))
	ch := make(chan *Frame, 1)
	c.mu.Lock()
	c.pending[id] = method
	c.waiters[id] = ch
	c.mu.Unlock()
	req := map[string]any{"type": "req", "id": id, "method": method}
	if params != nil {
		req["params"] = params
	}
	b, _ := json.Marshal(req)
	if err := c.WS.WriteMessage(gws.OpcodeText, b); err != nil {
		c.t.Fatalf("write %s: %v", method, err)
	}
	return id, ch
}

// RequestMulti sends a request whose id gets several responses (two-stage agent
// answers); the channel receives each of them.
func (c *Client) RequestMulti(method string, params any) chan *Frame {
	id := fmt.Sprintf("r%d", c.nextID.Add(1))
	ch := make(chan *Frame, 8)
	c.mu.Lock()
	c.pending[id] = method
	c.waiters[id] = ch
	c.multi[id] = true
	c.mu.Unlock()
	b, _ := json.Marshal(map[string]any{"type": "req", "id": id, "method": method, "params": params})
	if err := c.WS.WriteMessage(gws.OpcodeText, b); err != nil {
		c.t.Fatalf("write %s: %v", method, err)
	}
	return ch
}

// Call sends a request and waits for its response.
func (c *Client) Call(method string, params any) *Frame {
	c.t.Helper()
	_, ch := c.Request(method, params)
	select {
	case f := <-ch:
		return f
	case ce := <-c.Closed:
		c.Closed <- ce
		// A response written just before the close was delivered first (one read
		// goroutine, in order): prefer it to the close select may have picked.
		select {
		case f := <-ch:
			return f
		default:
		}
		c.t.Fatalf("%s: connection closed: %d %s", method, ce.Code, ce.Reason)
	case <-time.After(10 * time.Second):
		c.t.Fatalf("%s: no response", method)
	}
	return nil
}

// MustOK calls and decodes a successful payload into out.
func (c *Client) MustOK(method string, params, out any) {
	c.t.Helper()
	f := c.Call(method, params)
	if !f.OK {
		c.t.Fatalf("%s failed: %+v", method, f.Error)
	}
	if out != nil {
		if err := json.Unmarshal(f.Payload, out); err != nil {
			c.t.Fatalf("%s payload: %v", method, err)
		}
	}
}

// WaitClose waits for the server to close the connection.
func (c *Client) WaitClose() *gws.CloseError {
	c.t.Helper()
	select {
	case ce := <-c.Closed:
		return ce
	case <-time.After(15 * time.Second):
		c.t.Fatal("connection not closed")
	}
	return nil
}

// NextEvent returns the next event with the given name, skipping others.
func (c *Client) NextEvent(name string) *Frame {
	c.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case f := <-c.Events:
			if f.Event == name {
				return f
			}
		case <-deadline:
			c.t.Fatalf("no %s event", name)
		}
	}
}

func V2Connect(extra map[string]any) map[string]any {
	p := map[string]any{
		"minProtocol": 2, "maxProtocol": 2,
		"client": map[string]any{"name": "test-client", "version": "1.0.0", "platform": "linux", "mode": "backend", "instanceId": "inst-1"},
	}
	for k, v := range extra {
		p[k] = v
	}
	return p
}

func V3Connect(extra map[string]any) map[string]any {
	p := map[string]any{
		"minProtocol": 3, "maxProtocol": 3,
		"client": map[string]any{"id": "test", "version": "1.0.0", "platform": "linux", "mode": "test"},
	}
	for k, v := range extra {
		p[k] = v
	}
	return p
}

// Handshake connects and returns the hello-ok.
func (c *Client) Handshake(params map[string]any) *protocol.HelloOk {
	c.t.Helper()
	f := c.Call("connect", params)
	if !f.OK {
		c.t.Fatalf("connect refused: %+v", f.Error)
	}
	var h protocol.HelloOk
	if err := h.UnmarshalJSON(f.Payload); err != nil {
		c.t.Fatalf("hello-ok breaks its schema: %v\n%s", err, f.Payload)
	}
	return &h
}

// Challenge waits for the connect.challenge event sent on open.
func (c *Client) Challenge() string {
	c.t.Helper()
	f := c.NextEvent("connect.challenge")
	var ch protocol.ConnectChallengeEvent
	if err := ch.UnmarshalJSON(f.Payload); err != nil {
		c.t.Fatal(err)
	}
	if f.Seq != nil {
		c.t.Errorf("connect.challenge must not carry seq")
	}
	return ch.Nonce
}

// Device is an Ed25519 identity for v3 tests.
type Device struct {
	Pub  ed25519.PublicKey
	Priv ed25519.PrivateKey
	ID   string // the device id derived from the public key
}

func NewDevice(t testing.TB) *Device {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &Device{Pub: pub, Priv: priv, ID: auth.DeviceIDFromPublicKey(pub)}
}

// Sign builds connect.device for the given parameters.
func (d *Device) Sign(clientID, mode, role string, scopes []string, signedAt time.Time, token, nonce string) map[string]any {
	payload := auth.SignaturePayload("v2", d.ID, clientID, mode, role, scopes, signedAt.UnixMilli(), token, nonce)
	sig := ed25519.Sign(d.Priv, []byte(payload))
	return map[string]any{
		"id": d.ID, "publicKey": base64.RawURLEncoding.EncodeToString(d.Pub),
		"signature": base64.RawURLEncoding.EncodeToString(sig), "signedAt": signedAt.UnixMilli(), "nonce": nonce,
	}
}

// RawConn is a WebSocket client written by hand, for behaviour a library client won't
// produce: not reading at all, binary frames, oversized frames.
type RawConn struct {
	t    testing.TB
	Conn net.Conn
}

func DialRaw(t testing.TB, url string) *RawConn {
	t.Helper()
	addr := strings.TrimPrefix(url, "ws://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	req := "GET / HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := conn.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	// Read the response headers byte by byte so no frame bytes are consumed.
	var hdr []byte
	one := make([]byte, 1)
	for !strings.HasSuffix(string(hdr), "\r\n\r\n") {
		if _, err := conn.Read(one); err != nil {
			t.Fatalf("upgrade response: %v", err)
		}
		hdr = append(hdr, one[0])
	}
	if !strings.Contains(string(hdr), " 101 ") {
		t.Fatalf("upgrade refused: %s", hdr)
	}
	return &RawConn{t: t, Conn: conn}
}

// DialRawCLI dials a hand-written client and completes a v2 "cli" handshake as client
// name (not tracked in presence), reading frames up to hello-ok; after that the test
// decides whether it reads.
func DialRawCLI(t testing.TB, url, name string) *RawConn {
	t.Helper()
	r := DialRaw(t, url)
	b, _ := json.Marshal(map[string]any{"type": "req", "id": "c", "method": "connect", "params": V2Connect(map[string]any{"client": map[string]any{"name": name, "version": "1", "platform": "linux", "mode": "cli"}})})
	r.WriteFrame(1, b)
	for {
		_, p, err := r.ReadFrame(5 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(p), `"id":"c"`) {
			return r
		}
	}
}

// WriteFrame sends one masked frame with the given opcode.
func (r *RawConn) WriteFrame(opcode byte, payload []byte) {
	var h []byte
	h = append(h, 0x80|opcode)
	n := len(payload)
	switch {
	case n < 126:
		h = append(h, 0x80|byte(n))
	case n < 65536:
		h = append(h, 0x80|126, byte(n>>8), byte(n))
	default:
		h = append(h, 0x80|127, 0, 0, 0, 0, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	mask := []byte{1, 2, 3, 4}
	h = append(h, mask...)
	m := make([]byte, n)
	for i := range payload {
		m[i] = payload[i] ^ mask[i%4]
	}
	if _, err := r.Conn.Write(append(h, m...)); err != nil {
		r.t.Fatalf("raw write: %v", err)
	}
}

// ReadFrame reads one server frame (unmasked): opcode and payload.
func (r *RawConn) ReadFrame(timeout time.Duration) (byte, []byte, error) {
	_ = r.Conn.SetReadDeadline(time.Now().Add(timeout))
	h := make([]byte, 2)
	if _, err := io.ReadFull(r.Conn, h); err != nil {
		return 0, nil, err
	}
	n := int(h[1] & 0x7f)
	switch n {
	case 126:
		b := make([]byte, 2)
		if _, err := io.ReadFull(r.Conn, b); err != nil {
			return 0, nil, err
		}
		n = int(b[0])<<8 | int(b[1])
	case 127:
		b := make([]byte, 8)
		if _, err := io.ReadFull(r.Conn, b); err != nil {
			return 0, nil, err
		}
		n = int(b[4])<<24 | int(b[5])<<16 | int(b[6])<<8 | int(b[7])
	}
	p := make([]byte, n)
	_, err := io.ReadFull(r.Conn, p)
	return h[0] & 0x0f, p, err
}

// ReadUntilClose reads frames until a close frame and returns its code and reason.
func (r *RawConn) ReadUntilClose() (uint16, string) {
	r.t.Helper()
	for {
		op, p, err := r.ReadFrame(15 * time.Second)
		if err != nil {
			r.t.Fatalf("no close frame: %v", err)
		}
		if op == 8 {
			if len(p) < 2 {
				return 0, ""
			}
			return uint16(p[0])<<8 | uint16(p[1]), string(p[2:])
		}
	}
}
