package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

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
// sessions part of health. A config reload applies agent.backend, agent.openai.*,
// agent.command.* and agent.timeoutSeconds to the runs that start afterwards; the
// concurrency and queue bounds and session.* need a process restart.
type agentService struct {
	s      *services
	store  *sessions.Store
	rt     *agent.Runtime
	cfgKey string // the agent config the runtime runs with, for reload comparisons
}

// agentConfigKey identifies an agent config for change detection.
func agentConfigKey(cfg *genconfig.ConfigAgent) string {
	b, _ := json.Marshal(cfg)
	return string(b)
}

func (a *agentService) reconfigure(ctx context.Context, next *config.File) {
	cfg := next.Config.Agent
	if cfg == nil {
		cfg = &genconfig.ConfigAgent{}
	}
	key := agentConfigKey(cfg)
	if key == a.cfgKey {
		return
	}
	var prev genconfig.ConfigAgent
	_ = json.Unmarshal([]byte(a.cfgKey), &prev)
	if prev.MaxConcurrent != cfg.MaxConcurrent || !equalIntPtr(prev.MaxQueuePerSession, cfg.MaxQueuePerSession) {
		a.s.log.Warn("agent.maxConcurrent / agent.maxQueuePerSession changed: they apply after a restart of the process")
	}
	be, model, sys, err := agentBackend(cfg, a.s.env)
	if err == nil {
		err = a.rt.SetModel(agent.ModelConfig{Backend: be, Model: model, SystemPrompt: sys, Timeout: time.Duration(cfg.TimeoutSeconds) * time.Second})
	}
	if err != nil {
		a.s.log.Warn("agent config change not applied; runs keep the previous model", "err", err)
		return
	}
	a.cfgKey = key
	a.s.log.Info("agent config reloaded", "backend", backendName(cfg), "model", model)
}

func buildAgent(ctx context.Context, s *services) (component, error) {
	cfg := s.file.Config.Agent
	if cfg == nil {
		cfg = &genconfig.ConfigAgent{}
	}
	be, model, sys, err := agentBackend(cfg, s.env)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(s.paths.StateDir, "sessions.db")
	mainKey, global := "", false
	if sc := s.file.Config.Session; sc != nil {
		mainKey = sc.MainKey
		if sc.Store != nil && *sc.Store != "" {
			// The original's session.store names a sessions.json; only a SQLite file
			// name is taken over, so an old config never points SQLite at JSON.
			if p := *sc.Store; strings.HasSuffix(p, ".db") {
				if rest, ok := strings.CutPrefix(p, "~/"); ok {
					if home, err := os.UserHomeDir(); err == nil {
						p = filepath.Join(home, rest)
					}
				}
				path = p
			} else {
				s.log.Warn("session.store is not a .db file; using the default session database", "store", p, "path", path)
			}
		}
		global = sc.Scope != nil && *sc.Scope == genconfig.ConfigSessionScopeGlobal
	}
	store, err := sessions.Open(ctx, sessions.Options{Path: path, Logger: s.log})
	if err != nil {
		return nil, err
	}
	opts := agent.Options{
		Backend: be, Store: store, Sender: s.sender, SystemPrompt: sys, Model: model,
		MainKey: mainKey, GlobalScope: global,
		Timeout:       time.Duration(cfg.TimeoutSeconds) * time.Second,
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
	})
	s.inbound.set(rt)
	s.runner = rt // hooks start runs through the same path as agent and wake
	s.log.Info("agent runtime ready", "backend", backendName(cfg), "model", model, "sessions", path, "delivery", s.sender != nil)
	return &agentService{s: s, store: store, rt: rt, cfgKey: agentConfigKey(cfg)}, nil
}

func backendName(cfg *genconfig.ConfigAgent) string {
	if cfg.Backend == nil {
		return "none"
	}
	return string(*cfg.Backend)
}

// agentBackend builds the configured backend (agent.backend, agent.openai.*,
// agent.command.*). Without a backend every run fails with a clear error, while
// sessions and history still work.
func agentBackend(cfg *genconfig.ConfigAgent, env config.Env) (be backend.Backend, model, systemPrompt string, err error) {
	if cfg.Openai != nil && cfg.Openai.SystemPrompt != nil {
		systemPrompt = *cfg.Openai.SystemPrompt
	}
	kind := backendName(cfg)
	if kind == "none" {
		switch {
		case cfg.Openai != nil && cfg.Openai.BaseURL != nil:
			kind = string(genconfig.ConfigAgentBackendOpenai)
		case cfg.Command != nil && cfg.Command.Program != nil:
			kind = string(genconfig.ConfigAgentBackendCommand)
		}
	}
	switch kind {
	case string(genconfig.ConfigAgentBackendOpenai):
		o := cfg.Openai
		if o == nil || o.BaseURL == nil || *o.BaseURL == "" {
			return nil, "", "", errors.New("agent.backend is openai but agent.openai.baseUrl is not set")
		}
		opts := backend.OpenAIOptions{BaseURL: *o.BaseURL, Temperature: o.Temperature}
		if o.Model != nil {
			opts.Model, model = *o.Model, *o.Model
		}
		if o.APIKeyEnv != nil && *o.APIKeyEnv != "" {
			key, ok := env(*o.APIKeyEnv)
			if !ok || key == "" {
				return nil, "", "", fmt.Errorf("agent.openai.apiKeyEnv: environment variable %s is not set", *o.APIKeyEnv)
			}
			opts.APIKey = key
		}
		be, err = backend.NewOpenAI(opts)
		return be, model, systemPrompt, err
	case string(genconfig.ConfigAgentBackendCommand):
		c := cfg.Command
		if c == nil || c.Program == nil || *c.Program == "" {
			return nil, "", "", errors.New("agent.backend is command but agent.command.program is not set")
		}
		opts := backend.CommandOptions{Program: *c.Program, Args: c.Args, Env: c.Env}
		if c.Workdir != nil {
			opts.Dir = *c.Workdir
		}
		be, err = backend.NewCommand(opts)
		return be, "", systemPrompt, err
	}
	return unconfigured{}, "", systemPrompt, nil
}

// unconfigured is the backend of a gateway without agent.backend.
type unconfigured struct{}

func (unconfigured) Run(context.Context, backend.Request, func(backend.Delta)) (backend.Result, error) {
	return backend.Result{}, errors.New("no agent backend configured (set agent.backend with agent.openai or agent.command)")
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
