package gateway

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
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
	"github.com/clawgate/gateway/server/configapi"
	"github.com/clawgate/gateway/server/devices"
	"github.com/clawgate/gateway/server/nodeapi"
	"github.com/clawgate/gateway/server/system"
)

// testGateway is a real server on a loopback port.
type testGateway struct {
	s   *Server
	url string
	ln  net.Listener
}

func startGateway(t *testing.T, o Options, setup ...func(*Server)) *testGateway {
	t.Helper()
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	serveCore(s)
	for _, f := range setup {
		f(s)
	}
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	g := &testGateway{s: s, url: "ws://" + ln.Addr().String(), ln: ln}
	t.Cleanup(func() {
		_ = s.Shutdown(t.Context(), "test over", 0)
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

// serveCore hands the core groups to s as server/core does (which the tests here
// cannot import: it imports this package; the groups themselves do not).
func serveCore(s *Server) {
	o, m := s.Options(), s.Mux()
	m.SetSystem(system.New[*Conn](s, system.Options{LogFile: o.LogFile}))
	m.SetDevices(devices.New[*Conn](s, devices.Options{Store: o.Devices, Now: o.Now}))
	m.SetNodes(nodeapi.New[*Conn](s, nodeapi.Options{Store: o.Nodes, Live: o.LiveNodes, Now: o.Now, Logger: o.Logger}))
	m.SetConfig(configapi.New[*Conn](configapi.Options{
		Path: o.ConfigPath, HasSecret: o.Secrets.HasSecret, Version: o.Version, GeneratedAt: o.ProcessStart,
	}))
}

// frame is a received frame, decoded loosely for assertions.
type frame struct {
	Type         string                 `json:"type"`
	ID           string                 `json:"id"`
	OK           bool                   `json:"ok"`
	Payload      json.RawMessage        `json:"payload"`
	Error        *protocol.ErrorShape   `json:"error"`
	Event        string                 `json:"event"`
	Seq          *int64                 `json:"seq"`
	StateVersion *protocol.StateVersion `json:"stateVersion"`
	raw          []byte
}

// testClient is a real WebSocket client (gws) that validates every frame the server
// sends against the schemas: the frame itself, each event payload against its event
// schema and each successful result against its method's result schema.
type testClient struct {
	t       *testing.T
	ws      *gws.Conn
	mu      sync.Mutex
	pending map[string]string      // id → method
	waiters map[string]chan *frame // id → first response
	multi   map[string]bool        // ids that get more than one response (two-stage)
	events  chan *frame
	closed  chan *gws.CloseError
	nextID  atomic.Int64
	invalid atomic.Int64
}

func dial(t *testing.T, url string) *testClient { return dialHeader(t, url, nil) }

// dialHeader dials with extra request headers (X-Forwarded-For makes a peer remote).
func dialHeader(t *testing.T, url string, h http.Header) *testClient {
	t.Helper()
	c := &testClient{t: t, pending: map[string]string{}, waiters: map[string]chan *frame{}, multi: map[string]bool{}, events: make(chan *frame, 20000), closed: make(chan *gws.CloseError, 1)}
	ws, _, err := gws.NewClient(c, &gws.ClientOption{Addr: url, ReadMaxPayloadSize: 16 << 20, RequestHeader: h})
	if err != nil {
		t.Fatal(err)
	}
	c.ws = ws
	go ws.ReadLoop()
	t.Cleanup(func() { _ = ws.NetConn().Close() })
	return c
}

func (c *testClient) OnOpen(*gws.Conn)              {}
func (c *testClient) OnPing(ws *gws.Conn, p []byte) { _ = ws.WritePong(p) }
func (c *testClient) OnPong(*gws.Conn, []byte)      {}
func (c *testClient) OnClose(_ *gws.Conn, err error) {
	var ce *gws.CloseError
	if !errors.As(err, &ce) {
		ce = &gws.CloseError{Code: 0, Reason: []byte(fmt.Sprint(err))}
	}
	c.closed <- ce
}

func (c *testClient) OnMessage(_ *gws.Conn, m *gws.Message) {
	b := append([]byte(nil), m.Bytes()...)
	_ = m.Close()
	if _, err := protocol.DecodeFrame(b); err != nil {
		c.invalid.Add(1)
		c.t.Errorf("server sent a frame that breaks the frame schema: %v\n%s", err, b)
	}
	var f frame
	if err := json.Unmarshal(b, &f); err != nil {
		c.t.Errorf("unparseable frame: %v", err)
		return
	}
	f.raw = b
	switch f.Type {
	case "event":
		if len(f.Payload) > 0 {
			if err, known := protocol.Validate("events/"+f.Event+".json#/$defs/payload", f.Payload); !known || err != nil {
				c.invalid.Add(1)
				c.t.Errorf("event %s payload breaks its schema (known=%v): %v\n%s", f.Event, known, err, f.Payload)
			}
		}
		c.events <- &f
	case "res":
		c.mu.Lock()
		method := c.pending[f.ID]
		w := c.waiters[f.ID]
		if !c.multi[f.ID] {
			delete(c.waiters, f.ID)
		}
		c.mu.Unlock()
		if f.OK && method != "" && len(f.Payload) > 0 {
			if err, known := protocol.Validate("methods/"+method+".json#/$defs/result", f.Payload); !known || err != nil {
				c.invalid.Add(1)
				c.t.Errorf("%s result breaks its schema (known=%v): %v\n%s", method, known, err, f.Payload)
			}
		}
		if w != nil {
			w <- &f
		}
	}
}

// send writes a raw text frame.
func (c *testClient) send(s string) {
	if err := c.ws.WriteString(s); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// request sends a req frame and returns the channel of its response.
func (c *testClient) request(method string, params any) (string, chan *frame) {
	id := fmt.Sprintf("r%d", c.nextID.Add(1))
	ch := make(chan *frame, 1)
	c.mu.Lock()
	c.pending[id] = method
	c.waiters[id] = ch
	c.mu.Unlock()
	req := map[string]any{"type": "req", "id": id, "method": method}
	if params != nil {
		req["params"] = params
	}
	b, _ := json.Marshal(req)
	if err := c.ws.WriteMessage(gws.OpcodeText, b); err != nil {
		c.t.Fatalf("write %s: %v", method, err)
	}
	return id, ch
}

// requestMulti sends a request whose id gets several responses (two-stage agent
// answers); the channel receives each of them.
func (c *testClient) requestMulti(method string, params any) chan *frame {
	id := fmt.Sprintf("r%d", c.nextID.Add(1))
	ch := make(chan *frame, 8)
	c.mu.Lock()
	c.pending[id] = method
	c.waiters[id] = ch
	c.multi[id] = true
	c.mu.Unlock()
	b, _ := json.Marshal(map[string]any{"type": "req", "id": id, "method": method, "params": params})
	if err := c.ws.WriteMessage(gws.OpcodeText, b); err != nil {
		c.t.Fatalf("write %s: %v", method, err)
	}
	return ch
}

// call sends a request and waits for its response.
func (c *testClient) call(method string, params any) *frame {
	c.t.Helper()
	_, ch := c.request(method, params)
	select {
	case f := <-ch:
		return f
	case ce := <-c.closed:
		c.closed <- ce
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

// mustOK calls and decodes a successful payload into out.
func (c *testClient) mustOK(method string, params, out any) {
	c.t.Helper()
	f := c.call(method, params)
	if !f.OK {
		c.t.Fatalf("%s failed: %+v", method, f.Error)
	}
	if out != nil {
		if err := json.Unmarshal(f.Payload, out); err != nil {
			c.t.Fatalf("%s payload: %v", method, err)
		}
	}
}

// waitClose waits for the server to close the connection.
func (c *testClient) waitClose() *gws.CloseError {
	c.t.Helper()
	select {
	case ce := <-c.closed:
		return ce
	case <-time.After(15 * time.Second):
		c.t.Fatal("connection not closed")
	}
	return nil
}

// nextEvent returns the next event with the given name, skipping others.
func (c *testClient) nextEvent(name string) *frame {
	c.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case f := <-c.events:
			if f.Event == name {
				return f
			}
		case <-deadline:
			c.t.Fatalf("no %s event", name)
		}
	}
}

func v2Connect(extra map[string]any) map[string]any {
	p := map[string]any{
		"minProtocol": 2, "maxProtocol": 2,
		"client": map[string]any{"name": "test-client", "version": "1.0.0", "platform": "linux", "mode": "backend", "instanceId": "inst-1"},
	}
	for k, v := range extra {
		p[k] = v
	}
	return p
}

func v3Connect(extra map[string]any) map[string]any {
	p := map[string]any{
		"minProtocol": 3, "maxProtocol": 3,
		"client": map[string]any{"id": "test", "version": "1.0.0", "platform": "linux", "mode": "test"},
	}
	for k, v := range extra {
		p[k] = v
	}
	return p
}

// handshake connects and returns the hello-ok.
func (c *testClient) handshake(params map[string]any) *protocol.HelloOk {
	c.t.Helper()
	f := c.call("connect", params)
	if !f.OK {
		c.t.Fatalf("connect refused: %+v", f.Error)
	}
	var h protocol.HelloOk
	if err := h.UnmarshalJSON(f.Payload); err != nil {
		c.t.Fatalf("hello-ok breaks its schema: %v\n%s", err, f.Payload)
	}
	return &h
}

// challenge waits for the connect.challenge event sent on open.
func (c *testClient) challenge() string {
	c.t.Helper()
	f := c.nextEvent("connect.challenge")
	var ch protocol.ConnectChallengeEvent
	if err := ch.UnmarshalJSON(f.Payload); err != nil {
		c.t.Fatal(err)
	}
	if f.Seq != nil {
		c.t.Errorf("connect.challenge must not carry seq")
	}
	return ch.Nonce
}

// device is an Ed25519 identity for v3 tests.
type device struct {
	pub  ed25519.PublicKey
	priv ed25519.PrivateKey
	id   string
}

func newDevice(t *testing.T) *device {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &device{pub: pub, priv: priv, id: auth.DeviceIDFromPublicKey(pub)}
}

// sign builds connect.device for the given parameters.
func (d *device) sign(clientID, mode, role string, scopes []string, signedAt time.Time, token, nonce string) map[string]any {
	payload := auth.SignaturePayload("v2", d.id, clientID, mode, role, scopes, signedAt.UnixMilli(), token, nonce)
	sig := ed25519.Sign(d.priv, []byte(payload))
	return map[string]any{
		"id": d.id, "publicKey": base64.RawURLEncoding.EncodeToString(d.pub),
		"signature": base64.RawURLEncoding.EncodeToString(sig), "signedAt": signedAt.UnixMilli(), "nonce": nonce,
	}
}

// rawConn is a WebSocket client written by hand, for behaviour a library client won't
// produce: not reading at all, binary frames, oversized frames.
type rawConn struct {
	t    *testing.T
	conn net.Conn
}

func dialRaw(t *testing.T, url string) *rawConn {
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
	return &rawConn{t: t, conn: conn}
}

// dialRawCLI dials a hand-written client and completes a v2 "cli" handshake as client
// name (not tracked in presence), reading frames up to hello-ok; after that the test
// decides whether it reads.
func dialRawCLI(t *testing.T, url, name string) *rawConn {
	t.Helper()
	r := dialRaw(t, url)
	b, _ := json.Marshal(map[string]any{"type": "req", "id": "c", "method": "connect", "params": v2Connect(map[string]any{"client": map[string]any{"name": name, "version": "1", "platform": "linux", "mode": "cli"}})})
	r.writeFrame(1, b)
	for {
		_, p, err := r.readFrame(5 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(p), `"id":"c"`) {
			return r
		}
	}
}

// writeFrame sends one masked frame with the given opcode.
func (r *rawConn) writeFrame(opcode byte, payload []byte) {
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
	if _, err := r.conn.Write(append(h, m...)); err != nil {
		r.t.Fatalf("raw write: %v", err)
	}
}

// readFrame reads one server frame (unmasked): opcode and payload.
func (r *rawConn) readFrame(timeout time.Duration) (byte, []byte, error) {
	_ = r.conn.SetReadDeadline(time.Now().Add(timeout))
	h := make([]byte, 2)
	if _, err := io.ReadFull(r.conn, h); err != nil {
		return 0, nil, err
	}
	n := int(h[1] & 0x7f)
	switch n {
	case 126:
		b := make([]byte, 2)
		if _, err := io.ReadFull(r.conn, b); err != nil {
			return 0, nil, err
		}
		n = int(b[0])<<8 | int(b[1])
	case 127:
		b := make([]byte, 8)
		if _, err := io.ReadFull(r.conn, b); err != nil {
			return 0, nil, err
		}
		n = int(b[4])<<24 | int(b[5])<<16 | int(b[6])<<8 | int(b[7])
	}
	p := make([]byte, n)
	_, err := io.ReadFull(r.conn, p)
	return h[0] & 0x0f, p, err
}

// readUntilClose reads frames until a close frame and returns its code and reason.
func (r *rawConn) readUntilClose() (uint16, string) {
	r.t.Helper()
	for {
		op, p, err := r.readFrame(15 * time.Second)
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
