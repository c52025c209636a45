package llm

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strings"
)

// assembler builds an assistant message from streamed increments, keeping blocks in
// arrival order, and forwards each increment to the caller's handler.
type assembler struct {
	on     func(Event)
	blocks []*block
	calls  map[int]*block // provider's tool-call key -> block
	nCalls int
}

type block struct {
	typ  PartType
	sb   strings.Builder
	sig  string
	id   string
	name string
	call int // ordinal among tool calls
}

func newAssembler(on func(Event)) *assembler {
	if on == nil {
		on = func(Event) {}
	}
	return &assembler{on: on, calls: map[int]*block{}}
}

func (a *assembler) last(t PartType) *block {
	if n := len(a.blocks); n > 0 && a.blocks[n-1].typ == t {
		return a.blocks[n-1]
	}
	b := &block{typ: t}
	a.blocks = append(a.blocks, b)
	return b
}

func (a *assembler) text(s string) {
	if s == "" {
		return
	}
	a.last(PartText).sb.WriteString(s)
	a.on(Event{Kind: EventText, Delta: s})
}

func (a *assembler) thinking(s string) {
	if s == "" {
		return
	}
	a.last(PartThinking).sb.WriteString(s)
	a.on(Event{Kind: EventThinking, Delta: s})
}

func (a *assembler) thinkingSignature(sig string) {
	if sig == "" {
		return
	}
	a.last(PartThinking).sig += sig
}

// toolCall records a fragment of the tool call keyed by key (the provider's index or
// content-block index). A new non-empty id on a known key starts a new call: some
// OpenAI-compatible servers reuse index 0 for every call.
func (a *assembler) toolCall(key int, id, name, args string) {
	b := a.calls[key]
	if b != nil && id != "" && b.id != "" && id != b.id {
		b = nil
	}
	if b == nil {
		b = &block{typ: PartToolCall, id: id, name: name, call: a.nCalls}
		a.nCalls++
		a.calls[key] = b
		a.blocks = append(a.blocks, b)
		a.on(Event{Kind: EventToolCallStart, Index: b.call, ToolCallID: id, ToolName: name})
	} else {
		if b.id == "" {
			b.id = id
		}
		if b.name == "" {
			b.name = name
		}
	}
	if args != "" {
		b.sb.WriteString(args)
		a.on(Event{Kind: EventToolCallDelta, Index: b.call, Delta: args})
	}
}

func (a *assembler) hasToolCalls() bool { return a.nCalls > 0 }

// parts returns the assembled content. Tool-call arguments are kept as produced when
// they are a JSON object; otherwise the raw text is kept so the loop can report it.
func (a *assembler) parts() []Part {
	out := make([]Part, 0, len(a.blocks))
	for _, b := range a.blocks {
		switch b.typ {
		case PartText:
			out = append(out, TextPart(b.sb.String()))
		case PartThinking:
			out = append(out, Part{Type: PartThinking, Thinking: b.sb.String(), ThinkingSignature: b.sig})
		case PartToolCall:
			args := strings.TrimSpace(b.sb.String())
			if args == "" {
				args = "{}"
			}
			if b.id == "" {
				b.id = newCallID()
			}
			out = append(out, Part{Type: PartToolCall, ID: b.id, Name: b.name, Arguments: json.RawMessage(args)})
		}
	}
	return out
}

// newCallID names a tool call whose server sent no id (some local servers don't), in a
// form every provider accepts when the transcript is replayed.
func newCallID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "call_" + hex.EncodeToString(b[:])
}
