package daemon

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/clock"
	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/gatewaytest"
	"github.com/clawgate/gateway/server/tts"
	"github.com/clawgate/gateway/server/update"
)

// syncBuf is the daemon's stdout, read while it runs.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// running is a daemon.Run in a goroutine on a loopback port.
type running struct {
	home    string
	port    int
	out     *syncBuf
	restart chan struct{}
	cancel  context.CancelFunc
	done    chan error
	srv     atomic.Pointer[gateway.Server] // the server serving now (Options.OnServe)
}

// freePort is a port for a gateway the test may restart or replace on it: outside the
// ephemeral range (gatewaytest.FreePort says why).
func freePort(t testing.TB) int {
	t.Helper()
	return gatewaytest.FreePort(t)
}

// start runs the daemon with cfg as its config file ("" for none). The environment
// points its state and config into a temp dir; the bridge stays off.
func start(t *testing.T, cfg string) *running {
	t.Helper()
	return startHome(t, t.TempDir(), cfg, nil)
}

// startClock is start with the heartbeat and cron timers on clk (nil: the wall clock).
func startClock(t *testing.T, cfg string, clk clock.Clock) *running {
	t.Helper()
	return startHome(t, t.TempDir(), cfg, clk)
}

// startHome runs the daemon over home (state in home/state), which may hold state
// from an earlier run or another gateway, with the timers on clk (nil: the wall clock).
// opts adjust the Options (test hooks such as BrowserAddrs).
func startHome(t testing.TB, home, cfg string, clk clock.Clock, opts ...func(*Options)) *running {
	t.Helper()
	if cfg != "" {
		if err := os.WriteFile(filepath.Join(home, "clawdbot.json"), []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("HOME", home)
	t.Setenv("CLAWDBOT_STATE_DIR", filepath.Join(home, "state"))
	t.Setenv("CLAWDBOT_CONFIG_PATH", filepath.Join(home, "clawdbot.json"))
	t.Setenv("CLAWDBOT_BRIDGE_ENABLED", "0")
	// The start-up update check asks no registry unless a test names its fake.
	t.Setenv("npm_config_registry", "")
	t.Setenv("NPM_CONFIG_REGISTRY", "")
	if os.Getenv(update.EnvRegistry) == "" {
		t.Setenv(update.EnvRegistry, "")
	}
	if os.Getenv(tts.EnvEdgeEndpoint) == "" {
		// Edge TTS (the last speech fallback) never reaches the real service from a
		// test: nothing listens on this port. Tests of Edge set their fake first.
		t.Setenv(tts.EnvEdgeEndpoint, "ws://127.0.0.1:1/edge")
	}
	t.Setenv("CLAWDBOT_GATEWAY_PORT", "") // Run sets it; restored after the test
	r := &running{home: home, port: freePort(t), out: &syncBuf{}, restart: make(chan struct{}), done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	o := Options{Home: home, AllowUnconfigured: true, Flags: config.Flags{Port: r.port}, Stdout: r.out, Restart: r.restart, Version: "test", Clock: clk,
		OnServe: func(srv *gateway.Server) { r.srv.Store(srv) }}
	for _, f := range opts {
		f(&o)
	}
	go func() { r.done <- Run(ctx, o) }()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("daemon output:\n%s", r.out)
		}
		cancel()
		select {
		case <-r.done:
		case <-time.After(15 * time.Second):
			t.Error("Run did not return after cancel")
		}
	})
	return r
}

// stop cancels the run and waits for Run to return nil; home stays for the next start.
func (r *running) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		r.done <- nil // for the cleanup
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return")
	}
}

func (r *running) waitOutput(t *testing.T, substr string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(r.out.String(), substr) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in output:\n%s", substr, r.out)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// client connects a v3 client with the shared harness once the port accepts again
// (after a restart) and waits for its hello-ok.
func (r *running) client(t testing.TB) *gatewaytest.Client {
	t.Helper()
	url := fmt.Sprintf("ws://127.0.0.1:%d", r.port)
	var c *gatewaytest.Client
	var err error
	// After a restart the old server refuses upgrades until the new one listens.
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err = gatewaytest.TryDial(t, url, nil); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("dial: %v\n%s", err, r.out)
		}
	}
	c.Handshake(gatewaytest.V3Connect(map[string]any{"client": map[string]any{"id": "cli", "version": "1", "platform": "linux", "mode": "cli"}}))
	return c
}

// expectShutdown: a shutdown event with reason (and restartExpectedMs when
// restart), then close 1012.
func expectShutdown(t *testing.T, c *gatewaytest.Client, reason string, restart bool) {
	t.Helper()
	f := c.NextEvent("shutdown")
	if !strings.Contains(string(f.Payload), `"reason":"`+reason+`"`) || strings.Contains(string(f.Payload), `"restartExpectedMs":1500`) != restart {
		t.Fatalf("shutdown event: %s", f.Raw)
	}
	if ce := c.WaitClose(); ce.Code != 1012 {
		t.Fatalf("close = %d %s, want 1012", ce.Code, ce.Reason)
	}
}

// TestRestartSignal: a restart request (SIGUSR1, injected here) restarts the gateway
// in process: clients get shutdown "gateway restarting" and 1012, and the same port
// serves again.
func TestRestartSignal(t *testing.T) {
	r := start(t, "")
	rec := r.client(t)
	r.restart <- struct{}{}
	expectShutdown(t, rec, "gateway restarting", true)
	r.waitOutput(t, "restarting in process")
	r.client(t)
	select {
	case err := <-r.done:
		t.Fatalf("Run returned during a restart: %v", err)
	default:
	}
}

// TestReloadOnFileChange: gateway.reload.mode hybrid applies a hot key without
// closing clients, ignores an invalid edit, and restarts for a key that needs it.
func TestReloadOnFileChange(t *testing.T) {
	cfg := `{
  gateway: { mode: "local", reload: { mode: "hybrid", debounceMs: 50 }, },
  agent: { timeoutSeconds: 600 },
}`
	r := start(t, cfg)
	path := filepath.Join(r.home, "clawdbot.json")
	rec := r.client(t)
	write := func(s string) {
		t.Helper()
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	write(strings.Replace(cfg, "timeoutSeconds: 600", "timeoutSeconds: 30", 1))
	r.waitOutput(t, "config reloaded (hot)")
	select {
	case ce := <-rec.Closed:
		t.Fatalf("hot change closed the client: %d %s", ce.Code, ce.Reason)
	default:
	}
	write(`{ gateway: { mode: "local", port: "not a port" } }`)
	r.waitOutput(t, "config reload skipped")
	write(strings.Replace(cfg, "debounceMs: 50 }", "debounceMs: 50 }, tickIntervalMs: 20000", 1))
	expectShutdown(t, rec, "gateway restarting", true)
	r.client(t)
}

// TestShutdown: cancelling Run's context sends every client shutdown "gateway
// stopping" (no restartExpectedMs), closes them with 1012 and returns nil.
func TestShutdown(t *testing.T) {
	r := start(t, "")
	rec := r.client(t)
	r.cancel()
	expectShutdown(t, rec, "gateway stopping", false)
	select {
	case err := <-r.done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		r.done <- nil // for the cleanup
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return")
	}
}
