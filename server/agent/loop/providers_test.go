package loop

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/agent/llm"
	"github.com/clawgate/gateway/server/agent/tools"
	"github.com/clawgate/gateway/server/execapprove"
)

// modelServer is a scripted model server on 127.0.0.1: each request is answered by the
// next handler, which sees the decoded request body.
type modelServer struct {
	t     *testing.T
	srv   *httptest.Server
	mu    sync.Mutex
	steps []func(body map[string]any) []string
	n     int
}

func newModelServer(t *testing.T, steps ...func(body map[string]any) []string) *modelServer {
	m := &modelServer{t: t, steps: steps}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		_ = json.Unmarshal(raw, &body)
		m.mu.Lock()
		i := m.n
		m.n++
		m.mu.Unlock()
		if i >= len(m.steps) {
			http.Error(w, `{"error":{"message":"unexpected request"}}`, 500)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		for _, ev := range m.steps[i](body) {
			fmt.Fprint(w, ev)
		}
	}))
	t.Cleanup(m.srv.Close)
	return m
}

func oaiChunk(delta map[string]any, finish string) string {
	c := map[string]any{"index": 0, "delta": delta, "finish_reason": nil}
	if finish != "" {
		c["finish_reason"] = finish
	}
	b, _ := json.Marshal(map[string]any{"id": "x", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": []any{c}})
	return "data: " + string(b) + "\n\n"
}

func oaiToolCall(index int, id, name, args string) string {
	return oaiChunk(map[string]any{"tool_calls": []any{map[string]any{"index": index, "id": id, "type": "function",
		"function": map[string]any{"name": name, "arguments": args}}}}, "")
}

// lastToolText returns the text of the OpenAI request's last tool message.
func lastToolText(body map[string]any) string {
	msgs, _ := body["messages"].([]any)
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i].(map[string]any)
		if m["role"] == "tool" {
			s, _ := m["content"].(string)
			return s
		}
	}
	return ""
}

// The model reads a workspace file and writes another through the real OpenAI-compatible
// client and the real fs tools; the final answer reflects what it read.
func TestOpenAIModelReadsAndWritesWorkspace(t *testing.T) {
	ws, err := tools.OpenWorkspace(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	_ = os.WriteFile(filepath.Join(ws.Dir(), "notes.txt"), []byte("the code is 4711\n"), 0o600)
	srv := newModelServer(t,
		func(body map[string]any) []string {
			if len(body["tools"].([]any)) != 2 {
				t.Errorf("tools offered: %v", body["tools"])
			}
			return []string{oaiChunk(map[string]any{"content": "Reading."}, ""), oaiToolCall(0, "call_r", "read", `{"path":"notes.txt"}`), oaiChunk(map[string]any{}, "tool_calls"), "data: [DONE]\n\n"}
		},
		func(body map[string]any) []string {
			if got := lastToolText(body); !strings.Contains(got, "4711") {
				t.Errorf("read result not fed back: %q", got)
			}
			return []string{oaiToolCall(0, "call_w", "write", `{"path":"out/answer.txt","content":"4711"}`), oaiChunk(map[string]any{}, "tool_calls"), "data: [DONE]\n\n"}
		},
		func(body map[string]any) []string {
			if got := lastToolText(body); !strings.Contains(got, "Successfully wrote 4 bytes") {
				t.Errorf("write result: %q", got)
			}
			return []string{oaiChunk(map[string]any{"content": "The code is 4711; saved."}, "stop"), "data: [DONE]\n\n"}
		},
	)
	reg, _ := llm.NewRegistry(llm.RegistryOptions{Providers: map[string]llm.ProviderConfig{"local": {BaseURL: srv.srv.URL + "/v1"}}})
	model, _ := reg.Chain("local/qwen3", nil)
	read, _ := tools.ReadTool(ws)
	write, _ := tools.WriteTool(ws)
	ev := &sink{}
	tr := &memTranscript{}
	res, err := newRunner(t, model, ev, Options{}, read, write).Run(context.Background(), Input{RunID: "r1", Prompt: prompt("what is the code? save it"), Transcript: tr})
	if err != nil {
		t.Fatal(err)
	}
	if res.Text != "The code is 4711; saved." || res.Steps != 3 {
		t.Fatalf("result %+v", res)
	}
	if b, _ := os.ReadFile(filepath.Join(ws.Dir(), "out", "answer.txt")); string(b) != "4711" {
		t.Fatalf("written %q", b)
	}
	if tr.roles() != "user,assistant,toolResult:call_r,assistant,toolResult:call_w,assistant" {
		t.Fatalf("transcript %s", tr.roles())
	}
	// The stored assistant step is the original's shape.
	b, _ := json.Marshal(tr.msgs[1])
	if !strings.Contains(string(b), `"content":[{"type":"text","text":"Reading."},{"type":"toolCall","id":"call_r","name":"read","arguments":{"path":"notes.txt"}}],"api":"openai-completions","provider":"local","model":"qwen3"`) ||
		!strings.Contains(string(b), `"stopReason":"toolUse"`) {
		t.Fatalf("stored %s", b)
	}
}

func anthEvent(name string, data map[string]any) string {
	data["type"] = name
	b, _ := json.Marshal(data)
	return "event: " + name + "\ndata: " + string(b) + "\n\n"
}

func anthStart() string {
	return anthEvent("message_start", map[string]any{"message": map[string]any{"id": "m", "type": "message", "role": "assistant", "model": "c",
		"content": []any{}, "usage": map[string]any{"input_tokens": 10, "output_tokens": 1}}})
}

func anthToolUse(id, name, input string) []string {
	return []string{anthStart(),
		anthEvent("content_block_start", map[string]any{"index": 0, "content_block": map[string]any{"type": "tool_use", "id": id, "name": name, "input": map[string]any{}}}),
		anthEvent("content_block_delta", map[string]any{"index": 0, "delta": map[string]any{"type": "input_json_delta", "partial_json": input}}),
		anthEvent("content_block_stop", map[string]any{"index": 0}),
		anthEvent("message_delta", map[string]any{"delta": map[string]any{"stop_reason": "tool_use"}, "usage": map[string]any{"output_tokens": 9}}),
		anthEvent("message_stop", map[string]any{})}
}

func anthText(text string) []string {
	return []string{anthStart(),
		anthEvent("content_block_start", map[string]any{"index": 0, "content_block": map[string]any{"type": "text", "text": ""}}),
		anthEvent("content_block_delta", map[string]any{"index": 0, "delta": map[string]any{"type": "text_delta", "text": text}}),
		anthEvent("message_delta", map[string]any{"delta": map[string]any{"stop_reason": "end_turn"}, "usage": map[string]any{"output_tokens": 3}}),
		anthEvent("message_stop", map[string]any{})}
}

// anthToolResult returns the text of the last tool_result block of the request.
func anthToolResult(body map[string]any) (string, bool) {
	msgs := body["messages"].([]any)
	last := msgs[len(msgs)-1].(map[string]any)
	for _, c := range last["content"].([]any) {
		b := c.(map[string]any)
		if b["type"] == "tool_result" {
			var s []string
			for _, p := range b["content"].([]any) {
				s = append(s, fmt.Sprint(p.(map[string]any)["text"]))
			}
			isErr, _ := b["is_error"].(bool)
			return strings.Join(s, ""), isErr
		}
	}
	return "", false
}

type approvals struct{ ch chan execapprove.Record }

func (a *approvals) ApprovalRequested(r execapprove.Record) { a.ch <- r }
func (a *approvals) ApprovalResolved(execapprove.Resolved)  {}

// Through the native Anthropic client: an exec waits for approval, another client
// approves, the output reaches the model and the final answer. A second run whose exec
// is denied never runs it, and the model is told.
func TestAnthropicModelExecWithApproval(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("shell commands")
	}
	home, wsDir := t.TempDir(), t.TempDir()
	store := execapprove.NewStore(execapprove.DefaultPath(home), filepath.Join(home, "s.sock"))
	evs := &approvals{ch: make(chan execapprove.Record, 4)}
	mgr := execapprove.NewManager(execapprove.ManagerOptions{Events: evs})
	gate, _ := execapprove.NewGate(execapprove.GateOptions{Store: store, Asker: mgr, Timeout: 10 * time.Second})
	procs := tools.NewProcesses(tools.ProcessOptions{})
	defer procs.Close()
	execTool, _ := tools.ExecTool(tools.ExecOptions{Workspace: wsDir, Gate: gate, Processes: procs, AgentID: "main"})

	srv := newModelServer(t,
		func(body map[string]any) []string {
			return anthToolUse("toolu_1", "exec", `{"command":"echo approved-output > proof.txt; cat proof.txt"}`)
		},
		func(body map[string]any) []string {
			if txt, isErr := anthToolResult(body); isErr || txt != "approved-output" {
				t.Errorf("tool result %q err=%v", txt, isErr)
			}
			return anthText("It printed approved-output.")
		},
		func(body map[string]any) []string {
			return anthToolUse("toolu_2", "exec", `{"command":"touch denied-marker"}`)
		},
		func(body map[string]any) []string {
			if txt, isErr := anthToolResult(body); !isErr || !strings.Contains(txt, "user-denied") {
				t.Errorf("denial not reported: %q %v", txt, isErr)
			}
			return anthText("The command was denied.")
		},
	)
	reg, _ := llm.NewRegistry(llm.RegistryOptions{Providers: map[string]llm.ProviderConfig{
		"anthropic": {BaseURL: srv.srv.URL, APIKey: "sk-ant-test", API: llm.APIAnthropicMessages}}})
	model, _ := reg.Chain("anthropic/claude-test", nil)
	r := newRunner(t, model, &sink{}, Options{}, execTool)

	go func() {
		rec := <-evs.ch
		_ = mgr.Resolve(rec.ID, execapprove.AllowOnce, "phone")
	}()
	res, err := r.Run(context.Background(), Input{RunID: "r1", Prompt: prompt("run it")})
	if err != nil {
		t.Fatal(err)
	}
	if res.Text != "It printed approved-output." {
		t.Fatalf("final %q", res.Text)
	}
	go func() {
		rec := <-evs.ch
		_ = mgr.Resolve(rec.ID, execapprove.Deny, "phone")
	}()
	res, err = r.Run(context.Background(), Input{RunID: "r2", Prompt: prompt("touch it")})
	if err != nil || res.Text != "The command was denied." {
		t.Fatalf("%v %q", err, res.Text)
	}
	if _, err := os.Stat(filepath.Join(wsDir, "denied-marker")); !os.IsNotExist(err) {
		t.Fatal("denied command ran")
	}
}
