package backend

import (
	"context"
	"errors"
	"fmt"
)

// Fallback runs Backends[0] and, when it fails before streaming any text, the next
// ones in order (agents.defaults.model.fallbacks). A turn that already streamed
// text is not retried elsewhere (the client has seen part of an answer), nor is one
// whose context ended. Later backends run with their own configured model
// (Request.Model is cleared), since a model override names the primary's model.
type Fallback struct {
	Backends []Backend
	// OnFallback, when set, is told each failure that moves on to the next backend.
	OnFallback func(failed int, err error)
}

// Run implements Backend.
func (f *Fallback) Run(ctx context.Context, req Request, onDelta func(Delta)) (Result, error) {
	if len(f.Backends) == 0 {
		return Result{}, errors.New("no model backend")
	}
	var errs []error
	for i, b := range f.Backends {
		r := req
		if i > 0 {
			r.Model = ""
		}
		streamed := false
		res, err := b.Run(ctx, r, func(d Delta) {
			streamed = true
			if onDelta != nil {
				onDelta(d)
			}
		})
		if err == nil || streamed || ctx.Err() != nil {
			return res, err
		}
		errs = append(errs, fmt.Errorf("model %d: %w", i+1, err))
		if f.OnFallback != nil && i+1 < len(f.Backends) {
			f.OnFallback(i, err)
		}
	}
	return Result{}, errors.Join(errs...)
}
