package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/agent/backend"
	"github.com/clawgate/gateway/server/agent/llm"
	"github.com/clawgate/gateway/server/agent/loop"
	"github.com/clawgate/gateway/server/agent/tools"
	"github.com/clawgate/gateway/server/sessions"
)

// Engine runs turns through a model provider and the tool loop (models.providers);
// a ModelConfig without one uses its text-only Backend (agents.defaults.cliBackends).
type Engine struct {
	// Model answers the steps: usually an *llm.Fallback over the primary model and
	// agents.defaults.model.fallbacks.
	Model llm.Streamer
	// Tools returns the tool set of one run (nil: no tools). cleanup, when non-nil, is
	// called after the run.
	Tools func(ctx context.Context, run RunInfo) (set *tools.Set, cleanup func(), err error)
	// Loop bounds the tool loop (Model, Tools and Events are set per run).
	Loop loop.Options
	// MaxTokens and Temperature go with every step (0 / nil = the model's defaults).
	MaxTokens   int
	Temperature *float64
	// ModelFor resolves a session's model override (sessions.patch model) into the
	// chain that answers its runs: the named model, then the configured fallbacks.
	// It returns the canonical provider/model reference. Nil: overrides are refused.
	ModelFor func(ref string) (m llm.Streamer, canonical string, err error)
	// Primary is the canonical provider/model reference of Model's first candidate: a
	// session override naming it is stored as no override.
	Primary string
}

// ThinkingBudget is the reasoning token budget a session's thinking level asks for.
// Providers with a budget control (Anthropic messages) get it; the others answer as
// usual, and the level is only recorded.
func ThinkingBudget(level string) int {
	switch level {
	case "minimal":
		return 1024
	case "low":
		return 4096
	case "medium":
		return 10240
	case "high", "xhigh":
		return 32768
	}
	return 0
}

// RunInfo describes the run a tool set is built for.
type RunInfo struct {
	RunID      string
	SessionKey string // the session whose transcript the run writes
	Channel    string // the channel the run answers on ("" when none)
	To         string
	AccountID  string
	// Sessions is the runtime's session store and runs, for the sessions_* tools.
	Sessions tools.Sessions
	// MainKey is the main session's canonical key.
	MainKey string
}

// toLLM converts a stored transcript entry to a model message. Structured entries are
// read back as stored; text-only ones (older transcripts, CLI backends, system notes)
// become one text part. System notes go to the model as user messages: the providers
// take the system prompt separately, and a note is news, not instructions.
func toLLM(m sessions.Message) (llm.Message, bool) {
	if len(m.Body) > 0 {
		var out llm.Message
		if err := json.Unmarshal(m.Body, &out); err == nil {
			return out, true
		}
	}
	switch m.Role {
	case "assistant":
		return llm.Message{Role: llm.RoleAssistant, Content: []llm.Part{llm.TextPart(m.Text)}, StopReason: llm.StopEnd, Timestamp: m.Ts}, true
	case "user", "system":
		return llm.Message{Role: llm.RoleUser, Content: []llm.Part{llm.TextPart(m.Text)}, Timestamp: m.Ts}, true
	}
	return llm.Message{}, false
}

// isFinalReply reports whether a stored entry is a run's final answer: an assistant
// message that did not stop for tools or fail.
func isFinalReply(m sessions.Message) bool {
	if m.Role != "assistant" {
		return false
	}
	if len(m.Body) == 0 {
		return true
	}
	var probe struct {
		StopReason llm.StopReason `json:"stopReason"`
	}
	if json.Unmarshal(m.Body, &probe) != nil {
		return true
	}
	switch probe.StopReason {
	case llm.StopToolUse, llm.StopError, llm.StopAborted:
		return false
	}
	return true
}

// transcript stores the loop's messages in the session store, under the run's id.
type transcript struct {
	rt  *Runtime
	key string
	run string
}

func (t *transcript) Append(ctx context.Context, m llm.Message) error {
	store := t.rt.opts.Store
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if len(body) > store.MaxBodyBytes() {
		body, err = json.Marshal(shrink(m, store.MaxBodyBytes()))
		if err != nil {
			return err
		}
	}
	add := store.Append
	if inFlight(m) {
		// Made durable by the run's terminal message (one disk sync per run, not per step).
		add = store.AppendStep
	}
	_, _, err = add(ctx, t.key, sessions.Message{Role: string(m.Role), Text: store.Truncate(m.Text()), Ts: m.Timestamp, RunID: t.run, Body: body})
	return err
}

// inFlight reports whether m is an intermediate step of a run: a tool result, or an
// assistant message that stopped to call tools. The run's terminal message (Append) or,
// when the run ends without one, its run stats (RunStats.Sync) sync it to disk.
func inFlight(m llm.Message) bool {
	return m.Role == llm.RoleToolResult || (m.Role == llm.RoleAssistant && m.StopReason == llm.StopToolUse)
}

// shrink makes a message fit the body bound: images are replaced by a note and text
// parts are cut to share the budget.
func shrink(m llm.Message, limit int) llm.Message {
	out := m
	out.Content = make([]llm.Part, 0, len(m.Content))
	n := 0
	for _, p := range m.Content {
		if p.Type == llm.PartText || p.Type == llm.PartThinking {
			n++
		}
	}
	budget := limit / 2
	if n > 0 {
		budget = limit / 2 / n
	}
	for _, p := range m.Content {
		switch p.Type {
		case llm.PartImage:
			p = llm.TextPart(fmt.Sprintf("[image omitted from the transcript: %d bytes]", len(p.Data)*3/4))
		case llm.PartText:
			p.Text = cutBytes(p.Text, budget)
		case llm.PartThinking:
			p.Thinking = cutBytes(p.Thinking, budget)
		}
		out.Content = append(out.Content, p)
	}
	out.Details = nil
	return out
}

func cutBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "\n[truncated]"
	cut := max(n-len(mark), 0)
	for cut > 0 && (s[cut]&0xC0) == 0x80 {
		cut--
	}
	return s[:cut] + mark
}

// loopSink turns the loop's events into `agent` events (and chat deltas) of the run.
type loopSink struct {
	rt *Runtime
	r  *Run
}

func (s loopSink) Emit(ev loop.Event) {
	// The loop's event data are structs: encoded once, straight to the wire.
	data, err := json.Marshal(ev.Data)
	if err != nil || len(data) == 0 || data[0] != '{' {
		return
	}
	switch ev.Stream {
	case loop.StreamAssistant:
		d, _ := ev.Data.(loop.AssistantData)
		if s.r.req.OnDelta != nil && d.Delta != "" {
			s.r.req.OnDelta(d.Delta)
		}
		s.rt.textDelta(s.r, d.Text, data)
	default:
		s.rt.eventRaw(s.r, protocol.AgentEventStream(ev.Stream), data)
	}
}

// loopResult is what a loop run hands back to turn.
type loopResult struct {
	text     string
	usage    *backend.Usage
	stop     string
	attempts []llm.Attempt
}

// runLoop runs the turn through the engine: the transcript up to the run's prompt is
// the conversation; every message the loop produces is stored as it is produced.
func (rt *Runtime) runLoop(ctx context.Context, r *Run, mc *ModelConfig, system string) (loopResult, error) {
	e := mc.Engine
	hist, err := rt.opts.Store.History(ctx, r.laneKey, rt.opts.HistoryMessages, r.promptSeq)
	if err != nil {
		return loopResult{}, err
	}
	msgs := make([]llm.Message, 0, len(hist)+1)
	for _, m := range hist {
		if lm, ok := toLLM(m); ok {
			msgs = append(msgs, lm)
		}
	}
	var prompt *llm.Message
	if r.req.Ephemeral {
		p := llm.UserText(r.req.Message, rt.opts.Now())
		msgs = append(msgs, p)
	}
	msgs = llm.RepairToolPairing(msgs)

	var set *tools.Set
	if e.Tools != nil {
		var cleanup func()
		set, cleanup, err = e.Tools(ctx, RunInfo{RunID: r.ID, SessionKey: r.laneKey, Channel: r.channel, To: r.to, AccountID: r.req.AccountID,
			Sessions: rt.SessionsAPI(), MainKey: rt.MainSessionKey()})
		if err != nil {
			return loopResult{}, fmt.Errorf("agent: tools: %w", err)
		}
		if cleanup != nil {
			defer cleanup()
		}
	}
	o := e.Loop
	o.Model, o.Tools, o.Events = e.Model, set, loopSink{rt: rt, r: r}
	// The session's controls (sessions.patch) are read when the run starts, so a patch
	// applies from the next run on.
	var thinking int
	if ss, err := rt.opts.Store.Get(ctx, r.laneKey); err == nil {
		thinking = ThinkingBudget(ss.ThinkingLevel)
		if ss.Model != "" {
			if e.ModelFor == nil {
				return loopResult{}, fmt.Errorf("agent: session model %q: this agent configuration cannot switch models", ss.Model)
			}
			m, _, err := e.ModelFor(ss.Model)
			if err != nil {
				return loopResult{}, fmt.Errorf("agent: session model %q: %w", ss.Model, err)
			}
			o.Model = m
		}
	} else if !errors.Is(err, sessions.ErrNotFound) {
		return loopResult{}, err
	}
	if o.Logger == nil {
		o.Logger = rt.log
	}
	if o.Now == nil {
		o.Now = rt.opts.Now
	}
	runner, err := loop.New(o)
	if err != nil {
		return loopResult{}, err
	}
	// An ephemeral prompt (heartbeat) is not stored; what the model does about it is.
	in := loop.Input{RunID: r.ID, System: system, History: msgs, Prompt: prompt, MaxTokens: e.MaxTokens, Temperature: e.Temperature, ThinkingBudget: thinking,
		Transcript: &transcript{rt: rt, key: r.laneKey, run: r.ID}}
	res, err := runner.Run(ctx, in)
	out := loopResult{}
	if res != nil {
		out.text, out.stop, out.attempts = res.Text, string(res.StopReason), res.Attempts
		if res.Steps > 0 {
			out.usage = &backend.Usage{PromptTokens: res.Usage.Input + res.Usage.CacheRead + res.Usage.CacheWrite, CompletionTokens: res.Usage.Output, TotalTokens: res.Usage.TotalTokens}
			if out.usage.TotalTokens == 0 {
				out.usage.TotalTokens = out.usage.PromptTokens + out.usage.CompletionTokens
			}
		}
		for _, a := range res.Attempts {
			rt.log.Warn("agent: model failed, fell back", "run", r.ID, "provider", a.Provider, "model", a.Model, "reason", a.Reason, "status", a.Status, "err", a.Error)
		}
	}
	if err != nil {
		var fe *llm.FallbackError
		if errors.As(err, &fe) {
			out.attempts = fe.Attempts
		}
		return out, err
	}
	return out, nil
}

// systemPrompt joins the configured prompt and the run's extra prompt.
func systemPrompt(base, extra string) string {
	return strings.TrimSpace(strings.Join([]string{base, extra}, "\n\n"))
}
