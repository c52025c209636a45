package heartbeat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/clawgate/gateway/server/clock"
)

// Limits of the runner.
const (
	// MaxQueuedEvents bounds the system events waiting for one agent's next turn (the
	// original's 20; the oldest is dropped).
	MaxQueuedEvents = 20
	// BusyRetry is when a heartbeat skipped because the session was busy is tried again.
	BusyRetry = time.Second
	// DuplicateWindow is how long the same delivered text is not delivered again.
	DuplicateWindow = 24 * time.Hour
	// PreviewChars bounds an event's preview.
	PreviewChars = 200
	// DefaultTurnTimeout bounds one heartbeat turn.
	DefaultTurnTimeout = 10 * time.Minute
)

// Targets.
const (
	TargetLast = "last"
	TargetNone = "none"
)

// Config is one agent's heartbeat (agents.defaults.heartbeat merged with the agent's
// override by the caller).
type Config struct {
	AgentID string
	// Every is the interval; <= 0 disables this agent's heartbeat.
	Every time.Duration
	// Target is "last" (default: the agent's last chat route), "none" (run, never
	// deliver) or a channel id (with To, or the last route's recipient on that channel).
	Target    string
	To        string
	AccountID string
	// Prompt replaces DefaultPrompt when not blank.
	Prompt      string
	ActiveHours *ActiveHours
	// AckMaxChars; nil = DefaultAckMaxChars.
	AckMaxChars      *int
	IncludeReasoning bool
	// Workspace is the agent's workspace directory (where HEARTBEAT.md lives); "" skips
	// the empty-file check.
	Workspace string
	// Model is the model heartbeat turns use (heartbeat.model; "" = the agent's).
	Model string
	// Session is the session heartbeat turns run in (heartbeat.session; "" = the
	// agent's main session). The Agent resolves it.
	Session string
}

// TurnOptions are a heartbeat turn's model and session (Config.Model, Config.Session).
type TurnOptions struct {
	Model   string
	Session string
}

// Route is where a message goes.
type Route struct {
	Channel   string
	To        string
	AccountID string
}

// Reply is a heartbeat turn's answer: its reply texts in order (reasoning texts start
// with "Reasoning:"), and whether it carried media.
type Reply struct {
	Texts    []string
	HasMedia bool
}

// Agent runs heartbeat turns.
type Agent interface {
	// Busy reports requests in flight in the agent's main session.
	Busy(agentID string) bool
	// Turn runs one turn with the prompt (queued system events already prepended by the
	// runner) in the agent's main session, or the one o.Session names, with o.Model
	// when set.
	Turn(ctx context.Context, agentID, prompt string, o TurnOptions) (Reply, error)
}

// Deliverer resolves routes and sends.
type Deliverer interface {
	// LastRoute is the agent's last chat route, false when it has none.
	LastRoute(ctx context.Context, agentID string) (Route, bool)
	Send(ctx context.Context, r Route, text string) error
}

// Event is a `heartbeat` event payload (the original's HeartbeatEventPayload).
type Event struct {
	Ts            int64  `json:"ts"`
	Status        string `json:"status"`
	To            string `json:"to,omitempty"`
	Preview       string `json:"preview,omitempty"`
	DurationMs    *int64 `json:"durationMs,omitempty"`
	HasMedia      *bool  `json:"hasMedia,omitempty"`
	Reason        string `json:"reason,omitempty"`
	Channel       string `json:"channel,omitempty"`
	Silent        *bool  `json:"silent,omitempty"`
	IndicatorType string `json:"indicatorType,omitempty"`
}

// Event statuses.
const (
	StatusSent    = "sent"
	StatusOKEmpty = "ok-empty"
	StatusOKToken = "ok-token"
	StatusSkipped = "skipped"
	StatusFailed  = "failed"
)

// EventSink receives heartbeat events (the gateway broadcasts them as `heartbeat`).
type EventSink interface{ HeartbeatEvent(Event) }

// Result is one run's outcome: Status "ran", "skipped" or "failed".
type Result struct {
	Status     string
	Reason     string
	DurationMs int64
}

// Busy reports a skip because the session had requests in flight.
func (r Result) Busy() bool { return r.Status == "skipped" && r.Reason == "requests-in-flight" }

// Options configure a Runner.
type Options struct {
	Clock     clock.Clock
	Agent     Agent
	Deliverer Deliverer
	Events    EventSink
	Logger    *slog.Logger
	Agents    []Config
	// DefaultAgentID receives wake notes (the wake method names no agent); default the
	// first configured agent, else "main".
	DefaultAgentID string
	// UserLocation is the user's zone (agents.defaults.userTimezone) for active hours.
	UserLocation *time.Location
	TurnTimeout  time.Duration
	// Visibility is what a channel (account) shows of heartbeats
	// (channels.<id>.heartbeat, accounts.<id>.heartbeat); nil: DefaultVisibility.
	Visibility func(channel, accountID string) Visibility
}

// Visibility is what a channel shows of heartbeats (the original's defaults in
// DefaultVisibility).
type Visibility struct {
	// ShowOk sends HEARTBEAT_OK to the target when the beat had nothing to say.
	ShowOk bool
	// ShowAlerts delivers a beat's message; off, the beat runs and is recorded as
	// skipped ("alerts-disabled").
	ShowAlerts bool
	// UseIndicator gives heartbeat events their indicatorType.
	UseIndicator bool
}

// DefaultVisibility: silent OKs, alerts shown, indicators on.
var DefaultVisibility = Visibility{ShowOk: false, ShowAlerts: true, UseIndicator: true}

type agentState struct {
	cfg      Config
	nextDue  time.Time
	lastRun  time.Time
	lastText string
	lastSent time.Time
}

type queued struct {
	text string
	ts   int64
}

// Runner runs the heartbeats of the configured agents.
type Runner struct {
	o   Options
	log *slog.Logger

	mu       sync.Mutex
	agents   map[string]*agentState
	order    []string
	enabled  bool
	last     *Event
	queues   map[string][]queued
	lastText map[string]string
	pending  string    // reason of a requested run ("" = none)
	retryAt  time.Time // busy retry of the pending request

	runMu  sync.Mutex // one heartbeat at a time
	poke   chan struct{}
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New returns a stopped runner; Start begins the interval timer.
func New(o Options) (*Runner, error) {
	if o.Agent == nil || o.Deliverer == nil {
		return nil, errors.New("heartbeat: Agent and Deliverer are required")
	}
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.UserLocation == nil {
		o.UserLocation = time.Local
	}
	if o.TurnTimeout <= 0 {
		o.TurnTimeout = DefaultTurnTimeout
	}
	r := &Runner{o: o, log: o.Logger.With("subsystem", "heartbeat"), enabled: true,
		queues: map[string][]queued{}, lastText: map[string]string{}, poke: make(chan struct{}, 1)}
	r.UpdateConfig(o.Agents)
	return r, nil
}

// UpdateConfig replaces the agents' configs (on config reload), keeping each agent's
// schedule: the next beat stays lastRun+every.
func (r *Runner) UpdateConfig(cfgs []Config) {
	now := r.o.Clock.Now()
	r.mu.Lock()
	prev := r.agents
	r.agents = map[string]*agentState{}
	r.order = r.order[:0]
	for _, c := range cfgs {
		if c.AgentID == "" {
			c.AgentID = "main"
		}
		if c.Every <= 0 {
			continue
		}
		st := &agentState{cfg: c}
		if p := prev[c.AgentID]; p != nil {
			st.lastRun, st.lastText, st.lastSent = p.lastRun, p.lastText, p.lastSent
			switch {
			case !p.lastRun.IsZero():
				st.nextDue = p.lastRun.Add(c.Every)
			case p.cfg.Every == c.Every && p.nextDue.After(now):
				st.nextDue = p.nextDue
			}
		}
		if st.nextDue.IsZero() {
			st.nextDue = now.Add(c.Every)
		}
		r.agents[c.AgentID] = st
		r.order = append(r.order, c.AgentID)
	}
	r.mu.Unlock()
	r.wake()
}

func (r *Runner) defaultAgent() string {
	if r.o.DefaultAgentID != "" {
		return r.o.DefaultAgentID
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.order) > 0 {
		return r.order[0]
	}
	return "main"
}

func (r *Runner) wake() {
	select {
	case r.poke <- struct{}{}:
	default:
	}
}

// SetEnabled is set-heartbeats: false skips every heartbeat (reason "disabled") until
// enabled again.
func (r *Runner) SetEnabled(on bool) {
	r.mu.Lock()
	r.enabled = on
	r.mu.Unlock()
	r.wake()
}

// Enabled reports the set-heartbeats switch.
func (r *Runner) Enabled() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.enabled
}

// Last is last-heartbeat: the most recent heartbeat event, nil before the first.
func (r *Runner) Last() *Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last == nil {
		return nil
	}
	e := *r.last
	return &e
}

// Enqueue queues a system event for the agent's next turn ("" = default agent);
// consecutive duplicates are dropped and at most MaxQueuedEvents are kept.
func (r *Runner) Enqueue(agentID, text string) {
	text = strings.TrimSpace(text)
	if text == "" {
		return
	}
	if agentID == "" {
		agentID = r.defaultAgent()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lastText[agentID] == text {
		return
	}
	r.lastText[agentID] = text
	q := append(r.queues[agentID], queued{text: text, ts: r.o.Clock.Now().UnixMilli()})
	if len(q) > MaxQueuedEvents {
		q = q[len(q)-MaxQueuedEvents:]
	}
	r.queues[agentID] = q
}

// Drain takes the queued system events of an agent (for the lead to prepend to any turn
// of the main session, as the original does).
func (r *Runner) Drain(agentID string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	q := r.queues[agentID]
	delete(r.queues, agentID)
	delete(r.lastText, agentID)
	out := make([]string, len(q))
	for i, e := range q {
		out[i] = e.text
	}
	return out
}

// Wake is the wake method: queue text for the default agent; mode "now" also asks for a
// heartbeat right away (delivered as any heartbeat), "next-heartbeat" leaves it for the
// next beat. It reports false (nothing queued) for blank text.
func (r *Runner) Wake(mode, text string) bool {
	if strings.TrimSpace(text) == "" {
		return false
	}
	r.Enqueue("", text)
	if mode == "now" {
		r.RequestNow("wake")
	}
	return true
}

// RequestNow asks for a heartbeat of every agent as soon as possible (requests coalesce;
// a busy session is retried after BusyRetry).
func (r *Runner) RequestNow(reason string) {
	if reason == "" {
		reason = "requested"
	}
	r.mu.Lock()
	if r.pending == "" {
		r.pending = reason
	}
	r.retryAt = time.Time{}
	r.mu.Unlock()
	r.wake()
}

// Start runs the timer until Stop or ctx ends.
func (r *Runner) Start(ctx context.Context) {
	ctx, r.cancel = context.WithCancel(ctx)
	r.wg.Add(1)
	go r.loop(ctx)
}

// Stop ends the timer and waits for a run in flight.
func (r *Runner) Stop() {
	if r.cancel != nil {
		r.cancel()
	}
	r.wg.Wait()
}

func (r *Runner) loop(ctx context.Context) {
	defer r.wg.Done()
	for {
		now := r.o.Clock.Now()
		r.mu.Lock()
		var at time.Time
		for _, st := range r.agents {
			if at.IsZero() || st.nextDue.Before(at) {
				at = st.nextDue
			}
		}
		if r.pending != "" {
			at = now
			if !r.retryAt.IsZero() {
				at = r.retryAt
			}
		}
		r.mu.Unlock()
		var fire <-chan time.Time
		var t clock.Timer
		if !at.IsZero() {
			t = clock.NewTimerAt(r.o.Clock, at)
			fire = t.C()
		}
		select {
		case <-ctx.Done():
			if t != nil {
				t.Stop()
			}
			return
		case <-r.poke:
			if t != nil {
				t.Stop()
			}
		case <-fire:
			r.tick(ctx)
		}
	}
}

// tick runs what is due: a requested run of every agent, or the interval beats.
func (r *Runner) tick(ctx context.Context) {
	r.mu.Lock()
	reason := r.pending
	r.pending, r.retryAt = "", time.Time{}
	order := append([]string(nil), r.order...)
	r.mu.Unlock()
	interval := reason == ""
	if interval {
		reason = "interval"
	}
	now := r.o.Clock.Now()
	for _, id := range order {
		r.mu.Lock()
		st := r.agents[id]
		due := st != nil && !now.Before(st.nextDue)
		r.mu.Unlock()
		if st == nil || (interval && !due) {
			continue
		}
		res := r.RunOnce(ctx, id, reason)
		if res.Busy() {
			r.mu.Lock()
			if r.pending == "" {
				r.pending = reason
			}
			r.retryAt = r.o.Clock.Now().Add(BusyRetry)
			r.mu.Unlock()
			return
		}
		// Whatever the outcome (ran, quiet hours, switched off), this beat is spent: the
		// next one is an interval later (never a tight loop on a skipped beat).
		r.mu.Lock()
		if s := r.agents[id]; s != nil && !s.nextDue.After(now) {
			s.nextDue = now.Add(s.cfg.Every)
		}
		r.mu.Unlock()
	}
}

func (r *Runner) emit(e Event) {
	e.Ts = r.o.Clock.Now().UnixMilli()
	r.mu.Lock()
	ev := e
	r.last = &ev
	r.mu.Unlock()
	if r.o.Events != nil {
		r.o.Events.HeartbeatEvent(e)
	}
}

func preview(s string) string {
	if utf8.RuneCountInString(s) <= PreviewChars {
		return s
	}
	return string([]rune(s)[:PreviewChars])
}

func indicator(status string) string {
	switch status {
	case StatusOKEmpty, StatusOKToken:
		return "ok"
	case StatusSent:
		return "alert"
	case StatusFailed:
		return "error"
	}
	return ""
}

// resolveTarget picks the delivery route; ok=false with a reason when there is none.
func (r *Runner) resolveTarget(ctx context.Context, c Config) (Route, string) {
	target := strings.ToLower(strings.TrimSpace(c.Target))
	if target == "" {
		target = TargetLast
	}
	if target == TargetNone {
		return Route{}, "target-none"
	}
	last, ok := r.o.Deliverer.LastRoute(ctx, c.AgentID)
	if target == TargetLast {
		if !ok || last.Channel == "" || last.To == "" {
			return Route{}, "no-target"
		}
		if c.To != "" {
			last.To = c.To
		}
		return last, ""
	}
	rt := Route{Channel: target, To: strings.TrimSpace(c.To), AccountID: c.AccountID}
	if rt.To == "" && ok && last.Channel == target {
		rt.To, rt.AccountID = last.To, last.AccountID
	}
	if rt.To == "" {
		return rt, "no-target"
	}
	return rt, ""
}

// RunOnce runs one agent's heartbeat now, whatever its schedule, and records it (the
// agent's next beat is every from now). Skips: set-heartbeats off or the agent has no
// heartbeat ("disabled"), outside active hours ("quiet-hours"), the session busy
// ("requests-in-flight"), HEARTBEAT.md without tasks and nothing queued
// ("empty-heartbeat-file").
func (r *Runner) RunOnce(ctx context.Context, agentID, reason string) Result {
	if agentID == "" {
		agentID = r.defaultAgent()
	}
	r.mu.Lock()
	st := r.agents[agentID]
	enabled := r.enabled
	r.mu.Unlock()
	if !enabled || st == nil {
		return Result{Status: "skipped", Reason: "disabled"}
	}
	c := st.cfg
	start := r.o.Clock.Now()
	if c.ActiveHours != nil && !c.ActiveHours.Contains(start, r.o.UserLocation) {
		return Result{Status: "skipped", Reason: "quiet-hours"}
	}
	if r.o.Agent.Busy(agentID) {
		return Result{Status: "skipped", Reason: "requests-in-flight"}
	}
	r.runMu.Lock()
	defer r.runMu.Unlock()
	defer func() {
		r.mu.Lock()
		if s := r.agents[agentID]; s != nil {
			s.lastRun = start
			s.nextDue = start.Add(s.cfg.Every)
		}
		r.mu.Unlock()
	}()
	dur := func() *int64 { d := r.o.Clock.Now().Sub(start).Milliseconds(); return &d }
	r.mu.Lock()
	hasQueued := len(r.queues[agentID]) > 0
	r.mu.Unlock()
	if c.Workspace != "" && !hasQueued {
		if b, err := os.ReadFile(filepath.Join(c.Workspace, FileName)); err == nil && EffectivelyEmpty(string(b)) {
			r.emit(Event{Status: StatusSkipped, Reason: "empty-heartbeat-file", DurationMs: dur()})
			return Result{Status: "skipped", Reason: "empty-heartbeat-file"}
		}
	}
	route, noTarget := r.resolveTarget(ctx, c)
	channel := ""
	if noTarget != "target-none" {
		channel = route.Channel
	}
	vis := DefaultVisibility
	if channel != "" && r.o.Visibility != nil {
		vis = r.o.Visibility(route.Channel, route.AccountID)
	}
	if !vis.ShowAlerts && !vis.ShowOk && !vis.UseIndicator {
		r.emit(Event{Status: StatusSkipped, Reason: "alerts-disabled", DurationMs: dur(), Channel: channel})
		return Result{Status: "skipped", Reason: "alerts-disabled"}
	}
	indicator := func(status string) string {
		if !vis.UseIndicator {
			return ""
		}
		return indicator(status)
	}
	// sendOK sends HEARTBEAT_OK when the channel shows OKs; it reports whether it did.
	sendOK := func() bool {
		if !vis.ShowOk || noTarget != "" || route.To == "" {
			return false
		}
		if err := r.o.Deliverer.Send(ctx, route, Token); err != nil {
			r.log.Warn("heartbeat OK not delivered", "channel", route.Channel, "err", err)
			return false
		}
		return true
	}
	prompt := strings.TrimSpace(c.Prompt)
	if prompt == "" {
		prompt = DefaultPrompt
	}
	if events := r.Drain(agentID); len(events) > 0 {
		lines := make([]string, len(events))
		for i, e := range events {
			lines[i] = "System: " + e
		}
		prompt = strings.Join(lines, "\n") + "\n\n" + prompt
	}
	tctx, cancel := context.WithTimeout(ctx, r.o.TurnTimeout)
	reply, err := r.o.Agent.Turn(tctx, agentID, prompt, TurnOptions{Model: c.Model, Session: c.Session})
	cancel()
	fail := func(err error) Result {
		r.emit(Event{Status: StatusFailed, Reason: err.Error(), DurationMs: dur(), Channel: channel, IndicatorType: indicator(StatusFailed)})
		r.log.Error("heartbeat failed", "agentId", agentID, "err", err)
		return Result{Status: "failed", Reason: err.Error()}
	}
	if err != nil {
		return fail(err)
	}
	main := ""
	for i := len(reply.Texts) - 1; i >= 0; i-- {
		if strings.TrimSpace(reply.Texts[i]) != "" {
			main = reply.Texts[i]
			break
		}
	}
	var reasoning []string
	if c.IncludeReasoning {
		for _, t := range reply.Texts {
			if t != main && strings.HasPrefix(strings.TrimLeft(t, " \t\n"), "Reasoning:") {
				reasoning = append(reasoning, t)
			}
		}
	}
	ran := func() Result { return Result{Status: "ran", DurationMs: *dur()} }
	if strings.TrimSpace(main) == "" && !reply.HasMedia {
		silent := !sendOK()
		r.emit(Event{Status: StatusOKEmpty, Reason: reason, DurationMs: dur(), Channel: channel, Silent: &silent, IndicatorType: indicator(StatusOKEmpty)})
		return ran()
	}
	ack := DefaultAckMaxChars
	if c.AckMaxChars != nil {
		ack = max(*c.AckMaxChars, 0)
	}
	sr := StripToken(main, ModeHeartbeat, ack)
	skipMain := sr.ShouldSkip && !reply.HasMedia
	if skipMain && len(reasoning) == 0 {
		silent := !sendOK()
		r.emit(Event{Status: StatusOKToken, Reason: reason, DurationMs: dur(), Channel: channel, Silent: &silent, IndicatorType: indicator(StatusOKToken)})
		return ran()
	}
	text := sr.Text
	hasMedia := reply.HasMedia
	r.mu.Lock()
	dup := !skipMain && !hasMedia && strings.TrimSpace(st.lastText) != "" && strings.TrimSpace(text) == strings.TrimSpace(st.lastText) &&
		!st.lastSent.IsZero() && start.Sub(st.lastSent) < DuplicateWindow
	r.mu.Unlock()
	if dup {
		r.emit(Event{Status: StatusSkipped, Reason: "duplicate", Preview: preview(text), DurationMs: dur(), HasMedia: &hasMedia, Channel: channel})
		return ran()
	}
	pv := text
	if skipMain {
		pv = strings.Join(reasoning, "\n")
	}
	if noTarget != "" {
		r.emit(Event{Status: StatusSkipped, Reason: noTarget, Preview: preview(pv), DurationMs: dur(), HasMedia: &hasMedia})
		return ran()
	}
	if !vis.ShowAlerts {
		r.emit(Event{Status: StatusSkipped, Reason: "alerts-disabled", Preview: preview(pv), DurationMs: dur(), HasMedia: &hasMedia,
			Channel: route.Channel, IndicatorType: indicator(StatusSent)})
		return ran()
	}
	out := append([]string(nil), reasoning...)
	if !skipMain && text != "" {
		out = append(out, text)
	}
	for _, t := range out {
		if err := r.o.Deliverer.Send(ctx, route, t); err != nil {
			return fail(fmt.Errorf("deliver to %s: %w", route.Channel, err))
		}
	}
	if !skipMain && strings.TrimSpace(text) != "" {
		r.mu.Lock()
		if s := r.agents[agentID]; s != nil {
			s.lastText, s.lastSent = text, start
		}
		st.lastText, st.lastSent = text, start
		r.mu.Unlock()
	}
	r.emit(Event{Status: StatusSent, To: route.To, Preview: preview(pv), DurationMs: dur(), HasMedia: &hasMedia, Channel: route.Channel, IndicatorType: indicator(StatusSent)})
	return ran()
}
