package execapprove

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// DefaultMaxPending bounds the approvals waiting for an answer at once.
const DefaultMaxPending = 64

// Errors of the manager.
var (
	ErrUnknownApproval = errors.New("unknown approval id")
	ErrAlreadyPending  = errors.New("approval id already pending")
	ErrTooManyPending  = errors.New("too many pending exec approvals")
	ErrInvalidDecision = errors.New("invalid decision")
)

// RequestPayload is the request as broadcast to approvers (null for absent fields, as
// the original sends them).
type RequestPayload struct {
	Command      string  `json:"command"`
	Cwd          *string `json:"cwd"`
	Host         *string `json:"host"`
	Security     *string `json:"security"`
	Ask          *string `json:"ask"`
	AgentID      *string `json:"agentId"`
	ResolvedPath *string `json:"resolvedPath"`
	SessionKey   *string `json:"sessionKey"`
}

// Record is one approval request: the exec.approval.requested event payload.
type Record struct {
	ID          string         `json:"id"`
	Request     RequestPayload `json:"request"`
	CreatedAtMs int64          `json:"createdAtMs"`
	ExpiresAtMs int64          `json:"expiresAtMs"`
}

// Resolved is the exec.approval.resolved event payload.
type Resolved struct {
	ID         string   `json:"id"`
	Decision   Decision `json:"decision"`
	ResolvedBy string   `json:"resolvedBy,omitempty"`
	Ts         int64    `json:"ts"`
}

// RequestResult is the exec.approval.request response: the decision, null on timeout.
type RequestResult struct {
	ID          string    `json:"id"`
	Decision    *Decision `json:"decision"`
	CreatedAtMs int64     `json:"createdAtMs"`
	ExpiresAtMs int64     `json:"expiresAtMs"`
}

// Broadcaster delivers approval events to the clients allowed to see them (scope
// operator.approvals). Calls must not block for long.
type Broadcaster interface {
	ApprovalRequested(r Record)
	ApprovalResolved(r Resolved)
}

// Timer is the manager's clock: After returns a channel that fires after d and a stop
// function. Tests inject one they fire by hand.
type Timer func(d time.Duration) (<-chan time.Time, func() bool)

func realTimer(d time.Duration) (<-chan time.Time, func() bool) {
	t := time.NewTimer(d)
	return t.C, t.Stop
}

// ManagerOptions configure a Manager.
type ManagerOptions struct {
	Events Broadcaster
	// MaxPending bounds concurrent requests (default DefaultMaxPending).
	MaxPending int
	// DefaultTimeout applies to requests without one (DefaultApprovalTimeout).
	DefaultTimeout time.Duration
	Now            func() time.Time
	Timer          Timer
	NewID          func() string
}

// Manager holds the approvals waiting for a person: the state behind
// exec.approval.request / exec.approval.resolve. It implements Asker, so a Gate asks
// through it directly.
type Manager struct {
	o       ManagerOptions
	mu      sync.Mutex
	pending map[string]*pendingApproval
}

type pendingApproval struct {
	rec Record
	ch  chan Resolved
}

// NewManager returns a manager.
func NewManager(o ManagerOptions) *Manager {
	if o.MaxPending <= 0 {
		o.MaxPending = DefaultMaxPending
	}
	if o.DefaultTimeout <= 0 {
		o.DefaultTimeout = DefaultApprovalTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Timer == nil {
		o.Timer = realTimer
	}
	if o.NewID == nil {
		o.NewID = newUUID
	}
	return &Manager{o: o, pending: map[string]*pendingApproval{}}
}

func optStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Request registers req, broadcasts it, and waits for a decision, the timeout (the
// result's Decision is nil) or ctx. When ctx ends first the request is withdrawn and
// approvers are told it was denied, so no prompt is left dangling.
func (m *Manager) Request(ctx context.Context, req ApprovalRequest) (RequestResult, error) {
	timeout := req.Timeout
	if timeout <= 0 {
		timeout = m.o.DefaultTimeout
	}
	id := strings.TrimSpace(req.ID)
	if id == "" {
		id = m.o.NewID()
	}
	now := m.o.Now().UnixMilli()
	rec := Record{ID: id, CreatedAtMs: now, ExpiresAtMs: now + timeout.Milliseconds(), Request: RequestPayload{
		Command: req.Command, Cwd: optStr(req.Cwd), Host: optStr(req.Host), Security: optStr(string(req.Security)),
		Ask: optStr(string(req.Ask)), AgentID: optStr(req.AgentID), ResolvedPath: optStr(req.ResolvedPath), SessionKey: optStr(req.SessionKey),
	}}
	p := &pendingApproval{rec: rec, ch: make(chan Resolved, 1)}
	m.mu.Lock()
	if _, dup := m.pending[id]; dup {
		m.mu.Unlock()
		return RequestResult{}, ErrAlreadyPending
	}
	if len(m.pending) >= m.o.MaxPending {
		m.mu.Unlock()
		return RequestResult{}, ErrTooManyPending
	}
	m.pending[id] = p
	m.mu.Unlock()

	timer, stop := m.o.Timer(timeout)
	defer stop()
	if m.o.Events != nil {
		m.o.Events.ApprovalRequested(rec)
	}
	out := RequestResult{ID: id, CreatedAtMs: rec.CreatedAtMs, ExpiresAtMs: rec.ExpiresAtMs}
	select {
	case r := <-p.ch:
		d := r.Decision
		out.Decision = &d
		return out, nil
	case <-timer:
		if m.remove(id) {
			return out, nil
		}
		r := <-p.ch // resolved in the same instant: the answer wins
		out.Decision = &r.Decision
		return out, nil
	case <-ctx.Done():
		if m.remove(id) && m.o.Events != nil {
			m.o.Events.ApprovalResolved(Resolved{ID: id, Decision: Deny, ResolvedBy: "gateway (request cancelled)", Ts: m.o.Now().UnixMilli()})
		}
		return out, fmt.Errorf("exec approval %s: %w", id, context.Cause(ctx))
	}
}

func (m *Manager) remove(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.pending[id]; !ok {
		return false
	}
	delete(m.pending, id)
	return true
}

// Ask implements Asker.
func (m *Manager) Ask(ctx context.Context, req ApprovalRequest) (Decision, error) {
	res, err := m.Request(ctx, req)
	if err != nil {
		return "", err
	}
	if res.Decision == nil {
		return "", nil
	}
	return *res.Decision, nil
}

// Resolve answers a pending approval and broadcasts exec.approval.resolved.
func (m *Manager) Resolve(id string, d Decision, resolvedBy string) error {
	if ParseDecision(string(d)) == "" {
		return ErrInvalidDecision
	}
	m.mu.Lock()
	p, ok := m.pending[id]
	if ok {
		delete(m.pending, id)
	}
	m.mu.Unlock()
	if !ok {
		return ErrUnknownApproval
	}
	r := Resolved{ID: id, Decision: d, ResolvedBy: resolvedBy, Ts: m.o.Now().UnixMilli()}
	p.ch <- r
	if m.o.Events != nil {
		m.o.Events.ApprovalResolved(r)
	}
	return nil
}

// Pending lists the requests waiting for an answer, oldest first.
func (m *Manager) Pending() []Record {
	m.mu.Lock()
	out := make([]Record, 0, len(m.pending))
	for _, p := range m.pending {
		out = append(out, p.rec)
	}
	m.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].CreatedAtMs != out[j].CreatedAtMs {
			return out[i].CreatedAtMs < out[j].CreatedAtMs
		}
		return out[i].ID < out[j].ID
	})
	return out
}
