package llm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/packages/param"
	"github.com/openai/openai-go/v3/shared"

	"github.com/clawgate/gateway/tools/protogen/runtime/wire"
)

// The Chat Completions request body is written directly instead of being built as
// openai.ChatCompletionNewParams and encoded by the SDK's reflection encoder, which
// walked the same tool definitions and system prompt on every model step (~40 % of the
// step's CPU in a gateway profile). The bytes are the ones the SDK produces for the params the gateway
// used to build, followed by the "stream":true member the SDK's NewStreaming adds:
// members in the params struct's field order, strings escaped as the SDK escapes them
// (encoding/json rules without HTML escaping, wire.AppendString), tool definitions
// encoded by the SDK itself once per definition. TestOpenAIRequestBodyMatchesSDK holds
// the two encodings byte for byte equal.

// maxCachedTools bounds the encoded tool definitions a provider keeps; past it
// the cache starts over. A gateway offers a few dozen tools, so the bound only matters
// when definitions keep changing (tool descriptions that embed changing text).
const maxCachedTools = 256

// toolCache keeps each tool's definition encoded as an SDK encodes it in a request's
// "tools" array, keyed by name and checked against the definition it came from, so a
// changed description or schema is encoded anew. Each provider has its own cache.
type toolCache struct {
	mu      sync.Mutex
	entries map[string]cachedTool
}

type cachedTool struct {
	description string
	parameters  []byte
	encoded     []byte // {"function":{…},"type":"function"}; never modified once stored
}

// encoded returns t's definition as encode encodes it, from the cache while t is
// unchanged. A provider always passes the same encode.
func (c *toolCache) encoded(t ToolDef, encode func(ToolDef) ([]byte, error)) ([]byte, error) {
	c.mu.Lock()
	e, ok := c.entries[t.Name]
	c.mu.Unlock()
	if ok && e.description == t.Description && bytes.Equal(e.parameters, t.Parameters) {
		return e.encoded, nil
	}
	enc, err := encode(t)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.entries == nil || len(c.entries) >= maxCachedTools {
		c.entries = make(map[string]cachedTool)
	}
	c.entries[t.Name] = cachedTool{description: t.Description, parameters: bytes.Clone(t.Parameters), encoded: enc}
	c.mu.Unlock()
	return enc, nil
}

// len reports how many definitions are cached (for tests).
func (c *toolCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// encodeOpenAITool encodes one tool definition through the SDK, as it appears in "tools".
func encodeOpenAITool(t ToolDef) ([]byte, error) {
	var schema map[string]any
	if len(t.Parameters) > 0 {
		if err := json.Unmarshal(t.Parameters, &schema); err != nil {
			return nil, fmt.Errorf("llm: tool %s: parameters: %w", t.Name, err)
		}
	}
	tool := openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
		Name: t.Name, Description: param.NewOpt(t.Description), Parameters: shared.FunctionParameters(schema),
	})
	b, err := tool.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("llm: tool %s: %w", t.Name, err)
	}
	return b, nil
}

// requestBody encodes the streamed Chat Completions request for req.
func (o *OpenAI) requestBody(req *Request) ([]byte, error) {
	return o.appendRequestBody(nil, req)
}

// appendRequestBody appends the streamed Chat Completions request for req to dst.
func (o *OpenAI) appendRequestBody(dst []byte, req *Request) ([]byte, error) {
	tools := make([][]byte, len(req.Tools))
	size := 256 + len(req.System) + len(o.spec.ID)
	for i, t := range req.Tools {
		enc, err := o.tools.encoded(t, encodeOpenAITool)
		if err != nil {
			return nil, err
		}
		tools[i] = enc
		size += len(enc) + 1
	}
	// A first guess at the size that counts the history's text; escaping may add a little.
	for i := range req.Messages {
		size += 64
		for _, p := range req.Messages[i].Content {
			size += len(p.Text) + len(p.Data) + len(p.Arguments) + 64
		}
	}
	b := slices.Grow(dst, size)
	b = append(b, `{"messages":`...)
	b = o.appendMessages(b, req)
	b = append(b, `,"model":`...)
	b = wire.AppendString(b, o.spec.ID)
	if mt := maxTokens(req, o.spec); req.MaxTokens > 0 || o.spec.MaxTokens > 0 {
		if o.spec.Compat.MaxTokensField == "max_completion_tokens" {
			b = append(b, `,"max_completion_tokens":`...)
		} else {
			b = append(b, `,"max_tokens":`...)
		}
		b = strconv.AppendInt(b, int64(mt), 10)
	}
	if st := o.spec.Compat.SupportsStore; st != nil && *st {
		b = append(b, `,"store":false`...)
	}
	if req.Temperature != nil {
		// encoding/json's float format, which the SDK's encoder shares; NaN and ±Inf
		// are an error there as here.
		t, err := json.Marshal(*req.Temperature)
		if err != nil {
			return nil, fmt.Errorf("llm: temperature: %w", err)
		}
		b = append(b, `,"temperature":`...)
		b = append(b, t...)
	}
	if e := OpenAIReasoningEffort(req.ReasoningEffort); e != "" && o.spec.Reasoning && !isFalse(o.spec.Compat.SupportsReasoningEffort) {
		b = append(b, `,"reasoning_effort":`...)
		b = wire.AppendString(b, e)
	}
	b = append(b, `,"stream_options":{"include_usage":true}`...)
	if len(tools) > 0 {
		b = append(b, `,"tools":[`...)
		for i, t := range tools {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, t...)
		}
		b = append(b, ']')
	}
	return append(b, `,"stream":true}`...), nil
}

// appendMessages writes the conversation as Chat Completions messages: the system
// prompt, then the repaired history. Images from tool results follow the tool messages
// in one user message, as tool messages cannot carry images.
func (o *OpenAI) appendMessages(b []byte, req *Request) []byte {
	msgs := RepairToolPairing(req.Messages)
	b = append(b, '[')
	first := true
	sep := func() {
		if !first {
			b = append(b, ',')
		}
		first = false
	}
	if req.System != "" {
		sep()
		b = append(b, `{"content":`...)
		b = wire.AppendString(b, req.System)
		if dr := o.spec.Compat.SupportsDeveloperRole; dr != nil && *dr && o.spec.Reasoning {
			b = append(b, `,"role":"developer"}`...)
		} else {
			b = append(b, `,"role":"system"}`...)
		}
	}
	var pendingImages []Part // images from tool results, sent after the tool messages
	flushImages := func() {
		if len(pendingImages) == 0 {
			return
		}
		sep()
		b = append(b, `{"content":[{"text":"Attached image(s) from tool result:","type":"text"}`...)
		for _, p := range pendingImages {
			b = append(b, ',')
			b = appendImagePart(b, p)
		}
		b = append(b, `],"role":"user"}`...)
		pendingImages = pendingImages[:0]
	}
	for i := range msgs {
		m := &msgs[i]
		if m.Role != RoleToolResult {
			flushImages()
		}
		switch m.Role {
		case RoleUser:
			sep()
			b = o.appendUser(b, m)
		case RoleAssistant:
			text, calls := false, false
			for _, p := range m.Content {
				switch {
				case p.Type == PartText && p.Text != "":
					text = true
				case p.Type == PartToolCall:
					calls = true
				}
			}
			if !text && !calls {
				continue
			}
			sep()
			b = append(b, '{')
			if text {
				b = append(b, `"content":`...)
				b = wire.AppendString(b, m.Text())
				b = append(b, ',')
			}
			if calls {
				b = append(b, `"tool_calls":[`...)
				n := 0
				for _, p := range m.Content {
					if p.Type != PartToolCall {
						continue
					}
					if n > 0 {
						b = append(b, ',')
					}
					n++
					b = append(b, `{"id":`...)
					b = wire.AppendString(b, p.ID)
					b = append(b, `,"function":{"arguments":`...)
					b = wire.AppendString(b, string(ArgumentsObject(p.Arguments)))
					b = append(b, `,"name":`...)
					b = wire.AppendString(b, p.Name)
					b = append(b, `},"type":"function"}`...)
				}
				b = append(b, "],"...)
			}
			b = append(b, `"role":"assistant"}`...)
		case RoleToolResult:
			sep()
			b = append(b, `{"content":"`...)
			start, n := len(b), 0
			for _, p := range m.Content {
				var s string
				switch p.Type {
				case PartText:
					s = p.Text
				case PartImage:
					if o.spec.Images {
						pendingImages = append(pendingImages, p)
						continue
					}
					s = imageOmitted
				default:
					continue
				}
				if n > 0 {
					b = append(b, `\n`...)
				}
				n++
				b = appendStringBody(b, s)
			}
			if len(b) == start {
				b = append(b, "(no output)"...)
			}
			b = append(b, `","tool_call_id":`...)
			b = wire.AppendString(b, m.ToolCallID)
			b = append(b, `,"role":"tool"}`...)
		}
	}
	flushImages()
	return append(b, ']')
}

// appendUser writes a user message: plain string content (the form every local server
// accepts) unless it carries images for a model that takes them.
func (o *OpenAI) appendUser(b []byte, m *Message) []byte {
	hasImage := false
	for _, p := range m.Content {
		if p.Type == PartImage {
			hasImage = true
		}
	}
	if !hasImage || !o.spec.Images {
		b = append(b, `{"content":`...)
		if len(m.Content) == 1 && m.Content[0].Type == PartText {
			b = wire.AppendString(b, m.Content[0].Text) // the common case, without a copy
		} else {
			var sb strings.Builder
			for _, p := range m.Content {
				switch p.Type {
				case PartText:
					sb.WriteString(p.Text)
				case PartImage:
					if sb.Len() > 0 {
						sb.WriteString("\n")
					}
					sb.WriteString(imageOmitted)
				}
			}
			b = wire.AppendString(b, sb.String())
		}
		return append(b, `,"role":"user"}`...)
	}
	b = append(b, `{"content":[`...)
	n := 0
	for _, p := range m.Content {
		switch p.Type {
		case PartText:
			if n > 0 {
				b = append(b, ',')
			}
			n++
			b = append(b, `{"text":`...)
			b = wire.AppendString(b, p.Text)
			b = append(b, `,"type":"text"}`...)
		case PartImage:
			if n > 0 {
				b = append(b, ',')
			}
			n++
			b = appendImagePart(b, p)
		}
	}
	return append(b, `],"role":"user"}`...)
}

// appendImagePart writes an image as a data URL content part. The URL is escaped piece
// by piece: JSON escaping works per character, so the pieces escape to what the joined
// URL would, without building a copy of a possibly large base64 payload.
func appendImagePart(b []byte, p Part) []byte {
	b = append(b, `{"image_url":{"url":"data:`...)
	b = appendStringBody(b, p.MimeType)
	b = append(b, ";base64,"...)
	b = appendStringBody(b, p.Data)
	return append(b, `"},"type":"image_url"}`...)
}

// appendStringBody writes s JSON-escaped without the surrounding quotes, so a string
// made of several pieces is written without joining them first. Escaping works per
// character, so pieces escape to what their concatenation would as long as no
// multi-byte UTF-8 sequence could span two of them: callers only use it for pieces
// separated by ASCII text (a tool result's "\n", a data URL's ";base64,").
func appendStringBody(b []byte, s string) []byte {
	if isPlainJSON(s) {
		return append(b, s...)
	}
	n := len(b)
	b = wire.AppendString(b, s)
	copy(b[n:], b[n+1:len(b)-1]) // drop the quotes
	return b[:len(b)-2]
}

// isPlainJSON reports whether s needs no escaping in a JSON string: printable ASCII
// other than '"' and '\\'.
func isPlainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

func isFalse(b *bool) bool { return b != nil && !*b }
