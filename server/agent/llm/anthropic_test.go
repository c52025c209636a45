package llm

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
)

func anth(name string, data map[string]any) sseEvent {
	data["type"] = name
	return sseEvent{Name: name, Data: data}
}

func newAnthropicTest(t *testing.T, s *scripted, authHeader bool) *Anthropic {
	t.Helper()
	a, err := NewAnthropic(Endpoint{Name: "anthropic", BaseURL: s.srv.URL, APIKey: "sk-ant-test", AuthHeader: authHeader, Now: testNow},
		ModelSpec{ID: "claude-test", Images: true, MaxTokens: 4096})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func anthropicToolScript() func(http.ResponseWriter, *http.Request) {
	return sseScript(
		anth("message_start", map[string]any{"message": map[string]any{"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-test",
			"content": []any{}, "usage": map[string]any{"input_tokens": 200, "output_tokens": 1, "cache_read_input_tokens": 50, "cache_creation_input_tokens": 10}}}),
		anth("content_block_start", map[string]any{"index": 0, "content_block": map[string]any{"type": "thinking", "thinking": "", "signature": ""}}),
		anth("content_block_delta", map[string]any{"index": 0, "delta": map[string]any{"type": "thinking_delta", "thinking": "need both files"}}),
		anth("content_block_delta", map[string]any{"index": 0, "delta": map[string]any{"type": "signature_delta", "signature": "sig123"}}),
		anth("content_block_stop", map[string]any{"index": 0}),
		anth("content_block_start", map[string]any{"index": 1, "content_block": map[string]any{"type": "text", "text": ""}}),
		anth("content_block_delta", map[string]any{"index": 1, "delta": map[string]any{"type": "text_delta", "text": "Reading "}}),
		anth("content_block_delta", map[string]any{"index": 1, "delta": map[string]any{"type": "text_delta", "text": "both."}}),
		anth("content_block_stop", map[string]any{"index": 1}),
		anth("content_block_start", map[string]any{"index": 2, "content_block": map[string]any{"type": "tool_use", "id": "toolu_1", "name": "read", "input": map[string]any{}}}),
		anth("content_block_start", map[string]any{"index": 3, "content_block": map[string]any{"type": "tool_use", "id": "toolu_2", "name": "read", "input": map[string]any{}}}),
		anth("content_block_delta", map[string]any{"index": 2, "delta": map[string]any{"type": "input_json_delta", "partial_json": `{"pa`}}),
		anth("content_block_delta", map[string]any{"index": 3, "delta": map[string]any{"type": "input_json_delta", "partial_json": `{"path":"b.txt"}`}}),
		anth("content_block_delta", map[string]any{"index": 2, "delta": map[string]any{"type": "input_json_delta", "partial_json": `th":"a.txt"}`}}),
		anth("content_block_stop", map[string]any{"index": 2}),
		anth("content_block_stop", map[string]any{"index": 3}),
		anth("message_delta", map[string]any{"delta": map[string]any{"stop_reason": "tool_use"}, "usage": map[string]any{"output_tokens": 40}}),
		anth("message_stop", map[string]any{}),
	)
}

func TestAnthropicStreamsThinkingTextAndParallelToolUse(t *testing.T) {
	s := newScripted(t, anthropicToolScript())
	var ev events
	tools := []ToolDef{{Name: "read", Description: "Read a file", Parameters: json.RawMessage(`{"type":"object","properties":{"path":{"type":"string"}},"required":["path"],"additionalProperties":false}`)}}
	resp, err := newAnthropicTest(t, s, false).Stream(context.Background(), &Request{System: "sys", Messages: []Message{UserText("read a and b", testNow())}, Tools: tools}, ev.on)
	if err != nil {
		t.Fatal(err)
	}
	m := resp.Message
	if len(m.Content) != 4 {
		t.Fatalf("content %+v", m.Content)
	}
	if m.Content[0].Type != PartThinking || m.Content[0].Thinking != "need both files" || m.Content[0].ThinkingSignature != "sig123" {
		t.Fatalf("thinking %+v", m.Content[0])
	}
	if m.Text() != "Reading both." || ev.text() != "Reading both." {
		t.Fatalf("text %q", m.Text())
	}
	calls := m.ToolCalls()
	if len(calls) != 2 || calls[0].ID != "toolu_1" || string(calls[0].Arguments) != `{"path":"a.txt"}` || string(calls[1].Arguments) != `{"path":"b.txt"}` {
		t.Fatalf("calls %+v", calls)
	}
	want := Usage{Input: 200, Output: 40, CacheRead: 50, CacheWrite: 10, TotalTokens: 300}
	if m.Usage != want || m.StopReason != StopToolUse || m.API != APIAnthropicMessages {
		t.Fatalf("usage %+v stop %s", m.Usage, m.StopReason)
	}
	r := s.requests()[0]
	if r.Path != "/v1/messages" || r.Header.Get("X-Api-Key") != "sk-ant-test" || r.Header.Get("Authorization") != "" {
		t.Fatalf("path %s headers %v", r.Path, r.Header)
	}
	if r.Body["max_tokens"] != float64(4096) || r.Body["stream"] != true {
		t.Fatalf("body %s", r.Raw)
	}
	sys := r.Body["system"].([]any)[0].(map[string]any)
	if sys["text"] != "sys" {
		t.Fatalf("system %v", r.Body["system"])
	}
	tool := r.Body["tools"].([]any)[0].(map[string]any)
	schema := tool["input_schema"].(map[string]any)
	if schema["type"] != "object" || schema["additionalProperties"] != false || schema["required"].([]any)[0] != "path" {
		t.Fatalf("tool schema %v", tool)
	}
}

func TestAnthropicGroupsToolResultsAndRewritesForeignIDs(t *testing.T) {
	s := newScripted(t, sseScript(
		anth("message_start", map[string]any{"message": map[string]any{"id": "m", "type": "message", "role": "assistant", "content": []any{}, "model": "c", "usage": map[string]any{"input_tokens": 1, "output_tokens": 1}}}),
		anth("content_block_start", map[string]any{"index": 0, "content_block": map[string]any{"type": "text", "text": "done"}}),
		anth("message_delta", map[string]any{"delta": map[string]any{"stop_reason": "end_turn"}, "usage": map[string]any{"output_tokens": 2}}),
		anth("message_stop", map[string]any{}),
	))
	hist := []Message{
		UserText("go", testNow()),
		{Role: RoleAssistant, API: APIOpenAICompletions, Content: []Part{
			{Type: PartToolCall, ID: "call|one", Name: "read", Arguments: json.RawMessage(`{"path":"a"}`)},
			{Type: PartToolCall, ID: "call|two", Name: "read", Arguments: json.RawMessage(`not json`)},
		}, StopReason: StopToolUse},
		{Role: RoleToolResult, ToolCallID: "call|one", ToolName: "read", Content: []Part{TextPart("A")}},
		{Role: RoleToolResult, ToolCallID: "call|two", ToolName: "read", Content: []Part{TextPart("bad args")}, IsError: true},
	}
	resp, err := newAnthropicTest(t, s, true).Stream(context.Background(), &Request{Messages: hist}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Message.Text() != "done" || resp.Message.StopReason != StopEnd {
		t.Fatalf("resp %+v", resp.Message)
	}
	r := s.requests()[0]
	if r.Header.Get("Authorization") != "Bearer sk-ant-test" || r.Header.Get("X-Api-Key") != "" {
		t.Fatalf("auth header mode: %v", r.Header)
	}
	msgs := r.Body["messages"].([]any)
	if len(msgs) != 3 {
		t.Fatalf("want user, assistant, user(tool results): %s", r.Raw)
	}
	asst := msgs[1].(map[string]any)["content"].([]any)
	if asst[0].(map[string]any)["id"] != "callone" || asst[1].(map[string]any)["input"] == nil {
		t.Fatalf("assistant blocks %v", asst)
	}
	results := msgs[2].(map[string]any)["content"].([]any)
	if len(results) != 2 || results[0].(map[string]any)["tool_use_id"] != "callone" || results[1].(map[string]any)["is_error"] != true {
		t.Fatalf("tool results %v", results)
	}
}

func TestAnthropicErrors(t *testing.T) {
	t.Run("overloaded status", func(t *testing.T) {
		s := newScripted(t, statusScript(529, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`))
		_, err := newAnthropicTest(t, s, false).Stream(context.Background(), &Request{Messages: []Message{UserText("x", testNow())}}, nil)
		var pe *ProviderError
		if !errors.As(err, &pe) || pe.Status != 529 || pe.Reason != ReasonRateLimit || pe.Message != "Overloaded" {
			t.Fatalf("err %v (%+v)", err, pe)
		}
	})
	t.Run("error event mid-stream", func(t *testing.T) {
		s := newScripted(t, sseScript(
			anth("message_start", map[string]any{"message": map[string]any{"id": "m", "type": "message", "role": "assistant", "content": []any{}, "model": "c", "usage": map[string]any{"input_tokens": 1}}}),
			sseEvent{Name: "error", Data: map[string]any{"type": "error", "error": map[string]any{"type": "api_error", "message": "Internal"}}},
		))
		_, err := newAnthropicTest(t, s, false).Stream(context.Background(), &Request{Messages: []Message{UserText("x", testNow())}}, nil)
		var pe *ProviderError
		if !errors.As(err, &pe) {
			t.Fatalf("err %T %v", err, err)
		}
	})
}
