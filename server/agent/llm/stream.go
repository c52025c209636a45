package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// ToolDef is a tool as offered to the model: its name, what it does, and the JSON
// Schema (an object schema) of its arguments.
type ToolDef struct {
	Name        string
	Description string
	Parameters  json.RawMessage
}

// Request is one model step.
type Request struct {
	// System is the system prompt ("" = none).
	System string
	// Messages is the conversation so far, oldest first.
	Messages []Message
	// Tools offered to the model (none = plain chat).
	Tools []ToolDef
	// MaxTokens bounds the reply; 0 uses the model's configured maximum, then
	// DefaultMaxTokens.
	MaxTokens int
	// Temperature is sent when set.
	Temperature *float64
	// ThinkingBudget enables extended thinking on Anthropic with this many tokens
	// (0 = off). OpenAI-compatible servers stream reasoning unasked when they have it.
	ThinkingBudget int
	// ReasoningEffort is the session's thinking level for OpenAI-compatible reasoning
	// models (minimal, low, medium, high, xhigh; "" = off): sent as reasoning_effort
	// when the model is configured with reasoning: true (see OpenAI.Stream).
	ReasoningEffort string
}

// EventKind is the kind of one streamed increment.
type EventKind uint8

// Event kinds.
const (
	// EventText carries assistant text in Delta.
	EventText EventKind = iota + 1
	// EventThinking carries reasoning text in Delta.
	EventThinking
	// EventToolCallStart announces tool call Index with ToolCallID and ToolName.
	EventToolCallStart
	// EventToolCallDelta carries a fragment of tool call Index's JSON arguments in Delta.
	EventToolCallDelta
	// EventReset tells the consumer to forget everything streamed so far in this step:
	// the attempt failed and a fallback model starts over.
	EventReset
)

// Event is one streamed increment of a model step. Handlers are called on the goroutine
// that called Stream, in order.
type Event struct {
	Kind       EventKind
	Index      int
	Delta      string
	ToolCallID string
	ToolName   string
}

// Response is a finished model step.
type Response struct {
	// Message is the assembled assistant message (text, thinking and tool-call parts,
	// with API, Provider, Model, Usage, StopReason and Timestamp set).
	Message Message
	// Attempts lists the failed attempts before the one that answered (fallbacks).
	Attempts []Attempt
}

// Streamer runs one streamed model step. on may be nil. A returned error is a
// *ProviderError for provider failures, or wraps ctx.Err() when ctx ended.
type Streamer interface {
	Stream(ctx context.Context, req *Request, on func(Event)) (*Response, error)
}

// Defaults.
const (
	// DefaultMaxTokens bounds a reply when neither the request nor the model says.
	DefaultMaxTokens = 8192
	// DefaultMaxRetries is how often the SDK retries a failed request itself. Zero: the
	// fallback chain is the recovery mechanism, and SDK back-off sleeps would hide a dead
	// provider behind seconds of silence.
	DefaultMaxRetries = 0
)

// FailoverReason classifies a provider failure the way the original records it.
type FailoverReason string

// Failover reasons.
const (
	ReasonAuth      FailoverReason = "auth"
	ReasonBilling   FailoverReason = "billing"
	ReasonRateLimit FailoverReason = "rate_limit"
	ReasonTimeout   FailoverReason = "timeout"
	ReasonFormat    FailoverReason = "format"
	ReasonUnknown   FailoverReason = "unknown"
)

// ProviderError is a failed model step: an HTTP error status, an error event inside the
// stream, a transport failure or a per-attempt timeout.
type ProviderError struct {
	Provider string
	Model    string
	Status   int // HTTP status (0 when none)
	Reason   FailoverReason
	Message  string
	Err      error // the underlying error, if any
}

func (e *ProviderError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s/%s", e.Provider, e.Model)
	if e.Status != 0 {
		fmt.Fprintf(&b, ": status %d", e.Status)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

func (e *ProviderError) Unwrap() error { return e.Err }

// ReasonForStatus maps an HTTP status to a failover reason.
func ReasonForStatus(status int) FailoverReason {
	switch status {
	case 401, 403:
		return ReasonAuth
	case 402:
		return ReasonBilling
	case 429:
		return ReasonRateLimit
	case 408, 504:
		return ReasonTimeout
	case 400, 404, 413, 422:
		return ReasonFormat
	default:
		return ReasonUnknown
	}
}

// reasonForError classifies a transport error.
func reasonForError(err error) FailoverReason {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return ReasonTimeout
	}
	msg := strings.ToLower(err.Error())
	switch {
	case strings.Contains(msg, "rate limit") || strings.Contains(msg, "rate_limit"):
		return ReasonRateLimit
	case strings.Contains(msg, "timeout") || strings.Contains(msg, "timed out"):
		return ReasonTimeout
	}
	return ReasonUnknown
}

// Attempt is one failed try of a fallback chain.
type Attempt struct {
	Provider string         `json:"provider"`
	Model    string         `json:"model"`
	Error    string         `json:"error"`
	Reason   FailoverReason `json:"reason,omitempty"`
	Status   int            `json:"status,omitempty"`
}

// FallbackError is returned when every candidate of a chain failed.
type FallbackError struct {
	Attempts []Attempt
	Last     error
}

func (e *FallbackError) Error() string {
	parts := make([]string, len(e.Attempts))
	for i, a := range e.Attempts {
		parts[i] = fmt.Sprintf("%s/%s: %s", a.Provider, a.Model, a.Error)
	}
	return fmt.Sprintf("all models failed (%d): %s", len(e.Attempts), strings.Join(parts, " | "))
}

func (e *FallbackError) Unwrap() error { return e.Last }

// now is the clock providers stamp messages with; tests replace it per provider.
type clock func() time.Time
