package llm

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func testNow() time.Time { return time.UnixMilli(1_700_000_000_000) }

func newOpenAITest(t *testing.T, s *scripted, key string, images bool) *OpenAI {
	t.Helper()
	o, err := NewOpenAI(Endpoint{Name: "local", BaseURL: s.srv.URL + "/v1", APIKey: key, Headers: map[string]string{"X-Test": "yes"},
		Now: testNow}, ModelSpec{ID: "qwen3", Images: images})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestOpenAIStreamsTextAndUsage(t *testing.T) {
	s := newScripted(t, sseScript(
		chunk(map[string]any{"role": "assistant", "content": ""}, ""),
		chunk(map[string]any{"content": "Hel"}, ""),
		chunk(map[string]any{"content": "lo"}, ""),
		chunk(map[string]any{}, "stop"),
		usageChunk(120, 7, 20),
		"[DONE]",
	))
	o := newOpenAITest(t, s, "sk-test", false)
	var ev events
	resp, err := o.Stream(context.Background(), &Request{System: "be brief", Messages: []Message{UserText("hi", testNow())}}, ev.on)
	if err != nil {
		t.Fatal(err)
	}
	m := resp.Message
	if m.Text() != "Hello" || ev.text() != "Hello" || ev.kinds(EventText) != 2 {
		t.Fatalf("text %q streamed %q (%d deltas)", m.Text(), ev.text(), ev.kinds(EventText))
	}
	if m.StopReason != StopEnd || m.API != APIOpenAICompletions || m.Provider != "local" || m.Model != "qwen3" || m.Timestamp != testNow().UnixMilli() {
		t.Fatalf("message meta %+v", m)
	}
	want := Usage{Input: 100, Output: 7, CacheRead: 20, TotalTokens: 127}
	if m.Usage != want {
		t.Fatalf("usage %+v want %+v", m.Usage, want)
	}
	reqs := s.requests()
	if len(reqs) != 1 || reqs[0].Path != "/v1/chat/completions" {
		t.Fatalf("requests %+v", reqs)
	}
	r := reqs[0]
	if got := r.Header.Get("Authorization"); got != "Bearer sk-test" {
		t.Fatalf("authorization %q", got)
	}
	if r.Header.Get("X-Test") != "yes" {
		t.Fatal("custom header missing")
	}
	if r.Body["stream"] != true || r.Body["model"] != "qwen3" {
		t.Fatalf("body %s", r.Raw)
	}
	so, _ := r.Body["stream_options"].(map[string]any)
	if so["include_usage"] != true {
		t.Fatalf("stream_options %v", r.Body["stream_options"])
	}
	msgs := r.Body["messages"].([]any)
	if len(msgs) != 2 || msgs[0].(map[string]any)["role"] != "system" || msgs[1].(map[string]any)["content"] != "hi" {
		t.Fatalf("messages %s", r.Raw)
	}
}

// Two parallel tool calls whose argument fragments interleave across chunks; the id and
// name arrive only in the first fragment of each.
func TestOpenAIAssemblesParallelToolCallsSplitAcrossChunks(t *testing.T) {
	s := newScripted(t, sseScript(
		chunk(toolDelta(0, "call_a", "read", ""), ""),
		chunk(toolDelta(1, "call_b", "exec", `{"comm`), ""),
		chunk(toolDelta(0, "", "", `{"path":`), ""),
		chunk(toolDelta(1, "", "", `and":"ls -la"}`), ""),
		chunk(toolDelta(0, "", "", `"notes.txt"}`), ""),
		chunk(map[string]any{}, "tool_calls"),
		usageChunk(50, 30, 0),
		"[DONE]",
	))
	o := newOpenAITest(t, s, "", false)
	var ev events
	tools := []ToolDef{{Name: "read", Description: "Read a file", Parameters: json.RawMessage(`{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}`)}}
	resp, err := o.Stream(context.Background(), &Request{Messages: []Message{UserText("go", testNow())}, Tools: tools}, ev.on)
	if err != nil {
		t.Fatal(err)
	}
	calls := resp.Message.ToolCalls()
	if len(calls) != 2 {
		t.Fatalf("calls %+v", calls)
	}
	if calls[0].ID != "call_a" || calls[0].Name != "read" || string(calls[0].Arguments) != `{"path":"notes.txt"}` {
		t.Fatalf("call 0 %+v %s", calls[0], calls[0].Arguments)
	}
	if calls[1].ID != "call_b" || calls[1].Name != "exec" || string(calls[1].Arguments) != `{"command":"ls -la"}` {
		t.Fatalf("call 1 %+v %s", calls[1], calls[1].Arguments)
	}
	if resp.Message.StopReason != StopToolUse {
		t.Fatalf("stop %s", resp.Message.StopReason)
	}
	if ev.kinds(EventToolCallStart) != 2 || ev.kinds(EventToolCallDelta) != 4 {
		t.Fatalf("events %+v", ev.evs)
	}
	// No key configured: no Authorization header at all.
	r := s.requests()[0]
	if r.Header.Get("Authorization") != "" {
		t.Fatalf("unexpected authorization %q", r.Header.Get("Authorization"))
	}
	tl := r.Body["tools"].([]any)
	fn := tl[0].(map[string]any)["function"].(map[string]any)
	if fn["name"] != "read" || fn["parameters"].(map[string]any)["required"].([]any)[0] != "path" {
		t.Fatalf("tools %s", r.Raw)
	}
}

// Ollama-style servers send every call at index 0 and finish with "stop".
func TestOpenAIToolCallsReusingIndexAndStopFinish(t *testing.T) {
	s := newScripted(t, sseScript(
		chunk(toolDelta(0, "c1", "read", `{"path":"a"}`), ""),
		chunk(toolDelta(0, "c2", "read", `{"path":"b"}`), ""),
		chunk(map[string]any{}, "stop"),
		"[DONE]",
	))
	resp, err := newOpenAITest(t, s, "", false).Stream(context.Background(), &Request{Messages: []Message{UserText("x", testNow())}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	calls := resp.Message.ToolCalls()
	if len(calls) != 2 || calls[1].ID != "c2" || string(calls[1].Arguments) != `{"path":"b"}` || resp.Message.StopReason != StopToolUse {
		t.Fatalf("calls %+v stop %s", calls, resp.Message.StopReason)
	}
}

func TestOpenAIReasoningDeltas(t *testing.T) {
	s := newScripted(t, sseScript(
		chunk(map[string]any{"reasoning_content": "think "}, ""),
		chunk(map[string]any{"reasoning_content": "hard"}, ""),
		chunk(map[string]any{"content": "42"}, ""),
		chunk(map[string]any{}, "stop"),
		"[DONE]",
	))
	var ev events
	resp, err := newOpenAITest(t, s, "", false).Stream(context.Background(), &Request{Messages: []Message{UserText("x", testNow())}}, ev.on)
	if err != nil {
		t.Fatal(err)
	}
	c := resp.Message.Content
	if len(c) != 2 || c[0].Type != PartThinking || c[0].Thinking != "think hard" || c[1].Text != "42" || ev.kinds(EventThinking) != 2 {
		t.Fatalf("content %+v", c)
	}
}

func TestOpenAIConvertsHistory(t *testing.T) {
	s := newScripted(t, sseScript(chunk(map[string]any{"content": "ok"}, "stop"), "[DONE]"))
	o := newOpenAITest(t, s, "", true)
	hist := []Message{
		{Role: RoleUser, Content: []Part{TextPart("look"), ImagePart("image/png", "iVBORw0KGgo=")}, Timestamp: 1},
		{Role: RoleAssistant, Content: []Part{TextPart("reading"), {Type: PartToolCall, ID: "t1", Name: "read", Arguments: json.RawMessage(`{"path":"a.png"}`)}}, StopReason: StopToolUse, Timestamp: 2},
		{Role: RoleToolResult, ToolCallID: "t1", ToolName: "read", Content: []Part{TextPart("Read image file [image/png]"), ImagePart("image/png", "AAAA")}, Timestamp: 3},
	}
	if _, err := o.Stream(context.Background(), &Request{Messages: hist}, nil); err != nil {
		t.Fatal(err)
	}
	msgs := s.requests()[0].Body["messages"].([]any)
	if len(msgs) != 4 {
		t.Fatalf("want user, assistant, tool, user(images); got %s", s.requests()[0].Raw)
	}
	u := msgs[0].(map[string]any)["content"].([]any)
	if u[1].(map[string]any)["image_url"].(map[string]any)["url"] != "data:image/png;base64,iVBORw0KGgo=" {
		t.Fatalf("image part %v", u)
	}
	a := msgs[1].(map[string]any)
	tc := a["tool_calls"].([]any)[0].(map[string]any)
	if a["content"] != "reading" || tc["id"] != "t1" || tc["function"].(map[string]any)["arguments"] != `{"path":"a.png"}` {
		t.Fatalf("assistant %v", a)
	}
	tm := msgs[2].(map[string]any)
	if tm["role"] != "tool" || tm["tool_call_id"] != "t1" || tm["content"] != "Read image file [image/png]" {
		t.Fatalf("tool message %v", tm)
	}
	if msgs[3].(map[string]any)["role"] != "user" {
		t.Fatalf("images after tool results %v", msgs[3])
	}

	// The same history to a text-only model: images become a note, nothing binary is sent.
	s2 := newScripted(t, sseScript(chunk(map[string]any{"content": "ok"}, "stop"), "[DONE]"))
	if _, err := newOpenAITest(t, s2, "", false).Stream(context.Background(), &Request{Messages: hist}, nil); err != nil {
		t.Fatal(err)
	}
	raw := string(s2.requests()[0].Raw)
	if strings.Contains(raw, "base64") || !strings.Contains(raw, "does not accept images") {
		t.Fatalf("text-only request %s", raw)
	}
}

func TestOpenAIErrorsAreClassified(t *testing.T) {
	cases := []struct {
		name   string
		script func(http.ResponseWriter, *http.Request)
		status int
		reason FailoverReason
		msg    string
	}{
		{"server error", statusScript(500, `{"error":{"message":"boom"}}`), 500, ReasonUnknown, "boom"},
		{"rate limited", statusScript(429, `{"error":{"message":"slow down"}}`), 429, ReasonRateLimit, "slow down"},
		{"bad key", statusScript(401, `{"error":{"message":"invalid key"}}`), 401, ReasonAuth, "invalid key"},
		{"billing", statusScript(402, `{}`), 402, ReasonBilling, "Payment Required"},
		{"in-stream error", sseScript(chunk(map[string]any{"content": "a"}, ""), map[string]any{"error": map[string]any{"message": "overloaded"}}), 0, ReasonUnknown, "overloaded"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newScripted(t, tc.script)
			_, err := newOpenAITest(t, s, "", false).Stream(context.Background(), &Request{Messages: []Message{UserText("x", testNow())}}, nil)
			var pe *ProviderError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v", err, err)
			}
			if pe.Status != tc.status || pe.Reason != tc.reason || !strings.Contains(pe.Message, tc.msg) || pe.Provider != "local" || pe.Model != "qwen3" {
				t.Fatalf("got %+v", pe)
			}
		})
	}
}

// Cancelling the step mid-stream ends the HTTP request: the server sees its request
// context end, and Stream returns the cancellation promptly.
func TestOpenAIAbortMidStreamCancelsRequest(t *testing.T) {
	serverSawCancel := make(chan struct{})
	s := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
		writeSSE(w, chunk(map[string]any{"content": "partial"}, ""))
		select {
		case <-r.Context().Done():
			close(serverSawCancel)
		case <-time.After(30 * time.Second):
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := newOpenAITest(t, s, "", false).Stream(ctx, &Request{Messages: []Message{UserText("x", testNow())}}, func(e Event) {
			if e.Kind == EventText {
				cancel()
			}
		})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Stream did not return after cancel")
	}
	select {
	case <-serverSawCancel:
	case <-time.After(10 * time.Second):
		t.Fatal("server request was not cancelled")
	}
}

// A provider with no configured key never picks up OPENAI_API_KEY from the environment.
func TestOpenAIDoesNotLeakEnvironmentKey(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "sk-must-not-leak")
	t.Setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/never")
	s := newScripted(t, sseScript(chunk(map[string]any{"content": "ok"}, "stop"), "[DONE]"))
	if _, err := newOpenAITest(t, s, "", false).Stream(context.Background(), &Request{Messages: []Message{UserText("x", testNow())}}, nil); err != nil {
		t.Fatal(err)
	}
	if h := s.requests()[0].Header.Get("Authorization"); h != "" {
		t.Fatalf("authorization leaked: %q", h)
	}
}
