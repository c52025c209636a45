// Package agent is the agent runtime: it runs model turns for the `agent`, `chat.send`
// and `wake` methods, for hooks and for inbound provider messages — through an Engine
// (a model provider and the tool loop: tool calls executed, results fed back, every
// step stored as a structured transcript entry) or, for CLI backends, a text-only
// backend.Backend; keeps their transcripts in the session store; streams `agent` and
// `chat` events; and delivers replies through a providers.Sender.
//
// Scheduling: one run per session at a time (later ones queue, bounded per session),
// at most MaxConcurrent runs executing across sessions, every run under a deadline.
// A run's id is its idempotency key: starting a run whose id is known returns that run
// (in flight or finished within FinishedTTL), so retries and concurrent duplicates never
// start a second upstream request.
package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/agent/backend"
	"github.com/clawgate/gateway/server/agent/commands"
	"github.com/clawgate/gateway/server/agent/llm"
	"github.com/clawgate/gateway/server/agent/pruning"
	"github.com/clawgate/gateway/server/agent/tools"
	"github.com/clawgate/gateway/server/agents"
	"github.com/clawgate/gateway/server/clock"
	"github.com/clawgate/gateway/server/envelope"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/sessionreset"
	"github.com/clawgate/gateway/server/sessions"
	"github.com/clawgate/gateway/server/tts"
	"github.com/clawgate/gateway/tools/protogen/runtime/rpc"
	"github.com/clawgate/gateway/tools/protogen/runtime/wire"
)

// Defaults and limits.
const (
	DefaultTimeout            = 600 * time.Second
	DefaultMaxConcurrent      = 1
	DefaultMaxQueuePerSession = 8
	DefaultQueueRetryAfter    = 2 * time.Second
	DefaultHistoryMessages    = 50
	DefaultMaxFinishedRuns    = 1000
	DefaultFinishedTTL        = 10 * time.Minute
	DefaultMaxActiveRuns      = 1000
	DefaultChatDeltaInterval  = 150 * time.Millisecond
	DefaultDeliverTimeout     = 30 * time.Second
	// HeartbeatPrompt is the prompt of a heartbeat turn (wake mode "now"): the model
	// sees the queued system notes in the main session's transcript before it.
	HeartbeatPrompt = "Heartbeat: read the latest system notes in this conversation and reply briefly if anything needs the user's attention."
)

// Channel names the runtime treats specially.
const (
	ChannelWebchat = "webchat"
	ChannelLast    = "last"
)

// Error codes of the wire (the schema's ErrorCode values).
const (
	CodeAgentTimeout = string(protocol.ErrorCodeAgentTimeout)
)

var (
	errAborted  = errors.New("run aborted")
	errTimeout  = errors.New("agent run timed out")
	errShutdown = errors.New("gateway shutting down")
)

// Options configure a Runtime.
type Options struct {
	// Backend runs text-only turns (CLI backends); Engine, when set, runs turns through
	// a model provider and the tool loop instead. One of them is required.
	Backend backend.Backend
	Engine  *Engine
	Store   *sessions.Store
	// Sender delivers replies (deliver, auto-reply); nil makes delivery fail clearly.
	Sender       providers.Sender
	SystemPrompt string
	// Prompt, when set, builds the whole system prompt of a run (the agent's workspace
	// files, skills) around instructions: the configured system prompt joined with the
	// request's extra one. An error keeps the instructions alone and is logged.
	Prompt func(ctx context.Context, sessionKey, instructions string) (string, error)
	// Model is reported as the sessions default model ("" = unknown).
	Model string
	// ModelRef is provider/model as configured, named by /status ("" = Model).
	ModelRef string
	MainKey  string // the main session's key (default "main")
	// GlobalScope puts inbound messages into the main session instead of one session per
	// sender (session.scope = "global").
	GlobalScope bool
	// Route, when set, names the session of an inbound message (bindings: the agent that
	// answers it and its per-agent session key); it replaces the per-sender default
	// and GlobalScope for inbound messages.
	Route func(m providers.Message) string
	// Broadcast, when it names sessions for m, sends m to each of them instead of
	// the one Route picks (the config's broadcast groups: one chat answered by several
	// agents, each in its own session, each reply delivered). sequential runs them one
	// after the other (broadcast.strategy "sequential"); otherwise all at once.
	Broadcast func(m providers.Message) (keys []string, sequential bool)
	// Agents lists the configured agents and the default one (agents.list); nil: the
	// one agent "main". The agent method's agentId and sessions.list's agentId are
	// checked against it; the default agent's sessions are under agent:main:.
	Agents func() (ids []string, def string)

	Timeout       time.Duration // default run deadline (agent.timeoutSeconds; 600 s)
	MaxConcurrent int           // runs executing at once (agent.maxConcurrent; 1)
	// SubagentMaxConcurrent bounds the sub-agent runs (sessions_spawn) executing at
	// once, apart from MaxConcurrent, as the original's subagent lane
	// (agents.defaults.subagents.maxConcurrent; DefaultSubagentMaxConcurrent).
	SubagentMaxConcurrent int
	// SubagentArchiveAfter is how long after its spawn a kept sub-agent session is
	// deleted (agents.defaults.subagents.archiveAfterMinutes; 0:
	// DefaultSubagentArchiveAfter, negative: never), timed on Clock.
	SubagentArchiveAfter time.Duration
	// MaxQueuePerSession bounds runs waiting behind a session's running one (default 8;
	// negative = unbounded, which is what agent.maxQueuePerSession = 0 means).
	MaxQueuePerSession int
	// QueueRetryAfter is the retryAfterMs hint of a refused run (default 2 s).
	QueueRetryAfter time.Duration
	// MaxActiveRuns bounds queued + running runs across sessions (default 1000).
	MaxActiveRuns int
	// HistoryMessages is how many transcript messages go to a CLI backend (default 50).
	HistoryMessages int
	// ContextMessages bounds the transcript messages read for a model provider's run
	// (default DefaultContextMessages); the context budget and compaction decide what
	// reaches the model.
	ContextMessages int
	// MaxFinishedRuns and FinishedTTL bound the finished-run cache that backs
	// idempotent retries and agent.wait (defaults 1000, 10 min).
	MaxFinishedRuns int
	FinishedTTL     time.Duration
	// ChatDeltaInterval throttles chat delta events per run (default 150 ms).
	ChatDeltaInterval time.Duration
	DeliverTimeout    time.Duration // one delivery attempt (default 30 s)
	// ReplyMedia gives the folders a delivered reply's local media (MEDIA: lines) may
	// come from, for a session; nil: local files are refused and only URLs go out.
	ReplyMedia func(sessionKey string) providers.ReplyMediaRoots
	// Speech speaks delivered replies (messages.tts.auto); nil: replies are text only.
	Speech *tts.Speaker
	// MaxHookSessions bounds the hook:* sessions (DefaultMaxHookSessions).
	MaxHookSessions int
	// Approvals resolves a pending exec approval for /approve (nil: the command
	// answers that approvals are not available).
	Approvals func(id, decision, resolvedBy string) error
	// Admin carries out the owner's chat commands (/config, /debug, /restart, bash);
	// nil: they answer that they are not available.
	Admin commands.Admin
	// CommandSurface, when set, tells for a channel's messages whether typed commands
	// are off (commands.text false on a surface with native commands) and which
	// commands are native there (the bot's command menu), which still work.
	CommandSurface func(channel, accountID string) (textOff bool, native func(name string) bool)
	// SkillCommands, when set, lists a session's user-invocable skills as chat
	// commands (/<skill> [input]).
	SkillCommands func(ctx context.Context, sessionKey string) []commands.SkillCommand
	// PingPongTurns, when set, is the live session.agentToAgent.maxPingPongTurns (nil:
	// DefaultPingPongTurns).
	PingPongTurns func() int
	// Version is reported by /status.
	Version string
	// QueueMode, when set, is messages.queue's mode for a channel's messages that
	// arrive while their session is busy (QueueCollect, QueueFollowup, QueueInterrupt;
	// "" = QueueCollect, the original's default).
	QueueMode func(channel string) string
	// QueueSettings, when set, is messages.queue's debounce, cap and drop policy for a
	// channel's messages that wait behind a busy run (nil: DefaultQueueSettings). Such
	// messages are bounded by the cap and its drop policy instead of
	// MaxQueuePerSession.
	QueueSettings func(channel string) QueueSettings
	// Clock times the queue debounce (clock.Real when nil): the window is read and
	// waited for on it alone, so tests drive it with a fake clock.
	Clock clock.Clock
	// Reset, when set, is the live session reset policy (session.reset and its
	// refinements, session.resetTriggers); nil: the defaults (daily at 04:00 local
	// time, /new and /reset).
	Reset func() *sessionreset.Config
	// SendPolicy, when set, is the live session.sendPolicy (sendpolicy.go); nil: only
	// sessions patched to sendPolicy "deny" take no runs.
	SendPolicy func() *SendPolicy
	// ResponsePrefix, when set, is messages.responsePrefix for a session's agent (""
	// none; "auto" already resolved to "[<identity name>]") and that agent's identity
	// name; channel replies start with it, its template variables filled (prefix.go).
	ResponsePrefix func(sessionKey string) (template, identityName string)
	// HistoryLimit, when set, is how many user turns of a session's transcript reach
	// the model (0: all): channels.<channel>.dmHistoryLimit for direct chats, the
	// run's channel account's own value first.
	HistoryLimit func(sessionKey, accountID string) int
	// Typing, when set, is the live session.typingMode ("" unset: typing.go picks by
	// chat) and typingIntervalSeconds (0: the provider's default) of channel replies.
	Typing func() (mode string, interval time.Duration)
	// Envelope, when set, is the live agents.defaults envelope settings; inbound
	// channel messages then reach the model behind the original's envelope header
	// (entry.go withEnvelope). nil: the bare text.
	Envelope func() envelope.Options
	// UserLocation, when set, is agents.defaults.userTimezone (nil: the host's zone),
	// named in the system prompt's "Current Date & Time" section.
	UserLocation func() *time.Location
	// ChannelPrompt, when set, is what the system prompt says about a run's channel
	// account (capabilities, reaction guidance), read live.
	ChannelPrompt func(channel, accountID string) ChannelPrompt

	// BlockStreaming, when set, is how a reply to a channel message goes out as
	// blocks while it is written (blockreply.go) for a session, channel and account;
	// nil from it: the reply goes whole at the end.
	BlockStreaming func(sessionKey, channel, accountID string) *BlockStreaming
	// Rand, when set, gives a random number in [0, n): the human delay between
	// blocks (math/rand/v2 when nil; tests fix it).
	Rand func(n int64) int64

	Now    func() time.Time
	Logger *slog.Logger
}

// summaryText is the message a queue overflow summary quotes.
func (r Request) summaryText() string {
	if r.Summary != "" {
		return r.Summary
	}
	return r.Message
}

// SenderInfo identifies the sender of an inbound message.
type SenderInfo struct {
	ID       string // E.164 (WhatsApp) or user id (Telegram)
	Name     string
	Username string // Telegram @username without the @
}

// Request starts one run.
type Request struct {
	// RunID is the idempotency key; required.
	RunID string
	// SessionKey is the canonical session; runs with a key produce chat events and
	// carry it on agent events. Empty: the run uses the main session's transcript and
	// emits agent events only.
	SessionKey string
	Message    string
	// Summary, when set, is Message as the sender wrote it (an inbound message
	// without its envelope header): queue overflow summaries quote it, as the
	// original quotes the raw body.
	Summary string
	// Images go with the prompt as image parts (chat.send / agent attachments, inbound
	// photos). They are stored in the transcript with the prompt while its body fits
	// the store's MaxBodyBytes (else a note replaces them there); this run always sends
	// them. Only engine runs (models.providers) send images.
	Images []llm.Part
	// Model, when set, is the model of this run only (agents.defaults.heartbeat.model):
	// a provider/model reference or alias that replaces the agent's default model; a
	// session's own override (sessions.patch) still wins.
	Model string
	// Ephemeral prompts (heartbeats) go to the model but not into the transcript.
	Ephemeral         bool
	ExtraSystemPrompt string
	// Owners are the channel account's configured allowFrom senders (inbound runs),
	// named in the system prompt's User Identity section.
	Owners  []string
	Timeout time.Duration // 0 = the runtime default
	// Deliver sends the reply through the Sender to Channel/To (never for webchat).
	Deliver bool
	// BestEffort delivery (chat.send): no route or no sender skips delivery, and a
	// failed delivery is logged instead of failing the run.
	BestEffort bool
	Channel    string // whatsapp | telegram | webchat | last ("" = last)
	To         string // "" = the session's last recipient
	AccountID  string
	// Sender is who wrote the inbound message the run answers (zero otherwise): the
	// elevated exec gate (tools.elevated.allowFrom) matches it.
	Sender SenderInfo
	Source string // agent | chat | inbound | wake | hook | openai (logs)
	// OnDelta, when set, receives each increment of streamed assistant text, in order,
	// from the goroutine running the turn, before the run finishes: the OpenAI-compatible
	// HTTP endpoints stream a run's answer to their caller through it. It must not block.
	OnDelta func(text string)
	// Group and Mentioned describe the channel message the run answers: a group
	// message that did not address the bot types only once the reply has text
	// (typing.go).
	Group, Mentioned bool
	// InboundAudio: the channel message the run answers was a voice note or audio
	// (messages.tts.auto "inbound").
	InboundAudio bool
	// MessageID is the channel message the run answers: what [[reply_to_current]]
	// threads the reply under ("" when none).
	MessageID string
}

// Status of a finished run.
const (
	StatusOK      = "ok"
	StatusError   = "error"
	StatusTimeout = "timeout"
	StatusAborted = "aborted"
)

// Outcome is how a run ended.
type Outcome struct {
	Status       string
	Text         string // the assistant's reply
	Err          string // error text (not ok)
	StartedAt    int64  // 0 when it never started (aborted while queued)
	EndedAt      int64
	Usage        *backend.Usage
	FinishReason string
	Delivered    *providers.Sent
	// Fallbacks are the model attempts that failed before one answered (or all of
	// them, when the run failed), with the reason of each.
	Fallbacks []llm.Attempt
}

// Run is one agent run.
type Run struct {
	ID         string
	SessionKey string // "" for runs without a session (no chat events)
	AcceptedAt int64

	rt      *Runtime
	laneKey string
	req     Request

	ready    chan struct{} // closed when Start finished registering it
	startErr error
	done     chan struct{} // closed when finished

	mu      sync.Mutex
	seq     int64
	text    string
	visible string // text as previews and chat deltas last showed it (visiblePartial)
	// fed is the visible text of the current step already given to Request.OnDelta;
	// it only grows within a step, so text hidden for a moment is never sent twice.
	fed       string
	promptSeq int64
	// collected are channel messages that queued behind a busy run and are answered
	// together by this one (messages.queue "collect"); collectedBy is the run that
	// answers a collected one; ownSeq is this run's own prompt once promptSeq has moved
	// to the last collected one. Set by pumpLocked under rt.mu.
	collected   []*Run
	collectedBy *Run
	ownSeq      int64
	channel     string
	to          string
	// stream shows the reply while it is written (a provider's ReplyStream; nil: the
	// reply is sent whole when the run ends).
	stream providers.ReplyStream
	// blocks streams the reply as blocks (nil: block streaming is off for the run).
	blocks    *blockPipe
	cancel    context.CancelCauseFunc
	aborted   bool
	lastDelta time.Time
	anyDelta  bool
	outcome   Outcome
	finished  time.Time
	// surfaceQ carries verbose and reasoning notes to the chat surface, in order
	// (surface.go); surfaceDone closes when they are all sent.
	surfaceQ    chan surfaceNote
	surfaceDone chan struct{}
	// queued marks a channel message that waited behind a busy run under
	// messages.queue (debounce, cap and drop apply to it); overflow is the drop
	// summarize note its turn's prompt starts with. Set under rt.mu.
	queued   bool
	overflow string
	// recovered is the outcome of an earlier run with this id found in the
	// transcript (a retry after a restart): Start returns it finished, runs nothing.
	recovered *Outcome
	// settled is set with outcome by emitEnd, before the final events are
	// broadcast (see Finished). Under mu.
	settled bool
}

// Done is closed when the run has finished.
func (r *Run) Done() <-chan struct{} { return r.done }

// Finished reports whether the run has finished: its outcome is recorded. That
// happens just before the final chat event goes out, so a client that sees the final
// and sends the same idempotencyKey again gets the outcome, never "in_flight".
func (r *Run) Finished() bool {
	r.mu.Lock()
	settled := r.settled
	r.mu.Unlock()
	if settled {
		return true
	}
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// Outcome is the run's result; valid once Finished reports true.
func (r *Run) Outcome() Outcome {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.outcome
}

type lane struct {
	running  *Run
	waiting  []*Run
	reserved int
	// reservedQueue counts the reservations of channel messages (queueSubject).
	reservedQueue int
	// lastQueued is when a channel message last queued here (the debounce window's
	// start); debounceStop stops the pending debounce timer (nil: none).
	lastQueued   time.Time
	debounceStop func()
	// droppedCount and summaryLines are what drop summarize dropped since the last
	// turn that reported it.
	droppedCount int
	summaryLines []string
}

func (l *lane) outstanding() int {
	n := len(l.waiting) + l.reserved
	if l.running != nil {
		n++
	}
	return n
}

// Runtime runs agent turns. Safe for concurrent use.
type Runtime struct {
	opts Options
	log  *slog.Logger
	host string // the machine's name, for the prompt's runtime line
	// model is what a config reload may change while runs go on (SetModel); a run
	// reads it once, when its turn starts.
	model atomic.Pointer[ModelConfig]
	emit  atomic.Pointer[func(...protocol.Event)]
	sem   chan struct{}
	// subSem is the sub-agent lane's slots (SubagentMaxConcurrent); subWaiting counts
	// sub-agent runs waiting for one.
	subSem     chan struct{}
	subWaiting atomic.Int64
	subs       subagents

	base   context.Context
	stop   context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	closed bool
	runs   map[string]*Run
	active int
	order  []*Run // finished runs, oldest first
	lanes  map[string]*lane
	// changed is closed and replaced whenever a run is registered (agent.wait for a
	// run that does not exist yet).
	changed chan struct{}
	// flushed is, per session, the compaction cycle its last memory flush ran in
	// (memflush.go): in memory only, so a restart allows one more flush per session.
	flushMu sync.Mutex
	flushed map[string]string
	// events are the system notes queued per session for its next inbound message
	// (sessionevents.go).
	events sessionEvents
	// pruneTimes remembers each session's last model request for cache-ttl context
	// pruning (agents.defaults.contextPruning): in memory only, like flushed.
	pruneTimes *pruning.Tracker
}

// ModelConfig is the part of the configuration a reload can change without a restart.
type ModelConfig struct {
	Backend      backend.Backend
	Engine       *Engine // wins over Backend when set
	Model        string  // reported as the sessions default model
	Ref          string  // provider/model as configured (reported by /status; "" = Model)
	SystemPrompt string
	Timeout      time.Duration // default run deadline; <= 0 keeps the current one
}

// SetModel applies a new agent configuration to runs that start from now on; runs
// already talking to the model finish on the one they started with.
func (rt *Runtime) SetModel(m ModelConfig) error {
	if m.Backend == nil && m.Engine == nil {
		return errors.New("agent: Backend or Engine is required")
	}
	if m.Timeout <= 0 {
		m.Timeout = rt.modelConfig().Timeout
	}
	rt.model.Store(&m)
	return nil
}

func (rt *Runtime) modelConfig() *ModelConfig { return rt.model.Load() }

// New builds a runtime.
func New(o Options) (*Runtime, error) {
	if o.Backend == nil && o.Engine == nil {
		return nil, errors.New("agent: Backend or Engine is required")
	}
	if o.Store == nil {
		return nil, errors.New("agent: Store is required")
	}
	if o.MainKey == "" {
		o.MainKey = "main"
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = DefaultMaxConcurrent
	}
	if o.SubagentMaxConcurrent <= 0 {
		o.SubagentMaxConcurrent = DefaultSubagentMaxConcurrent
	}
	if o.MaxQueuePerSession == 0 {
		o.MaxQueuePerSession = DefaultMaxQueuePerSession
	}
	if o.QueueRetryAfter <= 0 {
		o.QueueRetryAfter = DefaultQueueRetryAfter
	}
	if o.MaxActiveRuns <= 0 {
		o.MaxActiveRuns = DefaultMaxActiveRuns
	}
	if o.HistoryMessages <= 0 {
		o.HistoryMessages = DefaultHistoryMessages
	}
	if o.ContextMessages <= 0 {
		o.ContextMessages = DefaultContextMessages
	}
	if o.MaxFinishedRuns <= 0 {
		o.MaxFinishedRuns = DefaultMaxFinishedRuns
	}
	if o.FinishedTTL <= 0 {
		o.FinishedTTL = DefaultFinishedTTL
	}
	if o.MaxHookSessions <= 0 {
		o.MaxHookSessions = DefaultMaxHookSessions
	}
	if o.ChatDeltaInterval <= 0 {
		o.ChatDeltaInterval = DefaultChatDeltaInterval
	}
	if o.DeliverTimeout <= 0 {
		o.DeliverTimeout = DefaultDeliverTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	base, stop := context.WithCancel(context.Background())
	rt := &Runtime{
		opts: o, log: log, host: hostName(), sem: make(chan struct{}, o.MaxConcurrent),
		subSem: make(chan struct{}, o.SubagentMaxConcurrent),
		base:   base, stop: stop,
		runs: map[string]*Run{}, lanes: map[string]*lane{}, changed: make(chan struct{}),
		pruneTimes: pruning.NewTracker(o.Now),
	}
	rt.model.Store(&ModelConfig{Backend: o.Backend, Engine: o.Engine, Model: o.Model, Ref: o.ModelRef, SystemPrompt: o.SystemPrompt, Timeout: o.Timeout})
	return rt, nil
}

// SetBroadcast sets where events go (the running gateway's BroadcastAll); nil drops
// them, e.g. between in-process restarts. Events that arise together (an assistant
// delta and its chat delta, the lifecycle end and the chat final) come in one call,
// in order, so the gateway can hand them to each client in one write.
func (rt *Runtime) SetBroadcast(f func(evs ...protocol.Event)) {
	if f == nil {
		rt.emit.Store(nil)
		return
	}
	rt.emit.Store(&f)
}

// MainSessionKey is the canonical key of the main session.
func (rt *Runtime) MainSessionKey() string { return sessions.MainKey(rt.opts.MainKey) }

// agentSegment is the session-key segment of agent id (agent:<segment>:…): "main"
// for the default agent, the normalised id for another listed agent; ok is false for
// an agent that is not configured.
func (rt *Runtime) agentSegment(id string) (seg string, ok bool) {
	n := agents.NormalizeID(id)
	ids, def := []string{sessions.DefaultAgentID}, sessions.DefaultAgentID
	if rt.opts.Agents != nil {
		ids, def = rt.opts.Agents()
	}
	if n == def || (n == sessions.DefaultAgentID && !slices.Contains(ids, n)) {
		return sessions.DefaultAgentID, true
	}
	if slices.Contains(ids, n) {
		return n, true
	}
	return "", false
}

// Store is the session store.
func (rt *Runtime) Store() *sessions.Store { return rt.opts.Store }

// Close aborts every run and waits for them (bounded by ctx).
func (rt *Runtime) Close(ctx context.Context) error {
	rt.mu.Lock()
	rt.closed = true
	rt.mu.Unlock()
	rt.stop()
	// Runs held by the queue debounce start now and end at once (shutting down), so
	// the wait below covers them.
	rt.mu.Lock()
	for _, l := range rt.lanes {
		if l.debounceStop != nil {
			l.debounceStop()
			l.debounceStop = nil
			rt.pumpLocked(l)
		}
	}
	rt.mu.Unlock()
	done := make(chan struct{})
	go func() { rt.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("agent: runs still stopping: %w", ctx.Err())
	}
}

func (rt *Runtime) now() int64 { return rt.opts.Now().UnixMilli() }

func (rt *Runtime) broadcast(evs ...protocol.Event) {
	if f := rt.emit.Load(); f != nil {
		(*f)(evs...)
	}
}

// Lookup returns a known run (active or recently finished).
func (rt *Runtime) Lookup(id string) *Run {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.runs[id]
}

// Start registers a run and queues it on its session. When a run with the same id is
// known, it is returned with dup = true and nothing new starts. The prompt is
// committed to the transcript before Start returns.
func (rt *Runtime) Start(ctx context.Context, req Request) (run *Run, dup bool, err error) {
	if req.RunID == "" {
		return nil, false, protocol.ErrorCodeInvalidRequest.Errorf("idempotencyKey required")
	}
	if strings.TrimSpace(req.Message) == "" {
		return nil, false, protocol.ErrorCodeInvalidRequest.Errorf("message required")
	}
	if max := rt.opts.Store.MaxMessageBytes(); len(req.Message) > max {
		return nil, false, protocol.ErrorCodeInvalidRequest.Errorf("message too large: %d bytes, limit %d", len(req.Message), max)
	}
	laneKey := req.SessionKey
	if laneKey == "" {
		laneKey = rt.MainSessionKey()
	}
	rt.mu.Lock()
	if r := rt.runs[req.RunID]; r != nil {
		rt.mu.Unlock()
		select {
		case <-r.ready:
		case <-ctx.Done():
			return nil, false, ctx.Err()
		}
		if r.startErr != nil {
			return nil, false, r.startErr
		}
		return r, true, nil
	}
	if rt.closed {
		rt.mu.Unlock()
		return nil, false, &rpc.Error{Code: string(protocol.ErrorCodeUnavailable), Message: "agent runtime is shutting down", Retryable: true}
	}
	l := rt.lanes[laneKey]
	if l == nil {
		l = &lane{}
		rt.lanes[laneKey] = l
	}
	subject := queueSubject(req)
	var qs QueueSettings
	if subject {
		// A channel message is bounded by messages.queue.cap; drop "new" refuses it
		// here, before anything of it is stored (the others make room when it queues).
		qs = rt.queueSettings(req.Channel)
		if busy := l.running != nil || len(l.waiting) > 0; busy && qs.Drop == QueueDropNew && l.queuedCount()+l.reservedQueue >= qs.Cap {
			rt.mu.Unlock()
			rt.log.Warn("agent: message refused, session queue full", "run", req.RunID, "session", laneKey, "channel", req.Channel, "cap", qs.Cap, "drop", qs.Drop)
			return nil, false, rt.busy("session %s is busy: %d messages queued (messages.queue.cap %d, drop new)", laneKey, qs.Cap, qs.Cap)
		}
	} else if q := rt.opts.MaxQueuePerSession; q >= 0 && l.outstanding() >= 1+q {
		rt.mu.Unlock()
		return nil, false, rt.busy("session %s is busy: %d runs queued (limit %d)", laneKey, q, q)
	}
	if rt.active >= rt.opts.MaxActiveRuns {
		rt.mu.Unlock()
		return nil, false, rt.busy("agent is busy: %d runs active (limit %d)", rt.active, rt.opts.MaxActiveRuns)
	}
	r := &Run{ID: req.RunID, SessionKey: req.SessionKey, rt: rt, laneKey: laneKey, req: req, ready: make(chan struct{}), done: make(chan struct{})}
	rt.runs[r.ID] = r
	rt.active++
	l.reserved++
	if subject {
		l.reservedQueue++
	}
	rt.mu.Unlock()

	err = rt.prepare(ctx, r)

	rt.mu.Lock()
	l.reserved--
	if subject {
		l.reservedQueue--
	}
	if err != nil {
		delete(rt.runs, r.ID)
		rt.active--
		if l.outstanding() == 0 {
			delete(rt.lanes, laneKey)
		}
		r.startErr = err
		close(r.ready)
		rt.mu.Unlock()
		return nil, false, err
	}
	if rt.closed {
		// Close is waiting for the runs; none may start now.
		delete(rt.runs, r.ID)
		rt.active--
		if l.outstanding() == 0 {
			delete(rt.lanes, laneKey)
		}
		r.startErr = &rpc.Error{Code: string(protocol.ErrorCodeUnavailable), Message: "agent runtime is shutting down", Retryable: true}
		close(r.ready)
		rt.mu.Unlock()
		return nil, false, r.startErr
	}
	r.AcceptedAt = rt.now()
	if rec := r.recovered; rec != nil {
		// Finished before a restart: answer with that outcome, as for a cached run.
		if l.outstanding() == 0 {
			delete(rt.lanes, laneKey)
		}
		close(r.ready)
		close(rt.changed)
		rt.changed = make(chan struct{})
		rt.mu.Unlock()
		rt.finish(r, *rec)
		return r, true, nil
	}
	var dropped []*Run
	if subject && (l.running != nil || len(l.waiting) > 0) && rt.queueMode(req.Channel) != QueueInterrupt {
		// It waits behind a busy run: the debounce window restarts, and past the cap
		// the oldest waiting messages make room (drop old / summarize).
		r.queued = true
		l.lastQueued = rt.opts.Clock.Now()
		dropped = rt.dropForCapLocked(l, qs)
	}
	l.waiting = append(l.waiting, r)
	rt.pumpLocked(l)
	close(r.ready)
	close(rt.changed)
	rt.changed = make(chan struct{})
	rt.mu.Unlock()
	rt.endDropped(dropped, qs)
	rt.log.Debug("agent run accepted", "run", r.ID, "session", laneKey, "source", req.Source)
	return r, false, nil
}

func (rt *Runtime) busy(format string, args ...any) *rpc.Error {
	return &rpc.Error{Code: string(protocol.ErrorCodeUnavailable), Message: fmt.Sprintf(format, args...), Retryable: true, RetryAfterMs: rt.opts.QueueRetryAfter.Milliseconds()}
}

// prepare resolves delivery and commits the prompt to the transcript. A new session is
// created in the same transaction as its first prompt (one durable commit, not two);
// when no prompt is written the session is still created before prepare returns.
func (rt *Runtime) prepare(ctx context.Context, r *Run) (err error) {
	store := rt.opts.Store
	ss, err := store.Get(ctx, r.laneKey)
	missing := errors.Is(err, sessions.ErrNotFound)
	if err != nil && !missing {
		return fmt.Errorf("agent: session: %w", err)
	}
	// A session patched to sendPolicy "deny", or denied by session.sendPolicy, takes no
	// runs, as the original's agent and chat.send. Checked here, with the one read of
	// the session a start needs, not in a read of its own.
	if r.req.SessionKey != "" && rt.sendDenied(ss, r.laneKey, r.req.Channel) {
		return protocol.ErrorCodeInvalidRequest.Errorf("send blocked by session policy")
	}
	if missing {
		defer func() {
			if !missing {
				return // created by the prompt's commit
			}
			if _, eerr := store.Ensure(ctx, r.laneKey); eerr != nil && err == nil {
				err = fmt.Errorf("agent: session: %w", eerr)
			}
		}()
	}
	if r.req.Deliver {
		ch := r.req.Channel
		switch ch {
		case "", ChannelLast:
			ch = ss.LastChannel
			if ch == "" || ch == ChannelWebchat {
				ch = providers.WhatsApp
			}
		case providers.WhatsApp, providers.Telegram, ChannelWebchat:
		default:
			// Unknown names behave like last (§3.4).
			ch = ss.LastChannel
			if ch == "" || ch == ChannelWebchat {
				ch = providers.WhatsApp
			}
		}
		if ch != ChannelWebchat {
			to := r.req.To
			if to == "" {
				to = ss.LastTo
			}
			switch {
			case (to == "" || rt.opts.Sender == nil) && r.req.BestEffort:
				rt.log.Info("agent: reply not delivered", "run", r.ID, "session", r.laneKey, "recipient", to != "", "providers", rt.opts.Sender != nil)
			case to == "":
				return protocol.ErrorCodeInvalidRequest.Errorf("deliver: no recipient (give to, or use a session that has received a message)")
			case rt.opts.Sender == nil:
				return protocol.ErrorCodeUnavailable.Errorf("deliver: no messaging providers are running")
			default:
				r.channel, r.to = ch, to
			}
		}
	}
	// A retry of a run from before a restart (the finished-run cache is in memory only):
	// its prompt is not written twice, and a run that already ended ok is not run again.
	prior, err := store.RunMessages(ctx, r.laneKey, r.ID)
	if err != nil {
		return fmt.Errorf("agent: transcript: %w", err)
	}
	var prompt, reply *sessions.Message
	for i := range prior {
		switch {
		case prior[i].Role == "user":
			if prompt == nil {
				prompt = &prior[i]
			}
		case isFinalReply(prior[i]):
			reply = &prior[i]
		}
	}
	switch {
	case reply != nil:
		r.recovered = &Outcome{Status: StatusOK, Text: reply.Text, StartedAt: reply.Ts, EndedAt: reply.Ts}
		rt.log.Info("agent run already finished before a restart; not run again", "run", r.ID, "session", r.laneKey)
	case prompt != nil:
		// Accepted, then interrupted: run the committed prompt, don't add it again.
		r.promptSeq = prompt.Seq
		rt.log.Info("agent run resumed after a restart", "run", r.ID, "session", r.laneKey)
	case !r.req.Ephemeral:
		// Inbound channel messages were checked before their route was recorded.
		if !missing && r.req.Source != "inbound" {
			ch := r.req.Channel
			if ch == "" || ch == ChannelLast {
				ch = ss.LastChannel
				if r.req.Source == "chat" {
					ch = ChannelWebchat
				}
			}
			if err := rt.resetIfStale(ctx, r.laneKey, ss, ch, 1); err != nil {
				return err
			}
		}
		m, _, err := store.Append(ctx, r.laneKey, promptEntry(store, r.req, r.ID, rt.opts.Now()))
		if errors.Is(err, sessions.ErrTooLarge) {
			return protocol.ErrorCodeInvalidRequest.Errorf("%v", err)
		}
		if err != nil {
			return fmt.Errorf("agent: transcript: %w", err)
		}
		missing = false
		r.promptSeq = m.Seq
	default:
		if last, ok, err := store.LastMessage(ctx, r.laneKey); err == nil && ok {
			r.promptSeq = last.Seq
		}
	}
	return nil
}

// othersOnLane reports whether the session has runs running or queued besides the
// caller's own reservations.
func (rt *Runtime) othersOnLane(key string, own int) bool {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	l := rt.lanes[key]
	if l == nil {
		return false
	}
	n := l.outstanding() - own
	if l.running != nil && l.running.Finished() {
		n--
	}
	return n > 0
}

// resetConfig is the live reset policy.
func (rt *Runtime) resetConfig() *sessionreset.Config {
	if rt.opts.Reset != nil {
		if c := rt.opts.Reset(); c != nil {
			return c
		}
	}
	return &defaultReset
}

var defaultReset = sessionreset.FromConfig(nil)

// resetIfStale starts a new transcript for the session when the reset policy says it
// is due (the original's session freshness, checked when a message arrives, before
// anything of that message is stored): the message then opens the fresh transcript.
// channel is where the message came from (for session.resetByChannel). A session with
// another run in progress or queued is never reset under it; own is how many of the
// session's lane reservations the caller holds (1 inside Start, 0 before it).
func (rt *Runtime) resetIfStale(ctx context.Context, key string, ss sessions.Session, channel string, own int) error {
	if ss.UpdatedAt == 0 || ss.Messages == 0 || rt.othersOnLane(key, own) {
		return nil // nothing to start over from, or a run is using it
	}
	p := rt.resetConfig().Policy(sessionreset.TypeOf(key, ss.ChatType), channel)
	now := rt.opts.Now()
	stale, why := p.Stale(time.UnixMilli(ss.UpdatedAt).In(now.Location()), now)
	if !stale {
		return nil
	}
	if _, err := rt.opts.Store.Reset(ctx, key); err != nil {
		return fmt.Errorf("agent: session reset (%s): %w", why, err)
	}
	rt.log.Info("session started over by its reset policy", "session", key, "reason", why,
		"lastUsed", time.UnixMilli(ss.UpdatedAt).Format(time.RFC3339), "atHour", p.AtHour, "idleMinutes", p.IdleMinutes)
	return nil
}

// pumpLocked starts the lane's next run when none is running.
func (rt *Runtime) pumpLocked(l *lane) {
	if l.running != nil || len(l.waiting) == 0 {
		return
	}
	r := l.waiting[0]
	if rt.debounceLocked(l, r) {
		return
	}
	l.waiting = l.waiting[1:]
	if r.queued {
		l.takeOverflowLocked(r)
	}
	if rt.collects(r) {
		// Messages from the same chat that queued while the session was busy are
		// answered together: their prompts are in the transcript already, so this
		// run reads up to the last of them.
		for len(l.waiting) > 0 {
			x := l.waiting[0]
			if !rt.collectable(x) || len(x.req.Images) > 0 || x.channel != r.channel || x.to != r.to || x.req.AccountID != r.req.AccountID {
				break
			}
			l.waiting = l.waiting[1:]
			if r.ownSeq == 0 {
				r.ownSeq = r.promptSeq
			}
			r.collected = append(r.collected, x)
			x.collectedBy = r
			r.promptSeq = max(r.promptSeq, x.promptSeq)
		}
	}
	l.running = r
	rt.wg.Add(1)
	go rt.exec(r, l)
}

// Queue modes (messages.queue.mode): what happens to a channel message that arrives
// while its session is busy.
const (
	// QueueCollect: it waits, and all that waited from one chat are answered by one
	// turn when the session is free (the original's default).
	QueueCollect = "collect"
	// QueueFollowup: each waits for its own turn.
	QueueFollowup = "followup"
	// QueueInterrupt: the running turn is aborted and the new message runs.
	QueueInterrupt = "interrupt"
)

// queueMode is the mode for a channel's messages.
func (rt *Runtime) queueMode(channel string) string {
	if rt.opts.QueueMode != nil {
		if m := rt.opts.QueueMode(channel); m != "" {
			return m
		}
	}
	return QueueCollect
}

// collectable reports whether r is a channel message that may be answered together
// with others (not a resumed, aborted or ephemeral run).
func (rt *Runtime) collectable(r *Run) bool {
	if r.req.Source != "inbound" || r.req.Ephemeral || r.recovered != nil || r.promptSeq == 0 {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return !r.aborted
}

// collects reports whether r, about to run, gathers the messages queued behind it.
func (rt *Runtime) collects(r *Run) bool {
	return rt.collectable(r) && rt.queueMode(r.req.Channel) == QueueCollect
}

// imageSeq is the transcript entry r's own images belong to.
func (r *Run) imageSeq() int64 {
	if r.ownSeq != 0 {
		return r.ownSeq
	}
	return r.promptSeq
}

// exec runs r once it holds its session's turn.
func (rt *Runtime) exec(r *Run, l *lane) {
	defer rt.wg.Done()
	ctx, cancel := context.WithCancelCause(rt.base)
	defer cancel(nil)
	r.mu.Lock()
	r.cancel = cancel
	aborted := r.aborted
	r.mu.Unlock()
	if aborted {
		cancel(errAborted)
	}

	out := Outcome{}
	// Sub-agent runs take a slot of their own lane, so spawned work never starves the
	// sessions that spawned it (nor the other way round).
	sem := rt.sem
	if tools.IsSubagentSessionKey(r.laneKey) {
		sem = rt.subSem
		rt.subWaiting.Add(1)
	}
	acquired := func() {
		if sem == rt.subSem {
			rt.subWaiting.Add(-1)
		}
	}
	select {
	case sem <- struct{}{}:
		acquired()
		out = rt.turn(ctx, r)
		<-sem
	case <-ctx.Done():
		acquired()
		out = Outcome{Status: StatusAborted, Err: errAborted.Error(), EndedAt: rt.now()}
		if !errors.Is(context.Cause(ctx), errAborted) {
			out = Outcome{Status: StatusError, Err: errShutdown.Error(), EndedAt: rt.now()}
		}
		rt.emitEnd(r, out)
	}
	rt.finish(r, out)
	if len(r.collected) > 0 {
		// The collected messages were answered by r's reply; their runs end with its
		// outcome, without events of their own (the reply was shown and sent once).
		for _, x := range r.collected {
			rt.finish(x, out)
		}
		rt.log.Info("agent: queued messages answered together", "run", r.ID, "session", r.laneKey, "collected", len(r.collected))
	}

	rt.mu.Lock()
	l.running = nil
	rt.pumpLocked(l)
	if l.outstanding() == 0 && rt.lanes[r.laneKey] == l {
		delete(rt.lanes, r.laneKey)
	}
	rt.mu.Unlock()
}

// turn runs the model and settles the outcome (transcript, delivery, events).
func (rt *Runtime) turn(ctx context.Context, r *Run) Outcome {
	mc := rt.modelConfig()
	timeout := r.req.Timeout
	if timeout <= 0 {
		timeout = mc.Timeout
	}
	tctx, tcancel := context.WithTimeoutCause(ctx, timeout, errTimeout)
	defer tcancel()

	out := Outcome{StartedAt: rt.now()}
	rt.eventRaw(r, protocol.AgentEventStreamLifecycle, lifecycleData("start", out.StartedAt, 0, false, ""))

	if r.channel != "" {
		if o, ok := rt.opts.Sender.(replyOpener); ok {
			r.mu.Lock()
			typing, interval := rt.typing(r)
			r.stream = o.OpenReply(tctx, r.channel, providers.Outbound{To: r.to, AccountID: r.req.AccountID, Typing: typing, TypingInterval: interval})
			r.mu.Unlock()
		}
		if bs := rt.blockStreaming(r); bs != nil {
			r.mu.Lock()
			r.blocks = rt.newBlockPipe(r, *bs, r.stream)
			r.mu.Unlock()
		}
	}
	var (
		res    backend.Result
		err    error
		stored bool // the reply is already in the transcript (the loop stores as it goes)
		// statsDone is the run stats committed with the final reply (nil: none yet).
		statsDone *sessions.RunStats
	)
	if mc.Engine != nil {
		var lr loopResult
		lr, err = rt.runLoop(tctx, r, mc)
		res = backend.Result{Text: lr.text, FinishReason: lr.stop, Usage: lr.usage}
		if err == nil && lr.reasoning != "" && rt.reasoningShown(tctx, r) {
			rt.surfaceBlock(r, formatReasoning(lr.reasoning))
		}
		out.Fallbacks, out.Usage, stored, statsDone = lr.attempts, lr.usage, true, lr.final
	} else {
		var msgs []backend.Message
		msgs, err = rt.messages(tctx, r, mc.SystemPrompt)
		if err == nil {
			res, err = mc.Backend.Run(tctx, backend.Request{Messages: msgs}, func(d backend.Delta) { rt.delta(r, d.Text) })
		}
	}
	// Verbose and reasoning notes reach the surface before the reply does.
	rt.flushSurface(r)
	out.EndedAt = rt.now()
	r.mu.Lock()
	streamed := r.text
	r.mu.Unlock()
	switch cause := context.Cause(tctx); {
	case err == nil:
	case errors.Is(cause, errAborted):
		out.Status, out.Err, out.Text = StatusAborted, errAborted.Error(), streamed
	case errors.Is(cause, errTimeout):
		out.Status, out.Err, out.Text = StatusTimeout, fmt.Sprintf("agent run timed out after %s", timeout), streamed
	case rt.base.Err() != nil:
		out.Status, out.Err = StatusError, errShutdown.Error()
	default:
		out.Status, out.Err = StatusError, err.Error()
	}
	if out.Status == "" {
		out.Status, out.Text, out.Usage, out.FinishReason = StatusOK, res.Text, res.Usage, res.FinishReason
		if out.Text == "" && !stored {
			out.Text = streamed
		}
		// The reply is committed before anyone is told the run finished.
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		if !stored && strings.TrimSpace(out.Text) != "" {
			st := runStats(out.Usage, false, false)
			if _, _, err := rt.opts.Store.AppendFinal(sctx, r.laneKey, sessions.Message{Role: "assistant", Text: rt.opts.Store.Truncate(out.Text), RunID: r.ID}, st); err != nil {
				out.Status, out.Err = StatusError, fmt.Sprintf("transcript: %v", err)
			} else {
				statsDone = &st
			}
		}
		scancel()
		// A reply streamed as blocks is complete once the last block is out: it is
		// not sent again. After a failed block, what was not sent goes as the reply;
		// a final message that streamed no text (blocks of earlier steps only) goes
		// as usual.
		final := out.Text
		if blocks := r.blocks; blocks != nil && out.Status == StatusOK {
			blocks.finish()
			switch covered, failed, rest := blocks.outcome(); {
			case covered:
				final = ""
				out.Delivered = blocks.first
				rt.blocksDelivered(r)
			case failed:
				// The rest goes through the Sender: the stream showed blocks.
				final = rest
				rt.detachStream(r)
			}
		}
		// A silent reply (NO_REPLY) stays in the transcript and goes nowhere; an
		// open reply stream is aborted below, having shown nothing of it.
		if out.Status == StatusOK && r.channel != "" && strings.TrimSpace(final) != "" && !IsSilentReply(ParseReplyTags(final, "").Text) {
			// deliver finishes the reply stream when there is one.
			if sent, err := rt.deliver(r, final); err != nil && r.req.BestEffort {
				rt.log.Warn("agent: best-effort delivery failed", "run", r.ID, "err", err)
			} else if err != nil {
				out.Status, out.Err = StatusError, err.Error()
			} else if sent != nil {
				out.Delivered = sent
			}
		}
		if r.blocks != nil && r.blocks.first != nil {
			out.Delivered = r.blocks.first // the reply's first message was a block
		}
	}
	if r.blocks != nil {
		r.blocks.stop() // a failed run sends nothing more (no-op after finish)
	}
	r.mu.Lock()
	stream := r.stream
	r.stream = nil
	r.mu.Unlock()
	if stream != nil {
		stream.Abort() // the run ended without a delivered reply
	}
	// A run that ended without its final reply may have in-flight steps not yet synced
	// to disk (Store.AppendStep): this commit syncs them before the end is announced.
	// A run whose final reply was committed with these very stats (Store.AppendFinal)
	// needs no second commit.
	st := runStats(out.Usage, out.Status == StatusAborted, out.Status != StatusOK)
	if statsDone == nil || *statsDone != st {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := rt.opts.Store.FinishRun(sctx, r.laneKey, st); err != nil {
			rt.log.Warn("agent: recording run stats", "run", r.ID, "err", err)
		}
		scancel()
	}
	rt.emitEnd(r, out)
	return out
}

// messages builds the model request: system prompt, the transcript up to the run's
// prompt, and the prompt itself when it is ephemeral.
func (rt *Runtime) messages(ctx context.Context, r *Run, systemPrompt string) ([]backend.Message, error) {
	var msgs []backend.Message
	sys := rt.systemPrompt(ctx, r, systemPrompt)
	if sys != "" {
		msgs = append(msgs, backend.Message{Role: "system", Content: sys})
	}
	hist, err := rt.opts.Store.History(ctx, r.laneKey, rt.opts.HistoryMessages, r.promptSeq)
	if err != nil {
		return nil, err
	}
	for _, m := range hist {
		if m.Role == RoleCompaction {
			continue // summaries are made for model providers; a CLI backend keeps its own context
		}
		text := m.Text
		if r.overflow != "" && m.Seq == r.imageSeq() && m.Role == "user" {
			text = r.overflow + "\n\n" + text
		}
		msgs = append(msgs, backend.Message{Role: m.Role, Content: text})
	}
	if r.req.Ephemeral {
		msgs = append(msgs, backend.Message{Role: "user", Content: r.req.Message})
	}
	return msgs, nil
}

// replyOpener is a Sender that can stream replies (providers.Registry).
type replyOpener interface {
	OpenReply(ctx context.Context, channel string, m providers.Outbound) providers.ReplyStream
}

// deliver sends a finished reply to its channel: the text (through the reply stream
// when there is one) and the media its MEDIA: lines name. With media, the first file
// carries the text as its caption unless the stream already shows it. It returns nil
// when nothing was left to send (every file refused and no text).
func (rt *Runtime) deliver(r *Run, text string) (*providers.Sent, error) {
	body, refs := providers.SplitReplyMedia(text)
	// Reply tags never reach the chat; the message they name threads the reply
	// where the channel's replyToMode lets it.
	tags := ParseReplyTags(body, r.req.MessageID)
	body = tags.Text
	if IsSilentReply(body) {
		body = "" // a silent text with media: the files go alone
	}
	// [[audio_as_voice]] (the tts tool's answer, copied into the reply): its audio
	// goes as a voice note.
	asVoice := strings.Contains(body, tools.AudioAsVoiceTag)
	if asVoice {
		body = strings.TrimSpace(strings.ReplaceAll(body, tools.AudioAsVoiceTag, ""))
	}
	var voice []providers.Outbound
	if rt.opts.Speech != nil {
		// Speech has its own timeouts (messages.tts.timeoutMs); the delivery's
		// starts once the audio is there.
		sp := rt.opts.Speech.Apply(rt.base, tts.Reply{Text: body, Channel: r.channel, Kind: "final", InboundAudio: r.req.InboundAudio, HasMedia: len(refs) > 0})
		body = sp.Text
		if sp.AudioPath != "" {
			voice = append(voice, providers.Outbound{MediaPath: sp.AudioPath, AudioAsVoice: sp.Voice})
		}
	}
	ctx, cancel := context.WithTimeout(rt.base, rt.opts.DeliverTimeout)
	defer cancel()
	r.mu.Lock()
	stream := r.stream
	r.stream = nil
	r.mu.Unlock()
	if stream != nil && tags.ReplyTo != "" {
		providers.StreamReplyTo(stream, tags.ReplyTo)
	}
	body = withPrefix(rt.replyPrefix(r), body)
	// The spoken reply is the gateway's own file: it skips the safe-folder check.
	items := rt.replyMedia(r, refs)
	for i := range items {
		items[i].AudioAsVoice = asVoice
	}
	items = append(items, voice...)
	if len(items) == 0 {
		if strings.TrimSpace(body) == "" {
			if stream != nil {
				stream.Abort()
			}
			return nil, nil
		}
		var sent providers.Sent
		var err error
		if stream != nil {
			sent, err = stream.Finish(ctx, body)
		} else {
			sent, err = rt.opts.Sender.Send(ctx, r.channel, providers.Outbound{To: r.to, Text: body, AccountID: r.req.AccountID, ReplyTo: tags.ReplyTo})
		}
		if err != nil {
			return nil, fmt.Errorf("delivery to %s %s failed: %w", r.channel, r.to, err)
		}
		return &sent, nil
	}
	var first *providers.Sent
	if stream != nil {
		if providers.StreamShown(stream) && strings.TrimSpace(body) != "" {
			sent, err := stream.Finish(ctx, body)
			if err != nil {
				return nil, fmt.Errorf("delivery to %s %s failed: %w", r.channel, r.to, err)
			}
			first, body = &sent, ""
		} else {
			stream.Abort()
		}
	}
	replyTo := tags.ReplyTo
	if first != nil {
		replyTo = "" // the streamed text already answered under the message
	}
	sent, err := providers.SendWithMedia(ctx, rt.opts.Sender, r.channel, providers.Outbound{To: r.to, AccountID: r.req.AccountID, ReplyTo: replyTo}, body, items, rt.log.With("run", r.ID))
	if first == nil {
		first = sent
		if sent != nil && stream != nil {
			providers.StreamDelivered(ctx, stream) // the stream was aborted before the files went
		}
	}
	if first == nil && err != nil {
		return nil, fmt.Errorf("delivery to %s %s failed: %w", r.channel, r.to, err)
	}
	if err != nil {
		rt.log.Warn("agent: reply text not delivered after its media", "run", r.ID, "err", err)
	}
	return first, nil
}

// replyMedia vets a reply's media refs against the session's safe folders
// (Options.ReplyMedia; none: local files are refused).
func (rt *Runtime) replyMedia(r *Run, refs []string) []providers.Outbound {
	if len(refs) == 0 {
		return nil
	}
	var roots providers.ReplyMediaRoots
	if rt.opts.ReplyMedia != nil {
		roots = rt.opts.ReplyMedia(r.laneKey)
	}
	return providers.ReplyMediaItems(refs, roots, rt.log.With("run", r.ID))
}

// delta records streamed text: an assistant event per delta (cumulative text) and a
// chat delta at most once per ChatDeltaInterval.
func (rt *Runtime) delta(r *Run, inc string) {
	if inc == "" {
		return
	}
	r.mu.Lock()
	text := r.text + inc
	r.mu.Unlock()
	rt.textDelta(r, text, inc, encodeData(map[string]any{"text": text, "delta": inc}))
}

// textDelta emits the assistant event of a text increment (data carries text, the
// step's text so far) and, at most once per ChatDeltaInterval, a chat delta with it;
// a delivered run's reply stream (typing, partial edits) follows the same text.
//
// The chat delta goes out in the same broadcast as its assistant event: one write per
// client for both, in the same order and with the same seqs as two broadcasts.
//
// What people see is the visible text (visiblePartial): reply tags removed, and
// nothing of a silent reply or of a tag still being written. The assistant event then
// carries that text too (and a delta against the text it carried before), as the
// original's does, and Request.OnDelta gets the visible increments only: inc is the
// raw increment, equal to text at the first delta of a step.
func (rt *Runtime) textDelta(r *Run, text, inc string, data json.RawMessage) {
	now := rt.opts.Now()
	visible := visiblePartial(text)
	tags := ParseReplyTags(text, r.req.MessageID)
	r.mu.Lock()
	r.text = text
	if text == inc {
		r.fed = "" // a new step: its text starts over
	}
	fedInc := ""
	if len(visible) > len(r.fed) && strings.HasPrefix(visible, r.fed) {
		fedInc, r.fed = visible[len(r.fed):], visible
	}
	stream, blocks := r.stream, r.blocks
	if visible != text {
		delta := ""
		if strings.HasPrefix(visible, r.visible) {
			delta = visible[len(r.visible):]
		}
		data = encodeData(map[string]any{"text": visible, "delta": delta})
	}
	r.visible = visible
	r.seq++
	seq := r.seq
	send := r.SessionKey != "" && visible != "" && (!r.anyDelta || now.Sub(r.lastDelta) >= rt.opts.ChatDeltaInterval)
	if send {
		r.anyDelta, r.lastDelta = true, now
	}
	r.mu.Unlock()
	if r.req.OnDelta != nil && fedInc != "" {
		r.req.OnDelta(fedInc)
	}
	ev := &AgentEvent{RunID: r.ID, Seq: seq, Stream: protocol.AgentEventStreamAssistant, Ts: now.UnixMilli(), SessionKey: r.SessionKey, Data: data}
	if send {
		rt.broadcast(ev, &protocol.ChatEvent{RunID: r.ID, SessionKey: r.SessionKey, Seq: seq, State: protocol.ChatEventStateDelta, Message: chatMessage(visible, now.UnixMilli())})
	} else {
		rt.broadcast(ev)
	}
	if blocks != nil {
		// The reply goes out as blocks: they are its preview.
		blocks.text(text, inc)
	}
	if stream != nil {
		ctx, cancel := context.WithTimeout(rt.base, rt.opts.DeliverTimeout)
		preview := providers.ReplyPreview(visible) // MEDIA: lines are not shown as text
		if tags.ReplyTo != "" && blocks == nil {
			// Before the first preview message goes out: it is the one threaded.
			providers.StreamReplyTo(stream, tags.ReplyTo)
		}
		rt.startTyping(r, stream, preview, false)
		if strings.TrimSpace(preview) != "" && blocks == nil {
			stream.Update(ctx, preview)
		}
		cancel()
	}
}

// event broadcasts one agent event with the run's next seq and returns the seq.
func (rt *Runtime) event(r *Run, stream protocol.AgentEventStream, data map[string]any) int64 {
	return rt.eventRaw(r, stream, encodeData(data))
}

// eventRaw is event with data already encoded (a JSON object).
func (rt *Runtime) eventRaw(r *Run, stream protocol.AgentEventStream, data json.RawMessage) int64 {
	r.mu.Lock()
	r.seq++
	seq := r.seq
	r.mu.Unlock()
	rt.broadcast(&AgentEvent{RunID: r.ID, Seq: seq, Stream: stream, Ts: rt.now(), SessionKey: r.SessionKey, Data: data})
	return seq
}

// emitEnd sends the lifecycle end/error event and the matching chat event, in one
// broadcast (one write per client).
func (rt *Runtime) emitEnd(r *Run, out Outcome) {
	var data json.RawMessage
	switch out.Status {
	case StatusOK, StatusAborted:
		data = lifecycleData("end", out.StartedAt, out.EndedAt, out.Status == StatusAborted, "")
	default:
		data = lifecycleData("error", out.StartedAt, out.EndedAt, false, out.Err)
	}
	r.mu.Lock()
	r.seq++
	seq := r.seq
	r.outcome = out
	r.settled = true
	r.mu.Unlock()
	end := &AgentEvent{RunID: r.ID, Seq: seq, Stream: protocol.AgentEventStreamLifecycle, Ts: rt.now(), SessionKey: r.SessionKey, Data: data}
	if r.SessionKey == "" {
		rt.broadcast(end)
		return
	}
	ev := &protocol.ChatEvent{RunID: r.ID, SessionKey: r.SessionKey, Seq: seq}
	switch out.Status {
	case StatusOK:
		ev.State = protocol.ChatEventStateFinal
		// As the original: the final shows the reply without its reply tags, and a
		// silent reply carries no message at all.
		if t := VisibleReply(out.Text); strings.TrimSpace(t) != "" {
			ev.Message = chatMessage(t, out.EndedAt)
		}
		if out.Usage != nil {
			ev.Usage = usageData(out.Usage)
		}
		if out.FinishReason != "" {
			fr := out.FinishReason
			ev.StopReason = &fr
		}
	case StatusAborted:
		ev.State = protocol.ChatEventStateAborted
	default:
		ev.State = protocol.ChatEventStateError
		msg := out.Err
		ev.ErrorMessage = &msg
	}
	rt.broadcast(end, ev)
}

// finish records the outcome, wakes waiters and trims the finished-run cache.
func (rt *Runtime) finish(r *Run, out Outcome) {
	r.mu.Lock()
	r.outcome = out
	r.finished = rt.opts.Now()
	r.mu.Unlock()
	rt.mu.Lock()
	rt.active--
	rt.order = append(rt.order, r)
	rt.pruneLocked()
	rt.mu.Unlock()
	close(r.done)
	rt.log.Info("agent run finished", "run", r.ID, "session", r.laneKey, "status", out.Status, "source", r.req.Source, "err", out.Err)
}

func (rt *Runtime) pruneLocked() {
	cut := rt.opts.Now().Add(-rt.opts.FinishedTTL)
	n := 0
	for n < len(rt.order) && (len(rt.order)-n > rt.opts.MaxFinishedRuns || rt.order[n].finished.Before(cut)) {
		if rt.runs[rt.order[n].ID] == rt.order[n] {
			delete(rt.runs, rt.order[n].ID)
		}
		n++
	}
	// Drop the pruned prefix without copying the rest: the slice's start moves on and
	// append reallocates (copying only the live runs) once its capacity runs out, so
	// a finish at steady state allocates nothing; the pruned slots are cleared so
	// their runs can be collected meanwhile.
	clear(rt.order[:n])
	rt.order = rt.order[n:]
}

// Abort aborts the session's runs: the one with runID, or all of them when runID is
// "". A run of another session is an INVALID_REQUEST. It returns the aborted ids.
func (rt *Runtime) Abort(sessionKey, runID string) ([]string, error) {
	rt.mu.Lock()
	var targets []*Run
	if runID != "" {
		r := rt.runs[runID]
		if r == nil || r.Finished() {
			rt.mu.Unlock()
			return []string{}, nil
		}
		if r.laneKey != sessionKey {
			rt.mu.Unlock()
			return nil, protocol.ErrorCodeInvalidRequest.Errorf("runId does not match sessionKey")
		}
		targets = append(targets, r)
		if h := r.collectedBy; h != nil {
			targets = append(targets, h) // its answer is the collecting run's
		}
	} else if l := rt.lanes[sessionKey]; l != nil {
		if l.running != nil {
			targets = append(targets, l.running)
		}
		targets = append(targets, l.waiting...)
	}
	// Queued runs leave their queue now; running ones are cancelled.
	var dequeued []*Run
	if l := rt.lanes[sessionKey]; l != nil {
		keep := l.waiting[:0]
		for _, w := range l.waiting {
			if contains(targets, w) {
				dequeued = append(dequeued, w)
				continue
			}
			keep = append(keep, w)
		}
		l.waiting = keep
		if l.outstanding() == 0 {
			delete(rt.lanes, sessionKey)
		}
	}
	rt.mu.Unlock()
	ids := []string{}
	for _, r := range targets {
		r.mu.Lock()
		r.aborted = true
		cancel := r.cancel
		r.mu.Unlock()
		if cancel != nil {
			cancel(errAborted)
		}
		ids = append(ids, r.ID)
	}
	for _, r := range dequeued {
		out := Outcome{Status: StatusAborted, Err: errAborted.Error(), EndedAt: rt.now()}
		rt.emitEnd(r, out)
		rt.finish(r, out)
	}
	return ids, nil
}

func contains(rs []*Run, r *Run) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

// Active reports whether the session has a queued or running run. A run whose
// outcome is already settled (Done closed: transcript and stats written) no longer
// counts, though its lane is released a moment later: a caller that waited for Done
// (the heartbeat) must not find the session busy with its own finished turn.
func (rt *Runtime) Active(sessionKey string) bool {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	l := rt.lanes[sessionKey]
	if l == nil {
		return false
	}
	n := l.outstanding()
	if l.running != nil && l.running.Finished() {
		n--
	}
	return n > 0
}

// Wait waits up to timeout for the run to finish; it may not exist yet. ok is false
// when it did not finish in time.
func (rt *Runtime) Wait(ctx context.Context, runID string, timeout time.Duration) (Outcome, bool) {
	t := time.NewTimer(max(timeout, 0))
	defer t.Stop()
	for {
		rt.mu.Lock()
		r := rt.runs[runID]
		changed := rt.changed
		rt.mu.Unlock()
		if r != nil {
			select {
			case <-r.done:
				return r.Outcome(), true
			default:
			}
			if timeout <= 0 {
				return Outcome{}, false
			}
			select {
			case <-r.done:
				return r.Outcome(), true
			case <-t.C:
				return Outcome{}, false
			case <-ctx.Done():
				return Outcome{}, false
			}
		}
		if timeout <= 0 {
			return Outcome{}, false
		}
		select {
		case <-changed:
		case <-t.C:
			return Outcome{}, false
		case <-ctx.Done():
			return Outcome{}, false
		}
	}
}

// chatMessage is a chat event's message, {"content":[{"text":…,"type":"text"}],
// "role":"assistant","timestamp":…}, encoded by hand: it goes out with every chat
// delta, and a map through encoding/json cost more than the rest of the event.
func chatMessage(text string, ts int64) json.RawMessage {
	b := make([]byte, 0, len(text)+80)
	b = append(b, `{"content":[{"text":`...)
	b = wire.AppendString(b, text)
	b = append(b, `,"type":"text"}],"role":"assistant","timestamp":`...)
	b = strconv.AppendInt(b, ts, 10)
	return append(b, '}')
}

// usageData is a chat final's usage, {"input":…,"output":…,"total":…} (the keys in
// encoding/json's map order), encoded by hand: it goes out with every final.
func usageData(u *backend.Usage) json.RawMessage {
	b := make([]byte, 0, 64)
	b = append(b, `{"input":`...)
	b = strconv.AppendInt(b, u.PromptTokens, 10)
	b = append(b, `,"output":`...)
	b = strconv.AppendInt(b, u.CompletionTokens, 10)
	b = append(b, `,"total":`...)
	b = strconv.AppendInt(b, u.TotalTokens, 10)
	return append(b, '}')
}

// lifecycleData is a lifecycle event's data (keys in encoding/json's order):
// phase start (startedAt only), end or error (endedAt always, startedAt when the run
// started), aborted when set, and the error text for phase error.
func lifecycleData(phase string, startedAt, endedAt int64, aborted bool, errText string) json.RawMessage {
	b := make([]byte, 0, 96+len(errText))
	b = append(b, '{')
	if aborted {
		b = append(b, `"aborted":true,`...)
	}
	if phase != "start" {
		b = append(b, `"endedAt":`...)
		b = strconv.AppendInt(b, endedAt, 10)
		b = append(b, ',')
	}
	if phase == "error" {
		b = append(b, `"error":`...)
		b = wire.AppendString(b, errText)
		b = append(b, ',')
	}
	b = append(b, `"phase":`...)
	b = wire.AppendString(b, phase)
	if startedAt > 0 {
		b = append(b, `,"startedAt":`...)
		b = strconv.AppendInt(b, startedAt, 10)
	}
	return append(b, '}')
}

// encodeData encodes an event's data object (keys sorted, as encoding/json does for
// maps); a value that cannot be encoded becomes null instead of losing the event.
func encodeData(m map[string]any) json.RawMessage {
	if b, err := json.Marshal(m); err == nil {
		return b
	}
	out := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		b, err := json.Marshal(v)
		if err != nil {
			b = []byte("null")
		}
		out[k] = b
	}
	b, _ := json.Marshal(out)
	return b
}

// systemPrompt is the system prompt of r's turn: base joined with the request's extra
// prompt, inside the agent's persona (Options.Prompt) when there is one.
func (rt *Runtime) systemPrompt(ctx context.Context, r *Run, base string) string {
	sys := systemPrompt(base, r.req.ExtraSystemPrompt)
	if rt.opts.Prompt == nil {
		return sys
	}
	p, err := rt.opts.Prompt(ctx, r.laneKey, sys)
	if err != nil {
		rt.log.Warn("agent: system prompt from the workspace not built; using the configured one", "session", r.laneKey, "err", err)
		return sys
	}
	return p
}
