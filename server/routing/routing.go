// Package routing decides which agent answers an inbound message and which session
// it lands in, from the config's bindings (channel, account, peer, guild, team) and
// session settings, the way the original's resolve-route does. It is pure: config in,
// route out, so the agent runtime and the status surfaces agree on one answer.
package routing

import (
	"sort"
	"strings"

	genconfig "github.com/clawgate/gateway/gen/go/config"
	"github.com/clawgate/gateway/server/agents"
	"github.com/clawgate/gateway/server/providers"
)

// DefaultAccountID is the account a channel uses when none is named (the original's).
const DefaultAccountID = providers.DefaultAccountID

// Peer kinds.
const (
	PeerDM      = "dm"
	PeerGroup   = "group"
	PeerChannel = "channel"
)

// How a route was chosen (the original's matchedBy values).
const (
	ByPeer    = "binding.peer"
	ByGuild   = "binding.guild"
	ByTeam    = "binding.team"
	ByAccount = "binding.account"
	ByChannel = "binding.channel"
	ByDefault = "default"
)

// NormalizeAccountID makes an account id path-safe and lowercase as the original
// (providers.NormalizeAccountID).
func NormalizeAccountID(s string) string { return providers.NormalizeAccountID(s) }

// Peer is who a message is from: a direct chat's sender, or the group/channel.
type Peer struct {
	Kind string // PeerDM, PeerGroup, PeerChannel
	ID   string
}

// Input describes one inbound message for routing.
type Input struct {
	Channel   string
	AccountID string // "" = DefaultAccountID
	Peer      *Peer
	GuildID   string
	TeamID    string
}

// Route is where a message goes.
type Route struct {
	// AgentID is the agent that answers (normalised; an existing agents.list id, or
	// the default agent).
	AgentID   string
	Channel   string
	AccountID string
	// SessionKey is the session the message lands in (see SessionKey).
	SessionKey string
	// MainSessionKey is the agent's main session.
	MainSessionKey string
	MatchedBy      string
}

// Options are the session settings routing needs besides bindings.
type Options struct {
	// MainKey is session.mainKey ("" = "main").
	MainKey string
	// DMScope is session.dmScope: "main", "per-peer", "per-channel-peer", or "" —
	// this gateway's per-sender sessions (agent:<id>:<channel>:<sender>), kept as the
	// unset default so existing sessions keep their keys.
	DMScope string
	// Global is session.scope "global": every message in the agent's main session.
	Global bool
	// IdentityLinks is session.identityLinks: a canonical name to the ids one person
	// has across channels ("+15551234567", "telegram:123"). With dmScope "per-peer" or
	// "per-channel-peer" a direct chat from any of them uses the canonical name as its
	// peer, so one person gets one DM session, as the original.
	IdentityLinks map[string][]string
}

// OptionsFrom reads the session settings of a config.
func OptionsFrom(c *genconfig.ClawdbotConfig) Options {
	var o Options
	if c == nil || c.Session == nil {
		return o
	}
	o.MainKey = c.Session.MainKey
	if c.Session.DmScope != nil {
		o.DMScope = string(*c.Session.DmScope)
	}
	o.Global = c.Session.Scope != nil && *c.Session.Scope == genconfig.ConfigSessionScopeGlobal
	o.IdentityLinks = c.Session.IdentityLinks
	return o
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(*p)
}

// binding is one bindings entry, normalised.
type binding struct {
	agent, channel, account string
	peer                    *Peer
	guild, team             string
}

func bindings(c *genconfig.ClawdbotConfig) []binding {
	if c == nil {
		return nil
	}
	out := make([]binding, 0, len(c.Bindings))
	for _, b := range c.Bindings {
		if b.Match == nil {
			continue
		}
		nb := binding{agent: str(b.AgentID), channel: strings.ToLower(str(b.Match.Channel)), account: str(b.Match.AccountID),
			guild: str(b.Match.GuildID), team: str(b.Match.TeamID)}
		if p := b.Match.Peer; p != nil && p.Kind != nil {
			nb.peer = &Peer{Kind: strings.ToLower(string(*p.Kind)), ID: str(p.ID)}
		}
		out = append(out, nb)
	}
	return out
}

// matchesAccount: an empty binding account matches only the default account, "*"
// every account, anything else that account (as the original).
func matchesAccount(match, actual string) bool {
	switch match {
	case "":
		return actual == DefaultAccountID
	case "*":
		return true
	}
	return NormalizeAccountID(match) == actual
}

// Resolve routes one message: the first binding (in config order) matching its peer,
// then its guild, then its team, then its account exactly, then any account ("*"),
// else the default agent. A binding naming an agent that agents.list lacks routes
// to the default agent, as the original.
func Resolve(c *genconfig.ClawdbotConfig, in Input, o Options) Route {
	ch := strings.ToLower(strings.TrimSpace(in.Channel))
	acct := NormalizeAccountID(in.AccountID)
	var peer *Peer
	if in.Peer != nil {
		peer = &Peer{Kind: in.Peer.Kind, ID: strings.TrimSpace(in.Peer.ID)}
	}
	guild, team := strings.TrimSpace(in.GuildID), strings.TrimSpace(in.TeamID)

	var cands []binding
	for _, b := range bindings(c) {
		if b.channel != "" && b.channel == ch && matchesAccount(b.account, acct) {
			cands = append(cands, b)
		}
	}
	choose := func(agent, by string) Route {
		id := existingAgent(c, agent)
		return Route{AgentID: id, Channel: ch, AccountID: acct, MatchedBy: by,
			SessionKey: SessionKey(c, id, ch, peer, o), MainSessionKey: MainSessionKey(c, id, o.MainKey)}
	}
	if peer != nil {
		for _, b := range cands {
			if b.peer != nil && b.peer.Kind != "" && b.peer.ID != "" && b.peer.Kind == peer.Kind && b.peer.ID == peer.ID {
				return choose(b.agent, ByPeer)
			}
		}
	}
	if guild != "" {
		for _, b := range cands {
			if b.guild != "" && b.guild == guild {
				return choose(b.agent, ByGuild)
			}
		}
	}
	if team != "" {
		for _, b := range cands {
			if b.team != "" && b.team == team {
				return choose(b.agent, ByTeam)
			}
		}
	}
	plain := func(b binding) bool { return b.peer == nil && b.guild == "" && b.team == "" }
	for _, b := range cands {
		if b.account != "*" && plain(b) {
			return choose(b.agent, ByAccount)
		}
	}
	for _, b := range cands {
		if b.account == "*" && plain(b) {
			return choose(b.agent, ByChannel)
		}
	}
	return choose(agents.DefaultID(c), ByDefault)
}

// existingAgent is id when agents.list has it (or lists nothing), else the default
// agent.
func existingAgent(c *genconfig.ClawdbotConfig, id string) string {
	if strings.TrimSpace(id) == "" {
		return agents.DefaultID(c)
	}
	n := agents.NormalizeID(id)
	if c == nil || c.Agents == nil || len(c.Agents.List) == 0 {
		return n
	}
	if _, ok := agents.Entry(c, n); ok {
		return n
	}
	return agents.DefaultID(c)
}

// keyAgent is the agent segment of a session key. The default agent's sessions stay
// under "agent:main:" (the runtime's main session, heartbeats and the persona all
// read them there); every other agent's are under its own id.
func keyAgent(c *genconfig.ClawdbotConfig, id string) string {
	if id == agents.DefaultID(c) {
		return agents.DefaultAgentID
	}
	return id
}

// MainSessionKey is an agent's main session: agent:<agent>:<mainKey>.
func MainSessionKey(c *genconfig.ClawdbotConfig, agentID, mainKey string) string {
	return "agent:" + keyAgent(c, agentID) + ":" + agents.NormalizeMainKey(mainKey)
}

// SessionKey is the session of a message to agentID from peer on channel:
//   - groups and channels: agent:<agent>:<channel>:<kind>:<id> (the original's form);
//   - direct chats by session.dmScope: "main" the agent's main session, "per-peer"
//     agent:<agent>:dm:<peer>, "per-channel-peer" agent:<agent>:<channel>:dm:<peer>
//     (the original's forms), unset agent:<agent>:<channel>:<peer> (this gateway's
//     per-sender default);
//   - session.scope "global": the agent's main session for everything.
//
// Peer ids are lowercased, as the original.
func SessionKey(c *genconfig.ClawdbotConfig, agentID, channel string, peer *Peer, o Options) string {
	main := MainSessionKey(c, agentID, o.MainKey)
	if o.Global {
		return main
	}
	a := "agent:" + keyAgent(c, agentID) + ":"
	ch := strings.ToLower(strings.TrimSpace(channel))
	if ch == "" {
		ch = "unknown"
	}
	kind, id := PeerDM, ""
	if peer != nil {
		kind, id = peer.Kind, strings.ToLower(strings.TrimSpace(peer.ID))
	}
	if kind != PeerDM {
		if id == "" {
			id = "unknown"
		}
		return a + ch + ":" + kind + ":" + id
	}
	if id == "" {
		return main
	}
	if o.DMScope == "per-peer" || o.DMScope == "per-channel-peer" {
		if linked := linkedPeer(o.IdentityLinks, ch, id); linked != "" {
			id = strings.ToLower(linked)
		}
	}
	switch o.DMScope {
	case "main":
		return main
	case "per-peer":
		return a + "dm:" + id
	case "per-channel-peer":
		return a + ch + ":dm:" + id
	}
	return a + ch + ":" + id
}

// linkedPeer is the canonical name session.identityLinks gives peer id on channel
// ("" when none): an entry matches the bare id or "<channel>:<id>", compared trimmed
// and case-insensitively. Canonical names are tried in sorted order so a id listed
// twice resolves the same way every time (the original takes the first in its
// object's key order).
func linkedPeer(links map[string][]string, channel, id string) string {
	if len(links) == 0 || id == "" {
		return ""
	}
	bare, scoped := strings.ToLower(strings.TrimSpace(id)), ""
	if channel != "" {
		scoped = channel + ":" + bare
	}
	names := make([]string, 0, len(links))
	for name := range links {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		canon := strings.TrimSpace(name)
		if canon == "" {
			continue
		}
		for _, v := range links[name] {
			v = strings.ToLower(strings.TrimSpace(v))
			if v != "" && (v == bare || v == scoped) {
				return canon
			}
		}
	}
	return ""
}

// BoundAccountIDs lists the accounts bindings name for channel (normalised, sorted;
// "" and "*" are not accounts): the original counts them among a channel's accounts.
func BoundAccountIDs(c *genconfig.ClawdbotConfig, channel string) []string {
	ch := strings.ToLower(strings.TrimSpace(channel))
	seen := map[string]bool{}
	var out []string
	for _, b := range bindings(c) {
		if b.channel != ch || b.account == "" || b.account == "*" {
			continue
		}
		id := NormalizeAccountID(b.account)
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// DefaultAgentBoundAccountID is the account the default agent is bound to on channel
// ("" when none): the original's default Telegram account when set.
func DefaultAgentBoundAccountID(c *genconfig.ClawdbotConfig, channel string) string {
	ch := strings.ToLower(strings.TrimSpace(channel))
	def := agents.DefaultID(c)
	for _, b := range bindings(c) {
		if b.channel != ch || b.account == "" || b.account == "*" || agents.NormalizeID(b.agent) != def {
			continue
		}
		return NormalizeAccountID(b.account)
	}
	return ""
}
