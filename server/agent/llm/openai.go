package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/param"
	"github.com/openai/openai-go/v3/shared"
)

// Endpoint is how to reach one provider: where, with which key and headers.
type Endpoint struct {
	// Name is the provider id recorded on messages ("openai", "ollama", …).
	Name    string
	BaseURL string
	// APIKey is sent as the provider expects ("" = none). Never logged.
	APIKey string
	// Headers are added to every request.
	Headers map[string]string
	// AuthHeader sends the key as "Authorization: Bearer" on Anthropic instead of
	// x-api-key (the original's authHeader, for gateways in front of Anthropic).
	AuthHeader bool
	// HTTPClient defaults to a client without an overall timeout (streams are long).
	HTTPClient *http.Client
	// MaxRetries is passed to the SDK (default DefaultMaxRetries).
	MaxRetries int
	// Now stamps messages (default time.Now).
	Now func() time.Time
}

func (e *Endpoint) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Endpoint) httpClient() *http.Client {
	if e.HTTPClient != nil {
		return e.HTTPClient
	}
	return http.DefaultClient
}

// ModelSpec is what a provider needs to know about the model of one step.
type ModelSpec struct {
	ID string
	// Images says the model accepts image input; otherwise images are replaced by a
	// short text note.
	Images bool
	// MaxTokens is the model's output limit (0 = unknown).
	MaxTokens int
	// Reasoning is models.providers.*.models[].reasoning: the model takes
	// reasoning_effort (others would refuse or ignore it, so they never get it).
	Reasoning bool
}

// OpenAI speaks OpenAI-compatible Chat Completions through the official SDK.
type OpenAI struct {
	ep   Endpoint
	svc  openai.ChatCompletionService
	spec ModelSpec
	// schemas caches each tool's decoded parameter schema by name (with the raw JSON it
	// came from): every model step sends the same tools, and decoding them anew was
	// ~7 % of a chat turn's CPU. The maps are only read after decoding (the SDK
	// encodes them), so requests share them.
	smu     sync.Mutex
	schemas map[string]cachedSchema
}

type cachedSchema struct {
	raw    []byte
	schema map[string]any
}

// schema returns t's decoded parameters, from the cache when the raw JSON is unchanged.
func (o *OpenAI) schema(t ToolDef) (map[string]any, error) {
	if len(t.Parameters) == 0 {
		return nil, nil
	}
	o.smu.Lock()
	c, ok := o.schemas[t.Name]
	o.smu.Unlock()
	if ok && bytes.Equal(c.raw, t.Parameters) {
		return c.schema, nil
	}
	var decoded map[string]any
	if err := json.Unmarshal(t.Parameters, &decoded); err != nil {
		return nil, err
	}
	// Each top-level value is kept pre-encoded (the bytes the SDK would produce from the
	// decoded value: sorted keys, no HTML escaping), so a step encodes the schema by
	// copying, not by walking nested maps.
	schema := make(map[string]any, len(decoded))
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for k, v := range decoded {
		buf.Reset()
		if err := enc.Encode(v); err != nil {
			return nil, err
		}
		schema[k] = json.RawMessage(bytes.Clone(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))))
	}
	o.smu.Lock()
	if o.schemas == nil {
		o.schemas = map[string]cachedSchema{}
	}
	if len(o.schemas) >= maxCachedSchemas {
		clear(o.schemas)
	}
	o.schemas[t.Name] = cachedSchema{raw: bytes.Clone(t.Parameters), schema: schema}
	o.smu.Unlock()
	return schema, nil
}

// maxCachedSchemas bounds the schema cache; past it the cache starts over.
const maxCachedSchemas = 256

// NewOpenAI returns a Streamer for one model on an OpenAI-compatible endpoint. It never
// reads OPENAI_* environment variables: a key meant for one provider must not leak to
// another base URL.
func NewOpenAI(ep Endpoint, spec ModelSpec) (*OpenAI, error) {
	if strings.TrimSpace(ep.BaseURL) == "" {
		return nil, errors.New("llm: openai-completions provider needs a baseUrl")
	}
	if spec.ID == "" {
		return nil, errors.New("llm: model id is required")
	}
	opts := []option.RequestOption{
		option.WithHTTPClient(ep.httpClient()),
		option.WithBaseURL(strings.TrimRight(ep.BaseURL, "/") + "/"),
		option.WithMaxRetries(ep.MaxRetries),
		option.WithAPIKey(ep.APIKey),
	}
	for k, v := range ep.Headers {
		opts = append(opts, option.WithHeader(k, v))
	}
	return &OpenAI{ep: ep, svc: openai.NewChatCompletionService(opts...), spec: spec}, nil
}

// Stream runs one streamed chat completion.
func (o *OpenAI) Stream(ctx context.Context, req *Request, on func(Event)) (*Response, error) {
	params := openai.ChatCompletionNewParams{
		Model:         shared.ChatModel(o.spec.ID),
		Messages:      o.messages(req),
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
	for _, t := range req.Tools {
		schema, err := o.schema(t)
		if err != nil {
			return nil, fmt.Errorf("llm: tool %s: parameters: %w", t.Name, err)
		}
		params.Tools = append(params.Tools, openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
			Name: t.Name, Description: param.NewOpt(t.Description), Parameters: shared.FunctionParameters(schema),
		}))
	}

	stream := o.svc.NewStreaming(ctx, params)
	defer stream.Close()
	asm := newAssembler(on)
	var (
		usage  Usage
		finish string
	)
	for stream.Next() {
		chunk := stream.Current()
		if chunk.JSON.Usage.Valid() {
			usage = openAIUsage(chunk.Usage)
		}
		for _, ch := range chunk.Choices {
			if ch.Index != 0 {
				continue
			}
			d := ch.Delta
			if f, ok := d.JSON.ExtraFields["reasoning_content"]; ok {
				asm.thinking(rawString(f.Raw()))
			} else if f, ok := d.JSON.ExtraFields["reasoning"]; ok {
				asm.thinking(rawString(f.Raw()))
			}
			asm.text(d.Content)
			for _, tc := range d.ToolCalls {
				asm.toolCall(int(tc.Index), tc.ID, tc.Function.Name, tc.Function.Arguments)
			}
			if ch.FinishReason != "" {
				finish = ch.FinishReason
			}
		}
	}
	if err := stream.Err(); err != nil {
		return nil, o.wrapErr(ctx, err)
	}
	if ctx.Err() != nil {
		return nil, o.wrapErr(ctx, ctx.Err())
	}
	msg := Message{Role: RoleAssistant, Content: asm.parts(), API: APIOpenAICompletions, Provider: o.ep.Name,
		Model: o.spec.ID, Usage: usage, Timestamp: o.ep.now().UnixMilli()}
	switch finish {
	case "length":
		msg.StopReason = StopLength
	case "content_filter":
		msg.StopReason, msg.ErrorMessage = StopError, "content filtered by the provider"
	default:
		msg.StopReason = StopEnd
	}
	// Some servers (Ollama among them) finish tool-calling steps with "stop".
	if asm.hasToolCalls() && msg.StopReason != StopError {
		msg.StopReason = StopToolUse
	}
	return &Response{Message: msg}, nil
}

func maxTokens(req *Request, spec ModelSpec) int {
	switch {
	case req.MaxTokens > 0:
		return req.MaxTokens
	case spec.MaxTokens > 0:
		return spec.MaxTokens
	default:
		return DefaultMaxTokens
	}
}

func rawString(raw string) string {
	var s string
	if json.Unmarshal([]byte(raw), &s) != nil {
		return ""
	}
	return s
}

func openAIUsage(u openai.CompletionUsage) Usage {
	cached := u.PromptTokensDetails.CachedTokens
	out := Usage{Input: u.PromptTokens - cached, Output: u.CompletionTokens, CacheRead: cached,
		CacheWrite: u.PromptTokensDetails.CacheWriteTokens, TotalTokens: u.TotalTokens}
	if out.Input < 0 {
		out.Input = 0
	}
	if out.TotalTokens == 0 {
		out.TotalTokens = u.PromptTokens + u.CompletionTokens
	}
	return out
}

func (o *OpenAI) wrapErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s/%s: %w", o.ep.Name, o.spec.ID, context.Cause(ctx))
	}
	pe := &ProviderError{Provider: o.ep.Name, Model: o.spec.ID, Err: err}
	var ae *openai.Error
	if errors.As(err, &ae) {
		pe.Status = ae.StatusCode
		pe.Reason = ReasonForStatus(ae.StatusCode)
		pe.Message = ae.Message
		if pe.Message == "" {
			pe.Message = http.StatusText(ae.StatusCode)
		}
		return pe
	}
	pe.Reason = reasonForError(err)
	pe.Message = err.Error()
	return pe
}

const imageOmitted = "[image omitted: this model does not accept images]"

// messages converts the conversation to Chat Completions messages.
func (o *OpenAI) messages(req *Request) []openai.ChatCompletionMessageParamUnion {
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
			parts = append(parts, openAIImage(p))
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
			out = append(out, o.userMessage(m))
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

func (o *OpenAI) userMessage(m *Message) openai.ChatCompletionMessageParamUnion {
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
			parts = append(parts, openAIImage(p))
		}
	}
	return openai.UserMessage(parts)
}

func openAIImage(p Part) openai.ChatCompletionContentPartUnionParam {
	return openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{
		URL: "data:" + p.MimeType + ";base64," + p.Data,
	})
}
