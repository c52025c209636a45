package daemon

import (
	"bytes"
	"cmp"
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
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/gatewaytest"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// fakeCall is a tool call a scripted model step makes.
type fakeCall struct{ id, name, args string }

// fakeStep is one scripted model answer: text, tool calls, or an HTTP error status.
type fakeStep struct {
	text   string
	calls  []fakeCall
	status int
	prompt int // prompt tokens the answer reports (0: 11)
}

// fakeModel is a scripted streaming model server on 127.0.0.1 speaking the OpenAI
// Chat Completions or the Anthropic Messages protocol. script picks the answer to the
// n-th request (0-based) from the request body.
type fakeModel struct {
	srv    *httptest.Server
	api    string
	mu     sync.Mutex
	bodies [][]byte
	busy   time.Duration // time spent answering (the model's own time)
}

func newFakeModel(t testing.TB, api string, script func(n int, body []byte) fakeStep) *fakeModel {
	m := &fakeModel{api: api}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t0 := time.Now()
		defer func() {
			m.mu.Lock()
			m.busy += time.Since(t0)
			m.mu.Unlock()
		}()
		body, _ := io.ReadAll(r.Body)
		m.mu.Lock()
		n := len(m.bodies)
		m.bodies = append(m.bodies, body)
		m.mu.Unlock()
		st := script(n, body)
		if st.status != 0 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(st.status)
			fmt.Fprint(w, `{"type":"error","error":{"type":"overloaded_error","message":"scripted failure"}}`)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		if api == "anthropic-messages" {
			writeAnthropic(w, st)
		} else {
			writeOpenAI(w, st)
		}
	}))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *fakeModel) baseURL() string {
	if m.api == "anthropic-messages" {
		return m.srv.URL
	}
	return m.srv.URL + "/v1"
}

func (m *fakeModel) requests() [][]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([][]byte(nil), m.bodies...)
}

func sse(w io.Writer, event string, v any) {
	b, _ := json.Marshal(v)
	if event != "" {
		fmt.Fprintf(w, "event: %s\n", event)
	}
	fmt.Fprintf(w, "data: %s\n\n", b)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}

func writeOpenAI(w io.Writer, st fakeStep) {
	chunk := func(delta map[string]any, finish any) map[string]any {
		return map[string]any{"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
			"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}}
	}
	if st.text != "" {
		for _, part := range strings.SplitAfter(st.text, " ") {
			sse(w, "", chunk(map[string]any{"content": part}, nil))
		}
	}
	for i, c := range st.calls {
		sse(w, "", chunk(map[string]any{"tool_calls": []any{map[string]any{"index": i, "id": c.id, "type": "function",
			"function": map[string]any{"name": c.name, "arguments": c.args}}}}, nil))
	}
	finish := "stop"
	if len(st.calls) > 0 {
		finish = "tool_calls"
	}
	sse(w, "", chunk(map[string]any{}, finish))
	prompt := cmp.Or(st.prompt, 11)
	sse(w, "", map[string]any{"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": []any{},
		"usage": map[string]any{"prompt_tokens": prompt, "completion_tokens": 7, "total_tokens": prompt + 7}})
	fmt.Fprint(w, "data: [DONE]\n\n")
}

func writeAnthropic(w io.Writer, st fakeStep) {
	ev := func(name string, data map[string]any) {
		data["type"] = name
		sse(w, name, data)
	}
	ev("message_start", map[string]any{"message": map[string]any{"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-fake",
		"content": []any{}, "usage": map[string]any{"input_tokens": 11, "output_tokens": 1}}})
	i := 0
	if st.text != "" {
		ev("content_block_start", map[string]any{"index": i, "content_block": map[string]any{"type": "text", "text": ""}})
		ev("content_block_delta", map[string]any{"index": i, "delta": map[string]any{"type": "text_delta", "text": st.text}})
		ev("content_block_stop", map[string]any{"index": i})
		i++
	}
	for _, c := range st.calls {
		ev("content_block_start", map[string]any{"index": i, "content_block": map[string]any{"type": "tool_use", "id": c.id, "name": c.name, "input": map[string]any{}}})
		ev("content_block_delta", map[string]any{"index": i, "delta": map[string]any{"type": "input_json_delta", "partial_json": c.args}})
		ev("content_block_stop", map[string]any{"index": i})
		i++
	}
	stop := "end_turn"
	if len(st.calls) > 0 {
		stop = "tool_use"
	}
	ev("message_delta", map[string]any{"delta": map[string]any{"stop_reason": stop}, "usage": map[string]any{"output_tokens": 7}})
	ev("message_stop", map[string]any{})
}

// agentConfig is a config whose primary model is provider "fake" (then "backup" when
// given), with the workspace under home.
func agentConfig(ws string, primary *fakeModel, backup *fakeModel) string {
	return agentConfigWith(ws, primary, backup, "")
}

// agentConfigWith is agentConfig with more top-level keys (JSON5, ending in a comma).
func agentConfigWith(ws string, primary *fakeModel, backup *fakeModel, extra string) string {
	fallbacks := "[]"
	providers := fmt.Sprintf(`fake: {baseUrl: %q, api: %q, apiKey: "k1", models: []}`, primary.baseURL(), primary.api)
	if backup != nil {
		fallbacks = `["backup/m2"]`
		providers += fmt.Sprintf(`, backup: {baseUrl: %q, api: %q, apiKey: "k2", models: []}`, backup.baseURL(), backup.api)
	}
	if !strings.Contains(extra, "tools:") {
		extra = `tools: {exec: {security: "full", ask: "off"}},` + extra
	}
	return fmt.Sprintf(`{
  agents: {defaults: {workspace: %q, model: {primary: "fake/m1", fallbacks: %s}}},
  models: {providers: {%s}},
  %s
}`, ws, fallbacks, providers, extra)
}

// runChat sends message on the main session and collects the events until the run's
// final (or error / aborted) chat event, which it returns last.
func runChat(t *testing.T, c *gatewaytest.Client, runID, message string, during func(ev *gatewaytest.Frame)) []*gatewaytest.Frame {
	t.Helper()
	c.MustOK("chat.send", map[string]any{"sessionKey": "main", "message": message, "idempotencyKey": runID}, nil)
	var evs []*gatewaytest.Frame
	deadline := time.After(30 * time.Second)
	for {
		select {
		case f := <-c.Events:
			if !bytes.Contains(f.Payload, []byte(`"runId":"`+runID+`"`)) {
				continue
			}
			evs = append(evs, f)
			if during != nil {
				during(f)
			}
			if f.Event == "chat" {
				var p struct{ State string }
				_ = json.Unmarshal(f.Payload, &p)
				if p.State == "final" || p.State == "error" || p.State == "aborted" {
					return evs
				}
			}
		case <-deadline:
			t.Fatalf("run %s did not finish; events: %d", runID, len(evs))
		}
	}
}

type agentEv struct {
	Stream string
	Data   map[string]any
}

func toolEvents(evs []*gatewaytest.Frame) []agentEv {
	var out []agentEv
	for _, f := range evs {
		if f.Event != "agent" {
			continue
		}
		var e agentEv
		_ = json.Unmarshal(f.Payload, &e)
		if e.Stream == "tool" {
			out = append(out, e)
		}
	}
	return out
}

// TestAgentToolsEndToEnd: through daemon.Run, for each model API, the agent reads a
// workspace file and writes another (checked on disk); a write outside the workspace
// and a web_fetch of a loopback address are refused; the tool events and chat.history
// show the calls and their results in the original's shapes.
func TestAgentToolsEndToEnd(t *testing.T) {
	for _, api := range []string{"openai-completions", "anthropic-messages"} {
		t.Run(api, func(t *testing.T) {
			home := t.TempDir()
			ws := filepath.Join(home, "ws")
			if err := os.MkdirAll(ws, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(ws, "in.txt"), []byte("hello from disk\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			private := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "internal secret") }))
			defer private.Close()
			model := newFakeModel(t, api, func(n int, body []byte) fakeStep {
				switch n {
				case 0:
					return fakeStep{text: "Reading it.", calls: []fakeCall{{"call_r", "read", `{"path":"in.txt"}`}}}
				case 1:
					content := "missing"
					if bytes.Contains(body, []byte("hello from disk")) {
						content = "copied: hello from disk"
					}
					return fakeStep{calls: []fakeCall{
						{"call_w", "write", fmt.Sprintf(`{"path":"out.txt","content":%q}`, content)},
						{"call_x", "write", `{"path":"../escape.txt","content":"nope"}`},
						{"call_f", "web_fetch", fmt.Sprintf(`{"url":%q}`, private.URL)},
					}}
				default:
					return fakeStep{text: "All done."}
				}
			})
			r := startHome(t, home, agentConfig(ws, model, nil), nil)
			c := r.client(t)
			evs := runChat(t, c, "run-files", "copy in.txt to out.txt", nil)

			last := evs[len(evs)-1]
			if !bytes.Contains(last.Payload, []byte(`"state":"final"`)) || !bytes.Contains(last.Payload, []byte("All done.")) {
				t.Fatalf("final chat event: %s", last.Payload)
			}
			if b, err := os.ReadFile(filepath.Join(ws, "out.txt")); err != nil || string(b) != "copied: hello from disk" {
				t.Fatalf("out.txt = %q, %v", b, err)
			}
			if _, err := os.Stat(filepath.Join(home, "escape.txt")); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("write outside the workspace happened: %v", err)
			}

			// Tool events: start and result per call, in the original's shape.
			results := map[string]map[string]any{}
			starts := 0
			for _, e := range toolEvents(evs) {
				switch e.Data["phase"] {
				case "start":
					starts++
					if e.Data["name"] == nil || e.Data["toolCallId"] == nil || e.Data["args"] == nil {
						t.Errorf("start event %v", e.Data)
					}
				case "result":
					results[e.Data["toolCallId"].(string)] = e.Data
				}
			}
			if starts != 4 || len(results) != 4 {
				t.Fatalf("tool events: %d starts, results %v", starts, results)
			}
			for id, wantErr := range map[string]bool{"call_r": false, "call_w": false, "call_x": true, "call_f": true} {
				if got, _ := results[id]["isError"].(bool); got != wantErr {
					t.Errorf("%s isError = %v, want %v: %v", id, got, wantErr, results[id])
				}
			}
			if s := fmt.Sprint(results["call_f"]["result"]); strings.Contains(s, "internal secret") {
				t.Errorf("private address fetched: %s", s)
			}

			// chat.history: user, assistant(toolCall), toolResult, assistant(3 calls), 3 results, final.
			var hist struct{ Messages []map[string]any }
			c.MustOK("chat.history", map[string]any{"sessionKey": "main"}, &hist)
			var roles []string
			for _, m := range hist.Messages {
				roles = append(roles, m["role"].(string))
			}
			want := "user assistant toolResult assistant toolResult toolResult toolResult assistant"
			if strings.Join(roles, " ") != want {
				t.Fatalf("history roles %v, want %s", roles, want)
			}
			call := hist.Messages[1]["content"].([]any)[1].(map[string]any)
			if call["type"] != "toolCall" || call["name"] != "read" || call["id"] != "call_r" || hist.Messages[1]["stopReason"] != "toolUse" {
				t.Fatalf("assistant tool call %v", hist.Messages[1])
			}
			res := hist.Messages[2]
			if res["toolCallId"] != "call_r" || res["toolName"] != "read" || res["isError"] != false ||
				!strings.Contains(fmt.Sprint(res["content"]), "hello from disk") {
				t.Fatalf("tool result %v", res)
			}
			if hist.Messages[5]["isError"] != true || !strings.Contains(fmt.Sprint(hist.Messages[5]["content"]), "escape") {
				t.Fatalf("escape result %v", hist.Messages[5])
			}
			if u, _ := hist.Messages[7]["usage"].(map[string]any); u == nil || u["output"] == nil {
				t.Fatalf("final assistant usage %v", hist.Messages[7])
			}
			if n := len(model.requests()); n != 3 {
				t.Fatalf("model requests = %d, want 3", n)
			}
		})
	}
}

// TestAgentAbortKillsExec: chat.abort while exec runs a long command kills the
// command (its process is gone, the step after it never happens).
func TestAgentAbortKillsExec(t *testing.T) {
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
		if n == 0 {
			return fakeStep{calls: []fakeCall{{"call_e", "exec", `{"command":"echo $$ > pid.txt; sleep 60; touch finished.txt"}`}}}
		}
		return fakeStep{text: "should not be asked"}
	})
	r := startHome(t, home, agentConfig(ws, model, nil), nil)
	c := r.client(t)
	pidFile := filepath.Join(ws, "pid.txt")
	var pid int
	aborted := false
	evs := runChat(t, c, "run-exec", "run the long thing", func(f *gatewaytest.Frame) {
		if aborted || f.Event != "agent" || !bytes.Contains(f.Payload, []byte(`"phase":"start"`)) || !bytes.Contains(f.Payload, []byte(`"stream":"tool"`)) {
			return
		}
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			b, _ := os.ReadFile(pidFile)
			if p, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && p > 0 {
				pid = p
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("exec never started the command")
			}
		}
		aborted = true
		c.MustOK("chat.abort", map[string]any{"sessionKey": "main", "runId": "run-exec"}, nil)
	})
	if last := evs[len(evs)-1]; !bytes.Contains(last.Payload, []byte(`"state":"aborted"`)) {
		t.Fatalf("last chat event %s", last.Payload)
	}
	for deadline := time.Now().Add(10 * time.Second); syscall.Kill(pid, 0) == nil; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("command (pid %d) still running after abort", pid)
		}
	}
	if _, err := os.Stat(filepath.Join(ws, "finished.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("command finished despite the abort")
	}
	if n := len(model.requests()); n != 1 {
		t.Fatalf("model asked %d times after an abort", n)
	}
	var hist struct{ Messages []map[string]any }
	c.MustOK("chat.history", map[string]any{"sessionKey": "main"}, &hist)
	if n := len(hist.Messages); n < 3 || hist.Messages[2]["role"] != "toolResult" || hist.Messages[2]["isError"] != true {
		t.Fatalf("history after abort %v", hist.Messages)
	}
}

// TestAgentFallbackProvider: the primary (OpenAI-compatible) fails with a 529; the
// fallback (Anthropic) answers; the agent result records the failed attempt and why.
func TestAgentFallbackProvider(t *testing.T) {
	home := t.TempDir()
	down := newFakeModel(t, "openai-completions", func(int, []byte) fakeStep { return fakeStep{status: 429} })
	up := newFakeModel(t, "anthropic-messages", func(int, []byte) fakeStep { return fakeStep{text: "from the backup"} })
	r := startHome(t, home, agentConfig(filepath.Join(home, "ws"), down, up), nil)
	c := r.client(t)
	ch := c.RequestMulti("agent", map[string]any{"message": "hi", "idempotencyKey": "run-fb", "sessionKey": "main"})
	var final *gatewaytest.Frame
	for final == nil {
		select {
		case f := <-ch:
			if bytes.Contains(f.Payload, []byte(`"accepted"`)) {
				continue
			}
			final = f
		case <-time.After(30 * time.Second):
			t.Fatal("no final agent response")
		}
	}
	var res struct {
		Status string
		Result struct {
			Payloads []struct{ Text string }
			Meta     struct {
				Fallbacks []struct{ Provider, Model, Reason string }
			}
		}
	}
	if err := json.Unmarshal(final.Payload, &res); err != nil || !final.OK {
		t.Fatalf("final %s %v", final.Raw, err)
	}
	if res.Status != "ok" || len(res.Result.Payloads) != 1 || res.Result.Payloads[0].Text != "from the backup" {
		t.Fatalf("result %s", final.Payload)
	}
	if fb := res.Result.Meta.Fallbacks; len(fb) != 1 || fb[0].Provider != "fake" || fb[0].Reason != "rate_limit" {
		t.Fatalf("fallbacks %+v", fb)
	}
	if len(down.requests()) != 1 || len(up.requests()) != 1 {
		t.Fatalf("requests: primary %d, fallback %d", len(down.requests()), len(up.requests()))
	}
}

// TestAgentSessionsTools: sessions_list, sessions_history and session_status read the
// gateway's own session store.
func TestAgentSessionsTools(t *testing.T) {
	home := t.TempDir()
	model := newFakeModel(t, "anthropic-messages", func(n int, body []byte) fakeStep {
		if n == 0 {
			return fakeStep{calls: []fakeCall{
				{"t1", "sessions_list", `{}`},
				{"t2", "sessions_history", `{"sessionKey":"main"}`},
				{"t3", "session_status", `{}`},
			}}
		}
		return fakeStep{text: "seen"}
	})
	r := startHome(t, home, agentConfig(filepath.Join(home, "ws"), model, nil), nil)
	c := r.client(t)
	evs := runChat(t, c, "run-sess", "what sessions are there? marker-42", nil)
	res := map[string]string{}
	for _, e := range toolEvents(evs) {
		if e.Data["phase"] == "result" {
			if e.Data["isError"] == true {
				t.Errorf("%v failed: %v", e.Data["name"], e.Data["result"])
			}
			res[e.Data["name"].(string)] = fmt.Sprint(e.Data["result"])
		}
	}
	for name, want := range map[string]string{"sessions_list": "agent:main:main", "sessions_history": "marker-42", "session_status": "Session: agent:main:main"} {
		if !strings.Contains(res[name], want) {
			t.Errorf("%s result %q lacks %q", name, res[name], want)
		}
	}
}

// TestAgentNodesRun: the nodes tool's run action sends system.run (argv, through the
// exec gate) to a node host connected over the WebSocket, and its output reaches the
// model.
func TestAgentNodesRun(t *testing.T) {
	home := t.TempDir()
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
		if n == 0 {
			return fakeStep{calls: []fakeCall{{"n1", "nodes", `{"action":"run","node":"Build Mac","command":["echo","hi"]}`}}}
		}
		if bytes.Contains(body, []byte("node-said-hi")) {
			return fakeStep{text: "node answered"}
		}
		return fakeStep{text: "node output missing"}
	})
	r := startHome(t, home, agentConfig(filepath.Join(home, "ws"), model, nil), nil)
	c := r.client(t)

	dev := gatewaytest.NewDevice(t)
	url := fmt.Sprintf("ws://127.0.0.1:%d", r.port)
	node := gatewaytest.Dial(t, url)
	nonce := node.Challenge()
	node.Handshake(map[string]any{
		"minProtocol": 3, "maxProtocol": 3, "role": "node",
		"client":   map[string]any{"id": "node-host", "version": "1.0.0", "platform": "macos", "mode": "node", "displayName": "Build Mac"},
		"caps":     []string{"system"},
		"commands": []string{"system.run"},
		"device":   dev.Sign("node-host", "node", "node", nil, time.Now(), "", nonce),
	})
	// The node host answers the one system.run it gets.
	go func() {
		f := node.NextEvent("node.invoke.request")
		var ev struct {
			ID, NodeID, Command string
			ParamsJSON          string
		}
		_ = json.Unmarshal(f.Payload, &ev)
		if ev.Command != "system.run" || !strings.Contains(ev.ParamsJSON, `"command":["echo","hi"]`) {
			t.Errorf("node got %s", f.Payload)
			return
		}
		node.Call("node.invoke.result", map[string]any{"id": ev.ID, "nodeId": ev.NodeID, "ok": true,
			"payload": map[string]any{"stdout": "node-said-hi\n", "stderr": "", "exitCode": 0, "success": true}})
	}()
	evs := runChat(t, c, "run-node", "run echo on the mac", nil)
	if last := evs[len(evs)-1]; !bytes.Contains(last.Payload, []byte("node answered")) {
		t.Fatalf("final %s", last.Payload)
	}
}

// TestAgentMessageOnce: the message tool delivers through the Telegram provider (a Bot
// API server on 127.0.0.1); the model repeating the same tool call (a retry) sends once.
func TestAgentMessageOnce(t *testing.T) {
	home := t.TempDir()
	bot := tgtest.New(t, tgtest.DefaultToken)
	bot.AddChat(77)
	send := `{"action":"send","channel":"telegram","target":"77","message":"build is green"}`
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
		if n < 2 {
			return fakeStep{calls: []fakeCall{{"m1", "message", send}}}
		}
		return fakeStep{text: "told them"}
	})
	extra := fmt.Sprintf(`channels: {telegram: {botToken: %q, apiBaseUrl: %q, allowFrom: ["77"]}},`, tgtest.DefaultToken, bot.URL())
	r := startHome(t, home, agentConfigWith(filepath.Join(home, "ws"), model, nil, extra), nil)
	c := r.client(t)
	evs := runChat(t, c, "run-msg", "tell chat 77 the build is green", nil)
	if last := evs[len(evs)-1]; !bytes.Contains(last.Payload, []byte("told them")) {
		t.Fatalf("final %s", last.Payload)
	}
	results := 0
	for _, e := range toolEvents(evs) {
		if e.Data["phase"] == "result" {
			results++
			if e.Data["isError"] == true {
				t.Fatalf("message failed: %v", e.Data["result"])
			}
		}
	}
	sent := bot.Sent()
	if results != 2 || len(sent) != 1 || sent[0].ChatID != "77" || sent[0].Text != "build is green" {
		t.Fatalf("%d results, sent %+v", results, sent)
	}
}

// TestAgentToolPolicy: tools.profile / tools.deny decide what the model is offered; a
// call of a tool that is not offered fails and runs nothing.
func TestAgentToolPolicy(t *testing.T) {
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
		if n == 0 {
			return fakeStep{calls: []fakeCall{{"e1", "exec", `{"command":"touch ran.txt"}`}}}
		}
		return fakeStep{text: "ok"}
	})
	r := startHome(t, home, agentConfigWith(ws, model, nil, `tools: {profile: "coding", deny: ["group:runtime"], exec: {security: "full", ask: "off"}},`), nil)
	c := r.client(t)
	evs := runChat(t, c, "run-pol", "try exec", nil)
	var res []agentEv
	for _, e := range toolEvents(evs) {
		if e.Data["phase"] == "result" {
			res = append(res, e)
		}
	}
	if len(res) != 1 || res[0].Data["isError"] != true || !strings.Contains(fmt.Sprint(res[0].Data["result"]), "not found") {
		t.Fatalf("exec result %+v", res)
	}
	if _, err := os.Stat(filepath.Join(ws, "ran.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a denied tool ran")
	}
	var req struct {
		Tools []struct{ Function struct{ Name string } }
	}
	_ = json.Unmarshal(model.requests()[0], &req)
	var names []string
	for _, tl := range req.Tools {
		names = append(names, tl.Function.Name)
	}
	got := strings.Join(names, ",")
	if strings.Contains(got, "exec") || strings.Contains(got, "process") || !strings.Contains(got, "read") || strings.Contains(got, "web_fetch") || strings.Contains(got, "message") {
		t.Fatalf("offered tools %s (coding profile minus group:runtime)", got)
	}
}

// TestAgentToolsReload: a config change to tools.* applies to the next run without a
// restart of the process.
func TestAgentToolsReload(t *testing.T) {
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
		if !bytes.Contains(body, []byte(`"role":"tool"`)) {
			return fakeStep{calls: []fakeCall{{fmt.Sprintf("w%d", n), "write", fmt.Sprintf(`{"path":"f%d.txt","content":"x"}`, n)}}}
		}
		return fakeStep{text: "ok"}
	})
	cfg := agentConfigWith(ws, model, nil, `gateway: {reload: {mode: "hybrid", debounceMs: 50}},`)
	r := startHome(t, home, cfg, nil)
	c := r.client(t)
	runChat(t, c, "run-r1", "write", nil)
	if _, err := os.Stat(filepath.Join(ws, "f0.txt")); err != nil {
		t.Fatalf("first run did not write: %v", err)
	}
	path := filepath.Join(home, "clawdbot.json")
	next := strings.Replace(cfg, `tools: {exec: {security: "full", ask: "off"}},`, `tools: {deny: ["write"]},`, 1)
	if next == cfg {
		t.Fatal("test cannot edit the config")
	}
	if err := os.WriteFile(path+".tmp", []byte(next), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatal(err)
	}
	r.waitOutput(t, "agent config reloaded")
	c = r.client(t) // a reload may restart the server; the agent survives it
	evs := runChat(t, c, "run-r2", "write again", nil)
	for _, e := range toolEvents(evs) {
		if e.Data["phase"] == "result" && e.Data["isError"] != true {
			t.Fatalf("denied write ran: %v", e.Data)
		}
	}
	if _, err := os.Stat(filepath.Join(ws, "f2.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("write ran after tools.deny was reloaded")
	}
}
