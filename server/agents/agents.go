// Package agents resolves the configured agents the way the original does: their
// normalised ids, which one is the default, where each one's workspace is, their
// display identity (config, then the workspace's IDENTITY.md), and the agents.list
// and agent.identity.get answers built from those.
package agents

import (
	"context"
	"encoding/base64"
	"mime"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	genconfig "github.com/clawgate/gateway/gen/go/config"
	"github.com/clawgate/gateway/server/agent/bootstrap"
)

// Defaults of the original.
const (
	DefaultAgentID = "main"
	DefaultMainKey = "main"
	ScopePerSender = "per-sender"
	ScopeGlobal    = "global"
)

var validID = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
var invalidRun = regexp.MustCompile(`[^a-z0-9_-]+`)

// NormalizeID makes an agent id path-safe and lowercase as the original: a valid
// id (letters, digits, _ and -, up to 64, not starting with _ or -) is lowercased;
// anything else has its runs of other characters turned into "-", edges trimmed,
// cut to 64; empty becomes "main".
func NormalizeID(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return DefaultAgentID
	}
	l := strings.ToLower(s)
	if validID.MatchString(l) {
		return l
	}
	l = strings.Trim(invalidRun.ReplaceAllString(l, "-"), "-")
	if len(l) > 64 {
		l = l[:64]
	}
	if l == "" {
		return DefaultAgentID
	}
	return l
}

// NormalizeMainKey lowercases session.mainKey; empty is "main".
func NormalizeMainKey(s string) string {
	if s = strings.TrimSpace(s); s == "" {
		return DefaultMainKey
	}
	return strings.ToLower(s)
}

// SessionAgentID is the agent of a session key "agent:<id>:<rest>" (normalised);
// any other key belongs to the default agent, "" when def is.
func SessionAgentID(key, def string) string {
	parts := strings.FieldsFunc(strings.TrimSpace(key), func(r rune) bool { return r == ':' })
	if len(parts) >= 3 && parts[0] == "agent" && strings.TrimSpace(parts[1]) != "" {
		return NormalizeID(parts[1])
	}
	return def
}

// SessionAgent is the agent whose workspace a session uses: the agent of an
// "agent:<id>:…" key, else the default agent. The runtime keeps the default agent's
// sessions under "agent:main:…" even when agents.list names it otherwise, so "main"
// that is not itself a configured agent means the default agent.
func SessionAgent(c *genconfig.ClawdbotConfig, key string) string {
	def := DefaultID(c)
	id := SessionAgentID(key, def)
	if id == DefaultAgentID {
		if _, ok := Entry(c, id); !ok {
			return def
		}
	}
	return id
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// entries are agents.list's entries (nil config: none).
func entries(c *genconfig.ClawdbotConfig) []genconfig.ConfigAgentsListElem {
	if c == nil || c.Agents == nil {
		return nil
	}
	return c.Agents.List
}

// DefaultID is the default agent: the first entry with default: true, else the
// first entry, else "main".
func DefaultID(c *genconfig.ClawdbotConfig) string {
	list := entries(c)
	if len(list) == 0 {
		return DefaultAgentID
	}
	chosen := list[0]
	for _, e := range list {
		if e.Default != nil && *e.Default {
			chosen = e
			break
		}
	}
	return NormalizeID(deref(chosen.ID))
}

// Entry returns the agents.list entry of id (normalised match).
func Entry(c *genconfig.ClawdbotConfig, id string) (genconfig.ConfigAgentsListElem, bool) {
	id = NormalizeID(id)
	for _, e := range entries(c) {
		if NormalizeID(deref(e.ID)) == id {
			return e, true
		}
	}
	return genconfig.ConfigAgentsListElem{}, false
}

// Paths are the folders the resolution needs.
type Paths struct {
	Home string
	// DefaultWorkspace is the default agent's workspace when no config names one
	// (config.Paths.Workspace: ~/clawd, or ~/clawd-<profile>).
	DefaultWorkspace string
}

// WorkspaceDir is an agent's workspace: its agents.list workspace, else for the
// default agent agents.defaults.workspace or the default workspace, else
// ~/clawd-<id>.
func WorkspaceDir(c *genconfig.ClawdbotConfig, id string, p Paths) string {
	id = NormalizeID(id)
	if e, ok := Entry(c, id); ok {
		if w := strings.TrimSpace(deref(e.Workspace)); w != "" {
			return expand(w, p.Home)
		}
	}
	if id == DefaultID(c) {
		if c != nil && c.Agents != nil && c.Agents.Defaults != nil {
			if w := strings.TrimSpace(deref(c.Agents.Defaults.Workspace)); w != "" {
				return expand(w, p.Home)
			}
		}
		return p.DefaultWorkspace
	}
	return filepath.Join(p.Home, "clawd-"+id)
}

func expand(p, home string) string {
	if p == "~" {
		return home
	}
	if strings.HasPrefix(p, "~/") {
		return filepath.Join(home, p[2:])
	}
	if !filepath.IsAbs(p) {
		if abs, err := filepath.Abs(p); err == nil {
			return abs
		}
	}
	return p
}

// IDs are the listed agents: the configured ids (deduplicated) plus the default,
// sorted with the default first; without agents.list, the default plus the agent
// folders under <state dir>/agents.
func IDs(c *genconfig.ClawdbotConfig, stateDir string) []string {
	def := DefaultID(c)
	set := map[string]bool{def: true}
	if list := entries(c); len(list) > 0 {
		for _, e := range list {
			if e.ID != nil {
				set[NormalizeID(*e.ID)] = true
			}
		}
	} else if stateDir != "" {
		if des, err := os.ReadDir(filepath.Join(stateDir, "agents")); err == nil {
			for _, d := range des {
				if d.IsDir() {
					set[NormalizeID(d.Name())] = true
				}
			}
		}
	}
	ids := make([]string, 0, len(set))
	for id := range set {
		if id != def {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return append([]string{def}, ids...)
}

// Summary is one agents.list row.
type Summary struct {
	ID       string
	Name     string
	Identity *ConfiguredIdentity
}

// ConfiguredIdentity is agents.list[].identity, trimmed, with AvatarURL resolved.
type ConfiguredIdentity struct {
	Name, Theme, Emoji, Avatar, AvatarURL string
}

// List is the agents.list answer.
type List struct {
	DefaultID, MainKey, Scope string
	Agents                    []Summary
}

// MaxAvatarBytes caps a workspace avatar inlined as a data: URL.
const MaxAvatarBytes = 2 << 20

// ListAgents builds agents.list as the original: every id of IDs (when agents.list
// names agents, only those and the default), plus the main key as an agent id when
// it is not one (the original's quirk, kept for its clients), with the configured
// name and identity.
func ListAgents(c *genconfig.ClawdbotConfig, stateDir string, p Paths) List {
	l := List{DefaultID: DefaultID(c), MainKey: DefaultMainKey, Scope: ScopePerSender}
	if c != nil && c.Session != nil {
		l.MainKey = NormalizeMainKey(c.Session.MainKey)
		if c.Session.Scope != nil && string(*c.Session.Scope) != "" {
			l.Scope = string(*c.Session.Scope)
		}
	}
	ids := IDs(c, stateDir)
	if len(entries(c)) > 0 {
		allowed := map[string]bool{l.DefaultID: true}
		for _, e := range entries(c) {
			if e.ID != nil && strings.TrimSpace(*e.ID) != "" {
				allowed[NormalizeID(*e.ID)] = true
			}
		}
		kept := ids[:0]
		for _, id := range ids {
			if allowed[id] {
				kept = append(kept, id)
			}
		}
		ids = kept
	}
	has := false
	for _, id := range ids {
		if id == l.MainKey {
			has = true
		}
	}
	if !has {
		ids = append(ids, l.MainKey)
	}
	for _, id := range ids {
		s := Summary{ID: id}
		if e, ok := Entry(c, id); ok {
			s.Name = strings.TrimSpace(deref(e.Name))
			if e.Identity != nil {
				ci := &ConfiguredIdentity{
					Name: strings.TrimSpace(deref(e.Identity.Name)), Theme: strings.TrimSpace(deref(e.Identity.Theme)),
					Emoji: strings.TrimSpace(deref(e.Identity.Emoji)), Avatar: strings.TrimSpace(deref(e.Identity.Avatar)),
				}
				ci.AvatarURL = avatarURL(ci.Avatar, WorkspaceDir(c, id, p))
				s.Identity = ci
			}
		}
		l.Agents = append(l.Agents, s)
	}
	return l
}

var (
	dataURL     = regexp.MustCompile(`(?i)^data:`)
	httpURL     = regexp.MustCompile(`(?i)^https?://`)
	schemeURL   = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)
	windowsPath = regexp.MustCompile(`^[a-zA-Z]:[\\/]`)
)

// avatarURL turns a configured avatar into a URL a client can show: http(s) and
// data: URLs as they are; a workspace-relative image file (inside the workspace,
// at most MaxAvatarBytes) inlined as a data: URL; anything else none.
func avatarURL(avatar, workspace string) string {
	if avatar == "" {
		return ""
	}
	if dataURL.MatchString(avatar) || httpURL.MatchString(avatar) {
		return avatar
	}
	if strings.HasPrefix(avatar, "~") || (schemeURL.MatchString(avatar) && !windowsPath.MatchString(avatar)) {
		return ""
	}
	root, err := filepath.Abs(workspace)
	if err != nil {
		return ""
	}
	target := filepath.Join(root, avatar)
	if filepath.IsAbs(avatar) {
		target = filepath.Clean(avatar)
	}
	rel, err := filepath.Rel(root, target)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return ""
	}
	st, err := os.Stat(target)
	if err != nil || !st.Mode().IsRegular() || st.Size() > MaxAvatarBytes {
		return ""
	}
	b, err := os.ReadFile(target)
	if err != nil {
		return ""
	}
	mt := mime.TypeByExtension(strings.ToLower(filepath.Ext(target)))
	if mt == "" {
		mt = "application/octet-stream"
	}
	if i := strings.IndexByte(mt, ';'); i >= 0 {
		mt = mt[:i]
	}
	return "data:" + mt + ";base64," + base64.StdEncoding.EncodeToString(b)
}

// Identity limits and defaults (the original's).
const (
	MaxNameChars   = 50
	MaxAvatarChars = 200
	DefaultName    = "Assistant"
	DefaultAvatar  = "A"
)

// AssistantIdentity is agent.identity.get's answer.
type AssistantIdentity struct {
	AgentID, Name, Avatar string
}

func coerce(s string, max int) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max])
	}
	return s
}

var imageExt = regexp.MustCompile(`(?i)\.(png|jpe?g|gif|webp|svg|ico)$`)
var avatarLink = regexp.MustCompile(`(?i)^(https?://|data:image/)`)

// usableAvatar keeps a URL, something path-like, or a short word (≤4, no space:
// an emoji or initials).
func usableAvatar(v string) bool {
	if v == "" {
		return false
	}
	if avatarLink.MatchString(v) || strings.ContainsAny(v, `/\`) || imageExt.MatchString(v) {
		return true
	}
	return !strings.ContainsFunc(v, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' }) && utf8.RuneCountInString(v) <= 4
}

// ResolveIdentity is the assistant's name and avatar for agentID ("" = default), as
// the original: ui.assistant, then agents.list[].identity, then IDENTITY.md; the
// avatar candidates are ui.assistant.avatar, the identity's avatar then emoji, the
// file's avatar then emoji. A local image avatar (inside the workspace,
// at most MaxAvatarBytes) comes back as a data: URL.
func ResolveIdentity(ctx context.Context, c *genconfig.ClawdbotConfig, agentID string, ws *bootstrap.Workspace) AssistantIdentity {
	if agentID == "" {
		agentID = DefaultID(c)
	}
	id := AssistantIdentity{AgentID: NormalizeID(agentID)}
	var uiName, uiAvatar string
	if c != nil && c.UI != nil && c.UI.Assistant != nil {
		uiName, uiAvatar = deref(c.UI.Assistant.Name), deref(c.UI.Assistant.Avatar)
	}
	var cfgID genconfig.ConfigAgentsListElemIdentity
	if e, ok := Entry(c, id.AgentID); ok && e.Identity != nil {
		cfgID = *e.Identity
	}
	var file bootstrap.Identity
	if ws != nil {
		file = ws.Identity(ctx)
	}
	for _, n := range []string{uiName, deref(cfgID.Name), file.Name} {
		if v := coerce(n, MaxNameChars); v != "" {
			id.Name = v
			break
		}
	}
	if id.Name == "" {
		id.Name = DefaultName
	}
	for _, a := range []string{uiAvatar, deref(cfgID.Avatar), deref(cfgID.Emoji), file.Avatar, file.Emoji} {
		if v := coerce(a, MaxAvatarChars); usableAvatar(v) {
			id.Avatar = v
			break
		}
	}
	if id.Avatar == "" {
		id.Avatar = DefaultAvatar
	}
	if isLocalAvatar(id.Avatar) {
		// The original points at a Control UI /avatar/<agentId> route; this gateway
		// has none, so the image comes inline (or the default when it can't).
		dir := ""
		if ws != nil {
			dir = ws.Dir()
		}
		if u := avatarURL(id.Avatar, dir); dir != "" && u != "" {
			id.Avatar = u
		} else {
			id.Avatar = DefaultAvatar
		}
	}
	return id
}

// isLocalAvatar reports an avatar naming a file (a path or an image name).
func isLocalAvatar(a string) bool {
	return !avatarLink.MatchString(a) && (strings.ContainsAny(a, `/\`) || imageExt.MatchString(a))
}

// AgentDir is an agent's private directory, where the original keeps its credential
// store (auth-profiles.json) and model catalog (models.json): agents.list[].agentDir,
// else <state dir>/agents/<id>/agent.
func AgentDir(c *genconfig.ClawdbotConfig, id, stateDir, home string) string {
	id = NormalizeID(id)
	if e, ok := Entry(c, id); ok {
		if d := strings.TrimSpace(deref(e.AgentDir)); d != "" {
			return expand(d, home)
		}
	}
	return filepath.Join(stateDir, "agents", id, "agent")
}

// MainAgentDir is the main agent's directory, whose credential store every agent's
// store sits on: CLAWDBOT_AGENT_DIR or PI_CODING_AGENT_DIR when set, else
// <state dir>/agents/main/agent.
func MainAgentDir(getenv func(string) string, stateDir, home string) string {
	for _, k := range []string{"CLAWDBOT_AGENT_DIR", "PI_CODING_AGENT_DIR"} {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return expand(v, home)
		}
	}
	return filepath.Join(stateDir, "agents", DefaultAgentID, "agent")
}
