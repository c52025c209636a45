// Package backend runs one text-only model turn for the agent runtime and streams the
// assistant's text as it arrives: Command runs a local program per turn (the CLI
// backends of agents.defaults.cliBackends, `claude -p`-style) and streams its stdout.
// Model providers (OpenAI-compatible, Anthropic) do not come through here: they run
// through server/agent/llm and the tool loop.
package backend

import (
	"context"
	"strings"
	"time"
)

// Message is one entry of the conversation sent to a backend.
type Message struct {
	Role    string `json:"role"` // "system" | "user" | "assistant"
	Content string `json:"content"`
}

// Request is one model turn.
type Request struct {
	Messages []Message
	// Model overrides the backend's configured model when non-empty.
	Model string
	// Timeout bounds the whole turn when positive.
	Timeout time.Duration
}

// Delta is an increment of assistant text.
type Delta struct {
	Text string
}

// Result is the outcome of a completed turn.
type Result struct {
	Text         string // the full assistant text
	FinishReason string
	Usage        *Usage // nil when the backend did not report usage
}

// Usage is the token accounting reported by the model server.
type Usage struct {
	PromptTokens     int64 `json:"prompt_tokens"`
	CompletionTokens int64 `json:"completion_tokens"`
	TotalTokens      int64 `json:"total_tokens"`
}

// Backend runs one model turn and streams the assistant's text as it arrives.
// onDelta is called from the goroutine that called Run, in order; it may be nil.
type Backend interface {
	Run(ctx context.Context, req Request, onDelta func(Delta)) (Result, error)
}

// withTimeout applies req.Timeout to ctx when set.
func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d > 0 {
		return context.WithTimeout(ctx, d)
	}
	return context.WithCancel(ctx)
}

// BuildPrompt flattens messages into one plain-text prompt for programs that
// take a single prompt: the last user message is the prompt, and every other
// message is given before it as "role: content" context.
func BuildPrompt(msgs []Message) string {
	last := -1
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == "user" {
			last = i
			break
		}
	}
	var ctxParts []string
	for i, m := range msgs {
		if i == last {
			continue
		}
		ctxParts = append(ctxParts, m.Role+": "+m.Content)
	}
	prompt := ""
	if last >= 0 {
		prompt = msgs[last].Content
	}
	if len(ctxParts) == 0 {
		return prompt
	}
	return strings.Join(ctxParts, "\n\n") + "\n\n" + prompt
}
