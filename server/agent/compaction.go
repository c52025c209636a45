package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/agent/llm"
	"github.com/clawgate/gateway/server/sessions"
)

// Context budget defaults: the original's (pi's compaction settings and Clawdbot's
// floor over them).
const (
	// DefaultContextTokens is the context window of a model neither the catalog nor
	// agents.defaults.contextTokens describes (the original's 200k).
	DefaultContextTokens = 200_000
	// DefaultReserveTokens is the headroom kept free for the reply and the next turn's
	// growth (pi's compaction.reserveTokens).
	DefaultReserveTokens = 16_384
	// DefaultReserveTokensFloor is the least reserve (agents.defaults.compaction.
	// reserveTokensFloor; 0 disables the floor).
	DefaultReserveTokensFloor = 20_000
	// DefaultKeepRecentTokens is how much of the newest conversation a compaction keeps
	// verbatim (pi's compaction.keepRecentTokens).
	DefaultKeepRecentTokens = 20_000
	// DefaultSummaryMaxTokens bounds the reply of one summarisation request.
	DefaultSummaryMaxTokens = 4096
	// MaxSummaryChunks bounds the summarisation requests of one compaction: a history
	// needing more is summarised from its newest chunks, the oldest dropped with a note.
	MaxSummaryChunks = 8
	// SummarySafetyMarginPct pads the estimate of a summarisation chunk (the original's
	// 20% margin for estimator error), in percent.
	SummarySafetyMarginPct = 120
	// summaryOverheadTokens is what a summarisation request needs besides its chunk and
	// the summary it updates: the instructions and the framing.
	summaryOverheadTokens = 300
	// CharsPerToken is the token estimator's ratio (the original's estimateTokens:
	// characters / 4, deliberately on the high side for most tokenizers).
	CharsPerToken = 4
	// DefaultContextMessages bounds the transcript messages read for one model run; the
	// token budget decides what the model sees (CLI backends keep HistoryMessages).
	DefaultContextMessages = 1000
	// ImageTokens is what one image part is estimated at.
	ImageTokens = 1200
)

// Compaction entry role and the wording the model sees a summary in (pi's).
const (
	RoleCompaction          = "compaction"
	compactionSummaryPrefix = "The conversation history before this point was compacted into the following summary:\n\n<summary>\n"
	compactionSummarySuffix = "\n</summary>"
	summarizerSystemPrompt  = "You are a context summarization assistant. Read the conversation between a user and an AI assistant and write a concise summary that lets the assistant continue the work without the original messages. Preserve: the user's goals and requests, decisions made, facts and names learned, files and commands involved, open questions, TODOs and constraints. Do not continue the conversation; output only the summary."
)

// Budget is a model's context budget: compaction runs when a request is estimated at
// more than Limit() tokens.
type Budget struct {
	ContextWindow int // tokens the model can see
	Reserve       int // kept free for the reply (capped at half the window)
	KeepRecent    int // newest conversation a compaction keeps (capped at a quarter)
}

// Limit is the most a request may be estimated at before it is compacted.
func (b Budget) Limit() int { return b.ContextWindow - b.Reserve }

// CompactionConfig is the engine's context budget configuration.
type CompactionConfig struct {
	// Disabled turns automatic compaction off: an overflowing request fails as it did.
	Disabled bool
	// ContextWindow returns the context window of a "provider/model" reference from the
	// model catalog (models.providers.*.models[].contextWindow); 0 = unknown.
	ContextWindow func(ref string) int
	// DefaultContextTokens is the window of a model the catalog does not describe
	// (agents.defaults.contextTokens, else DefaultContextTokens).
	DefaultContextTokens int
	// ReserveTokens (default DefaultReserveTokens raised to DefaultReserveTokensFloor)
	// and KeepRecentTokens (default DefaultKeepRecentTokens).
	ReserveTokens    int
	KeepRecentTokens int
	// SummaryMaxTokens bounds each summarisation reply (default DefaultSummaryMaxTokens).
	SummaryMaxTokens int
	// MemoryFlush, when set, runs a silent memory flush turn before a run whose
	// request nears the compaction limit (nil: none; the daemon sets it unless
	// agents.defaults.compaction.memoryFlush.enabled is false).
	MemoryFlush *MemoryFlushConfig
}

// ReserveWithFloor is the reserve the original uses: pi's reserve raised to the floor
// (agents.defaults.compaction.reserveTokensFloor; nil = the default floor, 0 = none).
func ReserveWithFloor(floor *int) int {
	f := DefaultReserveTokensFloor
	if floor != nil {
		f = max(*floor, 0)
	}
	return max(DefaultReserveTokens, f)
}

// budget is the budget of the model ref answers with.
func (c CompactionConfig) budget(ref string) Budget {
	w := 0
	if c.ContextWindow != nil && ref != "" {
		w = c.ContextWindow(ref)
	}
	if w <= 0 {
		w = c.DefaultContextTokens
	}
	if w <= 0 {
		w = DefaultContextTokens
	}
	reserve := c.ReserveTokens
	if reserve <= 0 {
		reserve = ReserveWithFloor(nil)
	}
	keep := c.KeepRecentTokens
	if keep <= 0 {
		keep = DefaultKeepRecentTokens
	}
	// A small window (a local model's 8k) cannot keep pi's 20k reserve: the reserve takes
	// at most half of it, the kept tail at most a quarter, so a compacted request fits.
	return Budget{ContextWindow: w, Reserve: min(reserve, w/2), KeepRecent: min(keep, w/4)}
}

// EstimateTokens is the token estimator: characters of text, thinking, tool-call
// arguments and tool results divided by CharsPerToken (rounded up), ImageTokens per
// image. It errs high for English text, which is the safe side for a budget.
func EstimateTokens(m llm.Message) int {
	chars := 0
	for _, p := range m.Content {
		switch p.Type {
		case llm.PartText:
			chars += len(p.Text)
		case llm.PartThinking:
			chars += len(p.Thinking)
		case llm.PartToolCall:
			chars += len(p.Name) + len(p.Arguments)
		case llm.PartImage:
			chars += ImageTokens * CharsPerToken
		}
	}
	return (chars + CharsPerToken - 1) / CharsPerToken
}

func estimateText(s string) int { return estimateBytes(len(s)) }

// estimateBytes is estimateText of n bytes (tool parameters are counted without
// copying them into a string every turn).
func estimateBytes(n int) int { return (n + CharsPerToken - 1) / CharsPerToken }

// estimateRequest estimates a request's prompt: system prompt, tool definitions and
// messages. When an assistant message in msgs carries the provider's reported usage,
// that report stands for everything up to and including it (it counted the same system
// prompt, tools and history with the real tokenizer) and only the messages after it
// are estimated: the calibration the original's context accounting uses.
func estimateRequest(system string, tools []llm.ToolDef, msgs []llm.Message) int {
	anchor, from := 0, 0
	for i := len(msgs) - 1; i >= 0; i-- {
		u := msgs[i].Usage
		if msgs[i].Role == llm.RoleAssistant {
			if in := u.Input + u.CacheRead + u.CacheWrite; in > 0 {
				anchor, from = int(in+u.Output), i+1
				break
			}
		}
	}
	n := anchor
	if from == 0 {
		n += estimateText(system)
		for _, t := range tools {
			n += estimateText(t.Name) + estimateText(t.Description) + estimateBytes(len(t.Parameters))
		}
	}
	for _, m := range msgs[from:] {
		n += EstimateTokens(m)
	}
	return n
}

var (
	overflowHintRE = regexp.MustCompile(`(?i)context.*overflow|context window.*(too (?:large|long)|exceed|over|limit|max(?:imum)?|requested|sent|tokens)|(?:prompt|request|input).*(too (?:large|long)|exceed|over|limit|max(?:imum)?)`)
	windowSmallRE  = regexp.MustCompile(`(?i)context window.*(too small|minimum is)`)
)

// isContextOverflow reports whether a model error says the request did not fit the
// model's context window (the original's isLikelyContextOverflowError).
func isContextOverflow(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	if windowSmallRE.MatchString(msg) {
		return false
	}
	lower := strings.ToLower(msg)
	for _, s := range []string{"request_too_large", "request exceeds the maximum size", "context length exceeded", "maximum context length",
		"prompt is too long", "context overflow", "context_length_exceeded"} {
		if strings.Contains(lower, s) {
			return true
		}
	}
	if strings.Contains(lower, "413") && strings.Contains(lower, "too large") {
		return true
	}
	return overflowHintRE.MatchString(msg)
}

// compactionEntry is a stored compaction: the Body of a RoleCompaction transcript
// entry, in the original's transcript shape.
type compactionEntry struct {
	Type             string `json:"type"`
	Summary          string `json:"summary"`
	FirstKeptEntryID string `json:"firstKeptEntryId"`
	TokensBefore     int    `json:"tokensBefore"`
	Timestamp        int64  `json:"timestamp"`
	firstKept        int64
}

func parseCompaction(m sessions.Message) (compactionEntry, bool) {
	var e compactionEntry
	if m.Role != RoleCompaction || json.Unmarshal(m.Body, &e) != nil {
		return compactionEntry{}, false
	}
	seq, err := strconv.ParseInt(e.FirstKeptEntryID, 10, 64)
	if err != nil {
		return compactionEntry{}, false
	}
	e.firstKept = seq
	if e.Summary == "" {
		e.Summary = m.Text
	}
	return e, true
}

// summaryMessage is how the model sees a compaction: a user message holding the summary.
func summaryMessage(e compactionEntry) llm.Message {
	return llm.Message{Role: llm.RoleUser, Content: []llm.Part{llm.TextPart(compactionSummaryPrefix + e.Summary + compactionSummarySuffix)}, Timestamp: e.Timestamp}
}

// historyCompaction is the chat.history item of a compaction entry: pi's
// compactionSummary message (role, summary, tokensBefore, timestamp) with the summary
// also as a text part, which is what the original's chat clients render.
func historyCompaction(m sessions.Message) json.RawMessage {
	e, ok := parseCompaction(m)
	if !ok {
		e = compactionEntry{Summary: m.Text, Timestamp: m.Ts}
	}
	b, _ := json.Marshal(map[string]any{"role": "compactionSummary", "summary": e.Summary, "tokensBefore": e.TokensBefore,
		"firstKeptEntryId": e.FirstKeptEntryID, "timestamp": m.Ts, "content": []map[string]string{{"type": "text", "text": e.Summary}}})
	return b
}

// convo is the conversation a run's request is built from: the latest compaction's
// summary (if any), then the stored messages after its cut point.
type convo struct {
	summary *compactionEntry
	msgs    []llm.Message
	seqs    []int64 // store seq of each of msgs (0: not stored, e.g. an ephemeral prompt)
}

func (c convo) messages() []llm.Message {
	out := make([]llm.Message, 0, len(c.msgs)+1)
	if c.summary != nil {
		out = append(out, summaryMessage(*c.summary))
	}
	return append(out, c.msgs...)
}

// loadConvo reads r's conversation: the transcript up to r's prompt (and, with
// ownSteps, what r itself has written since, for a retry) from the latest compaction's
// cut point on.
func (rt *Runtime) loadConvo(ctx context.Context, r *Run, ownSteps bool) (convo, error) {
	store := rt.opts.Store
	upTo := r.promptSeq
	if ownSteps {
		upTo = 0
	}
	var c convo
	if last, ok, err := store.Latest(ctx, r.laneKey, RoleCompaction); err != nil {
		return convo{}, err
	} else if ok {
		if e, ok := parseCompaction(last); ok {
			c.summary = &e
		}
	}
	var from int64
	if c.summary != nil {
		from = c.summary.firstKept
	}
	// The token budget bounds what the model sees; ContextMessages only bounds what is
	// read from the store for one run.
	hist, err := store.HistoryFrom(ctx, r.laneKey, from, rt.opts.ContextMessages, upTo)
	if err != nil {
		return convo{}, err
	}
	for _, m := range hist {
		if m.Role == RoleCompaction || (c.summary != nil && m.Seq < c.summary.firstKept) {
			continue
		}
		if ownSteps && r.promptSeq > 0 && m.Seq > r.promptSeq && m.RunID != r.ID {
			continue // a prompt queued behind this run
		}
		if lm, ok := toLLM(m); ok {
			if m.Seq == r.imageSeq() && len(r.req.Images) > 0 && lm.Role == llm.RoleUser {
				// This run's images, whole, even when the transcript kept only a note.
				lm.Content = promptParts(r.req)
			}
			if r.overflow != "" && m.Seq == r.imageSeq() && lm.Role == llm.RoleUser {
				lm.Content = withOverflow(r.overflow, lm.Content)
			}
			c.msgs = append(c.msgs, lm)
			c.seqs = append(c.seqs, m.Seq)
		}
	}
	if rt.opts.HistoryLimit != nil {
		// channels.<channel>.dmHistoryLimit (dms.<peer>.historyLimit): a direct chat's
		// model request carries only its last user turns.
		c.msgs, c.seqs = limitTurns(c.msgs, c.seqs, rt.opts.HistoryLimit(r.laneKey, r.req.AccountID))
	}
	if r.req.Ephemeral {
		p := llm.UserText(r.req.Message, rt.opts.Now())
		p.Content = promptParts(r.req)
		c.msgs = append(c.msgs, p)
		c.seqs = append(c.seqs, 0)
	}
	return c, nil
}

var errNothingToCompact = errors.New("nothing to compact: the conversation is all recent")

// compactResult is what one compaction did.
type compactResult struct {
	TokensBefore, TokensAfter int
	Summarised, Kept          int
}

// compact summarises the older part of c through model and stores the summary as a
// compaction entry; the newest b.KeepRecent tokens stay verbatim. It returns the
// compacted conversation. instructions focus the summary (/compact <instructions>).
func (rt *Runtime) compact(ctx context.Context, key string, model llm.Streamer, cc CompactionConfig, b Budget, c convo, system string, tools []llm.ToolDef, instructions string) (convo, compactResult, error) {
	before := estimateRequest(system, tools, c.messages())
	// The cut: walk back from the newest message until KeepRecent tokens are kept, then
	// forward to a stored message that is not a tool result, so a call and its results
	// stay together.
	cut, kept := len(c.msgs), 0
	for cut > 0 {
		t := EstimateTokens(c.msgs[cut-1])
		if kept+t > b.KeepRecent && cut < len(c.msgs) {
			break
		}
		kept += t
		cut--
	}
	for cut < len(c.msgs) && (c.msgs[cut].Role == llm.RoleToolResult || c.seqs[cut] == 0) {
		cut++
	}
	if cut == 0 || cut == len(c.msgs) {
		// Everything is "recent": keep only the newest turn from its last stored user
		// message on (the prompt), so there is something to summarise.
		for cut = len(c.msgs) - 1; cut > 0 && !(c.msgs[cut].Role == llm.RoleUser && c.seqs[cut] != 0); cut-- {
		}
	}
	if cut <= 0 || cut >= len(c.msgs) {
		return c, compactResult{}, errNothingToCompact
	}
	prev := ""
	if c.summary != nil {
		prev = c.summary.Summary
	}
	summary, err := rt.summarise(ctx, model, cc, b, c.msgs[:cut], prev, instructions)
	if err != nil {
		return c, compactResult{}, err
	}
	store := rt.opts.Store
	summary = store.Truncate(summary)
	now := rt.now()
	e := compactionEntry{Type: "compaction", Summary: summary, FirstKeptEntryID: strconv.FormatInt(c.seqs[cut], 10), TokensBefore: before, Timestamp: now, firstKept: c.seqs[cut]}
	body, err := json.Marshal(e)
	if err != nil {
		return c, compactResult{}, err
	}
	if _, _, err := store.Append(context.WithoutCancel(ctx), key, sessions.Message{Role: RoleCompaction, Text: summary, Ts: now, Body: body}); err != nil {
		return c, compactResult{}, fmt.Errorf("agent: storing the compaction: %w", err)
	}
	out := convo{summary: &e, msgs: c.msgs[cut:], seqs: c.seqs[cut:]}
	after := estimateRequest(system, tools, out.messages())
	return out, compactResult{TokensBefore: before, TokensAfter: after, Summarised: cut, Kept: len(out.msgs)}, nil
}

// summarise asks model for a summary of msgs (after prev, an earlier summary), in
// chunks that fit the window, each chunk's summary carried into the next.
func (rt *Runtime) summarise(ctx context.Context, model llm.Streamer, cc CompactionConfig, b Budget, msgs []llm.Message, prev, instructions string) (string, error) {
	maxOut := cc.SummaryMaxTokens
	if maxOut <= 0 {
		maxOut = DefaultSummaryMaxTokens
	}
	maxOut = min(maxOut, max(b.Reserve/2, 256))
	// A chunk, with the instructions and the summary it updates, must fit the window
	// after the summary's reply, padded by SummarySafetyMarginPct for the estimator's
	// error. The first chunk updates prev; later ones a summary of up to maxOut tokens.
	chunkLimit := func(first bool) int {
		carried := maxOut
		if first {
			carried = estimateText(prev)
		}
		return max((b.ContextWindow-maxOut-carried-summaryOverheadTokens)*100/SummarySafetyMarginPct, 256)
	}
	var chunks []string
	var cur strings.Builder
	for _, m := range msgs {
		limit := chunkLimit(len(chunks) == 0)
		line := transcriptLine(m, limit*CharsPerToken)
		if line == "" {
			continue
		}
		if cur.Len() > 0 && estimateText(cur.String())+estimateText(line) > limit {
			chunks = append(chunks, cur.String())
			cur.Reset()
		}
		cur.WriteString(line)
		cur.WriteString("\n\n")
	}
	if cur.Len() > 0 {
		chunks = append(chunks, cur.String())
	}
	dropped := 0
	if len(chunks) > MaxSummaryChunks {
		dropped = len(chunks) - MaxSummaryChunks
		chunks = chunks[dropped:]
	}
	summary := prev
	for _, ch := range chunks {
		var u strings.Builder
		if summary != "" {
			u.WriteString("<previous-summary>\n" + summary + "\n</previous-summary>\n\nUpdate the previous summary with the conversation below.\n\n")
		}
		u.WriteString("<conversation>\n" + ch + "</conversation>")
		if instructions != "" {
			u.WriteString("\n\nAdditional focus:\n" + instructions)
		}
		resp, err := model.Stream(ctx, &llm.Request{System: summarizerSystemPrompt, Messages: []llm.Message{llm.UserText(u.String(), rt.opts.Now())}, MaxTokens: maxOut}, nil)
		if err != nil {
			return "", fmt.Errorf("agent: summarising for compaction: %w", err)
		}
		if t := strings.TrimSpace(resp.Message.Text()); t != "" {
			summary = t
		}
	}
	if summary == "" {
		summary = "No prior history."
	}
	if dropped > 0 {
		summary += fmt.Sprintf("\n\n[%d earlier parts of the conversation were too long to summarise and were dropped]", dropped)
	}
	return summary, nil
}

// transcriptLine renders one message for the summariser, cut to maxChars.
func transcriptLine(m llm.Message, maxChars int) string {
	var b strings.Builder
	switch m.Role {
	case llm.RoleUser:
		b.WriteString("[User]: ")
	case llm.RoleAssistant:
		b.WriteString("[Assistant]: ")
	case llm.RoleToolResult:
		b.WriteString("[Tool result " + m.ToolName + "]: ")
	}
	n := b.Len()
	for _, p := range m.Content {
		switch p.Type {
		case llm.PartText:
			b.WriteString(p.Text)
		case llm.PartToolCall:
			b.WriteString("[calls " + p.Name + " " + string(p.Arguments) + "] ")
		case llm.PartImage:
			b.WriteString("[image] ")
		}
	}
	if b.Len() == n {
		return ""
	}
	s := b.String()
	if len(s) > maxChars {
		cut := maxChars
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + " …[cut]"
	}
	return s
}

// compactionEvent emits stream "compaction" (the original's phase start / end with
// willRetry).
func (rt *Runtime) compactionEvent(r *Run, phase string, willRetry bool) {
	d := map[string]any{"phase": phase}
	if phase == "end" {
		d["willRetry"] = willRetry
	}
	rt.event(r, protocol.AgentEventStreamCompaction, d)
}

// CompactWait bounds how long a manual compaction waits for the session's aborted run
// to end (the original's 15 s).
const CompactWait = 15 * time.Second

// CompactSession summarises the older part of a session's transcript now (/compact):
// a running run of the session is aborted first, as in the original, and the summary is
// made by the session's model. errNothingToCompact when all of it is recent.
func (rt *Runtime) CompactSession(ctx context.Context, key, instructions string) (compactResult, error) {
	mc := rt.modelConfig()
	e := mc.Engine
	if e == nil {
		return compactResult{}, errNoCatalog
	}
	if _, err := rt.opts.Store.Get(ctx, key); err != nil {
		return compactResult{}, err
	}
	rt.mu.Lock()
	var running *Run
	if l := rt.lanes[key]; l != nil {
		running = l.running
	}
	rt.mu.Unlock()
	if running != nil {
		_, _ = rt.Abort(key, "")
		t := time.NewTimer(CompactWait)
		select {
		case <-running.Done():
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
	}
	model, ref, err := rt.sessionStreamer(ctx, e, key)
	if err != nil {
		return compactResult{}, err
	}
	r := &Run{ID: "compact", laneKey: key, rt: rt}
	c, err := rt.loadConvo(ctx, r, false)
	if err != nil {
		return compactResult{}, err
	}
	system := rt.systemPrompt(ctx, r, mc.SystemPrompt)
	_, res, err := rt.compact(ctx, key, model, e.Compaction, e.Compaction.budget(ref), c, system, nil, strings.TrimSpace(instructions))
	return res, err
}

// sessionStreamer is the model a session's runs use (its sessions.patch override, else
// the engine's) and its provider/model reference.
func (rt *Runtime) sessionStreamer(ctx context.Context, e *Engine, key string) (llm.Streamer, string, error) {
	ss, err := rt.opts.Store.Get(ctx, key)
	if err != nil && !errors.Is(err, sessions.ErrNotFound) {
		return nil, "", err
	}
	if !e.overrideAllowed(ss.Model) {
		return e.Model, e.Primary, nil
	}
	if e.ModelFor == nil {
		return nil, "", fmt.Errorf("agent: session model %q: this agent configuration cannot switch models", ss.Model)
	}
	m, ref, err := e.ModelFor(ss.Model)
	if err != nil {
		return nil, "", fmt.Errorf("agent: session model %q: %w", ss.Model, err)
	}
	return m, ref, nil
}
