package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lxzan/gws"

	"github.com/clawgate/gateway/clients/go/gatewayclient"
	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/gatewaytest"
	"github.com/clawgate/gateway/server/gatewaytls"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "clawdbot-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "clawdbot")
	// CLAWGATE_TEST_BINARY runs the tests against a binary built beforehand (e.g. when
	// the tests run as another user without a Go toolchain of their own).
	if b := os.Getenv("CLAWGATE_TEST_BINARY"); b != "" {
		binary = b
	} else if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// freePort is a port for a gateway the test may restart or replace on it: outside the
// ephemeral range (gatewaytest.FreePort says why).
func freePort(t *testing.T) int {
	t.Helper()
	return gatewaytest.FreePort(t)
}

// gatewayProc runs the binary with an isolated home, state dir and config.
type gatewayProc struct {
	cmd  *exec.Cmd
	out  *syncBuf
	port int
	home string
}

// syncBuf is the process output, readable while the process writes it.
type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// waitOutput waits until the process has printed substr.
func (p *gatewayProc) waitOutput(t *testing.T, substr string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(p.out.String(), substr) {
		if time.Now().After(deadline) {
			t.Fatalf("output lacks %q:\n%s", substr, p.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func startProc(t *testing.T, args ...string) *gatewayProc {
	t.Helper()
	return startProcConfig(t, "", args...)
}

// startProcConfig starts the gateway with a config file (when cfg != "").
func startProcConfig(t *testing.T, cfg string, args ...string) *gatewayProc {
	t.Helper()
	home := t.TempDir()
	port := freePort(t)
	if cfg != "" {
		if err := os.WriteFile(filepath.Join(home, "clawdbot.json"), []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(binary, append([]string{"gateway", "--allow-unconfigured", "--port", fmt.Sprint(port)}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+home, "CLAWDBOT_STATE_DIR="+filepath.Join(home, "state"), "CLAWDBOT_CONFIG_PATH="+filepath.Join(home, "clawdbot.json"))
	if !strings.Contains(cfg, `"bridge"`) {
		// Tests that do not need the bridge keep its port free; a test that wants a
		// bridge configures one (it listens on loopback, like the gateway).
		cmd.Env = append(cmd.Env, "CLAWDBOT_BRIDGE_ENABLED=0")
	}
	out := &syncBuf{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway did not listen: %s", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return &gatewayProc{cmd: cmd, out: out, port: port, home: home}
}

type recorder struct {
	gws.BuiltinEventHandler
	frames chan string
	closed chan error
}

func (r *recorder) OnMessage(_ *gws.Conn, m *gws.Message) { r.frames <- m.Data.String(); _ = m.Close() }
func (r *recorder) OnClose(_ *gws.Conn, err error)        { r.closed <- err }

func TestSIGTERMSendsShutdownAndExitsZero(t *testing.T) {
	p := startProc(t)
	rec := &recorder{frames: make(chan string, 100), closed: make(chan error, 1)}
	ws, _, err := gws.NewClient(rec, &gws.ClientOption{Addr: fmt.Sprintf("ws://127.0.0.1:%d", p.port)})
	if err != nil {
		t.Fatal(err)
	}
	go ws.ReadLoop()
	b, _ := json.Marshal(map[string]any{"type": "req", "id": "1", "method": "connect", "params": map[string]any{
		"minProtocol": 2, "maxProtocol": 3, "client": map[string]any{"id": "cli", "version": "1", "platform": "linux", "mode": "cli"}}})
	_ = ws.WriteMessage(gws.OpcodeText, b)
	waitFor(t, rec.frames, `"id":"1","ok":true`)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitFor(t, rec.frames, `"event":"shutdown"`)
	select {
	case err := <-rec.closed:
		var ce *gws.CloseError
		if !errorsAs(err, &ce) || ce.Code != 1012 {
			t.Fatalf("close = %v, want 1012", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("not closed")
	}
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, p.out)
	}
}

func TestSecondInstanceOnSamePortFails(t *testing.T) {
	p := startProc(t)
	home := t.TempDir()
	cmd := exec.Command(binary, "gateway", "--allow-unconfigured", "--port", fmt.Sprint(p.port))
	cmd.Env = append(os.Environ(), "HOME="+home, "CLAWDBOT_STATE_DIR="+filepath.Join(home, "s"), "CLAWDBOT_CONFIG_PATH="+filepath.Join(home, "c.json"))
	out, err := cmd.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 1 {
		t.Fatalf("second instance: err=%v out=%s", err, out)
	}
	want := fmt.Sprintf("another gateway instance is already listening on ws://127.0.0.1:%d", p.port)
	if !strings.Contains(string(out), want) {
		t.Fatalf("output %q lacks %q", out, want)
	}
}

func TestRefusesUnconfiguredAndOpenBind(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no config without --allow-unconfigured", []string{"gateway"}, "Missing config. Run `clawdbot setup` or set gateway.mode=local (or pass --allow-unconfigured)."},
		{"lan bind without auth", []string{"gateway", "--allow-unconfigured", "--bind", "lan"}, "refusing to bind gateway to 0.0.0.0:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home := t.TempDir()
			cmd := exec.Command(binary, append(tc.args, "--port", fmt.Sprint(freePort(t)))...)
			cmd.Env = append(os.Environ(), "HOME="+home, "CLAWDBOT_STATE_DIR="+filepath.Join(home, "s"), "CLAWDBOT_CONFIG_PATH="+filepath.Join(home, "c.json"))
			out, err := cmd.CombinedOutput()
			ee, ok := err.(*exec.ExitError)
			if !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), tc.want) {
				t.Fatalf("err=%v out=%s, want exit 1 and %q", err, out, tc.want)
			}
		})
	}
}

func waitFor(t *testing.T, ch chan string, substr string) string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	var seen []string
	for {
		select {
		case f := <-ch:
			if strings.Contains(f, substr) {
				return f
			}
			seen = append(seen, f)
		case <-deadline:
			t.Fatalf("no frame containing %s; saw %d frames: %.600s", substr, len(seen), strings.Join(seen, "\n"))
		}
	}
}

// waitForAll is waitFor for several frames whose order is not fixed (events of one
// change that different parts of the gateway send): it returns once a frame
// containing each substring was seen, in any order.
func waitForAll(t *testing.T, ch chan string, substrs ...string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	missing := map[string]bool{}
	for _, s := range substrs {
		missing[s] = true
	}
	var seen []string
	for len(missing) > 0 {
		select {
		case f := <-ch:
			for s := range missing {
				if strings.Contains(f, s) {
					delete(missing, s)
				}
			}
			seen = append(seen, f)
		case <-deadline:
			t.Fatalf("no frames containing %v; saw %d frames: %.600s", missing, len(seen), strings.Join(seen, "\n"))
		}
	}
}

func errorsAs(err error, target **gws.CloseError) bool {
	ce, ok := err.(*gws.CloseError)
	if ok {
		*target = ce
	}
	return ok
}

// client connects a v3 CLI client and returns its recorder once hello-ok arrived.
func (p *gatewayProc) client(t *testing.T) (*gws.Conn, *recorder) {
	t.Helper()
	rec := &recorder{frames: make(chan string, 1000), closed: make(chan error, 1)}
	// After a restart the listener comes back within moments: retry the dial briefly.
	var ws *gws.Conn
	var err error
	for i := 0; i < 100; i++ {
		if ws, _, err = gws.NewClient(rec, &gws.ClientOption{Addr: fmt.Sprintf("ws://127.0.0.1:%d", p.port)}); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	go ws.ReadLoop()
	t.Cleanup(func() { _ = ws.NetConn().Close() })
	b, _ := json.Marshal(map[string]any{"type": "req", "id": "hello", "method": "connect", "params": map[string]any{
		"minProtocol": 3, "maxProtocol": 3, "client": map[string]any{"id": "cli", "version": "1", "platform": "linux", "mode": "cli"}}})
	_ = ws.WriteMessage(gws.OpcodeText, b)
	waitFor(t, rec.frames, `"id":"hello","ok":true`)
	return ws, rec
}

func expectRestart(t *testing.T, rec *recorder) {
	t.Helper()
	f := waitFor(t, rec.frames, `"event":"shutdown"`)
	if !strings.Contains(f, `"restartExpectedMs":1500`) || !strings.Contains(f, `"gateway restarting"`) {
		t.Fatalf("shutdown event: %s", f)
	}
	select {
	case err := <-rec.closed:
		var ce *gws.CloseError
		if !errorsAs(err, &ce) || ce.Code != 1012 {
			t.Fatalf("close = %v, want 1012", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("not closed")
	}
}

func TestSIGUSR1RestartsInProcess(t *testing.T) {
	p := startProc(t)
	pid := p.cmd.Process.Pid
	_, rec := p.client(t)
	if err := p.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	expectRestart(t, rec)
	// Same process, same port, serving again.
	_, rec2 := p.client(t)
	_ = rec2
	if p.cmd.ProcessState != nil || p.cmd.Process.Pid != pid {
		t.Fatal("process exited")
	}
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("pid %d gone: %v", pid, err)
	}
}

func TestConfigReloadModes(t *testing.T) {
	cfg := `{
  // JSON5: comments and trailing commas
  gateway: { mode: "local", reload: { mode: "hybrid", debounceMs: 50 }, },
  agent: { timeoutSeconds: 600 },
}`
	p := startProcConfig(t, cfg)
	path := filepath.Join(p.home, "clawdbot.json")
	_, rec := p.client(t)
	write := func(s string) {
		t.Helper()
		// Save like an editor: temp file + rename.
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	// A key read dynamically: applied without a reconnect.
	write(strings.Replace(cfg, "timeoutSeconds: 600", "timeoutSeconds: 30", 1))
	p.waitOutput(t, "config reloaded (hot)")
	select {
	case err := <-rec.closed:
		t.Fatalf("hot change closed the client: %v", err)
	default:
	}
	// An invalid edit is ignored; the old config keeps running.
	write(`{ gateway: { mode: "local", port: "not a port" } }`)
	p.waitOutput(t, "config reload skipped")
	select {
	case err := <-rec.closed:
		t.Fatalf("invalid edit closed the client: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	// A critical key restarts the gateway; clients are told and can reconnect.
	write(strings.Replace(cfg, "debounceMs: 50 }", "debounceMs: 50 }, tickIntervalMs: 20000", 1))
	expectRestart(t, rec)
	p.client(t)
}

// runCLI runs a CLI helper against p's home and state, with config as its config file
// ("" for the gateway's own), and returns its output and exit code.
func (p *gatewayProc) runCLI(t *testing.T, config string, args ...string) (string, int) {
	t.Helper()
	if config == "" {
		config = filepath.Join(p.home, "clawdbot.json")
	}
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "HOME="+p.home, "CLAWDBOT_STATE_DIR="+filepath.Join(p.home, "state"),
		"CLAWDBOT_CONFIG_PATH="+config, fmt.Sprintf("CLAWDBOT_GATEWAY_PORT=%d", p.port))
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out) + string(ee.Stderr), ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

// TestHelpersOverTLS: with gateway.tls on, the CLI reaches the local gateway over
// wss:// pinned to the certificate the gateway made, and a remote gateway with
// gateway.remote.tlsFingerprint; a wrong pin is a connection failure (exit 3).
func TestHelpersOverTLS(t *testing.T) {
	p := startProcConfig(t, `{"gateway": {"tls": {"enabled": true}}}`)
	if out, code := p.runCLI(t, "", "health"); code != 0 || !strings.Contains(out, "gateway: ok") {
		t.Fatalf("health over local TLS: code %d, output %q", code, out)
	}
	cert, key := gatewaytls.DefaultPaths(filepath.Join(p.home, "state"))
	rt, err := gatewaytls.Load(gatewaytls.Options{CertPath: cert, KeyPath: key})
	if err != nil {
		t.Fatal(err)
	}
	remote := func(pin string) string {
		path := filepath.Join(t.TempDir(), "remote.json")
		cfg := fmt.Sprintf(`{"gateway": {"mode": "remote", "remote": {"url": "wss://127.0.0.1:%d", "tlsFingerprint": %q}}}`, p.port, pin)
		if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	if out, code := p.runCLI(t, remote("sha256:"+strings.ToUpper(rt.Fingerprint)), "health"); code != 0 || !strings.Contains(out, "gateway: ok") {
		t.Fatalf("health over remote TLS with the pin: code %d, output %q", code, out)
	}
	if out, code := p.runCLI(t, remote(strings.Repeat("0", 64)), "health"); code != exitNoGateway || !strings.Contains(out, "does not match") {
		t.Fatalf("health with a wrong pin: code %d, output %q", code, out)
	}
}

func TestHelpersExitCodes(t *testing.T) {
	p := startProc(t)
	url := fmt.Sprintf("ws://127.0.0.1:%d", p.port)
	run := func(args ...string) (string, int) { return p.runCLI(t, "", args...) }
	out, code := run("gateway", "health", "--url", url, "--json")
	var sum map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &sum) != nil || sum["ok"] != true {
		t.Fatalf("gateway health --json: code %d, output %q", code, out)
	}
	if out, code = run("health"); code != 0 || !strings.Contains(out, "gateway: ok") {
		t.Fatalf("health via config/env: code %d, output %q", code, out)
	}
	if out, code = run("status"); code != 0 || !strings.Contains(out, "protocol 3") {
		t.Fatalf("status: code %d, output %q", code, out)
	}
	if out, code = run("gateway", "call", "system-presence", "--url", url); code != 0 || !strings.Contains(out, `"mode": "gateway"`) {
		t.Fatalf("call: code %d, output %q", code, out)
	}
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"gateway", "call", "no.such.method", "--url", url}, 1},
		{[]string{"gateway", "send", "--to", "+15551234567", "--message", "hi", "--url", url}, 1},
		{[]string{"gateway", "call", "health", "--params", "{bad", "--url", url}, 2},
		{[]string{"gateway", "health", "--no-such-flag"}, 2},
		{[]string{"gateway", "health", "--url", fmt.Sprintf("ws://127.0.0.1:%d", freePort(t)), "--timeout", "2s"}, 3},
	} {
		if out, code := run(tc.args...); code != tc.code {
			t.Errorf("%v: exit %d, want %d (%s)", tc.args, code, tc.code, out)
		}
	}
}

// TestGoClientSurvivesSIGUSR1: the importable client reconnects by itself after an
// in-process restart and keeps serving calls.
func TestGoClientSurvivesSIGUSR1(t *testing.T) {
	p := startProc(t)
	ctx := t.Context()
	c, err := gatewayclient.Dial(ctx, fmt.Sprintf("ws://127.0.0.1:%d", p.port), gatewayclient.Options{
		Client: gatewayclient.ClientInfo{ID: protocol.ClientIDCli, Version: "1", Platform: "linux", Mode: "cli"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	events, cancel := c.Subscribe("shutdown")
	defer cancel()
	if _, err := c.Calls.Status(ctx, nil); err != nil {
		t.Fatal(err)
	}
	first := c.Hello().Server.ConnID
	if err := p.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-events:
		if !strings.Contains(string(ev.Payload), `"restartExpectedMs":1500`) {
			t.Fatalf("shutdown payload %s", ev.Payload)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no shutdown event")
	}
	deadline := time.Now().Add(15 * time.Second)
	for c.Hello().Server.ConnID == first {
		if time.Now().After(deadline) {
			t.Fatal("client did not reconnect")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := c.Calls.Status(ctx, nil); err != nil {
		t.Fatalf("call after restart: %v", err)
	}
}

// TestDevProfileSideBySide: the default and the --dev profile run at once with their
// own state, config and ports, and --dev helpers reach the dev gateway.
func TestDevProfileSideBySide(t *testing.T) {
	home := t.TempDir()
	env := func() []string {
		var out []string
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "CLAWDBOT_") && !strings.HasPrefix(kv, "HOME=") {
				out = append(out, kv)
			}
		}
		return append(out, "HOME="+home)
	}
	start := func(args ...string) *exec.Cmd {
		cmd := exec.Command(binary, args...)
		cmd.Env = env()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGTERM); _, _ = cmd.Process.Wait() })
		return cmd
	}
	port := freePort(t)
	start("gateway", "--allow-unconfigured", "--port", fmt.Sprint(port))
	start("--dev", "gateway", "--allow-unconfigured")
	health := func(args ...string) string {
		var out []byte
		var err error
		for i := 0; i < 100; i++ {
			cmd := exec.Command(binary, args...)
			cmd.Env = env()
			if out, err = cmd.Output(); err == nil {
				return string(out)
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("%v: %v %s", args, err, out)
		return ""
	}
	dev := health("--dev", "gateway", "call", "status", "--json")
	def := health("gateway", "call", "status", "--url", fmt.Sprintf("ws://127.0.0.1:%d", port))
	if !strings.Contains(dev, ".clawdbot-dev") || strings.Contains(def, ".clawdbot-dev") {
		t.Fatalf("profiles not isolated:\ndev: %s\ndefault: %s", dev, def)
	}
	for _, dir := range []string{".clawdbot", ".clawdbot-dev"} {
		if st, err := os.Stat(filepath.Join(home, dir)); err != nil || st.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v", dir, err)
		}
	}
}

// TestInvalidConfigRefusesToStart lists every bad path and exits 1.
func TestInvalidConfigRefusesToStart(t *testing.T) {
	home := t.TempDir()
	cfg := filepath.Join(home, "clawdbot.json")
	if err := os.WriteFile(cfg, []byte(`{ gateway: { mode: "local", port: 99999, bind: "wan", bogus: 1 } }`), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "gateway")
	cmd.Env = append(os.Environ(), "HOME="+home, "CLAWDBOT_STATE_DIR="+filepath.Join(home, "s"), "CLAWDBOT_CONFIG_PATH="+cfg)
	out, err := cmd.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 1 {
		t.Fatalf("err=%v out=%s", err, out)
	}
	for _, p := range []string{"/gateway/port", "/gateway/bind", "/gateway/bogus"} {
		if !strings.Contains(string(out), p) {
			t.Errorf("output lacks %s:\n%s", p, out)
		}
	}
}

// TestForceTakesOverThePort: --force stops the listener it finds (here another gateway
// this test started) and starts on the port.
func TestForceTakesOverThePort(t *testing.T) {
	old := startProc(t)
	home := t.TempDir()
	cmd := exec.Command(binary, "gateway", "--allow-unconfigured", "--force", "--port", fmt.Sprint(old.port))
	cmd.Env = append(os.Environ(), "HOME="+home, "CLAWDBOT_STATE_DIR="+filepath.Join(home, "s"), "CLAWDBOT_CONFIG_PATH="+filepath.Join(home, "c.json"))
	out := &syncBuf{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	if err := old.cmd.Wait(); err != nil {
		t.Fatalf("old gateway did not exit cleanly on SIGTERM: %v", err)
	}
	nu := &gatewayProc{cmd: cmd, out: out, port: old.port, home: home}
	nu.waitOutput(t, fmt.Sprintf("killed pid %d", old.cmd.Process.Pid))
	nu.waitOutput(t, "gateway listening")
	nu.client(t)
}
