package daemon

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/gatewaytest"
)

// TestToolsInvokeHTTP: POST /tools/invoke on the gateway port, through daemon.Run with
// token auth: refused without (or with a wrong) token; an allowed tool runs (write,
// then read, checked on disk); a tool the policy denies is not found and never runs;
// exec still goes through the approvals gate — an operator's deny over the WebSocket
// means the command never runs, an allow-once lets it run and its output comes back.
func TestToolsInvokeHTTP(t *testing.T) {
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	if err := os.MkdirAll(ws, 0o700); err != nil {
		t.Fatal(err)
	}
	model := newFakeModel(t, "openai-completions", func(int, []byte) fakeStep { return fakeStep{text: "unused"} })
	cfg := agentConfigWith(ws, model, nil, `gateway: {auth: {mode: "token", token: "tok-1"}},
  tools: {deny: ["web_fetch"], exec: {security: "full", ask: "always"}},`)
	r := startHome(t, home, cfg, nil)
	var approver *gatewaytest.Client
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var err error
		if approver, err = gatewaytest.TryDial(t, fmt.Sprintf("ws://127.0.0.1:%d", r.port), nil); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("dial: %v\n%s", err, r.out)
		}
	}
	approver.Handshake(gatewaytest.V3Connect(map[string]any{"auth": map[string]any{"token": "tok-1"}}))

	url := fmt.Sprintf("http://127.0.0.1:%d/tools/invoke", r.port)
	post := func(token, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		var out map[string]any
		_ = json.Unmarshal(b, &out)
		return res.StatusCode, out
	}

	for _, tc := range []struct {
		name, token, body string
		status            int
		want              string // substring of the answer
	}{
		{"no token", "", `{"tool":"write","args":{"path":"x.txt","content":"x"}}`, 401, "unauthorized"},
		{"wrong token", "nope", `{"tool":"write","args":{"path":"x.txt","content":"x"}}`, 401, "unauthorized"},
		{"no tool", "tok-1", `{"args":{}}`, 400, "requires body.tool"},
		{"bad json", "tok-1", `{"tool":`, 400, "invalid JSON"},
		{"denied tool", "tok-1", `{"tool":"web_fetch","args":{"url":"http://127.0.0.1:1/"}}`, 404, "Tool not available: web_fetch"},
		{"unknown tool", "tok-1", `{"tool":"nope"}`, 404, "not_found"},
		{"bad args", "tok-1", `{"tool":"write","args":{"content":"no path"}}`, 400, "tool_error"},
		{"write", "tok-1", `{"tool":"write","args":{"path":"made.txt","content":"via http"},"sessionKey":"main"}`, 200, `"ok":true`},
		{"read", "tok-1", `{"tool":"read","args":{"path":"made.txt"}}`, 200, "via http"},
		{"escape", "tok-1", `{"tool":"write","args":{"path":"../out.txt","content":"x"}}`, 400, "tool_error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, out := post(tc.token, tc.body)
			b, _ := json.Marshal(out)
			if st != tc.status || !strings.Contains(string(b), tc.want) {
				t.Fatalf("status %d %s; want %d with %q", st, b, tc.status, tc.want)
			}
		})
	}
	if b, err := os.ReadFile(filepath.Join(ws, "made.txt")); err != nil || string(b) != "via http" {
		t.Fatalf("made.txt = %q, %v", b, err)
	}
	for _, p := range []string{filepath.Join(ws, "x.txt"), filepath.Join(home, "out.txt")} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s written by a refused call: %v", p, err)
		}
	}
	if res, _ := http.Get(url); res == nil || res.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET: %v", res)
	}

	// exec waits for an operator: deny → never runs; allow-once → runs, output back.
	for _, tc := range []struct {
		decision, file string
		status         int
		want           string
	}{
		{"deny", "denied.txt", 400, "denied"},
		{"allow-once", "allowed.txt", 200, "approved-output"},
	} {
		type answer struct {
			status int
			out    map[string]any
		}
		done := make(chan answer, 1)
		go func() {
			st, out := post("tok-1", fmt.Sprintf(`{"tool":"exec","args":{"command":"echo approved-output && touch %s"}}`, tc.file))
			done <- answer{st, out}
		}()
		var ev protocol.ExecApprovalRequestedEvent
		if err := ev.UnmarshalJSON(approver.NextEvent("exec.approval.requested").Payload); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(ev.Request.Command, tc.file) {
			t.Fatalf("approval asked for %q", ev.Request.Command)
		}
		select {
		case a := <-done:
			t.Fatalf("exec answered before the decision: %d %v", a.status, a.out)
		default:
		}
		approver.MustOK("exec.approval.resolve", map[string]any{"id": ev.ID, "decision": tc.decision}, nil)
		a := <-done
		b, _ := json.Marshal(a.out)
		if a.status != tc.status || !strings.Contains(string(b), tc.want) {
			t.Fatalf("%s: status %d %s", tc.decision, a.status, b)
		}
		_, err := os.Stat(filepath.Join(ws, tc.file))
		if ran := err == nil; ran != (tc.decision != "deny") {
			t.Fatalf("%s: command ran = %v", tc.decision, ran)
		}
	}
}
