package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	genconfig "github.com/clawgate/gateway/gen/go/config"
	"github.com/clawgate/gateway/server/agent/llm"
	"github.com/clawgate/gateway/server/agents"
	"github.com/clawgate/gateway/server/authprofiles"
)

// agentProfiles is the model registry's auth profile store: each agent's
// auth-profiles.json (its agent directory, over the main agent's) under the config's
// auth section. The run's agent comes from the context (llm.WithRunAuth); steps
// outside a run (the image tool) use the default agent's.
type agentProfiles struct {
	cfg      *genconfig.ClawdbotConfig
	auth     authprofiles.Config
	stateDir string
	home     string
	mainDir  string
	now      func() time.Time
	log      *slog.Logger

	mu     sync.Mutex
	stores map[string]*authprofiles.Store // by agent directory
}

// newAgentProfiles reads auth.* of c.
func newAgentProfiles(s *services, c *genconfig.ClawdbotConfig, getenv func(string) string) *agentProfiles {
	home := s.home
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	p := &agentProfiles{cfg: c, auth: authConfig(c), stateDir: s.paths.StateDir, home: home, log: s.log,
		stores: map[string]*authprofiles.Store{}, now: time.Now}
	if s.clock != nil {
		p.now = s.clock.Now
	}
	p.mainDir = agents.MainAgentDir(getenv, p.stateDir, home)
	return p
}

// authConfig converts auth.* (profiles, order, cooldowns).
func authConfig(c *genconfig.ClawdbotConfig) authprofiles.Config {
	var out authprofiles.Config
	if c == nil || c.Auth == nil {
		return out
	}
	a := c.Auth
	out.Order = a.Order
	if len(a.Profiles) > 0 {
		out.Profiles = map[string]authprofiles.ProfileConfig{}
		for id, p := range a.Profiles {
			pc := authprofiles.ProfileConfig{Provider: deref(p.Provider), Email: deref(p.Email)}
			if p.Mode != nil {
				pc.Mode = string(*p.Mode)
			}
			out.Profiles[id] = pc
		}
	}
	if cd := a.Cooldowns; cd != nil {
		out.BillingBackoffHours, out.BillingMaxHours, out.FailureWindowHours = derefF(cd.BillingBackoffHours), derefF(cd.BillingMaxHours), derefF(cd.FailureWindowHours)
		out.BillingBackoffHoursByProvider = cd.BillingBackoffHoursByProvider
	}
	return out
}

// store returns the store of the context's agent.
func (p *agentProfiles) store(ctx context.Context) *authprofiles.Store {
	id := llm.RunAgentID(ctx)
	if id == "" {
		id = agents.DefaultID(p.cfg)
	}
	dir := agents.AgentDir(p.cfg, id, p.stateDir, p.home)
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.stores[dir]
	if !ok {
		s = authprofiles.Open(authprofiles.Options{Dir: dir, MainDir: p.mainDir, Config: p.auth, Normalize: llm.NormalizeProvider, Now: p.now, Logger: p.log})
		p.stores[dir] = s
	}
	return s
}

func (p *agentProfiles) Order(ctx context.Context, provider, preferred string) []string {
	return p.store(ctx).Order(provider, preferred)
}

func (p *agentProfiles) Credential(ctx context.Context, provider, id string) (string, bool) {
	return p.store(ctx).Credential(provider, id)
}

func (p *agentProfiles) InCooldown(ctx context.Context, id string) bool {
	return p.store(ctx).InCooldown(id)
}

func (p *agentProfiles) MarkFailure(ctx context.Context, id string, reason llm.FailoverReason) {
	s := p.store(ctx)
	if err := s.MarkFailure(id, string(reason)); err != nil {
		p.log.WarnContext(ctx, "auth profiles: recording a failure", "profile", id, "err", err)
		return
	}
	p.log.WarnContext(ctx, "auth profile failed; trying the next one", "profile", id, "reason", reason, "until", s.UnusableUntil(id))
}

func (p *agentProfiles) MarkUsed(ctx context.Context, provider, id string) {
	if err := p.store(ctx).MarkUsed(provider, id); err != nil {
		p.log.WarnContext(ctx, "auth profiles: recording a use", "profile", id, "err", err)
	}
}

// ModelsFileName is the model catalog the original writes in the agent directory
// (models.providers merged with providers it found, and with what the file had).
const ModelsFileName = "models.json"

// agentProviderTable is the provider table of the model registry: models.providers,
// and under models.mode "merge" (the default) also the providers of the main agent's
// models.json that the config does not name, so a catalog the original wrote keeps
// working; "replace" uses the config's providers only. A models.json apiKey that
// names a set environment variable stands for its value, as the original reads it.
func agentProviderTable(s *services, c *genconfig.ClawdbotConfig, getenv func(string) string) map[string]llm.ProviderConfig {
	out := providerTable(c)
	if c != nil && c.Models != nil && c.Models.Mode != nil && *c.Models.Mode == genconfig.ConfigModelsModeReplace {
		return out
	}
	home := s.home
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	path := filepath.Join(agents.MainAgentDir(getenv, s.paths.StateDir, home), ModelsFileName)
	b, err := os.ReadFile(path)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			s.log.Warn("models.json unreadable; ignored", "path", path, "err", err)
		}
		return out
	}
	var file struct {
		Providers genconfig.ConfigModelsProviders `json:"providers"`
	}
	if err := json.Unmarshal(b, &file); err != nil {
		s.log.Warn("models.json is not a model catalog; ignored", "path", path, "err", err)
		return out
	}
	extra := providerTable(&genconfig.ClawdbotConfig{Models: &genconfig.ConfigModels{Providers: file.Providers}})
	for id, pc := range extra {
		if _, ok := out[id]; ok {
			continue
		}
		if v := strings.TrimSpace(getenv(pc.APIKey)); pc.APIKey != "" && v != "" {
			pc.APIKey = v
		}
		if strings.TrimSpace(pc.BaseURL) == "" || pc.Auth == "aws-sdk" {
			continue // built-in providers need no entry; Bedrock is not supported
		}
		out[id] = pc
	}
	return out
}

// keySnippet shows the ends of a secret, as the original's status does.
func keySnippet(key string) string {
	compact := strings.Join(strings.Fields(key), "")
	if compact == "" {
		return "unknown"
	}
	edge := 4
	if len(compact) >= 12 {
		edge = 6
	}
	return compact[:min(edge, len(compact))] + "…" + compact[max(len(compact)-edge, 0):]
}

// label describes how the agent's runs authenticate to provider, in the original's
// /status form: the first profile of the order ("api-key sk-abc…wxyz (openai:work
// (me@example.com))", "token …", "oauth (…)"), else the environment variable, else
// the config's key, else "unknown".
func (p *agentProfiles) label(agentID, provider string, table map[string]llm.ProviderConfig, getenv func(string) string) string {
	ctx := llm.WithRunAuth(context.Background(), agentID)
	st := p.store(ctx)
	prov := llm.NormalizeProvider(provider)
	for _, id := range st.Order(prov, "") {
		c, ok := st.Profile(id)
		if !ok {
			continue
		}
		name := id
		email := c.Email
		if pc, ok := p.auth.Profiles[id]; ok && strings.TrimSpace(pc.Email) != "" {
			email = pc.Email
		}
		if email = strings.TrimSpace(email); email != "" {
			name = id + " (" + email + ")"
		}
		switch c.Type {
		case authprofiles.TypeOAuth:
			return "oauth (" + name + ")"
		case authprofiles.TypeToken:
			return "token " + keySnippet(c.Token) + " (" + name + ")"
		default:
			return "api-key " + keySnippet(c.Key) + " (" + name + ")"
		}
	}
	for _, k := range llm.ProviderEnvVars(prov) {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			if strings.Contains(k, "OAUTH_TOKEN") {
				return "oauth (env: " + k + ")"
			}
			return "api-key " + keySnippet(v) + " (env: " + k + ")"
		}
	}
	for id, pc := range table {
		if llm.NormalizeProvider(id) == prov && strings.TrimSpace(pc.APIKey) != "" {
			return "api-key " + keySnippet(pc.APIKey) + " (models.json)"
		}
	}
	return "unknown"
}
