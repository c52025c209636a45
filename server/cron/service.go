package cron

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/clawgate/gateway/server/clock"
	"github.com/clawgate/gateway/server/heartbeat"
)

// Limits and defaults of the service.
const (
	// DefaultMaxJobs bounds the number of jobs (Add beyond it fails with ErrLimit).
	DefaultMaxJobs = 200
	// DefaultRunTimeout bounds one run when its payload sets no timeoutSeconds (the
	// original's default agent timeout, 600 s).
	DefaultRunTimeout = 10 * time.Minute
	// DefaultMaxConcurrentRuns bounds runs in flight; further due jobs queue (the
	// original's cron.maxConcurrentRuns default).
	DefaultMaxConcurrentRuns = 1
	// DefaultMainBusyWait is how long a wakeMode "now" main job waits for the main session
	// to become idle before it records "skipped" (the original's 2 minutes).
	DefaultMainBusyWait = 2 * time.Minute
	// MainBusyRetry is the pause between heartbeat attempts while the session is busy.
	MainBusyRetry = 250 * time.Millisecond
	// OneShotRetryDelay is when a failed one-shot ("at") job runs again, and
	// MaxOneShotAttempts how many runs it gets before it is disabled.
	OneShotRetryDelay  = time.Minute
	MaxOneShotAttempts = 3
	// StuckRunAge is when a running marker of this process is considered stale (the
	// original's 2 hours).
	StuckRunAge = 2 * time.Hour
	// DefaultPostToMainMaxChars bounds postToMainMode "full" (the original's 8000).
	DefaultPostToMainMaxChars = 8000
)

// Missed-run policies for recurring jobs whose slot passed while the gateway was down.
const (
	// MissedRunOnce runs such a job once at start, then continues from now.
	MissedRunOnce = "once"
	// MissedRunSkip drops the missed slots (the original's behaviour for every/cron).
	MissedRunSkip = "skip"
)

// Event is a `cron` event payload (the original's CronEvent).
type Event struct {
	JobID       string `json:"jobId"`
	Action      string `json:"action"`
	RunAtMs     *int64 `json:"runAtMs,omitempty"`
	DurationMs  *int64 `json:"durationMs,omitempty"`
	Status      string `json:"status,omitempty"`
	Error       string `json:"error,omitempty"`
	Summary     string `json:"summary,omitempty"`
	NextRunAtMs *int64 `json:"nextRunAtMs,omitempty"`
}

// EventSink receives cron events (the gateway broadcasts them as `cron`).
type EventSink interface{ CronEvent(Event) }

// HeartbeatResult is the outcome of a heartbeat run asked for by a main job with
// wakeMode "now": Status "ran", "skipped" or "failed"; Busy marks a skip because the
// session had requests in flight (the job waits and retries).
type HeartbeatResult struct {
	Status string
	Reason string
	Busy   bool
}

// TurnResult is an isolated agent turn's answer: its reply texts, last one last.
type TurnResult struct {
	Texts []string
}

// Runner is what runs need from the agent side.
type Runner interface {
	// EnqueueSystemEvent queues text for the agent's main session ("" = default agent).
	EnqueueSystemEvent(ctx context.Context, agentID, text string) error
	// RequestHeartbeat asks for a heartbeat soon without waiting for it.
	RequestHeartbeat(agentID, reason string)
	// RunHeartbeat runs the agent's heartbeat now and reports how it went.
	RunHeartbeat(ctx context.Context, agentID, reason string) (HeartbeatResult, error)
	// RunAgentTurn runs job's message as an isolated turn (session cron:<jobId>) with the
	// payload's model and thinking; ctx carries the run's timeout.
	RunAgentTurn(ctx context.Context, job Job) (TurnResult, error)
}

// Delivery is an isolated run's answer on its way to a chat.
type Delivery struct {
	AgentID string
	// Channel is a channel id or "last" (the agent's last route).
	Channel string
	To      string
	Text    string
}

// ErrNoTarget is returned by a Deliverer that cannot resolve a recipient.
var ErrNoTarget = errors.New("cron delivery requires a recipient (--to)")

// Deliverer sends an isolated run's answer.
type Deliverer interface {
	Deliver(ctx context.Context, d Delivery) error
}

// Options configure a Service. StorePath, Runner and Deliverer are required.
type Options struct {
	StorePath string
	Clock     clock.Clock
	Runner    Runner
	Deliverer Deliverer
	Events    EventSink
	Logger    *slog.Logger
	// Disabled turns the scheduler off (cron.enabled=false, CLAWDBOT_SKIP_CRON=1): jobs
	// can still be listed, edited and run by hand; nothing runs on its own.
	Disabled bool
	// Location is the zone of cron expressions without tz (default: the host's).
	Location          *time.Location
	MaxJobs           int
	RunTimeout        time.Duration
	MaxConcurrentRuns int
	MainBusyWait      time.Duration
	RunLogMaxBytes    int64
	RunLogKeepLines   int
	// MissedRuns is MissedRunOnce (default) or MissedRunSkip.
	MissedRuns string
	// AckMaxChars is the heartbeat ack bound used to recognise an isolated answer that
	// is only HEARTBEAT_OK (not delivered). Default heartbeat.DefaultAckMaxChars.
	AckMaxChars int
}

// Service owns the jobs: the store, the timer, the runs.
type Service struct {
	o   Options
	log *slog.Logger
	rl  RunLog

	mu       sync.Mutex
	jobs     []*Job
	loaded   bool
	attempts map[string]int // consecutive failed runs of one-shot jobs (this process)

	sem     chan struct{}
	rearm   chan struct{}
	wg      sync.WaitGroup
	cancel  context.CancelFunc
	started bool
}

// New checks o and returns a stopped service; Start loads the store and begins.
func New(o Options) (*Service, error) {
	if o.StorePath == "" || o.Runner == nil || o.Deliverer == nil {
		return nil, errors.New("cron: StorePath, Runner and Deliverer are required")
	}
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.MaxJobs <= 0 {
		o.MaxJobs = DefaultMaxJobs
	}
	if o.RunTimeout <= 0 {
		o.RunTimeout = DefaultRunTimeout
	}
	if o.MaxConcurrentRuns <= 0 {
		o.MaxConcurrentRuns = DefaultMaxConcurrentRuns
	}
	if o.MainBusyWait <= 0 {
		o.MainBusyWait = DefaultMainBusyWait
	}
	if o.MissedRuns == "" {
		o.MissedRuns = MissedRunOnce
	}
	if o.MissedRuns != MissedRunOnce && o.MissedRuns != MissedRunSkip {
		return nil, fmt.Errorf("cron: unknown MissedRuns %q", o.MissedRuns)
	}
	if o.AckMaxChars <= 0 {
		o.AckMaxChars = heartbeat.DefaultAckMaxChars
	}
	return &Service{
		o: o, log: o.Logger.With("subsystem", "cron"),
		rl:       RunLog{StorePath: o.StorePath, MaxBytes: o.RunLogMaxBytes, KeepLines: o.RunLogKeepLines},
		attempts: map[string]int{},
		sem:      make(chan struct{}, o.MaxConcurrentRuns),
		rearm:    make(chan struct{}, 1),
	}, nil
}

// Start loads the store, settles runs a previous process left unfinished, computes the
// next runs and (unless Disabled) starts the timer. Stop ends it.
func (s *Service) Start(ctx context.Context) error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return errors.New("cron: already started")
	}
	if err := s.loadLocked(); err != nil {
		s.mu.Unlock()
		return err
	}
	now := s.o.Clock.Now()
	var interrupted []RunLogEntry
	for _, j := range s.jobs {
		if j.State.RunningAtMs != nil {
			// A run of a previous process never finished (kill -9, crash): its slot was
			// recorded before it began, so it is not run again.
			at := *j.State.RunningAtMs
			j.State.RunningAtMs = nil
			j.State.LastRunAtMs = ptr(at)
			j.State.LastStatus = StatusError
			j.State.LastError = "interrupted: the gateway stopped during the run"
			if j.Schedule.Kind == KindAt {
				j.Enabled = false
			}
			j.State.NextRunAtMs = s.nextFor(j, now)
			interrupted = append(interrupted, RunLogEntry{Ts: ms(now), JobID: j.ID, Status: StatusError,
				Error: j.State.LastError, RunAtMs: ptr(at), NextRunAtMs: j.State.NextRunAtMs})
			continue
		}
		missed := j.State.NextRunAtMs != nil && *j.State.NextRunAtMs <= ms(now)
		if j.Enabled && missed && j.Schedule.Kind != KindAt && s.o.MissedRuns == MissedRunOnce {
			continue // due now: runs once, then continues from its end
		}
		j.State.NextRunAtMs = s.nextFor(j, now)
	}
	if err := s.persistLocked(); err != nil {
		s.mu.Unlock()
		return err
	}
	s.started = true
	ctx, s.cancel = context.WithCancel(ctx)
	n := len(s.jobs)
	s.mu.Unlock()
	for _, e := range interrupted {
		s.appendLog(e)
	}
	if s.o.Disabled {
		s.log.Info("cron: disabled", "jobs", n)
		return nil
	}
	s.wg.Add(1)
	go s.loop(ctx)
	s.log.Info("cron: started", "jobs", n)
	return nil
}

// Stop ends the timer and cancels runs in flight, and waits for them to record their end.
func (s *Service) Stop() {
	s.mu.Lock()
	c := s.cancel
	s.mu.Unlock()
	if c != nil {
		c()
	}
	s.wg.Wait()
}

func (s *Service) loadLocked() error {
	if s.loaded {
		return nil
	}
	f, changed, err := LoadStore(s.o.StorePath)
	if errors.Is(err, ErrCorruptStore) {
		// Nothing lost: the unreadable file is kept beside the new one.
		aside := fmt.Sprintf("%s.corrupt-%d", s.o.StorePath, ms(s.o.Clock.Now()))
		if rerr := os.Rename(s.o.StorePath, aside); rerr != nil {
			return fmt.Errorf("%w (and moving it aside failed: %v)", err, rerr)
		}
		s.log.Error("cron: jobs file unreadable; moved aside, starting empty", "err", err, "movedTo", aside)
		f, changed, err = StoreFile{Version: 1}, false, nil
	}
	if err != nil {
		return err
	}
	s.jobs = s.jobs[:0]
	for i := range f.Jobs {
		s.jobs = append(s.jobs, &f.Jobs[i])
	}
	s.loaded = true
	if changed {
		return s.persistLocked()
	}
	return nil
}

func (s *Service) persistLocked() error {
	f := StoreFile{Version: 1, Jobs: make([]Job, 0, len(s.jobs))}
	for _, j := range s.jobs {
		f.Jobs = append(f.Jobs, *j)
	}
	return SaveStore(s.o.StorePath, f)
}

// nextFor is the job's next run from now: none when disabled; a one-shot stays due at
// its time until it has succeeded.
func (s *Service) nextFor(j *Job, now time.Time) *int64 {
	if !j.Enabled {
		return nil
	}
	if j.Schedule.Kind == KindAt {
		if j.State.LastStatus == StatusOK && j.State.LastRunAtMs != nil {
			return nil
		}
		return ptr(j.Schedule.AtMs)
	}
	t, ok := NextRun(j.Schedule, now, s.o.Location)
	if !ok {
		return nil
	}
	return ptr(ms(t))
}

func (s *Service) emit(e Event) {
	if s.o.Events != nil {
		s.o.Events.CronEvent(e)
	}
}

func (s *Service) appendLog(e RunLogEntry) {
	if err := s.rl.Append(e); err != nil {
		s.log.Warn("cron: run log append failed", "jobId", e.JobID, "err", err)
	}
}

func (s *Service) find(id string) (*Job, int) {
	for i, j := range s.jobs {
		if j.ID == id {
			return j, i
		}
	}
	return nil, -1
}

func (s *Service) poke() {
	select {
	case s.rearm <- struct{}{}:
	default:
	}
}

// Status is cron.status's answer.
type Status struct {
	Enabled      bool
	StorePath    string
	Jobs         int
	NextWakeAtMs *int64
}

// Status reports the scheduler's state.
func (s *Service) Status(ctx context.Context) (Status, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.loadLocked(); err != nil {
		return Status{}, err
	}
	st := Status{Enabled: !s.o.Disabled, StorePath: s.o.StorePath, Jobs: len(s.jobs)}
	if !s.o.Disabled {
		st.NextWakeAtMs = s.nextWakeLocked()
	}
	return st, nil
}

func (s *Service) nextWakeLocked() *int64 {
	var best *int64
	for _, j := range s.jobs {
		if !j.Enabled || j.State.NextRunAtMs == nil || j.State.RunningAtMs != nil {
			continue
		}
		if best == nil || *j.State.NextRunAtMs < *best {
			best = ptr(*j.State.NextRunAtMs)
		}
	}
	return best
}

// List returns copies of the jobs (enabled ones unless includeDisabled), soonest first.
func (s *Service) List(ctx context.Context, includeDisabled bool) ([]Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.loadLocked(); err != nil {
		return nil, err
	}
	out := []Job{}
	for _, j := range s.jobs {
		if includeDisabled || j.Enabled {
			out = append(out, j.Clone())
		}
	}
	sort.SliceStable(out, func(a, b int) bool {
		return deref(out[a].State.NextRunAtMs) < deref(out[b].State.NextRunAtMs)
	})
	return out, nil
}

// Get returns a copy of one job.
func (s *Service) Get(ctx context.Context, id string) (Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.loadLocked(); err != nil {
		return Job{}, err
	}
	j, _ := s.find(id)
	if j == nil {
		return Job{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return j.Clone(), nil
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// Add validates and stores a new job; it is on disk before Add returns.
func (s *Service) Add(ctx context.Context, in Create) (Job, error) {
	now := s.o.Clock.Now()
	j := &Job{
		ID: newID(), AgentID: strings.TrimSpace(in.AgentID), Name: strings.TrimSpace(in.Name),
		Description: strings.TrimSpace(in.Description), Enabled: in.Enabled == nil || *in.Enabled,
		DeleteAfterRun: in.DeleteAfterRun, CreatedAtMs: ms(now), UpdatedAtMs: ms(now),
		Schedule: in.Schedule, SessionTarget: in.SessionTarget, WakeMode: in.WakeMode,
		Payload: in.Payload, Isolation: in.Isolation,
	}
	j.Payload.Channel = strings.ToLower(strings.TrimSpace(j.Payload.Channel))
	if j.SessionTarget == "" {
		switch j.Payload.Kind {
		case PayloadSystemEvent:
			j.SessionTarget = TargetMain
		case PayloadAgentTurn:
			j.SessionTarget = TargetIsolated
		}
	}
	if j.WakeMode == "" {
		j.WakeMode = WakeNextHeartbeat
	}
	if j.Schedule.Kind == KindEvery && j.Schedule.AnchorMs == nil {
		// Anchor the interval at creation so restarts keep the same slots.
		j.Schedule.AnchorMs = ptr(ms(now))
	}
	if err := validateJob(j); err != nil {
		return Job{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.loadLocked(); err != nil {
		return Job{}, err
	}
	if len(s.jobs) >= s.o.MaxJobs {
		return Job{}, fmt.Errorf("%w (%d)", ErrLimit, s.o.MaxJobs)
	}
	j.State.NextRunAtMs = s.nextFor(j, now)
	s.jobs = append(s.jobs, j)
	if err := s.persistLocked(); err != nil {
		s.jobs = s.jobs[:len(s.jobs)-1]
		return Job{}, err
	}
	s.poke()
	s.emit(Event{JobID: j.ID, Action: "added", NextRunAtMs: j.State.NextRunAtMs})
	return j.Clone(), nil
}

// Update applies a patch; the job is validated as a whole and on disk before Update
// returns. A failed patch changes nothing.
func (s *Service) Update(ctx context.Context, id string, p Patch) (Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.loadLocked(); err != nil {
		return Job{}, err
	}
	cur, idx := s.find(id)
	if cur == nil {
		return Job{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	j := cur.Clone()
	if err := applyPatch(&j, p); err != nil {
		return Job{}, err
	}
	if err := validateJob(&j); err != nil {
		return Job{}, err
	}
	now := s.o.Clock.Now()
	j.UpdatedAtMs = ms(now)
	if p.Schedule != nil || p.Enabled != nil {
		delete(s.attempts, id)
	}
	if j.Enabled {
		if j.State.RunningAtMs == nil || p.Schedule != nil {
			j.State.NextRunAtMs = s.nextFor(&j, now)
		}
	} else {
		j.State.NextRunAtMs = nil
	}
	s.jobs[idx] = &j
	if err := s.persistLocked(); err != nil {
		s.jobs[idx] = cur
		return Job{}, err
	}
	s.poke()
	s.emit(Event{JobID: id, Action: "updated", NextRunAtMs: j.State.NextRunAtMs})
	return j.Clone(), nil
}

func applyPatch(j *Job, p Patch) error {
	if p.Name != nil {
		j.Name = strings.TrimSpace(*p.Name)
	}
	if p.AgentID != nil {
		j.AgentID = strings.TrimSpace(*p.AgentID)
	}
	if p.Description != nil {
		j.Description = strings.TrimSpace(*p.Description)
	}
	if p.Enabled != nil {
		j.Enabled = *p.Enabled
	}
	if p.DeleteAfterRun != nil {
		j.DeleteAfterRun = ptr(*p.DeleteAfterRun)
	}
	if p.Schedule != nil {
		j.Schedule = *p.Schedule
	}
	if p.SessionTarget != nil {
		j.SessionTarget = *p.SessionTarget
	}
	if p.WakeMode != nil {
		j.WakeMode = *p.WakeMode
	}
	if p.Isolation != nil {
		iso := *p.Isolation
		j.Isolation = &iso
	}
	if pp := p.Payload; pp != nil {
		if pp.Kind != j.Payload.Kind {
			j.Payload = Payload{Kind: pp.Kind}
			switch pp.Kind {
			case PayloadSystemEvent:
				if pp.Text == nil || *pp.Text == "" {
					return invalid(`payload.kind="systemEvent" requires text`)
				}
			case PayloadAgentTurn:
				if pp.Message == nil || *pp.Message == "" {
					return invalid(`payload.kind="agentTurn" requires message`)
				}
			}
		}
		set := func(dst *string, v *string) {
			if v != nil {
				*dst = *v
			}
		}
		set(&j.Payload.Text, pp.Text)
		set(&j.Payload.Message, pp.Message)
		set(&j.Payload.Model, pp.Model)
		set(&j.Payload.Thinking, pp.Thinking)
		set(&j.Payload.To, pp.To)
		if pp.Channel != nil {
			j.Payload.Channel = strings.ToLower(strings.TrimSpace(*pp.Channel))
		}
		if pp.TimeoutSeconds != nil {
			j.Payload.TimeoutSeconds = *pp.TimeoutSeconds
		}
		if pp.Deliver != nil {
			j.Payload.Deliver = ptr(*pp.Deliver)
		}
		if pp.BestEffortDeliver != nil {
			j.Payload.BestEffortDeliver = ptr(*pp.BestEffortDeliver)
		}
	}
	return nil
}

// Remove deletes a job (and reports whether it existed). A run in flight finishes; its
// outcome goes to the run log only.
func (s *Service) Remove(ctx context.Context, id string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.loadLocked(); err != nil {
		return false, err
	}
	cur, idx := s.find(id)
	if cur == nil {
		return false, nil
	}
	s.jobs = append(s.jobs[:idx:idx], s.jobs[idx+1:]...)
	if err := s.persistLocked(); err != nil {
		s.jobs = append(s.jobs[:idx:idx], append([]*Job{cur}, s.jobs[idx:]...)...)
		return false, err
	}
	delete(s.attempts, id)
	s.poke()
	s.emit(Event{JobID: id, Action: "removed"})
	return true, nil
}

// Runs returns the newest run-log entries of a job, oldest first.
func (s *Service) Runs(ctx context.Context, id string, limit int) ([]RunLogEntry, error) {
	return s.rl.Read(id, limit)
}

// RunResult is cron.run's answer: Ran, or the reason it did not ("not-due",
// "already-running").
type RunResult struct {
	Ran    bool
	Reason string
}

// Run runs a job now and waits for the run to end: when it is due, or with force
// whatever its schedule (also when disabled). A job already running is not run again.
func (s *Service) Run(ctx context.Context, id string, force bool) (RunResult, error) {
	s.mu.Lock()
	if err := s.loadLocked(); err != nil {
		s.mu.Unlock()
		return RunResult{}, err
	}
	j, _ := s.find(id)
	if j == nil {
		s.mu.Unlock()
		return RunResult{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if j.State.RunningAtMs != nil {
		s.mu.Unlock()
		return RunResult{Reason: "already-running"}, nil
	}
	now := s.o.Clock.Now()
	due := j.Enabled && j.State.NextRunAtMs != nil && ms(now) >= *j.State.NextRunAtMs
	if !force && !due {
		s.mu.Unlock()
		return RunResult{Reason: "not-due"}, nil
	}
	snap, err := s.claimLocked(j, now)
	s.mu.Unlock()
	if err != nil {
		return RunResult{}, err
	}
	s.execute(ctx, snap, force)
	return RunResult{Ran: true}, nil
}

// claimLocked records the run's start on disk before it begins (so a crash after this
// point never runs the slot again) and returns the job as the run sees it.
func (s *Service) claimLocked(j *Job, now time.Time) (Job, error) {
	prevRunning, prevErr := j.State.RunningAtMs, j.State.LastError
	j.State.RunningAtMs = ptr(ms(now))
	j.State.LastError = ""
	if err := s.persistLocked(); err != nil {
		j.State.RunningAtMs, j.State.LastError = prevRunning, prevErr
		return Job{}, err
	}
	s.emit(Event{JobID: j.ID, Action: "started", RunAtMs: ptr(ms(now))})
	return j.Clone(), nil
}

// RunDue starts every due job and waits until those runs have ended; it reports the ids
// it ran. The timer loop does the same without waiting.
func (s *Service) RunDue(ctx context.Context) []string {
	ids, done := s.startDue(ctx)
	<-done
	return ids
}

func (s *Service) startDue(ctx context.Context) ([]string, <-chan struct{}) {
	s.mu.Lock()
	now := s.o.Clock.Now()
	var claimed []Job
	for _, j := range s.jobs {
		if !j.Enabled || j.State.RunningAtMs != nil || j.State.NextRunAtMs == nil || ms(now) < *j.State.NextRunAtMs {
			continue
		}
		snap, err := s.claimLocked(j, now)
		if err != nil {
			// Not run without its claim on disk; try again in a minute rather than spin.
			s.log.Error("cron: cannot record run start; job not run", "jobId", j.ID, "err", err)
			j.State.NextRunAtMs = ptr(ms(now.Add(OneShotRetryDelay)))
			continue
		}
		claimed = append(claimed, snap)
	}
	s.mu.Unlock()
	done := make(chan struct{})
	var wg sync.WaitGroup
	ids := make([]string, 0, len(claimed))
	for _, snap := range claimed {
		ids = append(ids, snap.ID)
		wg.Add(1)
		s.wg.Add(1)
		go func(job Job) {
			defer s.wg.Done()
			defer wg.Done()
			s.execute(ctx, job, false)
		}(snap)
	}
	go func() { wg.Wait(); close(done) }()
	return ids, done
}

func (s *Service) loop(ctx context.Context) {
	defer s.wg.Done()
	for {
		s.mu.Lock()
		next := s.nextWakeLocked()
		s.mu.Unlock()
		var t clock.Timer
		var fire <-chan time.Time
		if next != nil {
			t = clock.NewTimerAt(s.o.Clock, time.UnixMilli(*next))
			fire = t.C()
		}
		select {
		case <-ctx.Done():
			if t != nil {
				t.Stop()
			}
			return
		case <-fire:
			_, done := s.startDue(ctx)
			go func() {
				select {
				case <-done:
					s.poke()
				case <-ctx.Done():
				}
			}()
		case <-s.rearm:
			if t != nil {
				t.Stop()
			}
		}
	}
}

// outcome is how one run ended.
type outcome struct {
	status, err, summary, output string
}

// execute runs a claimed job and records its end. It holds a concurrency slot for the
// run's duration (bounded by the run timeout).
func (s *Service) execute(ctx context.Context, job Job, forced bool) {
	started := ms(s.o.Clock.Now())
	if job.State.RunningAtMs != nil {
		started = *job.State.RunningAtMs
	}
	var out outcome
	select {
	case s.sem <- struct{}{}:
		out = s.perform(ctx, job)
		<-s.sem
	case <-ctx.Done():
		out = outcome{status: StatusError, err: "interrupted: " + ctx.Err().Error()}
	}
	s.finish(ctx, job, started, out)
}

func (s *Service) timeoutFor(job Job) time.Duration {
	if job.Payload.Kind == PayloadAgentTurn && job.Payload.TimeoutSeconds > 0 {
		return time.Duration(job.Payload.TimeoutSeconds) * time.Second
	}
	return s.o.RunTimeout
}

func (s *Service) perform(ctx context.Context, job Job) (out outcome) {
	defer func() {
		if r := recover(); r != nil {
			out = outcome{status: StatusError, err: fmt.Sprintf("panic: %v", r)}
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, s.timeoutFor(job))
	defer cancel()
	if job.SessionTarget == TargetMain {
		text := strings.TrimSpace(job.Payload.Text)
		if job.Payload.Kind != PayloadSystemEvent || text == "" {
			return outcome{status: StatusSkipped, err: "main job requires non-empty systemEvent text"}
		}
		if err := s.o.Runner.EnqueueSystemEvent(ctx, job.AgentID, text); err != nil {
			return outcome{status: StatusError, err: err.Error(), summary: text}
		}
		if job.WakeMode != WakeNow {
			s.o.Runner.RequestHeartbeat(job.AgentID, "cron:"+job.ID)
			return outcome{status: StatusOK, summary: text}
		}
		return s.heartbeatNow(ctx, job, text)
	}
	if job.Payload.Kind != PayloadAgentTurn {
		return outcome{status: StatusSkipped, err: "isolated job requires payload.kind=agentTurn"}
	}
	res, err := s.o.Runner.RunAgentTurn(ctx, job)
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return outcome{status: StatusError, err: fmt.Sprintf("run timed out after %s", s.timeoutFor(job))}
		}
		return outcome{status: StatusError, err: err.Error()}
	}
	return s.deliver(ctx, job, res)
}

// heartbeatNow runs the heartbeat for a wakeMode "now" main job, waiting (by the clock's
// timers) while the session is busy, up to MainBusyWait.
func (s *Service) heartbeatNow(ctx context.Context, job Job, text string) outcome {
	deadline := s.o.Clock.Now().Add(s.o.MainBusyWait)
	for {
		r, err := s.o.Runner.RunHeartbeat(ctx, job.AgentID, "cron:"+job.ID)
		if err != nil {
			return outcome{status: StatusError, err: err.Error(), summary: text}
		}
		if !r.Busy {
			switch r.Status {
			case "ran":
				return outcome{status: StatusOK, summary: text}
			case "skipped":
				return outcome{status: StatusSkipped, err: r.Reason, summary: text}
			default:
				return outcome{status: StatusError, err: r.Reason, summary: text}
			}
		}
		if !s.o.Clock.Now().Before(deadline) {
			return outcome{status: StatusSkipped, err: "timeout waiting for main lane to become idle", summary: text}
		}
		t := s.o.Clock.NewTimer(MainBusyRetry)
		select {
		case <-ctx.Done():
			t.Stop()
			return outcome{status: StatusError, err: ctx.Err().Error(), summary: text}
		case <-t.C():
		}
	}
}

func summarize(text string) string {
	return truncate(strings.TrimSpace(text), MaxSummaryChars)
}

// deliver sends an isolated answer as the original decides: deliver=true always,
// deliver=false never, unset when a recipient (to) is given; an answer that is only a
// heartbeat ack is not sent.
func (s *Service) deliver(ctx context.Context, job Job, res TurnResult) outcome {
	var last string
	for i := len(res.Texts) - 1; i >= 0; i-- {
		if t := strings.TrimSpace(res.Texts[i]); t != "" {
			last = t
			break
		}
	}
	out := outcome{status: StatusOK, summary: summarize(last), output: last}
	p := job.Payload
	requested := (p.Deliver != nil && *p.Deliver) || (p.Deliver == nil && strings.TrimSpace(p.To) != "")
	if !requested {
		return out
	}
	var texts []string
	for _, t := range res.Texts {
		if r := heartbeat.StripToken(t, heartbeat.ModeHeartbeat, s.o.AckMaxChars); !r.ShouldSkip {
			texts = append(texts, strings.TrimSpace(t))
		}
	}
	if len(texts) == 0 {
		return out
	}
	best := p.BestEffortDeliver != nil && *p.BestEffortDeliver
	ch := p.Channel
	if ch == "" {
		ch = "last"
	}
	for _, t := range texts {
		err := s.o.Deliverer.Deliver(ctx, Delivery{AgentID: job.AgentID, Channel: ch, To: strings.TrimSpace(p.To), Text: t})
		if err == nil {
			continue
		}
		if errors.Is(err, ErrNoTarget) {
			if best {
				return outcome{status: StatusSkipped, summary: "Delivery skipped (" + err.Error() + ").", output: last}
			}
			return outcome{status: StatusError, err: err.Error(), summary: out.summary, output: last}
		}
		if best {
			return out
		}
		return outcome{status: StatusError, err: err.Error(), summary: out.summary, output: last}
	}
	return out
}

// finish records a run's end: state, next run, one-shot disable/delete, run log, event,
// and for isolated jobs the note posted back into the main session.
func (s *Service) finish(ctx context.Context, job Job, started int64, out outcome) {
	now := s.o.Clock.Now()
	ended := ms(now)
	dur := max(ended-started, 0)
	s.mu.Lock()
	j, idx := s.find(job.ID)
	var next *int64
	deleted := false
	if j != nil {
		j.State.RunningAtMs = nil
		j.State.LastRunAtMs = ptr(started)
		j.State.LastStatus = out.status
		j.State.LastDurationMs = ptr(dur)
		j.State.LastError = out.err
		j.UpdatedAtMs = ended
		if j.Schedule.Kind == KindAt {
			switch {
			case out.status == StatusOK && j.DeleteAfterRun != nil && *j.DeleteAfterRun:
				s.jobs = append(s.jobs[:idx:idx], s.jobs[idx+1:]...)
				deleted = true
				delete(s.attempts, j.ID)
			case out.status == StatusOK:
				j.Enabled = false
				delete(s.attempts, j.ID)
			default:
				s.attempts[j.ID]++
				if s.attempts[j.ID] >= MaxOneShotAttempts {
					j.Enabled = false
					delete(s.attempts, j.ID)
				}
			}
			j.State.NextRunAtMs = nil
			if j.Enabled && !deleted {
				j.State.NextRunAtMs = ptr(max(j.Schedule.AtMs, ended+OneShotRetryDelay.Milliseconds()))
			}
		} else {
			j.State.NextRunAtMs = s.nextFor(j, now)
		}
		next = j.State.NextRunAtMs
		if err := s.persistLocked(); err != nil {
			s.log.Error("cron: cannot record run end", "jobId", job.ID, "err", err)
		}
	}
	s.mu.Unlock()
	s.appendLog(RunLogEntry{Ts: ended, JobID: job.ID, Status: out.status, Error: out.err, Summary: out.summary,
		RunAtMs: ptr(started), DurationMs: ptr(dur), NextRunAtMs: next})
	s.emit(Event{JobID: job.ID, Action: "finished", Status: out.status, Error: out.err, Summary: out.summary,
		RunAtMs: ptr(started), DurationMs: ptr(dur), NextRunAtMs: next})
	if deleted {
		s.emit(Event{JobID: job.ID, Action: "removed"})
	}
	if out.status != StatusOK {
		s.log.Warn("cron: run did not succeed", "jobId", job.ID, "status", out.status, "err", out.err)
	}
	if job.SessionTarget == TargetIsolated {
		s.postToMain(ctx, job, out)
	}
}

func (s *Service) postToMain(ctx context.Context, job Job, out outcome) {
	prefix, mode := "Cron", "summary"
	maxChars := int64(DefaultPostToMainMaxChars)
	if iso := job.Isolation; iso != nil {
		if p := strings.TrimSpace(iso.PostToMainPrefix); p != "" {
			prefix = p
		}
		if iso.PostToMainMode != "" {
			mode = iso.PostToMainMode
		}
		if iso.PostToMainMaxChars != nil {
			maxChars = max(*iso.PostToMainMaxChars, 0)
		}
	}
	body := out.summary
	if body == "" {
		body = out.err
	}
	if body == "" {
		body = out.status
	}
	body = strings.TrimSpace(body)
	if mode == "full" && strings.TrimSpace(out.output) != "" {
		full := strings.TrimSpace(out.output)
		if int64(utf8.RuneCountInString(full)) > maxChars {
			full = string([]rune(full)[:maxChars]) + "…"
		}
		body = full
	}
	label := prefix
	if out.status != StatusOK {
		label = fmt.Sprintf("%s (%s)", prefix, out.status)
	}
	// The main session may outlive a cancelled run context: post with a short fresh one.
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.o.Runner.EnqueueSystemEvent(pctx, job.AgentID, label+": "+body); err != nil {
		s.log.Warn("cron: cannot post isolated result to main session", "jobId", job.ID, "err", err)
	}
	if job.WakeMode == WakeNow {
		s.o.Runner.RequestHeartbeat(job.AgentID, "cron:"+job.ID+":post")
	}
}
