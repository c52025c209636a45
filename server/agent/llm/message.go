package llm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Role is the author of a message, spelled as the original's transcript spells it.
type Role string

// Roles.
const (
	RoleUser       Role = "user"
	RoleAssistant  Role = "assistant"
	RoleToolResult Role = "toolResult"
)

// PartType is the kind of one content part.
type PartType string

// Part types, as stored by the original (pi-ai content blocks).
const (
	PartText     PartType = "text"
	PartThinking PartType = "thinking"
	PartImage    PartType = "image"
	PartToolCall PartType = "toolCall"
)

// StopReason says why a model step ended, in the original's vocabulary.
type StopReason string

// Stop reasons.
const (
	StopEnd     StopReason = "stop"
	StopLength  StopReason = "length"
	StopToolUse StopReason = "toolUse"
	StopError   StopReason = "error"
	StopAborted StopReason = "aborted"
)

// API names the wire protocol of a provider (the original's models.providers[].api).
type API string

// Supported APIs.
const (
	APIOpenAICompletions API = "openai-completions"
	APIAnthropicMessages API = "anthropic-messages"
)

// Part is one content block of a message. Which fields are meaningful depends on Type;
// MarshalJSON writes only those, so a stored part looks exactly like the original's.
type Part struct {
	Type PartType

	// Text for PartText.
	Text string
	// Thinking and its provider signature for PartThinking. A signature lets Anthropic
	// verify replayed thinking; parts without one are not replayed to Anthropic.
	Thinking          string
	ThinkingSignature string
	// Data (base64) and MimeType for PartImage.
	Data     string
	MimeType string
	// ID, Name and Arguments (a JSON object) for PartToolCall.
	ID        string
	Name      string
	Arguments json.RawMessage
}

// TextPart returns a text part.
func TextPart(s string) Part { return Part{Type: PartText, Text: s} }

// ImagePart returns an image part from base64 data.
func ImagePart(mimeType, base64Data string) Part {
	return Part{Type: PartImage, MimeType: mimeType, Data: base64Data}
}

type partJSON struct {
	Type              PartType        `json:"type"`
	Text              *string         `json:"text,omitempty"`
	Thinking          *string         `json:"thinking,omitempty"`
	ThinkingSignature string          `json:"thinkingSignature,omitempty"`
	Data              *string         `json:"data,omitempty"`
	MimeType          string          `json:"mimeType,omitempty"`
	ID                string          `json:"id,omitempty"`
	Name              string          `json:"name,omitempty"`
	Arguments         json.RawMessage `json:"arguments,omitempty"`
}

// MarshalJSON writes the part in the original's shape.
func (p Part) MarshalJSON() ([]byte, error) {
	j := partJSON{Type: p.Type}
	switch p.Type {
	case PartText:
		j.Text = &p.Text
	case PartThinking:
		j.Thinking = &p.Thinking
		j.ThinkingSignature = p.ThinkingSignature
	case PartImage:
		j.Data = &p.Data
		j.MimeType = p.MimeType
	case PartToolCall:
		j.ID, j.Name = p.ID, p.Name
		j.Arguments = ArgumentsObject(p.Arguments)
	default:
		return nil, fmt.Errorf("llm: unknown part type %q", p.Type)
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads a part; besides the original's shape it accepts "toolUse" and
// "functionCall" part types and an "input" field, which older transcripts used.
func (p *Part) UnmarshalJSON(b []byte) error {
	var j struct {
		partJSON
		Input json.RawMessage `json:"input"`
	}
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*p = Part{Type: j.Type, ThinkingSignature: j.ThinkingSignature, MimeType: j.MimeType, ID: j.ID, Name: j.Name, Arguments: j.Arguments}
	if j.Text != nil {
		p.Text = *j.Text
	}
	if j.Thinking != nil {
		p.Thinking = *j.Thinking
	}
	if j.Data != nil {
		p.Data = *j.Data
	}
	switch j.Type {
	case "toolUse", "functionCall":
		p.Type = PartToolCall
	}
	if p.Type == PartToolCall && len(p.Arguments) == 0 {
		p.Arguments = j.Input
	}
	return nil
}

// ArgumentsObject returns raw when it is a JSON object and "{}" otherwise, so a stored
// tool call always carries an object even when the model produced broken JSON.
func ArgumentsObject(raw json.RawMessage) json.RawMessage {
	t := bytes.TrimSpace(raw)
	if len(t) > 0 && t[0] == '{' && json.Valid(t) {
		return t
	}
	return json.RawMessage("{}")
}

// Cost is the money spent on a step (USD), when the model's prices are known.
type Cost struct {
	Input      float64 `json:"input"`
	Output     float64 `json:"output"`
	CacheRead  float64 `json:"cacheRead"`
	CacheWrite float64 `json:"cacheWrite"`
	Total      float64 `json:"total"`
}

// Usage is the token accounting of one step (or, summed, of a run), in the original's
// field names.
type Usage struct {
	Input       int64 `json:"input"`
	Output      int64 `json:"output"`
	CacheRead   int64 `json:"cacheRead"`
	CacheWrite  int64 `json:"cacheWrite"`
	TotalTokens int64 `json:"totalTokens"`
	Cost        Cost  `json:"cost"`
}

// Add accumulates u2 into u.
func (u *Usage) Add(u2 Usage) {
	u.Input += u2.Input
	u.Output += u2.Output
	u.CacheRead += u2.CacheRead
	u.CacheWrite += u2.CacheWrite
	u.TotalTokens += u2.TotalTokens
	u.Cost.Input += u2.Cost.Input
	u.Cost.Output += u2.Cost.Output
	u.Cost.CacheRead += u2.Cost.CacheRead
	u.Cost.CacheWrite += u2.Cost.CacheWrite
	u.Cost.Total += u2.Cost.Total
}

// Message is one transcript message: a user prompt, an assistant step (text, thinking,
// tool calls) or one tool's result. Its JSON is the original's stored message (the
// "message" of a transcript line, and an entry of chat.history's messages).
type Message struct {
	Role    Role
	Content []Part

	// Assistant messages: which API/provider/model produced it, token usage, why it
	// stopped and, for StopError, the error text.
	API          API
	Provider     string
	Model        string
	Usage        Usage
	StopReason   StopReason
	ErrorMessage string

	// Tool results: the call answered, the tool's name, structured details (JSON, may be
	// empty) and whether the tool failed.
	ToolCallID string
	ToolName   string
	Details    json.RawMessage
	IsError    bool

	// Timestamp in Unix milliseconds.
	Timestamp int64
}

// UserText returns a user message with one text part.
func UserText(text string, ts time.Time) Message {
	return Message{Role: RoleUser, Content: []Part{TextPart(text)}, Timestamp: ts.UnixMilli()}
}

// Text joins the message's text parts.
func (m *Message) Text() string {
	var b strings.Builder
	for _, p := range m.Content {
		if p.Type == PartText {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

// ToolCalls returns the message's tool-call parts.
func (m *Message) ToolCalls() []Part {
	var out []Part
	for _, p := range m.Content {
		if p.Type == PartToolCall {
			out = append(out, p)
		}
	}
	return out
}

type userJSON struct {
	Role      Role   `json:"role"`
	Content   []Part `json:"content"`
	Timestamp int64  `json:"timestamp"`
}

type assistantJSON struct {
	Role         Role       `json:"role"`
	Content      []Part     `json:"content"`
	API          API        `json:"api"`
	Provider     string     `json:"provider"`
	Model        string     `json:"model"`
	Usage        Usage      `json:"usage"`
	StopReason   StopReason `json:"stopReason"`
	ErrorMessage string     `json:"errorMessage,omitempty"`
	Timestamp    int64      `json:"timestamp"`
}

type toolResultJSON struct {
	Role       Role            `json:"role"`
	ToolCallID string          `json:"toolCallId"`
	ToolName   string          `json:"toolName"`
	Content    []Part          `json:"content"`
	Details    json.RawMessage `json:"details,omitempty"`
	IsError    bool            `json:"isError"`
	Timestamp  int64           `json:"timestamp"`
}

// MarshalJSON writes the message in the original's shape for its role.
func (m Message) MarshalJSON() ([]byte, error) {
	content := m.Content
	if content == nil {
		content = []Part{}
	}
	switch m.Role {
	case RoleUser:
		return json.Marshal(userJSON{Role: m.Role, Content: content, Timestamp: m.Timestamp})
	case RoleAssistant:
		return json.Marshal(assistantJSON{Role: m.Role, Content: content, API: m.API, Provider: m.Provider, Model: m.Model,
			Usage: m.Usage, StopReason: m.StopReason, ErrorMessage: m.ErrorMessage, Timestamp: m.Timestamp})
	case RoleToolResult:
		var details json.RawMessage
		if len(bytes.TrimSpace(m.Details)) > 0 {
			details = m.Details
		}
		return json.Marshal(toolResultJSON{Role: m.Role, ToolCallID: m.ToolCallID, ToolName: m.ToolName, Content: content,
			Details: details, IsError: m.IsError, Timestamp: m.Timestamp})
	default:
		return nil, fmt.Errorf("llm: unknown message role %q", m.Role)
	}
}

// UnmarshalJSON reads a stored message. User content may be a plain string (the
// original allows it); "toolUseId" is accepted for "toolCallId".
func (m *Message) UnmarshalJSON(b []byte) error {
	var j struct {
		Role         Role            `json:"role"`
		Content      json.RawMessage `json:"content"`
		API          API             `json:"api"`
		Provider     string          `json:"provider"`
		Model        string          `json:"model"`
		Usage        Usage           `json:"usage"`
		StopReason   StopReason      `json:"stopReason"`
		ErrorMessage string          `json:"errorMessage"`
		ToolCallID   string          `json:"toolCallId"`
		ToolUseID    string          `json:"toolUseId"`
		ToolName     string          `json:"toolName"`
		Details      json.RawMessage `json:"details"`
		IsError      bool            `json:"isError"`
		Timestamp    int64           `json:"timestamp"`
	}
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	switch j.Role {
	case RoleUser, RoleAssistant, RoleToolResult:
	default:
		return fmt.Errorf("llm: unknown message role %q", j.Role)
	}
	*m = Message{Role: j.Role, API: j.API, Provider: j.Provider, Model: j.Model, Usage: j.Usage, StopReason: j.StopReason,
		ErrorMessage: j.ErrorMessage, ToolCallID: j.ToolCallID, ToolName: j.ToolName, Details: j.Details, IsError: j.IsError,
		Timestamp: j.Timestamp}
	if m.ToolCallID == "" {
		m.ToolCallID = j.ToolUseID
	}
	c := bytes.TrimSpace(j.Content)
	switch {
	case len(c) == 0 || bytes.Equal(c, []byte("null")):
	case c[0] == '"':
		var s string
		if err := json.Unmarshal(c, &s); err != nil {
			return err
		}
		m.Content = []Part{TextPart(s)}
	case c[0] == '[':
		if err := json.Unmarshal(c, &m.Content); err != nil {
			return err
		}
	default:
		return errors.New("llm: message content must be a string or an array")
	}
	return nil
}

// TranscriptEntry is one line of the original's JSONL session transcript for a message:
// {"type":"message","id":…,"parentId":…,"timestamp":ISO-8601,"message":{…}}.
type TranscriptEntry struct {
	Type      string  `json:"type"`
	ID        string  `json:"id"`
	ParentID  *string `json:"parentId"`
	Timestamp string  `json:"timestamp"`
	Message   Message `json:"message"`
}

// NewTranscriptEntry wraps m as a transcript line. parentID is "" for the first entry.
func NewTranscriptEntry(id, parentID string, m Message) TranscriptEntry {
	e := TranscriptEntry{Type: "message", ID: id, Message: m,
		Timestamp: time.UnixMilli(m.Timestamp).UTC().Format("2006-01-02T15:04:05.000Z")}
	if parentID != "" {
		e.ParentID = &parentID
	}
	return e
}
