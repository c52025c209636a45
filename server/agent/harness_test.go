package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/agent/backend"
	"github.com/clawgate/gateway/server/agent/llm"
	"github.com/clawgate/gateway/server/core"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/gatewaytest"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/sessions"
)

const wait = 10 * time.Second

// upstream is an OpenAI-compatible streaming server on 127.0.0.1. What it does depends
// on the last user message:
//
//	"fail…"      → HTTP 500 with an error object
//	"hang…"      → one chunk "partial", then nothing until the request is cancelled
//	"gate:<g>…"  → chunk "Hello", then waits for release(g), then " world" and [DONE]
//	anything else → "echo: <prompt>" in three chunks, with usage
type upstream struct {
	srv       *httptest.Server
	requests  atomic.Int64
	started   chan string // prompt of each request, when it arrives
	cancelled chan string // prompt of each request whose context was cancelled
	mu        sync.Mutex
	gates     map[string]chan struct{}
	bodies    []chatBody
}

type chatBody struct {
	Model    string            `json:"model"`
	Messages []backend.Message `json:"messages"`
	Stream   bool              `json:"stream"`
}

func newUpstream(t *testing.T) *upstream {
	u := &upstream{started: make(chan string, 100), cancelled: make(chan string, 100), gates: map[string]chan struct{}{}}
	u.srv = httptest.NewServer(http.HandlerFunc(u.serve))
	t.Cleanup(func() {
		u.mu.Lock()
		for _, g := range u.gates {
			select {
			case <-g:
			default:
				close(g)
			}
		}
		u.mu.Unlock()
		u.srv.Close()
	})
	return u
}

func (u *upstream) gate(name string) chan struct{} {
	u.mu.Lock()
	defer u.mu.Unlock()
	g := u.gates[name]
	if g == nil {
		g = make(chan struct{})
		u.gates[name] = g
	}
	return g
}

func (u *upstream) release(name string) { close(u.gate(name)) }

func (u *upstream) lastBody() chatBody {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.bodies[len(u.bodies)-1]
}

// allBodies is a copy of every request body so far, in arrival order.
func (u *upstream) allBodies() []chatBody {
	u.mu.Lock()
	defer u.mu.Unlock()
	return slices.Clone(u.bodies)
}

func (u *upstream) serve(w http.ResponseWriter, r *http.Request) {
	u.requests.Add(1)
	var body chatBody
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || r.URL.Path != "/v1/chat/completions" || !body.Stream {
		http.Error(w, "bad request", 400)
		return
	}
	u.mu.Lock()
	u.bodies = append(u.bodies, body)
	u.mu.Unlock()
	prompt := ""
	for _, m := range body.Messages {
		if m.Role == "user" {
			prompt = m.Content
		}
	}
	u.started <- prompt
	if strings.HasPrefix(prompt, "fail") {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(500)
		_, _ = io.WriteString(w, `{"error":{"message":"model exploded"}}`)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	fl := w.(http.Flusher)
	chunk := func(s string) {
		b, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"index": 0, "delta": map[string]string{"content": s}}}})
		fmt.Fprintf(w, "data: %s\n\n", b)
		fl.Flush()
	}
	finish := func() {
		fmt.Fprintf(w, "data: %s\n\n", `{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`)
		fmt.Fprintf(w, "data: %s\n\n", `{"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}}`)
		fmt.Fprint(w, "data: [DONE]\n\n")
		fl.Flush()
	}
	switch {
	case strings.HasPrefix(prompt, "hang"):
		chunk("partial")
		<-r.Context().Done()
		u.cancelled <- prompt
	case strings.HasPrefix(prompt, "gate:"):
		name := strings.Fields(strings.TrimPrefix(prompt, "gate:"))[0]
		chunk("Hello")
		select {
		case <-u.gate(name):
			chunk(" world")
			finish()
		case <-r.Context().Done():
			u.cancelled <- prompt
		}
	default:
		reply := "echo: " + prompt
		n := len(reply) / 3
		chunk(reply[:n])
		chunk(reply[n : 2*n])
		chunk(reply[2*n:])
		finish()
	}
}

// fakeSender records deliveries; failing makes Send fail.
type fakeSender struct {
	mu      sync.Mutex
	sent    []sentMsg
	failing bool
	ch      chan sentMsg
}

type sentMsg struct {
	Channel string
	Out     providers.Outbound
}

func newFakeSender() *fakeSender { return &fakeSender{ch: make(chan sentMsg, 100)} }

func (f *fakeSender) Send(ctx context.Context, channel string, m providers.Outbound) (providers.Sent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failing {
		return providers.Sent{}, errors.New("network down")
	}
	if strings.Contains(m.MediaURL, "fail") {
		return providers.Sent{}, errors.New("media download failed")
	}
	f.sent = append(f.sent, sentMsg{channel, m})
	f.ch <- sentMsg{channel, m}
	return providers.Sent{MessageID: fmt.Sprintf("m%d", len(f.sent)), ChatID: m.To}, nil
}

func (f *fakeSender) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sent)
}

// env is a runtime over a real store, a real upstream and a real gateway.
type env struct {
	t     *testing.T
	up    *upstream
	store *sessions.Store
	rt    *Runtime
	srv   *gateway.Server
	url   string
	dir   string
	done  chan error
}

type envOpts struct {
	dir    string
	up     *upstream
	sender providers.Sender
	tweak  func(*Options)
}

func newEnv(t *testing.T, o envOpts) *env {
	t.Helper()
	e := &env{t: t, up: o.up, dir: o.dir}
	if e.dir == "" {
		e.dir = t.TempDir()
	}
	if e.up == nil {
		e.up = newUpstream(t)
	}
	store, err := sessions.Open(context.Background(), sessions.Options{Path: filepath.Join(e.dir, "sessions.db")})
	if err != nil {
		t.Fatal(err)
	}
	e.store = store
	opts := Options{Engine: testEngine(t, e.up.srv.URL+"/v1"), Store: store, SystemPrompt: "You are a test.", Model: "test-model"}
	if o.sender != nil {
		opts.Sender = o.sender
	}
	if o.tweak != nil {
		o.tweak(&opts)
	}
	rt, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	e.rt = rt
	srv, err := gateway.New(gateway.Options{StateDir: e.dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	core.Serve(srv)
	h := NewHandlers(rt)
	srv.Mux().SetAgent(h)
	srv.Mux().SetChat(h)
	srv.Mux().SetSessions(h)
	srv.AddHealthSource(rt.HealthSource)
	rt.SetBroadcast(srv.BroadcastAll)
	ln, err := gateway.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.srv, e.url, e.done = srv, "ws://"+ln.Addr().String(), make(chan error, 1)
	go func() { e.done <- srv.Serve(ln) }()
	t.Cleanup(e.stop)
	return e
}

// stop shuts the gateway, the runtime and the store down (idempotent).
func (e *env) stop() {
	if e.srv == nil {
		return
	}
	e.rt.SetBroadcast(nil)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	_ = e.srv.Shutdown(ctx, "test over", 0)
	select {
	case <-e.done:
	case <-time.After(wait):
		e.t.Error("Serve did not return")
	}
	if err := e.rt.Close(ctx); err != nil {
		e.t.Error(err)
	}
	_ = e.store.Close()
	e.srv = nil
}

type frame = gatewaytest.Frame

// client is the shared harness's client (it checks every frame against the schemas,
// results also when they ride on an ok:false answer) with the calls these tests use.
type client struct {
	*gatewaytest.Client
	t *testing.T
}

func (e *env) dial(proto int) *client {
	t := e.t
	t.Helper()
	c := &client{Client: gatewaytest.Dial(t, e.url), t: t}
	if proto == 2 {
		c.Handshake(gatewaytest.V2Connect(nil))
	} else {
		c.Handshake(gatewaytest.V3Connect(nil))
	}
	return c
}

// send sends a request; every response to its id arrives on the channel.
func (c *client) send(method string, params any) chan *frame {
	return c.RequestMulti(method, params)
}

func next(t *testing.T, ch chan *frame, what string) *frame {
	t.Helper()
	select {
	case f := <-ch:
		return f
	case <-time.After(wait):
		t.Fatalf("no %s", what)
	}
	return nil
}

func (c *client) call(method string, params any) *frame {
	c.t.Helper()
	return next(c.t, c.send(method, params), method+" response")
}

func (c *client) mustOK(method string, params, out any) {
	c.t.Helper()
	f := c.call(method, params)
	if !f.OK {
		c.t.Fatalf("%s failed: %+v", method, f.Error)
	}
	if out != nil {
		if err := json.Unmarshal(f.Payload, out); err != nil {
			c.t.Fatal(err)
		}
	}
}

// agentEv is a decoded agent event.
type agentEv struct {
	RunID      string         `json:"runId"`
	Seq        int64          `json:"seq"`
	Stream     string         `json:"stream"`
	SessionKey string         `json:"sessionKey"`
	Data       map[string]any `json:"data"`
}

type chatEv struct {
	RunID        string `json:"runId"`
	SessionKey   string `json:"sessionKey"`
	Seq          int64  `json:"seq"`
	State        string `json:"state"`
	ErrorMessage string `json:"errorMessage"`
	Message      *struct {
		Role    string `json:"role"`
		Content []struct {
			Text string `json:"text"`
		} `json:"content"`
	} `json:"message"`
}

func (e chatEv) text() string {
	if e.Message == nil || len(e.Message.Content) == 0 {
		return ""
	}
	return e.Message.Content[0].Text
}

// runEvents collects the run's agent and chat events until its lifecycle ends (and,
// for session runs, its terminal chat event arrived).
func (c *client) runEvents(runID string, withChat bool) (agents []agentEv, chats []chatEv) {
	c.t.Helper()
	deadline := time.After(wait)
	agentDone, chatDone := false, !withChat
	for !agentDone || !chatDone {
		select {
		case f := <-c.Events:
			switch f.Event {
			case "agent":
				var ev agentEv
				_ = json.Unmarshal(f.Payload, &ev)
				if ev.RunID != runID {
					continue
				}
				agents = append(agents, ev)
				if ev.Stream == "lifecycle" && ev.Data["phase"] != "start" {
					agentDone = true
				}
			case "chat":
				var ev chatEv
				_ = json.Unmarshal(f.Payload, &ev)
				if ev.RunID != runID {
					continue
				}
				chats = append(chats, ev)
				if ev.State != "delta" {
					chatDone = true
				}
			}
		case <-deadline:
			c.t.Fatalf("run %s: events incomplete: agent %+v chat %+v", runID, agents, chats)
		}
	}
	return agents, chats
}

// waitEvent returns the next event matching pred.
func (c *client) waitEvent(pred func(*frame) bool) *frame {
	c.t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case f := <-c.Events:
			if pred(f) {
				return f
			}
		case <-deadline:
			c.t.Fatal("expected event did not arrive")
		}
	}
}

func status(t *testing.T, f *frame) string {
	t.Helper()
	var r struct{ Status string }
	if err := json.Unmarshal(f.Payload, &r); err != nil {
		t.Fatalf("payload: %v\n%s", err, f.Raw)
	}
	return r.Status
}

func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(wait):
		t.Fatalf("timed out waiting for %s", what)
	}
	var zero T
	return zero
}

// testEngine is a tool-less engine over the OpenAI-compatible server at baseURL
// (provider "test", model "test-model").
func testEngine(t testing.TB, baseURL string) *Engine {
	t.Helper()
	reg, err := llm.NewRegistry(llm.RegistryOptions{Providers: map[string]llm.ProviderConfig{"test": {BaseURL: baseURL, API: llm.APIOpenAICompletions}}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := reg.Resolve("test/test-model")
	if err != nil {
		t.Fatal(err)
	}
	return &Engine{Model: m}
}
