// Package configapi serves the config method group (config.get, config.set,
// config.schema) over the config file. It never imports server/gateway; it is
// generic over the transport's connection type.
package configapi

import (
	"errors"
	"time"

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
}

// ErrNoPath is the cause of every answer when no config file path is configured.
var ErrNoPath = errors.New("no config file path configured")

// Handler serves the config group over connections of type C.
type Handler[C any] struct{ opts Options }

var _ protocol.ConfigHandler[struct{}] = (*Handler[struct{}])(nil)

// New returns the config group.
func New[C any](o Options) *Handler[C] { return &Handler[C]{opts: o} }

func invalid(format string, args ...any) error {
	return protocol.ErrorCodeInvalidRequest.Errorf(format, args...)
}

func unavailable(format string, args ...any) error {
	return protocol.ErrorCodeUnavailable.Errorf(format, args...)
}
