package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/agent/backend"
	"github.com/clawgate/gateway/server/agent/llm"
	"github.com/clawgate/gateway/server/agent/loop"
	"github.com/clawgate/gateway/server/agent/pruning"
	"github.com/clawgate/gateway/server/agent/tools"
	"github.com/clawgate/gateway/server/models"
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
	// Models resolves the model names people give (sessions.patch model, /model):
	// aliases of agents.defaults.models, and that map as the allowlist. Nil: names are
	// taken as written and any model is allowed.
	Models *models.Selection
	// Primary is the canonical provider/model reference of Model's first candidate: a
	// session override naming it is stored as no override.
	Primary string
	// AgentModel, when set, is the model of the agent a session belongs to
	// (agents.list[].model of agent:<id>:… keys): "" = Model. A session's own override
	// (sessions.patch) still wins.
	AgentModel func(sessionKey string) string
	// ModelForAgent, when set, replaces ModelFor for a session's runs: the named model
	// followed by the fallbacks of the session's agent (agents.list[].model.fallbacks,
	// which override agents.defaults.model.fallbacks).
	ModelForAgent func(sessionKey, ref string) (m llm.Streamer, canonical string, err error)
	// AuthLabel, when set, describes how a session's model authenticates for /status
	// (the profile, key snippet or environment variable in use).
	AuthLabel func(sessionKey, model string) string
	// AuthAgent, when set, is the agent whose auth profiles a session's runs use
	// (default: the agent of an agent:<id>:… key, else "main").
	AuthAgent func(sessionKey string) string
	// VerboseDefault is the verbose level of sessions that set none
	// (agents.defaults.verboseDefault: off, on, full).
	VerboseDefault string
	// ThinkingDefault is the thinking level of sessions that set none
	// (agents.defaults.thinkingDefault; "" = off).
	ThinkingDefault string
	// Compaction is the context budget (windows, reserve, kept tail) and whether
	// conversations past it are compacted.
	Compaction CompactionConfig
	// Pruning, when set, trims old tool results out of the requests of sessions whose
	// model's prompt cache has expired (agents.defaults.contextPruning mode cache-ttl;
	// nil = off). Only models that cache that way are pruned (pruning.Eligible).
	Pruning *pruning.Settings
}

// modelForSession resolves ref for a run of sessionKey (ModelForAgent, else ModelFor).
func (e *Engine) modelForSession(sessionKey, ref string) (llm.Streamer, string, error) {
	if e.ModelForAgent != nil {
		return e.ModelForAgent(sessionKey, ref)
	}
	return e.ModelFor(ref)
}

// overrideAllowed reports whether a session's stored model override applies: set, and
// inside the allowlist (a model the allowlist dropped since it was stored is no
// override; the next run forgets it).
func (e *Engine) overrideAllowed(model string) bool {
	return model != "" && (e.Models == nil || e.Models.Allowed(model))
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

// thinkingLevel is a session's effective thinking level: its own, else the configured
// default ("" = off). As in the original, a session that chose "off" stores no level,
// so the default applies to it too.
func thinkingLevel(session, def string) string {
	if session != "" {
		return session
	}
	if lv, ok := normalizeThinking(def); ok {
		return lv
	}
	return ""
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

// promptParts is the prompt's content: its text, then its images.
func promptParts(req Request) []llm.Part {
	parts := make([]llm.Part, 0, 1+len(req.Images))
	parts = append(parts, llm.TextPart(req.Message))
	return append(parts, req.Images...)
}

// promptEntry is the transcript entry of a run's prompt: text only, or with images a
// structured body (the original's user message with image parts), which is shrunk —
// images replaced by a note — when it would not fit the store's body bound.
func promptEntry(store *sessions.Store, req Request, runID string, now time.Time) sessions.Message {
	e := sessions.Message{Role: "user", Text: req.Message, RunID: runID}
	if len(req.Images) == 0 {
		return e
	}
	m := llm.Message{Role: llm.RoleUser, Content: promptParts(req), Timestamp: now.UnixMilli()}
	e.Ts = m.Timestamp
	body, err := json.Marshal(m)
	if err == nil && len(body) > store.MaxBodyBytes() {
		body, err = json.Marshal(shrink(m, store.MaxBodyBytes()))
	}
	if err == nil {
		e.Body = body
	}
	return e
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
	// usage sums the assistant messages stored so far (as loop.Result.Usage does);
	// final is the run stats written with the run's final reply (Store.AppendFinal), so
	// the runtime need not commit them again (turn compares before skipping FinishRun).
	usage llm.Usage
	final *sessions.RunStats
	// pending are the answers of in-flight step writes queued without waiting
	// (Store.AppendStepQueued), in order. The next model request goes out while they
	// commit; every later write of the run queues behind them, and the run waits for
	// them (flush) before it reads its own steps back or reports how it ended.
	pending []<-chan error
}

// flush waits for the queued step writes and returns the first failure.
func (t *transcript) flush() error {
	var first error
	for _, ch := range t.pending {
		if err := <-ch; err != nil && first == nil {
			first = err
		}
	}
	t.pending = nil
	return first
}

// settled returns the first failure among step writes already answered, without
// waiting for the others (a failed step ends the run at its next write, not its end).
func (t *transcript) settled() error {
	for len(t.pending) > 0 {
		select {
		case err := <-t.pending[0]:
			t.pending = t.pending[1:]
			if err != nil {
				return err
			}
		default:
			return nil
		}
	}
	return nil
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
	if m.Role == llm.RoleAssistant {
		t.usage.Add(m.Usage)
	}
	e := sessions.Message{Role: string(m.Role), Text: store.Truncate(m.Text()), Ts: m.Timestamp, RunID: t.run, Body: body}
	if inFlight(m) {
		// Made durable by the run's terminal message (one disk sync per run, not per
		// step); queued, not awaited, so the tool or the next request need not wait.
		if err := t.settled(); err != nil {
			return err
		}
		t.pending = append(t.pending, store.AppendStepQueued(ctx, t.key, e))
		return nil
	}
	// Any other message ends the run or is read back: the steps before it first.
	if err := t.flush(); err != nil {
		return err
	}
	switch {
	case m.Role == llm.RoleAssistant && m.StopReason != llm.StopError && m.StopReason != llm.StopAborted:
		// The final reply carries the run's stats: one commit instead of two.
		st := runStats(usageOf(t.usage), false, false)
		if _, _, err = store.AppendFinal(ctx, t.key, e, st); err == nil {
			t.final = &st
		}
	default:
		_, _, err = store.Append(ctx, t.key, e)
	}
	return err
}

// usageOf is the run usage the runtime reports for summed step usage.
func usageOf(u llm.Usage) *backend.Usage {
	out := &backend.Usage{PromptTokens: u.Input + u.CacheRead + u.CacheWrite, CompletionTokens: u.Output, TotalTokens: u.TotalTokens}
	if out.TotalTokens == 0 {
		out.TotalTokens = out.PromptTokens + out.CompletionTokens
	}
	return out
}

// runStats is what a run records on its session (Store.FinishRun, Store.AppendFinal).
func runStats(u *backend.Usage, aborted, sync bool) sessions.RunStats {
	st := sessions.RunStats{Aborted: aborted, Sync: sync}
	if u != nil {
		st.InputTokens, st.OutputTokens, st.TotalTokens = u.PromptTokens, u.CompletionTokens, u.TotalTokens
	}
	return st
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
			p = llm.TextPart(fmt.Sprintf("[image omitted from the transcript: %d bytes]", decodedLen(p.Data)))
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
	// verbose is the run's verbose level ("", on, full): tool summaries (and with full
	// their output) go to the chat surface the run answers on.
	verbose   string
	reasoning string
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
		s.rt.textDelta(s.r, d.Text, d.Delta, data)
	default:
		s.rt.eventRaw(s.r, protocol.AgentEventStream(ev.Stream), data)
		if _, ok := ev.Data.(loop.ToolStartData); ok {
			s.r.mu.Lock()
			stream, blocks := s.r.stream, s.r.blocks
			s.r.mu.Unlock()
			if blocks != nil {
				blocks.toolStart() // the step's text is complete before its tools run
			}
			s.rt.startTyping(s.r, stream, "", true) // a deferred indicator starts with the first tool call
		}
		if d, ok := ev.Data.(loop.ToolResultData); ok && ev.Stream == loop.StreamTool {
			s.rt.surfaceTool(s.r, s.verbose, d)
		}
	}
}

// loopResult is what a loop run hands back to turn.
type loopResult struct {
	// reasoning is the thinking of the run's final answer (shown on the surface when the
	// session's reasoningLevel is on).
	reasoning string
	text      string
	usage     *backend.Usage
	stop      string
	attempts  []llm.Attempt
	// final is the run stats already committed with the final reply (nil: none).
	final *sessions.RunStats
}

// runLoop runs the turn through the engine: the transcript up to the run's prompt is
// the conversation; every message the loop produces is stored as it is produced. A
// conversation estimated past the model's budget is compacted before the request is
// built, and a request the provider refuses as too long for its context is compacted
// and retried once.
func (rt *Runtime) runLoop(ctx context.Context, r *Run, mc *ModelConfig) (loopResult, error) {
	e := mc.Engine
	// The run's model steps use its agent's auth profiles and keep to one profile per
	// provider unless it fails.
	authAgent := sessionAgentID(r.laneKey)
	if e.AuthAgent != nil {
		authAgent = e.AuthAgent(r.laneKey)
	}
	ctx = llm.WithRunAuth(ctx, authAgent)
	c, err := rt.loadConvo(ctx, r, false)
	if err != nil {
		return loopResult{}, err
	}

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
	// The system prompt follows the tool set: the memory section only when the run
	// offers the memory tools (inside the persona's instructions, before the workspace
	// files, where the original puts it).
	system := rt.systemPrompt(ctx, r, withMemoryRecall(mc.SystemPrompt, set))
	o := e.Loop
	o.Model, o.Tools, o.Events = e.Model, set, loopSink{rt: rt, r: r}
	modelRef := e.Primary
	// The session's controls (sessions.patch) are read when the run starts, so a patch
	// applies from the next run on.
	var thinking int
	var effort string // OpenAI-compatible reasoning models (thinking.go)
	sessionModel := false
	var ss sessions.Session
	thinkingLabel := thinkingLevel("", e.ThinkingDefault)
	if ss, err = rt.opts.Store.Get(ctx, r.laneKey); err == nil {
		lvl := thinkingLevel(ss.ThinkingLevel, e.ThinkingDefault)
		thinkingLabel = lvl
		thinking, effort = ThinkingBudget(lvl), ReasoningEffort(lvl)
		if ss.Model != "" && !e.overrideAllowed(ss.Model) {
			// The allowlist changed since the override was stored: the session falls
			// back to the default model and forgets the override, as in the original.
			rt.log.Info("agent: session model no longer allowed; using the default", "session", r.laneKey, "model", ss.Model)
			old := ss.Model
			if _, err := rt.opts.Store.Patch(ctx, r.laneKey, func(s *sessions.Session) error {
				if s.Model == old {
					s.Model = ""
				}
				return nil
			}); err != nil {
				return loopResult{}, err
			}
			ss.Model = ""
		}
		if ss.Model != "" {
			sessionModel = true
			if e.ModelFor == nil {
				return loopResult{}, fmt.Errorf("agent: session model %q: this agent configuration cannot switch models", ss.Model)
			}
			m, ref, err := e.modelForSession(r.laneKey, ss.Model)
			if err != nil {
				return loopResult{}, fmt.Errorf("agent: session model %q: %w", ss.Model, err)
			}
			o.Model, modelRef = m, ref
		}
	} else if !errors.Is(err, sessions.ErrNotFound) {
		return loopResult{}, err
	}
	runModel := false
	if !sessionModel && r.req.Model != "" {
		// A run's own model (heartbeat.model) replaces the default model, as in the
		// original; the session's override still wins. One that cannot be resolved
		// leaves the default, as the original ignores an unreadable reference.
		raw := r.req.Model
		if e.Models != nil {
			if k, _, rerr := e.Models.Resolve(raw); rerr == nil {
				raw = k
			}
		}
		if e.ModelFor == nil {
			rt.log.Warn("agent: run model ignored: this agent configuration cannot switch models", "run", r.ID, "model", r.req.Model)
		} else if m, canon, merr := e.modelForSession(r.laneKey, raw); merr != nil {
			rt.log.Warn("agent: run model ignored", "run", r.ID, "model", r.req.Model, "err", merr)
		} else {
			o.Model, modelRef, runModel = m, canon, true
		}
	}
	if !sessionModel && !runModel && e.AgentModel != nil {
		if ref := e.AgentModel(r.laneKey); ref != "" {
			if e.ModelFor == nil {
				return loopResult{}, fmt.Errorf("agent: agent model %q: this agent configuration cannot switch models", ref)
			}
			m, canon, err := e.modelForSession(r.laneKey, ref)
			if err != nil {
				return loopResult{}, fmt.Errorf("agent: agent model %q: %w", ref, err)
			}
			o.Model, modelRef = m, canon
		}
	}
	// The run-dependent sections close a workspace prompt (the original's full
	// prompt), after the workspace files; a runtime without one (Options.Prompt nil)
	// sends the configured prompt as it is.
	if rt.opts.Prompt != nil {
		var loc *time.Location
		if rt.opts.UserLocation != nil {
			loc = rt.opts.UserLocation()
		}
		system = systemPrompt(system, runtimeSections{
			AgentID: sessionAgentID(r.laneKey), Model: modelRef, DefaultModel: e.Primary, Channel: r.channel,
			Thinking: thinkingLabel, Location: loc, Subagent: tools.IsSubagentSessionKey(r.laneKey), Tools: set, Host: rt.host,
			ModelAliases: e.Models.AliasLines(), Owners: r.req.Owners,
		}.String())
	}
	o.Events = loopSink{rt: rt, r: r, verbose: verboseLevel(ss.VerboseLevel, e.VerboseDefault), reasoning: ss.ReasoningLevel}
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
	var defs []llm.ToolDef
	if set != nil {
		defs = set.Defs()
	}
	budget := e.Compaction.budget(modelRef)
	// One copy of the history serves the estimate and the request (neither modifies it).
	msgs := c.messages()
	estimate := estimateRequest(system, defs, msgs)
	// Near the limit, a silent turn first lets the agent save what it should remember
	// before compaction summarises it away (once per compaction cycle; not for
	// heartbeats, whose prompts are not part of the conversation).
	if mf := e.Compaction.MemoryFlush; mf != nil && !e.Compaction.Disabled && !r.req.Ephemeral && r.promptSeq > 0 {
		if th := mf.threshold(budget); th > 0 && estimate >= th {
			if cycle := flushCycle(ss.ID, c); rt.flushDue(r.laneKey, cycle) {
				base := loop.Input{System: system, MaxTokens: e.MaxTokens, Temperature: e.Temperature, ThinkingBudget: thinking, ReasoningEffort: effort}
				rt.memoryFlush(ctx, r, e, o, c, cycle, base, estimate, th)
			}
		}
	}
	if !e.Compaction.Disabled && estimate > budget.Limit() {
		rt.compactionEvent(r, "start", false)
		nc, cr, cerr := rt.compact(ctx, r.laneKey, o.Model, e.Compaction, budget, c, system, defs, "")
		rt.compactionEvent(r, "end", false)
		if cerr != nil {
			rt.log.Warn("agent: compaction before the request failed; sending it as it is", "run", r.ID, "session", r.laneKey, "err", cerr)
		} else {
			c, msgs = nc, nc.messages()
			rt.log.Info("agent: conversation compacted", "run", r.ID, "session", r.laneKey, "tokensBefore", cr.TokensBefore, "tokensAfter", cr.TokensAfter,
				"limit", budget.Limit(), "summarised", cr.Summarised, "kept", cr.Kept)
		}
	}
	// An ephemeral prompt (heartbeat) is not stored; what the model does about it is.
	tr := &transcript{rt: rt, key: r.laneKey, run: r.ID}
	in := loop.Input{RunID: r.ID, System: system, History: llm.RepairToolPairing(msgs), MaxTokens: e.MaxTokens, Temperature: e.Temperature, ThinkingBudget: thinking,
		ReasoningEffort: effort, Transcript: tr}
	if e.Pruning != nil {
		if ref, perr := llm.ParseRef(modelRef); perr == nil && pruning.Eligible(ref.Provider, ref.Model) {
			in.Prepare = rt.pruneTimes.Begin(r.laneKey, *e.Pruning, budget.ContextWindow).Apply
		}
	}
	res, err := runner.Run(ctx, in)
	out := loopResult{}
	out.add(rt, r, res)
	if err != nil && !e.Compaction.Disabled && ctx.Err() == nil && isContextOverflow(err) {
		// The provider counted more than the estimate: compact what the run has now (its
		// own steps included) and try once more.
		rt.compactionEvent(r, "start", false)
		var c2 convo
		lerr := tr.flush() // the run's own steps are read back
		if lerr == nil {
			c2, lerr = rt.loadConvo(ctx, r, true)
		}
		var cerr error = lerr
		if lerr == nil {
			c2, _, cerr = rt.compact(ctx, r.laneKey, o.Model, e.Compaction, budget, c2, system, defs, "")
		}
		rt.compactionEvent(r, "end", cerr == nil)
		if cerr != nil {
			rt.log.Warn("agent: compaction after a context overflow failed", "run", r.ID, "session", r.laneKey, "err", cerr)
		} else {
			in.History = llm.RepairToolPairing(c2.messages())
			res, err = runner.Run(ctx, in)
			out.add(rt, r, res)
		}
	}
	// Every queued step has committed (or failed) before the run reports its end.
	if ferr := tr.flush(); ferr != nil && err == nil {
		err = fmt.Errorf("loop: transcript: %w", ferr)
	}
	out.final = tr.final
	if err != nil {
		var fe *llm.FallbackError
		if errors.As(err, &fe) {
			out.attempts = fe.Attempts
		}
		return out, err
	}
	return out, nil
}

// add accumulates one loop pass into the run's result.
func (out *loopResult) add(rt *Runtime, r *Run, res *loop.Result) {
	if res == nil {
		return
	}
	out.text, out.stop = res.Text, string(res.StopReason)
	out.reasoning = finalReasoning(res.Messages)
	out.attempts = append(out.attempts, res.Attempts...)
	if res.Steps > 0 {
		u := &backend.Usage{PromptTokens: res.Usage.Input + res.Usage.CacheRead + res.Usage.CacheWrite, CompletionTokens: res.Usage.Output, TotalTokens: res.Usage.TotalTokens}
		if u.TotalTokens == 0 {
			u.TotalTokens = u.PromptTokens + u.CompletionTokens
		}
		if out.usage != nil {
			u.PromptTokens += out.usage.PromptTokens
			u.CompletionTokens += out.usage.CompletionTokens
			u.TotalTokens += out.usage.TotalTokens
		}
		out.usage = u
	}
	for _, a := range res.Attempts {
		rt.log.Warn("agent: model failed, fell back", "run", r.ID, "provider", a.Provider, "model", a.Model, "reason", a.Reason, "status", a.Status, "err", a.Error)
	}
}

// memoryRecallSection tells the model to consult its memory files, as the original's
// system prompt does when the memory tools are offered.
const memoryRecallSection = "## Memory Recall\n" +
	"Before you answer about earlier work, decisions, dates, people, preferences or todos, search MEMORY.md and memory/*.md with memory_search, " +
	"then read just the lines you need with memory_get. If the search leaves you unsure, say that you checked."

// withMemoryRecall adds memoryRecallSection to system when the run offers a memory tool.
func withMemoryRecall(system string, set *tools.Set) string {
	if set == nil {
		return system
	}
	_, search := set.Get("memory_search")
	_, get := set.Get("memory_get")
	if !search && !get {
		return system
	}
	return systemPrompt(system, memoryRecallSection)
}

// systemPrompt joins the configured prompt and the run's extra prompt.
func systemPrompt(base, extra string) string {
	return strings.TrimSpace(strings.Join([]string{base, extra}, "\n\n"))
}
