package agent

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/clawgate/gateway/server/agent/bootstrap"
	"github.com/clawgate/gateway/server/agent/llm"
	"github.com/clawgate/gateway/server/agent/loop"
)

// Pre-compaction memory flush defaults (agents.defaults.compaction.memoryFlush), the
// original's: a silent turn, shortly before the conversation is compacted, in which the
// agent writes what it should remember into its workspace.
const (
	// DefaultMemoryFlushSoftTokens is how far below the compaction limit the flush runs
	// (memoryFlush.softThresholdTokens).
	DefaultMemoryFlushSoftTokens = 4000
	// SilentReplyToken is the reply that means "nothing to say"; the flush prompts name it.
	SilentReplyToken = bootstrap.SilentReplyToken
	// DefaultMemoryFlushPrompt is the flush turn's user message (memoryFlush.prompt).
	DefaultMemoryFlushPrompt = "Pre-compaction memory flush. Store durable memories now (use memory/YYYY-MM-DD.md; create memory/ if needed). If nothing to store, reply with " + SilentReplyToken + "."
	// DefaultMemoryFlushSystemPrompt is added to the system prompt of the flush turn
	// (memoryFlush.systemPrompt).
	DefaultMemoryFlushSystemPrompt = "Pre-compaction memory flush turn. The session is near auto-compaction; capture durable memories to disk. You may reply, but usually " + SilentReplyToken + " is correct."
)

// MemoryFlushConfig is the pre-compaction memory flush of an engine's runs.
type MemoryFlushConfig struct {
	// SoftThresholdTokens: the flush runs once a request is estimated at the compaction
	// limit (Budget.Limit) minus this many tokens or more (0 = right at the limit).
	SoftThresholdTokens int
	// Prompt and SystemPrompt of the flush turn ("" = the defaults). Each is given the
	// silent-reply hint when it does not name SilentReplyToken.
	Prompt, SystemPrompt string
}

// ResolveMemoryFlush is the flush configuration of the config's values (nil = unset):
// nil when disabled; the defaults for unset or blank values, as the original resolves
// them.
func ResolveMemoryFlush(enabled *bool, soft *int, prompt, system *string) *MemoryFlushConfig {
	if enabled != nil && !*enabled {
		return nil
	}
	mf := &MemoryFlushConfig{SoftThresholdTokens: DefaultMemoryFlushSoftTokens, Prompt: DefaultMemoryFlushPrompt, SystemPrompt: DefaultMemoryFlushSystemPrompt}
	if soft != nil && *soft >= 0 {
		mf.SoftThresholdTokens = *soft
	}
	if prompt != nil && strings.TrimSpace(*prompt) != "" {
		mf.Prompt = strings.TrimSpace(*prompt)
	}
	if system != nil && strings.TrimSpace(*system) != "" {
		mf.SystemPrompt = strings.TrimSpace(*system)
	}
	return mf
}

// withSilentHint tells the model how to stay silent when the text does not already.
func withSilentHint(text string) string {
	if strings.Contains(text, SilentReplyToken) {
		return text
	}
	return text + "\n\nIf no user-visible reply is needed, start with " + SilentReplyToken + "."
}

// threshold is the request estimate at which the flush runs (0 = never: the budget
// leaves no room below the soft threshold).
func (mf *MemoryFlushConfig) threshold(b Budget) int {
	return max(b.Limit()-max(mf.SoftThresholdTokens, 0), 0)
}

// flushCycle names the compaction cycle a session is in: its transcript and the cut
// point of its latest compaction. A flush runs at most once per cycle.
func flushCycle(transcriptID string, c convo) string {
	var kept int64
	if c.summary != nil {
		kept = c.summary.firstKept
	}
	return transcriptID + ":" + strconv.FormatInt(kept, 10)
}

// flushDue reports whether key has not flushed in cycle yet.
func (rt *Runtime) flushDue(key, cycle string) bool {
	rt.flushMu.Lock()
	defer rt.flushMu.Unlock()
	return rt.flushed[key] != cycle
}

// markFlushed records that key flushed in cycle.
func (rt *Runtime) markFlushed(key, cycle string) {
	rt.flushMu.Lock()
	defer rt.flushMu.Unlock()
	if rt.flushed == nil {
		rt.flushed = map[string]string{}
	}
	if _, ok := rt.flushed[key]; !ok && len(rt.flushed) >= MaxFlushMarkers {
		// Past the bound the markers start over: a session may then flush once more in
		// its cycle, as after a restart (the markers are in memory only).
		clear(rt.flushed)
	}
	rt.flushed[key] = cycle
}

// MaxFlushMarkers bounds the sessions whose memory-flush cycle is remembered.
const MaxFlushMarkers = 4096

// memoryFlush runs the silent flush turn of r: the conversation before r's prompt, the
// flush prompt, a tool set of its own (so the agent can write memory files into its
// workspace, and per-run tool state such as the message tool's one send stays r's).
// Nothing of it is stored in the transcript, streamed to clients or delivered; a
// failure is logged and r goes on (the next run tries again).
func (rt *Runtime) memoryFlush(ctx context.Context, r *Run, e *Engine, o loop.Options, modelRef string, c convo, cycle string, base loop.Input, estimate, threshold int) {
	mf := e.Compaction.MemoryFlush
	runID := r.ID + ":memory-flush"
	fail := func(err error) {
		rt.log.Warn("agent: memory flush failed", "run", r.ID, "session", r.laneKey, "err", err)
	}
	o.Tools = nil
	if e.Tools != nil {
		set, cleanup, err := e.Tools(ctx, RunInfo{RunID: runID, SessionKey: r.laneKey, Channel: r.channel, To: r.to, AccountID: r.req.AccountID,
			Sessions: rt.SessionsAPI(), MainKey: rt.MainSessionKey(), Model: modelRef, Sender: r.req.Sender})
		if err != nil {
			fail(fmt.Errorf("tools: %w", err))
			return
		}
		if cleanup != nil {
			defer cleanup()
		}
		o.Tools = set
	}
	o.Events = nil // silent: no deltas, no tool events
	runner, err := loop.New(o)
	if err != nil {
		fail(err)
		return
	}
	before := convo{summary: c.summary}
	for i, seq := range c.seqs {
		if seq == r.promptSeq || (r.ownSeq != 0 && seq >= r.ownSeq) {
			continue // the flush comes before the user's message(s)
		}
		before.msgs = append(before.msgs, c.msgs[i])
		before.seqs = append(before.seqs, seq)
	}
	prompt := llm.UserText(withSilentHint(mf.Prompt), rt.opts.Now())
	in := base
	in.RunID = runID
	in.System = systemPrompt(base.System, withSilentHint(mf.SystemPrompt))
	in.History = llm.RepairToolPairing(before.messages())
	in.Prompt = &prompt
	in.Transcript = nil
	rt.log.Info("agent: memory flush", "run", r.ID, "session", r.laneKey, "estimate", estimate, "threshold", threshold)
	res, err := runner.Run(ctx, in)
	if err != nil {
		fail(err)
		return
	}
	rt.markFlushed(r.laneKey, cycle)
	steps := 0
	if res != nil {
		steps = res.Steps
	}
	rt.log.Info("agent: memory flush done", "run", r.ID, "session", r.laneKey, "steps", steps)
}
