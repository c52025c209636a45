package loop

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/clawgate/gateway/server/agent/llm"
	"github.com/clawgate/gateway/server/agent/tools"
)

// Agent event streams produced by the loop.
const (
	StreamAssistant = "assistant"
	StreamTool      = "tool"
)

// Event is one `agent` event without the envelope the gateway adds (seq, ts,
// sessionKey): the run, the stream and the data object, whose JSON is the original's.
type Event struct {
	RunID  string
	Stream string
	Data   any
}

// EventSink receives the loop's events, one call at a time, in order. Emit must not
// block for long: it runs on the loop's path.
type EventSink interface {
	Emit(ev Event)
}

// AssistantData is the data of a stream "assistant" event: the step's text so far and
// the increment.
type AssistantData struct {
	Text  string `json:"text"`
	Delta string `json:"delta"`
}

// ToolStartData is stream "tool", phase "start".
type ToolStartData struct {
	Phase      string          `json:"phase"`
	Name       string          `json:"name"`
	ToolCallID string          `json:"toolCallId"`
	Args       json.RawMessage `json:"args"`
}

// ToolUpdateData is stream "tool", phase "update".
type ToolUpdateData struct {
	Phase         string        `json:"phase"`
	Name          string        `json:"name"`
	ToolCallID    string        `json:"toolCallId"`
	PartialResult EventToolBody `json:"partialResult"`
}

// ToolResultData is stream "tool", phase "result".
type ToolResultData struct {
	Phase      string        `json:"phase"`
	Name       string        `json:"name"`
	ToolCallID string        `json:"toolCallId"`
	Meta       string        `json:"meta,omitempty"`
	IsError    bool          `json:"isError"`
	Result     EventToolBody `json:"result"`
}

// EventToolBody is a tool result as events carry it: text capped, images reduced to
// their size (the original's sanitizeToolResult).
type EventToolBody struct {
	Content []EventPart `json:"content"`
	Details any         `json:"details,omitempty"`
}

// EventPart is one content part of an event's tool result.
type EventPart struct {
	Type     string `json:"type"`
	Text     string `json:"text,omitempty"`
	MimeType string `json:"mimeType,omitempty"`
	Bytes    int    `json:"bytes,omitempty"`
	Omitted  bool   `json:"omitted,omitempty"`
}

// EventTextMaxChars caps tool-result text in events (the original's 8000).
const EventTextMaxChars = 8000

func sanitize(r tools.Result) EventToolBody {
	out := EventToolBody{Content: make([]EventPart, 0, len(r.Content)), Details: r.Details}
	for _, p := range r.Content {
		switch p.Type {
		case llm.PartText:
			t := p.Text
			if utf8.RuneCountInString(t) > EventTextMaxChars {
				t = string([]rune(t)[:EventTextMaxChars]) + "\n…(truncated)…"
			}
			out.Content = append(out.Content, EventPart{Type: "text", Text: t})
		case llm.PartImage:
			out.Content = append(out.Content, EventPart{Type: "image", MimeType: p.MimeType, Bytes: len(p.Data), Omitted: true})
		}
	}
	return out
}

// toolDetailKeys say which argument describes a call of each tool (the original's
// tool-display table, for the tools this gateway has).
var toolDetailKeys = map[string][]string{
	"exec":             {"command"},
	"process":          {"sessionId"},
	"read":             {"path", "file_path"},
	"write":            {"path", "file_path"},
	"edit":             {"path", "file_path"},
	"apply_patch":      {},
	"web_fetch":        {"url"},
	"web_search":       {"query", "count"},
	"message":          {"target", "to"},
	"sessions_list":    {},
	"sessions_history": {"sessionKey"},
	"sessions_send":    {"sessionKey", "label"},
	"session_status":   {"sessionKey"},
	"nodes":            {"node"},
	"canvas":           {"node", "url", "target"},
}

var fallbackDetailKeys = []string{"command", "path", "url", "node", "id", "to", "name", "query"}

// meta is the one-line description of a call shown next to the tool's name: the
// action, if any, and the most telling argument.
func meta(name string, args json.RawMessage) string {
	var m map[string]any
	if json.Unmarshal(args, &m) != nil {
		return ""
	}
	var parts []string
	if a, ok := m["action"].(string); ok && strings.TrimSpace(a) != "" {
		parts = append(parts, strings.ReplaceAll(strings.TrimSpace(a), "_", " "))
	}
	keys, ok := toolDetailKeys[name]
	if !ok {
		keys = fallbackDetailKeys
	}
	for _, k := range keys {
		if v := displayValue(m[k]); v != "" {
			parts = append(parts, v)
			break
		}
	}
	if name == "exec" {
		for _, flag := range []string{"pty", "elevated"} {
			if b, _ := m[flag].(bool); b {
				parts = append(parts, flag)
			}
		}
	}
	return strings.Join(parts, " · ")
}

func displayValue(v any) string {
	switch x := v.(type) {
	case string:
		s := strings.TrimSpace(x)
		if i := strings.IndexAny(s, "\r\n"); i >= 0 {
			s = strings.TrimSpace(s[:i])
		}
		if utf8.RuneCountInString(s) > 160 {
			s = string([]rune(s)[:157]) + "…"
		}
		return s
	case float64:
		if x == 0 {
			return ""
		}
		return fmt.Sprint(x)
	case []any:
		var vals []string
		for _, e := range x {
			if s := displayValue(e); s != "" {
				vals = append(vals, s)
			}
		}
		if len(vals) > 3 {
			return strings.Join(vals[:3], ", ") + "…"
		}
		return strings.Join(vals, ", ")
	}
	return ""
}
