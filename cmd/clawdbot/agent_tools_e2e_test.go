//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/gatewaytest"
)

// toolModel is a scripted OpenAI-compatible streaming server for the tool loop: what
// it answers depends on the run's marker word in the prompt and on how many tool
// results the request already carries.
func toolModel(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		body, _ := io.ReadAll(r.Body)
		results := bytes.Count(body, []byte(`"role":"tool"`))
		type call struct{ id, name, args string }
		var text string
		var calls []call
		has := func(s string) bool { return bytes.Contains(body, []byte(s)) }
		switch {
		case has("FILES") && results == 0:
			calls = []call{{"c_read", "read", `{"path":"in.txt"}`}}
		case has("FILES") && results == 1:
			content := "missing"
			if has("hello from disk") {
				content = "copied: hello from disk"
			}
			calls = []call{{"c_write", "write", fmt.Sprintf(`{"path":"out.txt","content":%q}`, content)}}
		case has("APPROVE") && results == 0:
			calls = []call{{"c_exec", "exec", `{"command":"echo approved-$((6*7))"}`}}
		case has("APPROVE") && has("approved-42"):
			text = "model saw approved-42"
		case has("DENY") && results == 0:
			calls = []call{{"c_deny", "exec", `{"command":"touch denied.txt"}`}}
		case has("ABORT") && results == 0:
			calls = []call{{"c_long", "exec", `{"command":"echo $$ > pid.txt; sleep 60; touch finished.txt"}`}}
		default:
			text = fmt.Sprintf("done after %d tool results", results)
		}
		w.Header().Set("Content-Type", "text/event-stream")
		chunk := func(delta map[string]any, finish any) {
			b, _ := json.Marshal(map[string]any{"id": "x", "object": "chat.completion.chunk", "created": 1, "model": "m",
				"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}})
			fmt.Fprintf(w, "data: %s\n\n", b)
			w.(http.Flusher).Flush()
		}
		if text != "" {
			chunk(map[string]any{"content": text}, nil)
		}
		for i, c := range calls {
			chunk(map[string]any{"tool_calls": []any{map[string]any{"index": i, "id": c.id, "type": "function",
				"function": map[string]any{"name": c.name, "arguments": c.args}}}}, nil)
		}
		finish := "stop"
		if len(calls) > 0 {
			finish = "tool_calls"
		}
		chunk(map[string]any{}, finish)
		fmt.Fprint(w, "data: [DONE]\n\n")
	}))
	t.Cleanup(srv.Close)
	return srv, &requests
}

// TestAgentToolLoopBinary is issue 18's "done when" through the real binary: against a
// scripted OpenAI-compatible server on 127.0.0.1 that issues tool calls, the agent
// reads a workspace file and writes another (checked on disk); an exec waits for
// approval, a second WebSocket client approves it and the output reaches the model and
// the final answer; a denied exec never runs (checked on disk); chat.abort during a
// long exec kills the command.
func TestAgentToolLoopBinary(t *testing.T) {
	model, requests := toolModel(t)
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	if err := os.MkdirAll(ws, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ws, "in.txt"), []byte("hello from disk\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	writeConfig(t, home, fmt.Sprintf(`{
  agents: {defaults: {workspace: %q, model: {primary: "fake/m1"}}},
  models: {providers: {fake: {baseUrl: %q, api: "openai-completions", apiKey: "k1", models: []}}},
  tools: {exec: {security: "full", ask: "always"}},
}`, ws, model.URL))
	p := startOn(t, home, freePort(t))
	url := fmt.Sprintf("ws://127.0.0.1:%d", p.port)
	user, approver := gatewaytest.Dial(t, url), gatewaytest.Dial(t, url)
	user.Handshake(gatewaytest.V3Connect(nil))
	approver.Handshake(gatewaytest.V3Connect(nil))

	send := func(runID, msg string) {
		t.Helper()
		user.MustOK("chat.send", map[string]any{"sessionKey": runID, "message": msg, "idempotencyKey": runID}, nil)
	}
	// finish waits for the run's terminal chat event: its state and text.
	finish := func(runID string) (string, string) {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for {
			select {
			case f := <-user.Events:
				if f.Event != "chat" || !bytes.Contains(f.Payload, []byte(`"runId":"`+runID+`"`)) {
					continue
				}
				var ev struct {
					State   string
					Message struct{ Content []struct{ Text string } }
				}
				_ = json.Unmarshal(f.Payload, &ev)
				if ev.State == "delta" {
					continue
				}
				var text string
				for _, c := range ev.Message.Content {
					text += c.Text
				}
				return ev.State, text
			case <-deadline:
				t.Fatalf("run %s did not end\n%s", runID, p.out)
			}
		}
	}
	approve := func(wantCmd, decision string) {
		t.Helper()
		var ev protocol.ExecApprovalRequestedEvent
		if err := ev.UnmarshalJSON(approver.NextEvent("exec.approval.requested").Payload); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(ev.Request.Command, wantCmd) {
			t.Fatalf("approval asked for %q, want %q", ev.Request.Command, wantCmd)
		}
		approver.MustOK("exec.approval.resolve", map[string]any{"id": ev.ID, "decision": decision}, nil)
	}

	// Read one workspace file, write another.
	send("files", "FILES: copy in.txt to out.txt")
	if st, text := finish("files"); st != "final" || text != "done after 2 tool results" {
		t.Fatalf("files run: %s %q", st, text)
	}
	if b, err := os.ReadFile(filepath.Join(ws, "out.txt")); err != nil || string(b) != "copied: hello from disk" {
		t.Fatalf("out.txt = %q, %v", b, err)
	}

	// exec waits for the second client's approval; its output reaches the model.
	send("approve", "APPROVE: run it")
	approve("approved-", "allow-once")
	if st, text := finish("approve"); st != "final" || text != "model saw approved-42" {
		t.Fatalf("approved exec run: %s %q", st, text)
	}

	// A denied exec never runs.
	send("deny", "DENY: try it")
	approve("denied.txt", "deny")
	if st, _ := finish("deny"); st != "final" {
		t.Fatalf("denied exec run ended %s", st)
	}
	if _, err := os.Stat(filepath.Join(ws, "denied.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("denied command ran: %v", err)
	}

	// Abort during a long exec kills the command.
	before := requests.Load()
	send("abort", "ABORT: run the long thing")
	approve("sleep 60", "allow-once")
	var pid int
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile(filepath.Join(ws, "pid.txt"))
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && n > 0 {
			pid = n
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the long command never started\n%s", p.out)
		}
	}
	user.MustOK("chat.abort", map[string]any{"sessionKey": "abort", "runId": "abort"}, nil)
	if st, _ := finish("abort"); st != "aborted" {
		t.Fatalf("aborted run ended %s", st)
	}
	for deadline := time.Now().Add(10 * time.Second); syscall.Kill(pid, 0) == nil; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("command (pid %d) still running after abort", pid)
		}
	}
	if _, err := os.Stat(filepath.Join(ws, "finished.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("the long command finished despite the abort")
	}
	if n := requests.Load() - before; n != 1 {
		t.Fatalf("model asked %d times in the aborted run, want 1", n)
	}
}
