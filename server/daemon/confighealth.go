package daemon

import (
	"context"
	"slices"
	"sync"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/config"
)

// configHealth is the config part of health: whether the file on disk is the one the
// gateway runs on, and if not, why. A broken edit while running keeps the running
// config; this is where clients see that.
type configHealth struct {
	mu     sync.Mutex
	path   string
	err    string // "" when the file on disk is in use
	unimpl []string
	legacy []string
}

// loaded records a file that loaded and is now in use.
func (h *configHealth) loaded(f *config.File) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.err = ""
	h.unimpl = slices.Clone(f.Unimplemented)
	h.legacy = slices.Clone(f.Migrated)
}

// failed records why the file on disk is not in use; it reports whether the reason
// is new (so it is logged once, not on every watcher tick).
func (h *configHealth) failed(err error) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	msg := err.Error()
	if msg == h.err {
		return false
	}
	h.err = msg
	return true
}

// source is the gateway.HealthSource of the config section.
func (h *configHealth) source(_ context.Context, sum *protocol.HealthSummary) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := &protocol.HealthSummaryConfig{Ok: h.err == "", Path: h.path, Unimplemented: h.unimpl, Legacy: h.legacy}
	if h.err != "" {
		e := h.err
		c.Error = &e
	}
	sum.Config = c
}
