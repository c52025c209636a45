package agent

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/agent/commands"
	"github.com/clawgate/gateway/server/agent/llm"
	"github.com/clawgate/gateway/server/grouphistory"
	"github.com/clawgate/gateway/server/models"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/sessions"
	"github.com/clawgate/gateway/server/usage"
)

// cmdEnv is the runtime as the chat commands' environment.
type cmdEnv struct{ rt *Runtime }

var _ commands.Env = cmdEnv{}

func (e cmdEnv) ResetSession(ctx context.Context, key string) error {
	_, err := e.rt.opts.Store.Reset(ctx, key)
	return err
}

func (e cmdEnv) AbortSession(key string) int {
	ids, _ := e.rt.Abort(key, "")
	return len(ids)
}

func (e cmdEnv) SessionState(ctx context.Context, key string) (commands.State, error) {
	ss, err := e.rt.opts.Store.Ensure(ctx, key)
	if err != nil {
		return commands.State{}, err
	}
	mc := e.rt.modelConfig()
	eng := mc.Engine
	model := ss.Model // the session's own model, else its agent's, else the default
	if model == "" && eng != nil && eng.AgentModel != nil {
		model = eng.AgentModel(key)
	}
	if model == "" {
		model = modelRef(mc)
	}
	st := commands.State{
		Version: e.rt.opts.Version, Model: model, ThinkingLevel: ss.ThinkingLevel, VerboseLevel: ss.VerboseLevel, ReasoningLevel: ss.ReasoningLevel,
		SessionKey: key, SessionID: ss.ID,
		InputTokens: ss.InputTokens, OutputTokens: ss.OutputTokens, TotalTokens: ss.TotalTokens, ContextUsed: ss.InputTokens,
		Messages: ss.Messages, Queue: commands.Queue{Cap: e.rt.queueSettings(ss.LastChannel).Cap}, QueueMode: e.rt.queueMode(ss.LastChannel),
	}
	if eng != nil {
		st.ThinkingLevel = thinkingLevel(ss.ThinkingLevel, eng.ThinkingDefault)
		st.VerboseLevel = verboseLevel(ss.VerboseLevel, eng.VerboseDefault)
		st.ContextWindow = int64(eng.Compaction.budget(model).ContextWindow)
		if eng.AuthLabel != nil {
			st.ModelAuth = eng.AuthLabel(key, model)
		}
	}
	if ss.UpdatedAt > 0 {
		st.UpdatedAt = time.UnixMilli(ss.UpdatedAt)
	}
	if n, err := e.rt.opts.Store.CountRole(ctx, key, RoleCompaction); err == nil {
		st.Compactions = n
	}
	if err := e.lastRunUsage(ctx, key, &st); err != nil {
		return commands.State{}, err
	}
	e.rt.mu.Lock()
	if l := e.rt.lanes[key]; l != nil {
		st.Queue.Running = l.running != nil && !l.running.Finished()
		st.Queue.Waiting = len(l.waiting)
	}
	e.rt.mu.Unlock()
	return st, nil
}

// statusTail bounds the newest transcript messages /status reads for the last run's
// usage: a run with more steps than this has its cost counted from these only.
const statusTail = 200

// lastRunUsage fills the context used and the cost from the usage the provider
// reported: the context is the prompt of the newest answer (its input and cached
// tokens, as the original counts it), the cost sums the recorded costs of that
// answer's run. Answers without usage (text-only backends) leave the run's counters.
func (e cmdEnv) lastRunUsage(ctx context.Context, key string, st *commands.State) error {
	tail, err := e.rt.opts.Store.History(ctx, key, statusTail, 0)
	if err != nil {
		return err
	}
	runID := ""
	found := false
	for i := len(tail) - 1; i >= 0; i-- {
		m := tail[i]
		if m.Role != string(llm.RoleAssistant) {
			continue
		}
		r, ok := usage.ParseRecord(m.Body)
		if !ok {
			continue
		}
		if !found {
			found, runID = true, m.RunID
			st.ContextUsed = r.Usage.Input + r.Usage.CacheRead + r.Usage.CacheWrite
		} else if m.RunID != runID || runID == "" {
			break
		}
		if c, ok := r.Usage.CostTotal(); ok && c > 0 {
			st.Cost += c
			st.HasCost = true
		}
		if runID == "" {
			break
		}
	}
	return nil
}

// SetSession changes one setting the way sessions.patch does: thinking levels in the
// original's spellings, a model that the configured providers resolve (the default
// model is stored as no override).
func (e cmdEnv) SetSession(ctx context.Context, key string, set commands.Setting, v string) (string, error) {
	switch set {
	case commands.SetThinking:
		lv, ok := normalizeThinking(v)
		if !ok {
			return "", fmt.Errorf("unknown thinking level %q", v)
		}
		v = lv
	case commands.SetVerbose:
		if v = strings.ToLower(v); v == "off" {
			v = ""
		}
	case commands.SetModel:
		ref, err := e.rt.sessionModel(strings.TrimSpace(v))
		if errors.Is(err, errNoCatalog) {
			return "", errors.New("the agent runs a CLI backend, whose model cannot change per session")
		}
		if na := (*models.NotAllowedError)(nil); errors.As(err, &na) {
			return "", &commands.ModelNotAllowed{Model: na.Key, Allowed: e.rt.modelConfig().Engine.Models.AllowList()}
		}
		if err != nil {
			return "", err
		}
		v = ref
	default:
		return "", fmt.Errorf("unknown setting %q", set)
	}
	_, err := e.rt.opts.Store.Patch(ctx, key, func(ss *sessions.Session) error {
		switch set {
		case commands.SetThinking:
			ss.ThinkingLevel = v
		case commands.SetVerbose:
			ss.VerboseLevel = v
		case commands.SetModel:
			ss.Model = v
		}
		return nil
	})
	return v, err
}

// CompactSession is /compact: the model summarises the older part of the transcript
// (the original's manual compaction); a CLI backend's session keeps its newest
// DefaultCompactKeep messages instead, as sessions.compact.
func (e cmdEnv) CompactSession(ctx context.Context, key, instructions string) (commands.Compaction, error) {
	if e.rt.modelConfig().Engine == nil {
		kept, done, err := e.rt.opts.Store.Compact(ctx, key, DefaultCompactKeep)
		if errors.Is(err, sessions.ErrNotFound) {
			return commands.Compaction{}, nil
		}
		return commands.Compaction{Compacted: done, Kept: kept}, err
	}
	res, err := e.rt.CompactSession(ctx, key, instructions)
	switch {
	case errors.Is(err, errNothingToCompact), errors.Is(err, sessions.ErrNotFound):
		return commands.Compaction{Reason: "nothing to compact"}, nil
	case err != nil:
		return commands.Compaction{}, err
	}
	return commands.Compaction{Compacted: true, Summarized: true, TokensBefore: res.TokensBefore, TokensAfter: res.TokensAfter}, nil
}

func (e cmdEnv) ResolveApproval(id string, d commands.Decision, by string) error {
	if e.rt.opts.Approvals == nil {
		return commands.ErrNoApprovals
	}
	return e.rt.opts.Approvals(id, string(d), by)
}

// Command runs text as a chat command in the session when it is one (see package
// commands). handled: the message must not start a run; cont, when not empty, is what
// to run instead ("/new hello" runs "hello" in the fresh session). The caller is an
// operator client or, when authorized is false, a stranger; channel messages go
// through inboundCommand.
func (rt *Runtime) Command(ctx context.Context, key, text string, authorized bool, sender string) (res commands.Result, err error) {
	return rt.command(ctx, key, text, cmdFrom{authorized: authorized, owner: authorized, sender: sender})
}

// cmdFrom is who sent a command and where from.
type cmdFrom struct {
	authorized, owner  bool
	sender             string
	channel, accountID string // "" for operator clients
}

func (rt *Runtime) command(ctx context.Context, key, text string, from cmdFrom) (res commands.Result, err error) {
	in := commands.Input{SessionKey: key, Text: text, Authorized: from.authorized, Owner: from.owner, SenderID: from.sender,
		Channel: from.channel, AccountID: from.accountID, Now: rt.opts.Now(), ResetTriggers: rt.resetConfig().Triggers,
		Admin: rt.opts.Admin}
	if sc := rt.opts.SkillCommands; sc != nil {
		in.SkillCommands = func(ctx context.Context) []commands.SkillCommand { return sc(ctx, key) }
	}
	if from.channel != "" && rt.opts.CommandSurface != nil {
		in.TextOff, in.Native = rt.opts.CommandSurface(from.channel, from.accountID)
	}
	res, err = commands.Handle(ctx, cmdEnv{rt}, in)
	if res.Ignored {
		rt.log.Info("agent: chat command from an unauthorised sender ignored", "session", key, "from", from.sender)
	}
	return res, err
}

// commandReply answers a command run from chat.send: the answer is the final chat
// event of runID (and a lifecycle start/end pair), so a client waiting for the run's
// end sees it, without a model call and without a transcript entry.
func (rt *Runtime) commandReply(runID, key, text string) {
	r := &Run{ID: runID, SessionKey: key, rt: rt, laneKey: key}
	now := rt.now()
	rt.event(r, protocol.AgentEventStreamLifecycle, map[string]any{"phase": "start", "startedAt": now})
	rt.emitEnd(r, Outcome{Status: StatusOK, Text: text, StartedAt: now, EndedAt: now})
}

// inboundCommand runs an inbound channel message as a command; handled reports
// whether it was one. The answer goes back to the chat it came from.
func (rt *Runtime) inboundCommand(ctx context.Context, m providers.Message, key, ch, to string) (handled bool, cont string, err error) {
	text := m.Text
	if m.Group {
		// A group message arrives after the unanswered messages before it; the command
		// is the current message only.
		_, text = grouphistory.Split(text)
	}
	if m.CommandText != "" {
		// A voice note's transcript is its command text (a spoken "/status").
		text = m.CommandText
	}
	if arg, ok := parseElevated(text); ok && !m.CommandsDenied {
		reply, err := rt.elevatedCommand(ctx, m, key, ch, arg)
		if err != nil {
			return true, "", err
		}
		return true, "", rt.sendCommandReply(ctx, ch, to, m.AccountID, reply)
	}
	res, err := rt.command(ctx, key, text, cmdFrom{authorized: !m.CommandsDenied, owner: m.Owner, sender: m.From, channel: m.Channel, accountID: m.AccountID})
	if err != nil || !res.Handled {
		return false, "", err
	}
	if err := rt.sendCommandReply(ctx, ch, to, m.AccountID, res.Reply); err != nil {
		return true, "", err
	}
	return true, res.Continue, nil
}

// sendCommandReply sends a chat command's answer to the chat it came from ("" sends nothing).
func (rt *Runtime) sendCommandReply(ctx context.Context, ch, to, accountID, text string) error {
	if text == "" {
		return nil
	}
	if rt.opts.Sender == nil {
		return fmt.Errorf("command reply: no messaging providers are running")
	}
	sctx, cancel := context.WithTimeout(ctx, rt.opts.DeliverTimeout)
	defer cancel()
	if _, err := rt.opts.Sender.Send(sctx, ch, providers.Outbound{To: to, Text: text, AccountID: accountID}); err != nil {
		return fmt.Errorf("command reply to %s %s: %w", ch, to, err)
	}
	return nil
}

// modelRef is the model /status names: provider/model when known.
func modelRef(mc *ModelConfig) string {
	if mc.Ref != "" {
		return mc.Ref
	}
	return mc.Model
}
