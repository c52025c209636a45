// Package hooks serves the webhook endpoints (`POST <hooks.path>/wake`, `/agent` and
// mapped sub-paths) on the gateway port. Runs start through the Runner, which the agent
// runtime implements, so a hook run takes the same path as `agent` and `wake`.
package hooks

import (
	"context"
	"time"
)

// AgentRequest is an isolated agent turn started by a hook (§10.1).
type AgentRequest struct {
	Message    string
	Name       string // "Hook" by default
	SessionKey string // "hook:<uuid>" by default
	WakeMode   string // "now" (default) or "next-heartbeat"
	Deliver    bool
	Channel    string // last|whatsapp|telegram|…
	To         string
	Thinking   string
	Timeout    time.Duration // 0: the agent default
}

// Runner starts work on behalf of a hook. Both calls return once the work is queued.
type Runner interface {
	// Wake queues a system note into the main session; mode "now" runs a heartbeat at once.
	Wake(ctx context.Context, text, mode string) error
	// StartAgent queues an isolated agent turn and returns its run id.
	StartAgent(ctx context.Context, r AgentRequest) (runID string, err error)
}
