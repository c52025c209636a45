package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lxzan/gws"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/auth"
)

// Regression tests for issue 15 (hardening) that need the server's internals; the
// attacks on the real binary are in cmd/clawdbot/hardening_test.go.

// onlyConn waits for the server to hold exactly one socket and returns it.
func onlyConn(t *testing.T, s *Server) *Conn {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.mu.Lock()
		for c := range s.all {
			if len(s.all) == 1 {
				s.mu.Unlock()
				return c
			}
		}
		s.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatal("server does not hold exactly one socket")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitGone waits until the server holds no socket and c's queue is empty.
func waitGone(t *testing.T, s *Server, c *Conn, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		s.mu.Lock()
		n := len(s.all)
		s.mu.Unlock()
		c.out.mu.Lock()
		queued := len(c.out.segs) + len(c.out.owned)
		c.out.mu.Unlock()
		if n == 0 && c.buffered.Load() == 0 && queued == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %d sockets open, %d bytes still queued (%d segments)", within, n, c.buffered.Load(), queued)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// pingBatch is n masked ping frames with 125-byte payloads (the largest control frame).
func pingBatch(n int) []byte {
	var out []byte
	payload := []byte(strings.Repeat("p", 125))
	for i := 0; i < n; i++ {
		out = append(out, 0x89, 0x80|125, 1, 2, 3, 4)
		for j, b := range payload {
			out = append(out, b^[]byte{1, 2, 3, 4}[j%4])
		}
	}
	return out
}

// TestPingFloodWithoutReadingIsClosed (issue 15 #2): pongs count against the outbound
// limit, so an unauthenticated socket that floods pings and never reads is closed as
// a slow consumer, and what was queued for it is released.
func TestPingFloodWithoutReadingIsClosed(t *testing.T) {
	g := startGateway(t, Options{HandshakeTimeout: time.Minute})
	r := dialRaw(t, g.url)
	c := onlyConn(t, g.s)
	batch := pingBatch(1000)
	// Writes block once the server stops reading; a partial write would break the
	// framing, so the flood runs without deadlines and ends when the socket does.
	written := make(chan int64, 1)
	go func() {
		var n int64
		for {
			k, err := r.Conn.Write(batch)
			n += int64(k)
			if err != nil {
				written <- n
				return
			}
		}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !c.closed.Load() {
		if time.Now().After(deadline) {
			t.Fatalf("a socket flooding pings without reading is still open after 20 s (%d bytes queued)", c.buffered.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case n := <-written:
		t.Logf("closed after %d bytes of pings", n)
	case <-time.After(10 * time.Second):
		t.Fatal("the client's writes still succeed after the server closed")
	}
	waitGone(t, g.s, c, 10*time.Second)
	if g.s.metrics.slow.Load() == 0 {
		t.Fatal("not closed as a slow consumer")
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// TestHandshakeDeadlineClosesABlockedSocket (issue 15 #2): the handshake deadline
// closes the socket even when a write to it is blocked (the client does not read),
// and the queued bytes are released.
func TestHandshakeDeadlineClosesABlockedSocket(t *testing.T) {
	g := startGateway(t, Options{HandshakeTimeout: 500 * time.Millisecond, MaxBufferedBytes: 64 << 20})
	r := dialRaw(t, g.url)
	c := onlyConn(t, g.s)
	batch := pingBatch(200)
	// Fill the path until the server's writer is stuck with pongs queued behind it.
	deadline := time.Now().Add(10 * time.Second)
	for c.buffered.Load() < 256<<10 && !c.closed.Load() {
		if time.Now().After(deadline) {
			t.Fatalf("could not block the writer (%d bytes queued)", c.buffered.Load())
		}
		_ = r.Conn.SetWriteDeadline(time.Now().Add(time.Second))
		_, _ = r.Conn.Write(batch)
	}
	// Stop sending; the deadline (500 ms) plus the close grace (2 s) must end it.
	waitGone(t, g.s, c, 10*time.Second)
}

// TestRebindingGuard (issue 15 #1): without a shared secret only loopback Host names
// are served, on HTTP routes and WebSocket upgrades alike, and a browser Origin must be
// a loopback page or listed; with a secret the secret decides.
func TestRebindingGuard(t *testing.T) {
	for _, secret := range []bool{false, true} {
		o := Options{AllowedOrigins: []string{"https://ui.example"}}
		if secret {
			o.Secrets = auth.Secrets{Mode: auth.ModeToken, Token: "s3cret"}
		}
		g := startGateway(t, o, func(s *Server) {
			s.HandleHTTP("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "served") }))
		})
		port := g.url[strings.LastIndex(g.url, ":")+1:]
		for _, tc := range []struct {
			host, origin string
			open         bool // served without a secret
		}{
			{"127.0.0.1:" + port, "", true},
			{"localhost:" + port, "http://localhost:" + port, true},
			{"app.localhost:" + port, "", true},
			{"[::1]:" + port, "", true},
			{"127.0.0.1", "https://ui.example", true},
			{"rebind.attacker.example:" + port, "http://rebind.attacker.example:" + port, false},
			{"rebind.attacker.example", "", false},
			{"192.168.1.20:" + port, "", false},
			{"127.0.0.1:" + port, "http://evil.example", false},
		} {
			wantOK := tc.open || secret
			h := http.Header{"Host": {tc.host}}
			if tc.origin != "" {
				h.Set("Origin", tc.origin)
			}
			req, _ := http.NewRequest("GET", "http://"+strings.TrimPrefix(g.url, "ws://")+"/", nil)
			req.Host = tc.host
			req.Header = h.Clone()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if got := resp.StatusCode == 200 && string(body) == "served"; got != wantOK {
				t.Errorf("secret=%v HTTP host=%q origin=%q: status %d %q, want served=%v", secret, tc.host, tc.origin, resp.StatusCode, body, wantOK)
			}
			wsOK := wantOK
			if tc.origin == "http://evil.example" {
				wsOK = false // the WebSocket Origin check: own host or listed, always
			}
			ws, wresp, err := gws.NewClient(&gws.BuiltinEventHandler{}, &gws.ClientOption{Addr: g.url, RequestHeader: h})
			if (err == nil) != wsOK {
				t.Errorf("secret=%v WS host=%q origin=%q: err=%v, want upgraded=%v", secret, tc.host, tc.origin, err, wsOK)
			}
			if err == nil {
				_ = ws.NetConn().Close()
			} else if wresp != nil && wresp.StatusCode != http.StatusForbidden {
				t.Errorf("refused upgrade status %d, want 403", wresp.StatusCode)
			}
		}
	}
}

// TestV2NeedsLocalWithoutSecret (issue 15 #1): protocol 2 without a shared secret
// accepts only local direct clients, as v3 does for clients without a device.
func TestV2NeedsLocalWithoutSecret(t *testing.T) {
	proxied := http.Header{"X-Forwarded-For": {"203.0.113.9"}}
	g := startGateway(t, Options{})
	c := dialHeader(t, g.url, proxied)
	f := c.Call("connect", v2Connect(nil))
	if f.OK || f.Error.Message != "unauthorized" {
		t.Fatalf("proxied v2 client without a secret: %s", f.Raw)
	}
	if ce := c.WaitClose(); ce.Code != 1008 || string(ce.Reason) != "unauthorized" {
		t.Fatalf("close %d %q", ce.Code, ce.Reason)
	}
	dial(t, g.url).Handshake(v2Connect(nil)) // local direct: trusted
	gs := startGateway(t, Options{Secrets: auth.Secrets{Mode: auth.ModeToken, Token: "s3cret"}})
	dialHeader(t, gs.url, proxied).Handshake(v2Connect(map[string]any{"auth": map[string]any{"token": "s3cret"}}))
}

// TestConfigSetCannotEnableProgramsWithoutSecret (issue 15 #1): config.set refuses to
// change the settings that make the gateway run programs unless a secret is set.
func TestConfigSetCannotEnableProgramsWithoutSecret(t *testing.T) {
	for _, secret := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "clawdbot.json")
		start := `{ agent: { backend: "openai", timeoutSeconds: 60 } }`
		if err := os.WriteFile(path, []byte(start), 0o600); err != nil {
			t.Fatal(err)
		}
		o := Options{ConfigPath: path}
		params := v3Connect(nil)
		if secret {
			o.Secrets = auth.Secrets{Mode: auth.ModeToken, Token: "s3cret"}
			params = v3Connect(map[string]any{"auth": map[string]any{"token": "s3cret"}})
		}
		g := startGateway(t, o)
		c := dial(t, g.url)
		c.Handshake(params)
		for _, tc := range []struct {
			raw  string
			keys string
		}{
			// The old shape (migrated on load) and the current one.
			{`{ agent: { backend: "command", command: { program: "/bin/sh", args: ["-c", "id"] } } }`, "agents.defaults.cliBackends, agents.defaults.model.primary"},
			{`{ agent: { backend: "openai", command: { program: "/bin/sh" } } }`, "agents.defaults.cliBackends"},
			{`{ agents: { defaults: { model: { primary: "sh/x" }, cliBackends: { sh: { command: "/bin/sh" } } } } }`, "agents.defaults.cliBackends, agents.defaults.model.primary"},
			{`{ tools: { exec: { host: "gateway" } } }`, "tools.exec"},
		} {
			f := c.Call("config.set", map[string]any{"raw": tc.raw, "baseHash": sha256Hex([]byte(start))})
			if secret {
				if !f.OK {
					t.Fatalf("with a secret, config.set %s: %+v", tc.raw, f.Error)
				}
				_ = os.WriteFile(path, []byte(start), 0o600)
				continue
			}
			if f.OK || f.Error.Code != "INVALID_REQUEST" || !strings.Contains(f.Error.Message, "config.set cannot change "+tc.keys+" ") {
				t.Fatalf("without a secret, config.set %s: %s", tc.raw, f.Raw)
			}
			if b, _ := os.ReadFile(path); string(b) != start {
				t.Fatalf("refused config.set changed the file: %s", b)
			}
		}
		// Other settings still change over the wire.
		if f := c.Call("config.set", map[string]any{"raw": `{ agent: { backend: "openai", timeoutSeconds: 90 } }`, "baseHash": sha256Hex([]byte(start))}); !f.OK {
			t.Fatalf("an unrelated change refused: %+v", f.Error)
		}
	}
}

// TestRefusedFramesAreAnswered (issue 15 #9): JSON the decoder refuses on purpose —
// nested deeper than 128, a lone surrogate escape, invalid UTF-8 in a binary frame —
// gets INVALID_REQUEST with the reason for its id, before and after the handshake.
func TestRefusedFramesAreAnswered(t *testing.T) {
	deep := `{"type":"req","id":"deep","method":"health","params":{"x":` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}}`
	surrogate := `{"type":"req","id":"surrogate","method":"health","params":{"x":"\ud800"}}`
	badUTF8 := "{\"type\":\"req\",\"id\":\"utf8\",\"method\":\"health\",\"params\":{\"x\":\"\xff\xfe\"}}"
	idLast := `{"type":"req","method":"health","params":{"x":"\udc00"},"id":"late-id"}`
	cases := []struct {
		op     byte
		frame  string
		id     string
		reason string
	}{
		{1, deep, "deep", "exceeded maximum nesting depth"},
		{1, surrogate, "surrogate", "surrogate"},
		{2, badUTF8, "utf8", "invalid UTF-8"},
		{1, idLast, "late-id", "surrogate"},
	}
	g := startGateway(t, Options{})
	readRes := func(r *rawConn, id string) frame {
		t.Helper()
		for {
			op, p, err := r.ReadFrame(10 * time.Second)
			if err != nil {
				t.Fatalf("no answer for %s: %v", id, err)
			}
			if op == 8 {
				t.Fatalf("closed without answering %s: %q", id, p)
			}
			var f frame
			if json.Unmarshal(p, &f) == nil && f.Type == "res" && f.ID == id {
				return f
			}
		}
	}
	for _, tc := range cases {
		// Before the handshake: answered, then closed 1008.
		r := dialRaw(t, g.url)
		r.WriteFrame(tc.op, []byte(tc.frame))
		f := readRes(r, tc.id)
		if f.OK || f.Error.Code != "INVALID_REQUEST" || !strings.Contains(f.Error.Message, tc.reason) {
			t.Fatalf("before the handshake, %s: %+v", tc.id, f.Error)
		}
		if code, reason := r.ReadUntilClose(); code != 1008 || reason != "invalid handshake" {
			t.Fatalf("close %d %q", code, reason)
		}
	}
	r := dialRawCLI(t, g.url, "cli")
	for _, tc := range cases {
		r.WriteFrame(tc.op, []byte(tc.frame))
		f := readRes(r, tc.id)
		if f.OK || f.Error.Code != "INVALID_REQUEST" || !strings.Contains(f.Error.Message, tc.reason) {
			t.Fatalf("after the handshake, %s: %+v", tc.id, f.Error)
		}
	}
	// Still open and answering; not JSON at all is still ignored (§2.5).
	r.WriteFrame(1, []byte(`not json`))
	r.WriteFrame(1, []byte(`{"type":"req","id":"h","method":"health"}`))
	if f := readRes(r, "h"); !f.OK {
		t.Fatalf("health after refused frames: %+v", f.Error)
	}
}

// TestHTTPTimeouts (issue 15 #6): a trickled body and an idle keep-alive connection
// are cut off by the read and idle timeouts; a WebSocket outlives them all.
func TestHTTPTimeouts(t *testing.T) {
	g := startGateway(t, Options{HTTPReadTimeout: 500 * time.Millisecond, HTTPWriteTimeout: 500 * time.Millisecond, HTTPIdleTimeout: 500 * time.Millisecond}, func(s *Server) {
		s.HandleHTTP("/echo", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			_, _ = w.Write(b)
		}))
	})
	addr := strings.TrimPrefix(g.url, "ws://")
	closedWithin := func(nc net.Conn, d time.Duration) bool {
		_ = nc.SetReadDeadline(time.Now().Add(d))
		_, err := io.Copy(io.Discard, nc)
		return err == nil // EOF: the server closed it
	}
	// A trickled body.
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_, _ = io.WriteString(nc, "POST /echo HTTP/1.1\r\nHost: "+addr+"\r\nContent-Length: 1000\r\n\r\n")
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
				if _, err := nc.Write([]byte("x")); err != nil {
					return
				}
			}
		}
	}()
	ok := closedWithin(nc, 5*time.Second)
	close(stop)
	if !ok {
		t.Fatal("a trickled request body kept the connection open for 5 s (read timeout 500 ms)")
	}
	// An idle keep-alive connection.
	nc2, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc2.Close()
	_, _ = io.WriteString(nc2, "GET /echo HTTP/1.1\r\nHost: "+addr+"\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(nc2), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET: %v %v", resp, err)
	}
	resp.Body.Close()
	if !closedWithin(nc2, 5*time.Second) {
		t.Fatal("an idle keep-alive connection stayed open for 5 s (idle timeout 500 ms)")
	}
	// The WebSocket is not an HTTP connection once upgraded.
	c := dial(t, g.url)
	c.Handshake(v3Connect(nil))
	time.Sleep(1500 * time.Millisecond)
	if f := c.Call("health", nil); !f.OK {
		t.Fatalf("websocket cut by the HTTP timeouts: %+v", f.Error)
	}
}

// TestHTTPConnectionCap (issue 15 #6): past MaxHTTPConns a new connection is closed at
// once; upgraded WebSockets do not count.
func TestHTTPConnectionCap(t *testing.T) {
	g := startGateway(t, Options{MaxHTTPConns: 3})
	addr := strings.TrimPrefix(g.url, "ws://")
	var idle []net.Conn
	for i := 0; i < 3; i++ {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		idle = append(idle, nc)
	}
	deadline := time.Now().Add(5 * time.Second)
	for g.s.HTTPConns() < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections counted, want 3", g.s.HTTPConns())
		}
		time.Sleep(5 * time.Millisecond)
	}
	over, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer over.Close()
	_ = over.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := over.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("connection over the cap: read %v, want EOF (closed at once)", err)
	}
	for _, nc := range idle {
		nc.Close()
	}
	for g.s.HTTPConns() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections still counted after closing them", g.s.HTTPConns())
		}
		time.Sleep(5 * time.Millisecond)
	}
	for i := 0; i < 6; i++ {
		dial(t, g.url).Handshake(v3Connect(nil))
	}
	if n := g.s.HTTPConns(); n != 0 {
		t.Fatalf("%d upgraded WebSockets counted as HTTP connections", n)
	}
}

// blockingRuns is an agent group whose accepted runs wait for release.
type blockingRuns struct {
	protocol.UnimplementedAgentHandler[*Conn]
	release chan struct{}
	conns   chan *Conn
}

func (b *blockingRuns) Agent(ctx context.Context, c *Conn, p *protocol.AgentParams) (*protocol.AgentResult, error) {
	at := int64(1)
	if err := Ack(ctx, &protocol.AgentResult{RunID: p.IdempotencyKey, Status: protocol.AgentResultStatusAccepted, AcceptedAt: &at}); err != nil {
		return nil, err
	}
	b.conns <- c
	<-b.release
	done := "completed"
	return &protocol.AgentResult{RunID: p.IdempotencyKey, Status: protocol.AgentResultStatusOk, Summary: &done}, nil
}

// TestAcceptedRunsFreeReadSlots (issue 15 #8): an accepted two-stage run gives its read
// slot back, so with more runs in flight than read slots the connection still answers
// health; past MaxAcceptedRuns a run keeps its slot (the bound holds).
func TestAcceptedRunsFreeReadSlots(t *testing.T) {
	impl := &blockingRuns{release: make(chan struct{}), conns: make(chan *Conn, 16)}
	g := startGateway(t, Options{MaxInflight: 2, MaxAcceptedRuns: 3}, func(s *Server) { s.Mux().SetAgent(impl) })
	c := dial(t, g.url)
	c.Handshake(v3Connect(nil))
	var conn *Conn
	for i := 0; i < 3; i++ {
		c.RequestMulti("agent", map[string]any{"message": "hi", "idempotencyKey": "run-" + string(rune('a'+i))})
		conn = <-impl.conns
	}
	// Three runs in flight, two read slots: the reader still takes requests.
	if f := c.Call("health", nil); !f.OK {
		t.Fatalf("health: %+v", f.Error)
	}
	if conn.AcceptedRuns() != 3 {
		t.Fatalf("%d accepted runs without a read slot, want 3", conn.AcceptedRuns())
	}
	// Two more: the accepted bound (3) is reached, so they keep the two read slots
	// and the reader waits — the bound holds.
	for i := 3; i < 5; i++ {
		c.RequestMulti("agent", map[string]any{"message": "hi", "idempotencyKey": "run-" + string(rune('a'+i))})
		<-impl.conns
	}
	if conn.AcceptedRuns() != 3 || len(conn.inflight) != 2 {
		t.Fatalf("accepted %d, read slots in use %d; want 3 and 2", conn.AcceptedRuns(), len(conn.inflight))
	}
	_, health := c.Request("health", nil)
	select {
	case f := <-health:
		t.Fatalf("answered past every bound: %s", f.Raw)
	case <-time.After(200 * time.Millisecond):
	}
	close(impl.release)
	select {
	case f := <-health:
		if !f.OK {
			t.Fatalf("health: %+v", f.Error)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("health not answered after the runs ended")
	}
	deadline := time.Now().Add(5 * time.Second)
	for conn.AcceptedRuns() != 0 || len(conn.inflight) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("slots not given back: accepted %d, read %d", conn.AcceptedRuns(), len(conn.inflight))
		}
		time.Sleep(5 * time.Millisecond)
	}
}
