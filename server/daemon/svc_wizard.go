package daemon

import (
	"errors"
	"sync/atomic"

	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/configapi"
	"github.com/clawgate/gateway/server/gateway"
)

// wizardConfig is the onboarding wizard's config writer: the config group of the
// server running now. The wizard lives for the process (its session survives the
// in-process restart its own write may cause); each server has its own config group,
// whose lock the wizard's write must share with config.set/patch/apply.
type wizardConfig struct {
	cur atomic.Pointer[configapi.Handler[*gateway.Conn]]
}

var errNoConfigGroup = errors.New("no config group (gateway restarting)")

func (w *wizardConfig) Read() (*config.File, error) {
	h := w.cur.Load()
	if h == nil {
		return nil, errNoConfigGroup
	}
	return h.Read()
}

func (w *wizardConfig) Patch(method, baseHash string, patch []byte) (*config.File, error) {
	h := w.cur.Load()
	if h == nil {
		return nil, errNoConfigGroup
	}
	return h.Patch(method, baseHash, patch)
}
