package daemon

import (
	"context"
	"github.com/clawgate/gateway/server/access"
	"strings"

	genconfig "github.com/clawgate/gateway/gen/go/config"
	"github.com/clawgate/gateway/server/providers"

	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/persona"
)

// personaService serves the agents group (agents.list, agent.identity.get,
// models.list) and the skills group (skills.status|update|install|bins). Its
// persona.Service reads the config file on each call (cached by stat), so it needs
// no reconfigure; its caches (workspace files, the model catalog) outlive restarts.
type personaService struct{ svc *persona.Service }

func buildPersona(ctx context.Context, s *services) (component, error) {
	s.persona = persona.New(persona.Options{
		ConfigPath:       s.paths.ConfigPath,
		Env:              s.env,
		Home:             s.home,
		StateDir:         s.paths.StateDir,
		DefaultWorkspace: s.paths.Workspace,
		Logger:           s.log,
		SkillFilter: func(c *genconfig.ClawdbotConfig, key string) ([]string, bool) {
			return telegramGroupSkills(c, key, s.sessionAccount(ctx, key))
		},
	})
	return &personaService{svc: s.persona}, nil
}

// sessionAccount is the account a session's last message came through ("" when
// unknown: no runtime yet, or a session without a channel route).
func (s *services) sessionAccount(ctx context.Context, key string) string {
	st := s.sessionStore.Load()
	if st == nil {
		return ""
	}
	ss, err := st.Get(ctx, key)
	if err != nil {
		return ""
	}
	return ss.LastAccountID
}

// telegramGroupSkills is the skills filter of a Telegram group session
// (agent:<id>:telegram:group:<chat>, or <chat>:topic:<thread> for a forum topic):
// the group's entry in the groups of the session's account (its
// accounts.<id>.groups replacing the channel's, as for every group setting), else
// "*"'s, and its skills list (its topic's when that has one) when it has one.
func telegramGroupSkills(c *genconfig.ClawdbotConfig, sessionKey, accountID string) ([]string, bool) {
	group, ok := telegramGroupOf(sessionKey)
	if !ok || c == nil || c.Channels == nil || c.Channels.Telegram == nil {
		return nil, false
	}
	groups := telegramAccountSection(*c.Channels.Telegram, providers.NormalizeAccountID(accountID)).Groups
	group, topic, isTopic := strings.Cut(group, access.TopicSep)
	g, ok := groups[group]
	if !ok {
		g, ok = groups["*"]
	}
	if !ok {
		return nil, false
	}
	skills := g.Skills
	// A forum topic's list, when it has one, replaces its group's.
	if tc, ok := g.Topics[topic]; isTopic && ok && tc.Skills != nil {
		skills = tc.Skills
	}
	if skills == nil {
		return nil, false
	}
	var names []string
	for _, n := range skills {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	return names, true
}

// telegramGroupOf is the chat id of a Telegram group session key
// (agent:<id>:telegram:group:<chat>).
func telegramGroupOf(sessionKey string) (string, bool) {
	parts := strings.Split(sessionKey, ":")
	if len(parts) < 5 || parts[0] != "agent" || parts[2] != providers.Telegram || parts[3] != "group" {
		return "", false
	}
	return strings.Join(parts[4:], ":"), true
}

func (p *personaService) attach(srv *gateway.Server, mux *methods) error {
	h := persona.NewHandler[*gateway.Conn](p.svc)
	mux.SetAgents(h)
	mux.SetSkills(h)
	return nil
}

func (p *personaService) close(ctx context.Context) error {
	p.svc.Close()
	return nil
}
