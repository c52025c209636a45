package daemon

import (
	"context"
	"sync/atomic"

	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/tts"
)

// ttsComponent serves the tts group from messages.tts; a reloaded config applies to
// the next call.
type ttsComponent struct {
	s        *services
	settings atomic.Pointer[tts.Settings]
}

func buildTTS(_ context.Context, s *services) (component, error) {
	c := &ttsComponent{s: s}
	c.load(s.file)
	return c, nil
}

func (c *ttsComponent) load(f *config.File) {
	st := ttsSettings(c.s, f)
	c.settings.Store(&st)
}

// ttsSettings resolves messages.tts from a config file and the environment.
func ttsSettings(s *services, f *config.File) tts.Settings {
	getenv := func(k string) string {
		if s.env == nil {
			return ""
		}
		v, _ := s.env(k)
		return v
	}
	return tts.Resolve(f.Lookup, getenv, s.paths.StateDir)
}

func (c *ttsComponent) attach(srv *gateway.Server, mux *methods) error {
	mux.SetTts(tts.New[*gateway.Conn](tts.Options{Settings: func() tts.Settings { return *c.settings.Load() }, Now: srv.Options().Now}))
	return nil
}

func (c *ttsComponent) reconfigure(_ context.Context, next *config.File) { c.load(next) }

func (c *ttsComponent) close(context.Context) error { return nil }
