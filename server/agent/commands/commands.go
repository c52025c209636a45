// Package commands recognises and answers the chat commands the gateway handles
// itself, on every surface (chat.send, WhatsApp, Telegram), without a model call:
// /new, /reset, /status, /stop, /help, /think, /verbose, /model, /compact and
// /approve. Anything else — also an unknown /foo — is not a command and goes to the
// model as text, as in the original.
//
// The package knows nothing of the runtime: it parses, checks authorisation and
// formats answers; the effects (reset, abort, status, approvals) come through Env.
package commands

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/clawgate/gateway/server/sessionreset"
)

// Name is a recognised command.
type Name string

// The commands the gateway answers itself.
const (
	New     Name = "new"
	Reset   Name = "reset"
	Status  Name = "status"
	Stop    Name = "stop"
	Help    Name = "help"
	Think   Name = "think"
	Verbose Name = "verbose"
	Model   Name = "model"
	Compact Name = "compact"
	Approve Name = "approve"
)

// aliases maps every accepted spelling to its command (the original's aliases:
// /thinking and /t for /think, /v for /verbose).
var aliases = map[string]Name{
	"new": New, "reset": Reset, "status": Status, "stop": Stop, "help": Help,
	"think": Think, "thinking": Think, "t": Think,
	"verbose": Verbose, "v": Verbose,
	"model": Model, "compact": Compact, "approve": Approve,
}

// MaxCommandBytes bounds the text inspected as a command: longer messages are never
// commands (a pasted essay that starts with /new is not a reset).
const MaxCommandBytes = 4096

// Command is a parsed chat command.
type Command struct {
	Name Name
	Args string // the rest of the message, trimmed ("" when none)
}

// Parse recognises a command: the message starts with "/" and a known name, followed
// by the end, whitespace or ":" (the original accepts "/think: high"). A Telegram
// "/status@MyBot" suffix is dropped. Matching of the name is case-insensitive.
func Parse(text string) (Command, bool) {
	t := strings.TrimSpace(text)
	if len(t) < 2 || len(t) > MaxCommandBytes || t[0] != '/' {
		return Command{}, false
	}
	end := 1
	for end < len(t) && t[end] != ' ' && t[end] != '\t' && t[end] != '\n' && t[end] != '\r' && t[end] != ':' {
		end++
	}
	word := strings.ToLower(t[1:end])
	if at := strings.IndexByte(word, '@'); at >= 0 {
		word = word[:at]
	}
	n, ok := aliases[word]
	if !ok {
		return Command{}, false
	}
	rest := t[end:]
	rest = strings.TrimPrefix(rest, ":")
	return Command{Name: n, Args: strings.TrimSpace(rest)}, true
}

// Decision is an exec approval decision, spelled as on the wire.
type Decision string

// The decisions /approve accepts.
const (
	AllowOnce   Decision = "allow-once"
	AllowAlways Decision = "allow-always"
	Deny        Decision = "deny"
)

// Queue is a session's run queue.
type Queue struct {
	Running bool // a run is executing
	Waiting int  // runs queued behind it
	Cap     int  // channel messages that may wait per session (messages.queue.cap; negative: unbounded)
}

// State is what /status reports about a session.
type State struct {
	Version string
	Model   string // provider/model, "" unknown
	// ModelAuth is how the model's provider authenticates, as the original's status
	// shows it ("api-key sk-abc…wxyz (openai:work)", "oauth (…)"; "" = not shown).
	ModelAuth    string
	SessionKey   string
	SessionID    string
	UpdatedAt    time.Time // zero: never used
	InputTokens  int64
	OutputTokens int64
	TotalTokens  int64
	Messages     int64
	Queue        Queue
	// QueueMode is how messages arriving during a run are handled (messages.queue:
	// collect, followup, interrupt, …; "" = unknown).
	QueueMode string
	// ThinkingLevel, VerboseLevel and ReasoningLevel are the session's effective
	// levels: its own (sessions.patch, /think, /verbose), else the configured defaults
	// ("" = off).
	ThinkingLevel  string
	VerboseLevel   string
	ReasoningLevel string
	// ContextUsed is the prompt size of the session's last model request (its usage
	// as reported by the provider); 0 = unknown. ContextWindow is the model's window
	// (catalog, agents.defaults.contextTokens, or the default).
	ContextUsed   int64
	ContextWindow int64
	// Cost is what the last run cost (USD, from the recorded usage); HasCost false
	// when no prices are configured for the model.
	Cost    float64
	HasCost bool
	// Compactions counts the summaries in the session's current transcript.
	Compactions int64
}

// Setting names a per-session setting a command changes (the sessions.patch field).
type Setting string

const (
	SetThinking Setting = "thinkingLevel"
	SetVerbose  Setting = "verboseLevel"
	SetModel    Setting = "model"
)

// Compaction is what /compact did.
type Compaction struct {
	Compacted bool
	// Summarized: the older part was summarised by the model (else trimmed).
	Summarized                bool
	TokensBefore, TokensAfter int   // estimates, when summarised
	Kept                      int64 // messages kept, when trimmed
	Reason                    string
}

// Env is what commands act on: the runtime and the exec approvals.
type Env interface {
	// ResetSession starts a fresh transcript for the session.
	ResetSession(ctx context.Context, key string) error
	// AbortSession aborts the session's running and queued runs; it returns how many.
	AbortSession(key string) int
	// SessionState reports the session for /status.
	SessionState(ctx context.Context, key string) (State, error)
	// SetSession changes one setting of the session, validated as sessions.patch
	// validates it, and returns what was stored ("" = the default).
	SetSession(ctx context.Context, key string, s Setting, value string) (string, error)
	// CompactSession compacts the session's transcript: the model summarises its older
	// part (focused by instructions, may be ""), or, for agents without a model
	// provider, the newest messages are kept as sessions.compact keeps them.
	CompactSession(ctx context.Context, key, instructions string) (Compaction, error)
	// ResolveApproval resolves a pending exec approval; ErrNoApprovals when exec
	// approvals are not available.
	ResolveApproval(id string, d Decision, by string) error
}

// ModelNotAllowed is SetSession's error for a model outside the allowlist
// (agents.defaults.models); /model answers with its message.
type ModelNotAllowed struct {
	Model   string   // canonical provider/model
	Allowed []string // the allowlist
}

// Error is the original's refusal, with the allowed models instead of its pointer
// to /models (which this gateway does not have).
func (e *ModelNotAllowed) Error() string {
	return fmt.Sprintf("Model %q is not allowed. Allowed models: %s.", e.Model, strings.Join(e.Allowed, ", "))
}

// ErrNoApprovals is ResolveApproval's answer when the gateway has no exec approvals.
var ErrNoApprovals = errors.New("exec approvals are not available")

// Input is one incoming message.
type Input struct {
	SessionKey string
	Text       string
	// Authorized: the sender may run commands (operator clients always; channel
	// senders on the allow list). Commands from others are ignored, not answered.
	Authorized bool
	SenderID   string // who ran it (logs, resolvedBy of /approve)
	Now        time.Time
	// ResetTriggers are more words that start a new session, like /new
	// (session.resetTriggers; matched whole or followed by a space, ignoring case).
	// /new and /reset always do.
	ResetTriggers []string
	// Owner: the sender is the owner (operator clients; on a channel, named in its
	// allowFrom, or anyone while allowFrom names nobody). Only the owner runs
	// /config, /debug, /restart and bash.
	Owner bool
	// Channel and AccountID are where the message came from ("" for operator
	// clients): /config writes obey channels.<channel>.configWrites.
	Channel, AccountID string
	// TextOff is commands.text false on a surface with native commands (Telegram):
	// typed commands are then only those Native reports (the bot's command menu), and
	// everything else goes to the model as text.
	TextOff bool
	Native  func(name string) bool
	// Admin carries out the owner's commands (nil: they answer that they are not
	// available).
	Admin Admin
	// SkillCommands, when set, lists the session's skill commands (read only for a
	// message that starts with "/" and is no built-in command).
	SkillCommands func(ctx context.Context) []SkillCommand
}

// Result is what became of a message.
type Result struct {
	// Handled: the message was a command and must not go to the model (unless
	// Continue is set).
	Handled bool
	// Reply is the answer to send back on the surface ("" = say nothing: an
	// unauthorised sender's command is dropped silently, as the original does).
	Reply string
	// Continue is text to run as a normal message after the command: "/new hello"
	// resets and then sends "hello" into the fresh session.
	Continue string
	// Ignored: an unauthorised sender's command, dropped.
	Ignored bool
}

// ThinkLevels are the thinking levels /think accepts.
var ThinkLevels = []string{"off", "minimal", "low", "medium", "high", "xhigh"}

// Handle runs the command in in.Text, if it is one. Not a command: Result{} and the
// message goes to the model.
func Handle(ctx context.Context, env Env, in Input) (Result, error) {
	c, ok := Parse(in.Text)
	if !ok && len(in.Text) <= MaxCommandBytes {
		if t := strings.TrimSpace(in.Text); len(t) >= 2 && (t[0] == '/' || t[0] == '!' && in.Authorized && in.Owner) {
			if ac, isAdmin := parseAdmin(t); isAdmin {
				if in.TextOff && (ac.Name == Bash || in.Native == nil || !in.Native(string(ac.Name))) {
					return Result{}, nil
				}
				return handleAdmin(ctx, ac, in)
			}
		} else if t == "!" && in.Authorized && in.Owner {
			return handleAdmin(ctx, Command{Name: Bash, Args: t}, in)
		}
	}
	if ok && in.TextOff && (in.Native == nil || !in.Native(string(c.Name))) {
		return Result{}, nil
	}
	if !ok {
		if res, isSkill := skillCommand(ctx, in); isSkill {
			return res, nil
		}
	}
	if !ok {
		rest, trig := sessionreset.MatchTrigger(in.Text, in.ResetTriggers)
		if !trig || len(in.Text) > MaxCommandBytes {
			return Result{}, nil
		}
		c = Command{Name: New, Args: rest}
	}
	if !in.Authorized {
		return Result{Handled: true, Ignored: true}, nil
	}
	reply := func(s string) (Result, error) { return Result{Handled: true, Reply: s}, nil }
	switch c.Name {
	case New, Reset:
		if err := env.ResetSession(ctx, in.SessionKey); err != nil {
			return Result{}, fmt.Errorf("/%s: %w", c.Name, err)
		}
		if c.Args != "" {
			return Result{Handled: true, Continue: c.Args}, nil
		}
		return reply("✅ New session started.")
	case Stop:
		if n := env.AbortSession(in.SessionKey); n == 0 {
			return reply("⚙️ Nothing to stop: no run is active in this session.")
		}
		return reply("⚙️ Agent was aborted.")
	case Status:
		st, err := env.SessionState(ctx, in.SessionKey)
		if err != nil {
			return Result{}, fmt.Errorf("/status: %w", err)
		}
		return reply(FormatStatus(st, in.Now))
	case Help:
		return reply(HelpText)
	case Think:
		if c.Args == "" {
			st, err := env.SessionState(ctx, in.SessionKey)
			if err != nil {
				return Result{}, fmt.Errorf("/think: %w", err)
			}
			return reply("🧠 Current thinking level: " + orDefault(st.ThinkingLevel, "off") + ". Options: " + strings.Join(ThinkLevels, ", ") + ".")
		}
		lvl := strings.ToLower(c.Args)
		if !contains(ThinkLevels, lvl) {
			return reply(fmt.Sprintf("Unrecognized thinking level %q. Valid levels: %s.", c.Args, strings.Join(ThinkLevels, ", ")))
		}
		v, err := env.SetSession(ctx, in.SessionKey, SetThinking, lvl)
		if err != nil {
			return reply("❌ Thinking level not changed: " + err.Error() + ".")
		}
		return reply("🧠 Thinking level set to " + orDefault(v, "off") + " for this session.")
	case Verbose:
		if c.Args == "" {
			st, err := env.SessionState(ctx, in.SessionKey)
			if err != nil {
				return Result{}, fmt.Errorf("/verbose: %w", err)
			}
			return reply("Current verbose level: " + orDefault(st.VerboseLevel, "off") + ". Options: on, full, off.")
		}
		lvl := strings.ToLower(c.Args)
		if lvl != "on" && lvl != "off" && lvl != "full" {
			return reply(fmt.Sprintf("Unrecognized verbose level %q. Valid levels: on, full, off.", c.Args))
		}
		v, err := env.SetSession(ctx, in.SessionKey, SetVerbose, lvl)
		if err != nil {
			return reply("❌ Verbose level not changed: " + err.Error() + ".")
		}
		return reply("Verbose level set to " + orDefault(v, "off") + " for this session.")
	case Model:
		if c.Args == "" {
			st, err := env.SessionState(ctx, in.SessionKey)
			if err != nil {
				return Result{}, fmt.Errorf("/model: %w", err)
			}
			return reply("🧠 Current model: " + orUnknown(st.Model) + ". Change it with /model <provider/model>.")
		}
		v, err := env.SetSession(ctx, in.SessionKey, SetModel, c.Args)
		if na := (*ModelNotAllowed)(nil); errors.As(err, &na) {
			return reply(na.Error())
		}
		if err != nil {
			return reply("❌ Model not changed: " + err.Error() + ".")
		}
		if v == "" {
			return reply("🧠 This session uses the default model again.")
		}
		return reply("🧠 Model set to " + v + " for this session.")
	case Compact:
		res, err := env.CompactSession(ctx, in.SessionKey, c.Args)
		switch {
		case err != nil:
			return reply("⚙️ Compaction failed: " + err.Error())
		case !res.Compacted && res.Reason != "":
			return reply("⚙️ Compaction skipped: " + res.Reason)
		case !res.Compacted:
			return reply(fmt.Sprintf("⚙️ Nothing to compact (%d messages).", res.Kept))
		case res.Summarized && res.TokensBefore > 0 && res.TokensAfter > 0:
			return reply(fmt.Sprintf("⚙️ Compacted (%s → %s)", tokens(int64(res.TokensBefore)), tokens(int64(res.TokensAfter))))
		case res.Summarized:
			return reply("⚙️ Compacted")
		}
		return reply(fmt.Sprintf("⚙️ Compacted: the newest %d messages are kept.", res.Kept))
	case Approve:
		return approve(env, c.Args, in.SenderID)
	}
	return Result{}, nil
}

func approve(env Env, args, by string) (Result, error) {
	usage := "Usage: /approve <id> allow-once|allow-always|deny"
	f := strings.Fields(args)
	if len(f) != 2 {
		return Result{Handled: true, Reply: usage}, nil
	}
	d := Decision(strings.ToLower(f[1]))
	switch d {
	case AllowOnce, AllowAlways, Deny:
	case "allow", "once":
		d = AllowOnce
	case "always":
		d = AllowAlways
	case "reject", "block":
		d = Deny
	default:
		return Result{Handled: true, Reply: usage}, nil
	}
	if by == "" {
		by = "chat"
	}
	if err := env.ResolveApproval(f[0], d, by); err != nil {
		return Result{Handled: true, Reply: fmt.Sprintf("❌ Approval %s not resolved: %v.", f[0], err)}, nil
	}
	return Result{Handled: true, Reply: fmt.Sprintf("✅ Exec approval %s: %s.", f[0], d)}, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// HelpText is the /help answer: the commands this gateway answers itself.
const HelpText = "ℹ️ Help\n" +
	"Shortcuts: /new reset | /stop abort the running reply | /status session status\n" +
	"Options: /think <level> | /verbose on|full|off | /model <id> | /compact\n" +
	"Approvals: /approve <id> allow-once|allow-always|deny"

// FormatStatus renders /status in the original's layout: one line per topic, each
// led by its emoji — version, model, tokens and cost of the last run, context used of
// the window, session, options (runtime, thinking, verbose, reasoning) and queue.
func FormatStatus(st State, now time.Time) string {
	lines := []string{}
	v := "🦞 Clawdbot Gateway"
	if st.Version != "" {
		v += " " + st.Version
	}
	lines = append(lines, v)
	modelLine := "🧠 Model: " + orUnknown(st.Model)
	if st.ModelAuth != "" {
		modelLine += " · 🔑 " + st.ModelAuth
	}
	lines = append(lines, modelLine)
	usage := fmt.Sprintf("🧮 Tokens: %s in / %s out", tokens(st.InputTokens), tokens(st.OutputTokens))
	if st.HasCost {
		usage += " · 💵 Cost: " + usd(st.Cost)
	}
	lines = append(lines, usage)
	lines = append(lines, fmt.Sprintf("📚 Context: %s · %d messages · 🧹 Compactions: %d", contextUsage(st.ContextUsed, st.ContextWindow), st.Messages, st.Compactions))
	sess := "🧵 Session: " + st.SessionKey
	if !st.UpdatedAt.IsZero() {
		sess += " • updated " + ago(now.Sub(st.UpdatedAt))
	} else {
		sess += " • no activity"
	}
	lines = append(lines, sess)
	// This gateway has no sandbox: tools run directly on the host (the original's
	// "Runtime: direct").
	opts := []string{"Runtime: direct", "Think: " + orDefault(st.ThinkingLevel, "off")}
	switch st.VerboseLevel {
	case "full":
		opts = append(opts, "verbose:full")
	case "on":
		opts = append(opts, "verbose")
	}
	if st.ReasoningLevel != "" && st.ReasoningLevel != "off" {
		opts = append(opts, "Reasoning: "+st.ReasoningLevel)
	}
	lines = append(lines, "⚙️ "+strings.Join(opts, " · "))
	q := fmt.Sprintf("🪢 Queue: %s (depth %d", orUnknown(st.QueueMode), st.Queue.Waiting)
	if st.Queue.Running {
		q = fmt.Sprintf("🪢 Queue: %s (running · depth %d", orUnknown(st.QueueMode), st.Queue.Waiting)
	}
	if st.Queue.Cap >= 0 {
		q += fmt.Sprintf(" · cap %d", st.Queue.Cap)
	}
	lines = append(lines, q+")")
	return strings.Join(lines, "\n")
}

// contextUsage is "used/window (pct%)" as the original shows it: "?" for an unknown
// side, the percentage only when the window is known (capped at 999).
func contextUsage(used, window int64) string {
	w := "?"
	if window > 0 {
		w = tokens(window)
	}
	if used <= 0 {
		return "?/" + w
	}
	s := tokens(used) + "/" + w
	if window > 0 {
		s += fmt.Sprintf(" (%d%%)", min(999, int64(math.Round(float64(used)*100/float64(window)))))
	}
	return s
}

// usd formats a cost as the original: cents from one cent up, else four decimals.
func usd(v float64) string {
	if v >= 0.01 {
		return fmt.Sprintf("$%.2f", v)
	}
	return fmt.Sprintf("$%.4f", v)
}

// tokens formats a token count as the original does: 1234 → 1.2k, 12345 → 12k,
// 2500000 → 2.5m.
func tokens(n int64) string {
	switch {
	case n >= 1_000_000:
		return fmt.Sprintf("%.1fm", float64(n)/1e6)
	case n >= 10_000:
		return fmt.Sprintf("%.0fk", float64(n)/1e3)
	case n >= 1_000:
		return fmt.Sprintf("%.1fk", float64(n)/1e3)
	}
	return fmt.Sprint(max(n, 0))
}

func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d/time.Hour))
	}
	return fmt.Sprintf("%dd ago", int(d/(24*time.Hour)))
}
