package debounce

import (
	"sync"
	"sync/atomic"
	"time"
)

// Slot is a provider's debounce window, which outlives its restarts, and the Buffer
// of the running instance. A config reload changes the window through SetWindow
// whether or not the provider is running: the running buffer takes it at once and
// the next Open starts with it. The zero Slot has the window off and no buffer.
type Slot[K comparable, P any] struct {
	window atomic.Int64 // nanoseconds; 0: off

	mu  sync.Mutex
	cur *Buffer[K, P] // of the running instance; nil while stopped
}

// SetWindow changes the window (negative counts as 0): texts arriving from now on
// are held w, by the running buffer and by the next one Open makes.
func (s *Slot[K, P]) SetWindow(w time.Duration) {
	w = max(w, 0)
	s.window.Store(int64(w))
	s.mu.Lock()
	b := s.cur
	s.mu.Unlock()
	if b != nil {
		b.SetWindow(w)
	}
}

// Window is the window in force.
func (s *Slot[K, P]) Window() time.Duration { return time.Duration(s.window.Load()) }

// Open makes the running instance's buffer with cfg and the window in force
// (cfg.Window is ignored) and returns it. A buffer Open made before and not
// Detached is replaced without being closed; close it first.
func (s *Slot[K, P]) Open(cfg Config[P]) *Buffer[K, P] {
	s.mu.Lock()
	defer s.mu.Unlock()
	cfg.Window = s.Window()
	s.cur = New[K](cfg)
	return s.cur
}

// Detach forgets the running buffer and returns it (nil when none) for the caller to
// Close; later SetWindow calls no longer reach it.
func (s *Slot[K, P]) Detach() *Buffer[K, P] {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.cur
	s.cur = nil
	return b
}
