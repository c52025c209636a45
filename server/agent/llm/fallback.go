package llm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Candidate is one model of a fallback chain.
type Candidate interface {
	Streamer
	Ref() Ref
}

// errAttemptTimeout is the cancellation cause of an attempt that ran out of time.
var errAttemptTimeout = errors.New("model step timed out")

// Fallback tries its candidates in order until one answers. It moves on after a provider
// error or a per-attempt timeout, and stops at once when the caller's context ends (an
// abort is not a reason to bother the next provider). When a failed attempt had already
// streamed something, the handler gets EventReset before the next attempt starts.
type Fallback struct {
	Candidates []Candidate
	// AttemptTimeout bounds each attempt (0 = only the caller's context).
	AttemptTimeout time.Duration
	Logger         *slog.Logger
}

// Primary returns the first candidate's reference.
func (f *Fallback) Primary() Ref {
	if len(f.Candidates) == 0 {
		return Ref{}
	}
	return f.Candidates[0].Ref()
}

// AcceptsImages reports whether the primary candidate takes image parts (fallbacks
// that do not get the images replaced by a note, as every text-only model does).
func (f *Fallback) AcceptsImages() bool {
	if len(f.Candidates) == 0 {
		return false
	}
	if ic, ok := f.Candidates[0].(interface{ AcceptsImages() bool }); ok {
		return ic.AcceptsImages()
	}
	return true
}

// Stream runs the step on the first candidate that answers. The response records the
// failed attempts before it; if all fail the error is a *FallbackError.
func (f *Fallback) Stream(ctx context.Context, req *Request, on func(Event)) (*Response, error) {
	if len(f.Candidates) == 0 {
		return nil, errors.New("llm: no model configured")
	}
	var attempts []Attempt
	var lastErr error
	emitted := false
	wrapped := func(e Event) {
		emitted = true
		if on != nil {
			on(e)
		}
	}
	for i, c := range f.Candidates {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("llm: %w", context.Cause(ctx))
		}
		if emitted && on != nil {
			on(Event{Kind: EventReset})
		}
		emitted = false
		resp, err := f.attempt(ctx, c, req, wrapped)
		if err == nil {
			resp.Attempts = append(attempts, resp.Attempts...)
			return resp, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		a := Attempt{Provider: c.Ref().Provider, Model: c.Ref().Model, Error: err.Error(), Reason: ReasonUnknown}
		var pe *ProviderError
		if errors.As(err, &pe) {
			a.Reason, a.Status = pe.Reason, pe.Status
		}
		attempts = append(attempts, a)
		lastErr = err
		if f.Logger != nil && i+1 < len(f.Candidates) {
			next := f.Candidates[i+1].Ref()
			f.Logger.WarnContext(ctx, "model failed, trying fallback", "model", c.Ref().String(), "reason", a.Reason,
				"status", a.Status, "error", a.Error, "next", next.String())
		}
	}
	return nil, &FallbackError{Attempts: attempts, Last: lastErr}
}

func (f *Fallback) attempt(ctx context.Context, c Candidate, req *Request, on func(Event)) (*Response, error) {
	if f.AttemptTimeout <= 0 {
		return c.Stream(ctx, req, on)
	}
	actx, cancel := context.WithTimeoutCause(ctx, f.AttemptTimeout, errAttemptTimeout)
	defer cancel()
	resp, err := c.Stream(actx, req, on)
	if err != nil && ctx.Err() == nil && actx.Err() != nil {
		return nil, &ProviderError{Provider: c.Ref().Provider, Model: c.Ref().Model, Reason: ReasonTimeout,
			Message: fmt.Sprintf("no answer within %s", f.AttemptTimeout), Err: err}
	}
	return resp, err
}
