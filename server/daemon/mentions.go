package daemon

import (
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"

	genconfig "github.com/clawgate/gateway/gen/go/config"
	"github.com/clawgate/gateway/server/access"
	"github.com/clawgate/gateway/server/agents"
	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/routing"
)

// mentionIndex answers the providers' question "which name patterns address the agent
// this group message goes to": the agent's groupChat.mentionPatterns, else
// messages.groupChat.mentionPatterns, else patterns derived from the agent's
// identity (name, emoji), as the original resolves them. Patterns are compiled once
// per agent and config; a reload starts a new set.
type mentionIndex struct {
	log *slog.Logger
	cur atomic.Pointer[mentionSet]
}

type mentionSet struct {
	file    *config.File
	mu      sync.Mutex
	byAgent map[string][]*regexp.Regexp
}

// set makes f the config the patterns come from.
func (x *mentionIndex) set(f *config.File) {
	x.cur.Store(&mentionSet{file: f, byAgent: map[string][]*regexp.Regexp{}})
}

// patterns is providers.Guard.MentionPatterns.
func (x *mentionIndex) patterns(m providers.Message) []*regexp.Regexp {
	set := x.cur.Load()
	if set == nil {
		return nil
	}
	c := &set.file.Config
	peer := &routing.Peer{Kind: routing.PeerGroup, ID: m.ChatID}
	agent := routing.Resolve(c, routing.Input{Channel: providers.NormalizeChannel(m.Channel), AccountID: m.AccountID, Peer: peer},
		routing.OptionsFrom(c)).AgentID
	set.mu.Lock()
	defer set.mu.Unlock()
	if res, ok := set.byAgent[agent]; ok {
		return res
	}
	res, bad := access.CompileMentionPatterns(mentionPatterns(c, agent))
	if len(bad) > 0 && x.log != nil {
		x.log.Warn("mention patterns left out (not valid RE2 syntax, or over the limit)", "agent", agent, "patterns", bad, "limit", access.MaxMentionPatterns)
	}
	set.byAgent[agent] = res
	return res
}

// mentionPatterns resolves the patterns of agent in c (an empty configured list
// turns name mentions off).
func mentionPatterns(c *genconfig.ClawdbotConfig, agent string) []string {
	var entry *genconfig.ConfigAgentsListElem
	if c.Agents != nil {
		for i := range c.Agents.List {
			if id := c.Agents.List[i].ID; id != nil && agents.NormalizeID(*id) == agent {
				entry = &c.Agents.List[i]
				break
			}
		}
	}
	if entry != nil && entry.GroupChat != nil && entry.GroupChat.MentionPatterns != nil {
		return entry.GroupChat.MentionPatterns
	}
	if c.Messages != nil && c.Messages.GroupChat != nil && c.Messages.GroupChat.MentionPatterns != nil {
		return c.Messages.GroupChat.MentionPatterns
	}
	if entry == nil || entry.Identity == nil {
		return nil
	}
	var name, emoji string
	if p := entry.Identity.Name; p != nil {
		name = *p
	}
	if p := entry.Identity.Emoji; p != nil {
		emoji = *p
	}
	return access.DeriveMentionPatterns(name, emoji)
}

// agentIdentityName is agents.list[<agent>].identity.name ("" when none).
func agentIdentityName(c *genconfig.ClawdbotConfig, agent string) string {
	if c.Agents == nil {
		return ""
	}
	for i := range c.Agents.List {
		e := &c.Agents.List[i]
		if id := e.ID; id != nil && agents.NormalizeID(*id) == agent && e.Identity != nil && e.Identity.Name != nil {
			return strings.TrimSpace(*e.Identity.Name)
		}
	}
	return ""
}
