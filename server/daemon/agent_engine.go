package daemon

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	genconfig "github.com/clawgate/gateway/gen/go/config"
	"github.com/clawgate/gateway/server/agent"
	"github.com/clawgate/gateway/server/agent/llm"
	"github.com/clawgate/gateway/server/agent/loop"
	"github.com/clawgate/gateway/server/agent/memory"
	"github.com/clawgate/gateway/server/agent/pruning"
	"github.com/clawgate/gateway/server/agent/tools"
	"github.com/clawgate/gateway/server/agents"
	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/execapprove"
	"github.com/clawgate/gateway/server/heartbeat"
	"github.com/clawgate/gateway/server/models"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/providers/dedupe"
	"github.com/clawgate/gateway/server/providers/telegram"
	"github.com/clawgate/gateway/server/redact"
	"github.com/clawgate/gateway/server/sessions"
	"github.com/clawgate/gateway/server/tts"
)

// DefaultWorkspaceRel is the agent's workspace under the home directory when
// agents.defaults.workspace is unset (the original's ~/clawd).
const DefaultWorkspaceRel = "clawd"

// engineParts are the long-lived pieces the tool sets of all runs share: the process
// registry exec and process use (its background jobs outlive a run, and a reload) and the
// exec gate. They live as long as the agent service.
type engineParts struct {
	procs *tools.Processes
	gate  *execapprove.Gate
	// browser is the gateway's one Chrome for the browser tool: started on first use,
	// reconfigured by each engine build (from its next start), stopped with the agent
	// service.
	browser *tools.Browser
	// memories holds the agents' memory indexes (memory_search, memory_get): each owns
	// a SQLite file and a file watcher, opened on a run's first memory call and closed
	// with the agent service.
	memories *memory.Registry
	// cfg is the config in force (stored at start and on every reload), for tool
	// settings read at call time (channels.telegram.actions).
	cfg atomic.Pointer[config.File]
}

// actionGate refuses message tool actions that channels.<id>.actions.* turn off
// (channel level, as the reference's action gates; unset is on): Telegram
// sendMessage, reactions, deleteMessage; WhatsApp sendMessage, reactions, polls.
// Telegram reactions are also off when the account's reactionLevel is "off" or "ack"
// (the reference's default "minimal" allows them).
func (p *engineParts) actionGate(channel, action, accountID string) error {
	f := p.cfg.Load()
	if f == nil || f.Config.Channels == nil {
		return nil
	}
	off := func(b *bool) bool { return b != nil && !*b }
	switch channel {
	case providers.Telegram:
		t := f.Config.Channels.Telegram
		if t == nil {
			return nil
		}
		a := t.Actions
		if a == nil {
			a = &genconfig.ConfigChannelsTelegramActions{}
		}
		switch action {
		case tools.MessageActionSend:
			if off(a.SendMessage) {
				return errors.New("Telegram sendMessage is disabled (channels.telegram.actions.sendMessage).")
			}
		case tools.MessageActionReact:
			if level := telegramReactionLevel(f, accountID); level == "off" || level == "ack" {
				return fmt.Errorf("Telegram agent reactions disabled (reactionLevel=%q). Set channels.telegram.reactionLevel to \"minimal\" or \"extensive\" to enable.", level)
			}
			if off(a.Reactions) {
				return errors.New("Telegram reactions are disabled via actions.reactions.")
			}
		case tools.MessageActionDelete:
			if off(a.DeleteMessage) {
				return errors.New("Telegram deleteMessage is disabled.")
			}
		}
	case providers.WhatsApp:
		w := f.Config.Channels.Whatsapp
		if w == nil || w.Actions == nil {
			return nil
		}
		switch a := w.Actions; action {
		case tools.MessageActionSend:
			if off(a.SendMessage) {
				return errors.New("WhatsApp sendMessage is disabled (channels.whatsapp.actions.sendMessage).")
			}
		case tools.MessageActionReact:
			if off(a.Reactions) {
				return errors.New("WhatsApp reactions are disabled.")
			}
		case tools.MessageActionPoll:
			if off(a.Polls) {
				return errors.New("WhatsApp polls are disabled (channels.whatsapp.actions.polls).")
			}
		}
	}
	return nil
}

// telegramReactionLevel is channels.telegram.reactionLevel, the account's own value
// winning ("" when unset).
func telegramReactionLevel(f *config.File, accountID string) string {
	id := providers.NormalizeAccountID(accountID)
	if v, ok := lookupString(f, "/channels/telegram/accounts/"+id+"/reactionLevel"); ok && v != "" {
		return v
	}
	v, _ := lookupString(f, "/channels/telegram/reactionLevel")
	return v
}

// groupTools is the tool policy of a Telegram group session's group
// (agent:<id>:telegram:group:<chat>): channels.telegram.groups.<chat>.tools, else
// groups."*".tools, the account's groups replacing the channel's, read live; nil when
// the session is no Telegram group or no tools policy applies.
func (p *engineParts) groupTools(sessionKey, accountID string) *tools.Policy {
	group, ok := telegramGroupOf(sessionKey)
	if !ok {
		return nil
	}
	f := p.cfg.Load()
	if f == nil || f.Config.Channels == nil || f.Config.Channels.Telegram == nil {
		return nil
	}
	groups := telegramAccountSection(*f.Config.Channels.Telegram, providers.NormalizeAccountID(accountID)).Groups
	g, ok := groups[group]
	if !ok || g.Tools == nil {
		g, ok = groups["*"]
	}
	if !ok || g.Tools == nil {
		return nil
	}
	return tools.NewPolicy(g.Tools.Allow, g.Tools.Deny)
}

func newEngineParts(s *services) (*engineParts, error) {
	// The approvals file the wire's exec.approvals.* methods edit (buildApprovals), so an
	// allow-always from a client and the gate read one file.
	home := s.home
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	store := s.approvalsStore
	if store == nil {
		store = execapprove.NewStore(execapprove.DefaultPath(home), filepath.Join(home, execapprove.DefaultSocketRel))
	}
	gopts := execapprove.GateOptions{Store: store, Home: home, Logger: s.log}
	if s.approvals != nil {
		gopts.Asker = s.approvals
	}
	gate, err := execapprove.NewGate(gopts)
	if err != nil {
		return nil, err
	}
	return &engineParts{procs: tools.NewProcesses(tools.ProcessOptions{}), gate: gate,
		browser: tools.NewBrowser(tools.BrowserOptions{Logger: s.log}), memories: memory.NewRegistry()}, nil
}

func (p *engineParts) close() {
	if p != nil {
		p.procs.Close()
		if p.browser != nil {
			_ = p.browser.Close()
		}
		if p.memories != nil {
			_ = p.memories.Close()
		}
	}
}

// browserOptions maps browser.* to the browser tool's options: headless unless
// browser.headless is false, screenshots under <state>/media/browser.
func browserOptions(s *services, c *genconfig.ConfigBrowser) tools.BrowserOptions {
	o := tools.BrowserOptions{Logger: s.log}
	if s.paths.StateDir != "" {
		o.MediaDir = filepath.Join(s.paths.StateDir, "media", "browser")
	}
	if s.browserAddrs != nil {
		o.Addrs = *s.browserAddrs
	}
	if c != nil {
		o.ExecPath, o.CDPURL = deref(c.ExecutablePath), deref(c.CdpURL)
		o.Headful = c.Headless != nil && !*c.Headless
		o.NoSandbox = c.NoSandbox != nil && *c.NoSandbox
	}
	return o
}

// providerTable converts models.providers to the model registry's table.
func providerTable(c *genconfig.ClawdbotConfig) map[string]llm.ProviderConfig {
	out := map[string]llm.ProviderConfig{}
	if c == nil || c.Models == nil {
		return out
	}
	for id, p := range c.Models.Providers {
		pc := llm.ProviderConfig{BaseURL: deref(p.BaseURL), APIKey: deref(p.APIKey), Headers: p.Headers}
		if p.API != nil {
			pc.API = llm.API(*p.API)
		}
		if p.AuthHeader != nil {
			pc.AuthHeader = *p.AuthHeader
		}
		if p.Auth != nil {
			pc.Auth = string(*p.Auth)
		}
		for _, m := range p.Models {
			mc := llm.ModelConfig{ID: m.ID, Name: m.Name, Headers: m.Headers}
			if m.API != nil {
				mc.API = llm.API(*m.API)
			}
			if m.Reasoning != nil {
				mc.Reasoning = *m.Reasoning
			}
			for _, in := range m.Input {
				mc.Input = append(mc.Input, string(in))
			}
			if m.ContextWindow != nil {
				mc.ContextWindow = int(*m.ContextWindow)
			}
			if m.MaxTokens != nil {
				mc.MaxTokens = int(*m.MaxTokens)
			}
			if c := m.Cost; c != nil {
				mc.Cost = llm.ModelCost{Input: derefF(c.Input), Output: derefF(c.Output), CacheRead: derefF(c.CacheRead), CacheWrite: derefF(c.CacheWrite)}
			}
			if c := m.Compat; c != nil {
				mc.Compat = llm.OpenAICompat{SupportsDeveloperRole: c.SupportsDeveloperRole, SupportsReasoningEffort: c.SupportsReasoningEffort,
					SupportsStore: c.SupportsStore}
				if c.MaxTokensField != nil {
					mc.Compat.MaxTokensField = string(*c.MaxTokensField)
				}
			}
			pc.Models = append(pc.Models, mc)
		}
		out[id] = pc
	}
	return out
}

// webSearchOptions reads tools.web.search. The tool is offered unless enabled is
// false, as in the original: without an API key its calls answer with what to
// configure. The Brave endpoint follows CLAWDBOT_BRAVE_SEARCH_URL when set (tests, API
// gateways); keys fall back to the environment at call time.
func webSearchOptions(web *genconfig.ConfigToolsWeb, getenv func(string) string) (tools.WebSearchOptions, bool) {
	o := tools.WebSearchOptions{Getenv: getenv, BraveEndpoint: strings.TrimSpace(getenv(tools.BraveSearchURLEnv))}
	if web == nil || web.Search == nil {
		return o, true
	}
	ws := web.Search
	if ws.Provider != nil {
		o.Provider = string(*ws.Provider)
	}
	o.APIKey = deref(ws.APIKey)
	if p := ws.Perplexity; p != nil {
		o.PerplexityAPIKey, o.PerplexityBaseURL, o.PerplexityModel = deref(p.APIKey), deref(p.BaseURL), deref(p.Model)
	}
	if ws.MaxResults != nil {
		o.MaxResults = *ws.MaxResults
	}
	if ws.TimeoutSeconds != nil {
		o.Timeout = time.Duration(*ws.TimeoutSeconds) * time.Second
	}
	if ws.CacheTtlMinutes != nil {
		o.CacheTTL = time.Duration(*ws.CacheTtlMinutes * float64(time.Minute))
		if o.CacheTTL <= 0 {
			o.CacheTTL = -1 // 0 = keep nothing
		}
	}
	return o, ws.Enabled == nil || *ws.Enabled
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func derefF(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

// buildEngine builds the tool-loop engine of a provider-kind agent config: the model
// chain (primary, then fallbacks in order) and the per-run tool set under
// tools.profile / allow / deny.
func buildEngine(s *services, f *config.File, cfg config.Agent, parts *engineParts) (*agent.Engine, error) {
	getenv := func(k string) string {
		v, _ := s.env(k)
		return v
	}
	table := agentProviderTable(s, &f.Config, getenv)
	profiles := newAgentProfiles(s, &f.Config, getenv)
	reg, err := llm.NewRegistry(llm.RegistryOptions{Providers: table, Getenv: getenv, Profiles: profiles})
	if err != nil {
		return nil, err
	}
	var refs []string
	for _, m := range cfg.Fallbacks {
		if m.Kind != config.BackendProvider {
			return nil, fmt.Errorf("agents.defaults.model.fallbacks: %q is a CLI backend; a model provider's fallbacks must be model providers too", m.ModelRef)
		}
		refs = append(refs, m.ModelRef)
	}
	chain, err := reg.Chain(cfg.ModelRef, refs)
	if err != nil {
		return nil, err
	}
	chain.Logger = s.log

	wsDir := cfg.Workspace
	if wsDir == "" {
		home, _ := os.UserHomeDir()
		wsDir = filepath.Join(home, DefaultWorkspaceRel)
	}

	tc := f.Config.Tools
	if tc == nil {
		tc = &genconfig.ConfigTools{}
	}
	global := globalToolPolicy(tc)
	crossContext := messageCrossContext(tc)
	globalExec := toExecConf(tc.Exec)
	execOpts := tools.ExecOptions{Gate: parts.gate, Processes: parts.procs, AgentID: "main"}
	fetchOpts := tools.WebFetchOptions{}
	fetchEnabled := true
	if tc.Web != nil && tc.Web.Fetch != nil {
		wf := tc.Web.Fetch
		if wf.Enabled != nil {
			fetchEnabled = *wf.Enabled
		}
		if wf.MaxChars != nil {
			fetchOpts.MaxChars = *wf.MaxChars
		}
		if wf.CacheTtlMinutes != nil {
			fetchOpts.CacheTTL = time.Duration(*wf.CacheTtlMinutes * float64(time.Minute))
			if fetchOpts.CacheTTL <= 0 {
				fetchOpts.CacheTTL = -1 // 0 = keep nothing
			}
		}
		if wf.TimeoutSeconds != nil {
			fetchOpts.Timeout = time.Duration(*wf.TimeoutSeconds) * time.Second
		}
		if wf.MaxRedirects != nil {
			fetchOpts.MaxRedirects = *wf.MaxRedirects
			if *wf.MaxRedirects == 0 {
				fetchOpts.MaxRedirects = -1 // 0 = follow none
			}
		}
		fetchOpts.UserAgent = deref(wf.UserAgent)
	}
	searchOpts, searchEnabled := webSearchOptions(tc.Web, getenv)
	browserEnabled := f.Config.Browser == nil || f.Config.Browser.Enabled == nil || *f.Config.Browser.Enabled
	if browserEnabled && parts.browser != nil {
		parts.browser.Configure(browserOptions(s, f.Config.Browser))
	}
	primary := chain.Primary()
	sender, dedup := s.sender, s.sendDedupe
	var nodeAPI tools.Nodes
	if reg := s.liveNodes(); reg != nil {
		nodeAPI = agentNodes{reg: reg, store: s.nodeStore}
		execOpts.Nodes = nodeAPI
	}
	log := s.log
	// The policy layers depend on this configuration, the run's agent and which tools
	// exist; they are worked out once per agent and tool list (a reload builds a new
	// engine, and with it a new cache) instead of on every run, and their warnings are
	// logged once.
	policy := &policyCache{compute: func(agentPolicy *tools.PolicyConfig, provider, model string, names []string) []*tools.Policy {
		layers, warnings := tools.Layers(global, agentPolicy, provider, model, names)
		for _, w := range warnings {
			log.Warn("tools policy: " + w)
		}
		return layers
	}}

	// Tools that depend on nothing of the run are built once per engine (a reload that
	// changes their configuration builds a new engine) and shared by its runs: they
	// keep no state of a run, and web_fetch's HTTP transport alone was ~1.8 KB of
	// garbage per run.
	var fetchTool, searchTool, canvasTool, browserTool *tools.Tool
	var fetchErr, searchErr, canvasErr, browserErr error
	if fetchEnabled {
		fetchTool, fetchErr = tools.WebFetchTool(fetchOpts)
	}
	if searchEnabled {
		// Shared like web_fetch, and so is its cache of answers.
		searchTool, searchErr = tools.WebSearchTool(searchOpts)
	}
	if browserEnabled = browserEnabled && parts.browser != nil; browserEnabled {
		browserTool, browserErr = tools.BrowserTool(parts.browser)
	}
	if nodeAPI != nil {
		canvasTool, canvasErr = tools.CanvasTool(nodeAPI)
	}

	home := s.home
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	memOpts := memoryConfig{defaults: memorySearchDefaults(&f.Config), env: memory.ProviderEnv{Getenv: getenv},
		stateDir: s.paths.StateDir, home: home, registry: parts.memories, log: s.log,
		store: func() *sessions.Store {
			if rt := s.rt; rt != nil {
				return rt.Store()
			}
			return nil
		}}
	if c := f.Config.Models; c != nil {
		if p, ok := c.Providers["openai"]; ok {
			memOpts.env.OpenAIBaseURL, memOpts.env.OpenAIAPIKey, memOpts.env.OpenAIHeaders = deref(p.BaseURL), deref(p.APIKey), p.Headers
		}
	}
	var subAllow, subDeny []string
	if tc.Subagents != nil && tc.Subagents.Tools != nil {
		subAllow, subDeny = tc.Subagents.Tools.Allow, tc.Subagents.Tools.Deny
	}
	subagentPolicy := tools.SubagentPolicy(subAllow, subDeny)

	vision, err := imageVision(s, f, reg)
	if err != nil {
		return nil, err
	}
	speech := tts.NewSpeaker(tts.SpeakerOptions{Settings: func() tts.Settings { return ttsSettings(s, f) }, Log: s.log})
	// notify is where exec's notices go (a background command that exited,
	// tools.exec.notifyOnExit; an approved command still running,
	// approvalRunningNoticeMs): a system note in the run's session, and a heartbeat so
	// the agent looks at it, as the original's system event + heartbeat request.
	notify := func(ctx context.Context, sessionKey, text string) {
		rt := s.rt
		if rt == nil || sessionKey == "" {
			return
		}
		if _, _, err := rt.Store().Append(ctx, sessionKey, sessions.Message{Role: "system", Text: "System note: " + text}); err != nil {
			log.Warn("exec: notice not recorded", "session", sessionKey, "err", err)
			return
		}
		if sc := s.schedule.Load(); sc != nil && sc.hb != nil && sc.hbActive.Load() {
			sc.hb.RequestNow("exec-event")
		}
	}
	build := func(ctx context.Context, run agent.RunInfo) (*tools.Set, func(), error) {
		// The session's agent (bindings route messages to agent:<id>:… sessions) works
		// in its own workspace under its own tool policy; the default agent in wsDir.
		ra := runAgentOf(&f.Config, run.SessionKey)
		dir, agentPolicy, agentID := wsDir, (*tools.PolicyConfig)(nil), "main"
		if !ra.isDefault {
			dir = agents.WorkspaceDir(&f.Config, ra.id, agents.Paths{Home: home, DefaultWorkspace: wsDir})
			agentID = ra.id
		}
		agentPolicy = agentToolPolicy(ra.entry.Tools)
		ec := globalExec
		if t := ra.entry.Tools; t != nil && t.Exec != nil {
			ec = mergeExec(globalExec, toExecConf(t.Exec))
		}
		// The run's model: byProvider and applyPatch.allowModels match it.
		runProvider, runModel := primary.Provider, primary.Model
		if run.Model != "" {
			if rf, err := llm.ParseRef(run.Model); err == nil {
				runProvider, runModel = rf.Provider, rf.Model
			}
		}
		if !ra.isDefault {
			// Created on first use, as the persona does for the prompt.
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, nil, fmt.Errorf("agent %s workspace: %w", ra.id, err)
			}
		}
		// The workspace is opened per run: a reload may move it, and a run keeps the
		// root it started with until it ends.
		ws, err := tools.OpenWorkspace(dir)
		if err != nil {
			return nil, nil, err
		}
		cleanup := func() { _ = ws.Close() }
		var list []*tools.Tool
		add := func(t *tools.Tool, err error) error {
			if err != nil {
				return err
			}
			list = append(list, t)
			return nil
		}
		eo := ec.apply(execOpts)
		eo.Workspace = ws.Dir()
		eo.SessionKey, eo.ScopeKey, eo.AgentID = run.SessionKey, run.SessionKey, agentID
		eo.Notify = notify
		eo.MessageProvider = run.Channel
		eo.Elevated = elevatedFor(&f.Config, ra.entry, run.Channel, run.Sender, run.ElevatedLevel)
		errs := []error{
			add(tools.ReadTool(ws)), add(tools.WriteTool(ws)), add(tools.EditTool(ws)),
			add(tools.ExecTool(eo)), add(tools.ProcessTool(parts.procs, run.SessionKey)),
		}
		if ec.applyPatchOn(runProvider, runModel) {
			errs = append(errs, add(tools.ApplyPatchTool(ws)))
		}
		if searchEnabled {
			errs = append(errs, add(searchTool, searchErr))
		}
		if fetchEnabled {
			errs = append(errs, add(fetchTool, fetchErr))
		}
		if browserEnabled {
			errs = append(errs, add(browserTool, browserErr))
		}
		if vision != nil {
			errs = append(errs, add(tools.ImageTool(tools.ImageOptions{Workspace: ws, Vision: vision, MaxBytes: agentMediaMaxBytes(&f.Config)})))
		}
		// tts: text to a voice file the reply names (messages.tts as configured now).
		errs = append(errs, add(tools.TTSTool(speech, run.Channel)))
		if sender != nil {
			ps := providerSender{s: sender, dedup: dedup}
			mo := tools.MessageOptions{Sender: ps, Scope: run.RunID, CurrentChannel: run.Channel, CurrentTo: run.To,
				AccountID: run.AccountID, Gate: parts.actionGate, CrossContext: crossContext, ButtonsGate: parts.buttonsGate}
			if _, ok := sender.(messageActor); ok {
				mo.Actions = ps
			}
			if rm := s.replyMedia; rm != nil {
				roots := rm(run.SessionKey)
				mo.ResolveMedia = roots.Local
			}
			errs = append(errs, add(tools.MessageTool(mo)))
		}
		if nodeAPI != nil {
			errs = append(errs, add(tools.NodesTool(tools.NodesOptions{Nodes: nodeAPI, Gate: parts.gate, Security: eo.Security,
				Ask: eo.Ask, AgentID: agentID, SessionKey: run.SessionKey})), add(canvasTool, canvasErr))
		}
		// The cron tool, while the scheduler runs (cron.enabled / CLAWDBOT_SKIP_CRON).
		if sc := s.schedule.Load(); sc != nil {
			if cs := sc.cronService(); cs != nil {
				errs = append(errs, add(tools.CronTool(tools.CronOptions{Cron: cs, Waker: scheduleWaker{sc}, AgentID: "main"})))
			}
		}
		// The gateway tool (restart, config.*, update.run) through the running
		// gateway's own handlers; tool policy decides who gets it (only the "full"
		// profile, group:automation and group:clawdbot name it; sub-agents never).
		if gt := s.gatewayTool; gt != nil {
			// commands.restart as the config is now (absent = off, as the original):
			// a change to it rebuilds no engine.
			live := parts.cfg.Load()
			if live == nil {
				live = f
			}
			restartEnabled := lookupTrue(live, "/commands/restart")
			errs = append(errs, add(tools.GatewayTool(tools.GatewayOptions{Backend: gt,
				RestartEnabled: restartEnabled, SessionKey: run.SessionKey})))
		}
		if mt, ok := memOpts.tools(ra, dir, run.SessionKey); ok {
			list = append(list, mt...)
		}
		if run.Sessions != nil {
			so := sessionsToolOptions(&f.Config, ra)
			so.Sessions, so.SessionKey, so.Channel, so.To, so.AccountID = run.Sessions, run.SessionKey, run.Channel, run.To, run.AccountID
			so.MainKey, so.Scope = run.MainKey, run.RunID
			st, err := tools.SessionsTools(so)
			errs = append(errs, err)
			list = append(list, st...)
		}
		if err := errors.Join(errs...); err != nil {
			cleanup()
			return nil, nil, err
		}
		set, err := tools.NewSet(list...)
		if err != nil {
			cleanup()
			return nil, nil, err
		}
		layers := policy.layers(agentID, agentPolicy, runProvider, runModel, set.Names())
		if gp := parts.groupTools(run.SessionKey, run.AccountID); gp != nil {
			layers = append(slices.Clone(layers), gp) // a Telegram group's policy
		}
		if gp := groupToolPolicy(&f.Config, run.SessionKey, run.AccountID); gp != nil {
			// A WhatsApp group's own policy narrows the agent's further (the cached layers are shared).
			layers = append(slices.Clip(layers), gp)
		}
		if tools.IsSubagentSessionKey(run.SessionKey) {
			// A sub-agent run also gets the sub-agent policy (tools.subagents.tools).
			layers = append(slices.Clip(layers), subagentPolicy)
		}
		return set.Filter(layers...), cleanup, nil
	}
	primaryRef, _ := llm.ParseRef(cfg.ModelRef)
	selection := models.NewSelection(&f.Config, primaryRef.String())
	chainFor := func(ref string, fallbacks []string) (llm.Streamer, string, error) {
		if key, ok := selection.Alias(ref); ok {
			ref = key // agents.list[].model may name an alias too
		}
		if !strings.Contains(ref, "/") {
			ref = primaryRef.Provider + "/" + strings.TrimSpace(ref) // a bare id is one of the primary's provider
		}
		rf, err := llm.ParseRef(ref)
		if err != nil {
			return nil, "", err
		}
		c, err := reg.Chain(rf.String(), fallbacks)
		if err != nil {
			return nil, "", err
		}
		c.Logger = s.log
		return c, rf.String(), nil
	}
	modelFor := func(ref string) (llm.Streamer, string, error) { return chainFor(ref, refs) }
	// A session's runs fall back along its agent's fallbacks when the agent sets them
	// (an empty list turns the defaults off), else the defaults'.
	modelForAgent := func(key, ref string) (llm.Streamer, string, error) {
		if fb, ok := listFallbacks(runAgentOf(&f.Config, key).entry.Model); ok {
			return chainFor(ref, fb)
		}
		return chainFor(ref, refs)
	}
	agentModel := func(key string) string {
		ra := runAgentOf(&f.Config, key)
		if ra.isDefault {
			return "" // the default entry's model and fallbacks are already cfg's
		}
		m := listModel(ra.entry.Model)
		if _, ok := listFallbacks(ra.entry.Model); ok && m == "" {
			m = cfg.ModelRef // the agent's own fallbacks behind the default model
		}
		return m
	}
	verbose := ""
	if a := f.Config.Agents; a != nil && a.Defaults != nil && a.Defaults.VerboseDefault != nil {
		verbose = string(*a.Defaults.VerboseDefault)
	}
	thinking := ""
	if a := f.Config.Agents; a != nil && a.Defaults != nil && a.Defaults.ThinkingDefault != nil {
		thinking = string(*a.Defaults.ThinkingDefault)
	}
	elevatedDefault := ""
	if a := f.Config.Agents; a != nil && a.Defaults != nil && a.Defaults.ElevatedDefault != nil {
		elevatedDefault = string(*a.Defaults.ElevatedDefault)
	}
	elevatedGate := func(key, channel string, sender agent.SenderInfo) (bool, bool, []string) {
		ra := runAgentOf(&f.Config, key)
		e := elevatedFor(&f.Config, ra.entry, channel, sender, "")
		return e.Enabled, e.Allowed, elevatedFailures(&f.Config, ra.entry, channel, e)
	}
	return &agent.Engine{Model: chain, Tools: build, Elevated: elevatedGate, ElevatedDefault: elevatedDefault, Temperature: cfg.Temperature, ModelFor: modelFor, Models: selection, Primary: primaryRef.String(),
		Compaction: compactionConfig(&f.Config), Pruning: contextPruning(&f.Config, s.log), VerboseDefault: verbose, ThinkingDefault: thinking, AgentModel: agentModel,
		AuthAgent:     func(key string) string { return runAgentOf(&f.Config, key).id },
		ModelForAgent: modelForAgent,
		AuthLabel: func(key, model string) string {
			rf, err := llm.ParseRef(model)
			if err != nil {
				return ""
			}
			return profiles.label(runAgentOf(&f.Config, key).id, rf.Provider, table, getenv)
		},
		Loop: loop.Options{Redact: redactor(f, s.log).Text}}, nil
}

// policyCache keeps the tool policy layers per agent of the last tool list an engine
// built for it. The list changes only with what is running (the message tool needs
// providers, cron the scheduler), so one entry per agent is enough; the number of
// agents is bounded by the config, and by maxPolicyCacheAgents in any case.
type policyCache struct {
	compute func(agentPolicy *tools.PolicyConfig, provider, model string, names []string) []*tools.Policy
	mu      sync.Mutex
	byAgent map[policyKey]policyEntry
}

// policyKey is an agent and the model a run of it uses (byProvider entries match it).
type policyKey struct{ agent, provider, model string }

type policyEntry struct {
	names  []string
	layers []*tools.Policy
}

// maxPolicyCacheAgents bounds policyCache; past it the cache starts over.
const maxPolicyCacheAgents = 256

func (c *policyCache) layers(agentID string, agentPolicy *tools.PolicyConfig, provider, model string, names []string) []*tools.Policy {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := policyKey{agentID, provider, model}
	if e, ok := c.byAgent[k]; ok && slices.Equal(e.names, names) {
		return e.layers
	}
	if c.byAgent == nil || len(c.byAgent) >= maxPolicyCacheAgents {
		c.byAgent = map[policyKey]policyEntry{}
	}
	l := c.compute(agentPolicy, provider, model, names)
	if l == nil {
		l = []*tools.Policy{}
	}
	c.byAgent[k] = policyEntry{names: slices.Clone(names), layers: l}
	return l
}

// compactionConfig is the context budget of the agent's models: each model's window
// from models.providers.*.models[].contextWindow, agents.defaults.contextTokens for the
// others, the reply reserve raised to agents.defaults.compaction.reserveTokensFloor, and
// the pre-compaction memory flush (agents.defaults.compaction.memoryFlush).
func compactionConfig(c *genconfig.ClawdbotConfig) agent.CompactionConfig {
	windows := map[string]int{}
	for id, p := range providerTable(c) {
		for _, m := range p.Models {
			if m.ContextWindow > 0 {
				windows[llm.NormalizeProvider(id)+"/"+m.ID] = m.ContextWindow
			}
		}
	}
	cc := agent.CompactionConfig{ContextWindow: func(ref string) int { return windows[ref] }}
	var floor *int
	var mf genconfig.ConfigAgentsDefaultsCompactionMemoryFlush
	if c.Agents != nil && c.Agents.Defaults != nil {
		d := c.Agents.Defaults
		if d.ContextTokens != nil {
			cc.DefaultContextTokens = *d.ContextTokens
		}
		if d.Compaction != nil {
			floor = d.Compaction.ReserveTokensFloor
			if d.Compaction.MemoryFlush != nil {
				mf = *d.Compaction.MemoryFlush
			}
		}
	}
	cc.ReserveTokens = agent.ReserveWithFloor(floor)
	// On unless agents.defaults.compaction.memoryFlush.enabled is false, as in the original.
	cc.MemoryFlush = agent.ResolveMemoryFlush(mf.Enabled, mf.SoftThresholdTokens, mf.Prompt, mf.SystemPrompt)
	return cc
}

// agentMediaMaxBytes is agents.defaults.mediaMaxMb in bytes (0 = unset: the tools' own
// limits). The image tool loads at most this much, as the original's does.
func agentMediaMaxBytes(c *genconfig.ClawdbotConfig) int64 {
	if c.Agents == nil || c.Agents.Defaults == nil || c.Agents.Defaults.MediaMaxMb == nil || *c.Agents.Defaults.MediaMaxMb <= 0 {
		return 0
	}
	return int64(*c.Agents.Defaults.MediaMaxMb * (1 << 20))
}

// contextPruning is agents.defaults.contextPruning: nil unless mode is cache-ttl, the
// original's defaults for what is not set, ratios clamped to [0, 1] and counts to ≥ 0
// as the original clamps them.
func contextPruning(c *genconfig.ClawdbotConfig, log *slog.Logger) *pruning.Settings {
	if c.Agents == nil || c.Agents.Defaults == nil || c.Agents.Defaults.ContextPruning == nil {
		return nil
	}
	cp := c.Agents.Defaults.ContextPruning
	if cp.Mode == nil || *cp.Mode != genconfig.ConfigAgentsDefaultsContextPruningModeCacheTtl {
		return nil
	}
	s := pruning.Defaults()
	if cp.Ttl != nil {
		if d, err := heartbeat.ParseEvery(*cp.Ttl); err == nil {
			s.TTL = d
		} else {
			log.Warn("agents.defaults.contextPruning.ttl: keeping the default", "ttl", *cp.Ttl, "err", err)
		}
	}
	nonNeg := func(dst *int, v *int) {
		if v != nil {
			*dst = max(0, *v)
		}
	}
	ratio := func(dst *float64, v *float64) {
		if v != nil {
			*dst = min(1, max(0, *v))
		}
	}
	nonNeg(&s.KeepLastAssistants, cp.KeepLastAssistants)
	ratio(&s.SoftTrimRatio, cp.SoftTrimRatio)
	ratio(&s.HardClearRatio, cp.HardClearRatio)
	nonNeg(&s.MinPrunableToolChars, cp.MinPrunableToolChars)
	if cp.Tools != nil {
		s.Allow, s.Deny = cp.Tools.Allow, cp.Tools.Deny
	}
	if st := cp.SoftTrim; st != nil {
		nonNeg(&s.SoftTrimMaxChars, st.MaxChars)
		nonNeg(&s.SoftTrimHeadChars, st.HeadChars)
		nonNeg(&s.SoftTrimTailChars, st.TailChars)
	}
	if hc := cp.HardClear; hc != nil {
		if hc.Enabled != nil {
			s.HardClearEnabled = *hc.Enabled
		}
		if hc.Placeholder != nil && strings.TrimSpace(*hc.Placeholder) != "" {
			s.Placeholder = strings.TrimSpace(*hc.Placeholder)
		}
	}
	return &s
}

// runAgent is the agent a session belongs to.
type runAgent struct {
	id        string
	entry     genconfig.ConfigAgentsListElem
	isDefault bool
}

// runAgentOf resolves the agent of a session key: agent:<id>:… names it; "main" that
// agents.list does not have, and keys of no agent, are the default agent's (the
// runtime keeps the default agent's sessions under agent:main:).
func runAgentOf(c *genconfig.ClawdbotConfig, key string) runAgent {
	def := agents.DefaultID(c)
	id := agents.SessionAgentID(key, def)
	e, ok := agents.Entry(c, id)
	if !ok {
		id = def
		e, _ = agents.Entry(c, def)
	}
	return runAgent{id: id, entry: e, isDefault: id == def}
}

// listModel is an agents.list entry's model: a "provider/model" string or
// {primary: …}; "" when unset.
func listModel(v any) string {
	switch m := v.(type) {
	case string:
		return strings.TrimSpace(m)
	case map[string]any:
		if p, ok := m["primary"].(string); ok {
			return strings.TrimSpace(p)
		}
	}
	return ""
}

// listFallbacks is an agents.list entry's model.fallbacks; ok is false when the entry
// does not set them (a string model, or an object without the member), so the
// defaults apply; an empty list is an override that turns them off.
func listFallbacks(v any) (fallbacks []string, ok bool) {
	m, isMap := v.(map[string]any)
	if !isMap {
		return nil, false
	}
	list, isList := m["fallbacks"].([]any)
	if !isList {
		return nil, false
	}
	out := []string{}
	for _, x := range list {
		if s, isStr := x.(string); isStr && strings.TrimSpace(s) != "" {
			out = append(out, strings.TrimSpace(s))
		}
	}
	return out, true
}

// providerSender is the message tool's way out: the providers' sender behind the send
// method's durable dedupe store, so a tool call's key delivers at most once even across
// a restart (the tool deduplicates in memory as well).
type providerSender struct {
	s     providers.Sender
	dedup *dedupe.Store
}

func (p providerSender) SendMessage(ctx context.Context, m tools.MessageSend) (tools.MessageSent, error) {
	return p.once(ctx, "send", m.IdempotencyKey, func(ctx context.Context) (providers.Sent, error) {
		var buttons [][]providers.Button
		for _, row := range m.Buttons {
			r := make([]providers.Button, len(row))
			for i, b := range row {
				r[i] = providers.Button(b)
			}
			buttons = append(buttons, r)
		}
		return p.s.Send(ctx, m.Channel, providers.Outbound{To: m.To, Text: m.Text, MediaURL: m.MediaURL, MediaPath: m.MediaPath,
			GifPlayback: m.GifPlayback, AccountID: m.AccountID, Buttons: buttons})
	})
}

// once runs send behind the durable dedupe when the call has an idempotency key: a
// repeated key gets the first call's result instead of a second message. kind names
// the action in the dedupe key and in errors.
func (p providerSender) once(ctx context.Context, kind, key string, send func(ctx context.Context) (providers.Sent, error)) (tools.MessageSent, error) {
	do := func(ctx context.Context) (json.RawMessage, error) {
		sent, err := send(ctx)
		if err != nil {
			return nil, err
		}
		return json.Marshal(tools.MessageSent{MessageID: sent.MessageID, ChatID: sent.ChatID, ToJID: sent.ToJID})
	}
	var (
		raw json.RawMessage
		err error
	)
	if p.dedup != nil && key != "" {
		raw, _, err = p.dedup.Do(ctx, kind+":"+key, do)
	} else {
		raw, err = do(ctx)
	}
	if err != nil {
		return tools.MessageSent{}, err
	}
	var out tools.MessageSent
	if err := json.Unmarshal(raw, &out); err != nil {
		return tools.MessageSent{}, fmt.Errorf("message: %s result: %w", kind, err)
	}
	return out, nil
}

// messageActor is what the providers' registry offers for the message tool's react,
// delete and poll actions.
type messageActor interface {
	React(ctx context.Context, channel string, r providers.Reaction) error
	DeleteMessage(ctx context.Context, channel string, m providers.MessageRef) error
	SendPoll(ctx context.Context, channel string, p providers.Poll) (providers.Sent, error)
}

// React implements tools.MessageActions.
func (p providerSender) React(ctx context.Context, r tools.MessageReact) error {
	a, ok := p.s.(messageActor)
	if !ok {
		return errors.New("message: reactions are not available")
	}
	return a.React(ctx, r.Channel, providers.Reaction{ChatID: r.To, MessageID: r.MessageID, Emoji: r.Emoji,
		Participant: r.Participant, FromMe: r.FromMe, AccountID: r.AccountID})
}

// Delete implements tools.MessageActions.
func (p providerSender) Delete(ctx context.Context, d tools.MessageDelete) error {
	a, ok := p.s.(messageActor)
	if !ok {
		return errors.New("message: deleting is not available")
	}
	return a.DeleteMessage(ctx, d.Channel, providers.MessageRef{ChatID: d.To, MessageID: d.MessageID, AccountID: d.AccountID})
}

// Poll implements tools.MessageActions, behind the durable dedupe as sends are.
func (p providerSender) Poll(ctx context.Context, m tools.MessagePoll) (tools.MessageSent, error) {
	a, ok := p.s.(messageActor)
	if !ok {
		return tools.MessageSent{}, errors.New("message: polls are not available")
	}
	return p.once(ctx, "poll", m.IdempotencyKey, func(ctx context.Context) (providers.Sent, error) {
		return a.SendPoll(ctx, m.Channel, providers.Poll{To: m.To, Question: m.Question, Options: m.Options,
			MaxSelections: m.MaxSelections, AccountID: m.AccountID})
	})
}

// sessionsToolOptions is the configuration part of the sessions tools of a run of
// agent ra: tools.agentToAgent, the agent's subagents.allowAgents, agents.list for
// agents_list, and the sub-agent models (agents.list[].subagents.model, else
// agents.defaults.subagents.model).
func sessionsToolOptions(c *genconfig.ClawdbotConfig, ra runAgent) tools.SessionsOptions {
	o := tools.SessionsOptions{
		AgentID:          func(key string) string { return agents.SessionAgent(c, key) },
		NormalizeAgentID: agents.NormalizeID,
	}
	if t := c.Tools; t != nil && t.AgentToAgent != nil {
		o.AgentToAgent = tools.AgentToAgent{Enabled: t.AgentToAgent.Enabled != nil && *t.AgentToAgent.Enabled, Allow: t.AgentToAgent.Allow}
	}
	if sa := ra.entry.Subagents; sa != nil {
		o.AllowAgents = sa.AllowAgents
	}
	if a := c.Agents; a != nil {
		for _, e := range a.List {
			if e.ID == nil || strings.TrimSpace(*e.ID) == "" {
				continue
			}
			name := ""
			if e.Name != nil {
				name = *e.Name
			}
			o.Agents = append(o.Agents, tools.AgentInfo{ID: *e.ID, Name: name})
		}
	}
	o.SubagentModel = func(agentID string) string {
		if e, ok := agents.Entry(c, agentID); ok && e.Subagents != nil {
			if m := listModel(e.Subagents.Model); m != "" {
				return m
			}
		}
		if a := c.Agents; a != nil && a.Defaults != nil && a.Defaults.Subagents != nil {
			return listModel(a.Defaults.Subagents.Model)
		}
		return ""
	}
	return o
}

// redactor is logging.redactSensitive ("tools" unless "off") with
// logging.redactPatterns (else the reference's defaults); patterns that do not
// compile are logged and skipped.
func redactor(f *config.File, log *slog.Logger) *redact.Redactor {
	mode, _ := lookupString(f, "/logging/redactSensitive")
	var patterns []string
	if v, ok := f.Lookup("/logging/redactPatterns"); ok {
		if list, ok := v.([]any); ok {
			for _, p := range list {
				if s, ok := p.(string); ok {
					patterns = append(patterns, s)
				}
			}
		}
	}
	r, bad := redact.New(mode, patterns)
	for _, p := range bad {
		log.Warn("logging.redactPatterns: pattern does not compile; skipped", "pattern", p)
	}
	return r
}

func lookupString(f *config.File, pointer string) (string, bool) {
	v, ok := f.Lookup(pointer)
	s, isStr := v.(string)
	return s, ok && isStr
}

// imageVision is the image tool's model: agents.defaults.imageModel.primary and its
// fallbacks through the same providers as the agent (nil when no image model is
// configured: the tool is not offered). A call may name another provider/model.
func imageVision(s *services, f *config.File, reg *llm.Registry) (tools.Vision, error) {
	primary, _ := lookupString(f, "/agents/defaults/imageModel/primary")
	if primary = strings.TrimSpace(primary); primary == "" {
		return nil, nil
	}
	var fallbacks []string
	if v, ok := f.Lookup("/agents/defaults/imageModel/fallbacks"); ok {
		if list, ok := v.([]any); ok {
			for _, x := range list {
				if r, ok := x.(string); ok && strings.TrimSpace(r) != "" {
					fallbacks = append(fallbacks, strings.TrimSpace(r))
				}
			}
		}
	}
	chain, err := reg.Chain(primary, fallbacks)
	if err != nil {
		return nil, fmt.Errorf("agents.defaults.imageModel: %w", err)
	}
	chain.Logger = s.log
	return func(ctx context.Context, model, prompt, mimeType string, data []byte) (string, error) {
		var m llm.Streamer = chain
		if model != "" {
			c, err := reg.Chain(model, nil)
			if err != nil {
				return "", fmt.Errorf("image model %q: %w", model, err)
			}
			m = c
		}
		msg := llm.Message{Role: llm.RoleUser, Content: []llm.Part{llm.TextPart(prompt), llm.ImagePart(mimeType, base64.StdEncoding.EncodeToString(data))}, Timestamp: time.Now().UnixMilli()}
		resp, err := m.Stream(ctx, &llm.Request{Messages: []llm.Message{msg}}, nil)
		if err != nil {
			return "", fmt.Errorf("image model: %w", err)
		}
		text := strings.TrimSpace(resp.Message.Text())
		if text == "" {
			return "", errors.New("image model returned no text")
		}
		return text, nil
	}, nil
}

// buttonsGate refuses a message tool send with inline buttons that the account's
// channels.telegram.capabilities.inlineButtons does not allow, with the original's
// errors: "off" none, "dm" only to a user's chat, "group" only to a group (both need
// a numeric chat id: a negative one is a group). Other channels ignore buttons.
func (p *engineParts) buttonsGate(channel, target, accountID string) error {
	if channel != providers.Telegram {
		return nil
	}
	scope := telegram.ButtonsAllowlist
	if f := p.cfg.Load(); f != nil && f.Config.Channels != nil && f.Config.Channels.Telegram != nil {
		sec := telegramAccountSection(*f.Config.Channels.Telegram, providers.NormalizeAccountID(accountID))
		scope = telegramInlineButtons(sec.Capabilities)
	}
	switch scope {
	case telegram.ButtonsOff:
		return errors.New(`Telegram inline buttons are disabled. Set channels.telegram.capabilities.inlineButtons to "dm", "group", "all", or "allowlist".`)
	case telegram.ButtonsDM, telegram.ButtonsGroup:
		chat := strings.TrimSpace(target)
		chat = strings.TrimPrefix(chat, "telegram:")
		chat = strings.TrimPrefix(chat, "group:")
		chat, _, _ = strings.Cut(chat, ":")
		if _, err := strconv.ParseInt(chat, 10, 64); err != nil {
			return fmt.Errorf("Telegram inline buttons require a numeric chat id when inlineButtons=%q.", scope)
		}
		group := strings.HasPrefix(chat, "-")
		if scope == telegram.ButtonsDM && group {
			return errors.New(`Telegram inline buttons are limited to DMs when inlineButtons="dm".`)
		}
		if scope == telegram.ButtonsGroup && !group {
			return errors.New(`Telegram inline buttons are limited to groups when inlineButtons="group".`)
		}
	}
	return nil
}
