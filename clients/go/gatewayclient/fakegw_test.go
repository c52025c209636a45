package gatewayclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lxzan/gws"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/tools/protogen/runtime/wire"
)

// fakeGW is a minimal gateway written for one test: it does the v3 handshake and then
// hands every request to handle. It lets tests produce what the real gateway does not
// (yet): a second res on one id (agent), or no tick at all.
type fakeGW struct {
	t      *testing.T
	url    string
	tickMs int64
	v2only bool // refuses protocol-3 connect params, as a protocol-2 reference gateway
	handle func(fc *fakeConn, id, method string, params json.RawMessage)

	connects atomic.Int32
	closes   chan string // "code reason" of every close the client sent
	seq      atomic.Int64

	ln    net.Listener
	srv   *http.Server
	up    *gws.Upgrader
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[*gws.Conn]struct{}
}

type fakeConn struct {
	g  *fakeGW
	ws *gws.Conn
}

func startFake(t *testing.T, tickMs int64, handle func(fc *fakeConn, id, method string, params json.RawMessage), setup ...func(*fakeGW)) *fakeGW {
	t.Helper()
	g := &fakeGW{t: t, tickMs: tickMs, handle: handle, closes: make(chan string, 16), conns: map[*gws.Conn]struct{}{}}
	for _, f := range setup {
		f(g)
	}
	g.up = gws.NewUpgrader(g, &gws.ServerOption{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g.ln = ln
	g.url = "ws://" + ln.Addr().String()
	g.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := g.up.Upgrade(w, r)
		if err != nil {
			return
		}
		g.mu.Lock()
		g.conns[ws] = struct{}{}
		g.mu.Unlock()
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			ws.ReadLoop()
		}()
	})}
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		_ = g.srv.Serve(ln)
	}()
	t.Cleanup(g.close)
	return g
}

func (g *fakeGW) close() {
	_ = g.srv.Close()
	g.mu.Lock()
	for ws := range g.conns {
		_ = ws.NetConn().Close()
	}
	g.mu.Unlock()
	g.wg.Wait()
}

func (g *fakeGW) OnOpen(ws *gws.Conn) {
	ch := &protocol.ConnectChallengeEvent{Nonce: "fake-nonce", Ts: time.Now().UnixMilli()}
	_ = ws.WriteMessage(gws.OpcodeText, appendFakeEvent(nil, ch.EventName(), ch.AppendJSON(nil), -1))
}

func (g *fakeGW) OnClose(ws *gws.Conn, err error) {
	g.mu.Lock()
	delete(g.conns, ws)
	g.mu.Unlock()
	var ce *gws.CloseError
	if errors.As(err, &ce) {
		select {
		case g.closes <- fmt.Sprintf("%d %s", ce.Code, ce.Reason):
		default:
		}
	}
}

func (g *fakeGW) OnPing(ws *gws.Conn, p []byte) { _ = ws.WritePong(p) }
func (g *fakeGW) OnPong(*gws.Conn, []byte)      {}

func (g *fakeGW) OnMessage(ws *gws.Conn, m *gws.Message) {
	var req struct {
		ID     string          `json:"id"`
		Method string          `json:"method"`
		Params json.RawMessage `json:"params"`
	}
	err := json.Unmarshal(m.Bytes(), &req)
	_ = m.Close()
	if err != nil {
		g.t.Errorf("fake gateway: bad frame: %v", err)
		return
	}
	fc := &fakeConn{g: g, ws: ws}
	if req.Method == "connect" && g.v2only {
		var p protocol.ConnectParamsV2
		if err := p.UnmarshalJSON(req.Params); err != nil {
			fc.res(req.ID, false, nil, &protocol.ErrorShape{Code: CodeInvalidRequest, Message: "invalid connect params: " + err.Error()})
			_ = ws.WriteClose(1008, []byte("invalid handshake"))
			return
		}
		n := g.connects.Add(1)
		h := fakeHello(n, g.tickMs)
		h.Protocol = 2
		fc.res(req.ID, true, h.AppendJSON(nil), nil)
		return
	}
	if req.Method == "connect" {
		var p protocol.ConnectParams
		if err := p.UnmarshalJSON(req.Params); err != nil {
			g.t.Errorf("fake gateway: connect params break the v3 schema: %v", err)
		}
		if p.Device != nil && (p.Device.Nonce == nil || *p.Device.Nonce != "fake-nonce") {
			g.t.Errorf("fake gateway: device nonce %v", p.Device.Nonce)
		}
		n := g.connects.Add(1)
		fc.res(req.ID, true, fakeHello(n, g.tickMs).AppendJSON(nil), nil)
		return
	}
	g.handle(fc, req.ID, req.Method, req.Params)
}

func fakeHello(n int32, tickMs int64) *protocol.HelloOk {
	text := "fake gateway"
	return &protocol.HelloOk{
		Protocol: 3,
		Server:   protocol.HelloOkServer{Version: "fake", ConnID: fmt.Sprintf("fake-%d", n)},
		Features: protocol.HelloOkFeatures{Methods: []string{"health", "agent"}, Events: []string{"tick", "agent"}},
		Snapshot: protocol.Snapshot{
			Presence: []protocol.PresenceEntry{{Text: &text, Ts: time.Now().UnixMilli()}},
			Health: protocol.HealthSummary{Ok: true, Ts: time.Now().UnixMilli(),
				Sessions: protocol.HealthSummarySessions{Path: "(none)", Recent: []protocol.HealthSummarySessionsRecentItem{}}},
			StateVersion: protocol.StateVersion{Presence: 1, Health: 1},
		},
		Policy: protocol.Policy{MaxPayload: 512 << 10, MaxBufferedBytes: 1 << 20, TickIntervalMs: tickMs},
	}
}

// res writes a res frame; payload and errShape may be nil.
func (fc *fakeConn) res(id string, ok bool, payload []byte, e *protocol.ErrorShape) {
	b := []byte(`{"type":"res","id":`)
	b = wire.AppendString(b, id)
	b = append(b, `,"ok":`...)
	b = wire.AppendBool(b, ok)
	if payload != nil {
		b = append(b, `,"payload":`...)
		b = append(b, payload...)
	}
	if e != nil {
		b = append(b, `,"error":`...)
		b = e.AppendJSON(b)
	}
	b = append(b, '}')
	_ = fc.ws.WriteMessage(gws.OpcodeText, b)
}

// event writes a broadcast-style event with the next seq.
func (fc *fakeConn) event(name string, payload []byte) {
	_ = fc.ws.WriteMessage(gws.OpcodeText, appendFakeEvent(nil, name, payload, fc.g.seq.Add(1)))
}

func appendFakeEvent(b []byte, name string, payload []byte, seq int64) []byte {
	b = append(b, `{"type":"event","event":`...)
	b = wire.AppendString(b, name)
	b = append(b, `,"payload":`...)
	b = append(b, payload...)
	if seq >= 0 {
		b = append(b, `,"seq":`...)
		b = wire.AppendInt(b, seq)
	}
	return append(b, '}')
}

func agentEvent(runID string, seq int64, stream string, data string) []byte {
	return fmt.Appendf(nil, `{"runId":%q,"seq":%d,"stream":%q,"ts":%d,"data":%s}`, runID, seq, stream, time.Now().UnixMilli(), data)
}

func TestTickWatchdogReconnects(t *testing.T) {
	// The fake gateway promises a tick every 50 ms and never sends one.
	g := startFake(t, 50, func(fc *fakeConn, id, method string, _ json.RawMessage) {
		fc.res(id, true, []byte(`{}`), nil)
	})
	start := time.Now()
	c := dialT(t, g.url, Options{Client: ClientInfo{ID: protocol.ClientIDTest, Mode: "test"}})
	events, cancel := c.Subscribe("")
	defer cancel()
	nextEvent(t, events, "reconnect after the tick timeout", isGap(GapReconnect))
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("reconnected after %v, before 2 × tickIntervalMs", d)
	}
	select {
	case why := <-g.closes:
		if why != "4000 tick timeout" {
			t.Errorf("client closed with %q, want 4000 tick timeout", why)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the fake gateway saw no close")
	}
	if n := g.connects.Load(); n < 2 {
		t.Fatalf("%d connects", n)
	}
}

// agentFake plays the two-stage agent method: message "ok" succeeds, "fail" fails,
// "hang" is only accepted.
func agentFake(t *testing.T) *fakeGW {
	return startFake(t, 30000, func(fc *fakeConn, id, method string, params json.RawMessage) {
		if method != "agent" {
			fc.res(id, false, nil, &protocol.ErrorShape{Code: CodeInvalidRequest, Message: "unknown method: " + method})
			return
		}
		var p protocol.AgentParams
		if err := p.UnmarshalJSON(params); err != nil {
			fc.res(id, false, nil, &protocol.ErrorShape{Code: CodeInvalidRequest, Message: err.Error()})
			return
		}
		run := p.IdempotencyKey
		acc := &protocol.AgentResult{RunID: run, Status: protocol.AgentResultStatusAccepted, AcceptedAt: new(time.Now().UnixMilli())}
		fc.res(id, true, acc.AppendJSON(nil), nil)
		fc.event("agent", agentEvent(run, 1, "lifecycle", `{"phase":"start","startedAt":1}`))
		fc.event("agent", agentEvent("someone-else", 1, "lifecycle", `{"phase":"start","startedAt":1}`))
		// An undeclared property, as the reference gateway sends: decoded leniently.
		fc.event("agent", fmt.Appendf(nil, `{"runId":%q,"seq":2,"stream":"assistant","ts":2,"data":{"text":"hel"},"extra":true}`, run))
		fc.event("agent", agentEvent(run, 3, "assistant", `{"text":"hello"}`))
		switch p.Message {
		case "ok":
			fc.event("agent", agentEvent(run, 4, "lifecycle", `{"phase":"end","endedAt":2}`))
			fin := &protocol.AgentResult{RunID: run, Status: protocol.AgentResultStatusOk, Summary: new("completed"), Result: json.RawMessage(`{"payloads":[{"text":"hello"}]}`)}
			fc.res(id, true, fin.AppendJSON(nil), nil)
		case "fail":
			fin := &protocol.AgentResult{RunID: run, Status: protocol.AgentResultStatusError, Summary: new("Error: boom")}
			fc.res(id, false, fin.AppendJSON(nil), &protocol.ErrorShape{Code: CodeUnavailable, Message: "Error: boom"})
		case "hang":
		}
	})
}

func TestAgentRun(t *testing.T) {
	g := agentFake(t)
	c := dialT(t, g.url, Options{Client: ClientInfo{ID: protocol.ClientIDTest, Mode: "test"}})
	ctx := testCtx(t)

	p := &protocol.AgentParams{Message: "ok"}
	run, err := c.Agent(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if p.IdempotencyKey == "" || run.RunID != p.IdempotencyKey || run.Accepted.Status != protocol.AgentResultStatusAccepted {
		t.Fatalf("run %q accepted %+v, key %q", run.RunID, run.Accepted, p.IdempotencyKey)
	}
	var got []string
	for ev := range run.Events() {
		if ev.RunID != run.RunID {
			t.Errorf("event of run %s delivered to run %s", ev.RunID, run.RunID)
		}
		got = append(got, fmt.Sprintf("%d:%s", ev.Seq, ev.Stream))
	}
	if want := "1:lifecycle 2:assistant 3:assistant 4:lifecycle"; strings.Join(got, " ") != want {
		t.Errorf("events %v, want %s", got, want)
	}
	res, err := run.Wait(ctx)
	if err != nil || res.Status != protocol.AgentResultStatusOk || string(res.Result) != `{"payloads":[{"text":"hello"}]}` {
		t.Fatalf("Wait = %+v, %v", res, err)
	}

	// A failed run: the error carries the code and the payload.
	run, err = c.Agent(ctx, &protocol.AgentParams{Message: "fail"})
	if err != nil {
		t.Fatal(err)
	}
	res, err = run.Wait(ctx)
	pe := asProtocolError(t, err)
	if pe.Code != CodeUnavailable || pe.Message != "Error: boom" || res == nil || res.Status != protocol.AgentResultStatusError || len(pe.Payload) == 0 {
		t.Fatalf("failed run: %+v, %+v", res, pe)
	}

	// No final answer in time: AGENT_TIMEOUT, and the run can still be waited for.
	run, err = c.Agent(ctx, &protocol.AgentParams{Message: "hang", IdempotencyKey: "my-run"})
	if err != nil || run.RunID != "my-run" {
		t.Fatal(run, err)
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_, err = run.Wait(short)
	if pe := asProtocolError(t, err); pe.Code != CodeAgentTimeout || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait past the deadline = %v", err)
	}
	select {
	case <-run.Done():
		t.Fatal("run done after a Wait timeout")
	default:
	}
	run.Close()
	if _, err := run.Wait(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("Wait after Close = %v", err)
	}
	if _, open := <-run.Events(); open {
		for range run.Events() {
		}
	}
	c.subMu.Lock()
	n := len(c.runs)
	c.subMu.Unlock()
	if n != 0 {
		t.Fatalf("%d runs still registered", n)
	}
}

func TestAgentRunDisconnect(t *testing.T) {
	var hung atomic.Pointer[fakeConn]
	g := startFake(t, 30000, func(fc *fakeConn, id, method string, params json.RawMessage) {
		var p protocol.AgentParams
		_ = p.UnmarshalJSON(params)
		hung.Store(fc)
		fc.res(id, true, (&protocol.AgentResult{RunID: p.IdempotencyKey, Status: protocol.AgentResultStatusAccepted}).AppendJSON(nil), nil)
	})
	c := dialT(t, g.url, Options{Client: ClientInfo{ID: protocol.ClientIDTest, Mode: "test"}})
	run, err := c.Agent(testCtx(t), &protocol.AgentParams{Message: "x"})
	if err != nil {
		t.Fatal(err)
	}
	_ = hung.Load().ws.WriteClose(1012, []byte("service restart"))
	_, err = run.Wait(testCtx(t))
	if pe := asProtocolError(t, err); !pe.Retryable || !errors.Is(err, ErrDisconnected) {
		t.Fatalf("Wait across a disconnect = %v", err)
	}
}

func TestFallbackToProtocol2(t *testing.T) {
	g := startFake(t, 30000, func(fc *fakeConn, id, method string, params json.RawMessage) {
		var p protocol.SendParams
		if err := p.UnmarshalJSON(params); err == nil { // would fail: v3 has no provider field
			t.Errorf("send params decode as v3")
		}
		fc.res(id, true, []byte(`{"runId":"r","messageId":"m","provider":"telegram"}`), nil)
	}, func(g *fakeGW) { g.v2only = true })
	// Only 3 is offered: refused.
	if _, err := Dial(testCtx(t), g.url, Options{Logger: testLogger()}); err == nil {
		t.Fatal("protocol 3 accepted by a protocol-2 gateway")
	}
	c := dialT(t, g.url, Options{MinProtocol: 2, MaxProtocol: 3})
	if c.Hello().Protocol != 2 {
		t.Fatalf("negotiated %d", c.Hello().Protocol)
	}
	// The request is encoded for protocol 2 (channel becomes provider).
	if _, err := c.Send(testCtx(t), &protocol.SendParams{To: "x", Message: "y", Channel: new("telegram")}); err != nil {
		t.Fatal(err)
	}
}
