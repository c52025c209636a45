package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/anthropics/anthropic-sdk-go/v2/packages/param"
)

// Anthropic speaks the native Anthropic Messages API through the official SDK.
type Anthropic struct {
	ep     Endpoint
	client anthropic.Client
	spec   ModelSpec
	// tools caches each tool definition encoded by the SDK: decoding and encoding the
	// same schemas on every step was over half of a step's CPU.
	tools toolCache
}

// NewAnthropic returns a Streamer for one model on an Anthropic Messages endpoint. The
// SDK's environment defaults (ANTHROPIC_API_KEY, profiles on disk) are switched off: the
// key comes from the provider table and nowhere else.
func NewAnthropic(ep Endpoint, spec ModelSpec) (*Anthropic, error) {
	if strings.TrimSpace(ep.BaseURL) == "" {
		return nil, errors.New("llm: anthropic-messages provider needs a baseUrl")
	}
	if spec.ID == "" {
		return nil, errors.New("llm: model id is required")
	}
	opts := []option.RequestOption{
		option.WithoutEnvironmentDefaults(),
		option.WithHTTPClient(ep.httpClient()),
		option.WithBaseURL(strings.TrimRight(ep.BaseURL, "/") + "/"),
		option.WithMaxRetries(ep.MaxRetries),
	}
	if ep.APIKey != "" {
		if ep.AuthHeader {
			opts = append(opts, option.WithAuthToken(ep.APIKey))
		} else {
			opts = append(opts, option.WithHeader("x-api-key", ep.APIKey))
		}
	}
	for k, v := range ep.Headers {
		opts = append(opts, option.WithHeader(k, v))
	}
	return &Anthropic{ep: ep, client: anthropic.NewClient(opts...), spec: spec}, nil
}

// Stream runs one streamed Messages request.
func (a *Anthropic) Stream(ctx context.Context, req *Request, on func(Event)) (*Response, error) {
	msgs := a.messages(req)
	params := anthropic.MessageNewParams{
		Model:     anthropic.Model(a.spec.ID),
		MaxTokens: int64(maxTokens(req, a.spec)),
		Messages:  msgs,
	}
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
	for _, t := range req.Tools {
		enc, err := a.tools.encoded(t, encodeAnthropicTool)
		if err != nil {
			return nil, err
		}
		// The SDK sends an overridden union as the given JSON.
		params.Tools = append(params.Tools, param.Override[anthropic.ToolUnionParam](json.RawMessage(enc)))
	}

	stream := a.client.Messages.NewStreaming(ctx, params, reqOpts...)
	defer stream.Close()
	asm := newAssembler(on)
	var (
		usage Usage
		stop  anthropic.StopReason
		kinds = map[int64]string{}
	)
	for stream.Next() {
		ev := stream.Current()
		switch ev.Type {
		case "message_start":
			u := ev.Message.Usage
			usage.Input, usage.Output = u.InputTokens, u.OutputTokens
			usage.CacheRead, usage.CacheWrite = u.CacheReadInputTokens, u.CacheCreationInputTokens
		case "content_block_start":
			cb := ev.ContentBlock
			kinds[ev.Index] = cb.Type
			switch cb.Type {
			case "tool_use":
				asm.toolCall(int(ev.Index), cb.ID, cb.Name, "")
			case "text":
				asm.text(cb.Text)
			case "thinking":
				asm.thinking(cb.Thinking)
				asm.thinkingSignature(cb.Signature)
			}
		case "content_block_delta":
			d := ev.Delta
			switch d.Type {
			case "text_delta":
				asm.text(d.Text)
			case "thinking_delta":
				asm.thinking(d.Thinking)
			case "signature_delta":
				asm.thinkingSignature(d.Signature)
			case "input_json_delta":
				if kinds[ev.Index] == "tool_use" {
					asm.toolCall(int(ev.Index), "", "", d.PartialJSON)
				}
			}
		case "message_delta":
			if ev.Delta.StopReason != "" {
				stop = ev.Delta.StopReason
			}
			u := ev.Usage
			if u.OutputTokens > 0 {
				usage.Output = u.OutputTokens
			}
			if u.InputTokens > 0 {
				usage.Input = u.InputTokens
			}
			if u.CacheReadInputTokens > 0 {
				usage.CacheRead = u.CacheReadInputTokens
			}
			if u.CacheCreationInputTokens > 0 {
				usage.CacheWrite = u.CacheCreationInputTokens
			}
		}
	}
	if err := stream.Err(); err != nil {
		return nil, a.wrapErr(ctx, err)
	}
	if ctx.Err() != nil {
		return nil, a.wrapErr(ctx, ctx.Err())
	}
	usage.TotalTokens = usage.Input + usage.Output + usage.CacheRead + usage.CacheWrite
	msg := Message{Role: RoleAssistant, Content: asm.parts(), API: APIAnthropicMessages, Provider: a.ep.Name,
		Model: a.spec.ID, Usage: usage, Timestamp: a.ep.now().UnixMilli()}
	switch stop {
	case anthropic.StopReasonMaxTokens, anthropic.StopReasonModelContextWindowExceeded:
		msg.StopReason = StopLength
	case anthropic.StopReasonToolUse:
		msg.StopReason = StopToolUse
	case anthropic.StopReasonRefusal:
		msg.StopReason, msg.ErrorMessage = StopError, "the model refused to answer"
	default:
		msg.StopReason = StopEnd
	}
	if asm.hasToolCalls() && msg.StopReason == StopEnd {
		msg.StopReason = StopToolUse
	}
	return &Response{Message: msg}, nil
}

func (a *Anthropic) wrapErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s/%s: %w", a.ep.Name, a.spec.ID, context.Cause(ctx))
	}
	pe := &ProviderError{Provider: a.ep.Name, Model: a.spec.ID, Err: err}
	var ae *anthropic.Error
	if errors.As(err, &ae) {
		pe.Status = ae.StatusCode
		pe.Reason = ReasonForStatus(ae.StatusCode)
		pe.Message = ae.Message
		if pe.Message == "" {
			pe.Message = http.StatusText(ae.StatusCode)
		}
		if ae.StatusCode == 529 {
			pe.Reason = ReasonRateLimit // "overloaded"
		}
		return pe
	}
	pe.Reason = reasonForError(err)
	pe.Message = err.Error()
	return pe
}

// encodeAnthropicTool encodes one tool definition through the SDK, as it appears in
// "tools".
func encodeAnthropicTool(t ToolDef) ([]byte, error) {
	schema, err := anthropicSchema(t.Parameters)
	if err != nil {
		return nil, fmt.Errorf("llm: tool %s: parameters: %w", t.Name, err)
	}
	tp := anthropic.ToolUnionParamOfTool(schema, t.Name)
	tp.OfTool.Description = anthropic.String(t.Description)
	b, err := tp.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("llm: tool %s: %w", t.Name, err)
	}
	return b, nil
}

// anthropicSchema splits a JSON object schema into the SDK's input schema parameter.
func anthropicSchema(raw json.RawMessage) (anthropic.ToolInputSchemaParam, error) {
	var s anthropic.ToolInputSchemaParam
	if len(raw) == 0 {
		return s, nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return s, err
	}
	s.Properties = m["properties"]
	if req, ok := m["required"].([]any); ok {
		for _, r := range req {
			if name, ok := r.(string); ok {
				s.Required = append(s.Required, name)
			}
		}
	}
	extra := map[string]any{}
	for k, v := range m {
		switch k {
		case "type", "properties", "required":
		default:
			extra[k] = v
		}
	}
	if len(extra) > 0 {
		s.ExtraFields = extra
	}
	return s, nil
}

var anthropicIDRe = regexp.MustCompile(`[^a-zA-Z0-9_-]`)

// anthropicID maps a tool-call id from another provider to the form Anthropic accepts
// (^[a-zA-Z0-9_-]+$, at most 64 characters).
func anthropicID(id string) string {
	s := anthropicIDRe.ReplaceAllString(id, "")
	if len(s) > 64 {
		s = s[:64]
	}
	if s == "" {
		s = "toolcall"
	}
	return s
}

// messages converts the conversation: consecutive tool results become one user turn of
// tool_result blocks (Anthropic wants every result of a step in the next user message),
// and consecutive turns of one role are merged. Tool-call ids from other providers are
// rewritten consistently for calls and their results.
func (a *Anthropic) messages(req *Request) []anthropic.MessageParam {
	msgs := RepairToolPairing(req.Messages)
	type turn struct {
		user   bool
		blocks []anthropic.ContentBlockParamUnion
	}
	var turns []turn
	mapID := anthropicID
	push := func(user bool, blocks []anthropic.ContentBlockParamUnion) {
		if len(blocks) == 0 {
			return
		}
		if n := len(turns); n > 0 && turns[n-1].user == user {
			turns[n-1].blocks = append(turns[n-1].blocks, blocks...)
			return
		}
		turns = append(turns, turn{user: user, blocks: blocks})
	}
	for i := range msgs {
		m := &msgs[i]
		switch m.Role {
		case RoleUser:
			var blocks []anthropic.ContentBlockParamUnion
			for _, p := range m.Content {
				switch p.Type {
				case PartText:
					if p.Text != "" {
						blocks = append(blocks, anthropic.NewTextBlock(p.Text))
					}
				case PartImage:
					if a.spec.Images {
						blocks = append(blocks, anthropic.NewImageBlockBase64(p.MimeType, p.Data))
					} else {
						blocks = append(blocks, anthropic.NewTextBlock(imageOmitted))
					}
				}
			}
			push(true, blocks)
		case RoleAssistant:
			var blocks []anthropic.ContentBlockParamUnion
			for _, p := range m.Content {
				switch p.Type {
				case PartText:
					if p.Text != "" {
						blocks = append(blocks, anthropic.NewTextBlock(p.Text))
					}
				case PartThinking:
					// Only signed thinking from Anthropic itself can be replayed.
					if p.ThinkingSignature != "" && m.API == APIAnthropicMessages {
						blocks = append(blocks, anthropic.NewThinkingBlock(p.ThinkingSignature, p.Thinking))
					} else if strings.TrimSpace(p.Thinking) != "" && m.API != APIAnthropicMessages {
						blocks = append(blocks, anthropic.NewTextBlock(p.Thinking))
					}
				case PartToolCall:
					var input any = map[string]any{}
					_ = json.Unmarshal(ArgumentsObject(p.Arguments), &input)
					blocks = append(blocks, anthropic.NewToolUseBlock(mapID(p.ID), input, p.Name))
				}
			}
			push(false, blocks)
		case RoleToolResult:
			tr := anthropic.ToolResultBlockParam{ToolUseID: mapID(m.ToolCallID), IsError: anthropic.Bool(m.IsError)}
			for _, p := range m.Content {
				switch p.Type {
				case PartText:
					if p.Text != "" {
						tr.Content = append(tr.Content, anthropic.ToolResultBlockParamContentUnion{OfText: &anthropic.TextBlockParam{Text: p.Text}})
					}
				case PartImage:
					if a.spec.Images {
						img := anthropic.NewImageBlockBase64(p.MimeType, p.Data)
						tr.Content = append(tr.Content, anthropic.ToolResultBlockParamContentUnion{OfImage: img.OfImage})
					} else {
						tr.Content = append(tr.Content, anthropic.ToolResultBlockParamContentUnion{OfText: &anthropic.TextBlockParam{Text: imageOmitted}})
					}
				}
			}
			if len(tr.Content) == 0 {
				tr.Content = append(tr.Content, anthropic.ToolResultBlockParamContentUnion{OfText: &anthropic.TextBlockParam{Text: "(no output)"}})
			}
			push(true, []anthropic.ContentBlockParamUnion{{OfToolResult: &tr}})
		}
	}
	out := make([]anthropic.MessageParam, len(turns))
	for i, t := range turns {
		if t.user {
			out[i] = anthropic.NewUserMessage(t.blocks...)
		} else {
			out[i] = anthropic.NewAssistantMessage(t.blocks...)
		}
	}
	return out
}
