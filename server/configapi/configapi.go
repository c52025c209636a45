// Package configapi serves the config method group (config.get, config.set,
// config.patch, config.apply, config.schema) over the config file. It never imports server/gateway; it is
// generic over the transport's connection type.
package configapi

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/clawgate/gateway/server/config"

	"github.com/clawgate/gateway/gen/go/protocol"
)

// Options configure the group.
type Options struct {
	// Path is the config file; "" makes every method UNAVAILABLE.
	Path string
	// HasSecret reports whether gateway.auth has a token or password (execChanges).
	HasSecret func() bool
	// Version is config.schema's version.
	Version string
	// GeneratedAt is config.schema's generatedAt (the process start).
	GeneratedAt time.Time
	// Apply applies a file config.apply has just written (the daemon: hot reload or
	// an in-process restart per gateway.reload.mode); nil makes config.apply
	// UNAVAILABLE. It runs in the request's context, so it may defer work until the
	// response is sent (gateway.AfterResponse).
	Apply func(ctx context.Context, r ApplyRequest) (ApplyOutcome, error)
	// TalkKeyFor reports whether config.get may show the caller the Talk mode key
	// (talk.apiKey, else ELEVENLABS_API_KEY from Getenv or the shell profiles under
	// Home) in `config`, unredacted: the apps need it for Talk mode. The daemon allows
	// operator.admin callers, who can run commands on the host anyway. nil: never.
	TalkKeyFor func(c any) bool
	// Getenv and Home are where the Talk key fallback is looked up (nil / "": none).
	Getenv func(string) string
	Home   string
}

// ApplyRequest is one config.apply for Options.Apply.
type ApplyRequest struct {
	// Save writes the checked file and reads it back. Apply calls it once, under
	// whatever lock keeps its reload watcher from acting on the new file first, then
	// applies the file it returns; an error from Save is returned as it is.
	Save         func() (*config.File, error)
	RestartDelay time.Duration // wait before a needed restart
	SessionKey   string        // session told once the gateway is back ("" = main)
	Note         string        // the notice's text
}

// ApplyOutcome is what Options.Apply did.
type ApplyOutcome struct {
	Mode                  string   // gateway.reload.mode in effect
	Changed, Hot, Ignored []string // reload.Plan's lists
	Restart               bool     // an in-process restart is scheduled
	NoopReason            string   // why nothing was applied
	RestartExpectedMs     int64    // announced in the shutdown event
	Notice                *Notice  // the restart notice queued, if any
}

// Notice is a restart notice queued for after the restart (the original's restart
// sentinel, kept in memory: the restart happens in this process).
type Notice struct {
	// Kind is what restarts ("" = config.apply; the agent's gateway tool: "gateway.restart").
	Kind       string
	Ts         time.Time
	SessionKey string
	Note       string
}

// ErrNoPath is the cause of every answer when no config file path is configured.
var ErrNoPath = errors.New("no config file path configured")

// Handler serves the config group over connections of type C.
type Handler[C any] struct {
	opts Options
	mu   sync.Mutex // one writer at a time (write)

	// The uiHints, built from the embedded schema once per handler on first use.
	hintsOnce sync.Once
	hints     map[string]protocol.ConfigUiHint
	hintsErr  error
}

var _ protocol.ConfigHandler[struct{}] = (*Handler[struct{}])(nil)

// New returns the config group.
func New[C any](o Options) *Handler[C] { return &Handler[C]{opts: o} }

func invalid(format string, args ...any) error {
	return protocol.ErrorCodeInvalidRequest.Errorf(format, args...)
}

func unavailable(format string, args ...any) error {
	return protocol.ErrorCodeUnavailable.Errorf(format, args...)
}
