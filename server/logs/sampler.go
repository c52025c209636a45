package logs

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Sampler keeps a flood of one kind of line from pushing everything else out of the
// rotating log file. Lines that anyone on the network can cause at will (a refused
// handshake, a refused bridge connection, a closed pre-auth socket) go through it:
// per message text, the first Burst lines of every Window are logged as they come,
// the rest are only counted, and when the window ends one summary line
// "<message> (repeated)" says how many were left out, with the attributes of the last
// one. Twelve thousand refused handshakes then cost a few dozen lines, not the history.
type Sampler struct {
	log    *slog.Logger
	burst  int
	window time.Duration

	mu   sync.Mutex
	keys map[string]*sampled
}

type sampled struct {
	count      int // lines in the current window, logged or not
	suppressed int
	level      slog.Level
	last       []any
	timer      *time.Timer
}

// Sampler defaults.
const (
	DefaultSampleBurst  = 10
	DefaultSampleWindow = 10 * time.Second
)

// SamplerOptions configure a Sampler; zero values take the defaults.
type SamplerOptions struct {
	Burst  int
	Window time.Duration
}

// NewSampler samples lines into log.
func NewSampler(log *slog.Logger, o SamplerOptions) *Sampler {
	if o.Burst <= 0 {
		o.Burst = DefaultSampleBurst
	}
	if o.Window <= 0 {
		o.Window = DefaultSampleWindow
	}
	return &Sampler{log: log, burst: o.Burst, window: o.Window, keys: map[string]*sampled{}}
}

// Log logs msg at level, unless Burst lines with the same msg were already logged in
// this window; then it only counts it. msg should be a constant: it is the key.
func (s *Sampler) Log(level slog.Level, msg string, args ...any) {
	if !s.log.Enabled(context.Background(), level) {
		return
	}
	s.mu.Lock()
	st := s.keys[msg]
	if st == nil {
		st = &sampled{}
		s.keys[msg] = st
		st.timer = time.AfterFunc(s.window, func() { s.endWindow(msg) })
	}
	st.count++
	if st.count > s.burst {
		st.suppressed++
		st.level, st.last = level, args
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	s.log.Log(context.Background(), level, msg, args...)
}

// endWindow writes the summary of a window that left lines out, and forgets the key
// (the next line starts a new window).
func (s *Sampler) endWindow(msg string) {
	s.mu.Lock()
	st := s.keys[msg]
	delete(s.keys, msg)
	s.mu.Unlock()
	if st == nil || st.suppressed == 0 {
		return
	}
	args := append([]any{"suppressed", st.suppressed, "window", s.window.String()}, st.last...)
	s.log.Log(context.Background(), st.level, msg+" (repeated)", args...)
}

// Flush writes the pending summaries now (at shutdown).
func (s *Sampler) Flush() {
	s.mu.Lock()
	keys := make([]string, 0, len(s.keys))
	for k, st := range s.keys {
		st.timer.Stop()
		keys = append(keys, k)
	}
	s.mu.Unlock()
	for _, k := range keys {
		s.endWindow(k)
	}
}
