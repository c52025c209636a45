package daemon

import (
	"context"

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
	})
	return &personaService{svc: s.persona}, nil
}

func (p *personaService) attach(srv *gateway.Server, mux *methods) error {
	h := persona.NewHandler[*gateway.Conn](p.svc)
	mux.SetAgents(h)
	mux.SetSkills(h)
	return nil
}

func (p *personaService) close(ctx context.Context) error { return nil }
