// Package wizard serves the wizard method group: the onboarding flow the macOS app
// drives over the gateway (wizard.start, wizard.next, wizard.cancel,
// wizard.status), with the original's step shapes. A flow runs in its own
// goroutine and asks through a Prompter; each question becomes the session's
// pending step, which wizard.next answers. The flow writes the config file once, at
// the end, through the config group's config.patch writer.
//
// One wizard runs at a time (the original's rule). A session nobody has called for
// IdleTimeout is cancelled the next time any wizard method runs, so an abandoned
// wizard cannot hold the slot forever. A session whose end the client has seen is
// forgotten at once; one that ended unseen is kept for wizard.status for one more
// idle period, at most MaxFinished of them.
package wizard

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
)

// Limits.
const (
	// DefaultIdleTimeout cancels a running session nobody has called for this long.
	DefaultIdleTimeout = 30 * time.Minute
	// MaxFinished bounds the ended sessions kept for wizard.status (ended unseen:
	// expired, or the client went away before the answer).
	MaxFinished = 16
)

// Wire messages, as the original's (the macOS app restarts a lost wizard on
// "wizard not found" / "wizard not running").
const (
	msgNotFound = "wizard not found"
	msgRunning  = "wizard already running"
	msgExpired  = "wizard expired (idle)"
)

// Options configure the group.
type Options struct {
	// Flow builds the flow of one wizard.start (default: Onboarding with FlowOptions).
	Flow func(StartOptions) Flow
	// FlowOptions configure the default flow; Config is required for it.
	FlowOptions FlowOptions
	IdleTimeout time.Duration    // default DefaultIdleTimeout
	Now         func() time.Time // default time.Now (the idle clock)
	// NewID makes session and step ids (default: random hex).
	NewID func() string
}

// Handler serves the wizard group over connections of type C.
type Handler[C any] struct {
	o Options

	mu       sync.Mutex
	sessions map[string]*Session
}

var _ protocol.WizardHandler[struct{}] = (*Handler[struct{}])(nil)

func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// New returns the group.
func New[C any](o Options) *Handler[C] {
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.NewID == nil {
		o.NewID = randomID
	}
	if o.Flow == nil {
		fo := o.FlowOptions
		o.Flow = func(s StartOptions) Flow { return Onboarding(fo, s) }
	}
	return &Handler[C]{o: o, sessions: map[string]*Session{}}
}

func invalid(msg string) error { return protocol.ErrorCodeInvalidRequest.Errorf("%s", msg) }

// sweepLocked cancels idle running sessions (kept for another idle period so their
// state can still be read), forgets ended ones idle past the limit, and keeps at most
// MaxFinished ended ones (the most recently active).
func (h *Handler[C]) sweepLocked(now time.Time) {
	type ended struct {
		id string
		at time.Time
	}
	var done []ended
	for id, s := range h.sessions {
		s.mu.Lock()
		idle := now.Sub(s.lastActive) >= h.o.IdleTimeout
		running := s.status == protocol.WizardStatusRunning
		s.mu.Unlock()
		switch {
		case running && idle:
			s.cancel(msgExpired)
			s.mu.Lock()
			s.lastActive = now
			s.mu.Unlock()
			done = append(done, ended{id, now})
		case !running && idle:
			delete(h.sessions, id)
		case !running:
			s.mu.Lock()
			done = append(done, ended{id, s.lastActive})
			s.mu.Unlock()
		}
	}
	if len(done) > MaxFinished {
		sort.Slice(done, func(i, j int) bool { return done[i].at.Before(done[j].at) })
		for _, e := range done[:len(done)-MaxFinished] {
			delete(h.sessions, e.id)
		}
	}
}

// get returns a session and marks it active.
func (h *Handler[C]) get(id string) (*Session, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.o.Now()
	h.sweepLocked(now)
	s := h.sessions[id]
	if s == nil {
		return nil, invalid(msgNotFound)
	}
	s.mu.Lock()
	s.lastActive = now
	s.mu.Unlock()
	return s, nil
}

// settle forgets a session whose end has been reported to the client (done, or a
// status read after it ended), as the original does.
func (h *Handler[C]) settle(s *Session, reported bool) {
	if st, _ := s.state(); st == protocol.WizardStatusRunning || !reported {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.sessions, s.id)
}

func (h *Handler[C]) WizardStart(ctx context.Context, c C, p *protocol.WizardStartParams) (*protocol.WizardStartResult, error) {
	h.mu.Lock()
	now := h.o.Now()
	h.sweepLocked(now)
	for _, s := range h.sessions {
		if st, _ := s.state(); st == protocol.WizardStatusRunning {
			h.mu.Unlock()
			return nil, protocol.ErrorCodeUnavailable.Errorf("%s", msgRunning)
		}
	}
	opts := StartOptions{Mode: string(p.GetMode()), Workspace: ""}
	if p.Workspace != nil {
		opts.Workspace = *p.Workspace
	}
	s := newSession(h.o.NewID(), now, h.o.NewID, h.o.Flow(opts))
	h.sessions[s.id] = s
	h.mu.Unlock()

	done, step, status, errText, err := s.next(ctx)
	if err != nil {
		return nil, protocol.ErrorCodeUnavailable.Errorf("wizard.start: %v", err)
	}
	h.settle(s, done)
	return &protocol.WizardStartResult{SessionID: s.id, Done: done, Step: step, Status: &status, Error: errText}, nil
}

func (h *Handler[C]) WizardNext(ctx context.Context, c C, p *protocol.WizardNextParams) (*protocol.WizardNextResult, error) {
	s, err := h.get(p.SessionID)
	if err != nil {
		return nil, err
	}
	if a := p.Answer; a != nil {
		if len(a.Value) > MaxAnswerBytes {
			return nil, protocol.ErrorCodeInvalidRequest.Errorf("wizard: answer larger than %d bytes", MaxAnswerBytes)
		}
		if err := s.answer(a.StepID, a.Value); err != nil {
			if errors.Is(err, errNotRunning) {
				return nil, invalid(msgNotRunning)
			}
			return nil, invalid(err.Error())
		}
	}
	done, step, status, errText, err := s.next(ctx)
	if err != nil {
		return nil, protocol.ErrorCodeUnavailable.Errorf("wizard.next: %v", err)
	}
	h.settle(s, done)
	return &protocol.WizardNextResult{Done: done, Step: step, Status: &status, Error: errText}, nil
}

const msgNotRunning = "wizard not running"

func (h *Handler[C]) WizardCancel(ctx context.Context, c C, p *protocol.WizardCancelParams) (*protocol.WizardCancelResult, error) {
	s, err := h.get(p.SessionID)
	if err != nil {
		return nil, err
	}
	s.cancel("cancelled")
	status, errText := s.state()
	h.mu.Lock()
	delete(h.sessions, s.id)
	h.mu.Unlock()
	return &protocol.WizardCancelResult{Status: status, Error: errText}, nil
}

func (h *Handler[C]) WizardStatus(ctx context.Context, c C, p *protocol.WizardStatusParams) (*protocol.WizardStatusResult, error) {
	s, err := h.get(p.SessionID)
	if err != nil {
		return nil, err
	}
	status, errText := s.state()
	h.settle(s, true)
	return &protocol.WizardStatusResult{Status: status, Error: errText}, nil
}

// Close cancels every running session and waits for their flows to return, so no
// flow outlives the server that served it.
func (h *Handler[C]) Close() {
	h.mu.Lock()
	all := make([]*Session, 0, len(h.sessions))
	for _, s := range h.sessions {
		all = append(all, s)
	}
	h.mu.Unlock()
	for _, s := range all {
		s.cancel("gateway shutting down")
		<-s.finished
	}
}
