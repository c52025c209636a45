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
	getenv := func(k string) string {
		if c.s.env == nil {
			return ""
		}
		v, _ := c.s.env(k)
		return v
	}
	st := tts.Resolve(f.Lookup, getenv, c.s.paths.StateDir)
	c.settings.Store(&st)
}

func (c *ttsComponent) attach(srv *gateway.Server, mux *methods) error {
	mux.SetTts(tts.New[*gateway.Conn](tts.Options{Settings: func() tts.Settings { return *c.settings.Load() }, Now: srv.Options().Now}))
	return nil
}

func (c *ttsComponent) reconfigure(_ context.Context, next *config.File) { c.load(next) }

func (c *ttsComponent) close(context.Context) error { return nil }
