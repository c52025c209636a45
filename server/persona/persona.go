// Package persona is who the agent is: its workspace files and skills in the system
// prompt, and the methods clients use to see and change them — agents.list,
// agent.identity.get, models.list (the "agents" group) and skills.status,
// skills.update, skills.install, skills.bins (the "skills" group).
//
// Service holds what outlives a request (workspace file caches, the model catalog,
// the installer) and reads the config file itself, so it sees every edit without a
// reload. Handler serves the two groups over any connection type; it never imports
// server/gateway.
package persona

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	genconfig "github.com/clawgate/gateway/gen/go/config"
	"github.com/clawgate/gateway/server/agent/bootstrap"
	"github.com/clawgate/gateway/server/agents"
	"github.com/clawgate/gateway/server/clock"
	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/models"
	"github.com/clawgate/gateway/server/skills"
)

// Options configure a Service.
type Options struct {
	// ConfigPath is the config file; "" serves the empty config (and skills.update
	// fails).
	ConfigPath string
	// Env substitutes ${VAR} in the config and is the environment skills are judged
	// against (nil: the process environment).
	Env config.Env
	// Home expands ~ (default os.UserHomeDir).
	Home string
	// StateDir holds the managed skills (<StateDir>/skills), downloaded tools
	// (<StateDir>/tools) and the agents' folders.
	StateDir string
	// DefaultWorkspace is the default agent's workspace when the config names none
	// (config.Paths.Workspace).
	DefaultWorkspace string
	// Catalog lists models (nil: a catalog with the defaults).
	Catalog *models.Catalog
	// Installer runs skill installers (nil: this machine's PATH, tools under
	// <StateDir>/tools).
	Installer *skills.Installer
	// Host judges skill requirements (nil: skills.LocalHost with Env).
	Host func() skills.Host
	// MaxTotalChars caps all workspace files in one prompt (0: per-file caps only).
	MaxTotalChars int
	// Clock times the skill folders' watch debounce (nil: the real clock).
	Clock clock.Clock
	// SkillFilter, when set, may restrict a session's skills to the names it returns
	// (ok false: no restriction; an empty list: no skills), e.g. a Telegram group's
	// groups.<id>.skills. It gets the config the prompt is built from.
	SkillFilter func(c *genconfig.ClawdbotConfig, sessionKey string) (names []string, ok bool)
	Logger      *slog.Logger
}

// Service is the shared state behind the prompt and the methods.
type Service struct {
	o   Options
	log *slog.Logger

	wsMu       sync.Mutex
	workspaces map[string]*bootstrap.Workspace

	cfgMu   sync.Mutex // the config file read cache
	cfgFile *config.File
	cfgStat fileStamp

	updMu sync.Mutex // serialises skills.update's read-modify-write

	// skills caches the skill folders: runs see the snapshot skills.load.watch keeps
	// (LoadWith); skills.status and friends read what is on disk, a folder parsed
	// again only when it changed (skills.Cache).
	skills skills.Cache
}

type fileStamp struct {
	size    int64
	modTime time.Time
	ok      bool
}

// New returns a Service.
func New(o Options) *Service {
	if o.Env == nil {
		o.Env = config.OSEnv()
	}
	if o.Home == "" {
		o.Home, _ = os.UserHomeDir()
	}
	if o.Catalog == nil {
		o.Catalog = models.New(models.Options{Logger: o.Logger})
	}
	if o.Installer == nil {
		in := &skills.Installer{Home: o.Home}
		if o.StateDir != "" {
			in.ToolsDir = filepath.Join(o.StateDir, "tools")
		}
		o.Installer = in
	}
	if o.Host == nil {
		env := o.Env
		o.Host = func() skills.Host {
			h := skills.LocalHost()
			h.Getenv = func(k string) string { v, _ := env(k); return v }
			return h
		}
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sv := &Service{o: o, log: log, workspaces: map[string]*bootstrap.Workspace{}}
	sv.skills.Clock = o.Clock
	return sv
}

// config reads the config file, reusing the last read while its size and mtime are
// unchanged. A missing file (or no path) is the empty config; an unreadable or
// invalid one is an error.
func (s *Service) config() (*config.File, error) {
	if s.o.ConfigPath == "" {
		return &config.File{}, nil
	}
	var st fileStamp
	if fi, err := os.Stat(s.o.ConfigPath); err == nil {
		st = fileStamp{size: fi.Size(), modTime: fi.ModTime(), ok: true}
	}
	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	if s.cfgFile != nil && st.ok && s.cfgStat == st {
		return s.cfgFile, nil
	}
	f, err := config.LoadWith(s.o.ConfigPath, s.o.Env)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", s.o.ConfigPath, err)
	}
	if st.ok {
		s.cfgFile, s.cfgStat = f, st
		// A changed config ends the skills snapshot kept with skills.load.watch
		// off (it may name other folders, or turn skills on or off).
		s.skills.Thaw()
	}
	return f, nil
}

// Close stops the skill folders' watchers.
func (s *Service) Close() { s.skills.Close() }

// forgetConfig drops the cached config read (after this process wrote the file).
func (s *Service) forgetConfig() {
	s.cfgMu.Lock()
	s.cfgFile = nil
	s.cfgMu.Unlock()
}

func (s *Service) paths() agents.Paths {
	return agents.Paths{Home: s.o.Home, DefaultWorkspace: s.o.DefaultWorkspace}
}

// workspace returns the cached workspace of dir.
func (s *Service) workspace(dir string) *bootstrap.Workspace {
	s.wsMu.Lock()
	defer s.wsMu.Unlock()
	w, ok := s.workspaces[dir]
	if !ok {
		if len(s.workspaces) >= maxWorkspaces {
			for k := range s.workspaces {
				delete(s.workspaces, k)
				break
			}
		}
		w = bootstrap.New(dir, nil)
		s.workspaces[dir] = w
	}
	return w
}

// maxWorkspaces bounds the cached workspaces (one per agent in practice).
const maxWorkspaces = 64

func (s *Service) skillDirs(f *config.File, workspace string) skills.Dirs {
	d := skills.Dirs{Workspace: workspace}
	if s.o.StateDir != "" {
		d.Managed = filepath.Join(s.o.StateDir, "skills")
	}
	for _, e := range skills.ConfigFrom(f.Parsed).ExtraDirs {
		d.Extra = append(d.Extra, config.ExpandHome(e, s.o.Home))
	}
	return d
}

// PromptOptions are one run's prompt inputs.
type PromptOptions struct {
	// SessionKey picks the agent (agent:<id>:…, else the default agent) and marks
	// sub-agent sessions.
	SessionKey string
	// Extra is appended as its own section (agents.defaults.systemPrompt, a hook's
	// note, the request's extraSystemPrompt).
	Extra string
}

// Prompt is SystemPrompt with the runtime's arguments: the run's session key and
// the instructions it already has (agents.defaults.systemPrompt joined with the
// request's extraSystemPrompt), which end up in the prompt's Extra section.
func (s *Service) Prompt(ctx context.Context, sessionKey, extra string) (string, error) {
	return s.SystemPrompt(ctx, PromptOptions{SessionKey: sessionKey, Extra: extra})
}

// SystemPrompt builds the system prompt of one run: the session's agent's
// workspace (created with its persona files when missing, unless
// agents.defaults.skipBootstrap), its files (bootstrap.Workspace.SystemPrompt, capped per file by
// agents.defaults.bootstrapMaxChars) and its eligible skills. The config file and
// the workspace files are re-read only when they changed.
func (s *Service) SystemPrompt(ctx context.Context, o PromptOptions) (string, error) {
	f, err := s.config()
	if err != nil {
		return "", err
	}
	c := &f.Config
	dir := agents.WorkspaceDir(c, agents.SessionAgent(c, o.SessionKey), s.paths())
	skip := c.Agents != nil && c.Agents.Defaults != nil && c.Agents.Defaults.SkipBootstrap != nil && *c.Agents.Defaults.SkipBootstrap
	ws := s.workspace(dir)
	// The files are looked up once: a workspace that has them all needs no setup.
	files, err := ws.Files(ctx, o.SessionKey)
	if err != nil {
		return "", err
	}
	if !skip && needsSetup(files, o.SessionKey) {
		// As the original before every run: the workspace and its missing persona
		// files are created; BOOTSTRAP.md (the first-run ritual) only in a brand-new
		// workspace, so once the agent deletes it, it stays gone.
		if wrote, err := config.EnsureWorkspace(dir); err != nil {
			s.log.Warn("persona: preparing the workspace failed", "dir", dir, "err", err)
		} else if len(wrote) > 0 {
			s.log.Info("persona: workspace files created", "dir", dir, "files", wrote)
			if files, err = ws.Files(ctx, o.SessionKey); err != nil {
				return "", err
			}
		}
	}
	listing := ""
	if !bootstrap.IsSubagentSessionKey(o.SessionKey) {
		h := s.o.Host()
		listing = skills.Prompt(s.eligibleSkills(ctx, f, dir, o.SessionKey, h), h)
	}
	maxChars := 0
	if c.Agents != nil && c.Agents.Defaults != nil && c.Agents.Defaults.BootstrapMaxChars != nil {
		maxChars = *c.Agents.Defaults.BootstrapMaxChars
	}
	return ws.PromptFrom(files, bootstrap.Options{
		SessionKey: o.SessionKey, MaxChars: maxChars, MaxTotalChars: s.o.MaxTotalChars,
		Skills: listing, Extra: o.Extra,
		Warn: func(m string) { s.log.Warn("persona: "+m, "session", o.SessionKey) },
	}), nil
}

// eligibleSkills are the skills of workspace dir that the session's runs may use:
// eligible on this host and, when the session's chat limits them, named there.
func (s *Service) eligibleSkills(ctx context.Context, f *config.File, dir, sessionKey string, h skills.Host) []*skills.Skill {
	list, err := s.skills.LoadWith(ctx, s.skillDirs(f, dir), skills.PolicyFrom(f.Parsed))
	if err != nil {
		s.log.Warn("persona: reading skills failed; none are listed", "err", err)
	}
	eligible := skills.Eligible(list, skills.ConfigFrom(f.Parsed), h)
	if s.o.SkillFilter != nil {
		if names, ok := s.o.SkillFilter(&f.Config, sessionKey); ok {
			eligible = slices.DeleteFunc(eligible, func(sk *skills.Skill) bool { return !slices.Contains(names, sk.Name) })
		}
	}
	return eligible
}

// SkillCommands lists the session's user-invocable skills as chat commands (the
// original's /<skill> commands), their names kept clear of reserved (the chat
// commands' own names). Sub-agent sessions have none.
func (s *Service) SkillCommands(ctx context.Context, sessionKey string, reserved []string) ([]skills.CommandSpec, error) {
	if bootstrap.IsSubagentSessionKey(sessionKey) {
		return nil, nil
	}
	f, err := s.config()
	if err != nil {
		return nil, err
	}
	dir := agents.WorkspaceDir(&f.Config, agents.SessionAgent(&f.Config, sessionKey), s.paths())
	return skills.CommandSpecs(s.eligibleSkills(ctx, f, dir, sessionKey, s.o.Host()), reserved), nil
}

// AgentSkillCommands lists the skill commands of every configured agent whose
// workspace exists, names unique across them (the original's native skill commands,
// which a bot's command menu lists).
func (s *Service) AgentSkillCommands(ctx context.Context, reserved []string) ([]skills.CommandSpec, error) {
	f, err := s.config()
	if err != nil {
		return nil, err
	}
	used := slices.Clone(reserved)
	var out []skills.CommandSpec
	h := s.o.Host()
	for _, id := range agents.IDs(&f.Config, s.o.StateDir) {
		dir := agents.WorkspaceDir(&f.Config, id, s.paths())
		if _, err := os.Stat(dir); err != nil {
			continue
		}
		list, err := s.skills.LoadWith(ctx, s.skillDirs(f, dir), skills.PolicyFrom(f.Parsed))
		if err != nil {
			s.log.Warn("persona: reading skills failed", "agent", id, "err", err)
		}
		specs := skills.CommandSpecs(skills.Eligible(list, skills.ConfigFrom(f.Parsed), h), used)
		for _, sp := range specs {
			used = append(used, sp.Name)
		}
		out = append(out, specs...)
	}
	return out, nil
}

// needsSetup reports whether EnsureWorkspace has work to do, judged from the files a
// run just read: one of the persona files is missing (or the workspace is). A
// sub-agent session reads only some of them, so it always checks.
func needsSetup(files []bootstrap.File, sessionKey string) bool {
	if bootstrap.IsSubagentSessionKey(sessionKey) {
		return true
	}
	for _, f := range files {
		if f.Missing && slices.Contains(config.BootstrapFiles, f.Name) {
			return true
		}
	}
	return false
}
