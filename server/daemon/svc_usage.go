package daemon

import (
	"context"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/usage"
)

// usageGroup is the agent's usage group with usage.status listing the providers the
// running config names, next to those the transcripts have recorded answers of.
type usageGroup struct {
	protocol.UsageHandler[*gateway.Conn]
	a *agentService
}

func (u usageGroup) UsageStatus(ctx context.Context, c *gateway.Conn, p *protocol.UsageStatusParams) (*protocol.UsageStatusResult, error) {
	return usage.Status(ctx, usage.Options{Store: u.a.store, Configured: configuredProviders(u.a.cur.Load()), Now: u.a.s.now()})
}

// configuredProviders lists the provider ids f names: models.providers, and the
// providers of the agent's model and fallbacks (CLI backends are not providers).
func configuredProviders(f *config.File) []string {
	if f == nil {
		return nil
	}
	var out []string
	if m := f.Config.Models; m != nil {
		for id := range m.Providers {
			out = append(out, id)
		}
	}
	if a, err := config.ResolveAgent(&f.Config, ""); err == nil {
		for _, m := range append([]config.Model{a.Model}, a.Fallbacks...) {
			if m.Kind == config.BackendProvider && m.Provider != "" {
				out = append(out, m.Provider)
			}
		}
	}
	return out
}

// now is the services' clock (the wall clock unless a test injects one).
func (s *services) now() time.Time {
	if s.clock == nil {
		return time.Now()
	}
	return s.clock.Now()
}
