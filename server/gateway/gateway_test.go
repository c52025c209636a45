package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/auth"
	"github.com/clawgate/gateway/server/nodes"
	"github.com/clawgate/gateway/server/presence"
	"github.com/clawgate/gateway/server/system"
)

func TestHandshakeNegotiation(t *testing.T) {
	g := startGateway(t, Options{})
	for _, tc := range []struct {
		name     string
		min, max int
		extra    map[string]any
		v3       bool
		want     int
	}{
		{"v2 only", 2, 2, nil, false, 2},
		{"v3 only", 3, 3, nil, true, 3},
		{"range picks highest", 2, 3, nil, true, 3},
		{"future range picks 3", 3, 9, nil, true, 3},
		{"old v2 range up to 2", 1, 2, nil, false, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, g.url)
			var p map[string]any
			if tc.v3 {
				p = v3Connect(nil)
			} else {
				p = v2Connect(nil)
			}
			p["minProtocol"], p["maxProtocol"] = tc.min, tc.max
			h := c.Handshake(p)
			if int(h.Protocol) != tc.want {
				t.Fatalf("protocol = %d, want %d", h.Protocol, tc.want)
			}
			if h.Policy.MaxPayload != DefaultMaxPayload || h.Policy.MaxBufferedBytes != DefaultMaxBufferedBytes || h.Policy.TickIntervalMs != 30000 {
				t.Errorf("policy = %+v", h.Policy)
			}
			if len(h.Features.Methods) == 0 || len(h.Features.Events) == 0 || h.Server.ConnID == "" {
				t.Errorf("hello-ok incomplete: %+v", h)
			}
			if (tc.want == 3) != (h.Snapshot.SessionDefaults != nil) {
				t.Errorf("sessionDefaults present=%v for v%d", h.Snapshot.SessionDefaults != nil, tc.want)
			}
		})
	}
}

func TestHandshakeFailures(t *testing.T) {
	g := startGateway(t, Options{Secrets: auth.Secrets{Mode: auth.ModeToken, Token: "s3cret"}, HandshakeTimeout: 300 * time.Millisecond})
	tok := map[string]any{"auth": map[string]any{"token": "s3cret"}}
	for _, tc := range []struct {
		name       string
		send       func(c *testClient) string // returns the id of the connect request, or ""
		wantCode   uint16
		wantReason string
		wantErr    string // error message of the res, if any
	}{
		{"not json", func(c *testClient) string { c.Send("{nope"); return "" }, 1000, "", ""},
		{"not a req frame", func(c *testClient) string { c.Send(`{"type":"event","event":"x"}`); return "" }, 1008, "invalid handshake", ""},
		{"first request not connect", func(c *testClient) string { id, _ := c.Request("health", nil); return id }, 1008, "invalid handshake", "invalid handshake: first request must be connect"},
		{"invalid v2 params", func(c *testClient) string {
			p := v2Connect(tok)
			p["client"].(map[string]any)["bogus"] = 1
			id, _ := c.Request("connect", p)
			return id
		}, 1008, "invalid handshake", "invalid connect params: /client: must NOT have additional properties (\"bogus\")"},
		{"invalid v3 params", func(c *testClient) string {
			p := v3Connect(tok)
			p["client"].(map[string]any)["id"] = "ios-node"
			id, _ := c.Request("connect", p)
			return id
		}, 1008, "invalid connect params: /client/id: must be equal to one of the allowed values", "invalid connect params: /client/id: must be equal to one of the allowed values"},
		{"protocol mismatch (too new)", func(c *testClient) string {
			p := v3Connect(tok)
			p["minProtocol"], p["maxProtocol"] = 4, 5
			id, _ := c.Request("connect", p)
			return id
		}, 1002, "protocol mismatch", "protocol mismatch"},
		{"protocol mismatch (too old)", func(c *testClient) string {
			p := v2Connect(tok)
			p["minProtocol"], p["maxProtocol"] = 1, 1
			id, _ := c.Request("connect", p)
			return id
		}, 1002, "protocol mismatch", "protocol mismatch"},
		{"v2 wrong token", func(c *testClient) string {
			id, _ := c.Request("connect", v2Connect(map[string]any{"auth": map[string]any{"token": "wrong"}}))
			return id
		}, 1008, "unauthorized", "unauthorized"},
		{"v3 missing token", func(c *testClient) string {
			id, _ := c.Request("connect", v3Connect(nil))
			return id
		}, 1008, "unauthorized: gateway token missing", "unauthorized: gateway token missing"},
		{"v3 invalid role", func(c *testClient) string {
			id, _ := c.Request("connect", v3Connect(map[string]any{"role": "admin", "auth": map[string]any{"token": "s3cret"}}))
			return id
		}, 1008, "invalid role", "invalid role"},
		{"handshake timeout", func(c *testClient) string { return "" }, 1000, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, g.url)
			c.Challenge()
			id := tc.send(c)
			if id != "" && tc.wantErr != "" {
				c.Expect(id, make(chan *frame, 1))
			}
			ce := c.WaitClose()
			if ce.Code != tc.wantCode || !strings.HasPrefix(string(ce.Reason), tc.wantReason) {
				t.Fatalf("close = %d %q, want %d %q", ce.Code, ce.Reason, tc.wantCode, tc.wantReason)
			}
		})
	}
}

// TestHandshakeErrorResponses checks the res frames that precede the closes.
func TestHandshakeErrorResponses(t *testing.T) {
	g := startGateway(t, Options{Secrets: auth.Secrets{Mode: auth.ModeToken, Token: "s3cret"}})
	for _, tc := range []struct {
		name   string
		method string
		params map[string]any
		code   string
		msg    string
	}{
		{"non-connect", "status", nil, "INVALID_REQUEST", "invalid handshake: first request must be connect"},
		{"mismatch", "connect", map[string]any{"minProtocol": 4, "maxProtocol": 4, "client": map[string]any{}}, "INVALID_REQUEST", "protocol mismatch"},
		{"unauthorized v2", "connect", v2Connect(nil), "INVALID_REQUEST", "unauthorized"},
		{"bad params", "connect", map[string]any{"minProtocol": 2, "maxProtocol": 2}, "INVALID_REQUEST", "invalid connect params: must have required property 'client'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, g.url)
			f := c.Call(tc.method, tc.params)
			if f.OK || f.Error == nil || f.Error.Code != tc.code || f.Error.Message != tc.msg {
				t.Fatalf("res = ok:%v %+v, want %s %q", f.OK, f.Error, tc.code, tc.msg)
			}
			c.WaitClose()
		})
	}
}

func TestFrameLimitsAndBinary(t *testing.T) {
	g := startGateway(t, Options{MaxPayload: 64 * 1024})
	t.Run("oversized frame closes 1009", func(t *testing.T) {
		r := dialRaw(t, g.url)
		r.WriteFrame(1, []byte(`{"type":"req","id":"1","method":"connect","params":{"pad":"`+strings.Repeat("x", 70*1024)+`"}}`))
		code, _ := r.ReadUntilClose()
		if code != 1009 {
			t.Fatalf("close code = %d, want 1009", code)
		}
	})
	t.Run("binary frames are accepted as UTF-8 JSON", func(t *testing.T) {
		r := dialRaw(t, g.url)
		b, _ := json.Marshal(map[string]any{"type": "req", "id": "b1", "method": "connect", "params": v2Connect(nil)})
		r.WriteFrame(2, b)
		for {
			op, p, err := r.ReadFrame(5 * time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if op == 8 {
				t.Fatalf("closed: %q", p)
			}
			if strings.Contains(string(p), `"id":"b1"`) {
				if !strings.Contains(string(p), `"ok":true`) {
					t.Fatalf("binary connect refused: %s", p)
				}
				return
			}
		}
	})
}

func TestAfterHandshake(t *testing.T) {
	g := startGateway(t, Options{})
	c := dial(t, g.url)
	c.Handshake(v2Connect(nil))

	f := c.Call("connect", v2Connect(nil))
	if f.OK || f.Error.Message != "connect is only valid as the first request" {
		t.Fatalf("second connect: %+v", f.Error)
	}
	f = c.Call("no.such.method", nil)
	if f.OK || f.Error.Code != "INVALID_REQUEST" || f.Error.Message != "unknown method: no.such.method" {
		t.Fatalf("unknown method: %+v", f.Error)
	}
	f = c.Call("system-event", map[string]any{"text": 5})
	if f.OK || f.Error.Message != "invalid system-event params: /text: must be string" || !strings.Contains(string(f.Error.Details), `"/text"`) {
		t.Fatalf("bad params: %+v %s", f.Error, f.Error.Details)
	}
	// Unparseable JSON after the handshake is ignored; the connection stays usable.
	c.Send("{nope")
	c.Send(`{"type":"req","method":"health"}`)
	var sum protocol.HealthSummary
	c.MustOK("health", nil, &sum)
	if !sum.Ok || sum.Connections == nil || *sum.Connections < 1 {
		t.Fatalf("health = %+v", sum)
	}
	// A not-yet-built capability answers honestly.
	f = c.Call("send", map[string]any{"to": "+1555", "message": "hi", "idempotencyKey": "k"})
	if f.OK || f.Error.Code != "UNAVAILABLE" || !strings.Contains(f.Error.Message, "not implemented") {
		t.Fatalf("send: %+v", f.Error)
	}
	if c.Invalid.Load() != 0 {
		t.Fatal("server sent frames that break their schemas")
	}
}

func TestInvalidFrameAnsweredWithItsID(t *testing.T) {
	g := startGateway(t, Options{})
	c := dial(t, g.url)
	c.Handshake(v2Connect(nil))
	w := make(chan *frame, 2)
	c.Expect("x1", w)
	c.Expect("invalid", w)
	c.Send(`{"type":"req","id":"x1"}`)
	f := <-w
	if f.ID != "x1" || f.OK || !strings.HasPrefix(f.Error.Message, "invalid request frame: ") {
		t.Fatalf("got %+v", f)
	}
	c.Send(`{"type":"req","id":7,"method":"health"}`)
	f = <-w
	if f.ID != "invalid" || f.OK {
		t.Fatalf("got %+v", f)
	}
}

func TestV3DeviceIdentity(t *testing.T) {
	now := time.Now()
	devices, err := auth.OpenStore(auth.StoreOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, Options{Secrets: auth.Secrets{Mode: auth.ModeToken, Token: "s3cret"}, Devices: devices})
	dev := newDevice(t)
	connect := func(mut func(dev map[string]any, nonce string)) (*testClient, *frame) {
		c := dial(t, g.url)
		nonce := c.Challenge()
		d := dev.Sign("test", "test", "operator", nil, now, "s3cret", nonce)
		if mut != nil {
			mut(d, nonce)
		}
		f := c.Call("connect", v3Connect(map[string]any{"device": d, "auth": map[string]any{"token": "s3cret"}}))
		return c, f
	}
	t.Run("valid signature: paired locally, device token issued", func(t *testing.T) {
		c, f := connect(nil)
		if !f.OK {
			t.Fatalf("refused: %+v", f.Error)
		}
		var h protocol.HelloOk
		if err := h.UnmarshalJSON(f.Payload); err != nil {
			t.Fatal(err)
		}
		if h.Auth == nil || h.Auth.DeviceToken == "" || h.Auth.Role != "operator" || len(h.Auth.Scopes) != 1 || h.Auth.Scopes[0] != "operator.admin" {
			t.Fatalf("hello-ok.auth = %+v", h.Auth)
		}
		found := false
		for _, e := range h.Snapshot.Presence {
			if e.DeviceID != nil && *e.DeviceID == dev.ID {
				found = true
			}
		}
		if !found {
			t.Fatalf("presence has no row keyed by the device: %+v", h.Snapshot.Presence)
		}
		// The device token alone authenticates the next connect.
		c2 := dial(t, g.url)
		nonce := c2.Challenge()
		d := dev.Sign("test", "test", "operator", nil, now, h.Auth.DeviceToken, nonce)
		f2 := c2.Call("connect", v3Connect(map[string]any{"device": d, "auth": map[string]any{"token": h.Auth.DeviceToken}}))
		if !f2.OK {
			t.Fatalf("device token refused: %+v", f2.Error)
		}
		var h2 protocol.HelloOk
		if err := h2.UnmarshalJSON(f2.Payload); err != nil {
			t.Fatal(err)
		}
		if h2.Auth == nil || h2.Auth.DeviceToken != h.Auth.DeviceToken {
			t.Fatalf("a valid device token must be handed back, not rotated: %+v", h2.Auth)
		}
		_ = c
	})
	for _, tc := range []struct {
		name string
		mut  func(d map[string]any, nonce string)
		msg  string
	}{
		{"tampered signature", func(d map[string]any, _ string) {
			s := []byte(d["signature"].(string))
			s[3] ^= 1
			if s[3] == '-' || s[3] == '_' {
				s[3] = 'A'
			}
			d["signature"] = string(s)
		}, "device signature invalid"},
		{"expired", func(d map[string]any, nonce string) {
			old := dev.Sign("test", "test", "operator", nil, now.Add(-11*time.Minute), "s3cret", nonce)
			for k, v := range old {
				d[k] = v
			}
		}, "device signature expired"},
		{"wrong nonce", func(d map[string]any, _ string) {
			other := dev.Sign("test", "test", "operator", nil, now, "s3cret", "not-the-challenge")
			for k, v := range other {
				d[k] = v
			}
		}, "device nonce mismatch"},
		{"id mismatch", func(d map[string]any, _ string) { d["id"] = strings.Repeat("ab", 32) }, "device identity mismatch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, f := connect(tc.mut)
			if f.OK || f.Error.Message != tc.msg {
				t.Fatalf("res = %+v, want %q", f.Error, tc.msg)
			}
			ce := c.WaitClose()
			if ce.Code != 1008 || string(ce.Reason) != tc.msg {
				t.Fatalf("close = %d %q", ce.Code, ce.Reason)
			}
		})
	}
}

// TestSeqOrder broadcasts 1 000 events and checks every client sees them in seq order,
// without gaps, each frame valid.
func TestSeqOrder(t *testing.T) {
	g := startGateway(t, Options{})
	var clients []*testClient
	for i := 0; i < 3; i++ {
		c := dial(t, g.url)
		c.Handshake(v2Connect(map[string]any{"client": map[string]any{"name": "c", "version": "1", "platform": "linux", "mode": "cli"}}))
		clients = append(clients, c)
	}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 250; i++ {
				g.s.Broadcast(&protocol.TickEvent{Ts: int64(i)})
			}
		}()
	}
	wg.Wait()
	for _, c := range clients {
		var last int64 = -1
		n := 0
		for n < 1000 {
			f := c.NextEvent("tick")
			if last >= 0 && *f.Seq != last+1 {
				t.Fatalf("seq %d after %d", *f.Seq, last)
			}
			last = *f.Seq
			n++
		}
	}
}

// TestSlowConsumer: a client that stops reading misses droppable events, then is
// closed with 1008 "slow consumer" on a non-droppable one, while a reading client gets
// every event.
func TestSlowConsumer(t *testing.T) {
	g := startGateway(t, Options{MaxBufferedBytes: 16 * 1024})
	fast := dial(t, g.url)
	fast.Handshake(v2Connect(nil))
	dialRawCLI(t, g.url, "slow")
	var sc *Conn
	for _, c := range g.s.hub.snapshot() {
		if c.clientID == "slow" {
			sc = c
		}
	}
	if sc == nil {
		t.Fatal("slow client not registered")
	}
	// The slow client now reads nothing. Fill the kernel's socket buffers and then our
	// queue with droppable events until the backlog stays over the limit.
	big := strings.Repeat("x", 32*1024)
	stuck := false
	for i := 0; i < 4000 && !stuck; i++ {
		g.s.Broadcast(&protocol.PresenceEvent{Presence: []protocol.PresenceEntry{{Ts: int64(i), Text: &big}}})
		if i%50 == 49 {
			time.Sleep(20 * time.Millisecond) // let the writer push into the socket
			stuck = sc.buffered.Load() > int64(g.s.opts.MaxBufferedBytes)
		}
	}
	if !stuck || g.s.metrics.dropped.Load() == 0 {
		t.Fatalf("backlog never stayed over the limit (buffered %d, dropped %d)", sc.buffered.Load(), g.s.metrics.dropped.Load())
	}
	if g.s.metrics.slow.Load() != 0 {
		t.Fatal("droppable events closed the slow consumer")
	}
	// A non-droppable event closes it — once the fast client has caught up (under the
	// race detector it may still be reading the burst above, and then it is, correctly,
	// over the limit too).
	var fc *Conn
	for _, c := range g.s.hub.snapshot() {
		if c != sc {
			fc = c
		}
	}
	for deadline := time.Now().Add(20 * time.Second); fc.buffered.Load() > 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the reading client never caught up (buffered %d)", fc.buffered.Load())
		}
	}
	sum, _, _ := g.s.health.Current()
	g.s.hub.broadcast(&sum, &protocol.StateVersion{Presence: 1, Health: 1})
	if g.s.metrics.slow.Load() != 1 {
		t.Fatalf("non-droppable event did not close the slow consumer (buffered %d, closed %v)", sc.buffered.Load(), sc.closed.Load())
	}
	// The fast client is unaffected and still answers.
	var h protocol.HealthSummary
	fast.MustOK("health", nil, &h)
	deadline := time.Now().Add(10 * time.Second)
	for g.s.Connections() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("connections = %d, want 1: the slow consumer was not dropped", g.s.Connections())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestPresence(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	store := presence.New(presence.Options{Now: clock, Self: presence.SelfInfo{Host: "gw"}})
	g := startGateway(t, Options{Presence: store, Now: clock})

	watcher := dial(t, g.url)
	h := watcher.Handshake(v2Connect(map[string]any{"client": map[string]any{"name": "watcher", "version": "1", "platform": "linux", "mode": "cli"}}))
	if len(h.Snapshot.Presence) != 1 || *h.Snapshot.Presence[0].Host != "gw" {
		t.Fatalf("cli clients must not appear in presence: %+v", h.Snapshot.Presence)
	}
	v0 := h.Snapshot.StateVersion.Presence

	app := dial(t, g.url)
	h2 := app.Handshake(v2Connect(nil))
	if h2.Snapshot.StateVersion.Presence != v0+1 || len(h2.Snapshot.Presence) != 2 {
		t.Fatalf("connect must add a row and bump the version: %+v", h2.Snapshot)
	}
	// system-event beacons broadcast the full list.
	app.MustOK("system-event", map[string]any{"text": "Node: laptop (10.0.0.5) · app 1.2 · last input 3s ago · mode app · reason periodic", "instanceId": "inst-1"}, nil)
	ev := watcher.NextEvent("presence")
	var pe protocol.PresenceEvent
	if err := pe.UnmarshalJSON(ev.Payload); err != nil {
		t.Fatal(err)
	}
	if ev.StateVersion == nil || ev.StateVersion.Presence != v0+2 {
		t.Fatalf("presence event stateVersion = %+v", ev.StateVersion)
	}
	var list []protocol.PresenceEntry
	watcher.MustOK("system-presence", nil, &list)
	if len(list) != 2 {
		t.Fatalf("presence = %d rows", len(list))
	}
	// Disconnect marks the row and broadcasts; the row lingers until the TTL.
	app.WS.NetConn().Close()
	ev = watcher.NextEvent("presence")
	if err := pe.UnmarshalJSON(ev.Payload); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range pe.Presence {
		if e.InstanceID != nil && *e.InstanceID == "inst-1" && e.Reason != nil && *e.Reason == "disconnect" {
			found = true
		}
	}
	if !found {
		t.Fatalf("no disconnect row: %s", ev.Payload)
	}
	advance(5*time.Minute + time.Second)
	watcher.MustOK("system-presence", nil, &list)
	if len(list) != 1 {
		t.Fatalf("expired rows not pruned: %d rows", len(list))
	}
}

func TestShutdownEvent(t *testing.T) {
	g := startGateway(t, Options{})
	c := dial(t, g.url)
	c.Handshake(v3Connect(nil))
	go g.s.Shutdown(t.Context(), "gateway stopping", 0)
	ev := c.NextEvent("shutdown")
	var sd protocol.ShutdownEvent
	if err := sd.UnmarshalJSON(ev.Payload); err != nil {
		t.Fatal(err)
	}
	if sd.Reason != "gateway stopping" || sd.RestartExpectedMs != nil {
		t.Fatalf("shutdown = %+v", sd)
	}
	ce := c.WaitClose()
	if ce.Code != 1012 || string(ce.Reason) != "service restart" {
		t.Fatalf("close = %d %q", ce.Code, ce.Reason)
	}
}

// TestShutdownDuringStart: a stop that comes while Serve is still starting (the
// daemon stopped right after start) neither races Serve's timers nor leaves it
// serving: Serve returns nil and the port is closed. Run under -race, the
// concurrent case is the one CI saw fail.
func TestShutdownDuringStart(t *testing.T) {
	for i := range 8 {
		s, err := New(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		ln, err := Listen("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		served := make(chan error, 1)
		stopped := make(chan error, 1)
		if i%2 == 0 { // Shutdown strictly first, then Serve.
			stopped <- s.Shutdown(t.Context(), "gateway stopping", 0)
			go func() { served <- s.Serve(ln) }()
		} else { // Both at once.
			go func() { served <- s.Serve(ln) }()
			go func() { stopped <- s.Shutdown(t.Context(), "gateway stopping", 0) }()
		}
		select {
		case err := <-served:
			if err != nil {
				t.Fatalf("run %d: Serve = %v", i, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("run %d: Serve still running after Shutdown", i)
		}
		if err := <-stopped; err != nil {
			t.Fatalf("run %d: Shutdown = %v", i, err)
		}
		if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
			c.Close()
			t.Fatalf("run %d: the port still accepts after Shutdown", i)
		}
	}
}

func TestV3Scopes(t *testing.T) {
	g := startGateway(t, Options{})
	c := dial(t, g.url)
	c.Handshake(v3Connect(map[string]any{"scopes": []string{"operator.read"}}))
	if f := c.Call("system-presence", nil); !f.OK {
		t.Fatalf("read method refused: %+v", f.Error)
	}
	f := c.Call("system-event", map[string]any{"text": "x"})
	if f.OK || f.Error.Message != "missing scope: operator.write" {
		t.Fatalf("write method: %+v", f.Error)
	}
	f = c.Call("node.invoke.result", map[string]any{"id": "1", "nodeId": "n", "ok": true})
	if f.OK || f.Error.Message != "unauthorized role: operator" {
		t.Fatalf("node method: %+v", f.Error)
	}
	n := dial(t, g.url)
	n.Handshake(v3Connect(map[string]any{"role": "node", "client": map[string]any{"id": "node-host", "version": "1", "platform": "linux", "mode": "node"}}))
	f = n.Call("system-presence", nil)
	if f.OK || f.Error.Message != "unauthorized role: node" {
		t.Fatalf("node calling operator method: %+v", f.Error)
	}
}

// TestRemoteDevicePairing: a remote device is held at NOT_PAIRED until an operator
// approves it; a rejected one stays out.
func TestRemoteDevicePairing(t *testing.T) {
	devices, err := auth.OpenStore(auth.StoreOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, Options{Secrets: auth.Secrets{Mode: auth.ModeToken, Token: "s3cret"}, Devices: devices})
	admin := dial(t, g.url)
	admin.Handshake(v3Connect(map[string]any{"auth": map[string]any{"token": "s3cret"}}))
	remote := http.Header{"X-Forwarded-For": {"203.0.113.7"}}

	try := func(dev *device) (*testClient, *frame) {
		c := dialHeader(t, g.url, remote)
		nonce := c.Challenge()
		f := c.Call("connect", v3Connect(map[string]any{"device": dev.Sign("test", "test", "operator", nil, time.Now(), "s3cret", nonce), "auth": map[string]any{"token": "s3cret"}}))
		return c, f
	}
	dev := newDevice(t)
	c, f := try(dev)
	if f.OK || f.Error.Code != "NOT_PAIRED" || f.Error.Message != "pairing required" {
		t.Fatalf("remote device: %+v", f.Error)
	}
	var det struct{ RequestID string }
	_ = json.Unmarshal(f.Error.Details, &det)
	if ce := c.WaitClose(); ce.Code != 1008 || string(ce.Reason) != "pairing required" {
		t.Fatalf("close = %d %q", ce.Code, ce.Reason)
	}
	ev := admin.NextEvent("device.pair.requested")
	var req protocol.DevicePairRequest
	if err := req.UnmarshalJSON(ev.Payload); err != nil {
		t.Fatal(err)
	}
	if req.DeviceID != dev.ID || req.RequestID != det.RequestID {
		t.Fatalf("request %+v, details %+v", req, det)
	}
	var list protocol.DevicePairListResult
	admin.MustOK("device.pair.list", nil, &list)
	if len(list.Pending) != 1 {
		t.Fatalf("pending = %+v", list.Pending)
	}
	admin.MustOK("device.pair.approve", map[string]any{"requestId": req.RequestID}, nil)
	admin.NextEvent("device.pair.resolved")
	if _, f := try(dev); !f.OK {
		t.Fatalf("approved device refused: %+v", f.Error)
	}

	other := newDevice(t)
	c, f = try(other)
	c.WaitClose()
	ev = admin.NextEvent("device.pair.requested")
	_ = req.UnmarshalJSON(ev.Payload)
	admin.MustOK("device.pair.reject", map[string]any{"requestId": req.RequestID}, nil)
	if _, f := try(other); f.OK || f.Error.Code != "NOT_PAIRED" {
		t.Fatalf("rejected device: %+v", f.Error)
	}
	f = admin.Call("device.pair.approve", map[string]any{"requestId": "nope"})
	if f.OK || f.Error.Message != "unknown requestId" {
		t.Fatalf("unknown request: %+v", f.Error)
	}
}

type panicky struct{ *system.Handler[*Conn] }

func (p panicky) Status(context.Context, *Conn, *protocol.StatusParams) (*protocol.StatusResult, error) {
	panic("boom")
}

// TestHandlerPanic: a panicking handler answers UNAVAILABLE for that request only.
func TestHandlerPanic(t *testing.T) {
	g := startGateway(t, Options{}, func(s *Server) { s.Mux().SetSystem(panicky{system.New[*Conn](s, system.Options{})}) })
	c := dial(t, g.url)
	c.Handshake(v2Connect(nil))
	f := c.Call("status", nil)
	if f.OK || f.Error.Code != "UNAVAILABLE" || f.Error.Message != "internal error in status" {
		t.Fatalf("status: %+v", f.Error)
	}
	var list []protocol.PresenceEntry
	c.MustOK("system-presence", nil, &list)
}

func TestLogsTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gateway.log")
	first := "{\"time\":\"2026-01-09T01:38:41.523Z\",\"level\":\"INFO\",\"msg\":\"one\"}\n" +
		"{\"time\":\"2026-01-09T01:38:42.000Z\",\"level\":\"WARN\",\"msg\":\"two\",\"subsystem\":\"cron\",\"id\":\"j1\"}\n"
	if err := os.WriteFile(path, []byte(first), 0o600); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, Options{LogFile: path})
	c := dial(t, g.url)
	c.Handshake(v3Connect(nil))
	// The Control UI's first call: no cursor, its limit and maxBytes.
	var r protocol.LogsTailResult
	c.MustOK("logs.tail", map[string]any{"limit": 1, "maxBytes": 250000}, &r)
	want := `{"0":"{\"subsystem\":\"cron\"}","1":"two id=j1","_meta":{"date":"2026-01-09T01:38:42.000Z","logLevelName":"WARN","name":"{\"subsystem\":\"cron\"}"},"time":"2026-01-09T01:38:42.000Z"}`
	if len(r.Lines) != 1 || r.Lines[0] != want || r.File != path || r.Cursor != r.Size || r.Truncated == nil || !*r.Truncated {
		t.Fatalf("logs.tail = %+v", r)
	}
	// Follow-up with the cursor: only the new line, original-shaped.
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("{\"time\":\"2026-01-09T01:38:43.000Z\",\"level\":\"ERROR\",\"msg\":\"three\"}\n")
	f.Close()
	var next protocol.LogsTailResult
	c.MustOK("logs.tail", map[string]any{"cursor": r.Cursor, "limit": 500, "maxBytes": 250000}, &next)
	if len(next.Lines) != 1 || !strings.Contains(next.Lines[0], `"1":"three"`) || !strings.Contains(next.Lines[0], `"logLevelName":"ERROR"`) || next.Reset != nil && *next.Reset {
		t.Fatalf("follow = %+v", next)
	}
	// A cursor past the end (the file rotated): reset, read from the start.
	var reset protocol.LogsTailResult
	c.MustOK("logs.tail", map[string]any{"cursor": next.Size + 100}, &reset)
	if reset.Reset == nil || !*reset.Reset || len(reset.Lines) != 3 {
		t.Fatalf("reset = %+v", reset)
	}
	bad := c.Call("logs.tail", map[string]any{"limit": 0})
	if bad.OK || !strings.Contains(bad.Error.Message, "must be >= 1") {
		t.Fatalf("limit 0: %+v", bad.Error)
	}
}

func TestNodePairing(t *testing.T) {
	st, err := nodes.OpenStore(nodes.StoreOptions{StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, Options{Nodes: st})
	op := dial(t, g.url)
	op.Handshake(v3Connect(nil))

	var rq protocol.NodePairRequestResult
	op.MustOK("node.pair.request", map[string]any{"nodeId": "phone-1", "displayName": "Phone", "platform": "ios", "caps": []string{"camera", "canvas", "camera"}}, &rq)
	if !rq.Created || rq.Request.NodeID != "phone-1" {
		t.Fatalf("request: %+v", rq)
	}
	if ev := op.NextEvent("node.pair.requested"); !strings.Contains(string(ev.Payload), rq.Request.RequestID) {
		t.Fatalf("requested event: %s", ev.Payload)
	}
	var again protocol.NodePairRequestResult
	op.MustOK("node.pair.request", map[string]any{"nodeId": "phone-1"}, &again)
	if again.Created || again.Request.RequestID != rq.Request.RequestID {
		t.Fatalf("second request must reuse the pending one: %+v", again)
	}
	var ap protocol.NodePairApproveResult
	op.MustOK("node.pair.approve", map[string]any{"requestId": rq.Request.RequestID}, &ap)
	if ap.Token == "" || ap.Node.NodeID != "phone-1" {
		t.Fatalf("approve: %+v", ap)
	}
	op.NextEvent("node.pair.resolved")
	var list protocol.NodePairListResult
	f := op.Call("node.pair.list", nil)
	if !f.OK || strings.Contains(string(f.Payload), ap.Token) {
		t.Fatalf("node.pair.list must never return tokens: %s", f.Payload)
	}
	_ = json.Unmarshal(f.Payload, &list)
	if len(list.Paired) != 1 || len(list.Pending) != 0 {
		t.Fatalf("list: %+v", list)
	}
	var vr protocol.NodePairVerifyResult
	op.MustOK("node.pair.verify", map[string]any{"nodeId": "phone-1", "token": ap.Token}, &vr)
	if !vr.Ok {
		t.Fatal("right token refused")
	}
	op.MustOK("node.pair.verify", map[string]any{"nodeId": "phone-1", "token": "wrong"}, &vr)
	if vr.Ok {
		t.Fatal("wrong token accepted")
	}
	op.MustOK("node.rename", map[string]any{"nodeId": "phone-1", "displayName": "Kitchen phone"}, nil)
	var nl protocol.NodeListResult
	op.MustOK("node.list", nil, &nl)
	if len(nl.Nodes) != 1 || *nl.Nodes[0].DisplayName != "Kitchen phone" || !nl.Nodes[0].Paired || nl.Nodes[0].Connected || strings.Join(nl.Nodes[0].Caps, ",") != "camera,canvas" {
		t.Fatalf("node.list: %+v", nl.Nodes)
	}
	if f := op.Call("node.describe", map[string]any{"nodeId": "nope"}); f.OK || f.Error.Message != "unknown nodeId" {
		t.Fatalf("describe unknown: %+v", f.Error)
	}
	if f := op.Call("node.pair.approve", map[string]any{"requestId": "nope"}); f.OK || f.Error.Message != "unknown requestId" {
		t.Fatalf("approve unknown: %+v", f.Error)
	}
	op.MustOK("node.pair.request", map[string]any{"nodeId": "tablet"}, &rq)
	var rj protocol.NodePairRejectResult
	op.MustOK("node.pair.reject", map[string]any{"requestId": rq.Request.RequestID}, &rj)
	if rj.NodeID != "tablet" {
		t.Fatalf("reject: %+v", rj)
	}
}

func TestConfigMethods(t *testing.T) {
	path := filepath.Join(t.TempDir(), "clawdbot.json")
	g := startGateway(t, Options{ConfigPath: path})
	c := dial(t, g.url)
	c.Handshake(v3Connect(nil))

	var got protocol.ConfigGetResult
	c.MustOK("config.get", nil, &got)
	if got.Exists || !got.Valid || got.Raw != nil {
		t.Fatalf("missing file: %+v", got)
	}
	raw := `{ gateway: { mode: "local", auth: { token: "supersecret" } }, // JSON5
}`
	var set protocol.ConfigSetResult
	c.MustOK("config.set", map[string]any{"raw": raw}, &set)
	if !set.Ok || strings.Contains(string(set.Config), "supersecret") {
		t.Fatalf("config.set: %+v", set)
	}
	c.MustOK("config.get", nil, &got)
	if !got.Exists || got.Raw == nil || strings.Contains(*got.Raw, "supersecret") || !strings.Contains(*got.Raw, "// JSON5") || got.Hash == nil {
		t.Fatalf("config.get must redact secrets and keep comments: %+v", got)
	}
	// Sending the redacted text back keeps the stored secret.
	edited := strings.Replace(*got.Raw, `"local"`, `"local", port: 18800`, 1)
	c.MustOK("config.set", map[string]any{"raw": edited, "baseHash": *got.Hash}, &set)
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), "supersecret") || !strings.Contains(string(b), "18800") {
		t.Fatalf("file after redacted edit: %s", b)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("config mode %v", st.Mode().Perm())
	}
	for _, tc := range []struct {
		params map[string]any
		msg    string
	}{
		{map[string]any{"raw": `{ gateway: { port: 99999 } }`, "baseHash": sha256Hex(b)}, "invalid config"},
		{map[string]any{"raw": `{ gateway: `, "baseHash": sha256Hex(b)}, ""},
		{map[string]any{"raw": raw, "baseHash": *got.Hash}, "config changed since last load; re-run config.get and retry"},
		{map[string]any{"raw": raw}, "config base hash required; re-run config.get and retry"},
	} {
		f := c.Call("config.set", tc.params)
		if f.OK || f.Error.Code != "INVALID_REQUEST" || (tc.msg != "" && f.Error.Message != tc.msg) {
			t.Fatalf("config.set %v: %+v", tc.params, f.Error)
		}
		if tc.msg == "invalid config" && !strings.Contains(string(f.Error.Details), "gateway.port") {
			t.Fatalf("issues missing: %s", f.Error.Details)
		}
	}
	b2, _ := os.ReadFile(path)
	if string(b2) != string(b) {
		t.Fatal("a refused config.set changed the file")
	}
	var sch protocol.ConfigSchemaResult
	c.MustOK("config.schema", nil, &sch)
	if !strings.Contains(string(sch.Schema), `"ClawdbotConfig"`) || sch.UIHints["gateway.auth.token"].Sensitive == nil {
		t.Fatalf("config.schema: %.200s %+v", sch.Schema, sch.UIHints)
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
