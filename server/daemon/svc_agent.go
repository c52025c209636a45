package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	genconfig "github.com/clawgate/gateway/gen/go/config"
	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/agent"
	"github.com/clawgate/gateway/server/agent/backend"
	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/sessions"
)

// agentService is the agent runtime with its session store: it serves agent, chat.*,
// sessions.* and wake, answers inbound provider messages, and contributes the
// sessions part of health. A config reload applies agents.defaults.model,
// models.providers, agents.defaults.cliBackends and agents.defaults.timeoutSeconds to
// the runs that start afterwards; the concurrency and queue bounds and session.* need
// a process restart.
type agentService struct {
	s      *services
	store  *sessions.Store
	rt     *agent.Runtime
	cfgKey string // the agent config the runtime runs with, for reload comparisons
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
	cfg, err := agentSettings(a.s, next)
	if err != nil {
		a.s.log.Warn("agent config change not applied; runs keep the previous model", "err", err)
		return
	}
	key := agentConfigKey(cfg)
	if key == a.cfgKey {
		return
	}
	var prev config.Agent
	_ = json.Unmarshal([]byte(a.cfgKey), &prev)
	if prev.MaxConcurrent != cfg.MaxConcurrent || !equalIntPtr(prev.MaxQueuePerSession, cfg.MaxQueuePerSession) {
		a.s.log.Warn("agents.defaults.maxConcurrent / agents.defaults.maxQueuePerSession changed: they apply after a restart of the process")
	}
	be, model, sys, err := agentBackend(cfg, a.s.env)
	if err == nil {
		err = a.rt.SetModel(agent.ModelConfig{Backend: be, Model: model, SystemPrompt: sys, Timeout: cfg.Timeout})
	}
	if err != nil {
		a.s.log.Warn("agent config change not applied; runs keep the previous model", "err", err)
		return
	}
	a.cfgKey = key
	a.s.log.Info("agent config reloaded", "backend", cfg.Kind, "model", model)
}

func buildAgent(ctx context.Context, s *services) (component, error) {
	cfg, err := agentSettings(s, s.file)
	if err != nil {
		return nil, err
	}
	be, model, sys, err := agentBackend(cfg, s.env)
	if err != nil {
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
	store, err := sessions.Open(ctx, sessions.Options{Path: path, Logger: s.log})
	if err != nil {
		return nil, err
	}
	opts := agent.Options{
		Backend: be, Store: store, Sender: s.sender, SystemPrompt: sys, Model: model,
		MainKey: mainKey, GlobalScope: global,
		Timeout:       cfg.Timeout,
		MaxConcurrent: cfg.MaxConcurrent,
		Logger:        s.log,
	}
	if q := cfg.MaxQueuePerSession; q != nil {
		opts.MaxQueuePerSession = *q
		if *q == 0 {
			opts.MaxQueuePerSession = -1 // 0 = no limit
		}
	}
	rt, err := agent.New(opts)
	if err != nil {
		_ = store.Close()
		return nil, err
	}
	// Events go to whichever gateway is running; between in-process restarts there is
	// none and they are dropped (clients re-sync with agent.wait / chat.history).
	rt.SetBroadcast(func(ev protocol.Event) {
		if srv := s.server(); srv != nil {
			srv.Broadcast(ev)
		}
		s.nodeEvents.forward(ev) // chat.subscribe streams (node events)
	})
	s.inbound.set(rt)
	s.runner = rt // hooks start runs through the same path as agent and wake
	s.rt = rt
	s.log.Info("agent runtime ready", "backend", cfg.Kind, "model", model, "sessions", path, "delivery", s.sender != nil)
	return &agentService{s: s, store: store, rt: rt, cfgKey: agentConfigKey(cfg)}, nil
}

// agentBackend builds the configured backend (see config.ResolveAgent): the
// primary model, with agents.defaults.model.fallbacks tried in order when it fails
// before answering. Without a backend every run fails with a clear error, while
// sessions and history still work.
func agentBackend(cfg config.Agent, env config.Env) (be backend.Backend, model, systemPrompt string, err error) {
	systemPrompt = cfg.SystemPrompt
	primary, model, err := modelBackend(cfg.Model, cfg.Workspace, env)
	if err != nil || len(cfg.Fallbacks) == 0 {
		return primary, model, systemPrompt, err
	}
	fb := &backend.Fallback{Backends: []backend.Backend{primary}}
	for _, m := range cfg.Fallbacks {
		b, _, err := modelBackend(m, cfg.Workspace, env)
		if err != nil {
			return nil, "", "", err
		}
		fb.Backends = append(fb.Backends, b)
	}
	return fb, model, systemPrompt, nil
}

// modelBackend builds the backend of one resolved model.
func modelBackend(m config.Model, workspace string, env config.Env) (backend.Backend, string, error) {
	switch m.Kind {
	case config.BackendOpenAI:
		if m.BaseURL == "" {
			return nil, "", fmt.Errorf("models.providers.%s.baseUrl is not set", m.Provider)
		}
		opts := backend.OpenAIOptions{BaseURL: m.BaseURL, Temperature: m.Temperature, Model: m.ModelID, APIKey: m.APIKey}
		if opts.APIKey == "" && m.APIKeyEnv != "" {
			key, ok := env(m.APIKeyEnv)
			if !ok || key == "" {
				// As in the original, a missing key fails the runs, not the gateway.
				return unconfigured{why: fmt.Sprintf("no API key for %s: set %s or models.providers.%s.apiKey", m.ModelRef, m.APIKeyEnv, m.Provider)}, m.ModelID, nil
			}
			opts.APIKey = key
		}
		be, err := backend.NewOpenAI(opts)
		return be, m.ModelID, err
	case config.BackendCommand:
		if m.Program == "" {
			return nil, "", fmt.Errorf("agents.defaults.cliBackends.%s.command is not set", m.Provider)
		}
		be, err := backend.NewCommand(backend.CommandOptions{Program: m.Program, Args: m.Args, Env: m.Env, Dir: workspace})
		return be, "", err
	}
	return unconfigured{}, "", nil
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
	srv.AddHealthSource(a.rt.HealthSource)
	return nil
}

func (a *agentService) close(ctx context.Context) error {
	a.s.inbound.set(nil)
	err := a.rt.Close(ctx)
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
