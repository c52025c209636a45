package persona

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/agents"
	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/skills"
	"github.com/clawgate/gateway/tools/protogen/runtime/rpc"
)

// Handler serves the "agents" and "skills" groups over connections of type C.
type Handler[C any] struct{ s *Service }

var (
	_ protocol.AgentsHandler[struct{}] = (*Handler[struct{}])(nil)
	_ protocol.SkillsHandler[struct{}] = (*Handler[struct{}])(nil)
)

// NewHandler returns both groups over s: mux.SetAgents(h); mux.SetSkills(h).
func NewHandler[C any](s *Service) *Handler[C] { return &Handler[C]{s: s} }

func invalid(format string, args ...any) error {
	return protocol.ErrorCodeInvalidRequest.Errorf(format, args...)
}

func unavailable(format string, args ...any) error {
	return protocol.ErrorCodeUnavailable.Errorf(format, args...)
}

func (h *Handler[C]) config() (*config.File, error) {
	f, err := h.s.config()
	if err != nil {
		return nil, unavailable("%v", err)
	}
	return f, nil
}

func ptr[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	return &v
}

// AgentsList serves agents.list.
func (h *Handler[C]) AgentsList(ctx context.Context, c C, p *protocol.AgentsListParams) (*protocol.AgentsListResult, error) {
	f, err := h.config()
	if err != nil {
		return nil, err
	}
	l := agents.ListAgents(&f.Config, h.s.o.StateDir, h.s.paths())
	r := &protocol.AgentsListResult{DefaultID: l.DefaultID, MainKey: l.MainKey, Scope: protocol.AgentsListResultScope(l.Scope), Agents: []protocol.AgentSummary{}}
	if !r.Scope.Valid() {
		r.Scope = protocol.AgentsListResultScopePerSender
	}
	for _, a := range l.Agents {
		row := protocol.AgentSummary{ID: a.ID, Name: ptr(a.Name)}
		if ci := a.Identity; ci != nil {
			row.Identity = &protocol.AgentSummaryIdentity{Name: ptr(ci.Name), Theme: ptr(ci.Theme), Emoji: ptr(ci.Emoji), Avatar: ptr(ci.Avatar), AvatarURL: ptr(ci.AvatarURL)}
		}
		r.Agents = append(r.Agents, row)
	}
	return r, nil
}

// AgentIdentityGet serves agent.identity.get: agentId, or the agent of sessionKey
// (both given must agree), else the default agent.
func (h *Handler[C]) AgentIdentityGet(ctx context.Context, c C, p *protocol.AgentIdentityGetParams) (*protocol.AgentIdentityGetResult, error) {
	f, err := h.config()
	if err != nil {
		return nil, err
	}
	cfg := &f.Config
	agentID := ""
	if raw := strings.TrimSpace(p.GetAgentID()); raw != "" {
		agentID = agents.NormalizeID(raw)
	}
	if key := strings.TrimSpace(p.GetSessionKey()); key != "" {
		resolved := agents.SessionAgentID(key, agents.DefaultAgentID)
		if agentID != "" && resolved != agentID {
			return nil, invalid("invalid agent.identity.get params: agent %q does not match session key agent %q", strings.TrimSpace(p.GetAgentID()), resolved)
		}
		agentID = resolved
		if p.GetAgentID() == "" {
			agentID = agents.SessionAgent(cfg, key) // the runtime's agent:main:… keys are the default agent's
		}
	}
	if agentID == "" {
		agentID = agents.DefaultID(cfg)
	}
	ws := h.s.workspace(agents.WorkspaceDir(cfg, agentID, h.s.paths()))
	id := agents.ResolveIdentity(ctx, cfg, agentID, ws)
	return &protocol.AgentIdentityGetResult{AgentID: id.AgentID, Name: ptr(id.Name), Avatar: ptr(id.Avatar)}, nil
}

// ModelsList serves models.list.
func (h *Handler[C]) ModelsList(ctx context.Context, c C, p *protocol.ModelsListParams) (*protocol.ModelsListResult, error) {
	f, err := h.config()
	if err != nil {
		return nil, err
	}
	r := &protocol.ModelsListResult{Models: []protocol.ModelChoice{}}
	for _, m := range h.s.o.Catalog.List(ctx, &f.Config) {
		mc := protocol.ModelChoice{ID: m.ID, Name: m.Name, Provider: m.Provider, Reasoning: m.Reasoning}
		if m.ContextWindow > 0 {
			cw := int64(m.ContextWindow)
			mc.ContextWindow = &cw
		}
		r.Models = append(r.Models, mc)
	}
	return r, nil
}

// defaultSkills loads the default agent's skills.
func (h *Handler[C]) defaultSkills(ctx context.Context) (*config.File, string, []*skills.Skill, error) {
	f, err := h.config()
	if err != nil {
		return nil, "", nil, err
	}
	cfg := &f.Config
	dir := agents.WorkspaceDir(cfg, agents.DefaultID(cfg), h.s.paths())
	list, err := h.s.skills.Load(ctx, h.s.skillDirs(f, dir))
	if err != nil {
		return nil, "", nil, unavailable("read skills: %v", err)
	}
	return f, dir, list, nil
}

func reqs(r skills.Requirements) protocol.SkillRequirements {
	n := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	return protocol.SkillRequirements{Bins: n(r.Bins), AnyBins: n(r.AnyBins), Env: n(r.Env), Config: n(r.Config), Os: n(r.OS)}
}

// SkillsStatus serves skills.status for the default agent's workspace.
func (h *Handler[C]) SkillsStatus(ctx context.Context, c C, p *protocol.SkillsStatusParams) (*protocol.SkillsStatusResult, error) {
	f, dir, list, err := h.defaultSkills(ctx)
	if err != nil {
		return nil, err
	}
	managed := h.s.skillDirs(f, dir).Managed
	if managed == "" {
		managed = "(none)"
	}
	r := &protocol.SkillsStatusResult{WorkspaceDir: dir, ManagedSkillsDir: managed, Skills: []protocol.SkillStatusEntry{}}
	cfg, host := skills.ConfigFrom(f.Parsed), h.s.o.Host()
	for _, sk := range list {
		st := skills.Evaluate(sk, cfg, host)
		e := protocol.SkillStatusEntry{
			Name: sk.Name, Description: sk.Description, Source: sk.Source, FilePath: sk.FilePath, BaseDir: sk.BaseDir,
			SkillKey: st.Key, Emoji: ptr(st.Emoji), Homepage: ptr(st.Homepage), Always: st.Always, Disabled: st.Disabled,
			BlockedByAllowlist: st.BlockedByAllowlist, Eligible: st.Eligible,
			Requirements: reqs(st.Requirements), Missing: reqs(st.Missing),
			ConfigChecks: []protocol.SkillConfigCheck{}, Install: []protocol.SkillInstallOption{},
		}
		if sk.Meta != nil {
			e.PrimaryEnv = ptr(sk.Meta.PrimaryEnv)
		}
		for _, cc := range st.ConfigChecks {
			chk := protocol.SkillConfigCheck{Path: cc.Path, Satisfied: cc.Satisfied}
			if cc.Set {
				if b, err := json.Marshal(redactIfSecret(cc.Path, cc.Value)); err == nil {
					chk.Value = b
				}
			}
			e.ConfigChecks = append(e.ConfigChecks, chk)
		}
		for _, o := range st.Install {
			e.Install = append(e.Install, protocol.SkillInstallOption{ID: o.ID, Kind: protocol.SkillInstallOptionKind(o.Kind), Label: o.Label, Bins: o.Bins})
		}
		r.Skills = append(r.Skills, e)
	}
	return r, nil
}

// redactIfSecret hides a required config value that is a credential (a skill may
// require channels.telegram.botToken to be set; status says whether, not what).
func redactIfSecret(path string, v any) any {
	l := strings.ToLower(path)
	for _, w := range []string{"token", "password", "secret", "key"} {
		if strings.HasSuffix(l, w) {
			if _, ok := v.(string); ok {
				return config.Redacted
			}
		}
	}
	return v
}

// SkillsUpdate serves skills.update: the entry is changed in the config file.
func (h *Handler[C]) SkillsUpdate(ctx context.Context, c C, p *protocol.SkillsUpdateParams) (*protocol.SkillsUpdateResult, error) {
	if h.s.o.ConfigPath == "" {
		return nil, unavailable("no config file path configured")
	}
	key := strings.TrimSpace(p.SkillKey)
	if key == "" {
		return nil, invalid("invalid skills.update params: skillKey is empty")
	}
	h.s.updMu.Lock()
	entry, err := skills.UpdateEntry(h.s.o.ConfigPath, h.s.o.Env, key, skills.Update{Enabled: p.Enabled, APIKey: p.APIKey, Env: p.Env})
	h.s.updMu.Unlock()
	h.s.forgetConfig()
	if err != nil {
		var inv *config.InvalidError
		if errors.As(err, &inv) {
			return nil, invalid("skills.update would make the config invalid: %v", err)
		}
		return nil, unavailable("skills.update: %v", err)
	}
	out := protocol.SkillConfigEntry{}
	if b, ok := entry["enabled"].(bool); ok {
		out.Enabled = &b
	}
	if s, ok := entry["apiKey"].(string); ok {
		out.APIKey = &s
	}
	if env, ok := entry["env"].(map[string]any); ok {
		out.Env = map[string]string{}
		for k, v := range env {
			if s, ok := v.(string); ok {
				out.Env[k] = s
			}
		}
	}
	if cfg, ok := entry["config"].(map[string]any); ok {
		out.Config = map[string]json.RawMessage{}
		keys := make([]string, 0, len(cfg))
		for k := range cfg {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if b, err := json.Marshal(cfg[k]); err == nil {
				out.Config[k] = b
			}
		}
	}
	return &protocol.SkillsUpdateResult{Ok: true, SkillKey: key, Config: out}, nil
}

// SkillsInstall serves skills.install: a failed install answers UNAVAILABLE with
// the result as the payload too, as the original.
func (h *Handler[C]) SkillsInstall(ctx context.Context, c C, p *protocol.SkillsInstallParams) (*protocol.SkillsInstallResult, error) {
	f, _, list, err := h.defaultSkills(ctx)
	if err != nil {
		return nil, err
	}
	var timeout time.Duration
	if p.TimeoutMs != nil {
		timeout = time.Duration(*p.TimeoutMs) * time.Millisecond
	}
	res := h.s.o.Installer.Install(ctx, list, skills.ConfigFrom(f.Parsed), p.Name, p.InstallID, timeout)
	out := &protocol.SkillsInstallResult{Ok: res.OK, Message: res.Message, Stdout: res.Stdout, Stderr: res.Stderr}
	if res.Code != nil {
		code := int64(*res.Code)
		out.Code = &code
	}
	if !res.OK {
		h.s.log.Warn("persona: skill install failed", "skill", p.Name, "installer", p.InstallID, "message", res.Message)
		return nil, &rpc.Error{Code: string(protocol.ErrorCodeUnavailable), Message: res.Message, Payload: out}
	}
	return out, nil
}

// SkillsBins serves skills.bins: the binaries of every agent workspace's skills.
func (h *Handler[C]) SkillsBins(ctx context.Context, c C, p *protocol.SkillsBinsParams) (*protocol.SkillsBinsResult, error) {
	f, err := h.config()
	if err != nil {
		return nil, err
	}
	cfg := &f.Config
	dirs := map[string]bool{agents.WorkspaceDir(cfg, agents.DefaultID(cfg), h.s.paths()): true}
	if cfg.Agents != nil {
		for _, e := range cfg.Agents.List {
			if e.ID != nil {
				dirs[agents.WorkspaceDir(cfg, *e.ID, h.s.paths())] = true
			}
		}
	}
	set := map[string]bool{}
	for dir := range dirs {
		list, err := h.s.skills.Load(ctx, h.s.skillDirs(f, dir))
		if err != nil {
			return nil, unavailable("read skills: %v", err)
		}
		for _, b := range skills.Bins(list) {
			set[b] = true
		}
	}
	out := &protocol.SkillsBinsResult{Bins: make([]string, 0, len(set))}
	for b := range set {
		out.Bins = append(out.Bins, b)
	}
	sort.Strings(out.Bins)
	return out, nil
}
