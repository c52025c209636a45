package agent

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/clawgate/gateway/server/agent/tools"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/sessions"
)

// Sub-agent defaults (the original's).
const (
	// DefaultSubagentMaxConcurrent is how many sub-agent runs execute at once
	// (agents.defaults.subagents.maxConcurrent); more wait for a slot.
	DefaultSubagentMaxConcurrent = 8
	// DefaultSubagentArchiveAfter is how long after it was spawned a kept sub-agent
	// session is deleted (agents.defaults.subagents.archiveAfterMinutes).
	DefaultSubagentArchiveAfter = 60 * time.Minute
	// MaxSubagentRuns bounds the sub-agent runs tracked for announce and archive; a
	// spawn past it is refused.
	MaxSubagentRuns = 1000
	// subagentAnnounceSource is the Source of the run that tells the requester session
	// about a finished sub-agent.
	subagentAnnounceSource = "subagent_announce"
)

// subagentRun is a spawned run the runtime announces and later archives.
type subagentRun struct {
	runID, childKey, requesterKey string
	origin                        tools.DeliveryContext
	task, label, cleanup          string
	spawnedAt                     time.Time
}

// subagents tracks spawned runs (one owner: the Runtime, under its own lock).
type subagents struct {
	mu   sync.Mutex
	runs map[string]*subagentRun
}

// SubagentSystemPrompt is the extra system prompt of a sub-agent run: what it is for,
// that its last message is reported back, and what it must not do.
func SubagentSystemPrompt(requesterKey string, origin tools.DeliveryContext, childKey, label, task string) string {
	task = strings.Join(strings.Fields(task), " ")
	var b strings.Builder
	b.WriteString("# Subagent Context\n\n")
	b.WriteString("You are a subagent: another agent session started you in the background for one task.\n\n")
	b.WriteString("## Your task\n")
	fmt.Fprintf(&b, "- %s\n", task)
	b.WriteString("- Doing this task is your whole job; you are not the main agent and do not act as it.\n\n")
	b.WriteString("## Rules\n")
	b.WriteString("1. Stay on the task; no side quests.\n")
	b.WriteString("2. Finish it: your final message is reported to the requesting session automatically.\n")
	b.WriteString("3. Start nothing on your own: no heartbeats, no proactive actions.\n")
	b.WriteString("4. You are ephemeral: this session may be removed once the task is done.\n\n")
	b.WriteString("## Your final message\n")
	b.WriteString("- What you did or found, and the details the requester needs; brief but complete.\n\n")
	b.WriteString("## Not yours to do\n")
	b.WriteString("- Talking with the user (the requester does that).\n")
	b.WriteString("- Sending external messages (email, posts, chats) unless the task says so; the `message` tool is not for you.\n")
	b.WriteString("- Cron jobs or other persistent state.\n\n")
	b.WriteString("## Session context\n")
	if label != "" {
		fmt.Fprintf(&b, "- Label: %s\n", label)
	}
	if requesterKey != "" {
		fmt.Fprintf(&b, "- Requester session: %s.\n", requesterKey)
	}
	if origin.Channel != "" {
		fmt.Fprintf(&b, "- Requester channel: %s.\n", origin.Channel)
	}
	fmt.Fprintf(&b, "- Your session: %s.\n", childKey)
	return b.String()
}

// Spawn starts a sub-agent run in a new session of the target agent, with the
// sub-agent system prompt, on the sub-agent lane (at most SubagentMaxConcurrent at
// once), and returns without waiting. When the run ends its reply is announced to the
// requester session (announceSubagent); the child session is deleted then (cleanup
// "delete") or archived after SubagentArchiveAfter.
func (a sessionsAPI) Spawn(ctx context.Context, req tools.SpawnRequest) (tools.SpawnResult, error) {
	rt := a.rt
	if req.RequesterKey == "" {
		req.RequesterKey = rt.MainSessionKey()
	}
	rk, err := sessions.Canonical(req.RequesterKey)
	if err != nil {
		return tools.SpawnResult{}, err
	}
	req.RequesterKey = rk
	if tools.IsSubagentSessionKey(rk) {
		return tools.SpawnResult{}, errors.New("sessions_spawn is not allowed from sub-agent sessions")
	}
	rt.subs.mu.Lock()
	if sr := rt.subs.runs[req.RunID]; sr != nil {
		rt.subs.mu.Unlock()
		return tools.SpawnResult{RunID: sr.runID, ChildKey: sr.childKey}, nil // a retried tool call
	}
	n := len(rt.subs.runs)
	rt.subs.mu.Unlock()
	if n >= MaxSubagentRuns {
		return tools.SpawnResult{}, fmt.Errorf("too many sub-agent runs tracked (limit %d); try again later", MaxSubagentRuns)
	}
	seg, ok := rt.agentSegment(req.AgentID)
	if !ok {
		return tools.SpawnResult{}, fmt.Errorf("unknown agent %q (not in agents.list)", req.AgentID)
	}
	// The child key keeps the uuid the tool made, under the runtime's segment of the
	// agent (the default agent's sessions live under agent:main:).
	_, rest, _ := strings.Cut(strings.TrimPrefix(req.ChildKey, "agent:"), ":")
	if !strings.HasPrefix(rest, "subagent:") {
		return tools.SpawnResult{}, fmt.Errorf("sub-agent session key %q: want agent:<id>:subagent:<id>", req.ChildKey)
	}
	child := "agent:" + seg + ":" + rest
	res := tools.SpawnResult{RunID: req.RunID, ChildKey: child}

	var thinking string
	if req.Thinking != "" {
		lv, ok := normalizeThinking(req.Thinking)
		if !ok {
			return res, fmt.Errorf("Invalid thinking level %q. Use one of: off, minimal, low, medium, high, xhigh.", req.Thinking)
		}
		thinking = lv
	}
	var model string
	if req.Model != "" {
		m, err := rt.sessionModel(req.Model)
		if err != nil {
			// As in the original, a model that is unknown or not allowed runs the
			// agent's model instead, with a warning.
			res.Warning = err.Error()
		} else {
			model, res.ModelApplied = m, true
		}
	}
	if model != "" || thinking != "" || req.Label != "" {
		patch := func(label string) error {
			_, err := rt.opts.Store.Patch(ctx, child, func(s *sessions.Session) error {
				s.Model, s.ThinkingLevel, s.Label = model, thinking, label
				return nil
			})
			return err
		}
		err := patch(req.Label)
		if errors.Is(err, sessions.ErrLabelInUse) {
			err = patch("") // labels are unique; the label is only a name here
		}
		if err != nil {
			return res, fmt.Errorf("sub-agent session: %w", err)
		}
	}
	sr := &subagentRun{runID: req.RunID, childKey: child, requesterKey: rk, origin: req.Origin, task: req.Task,
		label: req.Label, cleanup: req.Cleanup, spawnedAt: rt.opts.Clock.Now()}
	run, dup, err := rt.Start(ctx, Request{RunID: req.RunID, SessionKey: child, Message: req.Task, Timeout: req.Timeout,
		ExtraSystemPrompt: SubagentSystemPrompt(rk, req.Origin, child, req.Label, req.Task), Source: "sessions_spawn"})
	if err != nil {
		if req.Label != "" || model != "" || thinking != "" {
			_, _, _ = rt.opts.Store.Delete(context.WithoutCancel(ctx), child)
		}
		return res, err
	}
	if dup {
		return tools.SpawnResult{RunID: run.ID, ChildKey: run.SessionKey}, nil
	}
	rt.subs.mu.Lock()
	if rt.subs.runs == nil {
		rt.subs.runs = map[string]*subagentRun{}
	}
	rt.subs.runs[sr.runID] = sr
	rt.subs.mu.Unlock()
	rt.wg.Add(1)
	go rt.superviseSubagent(sr, run)
	rt.log.Info("agent: sub-agent spawned", "run", sr.runID, "child", child, "requester", rk)
	return res, nil
}

// superviseSubagent waits for a sub-agent run, announces its result and removes or
// archives its session.
func (rt *Runtime) superviseSubagent(sr *subagentRun, run *Run) {
	defer rt.wg.Done()
	var archive <-chan time.Time
	if after := rt.subagentArchiveAfter(); after > 0 && sr.cleanup != "delete" {
		t := rt.opts.Clock.NewTimer(after - rt.opts.Clock.Now().Sub(sr.spawnedAt))
		defer t.Stop()
		archive = t.C()
	}
	select {
	case <-run.Done():
	case <-rt.base.Done():
		return
	}
	rt.announceSubagent(sr, run.Outcome())
	if sr.cleanup == "delete" {
		rt.removeSubagent(sr, "cleanup delete")
		return
	}
	if archive == nil {
		rt.forgetSubagent(sr)
		return
	}
	select {
	case <-archive:
		rt.removeSubagent(sr, "archived")
	case <-rt.base.Done():
	}
}

func (rt *Runtime) subagentArchiveAfter() time.Duration {
	switch a := rt.opts.SubagentArchiveAfter; {
	case a == 0:
		return DefaultSubagentArchiveAfter
	case a < 0:
		return 0
	default:
		return a
	}
}

func (rt *Runtime) forgetSubagent(sr *subagentRun) {
	rt.subs.mu.Lock()
	delete(rt.subs.runs, sr.runID)
	rt.subs.mu.Unlock()
}

// removeSubagent deletes the child session (its transcript is archived by the store)
// once no run of it is active.
func (rt *Runtime) removeSubagent(sr *subagentRun, why string) {
	rt.forgetSubagent(sr)
	if rt.Active(sr.childKey) {
		rt.log.Info("agent: sub-agent session busy; not removed", "child", sr.childKey, "why", why)
		return
	}
	ctx, cancel := context.WithTimeout(rt.base, 10*time.Second)
	defer cancel()
	if _, _, err := rt.opts.Store.Delete(ctx, sr.childKey); err != nil {
		rt.log.Warn("agent: removing sub-agent session", "child", sr.childKey, "err", err)
		return
	}
	rt.log.Info("agent: sub-agent session removed", "child", sr.childKey, "why", why)
}

// announceSubagent tells the requester session that the sub-agent finished: a run in
// that session whose prompt carries the sub-agent's reply and asks the agent to pass
// it on in its own words; its answer goes to the channel the request came from. It
// queues behind a run the session has going, as any run does.
func (rt *Runtime) announceSubagent(sr *subagentRun, out Outcome) {
	reply := strings.TrimSpace(out.Text)
	if reply == "" {
		ctx, cancel := context.WithTimeout(rt.base, 10*time.Second)
		if hist, err := rt.SessionsAPI().History(ctx, sr.childKey, 20); err == nil {
			reply = tools.AssistantReply(hist)
		}
		cancel()
	}
	var status string
	switch out.Status {
	case StatusOK:
		status = "completed successfully"
	case StatusTimeout:
		status = "timed out"
	case StatusError, StatusAborted:
		e := out.Err
		if e == "" {
			e = "unknown error"
		}
		status = "failed: " + e
	default:
		status = "finished with unknown status"
	}
	name := sr.label
	if name == "" {
		name = sr.task
	}
	if name == "" {
		name = "background task"
	}
	if reply == "" {
		reply = "(no output)"
	}
	var stats []string
	if out.StartedAt > 0 && out.EndedAt >= out.StartedAt {
		stats = append(stats, "runtime "+formatShortDuration(time.Duration(out.EndedAt-out.StartedAt)*time.Millisecond))
	} else {
		stats = append(stats, "runtime n/a")
	}
	if u := out.Usage; u != nil {
		total := u.TotalTokens
		if total == 0 {
			total = u.PromptTokens + u.CompletionTokens
		}
		stats = append(stats, fmt.Sprintf("tokens %d (in %d / out %d)", total, u.PromptTokens, u.CompletionTokens))
	} else {
		stats = append(stats, "tokens n/a")
	}
	stats = append(stats, "sessionKey "+sr.childKey)
	msg := strings.Join([]string{
		fmt.Sprintf("A background task %q just %s.", name, status),
		"",
		"Findings:",
		reply,
		"",
		"Stats: " + strings.Join(stats, " • "),
		"",
		"Tell the user the outcome in your own words, briefly (one or two sentences), as part of the conversation.",
		"Leave out technical details such as tokens, stats, or that this ran as a background task.",
		"Answer with NO_REPLY alone if nothing needs to be said (an internal task with no result for the user).",
	}, "\n")
	req := Request{RunID: "announce:" + sr.runID, SessionKey: sr.requesterKey, Message: rt.opts.Store.Truncate(msg), Source: subagentAnnounceSource}
	if ch := sr.origin.Channel; ch == providers.WhatsApp || ch == providers.Telegram {
		req.Deliver, req.BestEffort, req.Channel, req.To, req.AccountID = true, true, ch, sr.origin.To, sr.origin.AccountID
	}
	ctx, cancel := context.WithTimeout(rt.base, 10*time.Second)
	defer cancel()
	if _, _, err := rt.Start(ctx, req); err != nil {
		rt.log.Warn("agent: sub-agent announce failed", "run", sr.runID, "requester", sr.requesterKey, "err", err)
	}
}

// formatShortDuration renders 75s as 1m15s and 3700s as 1h1m.
func formatShortDuration(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	h, m, sec := s/3600, s%3600/60, s%60
	switch {
	case h > 0:
		return fmt.Sprintf("%dh%dm", h, m)
	case m > 0:
		return fmt.Sprintf("%dm%ds", m, sec)
	}
	return fmt.Sprintf("%ds", sec)
}
