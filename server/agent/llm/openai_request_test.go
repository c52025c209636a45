package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/packages/param"
	"github.com/openai/openai-go/v3/shared"
)

// sdkParams builds the request as the gateway built it before requestBody existed:
// ChatCompletionNewParams for the SDK to encode. It is the reference the direct
// encoding is held to.
func sdkParams(t testing.TB, o *OpenAI, req *Request) openai.ChatCompletionNewParams {
	t.Helper()
	params := openai.ChatCompletionNewParams{
		Model:         shared.ChatModel(o.spec.ID),
		Messages:      sdkMessages(o, req),
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: param.NewOpt(true)},
	}
	if mt := maxTokens(req, o.spec); req.MaxTokens > 0 || o.spec.MaxTokens > 0 {
		params.MaxTokens = param.NewOpt(int64(mt))
	}
	if req.Temperature != nil {
		params.Temperature = param.NewOpt(*req.Temperature)
	}
	if e := OpenAIReasoningEffort(req.ReasoningEffort); e != "" && o.spec.Reasoning {
		params.ReasoningEffort = shared.ReasoningEffort(e)
	}
	for _, tl := range req.Tools {
		var schema map[string]any
		if len(tl.Parameters) > 0 {
			if err := json.Unmarshal(tl.Parameters, &schema); err != nil {
				t.Fatal(err)
			}
		}
		params.Tools = append(params.Tools, openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
			Name: tl.Name, Description: param.NewOpt(tl.Description), Parameters: shared.FunctionParameters(schema),
		}))
	}
	return params
}

// sdkMessages converts the conversation to Chat Completions messages.
func sdkMessages(o *OpenAI, req *Request) []openai.ChatCompletionMessageParamUnion {
	msgs := RepairToolPairing(req.Messages)
	out := make([]openai.ChatCompletionMessageParamUnion, 0, len(msgs)+1)
	if req.System != "" {
		out = append(out, openai.SystemMessage(req.System))
	}
	var pendingImages []Part // images from tool results, sent after the tool messages
	flushImages := func() {
		if len(pendingImages) == 0 {
			return
		}
		parts := []openai.ChatCompletionContentPartUnionParam{openai.TextContentPart("Attached image(s) from tool result:")}
		for _, p := range pendingImages {
			parts = append(parts, sdkImage(p))
		}
		out = append(out, openai.UserMessage(parts))
		pendingImages = nil
	}
	for i := range msgs {
		m := &msgs[i]
		if m.Role != RoleToolResult {
			flushImages()
		}
		switch m.Role {
		case RoleUser:
			out = append(out, sdkUserMessage(o, m))
		case RoleAssistant:
			a := openai.ChatCompletionAssistantMessageParam{}
			if t := m.Text(); t != "" {
				a.Content.OfString = param.NewOpt(t)
			}
			for _, p := range m.ToolCalls() {
				a.ToolCalls = append(a.ToolCalls, openai.ChatCompletionMessageToolCallUnionParam{
					OfFunction: &openai.ChatCompletionMessageFunctionToolCallParam{ID: p.ID,
						Function: openai.ChatCompletionMessageFunctionToolCallFunctionParam{Name: p.Name, Arguments: string(ArgumentsObject(p.Arguments))}},
				})
			}
			if a.Content.OfString.Valid() || len(a.ToolCalls) > 0 {
				out = append(out, openai.ChatCompletionMessageParamUnion{OfAssistant: &a})
			}
		case RoleToolResult:
			var text []string
			for _, p := range m.Content {
				switch p.Type {
				case PartText:
					text = append(text, p.Text)
				case PartImage:
					if o.spec.Images {
						pendingImages = append(pendingImages, p)
					} else {
						text = append(text, imageOmitted)
					}
				}
			}
			s := strings.Join(text, "\n")
			if s == "" {
				s = "(no output)"
			}
			out = append(out, openai.ToolMessage(s, m.ToolCallID))
		}
	}
	flushImages()
	return out
}

func sdkUserMessage(o *OpenAI, m *Message) openai.ChatCompletionMessageParamUnion {
	hasImage := false
	for _, p := range m.Content {
		if p.Type == PartImage {
			hasImage = true
		}
	}
	if !hasImage || !o.spec.Images {
		// Plain string content: the most widely accepted form across local servers.
		var b strings.Builder
		for _, p := range m.Content {
			switch p.Type {
			case PartText:
				b.WriteString(p.Text)
			case PartImage:
				if b.Len() > 0 {
					b.WriteString("\n")
				}
				b.WriteString(imageOmitted)
			}
		}
		return openai.UserMessage(b.String())
	}
	parts := make([]openai.ChatCompletionContentPartUnionParam, 0, len(m.Content))
	for _, p := range m.Content {
		switch p.Type {
		case PartText:
			parts = append(parts, openai.TextContentPart(p.Text))
		case PartImage:
			parts = append(parts, sdkImage(p))
		}
	}
	return openai.UserMessage(parts)
}

func sdkImage(p Part) openai.ChatCompletionContentPartUnionParam {
	return openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{
		URL: "data:" + p.MimeType + ";base64," + p.Data,
	})
}

// requestCases are requests whose encoding must not differ from the SDK's: every
// message shape, every optional member, and strings that need escaping.
func requestCases(t testing.TB) []struct {
	name string
	spec ModelSpec
	req  *Request
} {
	ts := time.UnixMilli(1_700_000_000_000)
	temp, zero := 0.7, 0.0
	tricky := "quotes \" back\\slash <html> & tab\t nl\n cr\r bell\x07 del\x7f é 😀 \u2028\u2029 bad\xff\xfe end"
	read := ToolDef{Name: "read", Description: "Read a <file> & return it", Parameters: json.RawMessage(
		`{"type":"object","properties":{"path":{"type":"string","description":"a \u003cpath\u003e"},"limit":{"type":"integer","minimum":1e0,"maximum":1e21}},"required":["path"]}`)}
	bare := ToolDef{Name: "now"} // no description, no parameters
	hist := []Message{
		{Role: RoleUser, Content: []Part{TextPart("look at " + tricky), ImagePart("image/png", "iVBORw0KGgo=")}, Timestamp: 1},
		{Role: RoleAssistant, Content: []Part{{Type: PartThinking, Thinking: "hmm"}, TextPart("reading "), TextPart("it"),
			{Type: PartToolCall, ID: "t1", Name: "read", Arguments: json.RawMessage(`{"path":"a.png"}`)},
			{Type: PartToolCall, ID: "t2", Name: "read", Arguments: json.RawMessage(`not json`)}}, StopReason: StopToolUse, Timestamp: 2},
		{Role: RoleToolResult, ToolCallID: "t1", ToolName: "read", Content: []Part{TextPart("Read image " + tricky), ImagePart("image/jpeg", "AAAA")}, Timestamp: 3},
		// t2's result is missing: the repair inserts one.
		{Role: RoleUser, Content: []Part{TextPart("two "), TextPart("parts")}, Timestamp: 4},
		{Role: RoleAssistant, Content: []Part{{Type: PartToolCall, ID: "t3", Name: "now"}}, StopReason: StopToolUse, Timestamp: 5},
		{Role: RoleToolResult, ToolCallID: "t3", ToolName: "now", Content: []Part{TextPart(""), TextPart("")}, Timestamp: 6},
		{Role: RoleAssistant, StopReason: StopError, Timestamp: 7}, // failed step with nothing: left out
		{Role: RoleAssistant, Content: []Part{{Type: PartToolCall, ID: "t4", Name: "now", Arguments: json.RawMessage(`{}`)}}, StopReason: StopToolUse, Timestamp: 8},
		{Role: RoleToolResult, ToolCallID: "t4", ToolName: "now", Content: []Part{TextPart("")}, Timestamp: 9},
		{Role: RoleAssistant, Content: []Part{TextPart("")}, StopReason: StopEnd, Timestamp: 10}, // empty: left out
		{Role: RoleUser, Content: []Part{ImagePart("image/gif", "R0lG"), TextPart("after image")}, Timestamp: 11},
		UserText(tricky, ts),
	}
	return []struct {
		name string
		spec ModelSpec
		req  *Request
	}{
		{"plain", ModelSpec{ID: "m"}, &Request{Messages: []Message{UserText("hi", ts)}}},
		{"empty", ModelSpec{ID: "m"}, &Request{}},
		{"system only", ModelSpec{ID: "m"}, &Request{System: "be brief"}},
		{"everything, images", ModelSpec{ID: "model <x>", Images: true, MaxTokens: 4096, Reasoning: true},
			&Request{System: "sys " + tricky, Messages: hist, Tools: []ToolDef{read, bare}, Temperature: &temp, ReasoningEffort: "high"}},
		{"everything, text only", ModelSpec{ID: "m", MaxTokens: 4096},
			&Request{System: "sys", Messages: hist, Tools: []ToolDef{read}, MaxTokens: 100, Temperature: &zero, ReasoningEffort: "low"}},
		{"reasoning off", ModelSpec{ID: "m", Reasoning: true}, &Request{Messages: hist[:3], ReasoningEffort: "off"}},
		{"gateway tools", ModelSpec{ID: "m"}, &Request{System: "s", Messages: []Message{UserText("go", ts)}, Tools: gatewayTools(t)}},
	}
}

// TestOpenAIRequestBodyMatchesSDK: for each case the server receives the same bytes
// (and headers) as when the SDK encoded ChatCompletionNewParams and streamed them.
func TestOpenAIRequestBodyMatchesSDK(t *testing.T) {
	reply := sseScript(chunk(map[string]any{"content": "ok"}, "stop"), "[DONE]")
	for _, tc := range requestCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			s := newScripted(t, reply, reply)
			o, err := NewOpenAI(Endpoint{Name: "local", BaseURL: s.srv.URL + "/v1", APIKey: "sk-x", Headers: map[string]string{"X-Test": "yes"}}, tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			// Before: the SDK's own streaming call with the params the gateway built.
			svc := openai.NewChatCompletionService(o.client.Options...)
			stream := svc.NewStreaming(context.Background(), sdkParams(t, o, tc.req))
			for stream.Next() {
			}
			if err := stream.Err(); err != nil {
				t.Fatal(err)
			}
			// Now.
			if _, err := o.Stream(context.Background(), tc.req, nil); err != nil {
				t.Fatal(err)
			}
			reqs := s.requests()
			before, now := reqs[0], reqs[1]
			if !bytes.Equal(before.Raw, now.Raw) {
				t.Fatalf("body differs\nSDK: %s\nnow: %s", before.Raw, now.Raw)
			}
			if !json.Valid(now.Raw) {
				t.Fatalf("invalid JSON %s", now.Raw)
			}
			if before.Path != now.Path {
				t.Fatalf("path %s, was %s", now.Path, before.Path)
			}
			for k := range before.Header {
				if got, want := strings.Join(now.Header.Values(k), ","), strings.Join(before.Header.Values(k), ","); got != want {
					t.Errorf("header %s: %q, was %q", k, got, want)
				}
			}
			if len(now.Header) != len(before.Header) {
				t.Errorf("headers %v, were %v", now.Header, before.Header)
			}
		})
	}
}

// FuzzOpenAIRequestBody: any text in any place encodes as the SDK encodes it.
func FuzzOpenAIRequestBody(f *testing.F) {
	for _, s := range []string{"", "plain", "\"\\/\b\f\n\r\t", "<>&", "\x00\x1f\x7f", "é😀", "\u2028\u2029", "\xff", "\xe2\x82", "a\xc3"} {
		f.Add(s, s+"x", `{"a":`+fmt.Sprintf("%q", s)+`}`)
	}
	f.Fuzz(func(t *testing.T, a, b, args string) {
		ts := time.UnixMilli(1)
		for _, images := range []bool{false, true} {
			o := &OpenAI{spec: ModelSpec{ID: "m" + a, Images: images}} // ids are never empty (NewOpenAI)
			req := &Request{System: a, Tools: []ToolDef{{Name: a, Description: b}}, Messages: []Message{
				{Role: RoleUser, Content: []Part{TextPart(a), ImagePart(b, a), TextPart(b)}, Timestamp: 1},
				{Role: RoleAssistant, Content: []Part{TextPart(a), TextPart(b), {Type: PartToolCall, ID: a, Name: b, Arguments: json.RawMessage(args)}}},
				{Role: RoleToolResult, ToolCallID: a, Content: []Part{TextPart(b), ImagePart(a, b), TextPart(a)}},
				UserText(b, ts),
			}}
			got, err := o.requestBody(req)
			if err != nil {
				t.Fatal(err)
			}
			sdk, err := sdkParams(t, o, req).MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			// NewStreaming adds "stream":true as the last member.
			want := append(sdk[:len(sdk)-1:len(sdk)-1], `,"stream":true}`...)
			if !bytes.Equal(got, want) {
				t.Fatalf("body differs\nSDK: %q\nnow: %q", want, got)
			}
		}
	})
}

// TestOpenAIToolCache: a definition is encoded once while unchanged; a changed schema
// or description reaches the server on the next step; bad JSON is an error and not
// cached; the cache is bounded by maxCachedTools.
func TestOpenAIToolCache(t *testing.T) {
	reply := sseScript(chunk(map[string]any{"content": "ok"}, "stop"), "[DONE]")
	s := newScripted(t, reply, reply, reply)
	o := newOpenAITest(t, s, "", false)
	v1 := ToolDef{Name: "read", Description: "Read", Parameters: json.RawMessage(`{"type":"object","properties":{"path":{"type":"string"}}}`)}
	v2 := ToolDef{Name: "read", Description: "Read", Parameters: json.RawMessage(`{"type":"object","properties":{"file":{"type":"string"}}}`)}
	v3 := ToolDef{Name: "read", Description: "Read a file", Parameters: v2.Parameters}
	e1, err := o.tools.encoded(v1, encodeOpenAITool)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := o.tools.encoded(ToolDef{Name: v1.Name, Description: v1.Description, Parameters: bytes.Clone(v1.Parameters)}, encodeOpenAITool); &again[0] != &e1[0] {
		t.Fatal("unchanged definition encoded twice")
	}
	for i, tl := range []ToolDef{v1, v2, v3} {
		if _, err := o.Stream(context.Background(), &Request{Messages: []Message{UserText("x", testNow())}, Tools: []ToolDef{tl}}, nil); err != nil {
			t.Fatal(err)
		}
		fn := s.requests()[i].Body["tools"].([]any)[0].(map[string]any)["function"].(map[string]any)
		props := fn["parameters"].(map[string]any)["properties"].(map[string]any)
		if _, ok := props[map[int]string{0: "path", 1: "file", 2: "file"}[i]]; !ok || fn["description"] != tl.Description {
			t.Fatalf("step %d sent %v", i, fn)
		}
	}
	bad := ToolDef{Name: "bad", Parameters: json.RawMessage(`{`)}
	if _, err := o.Stream(context.Background(), &Request{Tools: []ToolDef{bad}}, nil); err == nil || !strings.Contains(err.Error(), "tool bad") {
		t.Fatalf("bad schema: %v", err)
	}
	if _, err := o.tools.encoded(bad, encodeOpenAITool); err == nil {
		t.Fatal("bad schema cached")
	}
	for i := range maxCachedTools + 10 {
		if _, err := o.tools.encoded(ToolDef{Name: fmt.Sprintf("t%d", i)}, encodeOpenAITool); err != nil {
			t.Fatal(err)
		}
		if n := o.tools.len(); n > maxCachedTools {
			t.Fatalf("%d cached definitions, limit %d", n, maxCachedTools)
		}
	}
}

// TestOpenAIRequestBodyConcurrent: steps of several runs share one provider and its
// tool cache; each gets the complete body (run with -race).
func TestOpenAIRequestBodyConcurrent(t *testing.T) {
	o := &OpenAI{spec: ModelSpec{ID: "m"}}
	req := &Request{System: "s", Messages: []Message{UserText("go", testNow())}, Tools: gatewayTools(t)}
	want, err := o.requestBody(req)
	if err != nil {
		t.Fatal(err)
	}
	o = &OpenAI{spec: ModelSpec{ID: "m"}} // start cold again
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			for range 20 {
				got, err := o.requestBody(req)
				if err == nil && !bytes.Equal(got, want) {
					err = fmt.Errorf("body differs: %s", got)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// TestOpenAIUnencodableTemperature: a temperature JSON cannot carry (a JSON5 config can
// say NaN) fails the step as a provider error before anything is sent, as when the
// SDK's encoder refused it.
func TestOpenAIUnencodableTemperature(t *testing.T) {
	s := newScripted(t)
	nan := math.NaN()
	_, err := newOpenAITest(t, s, "", false).Stream(context.Background(), &Request{Messages: []Message{UserText("x", testNow())}, Temperature: &nan}, nil)
	var pe *ProviderError
	if !errors.As(err, &pe) || pe.Reason != ReasonUnknown || len(s.requests()) != 0 {
		t.Fatalf("error %T %v, %d requests", err, err, len(s.requests()))
	}
}

// TestOpenAICompat: models.providers.*.models[].compat changes the request body: the
// output limit's member name, a developer message for a reasoning model's system
// prompt, reasoning_effort turned off, and store:false.
func TestOpenAICompat(t *testing.T) {
	yes, no := true, false
	for _, tc := range []struct {
		name      string
		spec      ModelSpec
		want, not []string
	}{
		{name: "defaults", spec: ModelSpec{ID: "m", MaxTokens: 100, Reasoning: true},
			want: []string{`"max_tokens":100`, `"role":"system"`, `"reasoning_effort":"high"`}, not: []string{`"store"`, `max_completion_tokens`, `"developer"`}},
		{name: "max_completion_tokens", spec: ModelSpec{ID: "m", MaxTokens: 100, Compat: OpenAICompat{MaxTokensField: "max_completion_tokens"}},
			want: []string{`"max_completion_tokens":100`}, not: []string{`"max_tokens"`}},
		{name: "developer role", spec: ModelSpec{ID: "m", Reasoning: true, Compat: OpenAICompat{SupportsDeveloperRole: &yes}},
			want: []string{`"role":"developer"`}, not: []string{`"role":"system"`}},
		{name: "developer role needs reasoning", spec: ModelSpec{ID: "m", Compat: OpenAICompat{SupportsDeveloperRole: &yes}},
			want: []string{`"role":"system"`}},
		{name: "no reasoning effort", spec: ModelSpec{ID: "m", Reasoning: true, Compat: OpenAICompat{SupportsReasoningEffort: &no}},
			not: []string{`reasoning_effort`}},
		{name: "store", spec: ModelSpec{ID: "m", Compat: OpenAICompat{SupportsStore: &yes}},
			want: []string{`"store":false`}},
		{name: "store off", spec: ModelSpec{ID: "m", Compat: OpenAICompat{SupportsStore: &no}},
			not: []string{`"store"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := NewOpenAI(Endpoint{Name: "local", BaseURL: "http://127.0.0.1:9/v1"}, tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			body, err := o.requestBody(&Request{System: "be brief", ReasoningEffort: "high", Messages: []Message{UserText("x", testNow())}})
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(body) {
				t.Fatalf("invalid JSON %s", body)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(body), w) {
					t.Errorf("body lacks %s: %s", w, body)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(string(body), n) {
					t.Errorf("body has %s: %s", n, body)
				}
			}
		})
	}
}
