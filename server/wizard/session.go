package wizard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
)

// ErrCancelled ends a flow that was cancelled (wizard.cancel, a declined
// confirmation, idle expiry); the session's status becomes cancelled.
var ErrCancelled = errors.New("wizard cancelled")

// cancelError carries the reason a flow ends cancelled ("risk not accepted").
type cancelError struct{ reason string }

func (e *cancelError) Error() string { return e.reason }
func (e *cancelError) Unwrap() error { return ErrCancelled }

// Cancelled returns an error that ends the flow with status cancelled and reason.
func Cancelled(reason string) error { return &cancelError{reason: reason} }

// step is a pending prompt: what the client sees and how its answer is checked.
type step struct {
	wire protocol.WizardStep
	// check turns the raw answer into the value the flow receives, or says why it
	// does not fit (the step then stays pending).
	check func(raw json.RawMessage) (any, error)
}

// Session is one run of a flow. The flow runs in its own goroutine and blocks in
// Prompter calls; wizard.next hands it answers and waits for its next step. All
// state is under mu; changed is closed and replaced on every change so waiters wake.
type Session struct {
	id string

	mu         sync.Mutex
	status     protocol.WizardStatus
	err        string
	cur        *step         // the step waiting for an answer; nil while the flow works or after it ends
	answers    chan any      // the checked answer of cur, to the flow (buffered 1)
	cancelled  chan struct{} // closed by cancel
	changed    chan struct{} // closed and replaced when cur or status changes
	lastActive time.Time
	finished   chan struct{} // closed when the flow goroutine has returned
	nextStepID func() string
}

// Flow is an onboarding flow: it asks through p and returns nil when finished, an
// error wrapping ErrCancelled when cancelled, any other error when it failed.
type Flow func(ctx context.Context, p *Prompter) error

func newSession(id string, now time.Time, ids func() string, flow Flow) *Session {
	s := &Session{id: id, status: protocol.WizardStatusRunning, answers: make(chan any, 1),
		cancelled: make(chan struct{}), changed: make(chan struct{}), lastActive: now, finished: make(chan struct{}), nextStepID: ids}
	ctx, stop := context.WithCancel(context.Background())
	go func() {
		<-s.cancelled
		stop()
	}()
	go s.run(ctx, stop, flow)
	return s
}

func (s *Session) run(ctx context.Context, stop context.CancelFunc, flow Flow) {
	defer close(s.finished)
	defer stop()
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("wizard: internal error: %v", r)
			}
		}()
		return flow(ctx, &Prompter{s: s})
	}()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.status == protocol.WizardStatusRunning {
		var ce *cancelError
		switch {
		case err == nil:
			s.status = protocol.WizardStatusDone
		case errors.As(err, &ce):
			s.status, s.err = protocol.WizardStatusCancelled, ce.reason
		case errors.Is(err, ErrCancelled):
			s.status, s.err = protocol.WizardStatusCancelled, "cancelled"
		default:
			s.status, s.err = protocol.WizardStatusError, err.Error()
		}
	}
	s.cur = nil
	s.signalLocked()
	// Close the cancel channel so the watcher goroutine ends.
	select {
	case <-s.cancelled:
	default:
		close(s.cancelled)
	}
}

func (s *Session) signalLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// ask shows st and waits for its checked answer (or cancellation).
func (s *Session) ask(ctx context.Context, st *step) (any, error) {
	s.mu.Lock()
	if s.status != protocol.WizardStatusRunning {
		s.mu.Unlock()
		return nil, ErrCancelled
	}
	st.wire.ID = s.nextStepID()
	client := protocol.WizardStepExecutorClient
	st.wire.Executor = &client
	s.cur = st
	s.signalLocked()
	s.mu.Unlock()
	select {
	case v := <-s.answers:
		return v, nil
	case <-s.cancelled:
		return nil, ErrCancelled
	case <-ctx.Done():
		return nil, ErrCancelled
	}
}

// result is the session's answer to start and next: the pending step, or done.
func (s *Session) resultLocked() (done bool, st *protocol.WizardStep, status protocol.WizardStatus, errText *string) {
	status = s.status
	if s.err != "" {
		e := s.err
		errText = &e
	}
	if s.cur != nil {
		w := s.cur.wire
		return false, &w, status, nil
	}
	return status != protocol.WizardStatusRunning, nil, status, errText
}

// next waits until a step is pending or the flow has ended.
func (s *Session) next(ctx context.Context) (bool, *protocol.WizardStep, protocol.WizardStatus, *string, error) {
	for {
		s.mu.Lock()
		if s.cur != nil || s.status != protocol.WizardStatusRunning {
			done, st, status, e := s.resultLocked()
			s.mu.Unlock()
			return done, st, status, e, nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return false, nil, "", nil, ctx.Err()
		}
	}
}

// answer checks raw against the pending step stepID and hands it to the flow. A
// wrong step or an answer that does not fit leaves the step pending.
func (s *Session) answer(stepID string, raw json.RawMessage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.status != protocol.WizardStatusRunning {
		return errNotRunning
	}
	if s.cur == nil || s.cur.wire.ID != stepID {
		return errors.New("wizard: no pending step with this stepId")
	}
	v, err := s.cur.check(raw)
	if err != nil {
		return err
	}
	s.cur = nil
	s.answers <- v // buffered; the flow takes one answer per step
	s.signalLocked()
	return nil
}

// commit runs fn (the flow's final write) unless the session was cancelled, under
// the session's lock so a cancel cannot slip between the check and the write: a
// cancelled wizard never writes, a wizard that wrote finishes done.
func (s *Session) commit(fn func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.status != protocol.WizardStatusRunning {
		return ErrCancelled
	}
	return fn()
}

// cancel stops a running session with reason.
func (s *Session) cancel(reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.status != protocol.WizardStatusRunning {
		return
	}
	s.status, s.err, s.cur = protocol.WizardStatusCancelled, reason, nil
	close(s.cancelled)
	s.signalLocked()
}

func (s *Session) state() (protocol.WizardStatus, *string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == "" {
		return s.status, nil
	}
	e := s.err
	return s.status, &e
}

var errNotRunning = errors.New("wizard not running")
