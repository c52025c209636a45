package live

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeConn records what the registry sends to a node.
type fakeConn struct {
	mu     sync.Mutex
	reqs   chan Request
	closed string
}

func newFake() *fakeConn { return &fakeConn{reqs: make(chan Request, 1000)} }

func (f *fakeConn) SendInvoke(r Request) error { f.reqs <- r; return nil }
func (f *fakeConn) Close(reason string)        { f.mu.Lock(); f.closed = reason; f.mu.Unlock() }
func (f *fakeConn) closedWith() string         { f.mu.Lock(); defer f.mu.Unlock(); return f.closed }

func (f *fakeConn) next(t *testing.T) Request {
	t.Helper()
	select {
	case r := <-f.reqs:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no request reached the node")
	}
	return Request{}
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type recObserver struct {
	mu      sync.Mutex
	changes []string
}

func (o *recObserver) NodeChanged(c Change) {
	o.mu.Lock()
	o.changes = append(o.changes, c.Node.NodeID+":"+c.Reason)
	o.mu.Unlock()
}
func (o *recObserver) NodeEvent(string, string, *string) {}
func (o *recObserver) list() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return strings.Join(o.changes, ",")
}

func mac(id, transport string) Node {
	return Node{NodeID: id, Transport: transport, Platform: "macos", Commands: []string{"canvas.eval", "system.run", "made.up"}}
}

func code(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code + " " + e.Message
	}
	return fmt.Sprint(err)
}

func TestRegisterFiltersAndReplaces(t *testing.T) {
	r := New(Options{})
	defer r.Close()
	obs := &recObserver{}
	r.SetObserver(obs)
	a := newFake()
	h1, err := r.Register(mac("m", TransportBridge), a)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := r.Get("m")
	if strings.Join(n.Commands, ",") != "canvas.eval,system.run" {
		t.Fatalf("commands %v: made.up is not in the allowlist", n.Commands)
	}
	// A pending invoke on the old connection fails as soon as it is replaced.
	done := make(chan error, 1)
	go func() {
		_, err := r.Invoke(context.Background(), InvokeParams{NodeID: "m", Command: "canvas.eval"})
		done <- err
	}()
	a.next(t)
	b := newFake()
	h2, _ := r.Register(mac("m", TransportWS), b)
	if err := <-done; code(err) != "UNAVAILABLE "+MsgDisconnected {
		t.Fatalf("replaced: %v", err)
	}
	if a.closedWith() == "" {
		t.Fatal("old connection not closed")
	}
	r.Unregister(h1) // stale: no effect
	if _, ok := r.Get("m"); !ok {
		t.Fatal("a stale unregister removed the replacement")
	}
	r.Unregister(h2)
	if _, ok := r.Get("m"); ok {
		t.Fatal("still registered")
	}
	if got := obs.list(); got != "m:node-connected,m:node-connected,m:node-disconnected" {
		t.Fatalf("changes: %s", got)
	}
	r.Register(mac("x", TransportWS), newFake())
	r.Beacon()
	if got := obs.list(); !strings.HasSuffix(got, "x:periodic") {
		t.Fatalf("beacon: %s", got)
	}
	r.ClearObserver(obs)
	if _, err := r.Register(Node{NodeID: " "}, newFake()); code(err) != "INVALID_REQUEST nodeId required" {
		t.Fatalf("blank id: %v", err)
	}
}

func TestInvokeDefaultsAndTimeouts(t *testing.T) {
	r := New(Options{})
	defer r.Close()
	br, ws := newFake(), newFake()
	hb, _ := r.Register(mac("b", TransportBridge), br)
	hw, _ := r.Register(mac("w", TransportWS), ws)
	for _, c := range []struct {
		h    Handle
		f    *fakeConn
		want int64
	}{{hb, br, 15000}, {hw, ws, 30000}} {
		go r.Invoke(context.Background(), InvokeParams{NodeID: c.h.NodeID(), Command: "canvas.eval", Params: []byte(`{"a":1}`)})
		req := c.f.next(t)
		if req.TimeoutMs != c.want || *req.ParamsJSON != `{"a":1}` {
			t.Fatalf("%s: %+v", c.h.NodeID(), req)
		}
		if !r.Resolve(c.h, req.ID, Result{Ok: true}) {
			t.Fatal("resolve")
		}
		if r.Resolve(c.h, req.ID, Result{Ok: true}) {
			t.Fatal("resolved twice")
		}
	}
	zero := time.Duration(0)
	if _, err := r.Invoke(context.Background(), InvokeParams{NodeID: "b", Command: "canvas.eval", Timeout: &zero}); code(err) != "UNAVAILABLE "+MsgTimeout {
		t.Fatalf("timeout 0: %v", err)
	}
	select {
	case req := <-br.reqs:
		t.Fatalf("timeout 0 still sent %+v", req)
	default:
	}
	huge := 24 * time.Hour
	go r.Invoke(context.Background(), InvokeParams{NodeID: "b", Command: "canvas.eval", Timeout: &huge})
	if req := br.next(t); req.TimeoutMs != MaxInvokeTimeout.Milliseconds() {
		t.Fatalf("timeout not capped: %d", req.TimeoutMs)
	}
	// A foreign registration cannot answer.
	go r.Invoke(context.Background(), InvokeParams{NodeID: "b", Command: "canvas.eval"})
	req := br.next(t)
	if r.Resolve(hw, req.ID, Result{Ok: true}) {
		t.Fatal("another node answered")
	}
	for _, c := range []struct {
		p    InvokeParams
		want string
	}{
		{InvokeParams{NodeID: "", Command: "x"}, "INVALID_REQUEST " + MsgRequired},
		{InvokeParams{NodeID: "b", Command: "camera.snap"}, "INVALID_REQUEST " + MsgNotAllowed}, // allowed on macos, not declared
		{InvokeParams{NodeID: "b", Command: "made.up"}, "INVALID_REQUEST " + MsgNotAllowed},
		{InvokeParams{NodeID: "gone", Command: "canvas.eval"}, "UNAVAILABLE node not connected (gone)"},
		{InvokeParams{NodeID: "b", Command: "canvas.eval", Params: []byte(`"` + strings.Repeat("x", MaxParamsBytes) + `"`)}, "INVALID_REQUEST params too large"},
	} {
		if _, err := r.Invoke(context.Background(), c.p); !strings.HasPrefix(code(err), c.want) {
			t.Errorf("%+v: %v, want %s", c.p.Command, err, c.want)
		}
	}
}

func TestMaxPendingAtTheLimit(t *testing.T) {
	const limit = 3
	r := New(Options{MaxPending: limit})
	defer r.Close()
	f := newFake()
	h, _ := r.Register(mac("m", TransportWS), f)
	errs := make(chan error, limit)
	for i := 0; i < limit; i++ {
		go func() {
			_, err := r.Invoke(context.Background(), InvokeParams{NodeID: "m", Command: "canvas.eval"})
			errs <- err
		}()
	}
	var ids []string
	for i := 0; i < limit; i++ {
		ids = append(ids, f.next(t).ID)
	}
	if _, err := r.Invoke(context.Background(), InvokeParams{NodeID: "m", Command: "canvas.eval"}); code(err) != "UNAVAILABLE "+MsgTooManyPending {
		t.Fatalf("over the limit: %v", err)
	}
	for _, id := range ids {
		r.Resolve(h, id, Result{Ok: true})
	}
	for i := 0; i < limit; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if r.Pending() != 0 {
		t.Fatalf("pending = %d", r.Pending())
	}
}

func TestIdempotencyTTLAndSize(t *testing.T) {
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	r := New(Options{Now: clk.Now, IdempotencyTTL: time.Minute, MaxIdempotency: 2})
	defer r.Close()
	f := newFake()
	h, _ := r.Register(mac("m", TransportWS), f)
	run := func(key string) (Result, bool) {
		t.Helper()
		type out struct {
			res Result
			err error
		}
		ch := make(chan out, 1)
		go func() {
			res, err := r.Invoke(context.Background(), InvokeParams{NodeID: "m", Command: "canvas.eval", IdempotencyKey: key})
			ch <- out{res, err}
		}()
		select {
		case o := <-ch:
			return o.res, false // remembered: the node was not asked
		case req := <-f.reqs:
			p := `"` + key + `"`
			r.Resolve(h, req.ID, Result{Ok: true, PayloadJSON: &p})
			o := <-ch
			if o.err != nil {
				t.Fatal(o.err)
			}
			return o.res, true
		}
	}
	if _, ran := run("a"); !ran {
		t.Fatal("first run did not reach the node")
	}
	if res, ran := run("a"); ran || *res.PayloadJSON != `"a"` {
		t.Fatalf("duplicate ran again (%v) or lost the result %+v", ran, res)
	}
	clk.Add(time.Minute + time.Millisecond)
	if _, ran := run("a"); !ran {
		t.Fatal("expired entry still answered")
	}
	// Size bound: the oldest remembered outcome goes first.
	clk.Add(time.Second)
	run("b")
	clk.Add(time.Second)
	run("c")
	if n := r.Remembered(); n != 2 {
		t.Fatalf("remembered %d, want 2", n)
	}
	if _, ran := run("a"); !ran {
		t.Fatal("evicted entry still answered")
	}
	if _, ran := run("c"); ran {
		t.Fatal("newest entry evicted")
	}
	// Failures the node never answered are not remembered.
	zero := time.Duration(0)
	if _, err := r.Invoke(context.Background(), InvokeParams{NodeID: "m", Command: "canvas.eval", IdempotencyKey: "z", Timeout: &zero}); code(err) != "UNAVAILABLE "+MsgTimeout {
		t.Fatal(err)
	}
	if _, ran := run("z"); !ran {
		t.Fatal("a timed-out key must run again")
	}
	// Node failures are remembered (the node did run it).
	go r.Invoke(context.Background(), InvokeParams{NodeID: "m", Command: "canvas.eval", IdempotencyKey: "f"})
	req := f.next(t)
	r.Resolve(h, req.ID, Result{Ok: false, Error: &NodeError{Code: "E", Message: "boom"}})
	waitFor(t, func() bool {
		_, err := r.Invoke(context.Background(), InvokeParams{NodeID: "m", Command: "canvas.eval", IdempotencyKey: "f"})
		return code(err) == "UNAVAILABLE boom"
	})
}

func TestCallerGoneDoesNotFailDuplicates(t *testing.T) {
	r := New(Options{})
	defer r.Close()
	f := newFake()
	h, _ := r.Register(mac("m", TransportWS), f)
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() {
		_, err := r.Invoke(ctx, InvokeParams{NodeID: "m", Command: "canvas.eval", IdempotencyKey: "k"})
		first <- err
	}()
	req := f.next(t)
	second := make(chan error, 1)
	go func() {
		_, err := r.Invoke(context.Background(), InvokeParams{NodeID: "m", Command: "canvas.eval", IdempotencyKey: "k"})
		second <- err
	}()
	waitFor(t, func() bool { return r.Duplicates() == 1 })
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Fatalf("first: %v", err)
	}
	r.Resolve(h, req.ID, Result{Ok: true})
	if err := <-second; err != nil {
		t.Fatalf("duplicate failed with the first caller: %v", err)
	}
}

func TestCloseFailsWaiters(t *testing.T) {
	r := New(Options{})
	f := newFake()
	r.Register(mac("m", TransportBridge), f)
	done := make(chan error, 1)
	go func() {
		_, err := r.Invoke(context.Background(), InvokeParams{NodeID: "m", Command: "canvas.eval"})
		done <- err
	}()
	f.next(t)
	r.Close()
	if err := <-done; code(err) != "UNAVAILABLE "+MsgDisconnected {
		t.Fatalf("close: %v", err)
	}
	if _, err := r.Register(mac("n", TransportWS), newFake()); code(err) != "UNAVAILABLE "+MsgRegistryClosing {
		t.Fatalf("register after close: %v", err)
	}
}

func TestPolicy(t *testing.T) {
	p := &Policy{Extra: []string{"custom.cmd"}, Deny: []string{"system.run"}}
	for _, c := range []struct {
		platform, family, cmd string
		want                  bool
	}{
		{"iOS 18.1", "iPhone", "camera.snap", true},
		{"ios", "", "system.run", false},
		{"android", "", "sms.send", true},
		{"ios", "", "sms.send", false},
		{"macos 15.2", "Mac", "system.run", false}, // denied
		{"macos", "", "system.which", true},
		{"linux", "", "canvas.eval", false},
		{"linux", "", "custom.cmd", true},
		{"", "", "canvas.eval", true},
		{"", "", "system.run", false},
	} {
		if got := p.Allowed(c.platform, c.family, []string{c.cmd}, c.cmd); got != c.want {
			t.Errorf("%s/%s %s = %v", c.platform, c.family, c.cmd, got)
		}
	}
	if p.Allowed("ios", "", nil, "camera.snap") {
		t.Error("undeclared command allowed")
	}
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

// TestSetPolicyAppliesToConnectedNodes: a reloaded gateway.nodes policy changes what a
// connected node lists and may run at once, from what it declared at connect (a
// command hidden at connect can be allowed later without a reconnect), and each node
// whose list changed is announced.
func TestSetPolicyAppliesToConnectedNodes(t *testing.T) {
	r := New(Options{})
	defer r.Close()
	obs := &recObserver{}
	r.SetObserver(obs)
	conn := newFake()
	h, err := r.Register(mac("m", TransportWS), conn)
	if err != nil {
		t.Fatal(err)
	}
	commands := func() string { n, _ := r.Get("m"); return strings.Join(n.Commands, ",") }
	if got := commands(); got != "canvas.eval,system.run" {
		t.Fatalf("at connect: %s", got)
	}

	r.SetPolicy(&Policy{Extra: []string{"made.up"}, Deny: []string{"system.run"}})
	if got := commands(); got != "canvas.eval,made.up" {
		t.Fatalf("after SetPolicy: %s", got)
	}
	if got := obs.list(); got != "m:node-connected,m:node-commands" {
		t.Fatalf("changes: %s", got)
	}
	if _, err := r.Invoke(context.Background(), InvokeParams{NodeID: "m", Command: "system.run"}); code(err) != "INVALID_REQUEST "+MsgNotAllowed {
		t.Fatalf("denied command: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := r.Invoke(context.Background(), InvokeParams{NodeID: "m", Command: "made.up"})
		done <- err
	}()
	req := conn.next(t)
	if req.Command != "made.up" {
		t.Fatalf("the node got %q", req.Command)
	}
	if !r.Resolve(h, req.ID, Result{Ok: true}) {
		t.Fatal("result not matched")
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	r.SetPolicy(&Policy{Extra: []string{"made.up"}, Deny: []string{"system.run"}})
	if got := obs.list(); got != "m:node-connected,m:node-commands" {
		t.Fatalf("an unchanged policy announced again: %s", got)
	}
	r.SetPolicy(nil) // back to the platform defaults
	if got := commands(); got != "canvas.eval,system.run" {
		t.Fatalf("defaults again: %s", got)
	}
}
