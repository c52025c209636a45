package gatewayclient

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/core"
	"github.com/clawgate/gateway/server/gateway"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testLogger logs to stderr when GATEWAYCLIENT_TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("GATEWAYCLIENT_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// testGW is a real gateway on a loopback port that can be stopped and started again on
// the same address.
type testGW struct {
	t    *testing.T
	o    gateway.Options
	addr string
	url  string

	mu   sync.Mutex
	srv  *gateway.Server
	done chan error
}

func startGW(t *testing.T, o gateway.Options) *testGW {
	t.Helper()
	if o.Logger == nil {
		o.Logger = testLogger()
	}
	g := &testGW{t: t, o: o}
	g.serve("127.0.0.1:0")
	t.Cleanup(func() { g.stop("test over", 0) })
	return g
}

func (g *testGW) serve(addr string) {
	g.t.Helper()
	srv, err := gateway.New(g.o)
	if err != nil {
		g.t.Fatal(err)
	}
	if g.o.Mux == nil { // a test's own Mux serves every group itself (muxAll)
		core.Serve(srv)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		l, err := gateway.Listen(addr)
		if err == nil {
			done := make(chan error, 1)
			go func() { done <- srv.Serve(l) }()
			g.mu.Lock()
			g.srv, g.done = srv, done
			g.addr = l.Addr().String()
			g.url = "ws://" + g.addr
			g.mu.Unlock()
			break
		}
		if !errors.Is(err, syscall.EADDRINUSE) || time.Now().After(deadline) {
			g.t.Fatalf("listen %s: %v", addr, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// server returns the running server (nil while stopped).
func (g *testGW) server() *gateway.Server {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.srv
}

// stop shuts the server down (shutdown event, close 1012) and waits for Serve.
func (g *testGW) stop(reason string, restartExpectedMs int64) {
	g.mu.Lock()
	srv, done := g.srv, g.done
	g.srv, g.done = nil, nil
	g.mu.Unlock()
	if srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx, reason, restartExpectedMs); err != nil {
		g.t.Errorf("Shutdown: %v", err)
	}
	select {
	case err := <-done:
		if err != nil {
			g.t.Errorf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		g.t.Error("Serve did not return after Shutdown")
	}
}

// restart starts a new server on the same address.
func (g *testGW) restart() { g.serve(g.addr) }

// fastReconnect makes reconnects quick for tests.
var fastReconnect = ReconnectPolicy{MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond}

// dialT dials with test defaults and closes the client at cleanup.
func dialT(t *testing.T, url string, o Options) *Client {
	t.Helper()
	if o.Logger == nil {
		o.Logger = testLogger()
	}
	if o.Reconnect == (ReconnectPolicy{}) {
		o.Reconnect = fastReconnect
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, url, o)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// nextEvent waits for an event matching ok.
func nextEvent(t *testing.T, ch <-chan Event, what string, ok func(Event) bool) Event {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev, open := <-ch:
			if !open {
				t.Fatalf("waiting for %s: subscription closed", what)
			}
			if ok(ev) {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %s within 10s", what)
		}
	}
}

func isEvent(name string) func(Event) bool {
	return func(ev Event) bool { return ev.Name == name && ev.Gap == nil }
}

func isGap(r GapReason) func(Event) bool {
	return func(ev Event) bool { return ev.Gap != nil && ev.Gap.Reason == r }
}

func hasInstance(list []protocol.PresenceEntry, id string) bool {
	return slices.ContainsFunc(list, func(e protocol.PresenceEntry) bool {
		return e.InstanceID != nil && *e.InstanceID == id
	})
}

func asProtocolError(t *testing.T, err error) *ProtocolError {
	t.Helper()
	var pe *ProtocolError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *ProtocolError", err, err)
	}
	return pe
}

// allHandlers answers "not implemented" for everything; tests override single methods.
type allHandlers struct {
	protocol.UnimplementedAgentHandler[*gateway.Conn]
	protocol.UnimplementedChatHandler[*gateway.Conn]
	protocol.UnimplementedConfigHandler[*gateway.Conn]
	protocol.UnimplementedDevicesHandler[*gateway.Conn]
	protocol.UnimplementedMessagingHandler[*gateway.Conn]
	protocol.UnimplementedNodesHandler[*gateway.Conn]
	protocol.UnimplementedSessionsHandler[*gateway.Conn]
	protocol.UnimplementedSystemHandler[*gateway.Conn]
}

// everyGroup is a value that serves every method group.
type everyGroup interface {
	protocol.AgentHandler[*gateway.Conn]
	protocol.ChatHandler[*gateway.Conn]
	protocol.ConfigHandler[*gateway.Conn]
	protocol.DevicesHandler[*gateway.Conn]
	protocol.MessagingHandler[*gateway.Conn]
	protocol.NodesHandler[*gateway.Conn]
	protocol.SessionsHandler[*gateway.Conn]
	protocol.SystemHandler[*gateway.Conn]
}

// muxAll serves every group with h, the gateway's own groups included.
func muxAll(h everyGroup) *protocol.Mux[*gateway.Conn] {
	m := protocol.NewMux[*gateway.Conn]()
	m.SetAgent(h)
	m.SetChat(h)
	m.SetConfig(h)
	m.SetDevices(h)
	m.SetMessaging(h)
	m.SetNodes(h)
	m.SetSessions(h)
	m.SetSystem(h)
	return m
}
