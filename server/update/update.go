// Package update serves update.run. The reference updates its own git checkout or npm
// install and restarts itself; a Go gateway is one binary installed by its owner, and
// a control-plane call that downloads and runs code is a remote-code-execution door.
// So update.run answers in the reference's shape (the macOS app and the Control UI
// read it) that nothing was run: status skipped, the running version before and
// after, no steps, no restart, and how to update by hand.
package update

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
)

// Reason is the result's reason: why nothing ran.
const Reason = "go-binary: this gateway does not update itself"

// Instructions say how to update this gateway.
const Instructions = "Replace the clawdbot binary with the new release (or rebuild it: go install ./cmd/clawdbot), " +
	"then restart the gateway service (clawdbot gateway restart, or your service manager)."

// Options configure the group.
type Options struct {
	Version string           // the running version
	Commit  string           // the build's commit, when known
	Now     func() time.Time // default time.Now
}

// Handler serves the update group over connections of type C.
type Handler[C any] struct{ opts Options }

var _ protocol.UpdateHandler[struct{}] = (*Handler[struct{}])(nil)

// New returns the group.
func New[C any](o Options) *Handler[C] {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Handler[C]{opts: o}
}

func (h *Handler[C]) UpdateRun(ctx context.Context, c C, p *protocol.UpdateRunParams) (*protocol.UpdateRunResult, error) {
	rev := func() *protocol.UpdateRevision {
		r := &protocol.UpdateRevision{}
		if h.opts.Version != "" {
			r.Version = new(h.opts.Version)
		}
		if h.opts.Commit != "" {
			r.Sha = new(h.opts.Commit)
		}
		return r
	}
	out := protocol.UpdateOutcome{
		Status: protocol.UpdateOutcomeStatusSkipped, Mode: protocol.UpdateOutcomeModeUnknown,
		Reason: new(Reason), Before: rev(), After: rev(), Steps: []map[string]json.RawMessage{},
	}
	payload := protocol.UpdateSentinelPayload{Status: protocol.UpdateSentinelPayloadStatusSkipped, Ts: h.opts.Now().UnixMilli(), Stats: out}
	if k := strings.TrimSpace(p.GetSessionKey()); k != "" {
		payload.SessionKey = &k
	}
	if n := strings.TrimSpace(p.GetNote()); n != "" {
		payload.Message = &n
	}
	return &protocol.UpdateRunResult{Ok: true, Result: out, Sentinel: protocol.UpdateRunResultSentinel{Payload: payload}, Instructions: new(Instructions)}, nil
}
