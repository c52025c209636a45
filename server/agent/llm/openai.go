package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/ssestream"
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
	// Compat is the model's request adjustments (Chat Completions only).
	Compat OpenAICompat
}

// OpenAI speaks OpenAI-compatible Chat Completions through the official SDK: the SDK
// sends the request (headers, auth, retries, error decoding) and reads the event
// stream; the request body and the chunks are encoded and decoded by this package (see
// requestBody and openAIChunk).
type OpenAI struct {
	ep Endpoint
	// client carries only the provider's request options: NewClient would add the
	// OPENAI_* environment defaults, and Post needs nothing else.
	client openai.Client
	spec   ModelSpec
	// tools caches each tool definition encoded: every model step sends the same
	// tools, and encoding them anew through the SDK was ~20 % of a step's CPU.
	tools toolCache
	// bodies pools request body buffers (openai_body.go).
	bodies *bodyPool
	// sse pools the event stream scanner's buffers (openai_sse.go).
	sse ssePool
}

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
	return &OpenAI{ep: ep, client: openai.Client{Options: opts}, spec: spec, bodies: new(bodyPool)}, nil
}

// Stream runs one streamed chat completion. It is what the SDK's
// ChatCompletionService.NewStreaming does (a POST to chat/completions whose response is
// read by ssestream) with a body encoded by requestBody and a lean chunk type.
func (o *OpenAI) Stream(ctx context.Context, req *Request, on func(Event)) (*Response, error) {
	body := o.bodies.get()
	var err error
	body.buf, err = o.appendRequestBody(body.buf, req)
	if err != nil {
		body.release()
		var uv *json.UnsupportedValueError
		if errors.As(err, &uv) {
			// A NaN or infinite temperature: the SDK's encoder failed inside the call,
			// which reported it as a provider error; keep that.
			return nil, o.wrapErr(ctx, err)
		}
		return nil, err
	}
	var raw *http.Response
	// The body is set by body.mw on each attempt (openai_body.go); the SDK gets none.
	err = o.client.Post(ctx, "chat/completions", nil, &raw, option.WithMiddleware(body.mw))
	body.release()
	stream := ssestream.NewStream[openAIChunk](o.sse.newDecoder(raw), err)
	defer stream.Close()
	asm := newAssembler(on)
	var (
		usage  Usage
		finish string
	)
	for stream.Next() {
		chunk := stream.Current()
		if chunk.usage != nil {
			usage = *chunk.usage
		}
		for i := range chunk.choices {
			ch := &chunk.choices[i]
			if ch.index != 0 {
				continue
			}
			asm.thinking(ch.thinking)
			asm.text(ch.content)
			for _, tc := range ch.toolCalls {
				asm.toolCall(int(tc.index), tc.id, tc.name, tc.args)
			}
			if ch.finish != "" {
				finish = ch.finish
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
