package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
)

// sdkAnthropicParams builds the request as Anthropic.Stream built it before tool
// definitions were cached: every schema decoded and handed to the SDK to encode.
func sdkAnthropicParams(t testing.TB, a *Anthropic, req *Request) (anthropic.MessageNewParams, []option.RequestOption) {
	t.Helper()
	params := anthropic.MessageNewParams{Model: anthropic.Model(a.spec.ID), MaxTokens: int64(maxTokens(req, a.spec)), Messages: a.messages(req)}
	if req.System != "" {
		params.System = []anthropic.TextBlockParam{{Text: req.System}}
	}
	var reqOpts []option.RequestOption
	if req.Temperature != nil && req.ThinkingBudget == 0 {
		reqOpts = append(reqOpts, option.WithJSONSet("temperature", *req.Temperature))
	}
	if req.ThinkingBudget > 0 {
		params.Thinking = anthropic.ThinkingConfigParamOfEnabled(int64(req.ThinkingBudget))
		if params.MaxTokens <= int64(req.ThinkingBudget) {
			params.MaxTokens = int64(req.ThinkingBudget) + DefaultMaxTokens
		}
	}
	for _, tl := range req.Tools {
		schema, err := anthropicSchema(tl.Parameters)
		if err != nil {
			t.Fatal(err)
		}
		tp := anthropic.ToolUnionParamOfTool(schema, tl.Name)
		tp.OfTool.Description = anthropic.String(tl.Description)
		params.Tools = append(params.Tools, tp)
	}
	return params, reqOpts
}

// TestAnthropicRequestBodyMatchesSDK: with tool definitions from the cache the server
// receives the bytes it received when the SDK encoded every definition, and a changed
// schema is sent as changed.
func TestAnthropicRequestBodyMatchesSDK(t *testing.T) {
	reply := sseScript(
		anth("message_start", map[string]any{"message": map[string]any{"id": "m", "type": "message", "role": "assistant", "model": "c", "content": []any{}, "usage": map[string]any{"input_tokens": 1}}}),
		anth("message_delta", map[string]any{"delta": map[string]any{"stop_reason": "end_turn"}, "usage": map[string]any{"output_tokens": 1}}),
		anth("message_stop", map[string]any{}))
	temp := 0.3
	read := ToolDef{Name: "read", Description: "Read a <file>", Parameters: json.RawMessage(`{"type":"object","properties":{"path":{"type":"string"}},"required":["path"],"additionalProperties":false}`)}
	read2 := ToolDef{Name: "read", Description: "Read a <file>", Parameters: json.RawMessage(`{"type":"object","properties":{"file":{"type":"string"}}}`)}
	reqs := []*Request{
		{System: "sys", Messages: []Message{UserText("hi", testNow())}, Tools: gatewayTools(t), Temperature: &temp},
		{Messages: []Message{UserText("hi", testNow())}, Tools: []ToolDef{read, {Name: "now"}}, ThinkingBudget: 2048},
		{Messages: []Message{UserText("hi", testNow())}, Tools: []ToolDef{read2}}, // changed schema, same name
	}
	var scripts []func(w http.ResponseWriter, r *http.Request)
	for range 2 * len(reqs) {
		scripts = append(scripts, reply)
	}
	s := newScripted(t, scripts...)
	a := newAnthropicTest(t, s, false)
	for i, req := range reqs {
		params, opts := sdkAnthropicParams(t, a, req)
		stream := a.client.Messages.NewStreaming(context.Background(), params, opts...)
		for stream.Next() {
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Stream(context.Background(), req, nil); err != nil {
			t.Fatal(err)
		}
		got := s.requests()
		if before, now := got[2*i].Raw, got[2*i+1].Raw; !bytes.Equal(before, now) {
			t.Fatalf("request %d differs\nSDK: %s\nnow: %s", i, before, now)
		}
	}
}
