package daemon

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	genconfig "github.com/clawgate/gateway/gen/go/config"
	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/agent"
	"github.com/clawgate/gateway/server/clock"
	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/cron"
	"github.com/clawgate/gateway/server/envelope"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/heartbeat"
	"github.com/clawgate/gateway/server/hooks"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/sessions"
	"github.com/clawgate/gateway/server/token"
)

// mainAgentID is the agent this gateway runs (its sessions are agent:main:*). The
// heartbeat and the cron jobs' main-session work all go to it.
const mainAgentID = sessions.DefaultAgentID

// routeScan bounds the sessions LastRoute looks through for the newest direct chat.
const routeScan = 50

// scheduleComponent is the proactive side of the agent: the heartbeat runner and the
// cron service. Both are built once per process and live across in-process restarts
// (each new server gets their method groups and broadcasts their events); a config
// reload re-resolves the heartbeat settings in place and restarts the cron service
// when cron.* changed. The `wake` method (and the hooks' wake) feed the heartbeat.
type scheduleComponent struct {
	s   *services
	rt  *agent.Runtime
	clk clock.Clock
	hb  *heartbeat.Runner
	// hbActive: the main agent has a heartbeat (an interval and a model). Without one a
	// wake note goes into the main session's transcript as before.
	hbActive atomic.Bool
	base     context.Context
	stop     context.CancelFunc

	mu      sync.Mutex // serialises cron restarts
	cron    *cron.Service
	cronKey string
	cronH   atomic.Pointer[cron.Handlers[*gateway.Conn]]
	// userTime is the zone and time format of the "Current time" line of isolated cron
	// turns (agents.defaults.userTimezone, timeFormat), re-read on reload.
	userTime atomic.Pointer[userTimeSettings]
}

// userTimeSettings: agents.defaults.userTimezone (nil = the host's) and timeFormat.
type userTimeSettings struct {
	loc    *time.Location
	format string
}

func (c *scheduleComponent) setUserTime(f *config.File, loc *time.Location) {
	u := &userTimeSettings{loc: loc}
	if a := f.Config.Agents; a != nil && a.Defaults != nil && a.Defaults.TimeFormat != nil {
		u.format = string(*a.Defaults.TimeFormat)
	}
	if u.loc == nil {
		u.loc = time.Local
	}
	c.userTime.Store(u)
}

// buildSchedule builds and starts the heartbeat runner and the cron service over the
// agent runtime (built before it) and the providers' sender.
func buildSchedule(ctx context.Context, s *services) (component, error) {
	if s.rt == nil {
		return nil, errors.New("schedule: no agent runtime")
	}
	c := &scheduleComponent{s: s, rt: s.rt, clk: s.clock}
	if c.clk == nil {
		c.clk = clock.Real()
	}
	// Stopped by close, not by the run's context: shutdown closes the components in
	// reverse order, so the scheduler stops before the agent runtime.
	c.base, c.stop = context.WithCancel(context.WithoutCancel(ctx))
	cfgs, loc := c.heartbeatSettings(s.file)
	c.setUserTime(s.file, loc)
	hb, err := heartbeat.New(heartbeat.Options{
		Clock: c.clk, Agent: hbAgent{c}, Deliverer: router{c}, Events: eventSink{s},
		Logger: s.log, Agents: cfgs, DefaultAgentID: mainAgentID, UserLocation: loc,
		Visibility: s.mentions.heartbeatVisibility,
	})
	if err != nil {
		c.stop()
		return nil, err
	}
	c.hb = hb
	c.hbActive.Store(len(cfgs) > 0)
	hb.Start(c.base)
	if err := c.startCron(s.file); err != nil {
		// A broken job store must not keep the gateway down: the cron methods answer
		// UNAVAILABLE and the log says why; a config change retries.
		s.log.Error("cron service not started", "err", err)
	}
	// Hooks' wake mappings go the same way as the wake method.
	s.runner = hookRunner{c}
	s.schedule.Store(c)
	return c, nil
}

// heartbeatSettings resolves the main agent's heartbeat: agents.defaults.heartbeat
// merged with the default agents.list entry's block, under the original's rule that
// when any entry has a block only those agents beat. No model → no heartbeat (every
// beat would fail). Other agents' blocks are not served (one agent runs).
func (c *scheduleComponent) heartbeatSettings(f *config.File) ([]heartbeat.Config, *time.Location) {
	log := c.s.log
	cfg := &f.Config
	agentCfg, err := agentSettings(c.s, f)
	if err != nil || agentCfg.Model.Kind == config.BackendNone {
		log.Info("heartbeat off: no agent model configured")
		return nil, userLocation(cfg, log)
	}
	var defaults *heartbeat.Spec
	var specs []heartbeat.AgentSpec
	defaultID := mainAgentID
	if a := cfg.Agents; a != nil {
		if a.Defaults != nil && a.Defaults.Heartbeat != nil {
			h := a.Defaults.Heartbeat
			defaults = &heartbeat.Spec{Every: h.Every, Target: h.Target, To: h.To, Prompt: h.Prompt,
				AckMaxChars: h.AckMaxChars, IncludeReasoning: h.IncludeReasoning, ActiveHours: activeHours(h.ActiveHours),
				Model: h.Model, Session: h.Session}
		}
		for i, e := range a.List {
			id := mainAgentID
			if e.ID != nil && strings.TrimSpace(*e.ID) != "" {
				id = strings.TrimSpace(*e.ID)
			}
			sp := heartbeat.AgentSpec{ID: id}
			if e.Heartbeat != nil {
				h := e.Heartbeat
				var ah *genconfig.ConfigAgentsDefaultsHeartbeatActiveHours
				if h.ActiveHours != nil {
					ah = (*genconfig.ConfigAgentsDefaultsHeartbeatActiveHours)(h.ActiveHours)
				}
				sp.Heartbeat = &heartbeat.Spec{Every: h.Every, Target: h.Target, To: h.To, Prompt: h.Prompt,
					AckMaxChars: h.AckMaxChars, IncludeReasoning: h.IncludeReasoning, ActiveHours: activeHours(ah),
					Model: h.Model, Session: h.Session}
			}
			specs = append(specs, sp)
			if i == 0 || (e.Default != nil && *e.Default && !hasDefault(a.List[:i])) {
				defaultID = id // the first default: true entry, else the first
			}
		}
	}
	// HEARTBEAT.md is read from the agent's workspace, by default the one `clawdbot
	// setup` fills (~/clawd), whose template has no tasks: heartbeats then cost nothing.
	ws := agentCfg.Workspace
	if ws == "" {
		ws = c.s.paths.Workspace
	}
	all, err := heartbeat.Resolve(defaults, specs, defaultID, ws)
	if err != nil {
		log.Warn("heartbeat settings", "err", err)
	}
	var out []heartbeat.Config
	for _, h := range all {
		if h.AgentID != defaultID {
			log.Warn("heartbeat of a non-default agent not served (one agent runs)", "agent", h.AgentID)
			continue
		}
		h.AgentID = mainAgentID
		h.Workspace = ws
		out = append(out, h)
	}
	if len(out) == 0 {
		log.Info("heartbeat off for the main agent")
	} else {
		log.Info("heartbeat on", "every", out[0].Every, "target", out[0].Target)
	}
	return out, userLocation(cfg, log)
}

// hasDefault reports whether an entry of list is marked default.
func hasDefault(list []genconfig.ConfigAgentsListElem) bool {
	for _, e := range list {
		if e.Default != nil && *e.Default {
			return true
		}
	}
	return false
}

func activeHours(a *genconfig.ConfigAgentsDefaultsHeartbeatActiveHours) *heartbeat.ActiveHours {
	if a == nil {
		return nil
	}
	s := func(p *string) string {
		if p == nil {
			return ""
		}
		return strings.TrimSpace(*p)
	}
	return &heartbeat.ActiveHours{Start: s(a.Start), End: s(a.End), Timezone: s(a.Timezone)}
}

// userLocation is agents.defaults.userTimezone (nil = the host's zone).
func userLocation(cfg *genconfig.ClawdbotConfig, log interface{ Warn(string, ...any) }) *time.Location {
	if cfg.Agents == nil || cfg.Agents.Defaults == nil || cfg.Agents.Defaults.UserTimezone == nil {
		return nil
	}
	name := strings.TrimSpace(*cfg.Agents.Defaults.UserTimezone)
	if name == "" {
		return nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		log.Warn("agents.defaults.userTimezone is not a time zone; using the host's", "zone", name, "err", err)
		return nil
	}
	return loc
}

// cronSettings are the cron.* values a running service was built from.
type cronSettings struct {
	path     string
	disabled bool
	maxRuns  int
}

func (c *scheduleComponent) cronSettings(f *config.File) (cronSettings, error) {
	var enabled *bool
	store := ""
	var st cronSettings
	if cc := f.Config.Cron; cc != nil {
		enabled = cc.Enabled
		if cc.Store != nil {
			store = *cc.Store
		}
		if cc.MaxConcurrentRuns != nil {
			st.maxRuns = *cc.MaxConcurrentRuns
		}
	}
	getenv := func(k string) string {
		if c.s.env == nil {
			return ""
		}
		v, _ := c.s.env(k)
		return v
	}
	st.disabled = !cron.Enabled(enabled, getenv)
	p, err := cron.ResolveStorePath(c.s.paths.StateDir, store)
	if err != nil {
		return st, fmt.Errorf("cron.store: %w", err)
	}
	st.path = p
	return st, nil
}

// startCron builds and starts the cron service from f (stopping a running one first
// when the settings changed). With unchanged settings it does nothing.
func (c *scheduleComponent) startCron(f *config.File) error {
	st, err := c.cronSettings(f)
	if err != nil {
		return err
	}
	key := fmt.Sprintf("%s|%v|%d", st.path, st.disabled, st.maxRuns)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cron != nil && key == c.cronKey {
		return nil
	}
	svc, err := cron.New(cron.Options{
		StorePath: st.path, Clock: c.clk, Logger: c.s.log, Events: eventSink{c.s},
		Runner:            mainRunner{cron.HeartbeatBridge{Heartbeat: c.hb, Turn: c.isolatedTurn}},
		Deliverer:         router{c},
		Disabled:          st.disabled,
		MaxConcurrentRuns: st.maxRuns,
	})
	if err != nil {
		return err
	}
	if old := c.cron; old != nil {
		c.cronH.Store(nil)
		old.Stop()
		c.cron = nil
	}
	if err := svc.Start(c.base); err != nil {
		return fmt.Errorf("cron: %w", err)
	}
	c.cron, c.cronKey = svc, key
	c.cronH.Store(cron.NewHandlers[*gateway.Conn](svc))
	return nil
}

// reconfigure re-resolves the heartbeat (the schedule of each beat is kept) and
// restarts the cron service when cron.* changed.
func (c *scheduleComponent) reconfigure(_ context.Context, next *config.File) {
	cfgs, loc := c.heartbeatSettings(next)
	c.setUserTime(next, loc)
	c.hb.UpdateConfig(cfgs)
	c.hbActive.Store(len(cfgs) > 0)
	if err := c.startCron(next); err != nil {
		c.s.log.Error("cron not restarted after the config change", "err", err)
	}
}

func (c *scheduleComponent) attach(srv *gateway.Server, mux *methods) error {
	mux.SetHeartbeat(heartbeat.NewHandlers[*gateway.Conn](c.hb))
	mux.SetCron(cronGroup{c})
	if a := mux.Agent(); a != nil {
		mux.SetAgent(wakeAgent{AgentHandler: a, c: c})
	}
	if sys := mux.System(); sys != nil {
		mux.SetSystem(systemEvents{SystemHandler: sys, c: c})
	}
	return nil
}

func (c *scheduleComponent) close(context.Context) error {
	c.mu.Lock()
	if c.cron != nil {
		c.cron.Stop()
		c.cron = nil
	}
	c.cronH.Store(nil)
	c.mu.Unlock()
	c.hb.Stop()
	c.stop()
	return nil
}

// wake is the wake method and the hooks' wake: the note is queued for the heartbeat,
// and mode "now" runs it at once (its answer is delivered as any heartbeat's). Without
// a heartbeat the note goes into the main session's transcript (the next turn sees it).
func (c *scheduleComponent) wake(ctx context.Context, text, mode string) error {
	text = strings.TrimSpace(text)
	if text == "" {
		return errors.New("wake: text is empty")
	}
	if max := c.rt.Store().MaxMessageBytes(); len(text) > max {
		return fmt.Errorf("wake: text too large: %d bytes, limit %d", len(text), max)
	}
	if !c.hbActive.Load() {
		return c.rt.Wake(ctx, text, mode)
	}
	c.hb.Wake(mode, text)
	return nil
}

// runTurn starts a run and waits for its outcome; a cancelled ctx aborts it.
func runTurn(ctx context.Context, rt *agent.Runtime, req agent.Request) (agent.Outcome, error) {
	if dl, ok := ctx.Deadline(); ok && req.Timeout == 0 {
		req.Timeout = max(time.Until(dl), time.Millisecond)
	}
	r, _, err := rt.Start(ctx, req)
	if err != nil {
		return agent.Outcome{}, err
	}
	select {
	case <-r.Done():
	case <-ctx.Done():
		_, _ = rt.Abort(r.SessionKey, r.ID)
		return agent.Outcome{}, ctx.Err()
	}
	out := r.Outcome()
	if out.Status != agent.StatusOK {
		return out, fmt.Errorf("agent run %s: %s", out.Status, out.Err)
	}
	return out, nil
}

// isolatedTurn runs an agentTurn job in its own session, agent:main:cron:<jobId>.
// The payload's model and thinking are not applied (the runtime has one model).
func (c *scheduleComponent) isolatedTurn(ctx context.Context, job cron.Job) (cron.TurnResult, error) {
	key, err := sessions.Canonical("cron:" + job.ID)
	if err != nil {
		return cron.TurnResult{}, err
	}
	if job.Payload.Model != "" || job.Payload.Thinking != "" {
		c.s.log.Debug("cron: payload model/thinking not applied; the agent's model runs", "jobId", job.ID)
	}
	out, err := runTurn(ctx, c.rt, agent.Request{RunID: "cron-" + token.UUID(), SessionKey: key,
		Message: c.cronPrompt(job), Source: "cron"})
	if err != nil {
		return cron.TurnResult{}, err
	}
	// A silent answer (NO_REPLY) is delivered nowhere; reply tags never reach the chat.
	return cron.TurnResult{Texts: []string{agent.VisibleReply(out.Text)}}, nil
}

// cronPrompt is an isolated job's prompt as the original words it: the job named in
// front of its message, then the user's current time (agents.defaults.userTimezone in
// agents.defaults.timeFormat).
func (c *scheduleComponent) cronPrompt(job cron.Job) string {
	u := c.userTime.Load()
	if u == nil {
		u = &userTimeSettings{loc: time.Local}
	}
	now := c.clk.Now()
	head := strings.TrimSpace(fmt.Sprintf("[cron:%s %s] %s", job.ID, job.Name, job.Payload.Message))
	return head + "\nCurrent time: " + envelope.UserTime(now, u.loc, u.format) + " (" + envelope.ZoneName(u.loc, now) + ")"
}

// hbAgent runs heartbeat turns in the main session: the prompt and the answer stay in
// its transcript, as any turn's.
type hbAgent struct{ c *scheduleComponent }

func (a hbAgent) Busy(string) bool { return a.c.rt.Active(a.c.rt.MainSessionKey()) }

func (a hbAgent) Turn(ctx context.Context, _ string, prompt string, o heartbeat.TurnOptions) (heartbeat.Reply, error) {
	out, err := runTurn(ctx, a.c.rt, agent.Request{RunID: "heartbeat-" + token.UUID(),
		SessionKey: heartbeatSession(a.c.rt.MainSessionKey(), o.Session), Model: o.Model, Message: prompt, Source: "heartbeat"})
	if err != nil {
		return heartbeat.Reply{}, err
	}
	// A silent answer (NO_REPLY) is an empty beat, as the original's; reply tags never
	// reach the chat.
	return heartbeat.Reply{Texts: []string{agent.VisibleReply(out.Text)}}, nil
}

// heartbeatSession is the session heartbeat turns run in (heartbeat.session), as the
// original resolves it: blank, "main" and "global" (and any key under a global session
// scope) are the main session; a bare key is the main agent's agent:main:<key>; a key of
// another agent, or one that is not a valid session key, falls back to the main session.
func heartbeatSession(mainKey, raw string) string {
	t := strings.TrimSpace(raw)
	if t == "" || mainKey == "global" {
		return mainKey
	}
	switch strings.ToLower(t) {
	case "main", "global":
		return mainKey
	}
	k, err := sessions.Canonical(t)
	if err != nil || k == "global" || k == "unknown" {
		return mainKey
	}
	if k == sessions.MainKey("") {
		return mainKey // the main session by its default name
	}
	if parts := strings.SplitN(k, ":", 3); parts[1] != sessions.DefaultAgentID {
		return mainKey
	}
	return k
}

// router resolves "last" routes from the session store and sends through the
// providers: the heartbeat's and the cron service's Deliverer.
type router struct{ c *scheduleComponent }

// LastRoute is the main session's route; as direct chats have their own sessions here
// (unless session.dmScope is "main"), without one it is the route of the most recently
// active direct chat.
func (d router) LastRoute(ctx context.Context, _ string) (heartbeat.Route, bool) {
	usable := func(ss sessions.Session) bool {
		return ss.LastChannel != "" && ss.LastChannel != agent.ChannelWebchat && ss.LastTo != ""
	}
	store := d.c.rt.Store()
	if ss, err := store.Get(ctx, d.c.rt.MainSessionKey()); err == nil && usable(ss) {
		return heartbeat.Route{Channel: ss.LastChannel, To: ss.LastTo, AccountID: ss.LastAccountID}, true
	}
	list, err := store.List(ctx, sessions.ListOptions{Limit: routeScan})
	if err != nil {
		d.c.s.log.Warn("last route: listing sessions", "err", err)
		return heartbeat.Route{}, false
	}
	for _, ss := range list {
		if ss.ChatType == "direct" && usable(ss) {
			return heartbeat.Route{Channel: ss.LastChannel, To: ss.LastTo, AccountID: ss.LastAccountID}, true
		}
	}
	return heartbeat.Route{}, false
}

func (d router) Send(ctx context.Context, r heartbeat.Route, text string) error {
	sender := d.c.s.sender
	if sender == nil {
		return errors.New("no messaging providers are running")
	}
	// A heartbeat or cron answer is an agent reply: its MEDIA: lines go as files,
	// from the default agent's safe folders.
	body, refs := providers.SplitReplyMedia(text)
	var roots providers.ReplyMediaRoots
	if f := d.c.s.replyMedia; f != nil && len(refs) > 0 {
		roots = f("")
	}
	items := providers.ReplyMediaItems(refs, roots, d.c.s.log)
	if len(items) == 0 {
		if strings.TrimSpace(body) == "" {
			return nil
		}
		_, err := sender.Send(ctx, r.Channel, providers.Outbound{To: r.To, Text: body, AccountID: r.AccountID})
		return err
	}
	_, err := providers.SendWithMedia(ctx, sender, r.Channel, providers.Outbound{To: r.To, AccountID: r.AccountID}, body, items, d.c.s.log)
	return err
}

// Deliver sends an isolated cron answer: channel "last" is the last route (its
// recipient unless to is given); a named channel takes to, else the last route's
// recipient when it is on that channel.
func (d router) Deliver(ctx context.Context, dl cron.Delivery) error {
	ch := strings.ToLower(strings.TrimSpace(dl.Channel))
	last, ok := d.LastRoute(ctx, dl.AgentID)
	r := heartbeat.Route{Channel: ch, To: strings.TrimSpace(dl.To)}
	switch {
	case ch == "" || ch == "last":
		if !ok {
			return cron.ErrNoTarget
		}
		r.Channel = last.Channel
		if r.To == "" {
			r.To, r.AccountID = last.To, last.AccountID
		}
	case r.To == "" && ok && last.Channel == ch:
		r.To, r.AccountID = last.To, last.AccountID
	}
	if r.To == "" {
		return cron.ErrNoTarget
	}
	return d.Send(ctx, r, dl.Text)
}

// eventSink broadcasts heartbeat and cron events through the running gateway
// (between in-process restarts there is none and they are dropped).
type eventSink struct{ s *services }

func (e eventSink) HeartbeatEvent(ev heartbeat.Event) {
	if srv := e.s.server(); srv != nil {
		srv.Broadcast(heartbeat.WireEvent(ev))
	}
}

func (e eventSink) CronEvent(ev cron.Event) {
	if srv := e.s.server(); srv != nil {
		srv.Broadcast(cron.WireEvent(ev))
	}
}

// mainRunner hands every job's main-session work to the main agent (jobs may name
// other agents; one agent runs).
type mainRunner struct{ cron.Runner }

func (m mainRunner) EnqueueSystemEvent(ctx context.Context, _ string, text string) error {
	return m.Runner.EnqueueSystemEvent(ctx, mainAgentID, text)
}

func (m mainRunner) RequestHeartbeat(_ string, reason string) {
	m.Runner.RequestHeartbeat(mainAgentID, reason)
}

func (m mainRunner) RunHeartbeat(ctx context.Context, _ string, reason string) (cron.HeartbeatResult, error) {
	return m.Runner.RunHeartbeat(ctx, mainAgentID, reason)
}

// wakeAgent is the agent group with wake going to the heartbeat.
type wakeAgent struct {
	protocol.AgentHandler[*gateway.Conn]
	c *scheduleComponent
}

func (w wakeAgent) Wake(ctx context.Context, _ *gateway.Conn, p *protocol.WakeParams) (*protocol.WakeResult, error) {
	if strings.TrimSpace(p.Text) == "" {
		return &protocol.WakeResult{Ok: false}, nil
	}
	if max := w.c.rt.Store().MaxMessageBytes(); len(p.Text) > max {
		return nil, gateway.Invalid("text too large: %d bytes, limit %d", len(p.Text), max)
	}
	if err := w.c.wake(ctx, p.Text, string(p.Mode)); err != nil {
		return nil, gateway.Unavailable("%v", err)
	}
	return &protocol.WakeResult{Ok: true}, nil
}

// systemEvents is the system group with system-event also queueing its text for the
// next heartbeat, as the original does; node presence lines ("Node: …", sent
// periodically by the apps) only update presence.
type systemEvents struct {
	protocol.SystemHandler[*gateway.Conn]
	c *scheduleComponent
}

func (s systemEvents) SystemEvent(ctx context.Context, conn *gateway.Conn, p *protocol.SystemEventParams) (*protocol.SystemEventResult, error) {
	res, err := s.SystemHandler.SystemEvent(ctx, conn, p)
	if err == nil && s.c.hbActive.Load() {
		if text := strings.TrimSpace(p.Text); !strings.HasPrefix(text, "Node:") {
			s.c.hb.Enqueue(mainAgentID, text)
		}
	}
	return res, err
}

// hookRunner is the hooks' runner: wake through the heartbeat, agent turns through
// the runtime.
type hookRunner struct{ c *scheduleComponent }

func (h hookRunner) Wake(ctx context.Context, text, mode string) error {
	return h.c.wake(ctx, text, mode)
}

func (h hookRunner) StartAgent(ctx context.Context, r hooks.AgentRequest) (string, error) {
	return h.c.rt.StartAgent(ctx, r)
}

// cronGroup serves the cron methods with the running service (a config change may
// replace it); while none runs they answer UNAVAILABLE.
type cronGroup struct{ c *scheduleComponent }

var _ protocol.CronHandler[*gateway.Conn] = cronGroup{}

func (g cronGroup) h() (*cron.Handlers[*gateway.Conn], error) {
	if h := g.c.cronH.Load(); h != nil {
		return h, nil
	}
	return nil, gateway.Unavailable("cron service is not running")
}

func (g cronGroup) CronList(ctx context.Context, c *gateway.Conn, p *protocol.CronListParams) (*protocol.CronListResult, error) {
	h, err := g.h()
	if err != nil {
		return nil, err
	}
	return h.CronList(ctx, c, p)
}

func (g cronGroup) CronStatus(ctx context.Context, c *gateway.Conn, p *protocol.CronStatusParams) (*protocol.CronStatusResult, error) {
	h, err := g.h()
	if err != nil {
		return nil, err
	}
	return h.CronStatus(ctx, c, p)
}

func (g cronGroup) CronAdd(ctx context.Context, c *gateway.Conn, p *protocol.CronAddParams) (*protocol.CronAddResult, error) {
	h, err := g.h()
	if err != nil {
		return nil, err
	}
	return h.CronAdd(ctx, c, p)
}

func (g cronGroup) CronUpdate(ctx context.Context, c *gateway.Conn, p *protocol.CronUpdateParams) (*protocol.CronUpdateResult, error) {
	h, err := g.h()
	if err != nil {
		return nil, err
	}
	return h.CronUpdate(ctx, c, p)
}

func (g cronGroup) CronRemove(ctx context.Context, c *gateway.Conn, p *protocol.CronRemoveParams) (*protocol.CronRemoveResult, error) {
	h, err := g.h()
	if err != nil {
		return nil, err
	}
	return h.CronRemove(ctx, c, p)
}

func (g cronGroup) CronRun(ctx context.Context, c *gateway.Conn, p *protocol.CronRunParams) (*protocol.CronRunResult, error) {
	h, err := g.h()
	if err != nil {
		return nil, err
	}
	return h.CronRun(ctx, c, p)
}

func (g cronGroup) CronRuns(ctx context.Context, c *gateway.Conn, p *protocol.CronRunsParams) (*protocol.CronRunsResult, error) {
	h, err := g.h()
	if err != nil {
		return nil, err
	}
	return h.CronRuns(ctx, c, p)
}

// cronService is the running cron service (nil while it is off or could not start).
func (c *scheduleComponent) cronService() *cron.Service {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cron
}

// scheduleWaker is the cron tool's wake action: the same path as the wake method
// (the heartbeat when it is on, else a note in the main session).
type scheduleWaker struct{ c *scheduleComponent }

func (w scheduleWaker) Wake(mode, text string) bool {
	return w.c.wake(w.c.base, text, mode) == nil
}
