package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	genconfig "github.com/clawgate/gateway/gen/go/config"
	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/access"
	"github.com/clawgate/gateway/server/agent"
	"github.com/clawgate/gateway/server/agent/backend"
	"github.com/clawgate/gateway/server/agent/commands"
	"github.com/clawgate/gateway/server/agents"
	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/envelope"
	"github.com/clawgate/gateway/server/execapprove"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/providers/telegram"
	"github.com/clawgate/gateway/server/routing"
	"github.com/clawgate/gateway/server/sessionreset"
	"github.com/clawgate/gateway/server/sessions"
	"github.com/clawgate/gateway/server/tts"
)

// agentService is the agent runtime with its session store: it serves agent, chat.*,
// sessions.* and wake, answers inbound provider messages, and contributes the
// sessions part of health. Model providers run through the tool loop with the tools of
// agent_engine.go; CLI backends run text-only. A config reload applies
// agents.defaults.model, models.providers, agents.defaults.cliBackends, tools.*,
// agents.defaults.workspace and agents.defaults.timeoutSeconds to the runs that start
// afterwards; the concurrency and queue bounds and session.* need a process restart.
type agentService struct {
	s      *services
	store  *sessions.Store
	rt     *agent.Runtime
	parts  *engineParts
	cfgKey string // the agent config the runtime runs with, for reload comparisons
	// toolsKey is models.providers and tools.* as the runtime runs with them: a change
	// there rebuilds the model and tool set too.
	toolsKey string
	// routeCfg is the config inbound messages are routed by (bindings, session
	// settings); a reload swaps it, so a new binding applies to the next message.
	routeCfg *atomic.Pointer[config.File]
	// cur is the config the service last saw (usage.status lists its providers).
	cur atomic.Pointer[config.File]
	// reset is the session reset policy (session.reset, resetByType, resetByChannel,
	// idleMinutes, resetTriggers); a reload swaps it for the next message.
	reset *atomic.Pointer[sessionreset.Config]
}

// replyMediaRoots are the folders a delivered reply's local media may come from (see
// providers.ReplyMediaRoots): every agent's workspace, <state>/media and the OS temp
// folder; relative refs resolve against the session's agent's workspace.
func replyMediaRoots(s *services, cur *atomic.Pointer[config.File]) func(string) providers.ReplyMediaRoots {
	return func(sessionKey string) providers.ReplyMediaRoots {
		var c *genconfig.ClawdbotConfig
		if f := cur.Load(); f != nil {
			c = &f.Config
		}
		p := agents.Paths{Home: s.home, DefaultWorkspace: s.paths.Workspace}
		roots := []string{filepath.Join(s.paths.StateDir, "media"), os.TempDir()}
		for _, id := range agents.IDs(c, s.paths.StateDir) {
			roots = append(roots, agents.WorkspaceDir(c, id, p))
		}
		return providers.ReplyMediaRoots{Workspace: agents.WorkspaceDir(c, agents.SessionAgent(c, sessionKey), p), Home: s.home, Roots: roots}
	}
}

// configuredAgents lists agents.list's ids (normalised) and the default agent of the
// current config.
func configuredAgents(cur *atomic.Pointer[config.File]) func() ([]string, string) {
	return func() ([]string, string) {
		f := cur.Load()
		if f == nil {
			return nil, agents.DefaultAgentID
		}
		var ids []string
		if f.Config.Agents != nil {
			for _, e := range f.Config.Agents.List {
				if e.ID != nil {
					ids = append(ids, agents.NormalizeID(*e.ID))
				}
			}
		}
		return ids, agents.DefaultID(&f.Config)
	}
}

// inboundRoute routes an inbound message by the config's bindings to its agent's
// session (routing.Resolve): the sender is the peer of a direct chat, the chat of a
// group.
func inboundRoute(cur *atomic.Pointer[config.File]) func(m providers.Message) string {
	return func(m providers.Message) string {
		f := cur.Load()
		if f == nil {
			return ""
		}
		ch := providers.NormalizeChannel(m.Channel)
		peer := &routing.Peer{Kind: routing.PeerDM, ID: m.From}
		if m.Group {
			peer = &routing.Peer{Kind: routing.PeerGroup, ID: m.ChatID}
		} else if peer.ID == "" {
			peer.ID = m.ChatID
		}
		return routing.Resolve(&f.Config, routing.Input{Channel: ch, AccountID: m.AccountID, Peer: peer}, routing.OptionsFrom(&f.Config)).SessionKey
	}
}

// inboundBroadcast reads the config's broadcast groups (broadcast.<peer>: agent ids;
// broadcast.strategy): a message whose peer has a group is answered by each listed
// agent in that agent's own session for the peer. The peer is the original's: a
// group's chat id (a WhatsApp group JID; a Telegram chat id, a forum topic also
// matching its bare chat id), a direct chat's sender (a WhatsApp E.164 number, a
// Telegram user id). The original broadcasts WhatsApp only; here every channel.
// Agents that agents.list lacks (when it lists any) are skipped with a warning, as
// the original; an agent listed twice answers once.
func inboundBroadcast(cur *atomic.Pointer[config.File], log *slog.Logger) func(m providers.Message) ([]string, bool) {
	return func(m providers.Message) ([]string, bool) {
		f := cur.Load()
		if f == nil {
			return nil, false
		}
		raw, ok := f.Lookup("/broadcast")
		groups, _ := raw.(map[string]any)
		if !ok || len(groups) == 0 {
			return nil, false
		}
		ch := providers.NormalizeChannel(m.Channel)
		peer := &routing.Peer{Kind: routing.PeerDM, ID: m.From}
		if m.Group {
			peer = &routing.Peer{Kind: routing.PeerGroup, ID: m.ChatID}
		} else if peer.ID == "" {
			peer.ID = m.ChatID
		}
		candidates := []string{strings.TrimSpace(peer.ID)}
		if bare, _, topic := strings.Cut(peer.ID, access.TopicSep); topic {
			candidates = append(candidates, strings.TrimSpace(bare))
		}
		var list []any
		for _, id := range candidates {
			if id == "" || id == "strategy" {
				continue
			}
			if l, ok := groups[id].([]any); ok && len(l) > 0 {
				list = l
				break
			}
		}
		if len(list) == 0 {
			return nil, false
		}
		c := &f.Config
		known := map[string]bool{}
		if c.Agents != nil {
			for _, e := range c.Agents.List {
				if e.ID != nil {
					known[agents.NormalizeID(*e.ID)] = true
				}
			}
		}
		o := routing.OptionsFrom(c)
		seen := map[string]bool{}
		var keys []string
		for _, v := range list {
			s, _ := v.(string)
			if strings.TrimSpace(s) == "" {
				continue
			}
			id := agents.NormalizeID(s)
			if len(known) > 0 && !known[id] {
				log.Warn("broadcast agent not found in agents.list; skipped", "agent", s, "peer", peer.ID)
				continue
			}
			key := routing.SessionKey(c, id, ch, peer, o)
			if !seen[key] {
				seen[key] = true
				keys = append(keys, key)
			}
		}
		strategy, _ := groups["strategy"].(string)
		return keys, strategy == "sequential"
	}
}

// toolsConfigKey identifies models.providers, tools.*, the engine's agents.defaults
// (contextTokens, compaction, verboseDefault, thinkingDefault) and agents.list of f for change
// detection.
func toolsConfigKey(f *config.File) string {
	var budget, list []any // the engine's context budget and verbose default (buildEngine)
	if a := f.Config.Agents; a != nil {
		if a.Defaults != nil {
			budget = []any{a.Defaults.ContextTokens, a.Defaults.Compaction, a.Defaults.VerboseDefault, a.Defaults.ThinkingDefault, a.Defaults.Subagents}
		}
		list = []any{a.List} // per-agent workspaces, models and tools
	}
	b, _ := json.Marshal([]any{f.Config.Models, f.Config.Tools, budget, list})
	return string(b)
}

// agentConfigKey identifies an agent config for change detection.
func agentConfigKey(cfg config.Agent) string {
	b, _ := json.Marshal(cfg)
	return string(b)
}

// agentSettings resolves agents.defaults and models.providers of f.
func agentSettings(s *services, f *config.File) (config.Agent, error) {
	home, _ := os.UserHomeDir()
	return config.ResolveAgent(&f.Config, home)
}

func (a *agentService) reconfigure(ctx context.Context, next *config.File) {
	a.routeCfg.Store(next)
	a.cur.Store(next)
	a.parts.cfg.Store(next)
	rc := sessionreset.FromConfig(&next.Config)
	a.reset.Store(&rc)
	cfg, err := agentSettings(a.s, next)
	if err != nil {
		a.s.log.Warn("agent config change not applied; runs keep the previous model", "err", err)
		return
	}
	key, tkey := agentConfigKey(cfg), toolsConfigKey(next)
	if key == a.cfgKey && tkey == a.toolsKey {
		return
	}
	var prev config.Agent
	_ = json.Unmarshal([]byte(a.cfgKey), &prev)
	if prev.MaxConcurrent != cfg.MaxConcurrent || !equalIntPtr(prev.MaxQueuePerSession, cfg.MaxQueuePerSession) {
		a.s.log.Warn("agents.defaults.maxConcurrent / agents.defaults.maxQueuePerSession changed: they apply after a restart of the process")
	}
	mc, err := agentModel(a.s, next, cfg, a.parts)
	if err == nil {
		err = a.rt.SetModel(mc)
	}
	if err != nil {
		a.s.log.Warn("agent config change not applied; runs keep the previous model", "err", err)
		return
	}
	a.cfgKey, a.toolsKey = key, tkey
	a.s.log.Info("agent config reloaded", "backend", cfg.Kind, "model", mc.Model)
}

func buildAgent(ctx context.Context, s *services) (component, error) {
	cfg, err := agentSettings(s, s.file)
	if err != nil {
		return nil, err
	}
	parts, err := newEngineParts(s)
	if err != nil {
		return nil, err
	}
	mc, err := agentModel(s, s.file, cfg, parts)
	if err != nil {
		parts.close()
		return nil, err
	}
	path, original := sessionStores(s.file, s.paths.StateDir)
	if original != "" {
		s.log.Info("session.store names the original's sessions.json: read once into the session database, which is used instead", "store", original, "path", path)
	}
	mainKey, global := "", false
	if sc := s.file.Config.Session; sc != nil {
		mainKey = sc.MainKey
		// session.dmScope "main" (every direct chat in the main session) is the
		// original's global scope for DMs; per-peer and per-channel-peer are this
		// gateway's per-sender sessions. Unset keeps session.scope's answer.
		global = sc.Scope != nil && *sc.Scope == genconfig.ConfigSessionScopeGlobal ||
			sc.DmScope != nil && *sc.DmScope == genconfig.ConfigSessionDmScopeMain
	}
	routeCfg := &atomic.Pointer[config.File]{}
	routeCfg.Store(s.file)
	resetCfg := &atomic.Pointer[sessionreset.Config]{}
	rc := sessionreset.FromConfig(&s.file.Config)
	resetCfg.Store(&rc)
	store, err := sessions.Open(ctx, sessions.Options{Path: path, Logger: s.log})
	if err != nil {
		parts.close()
		return nil, err
	}
	opts := agent.Options{
		Backend: mc.Backend, Engine: mc.Engine, Store: store, Sender: s.sender, SystemPrompt: mc.SystemPrompt, Model: mc.Model, ModelRef: mc.Ref,
		MainKey: mainKey, GlobalScope: global, Route: inboundRoute(routeCfg), Broadcast: inboundBroadcast(routeCfg, s.log), Agents: configuredAgents(routeCfg),
		Timeout:        cfg.Timeout,
		MaxConcurrent:  cfg.MaxConcurrent,
		Reset:          resetCfg.Load,
		QueueMode:      queueMode(routeCfg),
		QueueSettings:  queueSettings(routeCfg),
		Clock:          s.clock, // the queue debounce (clock.Real unless a test injects one)
		SendPolicy:     sendPolicy(routeCfg),
		ResponsePrefix: responsePrefix(routeCfg),
		HistoryLimit:   historyLimit(routeCfg),
		ChannelPrompt:  channelPrompt(routeCfg),
		Typing:         typingConfig(routeCfg),
		BlockStreaming: blockStreamingConfig(routeCfg),
		Envelope:       envelopeConfig(routeCfg, s.log),
		UserLocation:   userLocationFunc(routeCfg, s.log),
		Logger:         s.log,
	}
	if s.approvals != nil {
		m := s.approvals // /approve in chat resolves the same pending approvals as the wire
		opts.Approvals = func(id, d, by string) error { return m.Resolve(id, execapprove.Decision(d), by) }
	}
	opts.Admin = &chatAdmin{s: s, parts: parts}
	opts.PingPongTurns = func() int { // session.agentToAgent.maxPingPongTurns (default 5)
		if sc := routeCfg.Load().Config.Session; sc != nil && sc.AgentToAgent != nil && sc.AgentToAgent.MaxPingPongTurns != nil {
			return *sc.AgentToAgent.MaxPingPongTurns
		}
		return agent.DefaultPingPongTurns
	}
	opts.CommandSurface = commandSurface(routeCfg)
	if s.persona != nil {
		p := s.persona
		opts.SkillCommands = func(ctx context.Context, key string) []commands.SkillCommand {
			specs, err := p.SkillCommands(ctx, key, commands.ReservedNames)
			if err != nil {
				s.log.Warn("skill commands unavailable", "err", err)
			}
			out := make([]commands.SkillCommand, 0, len(specs))
			for _, sp := range specs {
				out = append(out, commands.SkillCommand{Name: sp.Name, SkillName: sp.SkillName})
			}
			return out
		}
		opts.Prompt = s.persona.Prompt // workspace files and skills around the instructions
	}
	// Like maxConcurrent, these apply from a restart of the process on.
	opts.SubagentMaxConcurrent, opts.SubagentArchiveAfter = subagentLimits(&s.file.Config)
	if q := cfg.MaxQueuePerSession; q != nil {
		opts.MaxQueuePerSession = *q
		if *q == 0 {
			opts.MaxQueuePerSession = -1 // 0 = no limit
		}
	}
	s.replyMedia = replyMediaRoots(s, routeCfg)
	opts.ReplyMedia = s.replyMedia
	var speechRT atomic.Pointer[agent.Runtime] // summaries of long spoken replies
	opts.Speech = tts.NewSpeaker(tts.SpeakerOptions{
		Settings: func() tts.Settings { return ttsSettings(s, routeCfg.Load()) },
		Summarize: func(ctx context.Context, model, text string, target int) (string, error) {
			r := speechRT.Load()
			if r == nil {
				return "", errors.New("agent runtime not ready")
			}
			return r.SpeechSummary(ctx, model, text, target)
		},
		Log: s.log,
	})
	rt, err := agent.New(opts)
	if err != nil {
		_ = store.Close()
		parts.close()
		return nil, err
	}
	speechRT.Store(rt)
	// Events go to whichever gateway is running; between in-process restarts there is
	// none and they are dropped (clients re-sync with agent.wait / chat.history).
	rt.SetBroadcast(func(evs ...protocol.Event) {
		if srv := s.server(); srv != nil {
			srv.BroadcastAll(evs...)
		}
		for _, ev := range evs {
			s.nodeEvents.forward(ev) // chat.subscribe streams (node events)
		}
	})
	s.inbound.set(rt)
	s.sessionStore.Store(rt.Store())
	s.runner = rt // hooks start runs through the same path as agent and wake
	s.rt = rt
	s.log.Info("agent runtime ready", "backend", cfg.Kind, "model", mc.Model, "sessions", path, "delivery", s.sender != nil)
	a := &agentService{s: s, store: store, rt: rt, parts: parts, cfgKey: agentConfigKey(cfg), toolsKey: toolsConfigKey(s.file), routeCfg: routeCfg, reset: resetCfg}
	a.cur.Store(s.file)
	parts.cfg.Store(s.file)
	return a, nil
}

// agentModel builds the configured model (see config.ResolveAgent): a model provider
// runs through the tool loop (agent.Engine), a CLI backend through backend.Command; the
// primary model first, agents.defaults.model.fallbacks in order when it fails before
// answering. Without a model every run fails with a clear error, while sessions and
// history still work.
func agentModel(s *services, f *config.File, cfg config.Agent, parts *engineParts) (agent.ModelConfig, error) {
	mc := agent.ModelConfig{SystemPrompt: cfg.SystemPrompt, Timeout: cfg.Timeout, Ref: cfg.ModelRef}
	switch cfg.Kind {
	case config.BackendProvider:
		e, err := buildEngine(s, f, cfg, parts)
		if err != nil {
			return mc, err
		}
		mc.Engine, mc.Model = e, cfg.ModelID
		return mc, nil
	case config.BackendCommand:
		primary, err := commandBackend(cfg.Model, cfg.Workspace)
		if err != nil {
			return mc, err
		}
		mc.Backend = primary
		if len(cfg.Fallbacks) == 0 {
			return mc, nil
		}
		fb := &backend.Fallback{Backends: []backend.Backend{primary}}
		for _, m := range cfg.Fallbacks {
			b, err := commandBackend(m, cfg.Workspace)
			if err != nil {
				return mc, err
			}
			fb.Backends = append(fb.Backends, b)
		}
		mc.Backend = fb
		return mc, nil
	}
	mc.Backend = unconfigured{}
	return mc, nil
}

// commandBackend builds the CLI backend of one resolved model.
func commandBackend(m config.Model, workspace string) (backend.Backend, error) {
	if m.Kind != config.BackendCommand {
		return nil, fmt.Errorf("agents.defaults.model.fallbacks: %q is a model provider; a CLI backend's fallbacks must be CLI backends too", m.ModelRef)
	}
	if m.Program == "" {
		return nil, fmt.Errorf("agents.defaults.cliBackends.%s.command is not set", m.Provider)
	}
	return backend.NewCommand(backend.CommandOptions{Program: m.Program, Args: m.Args, Env: m.Env, Dir: workspace})
}

// unconfigured is the backend of a gateway without a usable model: every run fails
// with why (or the default hint).
type unconfigured struct{ why string }

func (u unconfigured) Run(context.Context, backend.Request, func(backend.Delta)) (backend.Result, error) {
	if u.why != "" {
		return backend.Result{}, errors.New(u.why)
	}
	return backend.Result{}, errors.New("no agent backend configured (set agents.defaults.model.primary to a provider/model of models.providers or agents.defaults.cliBackends)")
}

func (a *agentService) attach(srv *gateway.Server, mux *methods) error {
	h := agent.NewHandlers(a.rt)
	mux.SetAgent(h)
	mux.SetChat(h)
	mux.SetSessions(h)
	mux.SetUsage(usageGroup{UsageHandler: h, a: a})
	srv.AddHealthSource(a.rt.HealthSource)
	return nil
}

func (a *agentService) close(ctx context.Context) error {
	a.s.inbound.set(nil)
	err := a.rt.Close(ctx)
	a.parts.close()
	return errors.Join(err, a.store.Close())
}

// sessionMainKey is session.mainKey ("" = the gateway default, main), so hello-ok's
// sessionDefaults name the same main session the runtime uses.
func sessionMainKey(f *config.File) string {
	if f == nil || f.Config.Session == nil {
		return ""
	}
	return f.Config.Session.MainKey
}

// sessionScope is session.scope, or "" (the gateway's default) when unset.
func sessionScope(f *config.File) string {
	if f == nil || f.Config.Session == nil || f.Config.Session.Scope == nil {
		return ""
	}
	return string(*f.Config.Session.Scope)
}

func equalIntPtr(a, b *int) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// sessionStores reads session.store. A path ending in .db names this gateway's session
// database (default <stateDir>/sessions.db); anything else is the original's
// sessions.json (a path or a {agentId} template), which is not ours to write: it is
// returned as original for stateimport to read, and the default database is used.
func sessionStores(f *config.File, stateDir string) (db, original string) {
	db = filepath.Join(stateDir, "sessions.db")
	sc := f.Config.Session
	if sc == nil || sc.Store == nil || strings.TrimSpace(*sc.Store) == "" {
		return db, ""
	}
	p := strings.TrimSpace(*sc.Store)
	if !strings.HasSuffix(p, ".db") {
		return db, p
	}
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			p = filepath.Join(home, rest)
		}
	}
	return p, ""
}

// queueMode is messages.queue.byChannel.<channel>, else messages.queue.mode, in the
// runtime's terms: "collect" (the original's default), "followup" or "interrupt". The
// original's steer modes (and "queue", its alias) inject a message into the running
// turn; here they collect it for the next one (DIFFERENCES.md).
func queueMode(cur *atomic.Pointer[config.File]) func(channel string) string {
	return func(channel string) string {
		f := cur.Load()
		if f == nil || f.Config.Messages == nil || f.Config.Messages.Queue == nil {
			return ""
		}
		q := f.Config.Messages.Queue
		raw := ""
		if q.Mode != nil {
			raw = string(*q.Mode)
		}
		if bc := q.ByChannel; bc != nil {
			var v *string
			switch channel {
			case providers.WhatsApp:
				v = (*string)(bc.Whatsapp)
			case providers.Telegram:
				v = (*string)(bc.Telegram)
			case agent.ChannelWebchat:
				v = (*string)(bc.Webchat)
			}
			if v != nil {
				raw = *v
			}
		}
		switch raw {
		case "followup":
			return agent.QueueFollowup
		case "interrupt":
			return agent.QueueInterrupt
		case "":
			return ""
		}
		return agent.QueueCollect
	}
}

// sendPolicy is session.sendPolicy of the running config (read per run, so a reload
// applies to the next message).
func sendPolicy(cur *atomic.Pointer[config.File]) func() *agent.SendPolicy {
	return func() *agent.SendPolicy {
		f := cur.Load()
		if f == nil || f.Config.Session == nil || f.Config.Session.SendPolicy == nil {
			return nil
		}
		sp := f.Config.Session.SendPolicy
		p := &agent.SendPolicy{}
		if sp.Default != nil {
			p.Default = string(*sp.Default)
		}
		for _, r := range sp.Rules {
			rule := agent.SendPolicyRule{Action: string(r.Action)}
			if m := r.Match; m != nil {
				if m.Channel != nil {
					rule.Channel = *m.Channel
				}
				if m.ChatType != nil {
					rule.ChatType = string(*m.ChatType)
				}
				if m.KeyPrefix != nil {
					rule.KeyPrefix = *m.KeyPrefix
				}
			}
			p.Rules = append(p.Rules, rule)
		}
		return p
	}
}

// responsePrefix is messages.responsePrefix for a session's agent, as the original
// resolves it: "auto" is "[<identity name>]" (none without a name), anything else is
// the template as written; the agent's identity name fills {identity.name}.
func responsePrefix(cur *atomic.Pointer[config.File]) func(sessionKey string) (string, string) {
	return func(sessionKey string) (string, string) {
		f := cur.Load()
		if f == nil || f.Config.Messages == nil || f.Config.Messages.ResponsePrefix == nil {
			return "", ""
		}
		name := agentIdentityName(&f.Config, agents.SessionAgent(&f.Config, sessionKey))
		tmpl := *f.Config.Messages.ResponsePrefix
		if tmpl == "auto" {
			if name == "" {
				return "", name
			}
			return "[" + name + "]", name
		}
		return tmpl, name
	}
}

// queueSettings is messages.queue's debounceMs (debounceMsByChannel.<channel> first),
// cap and drop for a channel's messages, read from the live config (a reload applies to
// the next message that queues); absent keys take the original's defaults (1 000 ms,
// 20, summarize).
func queueSettings(cur *atomic.Pointer[config.File]) func(channel string) agent.QueueSettings {
	return func(channel string) agent.QueueSettings {
		s := agent.DefaultQueueSettings()
		f := cur.Load()
		if f == nil || f.Config.Messages == nil || f.Config.Messages.Queue == nil {
			return s
		}
		q := f.Config.Messages.Queue
		if q.DebounceMs != nil {
			s.Debounce = time.Duration(max(*q.DebounceMs, 0)) * time.Millisecond
		}
		if ms, ok := q.DebounceMsByChannel[strings.ToLower(strings.TrimSpace(channel))]; ok {
			s.Debounce = time.Duration(max(ms, 0)) * time.Millisecond
		}
		if q.Cap > 0 {
			s.Cap = q.Cap
		}
		if q.Drop != "" {
			s.Drop = string(q.Drop)
		}
		return s
	}
}

// typingConfig reads session.typingMode (over agents.defaults.typingMode) and
// agents.defaults.typingIntervalSeconds (over session's), as the original ranks them,
// from the live config: a reload applies to the next run.
// userLocationFunc is the live agents.defaults.userTimezone (nil: the host's zone),
// loaded once per config file.
func userLocationFunc(cur *atomic.Pointer[config.File], log *slog.Logger) func() *time.Location {
	type resolved struct {
		f   *config.File
		loc *time.Location
	}
	var last atomic.Pointer[resolved]
	return func() *time.Location {
		f := cur.Load()
		if r := last.Load(); r != nil && r.f == f {
			return r.loc
		}
		var loc *time.Location
		if f != nil {
			loc = userLocation(&f.Config, log)
		}
		last.Store(&resolved{f: f, loc: loc})
		return loc
	}
}

// envelopeConfig is the live agents.defaults envelope settings (envelopeTimestamp,
// envelopeElapsed, envelopeTimezone with userTimezone for "user"), resolved once per
// config file rather than per message.
func envelopeConfig(cur *atomic.Pointer[config.File], log *slog.Logger) func() envelope.Options {
	type resolved struct {
		f *config.File
		o envelope.Options
	}
	var last atomic.Pointer[resolved]
	return func() envelope.Options {
		f := cur.Load()
		if r := last.Load(); r != nil && r.f == f {
			return r.o
		}
		var ts, el, zone string
		if f != nil {
			if d := f.Config.Agents; d != nil && d.Defaults != nil {
				if d.Defaults.EnvelopeTimestamp != nil {
					ts = string(*d.Defaults.EnvelopeTimestamp)
				}
				if d.Defaults.EnvelopeElapsed != nil {
					el = string(*d.Defaults.EnvelopeElapsed)
				}
				if d.Defaults.EnvelopeTimezone != nil {
					zone = *d.Defaults.EnvelopeTimezone
				}
			}
		}
		var user *time.Location
		if f != nil {
			user = userLocation(&f.Config, log)
		}
		o := envelope.Resolve(ts, el, zone, user, nil)
		o.UserLocation = user
		if f != nil && f.Config.Agents != nil && f.Config.Agents.Defaults != nil && f.Config.Agents.Defaults.TimeFormat != nil {
			o.TimeFormat = string(*f.Config.Agents.Defaults.TimeFormat)
		}
		last.Store(&resolved{f: f, o: o})
		return o
	}
}

func typingConfig(cur *atomic.Pointer[config.File]) func() (string, time.Duration) {
	return func() (string, time.Duration) {
		f := cur.Load()
		if f == nil {
			return "", 0
		}
		var mode string
		var secs *int
		if d := f.Config.Agents; d != nil && d.Defaults != nil {
			if d.Defaults.TypingMode != nil {
				mode = string(*d.Defaults.TypingMode)
			}
			secs = d.Defaults.TypingIntervalSeconds
		}
		if sc := f.Config.Session; sc != nil {
			if sc.TypingMode != nil {
				mode = string(*sc.TypingMode)
			}
			if secs == nil {
				secs = sc.TypingIntervalSeconds
			}
		}
		var interval time.Duration
		if secs != nil && *secs > 0 {
			interval = time.Duration(*secs) * time.Second
		}
		return mode, interval
	}
}

// threadSuffix is a topic or thread tail of a session key (":thread:7", ":topic:3").
var threadSuffix = regexp.MustCompile(`(?i):(?:thread|topic):\d+$`)

// historyLimit is channels.<channel>.dms.<peer>.historyLimit, else
// channels.<channel>.dmHistoryLimit, for a direct chat's session key — the run's
// account's (accounts.<id>.dms.<peer>.historyLimit, accounts.<id>.dmHistoryLimit)
// first, where the original reads only the channel's
// ("agent:<id>:<channel>:<peer>" here, "agent:<id>:<channel>:dm:<peer>" in the
// original's keys); group sessions and the main session are not limited.
func historyLimit(cur *atomic.Pointer[config.File]) func(sessionKey, accountID string) int {
	return func(key, accountID string) int {
		f := cur.Load()
		if f == nil || f.Config.Channels == nil {
			return 0
		}
		parts := strings.Split(key, ":")
		if len(parts) >= 3 && parts[0] == "agent" {
			parts = parts[2:]
		}
		if len(parts) < 2 {
			return 0
		}
		channel, rest := strings.ToLower(parts[0]), parts[1:]
		switch strings.ToLower(rest[0]) {
		case "group", "channel":
			return 0
		case "dm":
			rest = rest[1:]
		}
		peer := threadSuffix.ReplaceAllString(strings.Join(rest, ":"), "")
		if peer == "" {
			return 0
		}
		// The first set value wins: account peer, account, channel peer, channel.
		limit := func(vals ...*int) int {
			for _, v := range vals {
				if v != nil {
					return *v
				}
			}
			return 0
		}
		switch channel {
		case providers.Telegram:
			if t := f.Config.Channels.Telegram; t != nil {
				var ap, ad *int
				if a, ok := accountEntry(t.Accounts, providers.NormalizeAccountID(accountID)); ok {
					ap, ad = a.Dms[peer].HistoryLimit, a.DmHistoryLimit
				}
				return limit(ap, ad, t.Dms[peer].HistoryLimit, t.DmHistoryLimit)
			}
		case providers.WhatsApp:
			if w := f.Config.Channels.Whatsapp; w != nil {
				var ap, ad *int
				if a, ok := accountEntry(w.Accounts, providers.NormalizeAccountID(accountID)); ok {
					ap, ad = a.Dms[peer].HistoryLimit, a.DmHistoryLimit
				}
				return limit(ap, ad, w.Dms[peer].HistoryLimit, w.DmHistoryLimit)
			}
		}
		return 0
	}
}

// subagentLimits is agents.defaults.subagents.maxConcurrent and archiveAfterMinutes as
// runtime options (0: the runtime's defaults, 8 and 60 minutes).
func subagentLimits(c *genconfig.ClawdbotConfig) (maxConcurrent int, archiveAfter time.Duration) {
	if a := c.Agents; a != nil && a.Defaults != nil && a.Defaults.Subagents != nil {
		sa := a.Defaults.Subagents
		if sa.MaxConcurrent != nil && *sa.MaxConcurrent > 0 {
			maxConcurrent = *sa.MaxConcurrent
		}
		if sa.ArchiveAfterMinutes != nil && *sa.ArchiveAfterMinutes > 0 {
			archiveAfter = time.Duration(*sa.ArchiveAfterMinutes) * time.Minute
		}
	}
	return maxConcurrent, archiveAfter
}

// channelPrompt is what a run's system prompt says about its channel account, read
// live: the capabilities of channels.<channel>.capabilities (the account's list
// replacing the channel's; Telegram's object form names no capability), with
// "inlineButtons" added where Telegram buttons are not off, and for Telegram the
// reaction guidance of reactionLevel ("minimal" by default, as the original; "off" and
// "ack" give none).
func channelPrompt(cur *atomic.Pointer[config.File]) func(channel, accountID string) agent.ChannelPrompt {
	return func(channel, accountID string) agent.ChannelPrompt {
		var out agent.ChannelPrompt
		f := cur.Load()
		if f == nil || f.Config.Channels == nil {
			return out
		}
		id := providers.NormalizeAccountID(accountID)
		switch channel {
		case providers.Telegram:
			t := f.Config.Channels.Telegram
			if t == nil {
				return out
			}
			sec := telegramAccountSection(*t, id)
			if list, ok := sec.Capabilities.([]any); ok {
				for _, e := range list {
					if s, ok := e.(string); ok && strings.TrimSpace(s) != "" {
						out.Capabilities = append(out.Capabilities, strings.TrimSpace(s))
					}
				}
			}
			if telegramInlineButtons(sec.Capabilities) != telegram.ButtonsOff &&
				!slices.ContainsFunc(out.Capabilities, func(s string) bool { return strings.EqualFold(s, "inlineButtons") }) {
				out.Capabilities = append(out.Capabilities, "inlineButtons")
			}
			level := "minimal"
			if sec.ReactionLevel != nil {
				level = string(*sec.ReactionLevel)
			}
			if level == "minimal" || level == "extensive" {
				out.Reactions, out.ChannelLabel = level, "Telegram"
			}
		case providers.WhatsApp:
			w := f.Config.Channels.Whatsapp
			if w == nil {
				return out
			}
			caps := w.Capabilities
			if a, ok := accountEntry(w.Accounts, id); ok && len(a.Capabilities) > 0 {
				caps = a.Capabilities
			}
			for _, s := range caps {
				if s = strings.TrimSpace(s); s != "" {
					out.Capabilities = append(out.Capabilities, s)
				}
			}
		}
		return out
	}
}
