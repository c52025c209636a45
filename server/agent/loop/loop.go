// Package loop runs the agent's tool loop: a model step, the tool calls it asks for
// (in parallel when it asks for several), their results fed back, until the model
// answers without tools or the step bound is reached.
//
// Why a package of its own: the loop is the one place that knows the order of things —
// which events go out when (stream "assistant" deltas, stream "tool" start / update /
// result in the original's shapes), which messages are produced in which order for the
// transcript (the assistant step with its tool calls, then one result per call, in call
// order), and what an abort or a timeout leaves behind (every tool call answered, so the
// transcript can always be replayed to a strict provider). The gateway's runtime hands it
// a model, a tool set, an event sink and a transcript, and gets back the new messages,
// the final text and the token usage.
package loop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/clawgate/gateway/server/agent/llm"
	"github.com/clawgate/gateway/server/agent/tools"
)

// Limits and defaults.
const (
	// DefaultMaxSteps bounds the model steps of one run.
	DefaultMaxSteps = 50
	// DefaultToolTimeout bounds one tool call unless the tool sets its own.
	DefaultToolTimeout = 10 * time.Minute
	// DefaultMaxToolResultChars caps the text of one tool result fed back to the model
	// and stored in the transcript.
	DefaultMaxToolResultChars = 200_000
	// DefaultMaxParallelTools bounds the tool calls of one step running at once.
	DefaultMaxParallelTools = 8
	// toolGrace is how long a tool that ignores its cancelled context is waited for
	// before its call is answered with a timeout anyway.
	toolGrace = 5 * time.Second
)

// Texts of synthetic results.
const (
	AbortedToolText = "Tool execution was aborted"
)

// Errors.
var (
	// ErrStepLimit ends a run that kept calling tools for MaxSteps steps.
	ErrStepLimit = errors.New("agent stopped: too many tool steps in one run")
)

// Transcript stores messages as the loop produces them, before the loop goes on (so a
// crash loses at most the step in progress). Append must be safe to call from the loop's
// goroutine only; it is never called concurrently.
type Transcript interface {
	Append(ctx context.Context, m llm.Message) error
}

// Options configure a Runner.
type Options struct {
	Model  llm.Streamer
	Tools  *tools.Set
	Events EventSink
	// MaxSteps bounds model steps per run (default DefaultMaxSteps).
	MaxSteps int
	// ToolTimeout is the default per-call timeout (DefaultToolTimeout); a tool's own
	// Timeout wins, and ToolTimeouts (by tool name) win over both.
	ToolTimeout  time.Duration
	ToolTimeouts map[string]time.Duration
	// MaxToolResultChars caps result text (DefaultMaxToolResultChars).
	MaxToolResultChars int
	// MaxParallelTools bounds concurrent calls of one step (DefaultMaxParallelTools).
	MaxParallelTools int
	Now              func() time.Time
	Logger           *slog.Logger
	// Redact masks secrets in tool summaries (ToolResultData.Meta: chat surfaces,
	// tool events, logs) — logging.redactSensitive; nil leaves them as they are.
	Redact func(string) string
}

// Runner runs tool loops. It is safe for concurrent use by several runs.
type Runner struct {
	o    Options
	defs []llm.ToolDef
}

// New returns a runner.
func New(o Options) (*Runner, error) {
	if o.Model == nil {
		return nil, errors.New("loop: a model is required")
	}
	if o.MaxSteps <= 0 {
		o.MaxSteps = DefaultMaxSteps
	}
	if o.ToolTimeout <= 0 {
		o.ToolTimeout = DefaultToolTimeout
	}
	if o.MaxToolResultChars <= 0 {
		o.MaxToolResultChars = DefaultMaxToolResultChars
	}
	if o.MaxParallelTools <= 0 {
		o.MaxParallelTools = DefaultMaxParallelTools
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Runner{o: o, defs: o.Tools.Defs()}, nil
}

// Input is one run.
type Input struct {
	RunID string
	// System is the system prompt.
	System string
	// History is the conversation before this run (already stored).
	History []llm.Message
	// Prompt, when set, is the new user message; it is stored first.
	Prompt *llm.Message
	// Transcript stores new messages (nil: only returned).
	Transcript Transcript
	// Request parameters of every step.
	MaxTokens      int
	Temperature    *float64
	ThinkingBudget int
	// ReasoningEffort is the thinking level for OpenAI-compatible reasoning models
	// (llm.Request.ReasoningEffort).
	ReasoningEffort string
	// Prepare, when set, turns the conversation into the messages one step sends
	// (context pruning). It must not modify its argument: the conversation is what the
	// transcript holds, and later steps build on it.
	Prepare func([]llm.Message) []llm.Message
}

// Result is a run's outcome.
type Result struct {
	// Messages are the messages this run produced, in transcript order (the prompt
	// first when one was given).
	Messages []llm.Message
	// Text is the final assistant text (the last step's).
	Text string
	// Usage sums the steps.
	Usage llm.Usage
	// Steps counts model steps.
	Steps int
	// StopReason of the last step (aborted / error when the run ended that way).
	StopReason llm.StopReason
	// Attempts lists failed fallback attempts over the whole run.
	Attempts []llm.Attempt
}

type run struct {
	r      *Runner
	in     Input
	res    *Result
	emitMu sync.Mutex
	convo  []llm.Message
}

func (x *run) emit(stream string, data any) {
	if x.r.o.Events == nil {
		return
	}
	x.emitMu.Lock()
	x.r.o.Events.Emit(Event{RunID: x.in.RunID, Stream: stream, Data: data})
	x.emitMu.Unlock()
}

// record stores m and adds it to the conversation.
func (x *run) record(ctx context.Context, m llm.Message) error {
	x.res.Messages = append(x.res.Messages, m)
	x.convo = append(x.convo, m)
	if x.in.Transcript != nil {
		// The transcript write must land even when the run was just aborted: it is what
		// keeps calls and results paired.
		if err := x.in.Transcript.Append(context.WithoutCancel(ctx), m); err != nil {
			return fmt.Errorf("loop: transcript: %w", err)
		}
	}
	return nil
}

// Run runs the loop. It returns the result so far together with an error when the run
// was aborted (wrapping ctx's cause), the model failed, the transcript could not be
// written, or the step bound was hit (ErrStepLimit).
func (r *Runner) Run(ctx context.Context, in Input) (*Result, error) {
	x := &run{r: r, in: in, res: &Result{}}
	x.convo = make([]llm.Message, 0, len(in.History)+8)
	x.convo = append(x.convo, in.History...)
	if in.Prompt != nil {
		if err := x.record(ctx, *in.Prompt); err != nil {
			return x.res, err
		}
	}
	for step := 0; ; step++ {
		if step >= r.o.MaxSteps {
			x.res.StopReason = llm.StopError
			return x.res, fmt.Errorf("%w (%d)", ErrStepLimit, r.o.MaxSteps)
		}
		msg, err := x.step(ctx)
		if err != nil {
			return x.res, err
		}
		calls := msg.ToolCalls()
		if msg.StopReason != llm.StopToolUse || len(calls) == 0 {
			x.res.Text = msg.Text()
			return x.res, nil
		}
		if err := x.runTools(ctx, calls); err != nil {
			return x.res, err
		}
		if ctx.Err() != nil {
			x.res.StopReason = llm.StopAborted
			return x.res, fmt.Errorf("loop: %w", context.Cause(ctx))
		}
	}
}

// step runs one model step, streams its text, and stores the assistant message.
func (x *run) step(ctx context.Context) (llm.Message, error) {
	msgs := x.convo
	if x.in.Prepare != nil {
		msgs = x.in.Prepare(msgs)
	}
	req := &llm.Request{System: x.in.System, Messages: msgs, Tools: x.r.defs, MaxTokens: x.in.MaxTokens,
		Temperature: x.in.Temperature, ThinkingBudget: x.in.ThinkingBudget, ReasoningEffort: x.in.ReasoningEffort}
	var text strings.Builder
	resp, err := x.r.o.Model.Stream(ctx, req, func(e llm.Event) {
		switch e.Kind {
		case llm.EventText:
			text.WriteString(e.Delta)
			x.emit(StreamAssistant, AssistantData{Text: text.String(), Delta: e.Delta})
		case llm.EventReset:
			text.Reset()
		}
	})
	x.res.Steps++
	if err != nil {
		var fe *llm.FallbackError
		if errors.As(err, &fe) {
			x.res.Attempts = append(x.res.Attempts, fe.Attempts...)
		}
		m := llm.Message{Role: llm.RoleAssistant, Timestamp: x.r.o.Now().UnixMilli()}
		if text.Len() > 0 {
			m.Content = []llm.Part{llm.TextPart(text.String())}
		}
		if ctx.Err() != nil {
			m.StopReason, m.ErrorMessage = llm.StopAborted, "aborted"
			x.res.StopReason = llm.StopAborted
			if len(m.Content) > 0 {
				if rerr := x.record(ctx, m); rerr != nil {
					return m, rerr
				}
			}
			return m, fmt.Errorf("loop: %w", context.Cause(ctx))
		}
		m.StopReason, m.ErrorMessage = llm.StopError, err.Error()
		x.res.StopReason = llm.StopError
		if rerr := x.record(ctx, m); rerr != nil {
			return m, rerr
		}
		return m, err
	}
	x.res.Attempts = append(x.res.Attempts, resp.Attempts...)
	m := resp.Message
	x.res.Usage.Add(m.Usage)
	x.res.StopReason = m.StopReason
	if err := x.record(ctx, m); err != nil {
		return m, err
	}
	return m, nil
}

// runTools executes one step's calls — concurrently, at most MaxParallelTools at a
// time — and stores their results in call order.
func (x *run) runTools(ctx context.Context, calls []llm.Part) error {
	results := make([]llm.Message, len(calls))
	for _, c := range calls {
		x.emit(StreamTool, ToolStartData{Phase: "start", Name: tools.NormalizeName(c.Name), ToolCallID: c.ID, Args: llm.ArgumentsObject(c.Arguments)})
	}
	if len(calls) == 1 {
		results[0] = x.call(ctx, calls[0])
	} else {
		sem := make(chan struct{}, x.r.o.MaxParallelTools)
		var wg sync.WaitGroup
		for i, c := range calls {
			wg.Add(1)
			go func() {
				defer wg.Done()
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					results[i] = x.toolMessage(c, tools.Result{Content: []llm.Part{llm.TextPart(AbortedToolText)}, IsError: true})
					x.emitResult(c, results[i], tools.Result{Content: results[i].Content, IsError: true})
					return
				}
				defer func() { <-sem }()
				results[i] = x.call(ctx, c)
			}()
		}
		wg.Wait()
	}
	for _, m := range results {
		if err := x.record(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

func (x *run) timeout(t *tools.Tool) time.Duration {
	if d, ok := x.r.o.ToolTimeouts[t.Name]; ok && d > 0 {
		return d
	}
	if t.Timeout > 0 {
		return t.Timeout
	}
	return x.r.o.ToolTimeout
}

// call runs one tool call and returns its transcript message, emitting update and
// result events.
func (x *run) call(ctx context.Context, c llm.Part) llm.Message {
	name := tools.NormalizeName(c.Name)
	fail := func(text string) llm.Message {
		r := tools.Result{Content: []llm.Part{llm.TextPart(text)}, IsError: true}
		m := x.toolMessage(c, r)
		x.emitResult(c, m, r)
		return m
	}
	if ctx.Err() != nil {
		return fail(AbortedToolText)
	}
	t, ok := x.r.o.Tools.Get(name)
	if !ok {
		return fail(fmt.Sprintf("Tool %s not found", c.Name))
	}
	args := c.Arguments
	if len(args) == 0 {
		args = json.RawMessage("{}")
	}
	if !json.Valid(args) {
		return fail(fmt.Sprintf("Invalid JSON arguments for tool %q: %s", name, truncate(string(args), 200)))
	}
	if err := t.Validate(args); err != nil {
		return fail(err.Error())
	}
	limit := x.timeout(t)
	tctx, cancel := context.WithTimeoutCause(ctx, limit, fmt.Errorf("tool %s timed out after %s", name, limit))
	defer cancel()
	type outcome struct {
		r   tools.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				x.r.o.Logger.Error("tool panicked", "tool", name, "panic", p)
				done <- outcome{err: fmt.Errorf("tool %s failed: internal error", name)}
			}
		}()
		r, err := t.Execute(tctx, tools.Call{ID: c.ID, Args: args, OnUpdate: func(p tools.Result) {
			x.emit(StreamTool, ToolUpdateData{Phase: "update", Name: name, ToolCallID: c.ID, PartialResult: sanitize(p)})
		}})
		done <- outcome{r, err}
	}()
	var o outcome
	select {
	case o = <-done:
	case <-tctx.Done():
		select {
		case o = <-done:
		case <-time.After(toolGrace):
			o = outcome{err: context.Cause(tctx)}
		}
	}
	if o.err != nil {
		msg := o.err.Error()
		switch {
		case ctx.Err() != nil:
			msg = AbortedToolText
		case tctx.Err() != nil:
			msg = context.Cause(tctx).Error()
		}
		return fail(msg)
	}
	m := x.toolMessage(c, o.r)
	x.emitResult(c, m, o.r)
	return m
}

func (x *run) emitResult(c llm.Part, m llm.Message, r tools.Result) {
	name := tools.NormalizeName(c.Name)
	body := sanitize(tools.Result{Content: m.Content, Details: r.Details})
	summary := meta(name, c.Arguments)
	if x.r.o.Redact != nil {
		summary = x.r.o.Redact(summary)
	}
	x.r.o.Logger.Debug("tool call", "run", x.in.RunID, "tool", name, "summary", summary, "error", m.IsError)
	x.emit(StreamTool, ToolResultData{Phase: "result", Name: name, ToolCallID: c.ID, Meta: summary, IsError: m.IsError, Result: body})
}

// toolMessage converts a tool result to its transcript message, capping text.
func (x *run) toolMessage(c llm.Part, r tools.Result) llm.Message {
	m := llm.Message{Role: llm.RoleToolResult, ToolCallID: c.ID, ToolName: tools.NormalizeName(c.Name), IsError: r.IsError,
		Timestamp: x.r.o.Now().UnixMilli()}
	budget := x.r.o.MaxToolResultChars
	for _, p := range r.Content {
		if p.Type == llm.PartText {
			n := utf8.RuneCountInString(p.Text)
			if n > budget {
				p.Text = truncate(p.Text, budget) + fmt.Sprintf("\n…(truncated: %d more characters)", n-budget)
				n = budget
			}
			budget -= n
		}
		m.Content = append(m.Content, p)
	}
	if len(m.Content) == 0 {
		m.Content = []llm.Part{llm.TextPart("")}
	}
	if r.Details != nil {
		if b, err := json.Marshal(r.Details); err == nil {
			m.Details = b
		}
	}
	return m
}

func truncate(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
