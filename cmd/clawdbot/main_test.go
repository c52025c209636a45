package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lxzan/gws"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "clawdbot-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "clawdbot")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// gatewayProc runs the binary with an isolated home, state dir and config.
type gatewayProc struct {
	cmd  *exec.Cmd
	out  *strings.Builder
	port int
}

func startProc(t *testing.T, args ...string) *gatewayProc {
	t.Helper()
	home := t.TempDir()
	port := freePort(t)
	cmd := exec.Command(binary, append([]string{"gateway", "--allow-unconfigured", "--port", fmt.Sprint(port)}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+home, "CLAWDBOT_STATE_DIR="+filepath.Join(home, "state"), "CLAWDBOT_CONFIG_PATH="+filepath.Join(home, "clawdbot.json"))
	out := &strings.Builder{}
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
	return &gatewayProc{cmd: cmd, out: out, port: port}
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
	for {
		select {
		case f := <-ch:
			if strings.Contains(f, substr) {
				return f
			}
		case <-deadline:
			t.Fatalf("no frame containing %s", substr)
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
