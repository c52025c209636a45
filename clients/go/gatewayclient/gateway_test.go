package gatewayclient

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/auth"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/tools/protogen/runtime/wire"
)

func TestHandshakeV2(t *testing.T) {
	g := startGW(t, gateway.Options{})
	c := dialT(t, g.url, Options{MinProtocol: 2, MaxProtocol: 2, Client: ClientInfo{Name: "v2-test", InstanceID: "inst-v2"}})
	h := c.Hello()
	if h.Protocol != 2 || h.Auth != nil || h.Snapshot.SessionDefaults != nil {
		t.Fatalf("hello-ok = protocol %d auth %v sessionDefaults %v", h.Protocol, h.Auth, h.Snapshot.SessionDefaults)
	}
	if !hasInstance(h.Snapshot.Presence, "inst-v2") || !hasInstance(c.Presence(), "inst-v2") {
		t.Errorf("presence does not list this client: %+v", c.Presence())
	}
	if c.HealthState() == nil || !c.HealthState().Ok {
		t.Errorf("health state from the snapshot = %+v", c.HealthState())
	}
	ctx := testCtx(t)
	sum, err := c.Health(ctx, nil)
	if err != nil || !sum.Ok {
		t.Fatalf("Health = %+v, %v", sum, err)
	}
	// SendParams has a protocol-2 encoding (provider, no channel): it must pass the v2 schema.
	_, err = c.Send(ctx, &protocol.SendParams{To: "+15550001", Message: "hi"})
	if pe := asProtocolError(t, err); pe.Code != CodeUnavailable || !strings.Contains(pe.Message, "not implemented") {
		t.Fatalf("Send on v2 = %v, want UNAVAILABLE not implemented", err)
	}
}

func TestHandshakeV3DeviceToken(t *testing.T) {
	store, err := auth.OpenStore(auth.StoreOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	g := startGW(t, gateway.Options{Secrets: auth.Secrets{Mode: auth.ModeToken, Token: "s3cret"}, Devices: store})
	dir := t.TempDir()
	idPath := filepath.Join(dir, "identity", "device.json")
	tokPath := filepath.Join(dir, "identity", "device-auth.json")
	id, err := LoadOrCreateDeviceIdentity(idPath)
	if err != nil {
		t.Fatal(err)
	}
	ci := ClientInfo{ID: protocol.ClientIDTest, Mode: "test", DisplayName: "device test"}

	// First connect: shared token; the gateway pairs the (local) device and issues a token.
	c1 := dialT(t, g.url, Options{Token: "s3cret", Device: id, DeviceTokenStore: NewFileTokenStore(tokPath), Client: ci})
	h := c1.Hello()
	if h.Protocol != 3 || h.Auth == nil || h.Auth.DeviceToken == "" || h.Snapshot.SessionDefaults == nil {
		t.Fatalf("hello-ok v3 = protocol %d auth %+v", h.Protocol, h.Auth)
	}
	tok, ok, err := NewFileTokenStore(tokPath).LoadDeviceToken(id.ID, "operator")
	if err != nil || !ok || tok.Token != h.Auth.DeviceToken {
		t.Fatalf("stored device token = %+v %v %v, want %q", tok, ok, err, h.Auth.DeviceToken)
	}
	for _, p := range []string{idPath, tokPath} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, err %v; want 0600", p, fi.Mode().Perm(), err)
		}
	}
	if !strings.EqualFold(h.Snapshot.Presence[0].GetDeviceID(), id.ID) && !presenceHasDevice(c1.Presence(), id.ID) {
		t.Errorf("presence has no row for device %s", id.ID)
	}
	_ = c1.Close()

	// Second connect: same identity from disk, NO shared token — the stored device token
	// is the only credential.
	id2, err := LoadOrCreateDeviceIdentity(idPath)
	if err != nil || id2.ID != id.ID {
		t.Fatalf("reloaded identity %v, %v; want %s", id2, err, id.ID)
	}
	c2 := dialT(t, g.url, Options{Device: id2, DeviceTokenStore: NewFileTokenStore(tokPath), Client: ci})
	if _, err := c2.Health(testCtx(t), nil); err != nil {
		t.Fatalf("Health over the device-token connection: %v", err)
	}
	if a := c2.Hello().Auth; a == nil || a.DeviceToken == "" {
		t.Fatalf("second hello-ok has no device token: %+v", a)
	}

	// Without any credential the same device is refused, with a typed error.
	_, err = Dial(testCtx(t), g.url, Options{Device: id2, Client: ci, Logger: testLogger()})
	if pe := asProtocolError(t, err); pe.Method != "connect" || pe.Code != CodeInvalidRequest || !strings.HasPrefix(pe.Message, "unauthorized") {
		t.Fatalf("Dial without credentials = %v", err)
	}

	// A stale device token is dropped and the shared token used instead.
	bad := NewMemoryTokenStore()
	_ = bad.StoreDeviceToken(id.ID, DeviceToken{Token: "stale-token", Role: "operator"})
	c3 := dialT(t, g.url, Options{Token: "s3cret", Device: id2, DeviceTokenStore: bad, Client: ci})
	if got, ok, _ := bad.LoadDeviceToken(id.ID, "operator"); !ok || got.Token != c3.Hello().Auth.DeviceToken {
		t.Fatalf("after fallback the store holds %+v, want the new token", got)
	}
}

func presenceHasDevice(list []protocol.PresenceEntry, id string) bool {
	for _, e := range list {
		if e.DeviceID != nil && *e.DeviceID == id {
			return true
		}
	}
	return false
}

func TestSignatureVerifiesOnServer(t *testing.T) {
	id, err := NewDeviceIdentity()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, tc := range []struct {
		scopes       []string
		token, nonce string
		local        bool
	}{
		{nil, "", "nonce-1", false},
		{[]string{"operator.read", "operator.write"}, "tok", "nonce-2", false},
		{nil, "tok", "", true}, // v1: no challenge, local peer
	} {
		payload := signaturePayload(id.ID, "cli", "cli", "operator", tc.scopes, now.UnixMilli(), tc.token, tc.nonce)
		if want := auth.SignaturePayload(map[bool]string{true: auth.PayloadV1, false: auth.PayloadV2}[tc.nonce == ""],
			id.ID, "cli", "cli", "operator", tc.scopes, now.UnixMilli(), tc.token, tc.nonce); payload != want {
			t.Fatalf("payload %q, server builds %q", payload, want)
		}
		dev := protocol.ConnectDevice{ID: id.ID, PublicKey: id.publicKeyString(), Signature: id.sign(payload), SignedAt: now.UnixMilli(), Nonce: wire.Opt(tc.nonce)}
		err := auth.VerifyDevice(auth.DeviceProof{Device: dev, ClientID: "cli", ClientMode: "cli", Role: "operator",
			RequestedScopes: tc.scopes, Token: tc.token, ChallengeNonce: tc.nonce, Local: tc.local, Now: now})
		if err != nil {
			t.Errorf("server rejects our signature (%+v): %v", tc, err)
		}
	}
}

func TestTypedErrors(t *testing.T) {
	g := startGW(t, gateway.Options{})
	c := dialT(t, g.url, Options{})
	ctx := testCtx(t)

	err := c.Call(ctx, "no.such.method", nil, nil)
	pe := asProtocolError(t, err)
	if pe.Code != CodeInvalidRequest || pe.Message != "unknown method: no.such.method" || pe.Retryable {
		t.Errorf("unknown method: %+v", pe)
	}

	err = c.Call(ctx, "system-event", map[string]any{"text": "x", "bogus": 1}, nil)
	pe = asProtocolError(t, err)
	var details map[string]string
	if pe.Code != CodeInvalidRequest || !strings.HasPrefix(pe.Message, "invalid system-event params") ||
		json.Unmarshal(pe.Details, &details) != nil || details["path"] == "" && !strings.Contains(pe.Message, "bogus") {
		t.Errorf("invalid params: %+v details %s", pe, pe.Details)
	}
	if pe.Details == nil {
		t.Errorf("invalid params: no details")
	}

	_, err = c.SystemEvent(ctx, &protocol.SystemEventParams{Text: "   "})
	if pe := asProtocolError(t, err); pe.Code != CodeInvalidRequest || pe.Message != "text required" {
		t.Errorf("blank system-event: %+v", pe)
	}

	_, err = c.Send(ctx, &protocol.SendParams{To: "+15550001", Message: "hi"})
	if pe := asProtocolError(t, err); pe.Code != CodeUnavailable || pe.Method != "send" {
		t.Errorf("send: %+v", pe)
	}

	// The agent helper reports the gateway's refusal the same way and keeps nothing.
	_, err = c.Agent(ctx, &protocol.AgentParams{Message: "hi"})
	if pe := asProtocolError(t, err); pe.Code != CodeUnavailable || !strings.Contains(pe.Message, "not implemented") {
		t.Errorf("agent: %+v", pe)
	}
	c.subMu.Lock()
	if len(c.runs) != 0 {
		t.Errorf("%d agent runs registered after a refused agent call", len(c.runs))
	}
	c.subMu.Unlock()

	// A request larger than the gateway's maxPayload is refused before it is sent (the
	// gateway would close the connection).
	err = c.Call(ctx, "system-event", map[string]any{"text": strings.Repeat("x", gateway.DefaultMaxPayload)}, nil)
	if pe := asProtocolError(t, err); pe.Code != CodeInvalidRequest || !strings.Contains(pe.Message, "maxPayload") {
		t.Errorf("oversized request: %+v", pe)
	}
	var nilSum *protocol.HealthSummary
	if err := c.Call(ctx, "health", nil, nilSum); err == nil {
		t.Error("nil result pointer accepted")
	}
	if !c.Connected() {
		t.Error("connection lost")
	}

	// A result that does not fit the target is a DecodeError, not a ProtocolError.
	var wrong []int
	err = c.Call(ctx, "health", nil, &wrong)
	var de *DecodeError
	if !errors.As(err, &de) || de.Method != "health" {
		t.Errorf("decode into the wrong type: %v", err)
	}
	// Raw results: json.RawMessage, a map, a generated type.
	var raw json.RawMessage
	var m map[string]any
	var sum protocol.HealthSummary
	if err := c.Call(ctx, "health", nil, &raw); err != nil || !strings.Contains(string(raw), `"ok":true`) {
		t.Errorf("raw health: %s %v", raw, err)
	}
	if err := c.Call(ctx, "health", json.RawMessage(`{}`), &m); err != nil || m["ok"] != true {
		t.Errorf("map health: %v %v", m, err)
	}
	if err := c.Call(ctx, "health", (*protocol.HealthParams)(nil), &sum); err != nil || !sum.Ok {
		t.Errorf("typed health: %+v %v", sum, err)
	}
}

// recordingSend answers send and records the idempotency keys it saw.
type recordingSend struct {
	allHandlers
	mu   sync.Mutex
	keys []string
}

func (h *recordingSend) Send(_ context.Context, _ *gateway.Conn, p *protocol.SendParams) (*protocol.SendResult, error) {
	h.mu.Lock()
	h.keys = append(h.keys, p.IdempotencyKey)
	h.mu.Unlock()
	return &protocol.SendResult{RunID: p.IdempotencyKey, MessageID: "m-" + p.IdempotencyKey, Provider: "whatsapp"}, nil
}

func (h *recordingSend) seen() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.keys...)
}

func TestIdempotencyKeys(t *testing.T) {
	h := &recordingSend{}
	g := startGW(t, gateway.Options{Mux: muxAll(h)})
	for _, proto := range []int{2, 3} {
		c := dialT(t, g.url, Options{MinProtocol: proto, MaxProtocol: proto})
		ctx := testCtx(t)
		p := &protocol.SendParams{To: "+15550001", Message: "hello"}
		r, err := c.Send(ctx, p)
		if err != nil {
			t.Fatalf("v%d send: %v", proto, err)
		}
		if len(p.IdempotencyKey) != 36 || r.RunID != p.IdempotencyKey {
			t.Fatalf("v%d: key %q written into params, gateway saw %q", proto, p.IdempotencyKey, r.RunID)
		}
		// A retry with the same params carries the same key.
		if r2, err := c.Send(ctx, p); err != nil || r2.RunID != p.IdempotencyKey {
			t.Fatalf("v%d retry: %+v %v", proto, r2, err)
		}
		// An explicit key is kept; a raw map gets one too.
		if r3, err := c.Send(ctx, &protocol.SendParams{To: "x", Message: "y", IdempotencyKey: "mine"}); err != nil || r3.RunID != "mine" {
			t.Fatalf("v%d explicit key: %+v %v", proto, r3, err)
		}
		m := map[string]any{"to": "x", "message": "y"}
		var res protocol.SendResult
		if err := c.Call(ctx, "send", m, &res); err != nil || m["idempotencyKey"] == "" || res.RunID != m["idempotencyKey"] {
			t.Fatalf("v%d map params: %v %+v %v", proto, m, res, err)
		}
	}
	if n := len(h.seen()); n != 8 {
		t.Errorf("gateway saw %d sends, want 8", n)
	}
}

func TestConcurrentCalls(t *testing.T) {
	g := startGW(t, gateway.Options{})
	c := dialT(t, g.url, Options{})
	ctx := testCtx(t)
	const goroutines, each = 50, 20
	var wg sync.WaitGroup
	var fails atomic.Int64
	for i := range goroutines {
		wg.Go(func() {
			for j := range each {
				var err error
				switch (i + j) % 4 {
				case 0:
					_, err = c.Health(ctx, nil)
				case 1:
					_, err = c.SystemPresence(ctx, nil)
				case 2:
					_, err = c.Status(ctx, nil)
				case 3:
					err = c.Call(ctx, "nope", nil, nil)
					if pe := (*ProtocolError)(nil); errors.As(err, &pe) && pe.Message == "unknown method: nope" {
						err = nil
					}
				}
				if err != nil {
					fails.Add(1)
					t.Errorf("goroutine %d call %d: %v", i, j, err)
				}
				_ = c.Presence()
				_ = c.HealthState()
			}
		})
	}
	wg.Wait()
	if fails.Load() > 0 {
		t.Fatalf("%d calls failed", fails.Load())
	}
}

func TestReconnectAfterStopStart(t *testing.T) {
	g := startGW(t, gateway.Options{})
	c := dialT(t, g.url, Options{Client: ClientInfo{InstanceID: "inst-rc"}})
	events, cancel := c.Subscribe("")
	defer cancel()
	first := c.Hello().Server.ConnID

	g.stop("gateway stopping", 0)
	nextEvent(t, events, "shutdown event", isEvent("shutdown"))
	if c.Connected() {
		t.Fatal("still connected after the shutdown event")
	}
	// A call made while the gateway is down waits for the reconnect.
	waited := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := c.Health(ctx, nil)
		waited <- err
	}()
	time.Sleep(100 * time.Millisecond) // a few failed attempts against the closed port
	g.restart()

	nextEvent(t, events, "reconnect gap notice", isGap(GapReconnect))
	if err := <-waited; err != nil {
		t.Fatalf("call made while disconnected: %v", err)
	}
	if h := c.Hello(); h.Server.ConnID == first {
		t.Fatalf("still on the old connection %s", first)
	}
	if !hasInstance(c.Presence(), "inst-rc") {
		t.Errorf("presence after reconnect lacks this client: %+v", c.Presence())
	}
	if _, err := c.Status(testCtx(t), nil); err != nil {
		t.Fatalf("Status after reconnect: %v", err)
	}
}

func TestReconnectAfterRestartExpected(t *testing.T) {
	g := startGW(t, gateway.Options{})
	// A backoff far longer than the test: only restartExpectedMs can bring it back in time.
	c := dialT(t, g.url, Options{Reconnect: ReconnectPolicy{MinBackoff: time.Minute, MaxBackoff: time.Minute}})
	events, cancel := c.Subscribe("")
	defer cancel()

	start := time.Now()
	g.stop("gateway restarting", 200)
	ev := nextEvent(t, events, "shutdown event", isEvent("shutdown"))
	var sd protocol.ShutdownEvent
	if err := sd.UnmarshalJSON(ev.Payload); err != nil || sd.RestartExpectedMs == nil || *sd.RestartExpectedMs != 200 {
		t.Fatalf("shutdown payload %s: %v", ev.Payload, err)
	}
	g.restart()
	nextEvent(t, events, "reconnect gap notice", isGap(GapReconnect))
	if d := time.Since(start); d < 150*time.Millisecond || d > 5*time.Second {
		t.Errorf("reconnected after %v; want about restartExpectedMs (200ms)", d)
	}
	if _, err := c.Health(testCtx(t), nil); err != nil {
		t.Fatal(err)
	}
}

// blockingStatus holds status requests until released.
type blockingStatus struct {
	allHandlers
	entered chan struct{}
	release chan struct{}
}

func (h *blockingStatus) Status(context.Context, *gateway.Conn, *protocol.StatusParams) (*protocol.StatusResult, error) {
	h.entered <- struct{}{}
	<-h.release
	return nil, errors.New("released")
}

func TestInFlightCallFailsOnDisconnect(t *testing.T) {
	h := &blockingStatus{entered: make(chan struct{}, 1), release: make(chan struct{})}
	g := startGW(t, gateway.Options{Mux: muxAll(h)})
	c := dialT(t, g.url, Options{})
	errCh := make(chan error, 1)
	go func() {
		_, err := c.Status(context.Background(), nil)
		errCh <- err
	}()
	<-h.entered
	stopped := make(chan struct{})
	go func() { g.stop("gateway stopping", 0); close(stopped) }()
	var err error
	select {
	case err = <-errCh:
	case <-time.After(10 * time.Second):
		t.Fatal("in-flight call did not fail on disconnect")
	}
	close(h.release)
	<-stopped
	pe := asProtocolError(t, err)
	if !errors.Is(err, ErrDisconnected) || !pe.Retryable || pe.Code != CodeUnavailable || pe.Method != "status" {
		t.Fatalf("in-flight error = %+v (%v)", pe, err)
	}
	if !strings.Contains(pe.Message, "1012") {
		t.Errorf("message does not say why: %q", pe.Message)
	}
}

func TestGapRefreshDroppedFrame(t *testing.T) {
	g := startGW(t, gateway.Options{})
	var drop atomic.Bool
	var dropped atomic.Int64
	hooks := &testHooks{frame: func(b []byte) bool {
		if drop.Load() && strings.Contains(string(b), `"event":"tick"`) {
			drop.Store(false)
			dropped.Add(1)
			return false
		}
		return true
	}}
	c := dialT(t, g.url, Options{Client: ClientInfo{InstanceID: "inst-gap"}, hooks: hooks})
	all, cancel := c.Subscribe("")
	defer cancel()
	onlyPresence, cancel2 := c.Subscribe("presence")
	defer cancel2()
	srv := g.server()
	// The health broadcast that follows every connect; after it the gateway is quiet.
	waitPostConnectHealth(t, c)

	// A presence event without stateVersion replaces the client's list...
	host := "bogus-host"
	srv.Broadcast(&protocol.PresenceEvent{Presence: []protocol.PresenceEntry{{Host: &host, Ts: 1}}})
	nextEvent(t, all, "bogus presence", isEvent("presence"))
	if hasInstance(c.Presence(), "inst-gap") {
		t.Fatal("presence event not applied")
	}
	s1 := srv.Broadcast(&protocol.TickEvent{Ts: 1})
	nextEvent(t, all, "tick", isEvent("tick"))
	drop.Store(true)
	s2 := srv.Broadcast(&protocol.TickEvent{Ts: 2}) // lost
	s3 := srv.Broadcast(&protocol.TickEvent{Ts: 3}) // reveals the gap
	ev := nextEvent(t, all, "gap notice", isGap(GapSeq))
	if gp := ev.Gap; gp.Expected != s2 || gp.Received != s3 || gp.Missed != 1 || gp.Err != nil || s2 != s1+1 {
		t.Fatalf("gap = %+v; seqs %d %d %d", gp, s1, s2, s3)
	}
	if dropped.Load() != 1 {
		t.Fatalf("dropped %d frames", dropped.Load())
	}
	// ...and the refresh after the gap brought the real list back.
	if !hasInstance(c.Presence(), "inst-gap") {
		t.Fatalf("presence not refreshed after the gap: %+v", c.Presence())
	}
	// A subscriber of another event is told too.
	nextEvent(t, onlyPresence, "gap notice on the presence subscription", isGap(GapSeq))
}

func TestGapRefreshSlowConsumer(t *testing.T) {
	g := startGW(t, gateway.Options{MaxBufferedBytes: 32 << 10})
	var pauseNext atomic.Bool
	paused := make(chan struct{})
	resume := make(chan struct{})
	hooks := &testHooks{frame: func(b []byte) bool {
		if pauseNext.CompareAndSwap(true, false) {
			close(paused)
			<-resume // the client stops reading: the gateway's backlog for it grows
		}
		return true
	}}
	c := dialT(t, g.url, Options{Client: ClientInfo{InstanceID: "inst-slow"}, hooks: hooks})
	all, cancel := c.Subscribe("")
	defer cancel()
	srv := g.server()
	waitPostConnectHealth(t, c)
	// A connect inside the health throttle window gets one trailing refresh when the
	// window ends (server/health). That event is not droppable (as in the original), so
	// arriving while this client is paused it would close the client as a slow consumer
	// instead of producing the gap this test is about: wait until health is quiet.
	waitHealthQuiet(t, c, 1200*time.Millisecond)

	pauseNext.Store(true)
	srv.Broadcast(&protocol.TickEvent{Ts: 1})
	<-paused
	// ~24 MiB of droppable presence events: more than the socket buffers hold, so the
	// gateway's backlog passes MaxBufferedBytes and it skips this client.
	host, text := "bogus-host", strings.Repeat("x", 1000)
	big := make([]protocol.PresenceEntry, 60)
	for i := range big {
		big[i] = protocol.PresenceEntry{Host: &host, Text: &text, Ts: int64(i)}
	}
	for range 400 {
		srv.Broadcast(&protocol.PresenceEvent{Presence: big})
	}
	close(resume)
	// The skipped events may be the last ones sent: the client notices the gap on the
	// next event it gets. Ticks (droppable) keep coming, as they would, until the
	// gateway, once the backlog drained, delivers one.
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
				srv.Broadcast(&protocol.TickEvent{Ts: 9})
			}
		}
	}()
	ev := nextEvent(t, all, "gap notice", isGap(GapSeq))
	if ev.Gap.Missed < 1 || ev.Gap.Err != nil {
		t.Fatalf("gap = %+v", ev.Gap)
	}
	if !hasInstance(c.Presence(), "inst-slow") {
		t.Fatalf("presence not refreshed after the gap (%d entries)", len(c.Presence()))
	}
	if _, err := c.Health(testCtx(t), nil); err != nil {
		t.Fatalf("connection unusable after the gap: %v", err)
	}
}

func TestTickWatchdogQuietWithTicks(t *testing.T) {
	g := startGW(t, gateway.Options{TickInterval: 40 * time.Millisecond})
	c := dialT(t, g.url, Options{})
	events, cancel := c.Subscribe("")
	defer cancel()
	first := c.Hello().Server.ConnID
	deadline := time.After(600 * time.Millisecond)
	ticks := 0
	for done := false; !done; {
		select {
		case ev := <-events:
			if ev.Gap != nil && ev.Gap.Reason == GapReconnect {
				t.Fatal("watchdog reconnected although ticks arrive")
			}
			if ev.Name == "tick" {
				ticks++
			}
		case <-deadline:
			done = true
		}
	}
	if ticks < 5 || c.Hello().Server.ConnID != first {
		t.Fatalf("%d ticks, conn %s (first %s)", ticks, c.Hello().Server.ConnID, first)
	}
}

func TestCloseNoGoroutineLeak(t *testing.T) {
	g := startGW(t, gateway.Options{})
	// The gateway's own goroutines (some start asynchronously in Serve).
	baseline := []goleak.Option{goleak.IgnoreCurrent(),
		goleak.IgnoreAnyFunction("github.com/clawgate/gateway/server/gateway.(*Server).timers"),
		goleak.IgnoreAnyFunction("net/http.(*Server).Serve")}
	c := dialT(t, g.url, Options{})
	ev, _ := c.Subscribe("")
	_, _ = c.Health(testCtx(t), nil)
	c.startRefresh(Gap{Reason: GapSeq})
	nextEvent(t, ev, "gap notice", isGap(GapSeq))
	// Lose the connection and get it back.
	c.mu.Lock()
	cn := c.cur
	c.mu.Unlock()
	cn.kill(1000, "test")
	nextEvent(t, ev, "reconnect", isGap(GapReconnect))
	if _, err := c.Agent(testCtx(t), &protocol.AgentParams{Message: "hi"}); err == nil {
		t.Fatal("agent against a gateway without agent support succeeded")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, open := <-ev; open {
		// drain: buffered events may remain
		for range ev {
		}
	}
	if err := c.Call(testCtx(t), "health", nil, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("call after Close = %v", err)
	}
	if ch, _ := c.Subscribe(""); ch != nil {
		if _, open := <-ch; open {
			t.Fatal("subscription after Close is open")
		}
	}
	if len(c.runs) != 0 {
		t.Fatalf("%d agent runs left", len(c.runs))
	}
	// Everything the client started is gone (the gateway's per-connection goroutines
	// end once it notices the close).
	goleak.VerifyNone(t, baseline...)
}

func TestDialErrors(t *testing.T) {
	ctx := testCtx(t)
	if _, err := Dial(ctx, "ftp://example.com", Options{}); err == nil {
		t.Error("ftp URL accepted")
	}
	if _, err := Dial(ctx, "ws://127.0.0.1:1", Options{MinProtocol: 4, MaxProtocol: 5}); err == nil {
		t.Error("unsupported protocol range accepted")
	}
	g := startGW(t, gateway.Options{Secrets: auth.Secrets{Mode: auth.ModeToken, Token: "right"}})
	url := g.url
	_, err := Dial(ctx, url, Options{Token: "wrong", Logger: testLogger()})
	if pe := asProtocolError(t, err); pe.Method != "connect" || !strings.HasPrefix(pe.Message, "unauthorized") {
		t.Errorf("wrong token: %+v", pe)
	}
	_, err = Dial(ctx, url, Options{Token: "wrong", MinProtocol: 2, MaxProtocol: 2, Logger: testLogger()})
	if pe := asProtocolError(t, err); pe.Message != "unauthorized" {
		t.Errorf("wrong token v2: %+v", pe)
	}
	g.stop("bye", 0)
	if _, err := Dial(ctx, url, Options{}); err == nil {
		t.Error("dial to a closed port succeeded")
	}
	ctx2, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Dial(ctx2, url, Options{}); err == nil {
		t.Error("dial with a cancelled context succeeded")
	}
}

func TestReconnectDisabled(t *testing.T) {
	g := startGW(t, gateway.Options{})
	c := dialT(t, g.url, Options{Reconnect: ReconnectPolicy{Disabled: true}})
	g.stop("gateway stopping", 0)
	deadline := time.Now().Add(5 * time.Second)
	for c.Connected() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	err := c.Call(testCtx(t), "health", nil, nil)
	if !errors.Is(err, ErrDisconnected) {
		t.Fatalf("call after disconnect with reconnect disabled = %v", err)
	}
}

// waitPostConnectHealth waits for the health event every connect causes, so that the
// gateway is quiet afterwards.
// waitPostConnectHealth makes the gateway refresh health (probe: true forces it; a plain
// connect refreshes at most once a second) and waits for the broadcast, after which the
// gateway is quiet.
// waitHealthQuiet waits until c's health state version has not changed for quiet (at
// most 10 s).
func waitHealthQuiet(t *testing.T, c *Client, quiet time.Duration) {
	t.Helper()
	v, since := c.StateVersion().Health, time.Now()
	for deadline := time.Now().Add(10 * time.Second); time.Since(since) < quiet; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("health events do not settle")
		}
		if nv := c.StateVersion().Health; nv != v {
			v, since = nv, time.Now()
		}
	}
}

func waitPostConnectHealth(t *testing.T, c *Client) {
	t.Helper()
	v := c.Hello().Snapshot.StateVersion.Health
	probe := true
	if _, err := c.Calls.Health(t.Context(), &protocol.HealthParams{Probe: &probe}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for c.StateVersion().Health <= v {
		if time.Now().After(deadline) {
			t.Fatal("no health event after connect")
		}
		time.Sleep(2 * time.Millisecond)
	}
}
