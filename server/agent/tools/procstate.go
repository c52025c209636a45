package tools

import "time"

// ProcessState is what a caller outside the tools (the owner's chat bash) sees of one
// exec session.
type ProcessState struct {
	ID           string
	Running      bool
	Backgrounded bool
	StartedAt    time.Time
	// Status is running, completed, failed or killed.
	Status     string
	ExitCode   int
	ExitSignal string
	// Output is the whole (bounded) output; Tail its end.
	Output, Tail string
}

// State reports the exec session id of scope; false when there is none (never
// started, or finished and pruned).
func (r *Processes) State(id, scope string) (ProcessState, bool) {
	run, fin := r.get(id, scope)
	p := run
	if p == nil {
		p = fin
	}
	if p == nil {
		return ProcessState{}, false
	}
	agg, tail := p.snapshot()
	st := p.status()
	p.mu.Lock()
	defer p.mu.Unlock()
	return ProcessState{ID: p.id, Running: !p.exited, Backgrounded: p.backgrounded, StartedAt: p.startedAt, Status: st,
		ExitCode: p.exitCode, ExitSignal: p.exitSignal, Output: agg, Tail: tail}, true
}

// Kill ends the running exec session id of scope; false when it is not running.
func (r *Processes) Kill(id, scope string) bool {
	run, _ := r.get(id, scope)
	if run == nil {
		return false
	}
	run.kill()
	return true
}
