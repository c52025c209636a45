package llm

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// gatewayTools are the gateway's built-in tool definitions as a real chat turn offers
// them (captured from a request body), so benchmarks encode realistic schemas.
//
//go:embed testdata/gateway-tools.json
var gatewayToolsJSON []byte

func gatewayTools(tb testing.TB) []ToolDef {
	tb.Helper()
	var raw []struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Parameters  json.RawMessage `json:"parameters"`
	}
	if err := json.Unmarshal(gatewayToolsJSON, &raw); err != nil {
		tb.Fatal(err)
	}
	out := make([]ToolDef, len(raw))
	for i, t := range raw {
		out[i] = ToolDef{Name: t.Name, Description: t.Description, Parameters: t.Parameters}
	}
	return out
}

// benchHistory is a conversation of n exchanges, each a user prompt, an assistant tool
// call, its result and a text answer.
func benchHistory(n int) []Message {
	ts := time.Unix(1700000000, 0)
	var out []Message
	for i := range n {
		out = append(out, UserText(fmt.Sprintf("Please read notes-%d.md and summarise it.", i), ts),
			Message{Role: RoleAssistant, StopReason: StopToolUse, Content: []Part{TextPart("Reading it."),
				{Type: PartToolCall, ID: fmt.Sprintf("call_%d", i), Name: "read", Arguments: json.RawMessage(`{"path":"notes.md"}`)}}},
			Message{Role: RoleToolResult, ToolCallID: fmt.Sprintf("call_%d", i), ToolName: "read",
				Content: []Part{TextPart(strings.Repeat("A line of notes with \"quotes\" and a tab\there.\n", 20))}},
			Message{Role: RoleAssistant, StopReason: StopEnd, Content: []Part{TextPart("The notes say: all is well.")}})
	}
	return out
}

// BenchmarkOpenAIStream measures one model step through the SDK against an
// OpenAI-compatible server on 127.0.0.1 that answers at once: request encoding,
// the HTTP round trip and chunk decoding, with the gateway's real tool set and a
// system prompt of a realistic size.
func BenchmarkOpenAIStream(b *testing.B) {
	reply := []byte(
		`data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"ok "},"finish_reason":null}]}` + "\n\n" +
			`data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"done"},"finish_reason":"stop"}]}` + "\n\n" +
			`data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":900,"completion_tokens":2,"total_tokens":902,"prompt_tokens_details":{"cached_tokens":800}}}` + "\n\n" +
			"data: [DONE]\n\n")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = w.Write(reply)
	}))
	b.Cleanup(srv.Close)
	o, err := NewOpenAI(Endpoint{Name: "local", BaseURL: srv.URL + "/v1", APIKey: "k",
		HTTPClient: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}}, ModelSpec{ID: "m"})
	if err != nil {
		b.Fatal(err)
	}
	system := "You are a personal assistant running inside Clawdbot.\n\n" + strings.Repeat("## Section\nSome workspace context, rules and notes for the agent.\n", 30)
	tools := gatewayTools(b)
	for _, tc := range []struct {
		name    string
		history []Message
	}{{"text", nil}, {"history=10", benchHistory(10)}} {
		b.Run(tc.name, func(b *testing.B) {
			req := &Request{System: system, Tools: tools,
				Messages: append(append([]Message(nil), tc.history...), UserText("go", time.Unix(1700000000, 0)))}
			b.ReportAllocs()
			for b.Loop() {
				resp, err := o.Stream(context.Background(), req, nil)
				if err != nil || resp.Message.Text() != "ok done" {
					b.Fatalf("%v %+v", err, resp)
				}
			}
		})
	}
}

// BenchmarkAnthropicStream is BenchmarkOpenAIStream for the Messages API.
func BenchmarkAnthropicStream(b *testing.B) {
	ev := func(name, data string) string { return "event: " + name + "\ndata: " + data + "\n\n" }
	reply := []byte(ev("message_start", `{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[],"usage":{"input_tokens":900,"output_tokens":1}}}`) +
		ev("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`) +
		ev("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"ok "}}`) +
		ev("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"done"}}`) +
		ev("content_block_stop", `{"type":"content_block_stop","index":0}`) +
		ev("message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":2}}`) +
		ev("message_stop", `{"type":"message_stop"}`))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = w.Write(reply)
	}))
	b.Cleanup(srv.Close)
	a, err := NewAnthropic(Endpoint{Name: "anthropic", BaseURL: srv.URL, APIKey: "k",
		HTTPClient: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}}, ModelSpec{ID: "m"})
	if err != nil {
		b.Fatal(err)
	}
	system := "You are a personal assistant running inside Clawdbot.\n\n" + strings.Repeat("## Section\nSome workspace context, rules and notes for the agent.\n", 30)
	req := &Request{System: system, Tools: gatewayTools(b), Messages: []Message{UserText("go", time.Unix(1700000000, 0))}}
	b.ReportAllocs()
	for b.Loop() {
		resp, err := a.Stream(context.Background(), req, nil)
		if err != nil || resp.Message.Text() != "ok done" {
			b.Fatalf("%v %+v", err, resp)
		}
	}
}
