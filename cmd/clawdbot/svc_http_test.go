package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/clients/go/gatewayclient"
)

func httpDo(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestHTTPSurfacesWired: the binary serves the Control UI under its base path, the
// hooks (a valid /hooks/agent call starts a run in the agent runtime that agent.wait
// sees finish; hot-reloaded token), and the canvas host on its own port, advertised in
// hello-ok.
func TestHTTPSurfacesWired(t *testing.T) {
	canvasPort := freePort(t)
	llm := echoLLM(t)
	cfg := func(token string) string {
		return fmt.Sprintf(`{ gateway: { controlUi: { basePath: "/control/" } }, hooks: { enabled: true, token: %q }, canvasHost: { port: %d },
			agent: { backend: "openai", openai: { baseUrl: %q, model: "m" } } }`, token, canvasPort, llm.URL+"/v1")
	}
	p := startProcConfig(t, cfg("hk1"))
	base := fmt.Sprintf("http://127.0.0.1:%d", p.port)

	if code, _ := httpDo(t, "GET", base+"/control", "", ""); code != 302 {
		t.Fatalf("GET /control: %d", code)
	}
	if code, body := httpDo(t, "GET", base+"/control/", "", ""); code != 200 || !strings.Contains(body, `__CLAWDBOT_CONTROL_UI_BASE_PATH__="/control"`) {
		t.Fatalf("GET /control/: %d %.200s", code, body)
	}
	if code, _ := httpDo(t, "POST", base+"/elsewhere", "", "{}"); code != 405 {
		t.Fatalf("POST /elsewhere: %d", code)
	}
	if code, _ := httpDo(t, "POST", base+"/hooks/agent", "", `{"message":"m"}`); code != 401 {
		t.Fatalf("hook without token: %d", code)
	}
	code, body := httpDo(t, "POST", base+"/hooks/agent", "hk1", `{"message":"ping from a hook"}`)
	var started struct {
		Ok    bool
		RunID string
	}
	if code != 202 || json.Unmarshal([]byte(body), &started) != nil || !started.Ok || started.RunID == "" {
		t.Fatalf("hook agent: %d %s", code, body)
	}
	// The run id is the runtime's own: agent.wait sees the run finish.
	wctx, wcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer wcancel()
	wc, err := gatewayclient.Dial(wctx, fmt.Sprintf("ws://127.0.0.1:%d", p.port), gatewayclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer wc.Close()
	var waited struct{ Status string }
	if err := wc.Call(wctx, "agent.wait", map[string]any{"runId": started.RunID, "timeoutMs": 15000}, &waited); err != nil || waited.Status != "ok" {
		t.Fatalf("agent.wait for the hook run: %+v %v", waited, err)
	}

	// Canvas host: starter page under the isolated home, advertised in hello-ok.
	if _, err := os.Stat(filepath.Join(p.home, "clawd", "canvas", "index.html")); err != nil {
		t.Fatalf("starter page: %v", err)
	}
	if code, body := httpDo(t, "GET", fmt.Sprintf("http://127.0.0.1:%d/__clawdbot__/canvas/", canvasPort), "", ""); code != 200 || !strings.Contains(body, "/__clawdbot/ws") {
		t.Fatalf("canvas: %d %.200s", code, body)
	}
	if got, want := helloCanvasURL(t, p), fmt.Sprintf("http://127.0.0.1:%d", canvasPort); got != want {
		t.Fatalf("hello-ok.canvasHostUrl %q, want %q", got, want)
	}

	// hooks.* is hot: a new token applies without a restart.
	if err := os.WriteFile(filepath.Join(p.home, "clawdbot.json"), []byte(cfg("hk2")), 0o600); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, _ := httpDo(t, "POST", base+"/hooks/wake", "hk2", `{"text":"t"}`)
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("new hooks token not applied (last status %d):\n%s", code, p.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, _ := httpDo(t, "POST", base+"/hooks/wake", "hk1", `{"text":"t"}`); code != 401 {
		t.Fatalf("old hooks token still accepted: %d", code)
	}
}

func helloCanvasURL(t *testing.T, p *gatewayProc) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := gatewayclient.Dial(ctx, fmt.Sprintf("ws://127.0.0.1:%d", p.port), gatewayclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if u := c.Hello().CanvasHostURL; u != nil {
		return *u
	}
	return ""
}

func TestCanvasHostDisabledAndUIOff(t *testing.T) {
	p := startProcConfig(t, `{ canvasHost: { enabled: false }, gateway: { controlUi: { enabled: false } } }`)
	if got := helloCanvasURL(t, p); got != "" {
		t.Fatalf("canvas advertised while disabled: %s", got)
	}
	if _, err := os.Stat(filepath.Join(p.home, "clawd")); !os.IsNotExist(err) {
		t.Fatalf("canvas root created while disabled: %v", err)
	}
	if code, _ := httpDo(t, "GET", fmt.Sprintf("http://127.0.0.1:%d/", p.port), "", ""); code != 404 {
		t.Fatalf("UI served while disabled: %d", code)
	}
}

func TestHooksWithoutTokenRefusesToStart(t *testing.T) {
	home := t.TempDir()
	cfg := filepath.Join(home, "clawdbot.json")
	if err := os.WriteFile(cfg, []byte(`{ hooks: { enabled: true } }`), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "gateway", "--allow-unconfigured", "--port", fmt.Sprint(freePort(t)))
	cmd.Env = append(os.Environ(), "HOME="+home, "CLAWDBOT_STATE_DIR="+filepath.Join(home, "s"), "CLAWDBOT_CONFIG_PATH="+cfg)
	out, err := cmd.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "hooks.enabled requires hooks.token") {
		t.Fatalf("err=%v out=%s", err, out)
	}
}
