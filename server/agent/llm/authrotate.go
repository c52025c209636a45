package llm

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// runAuth is what a run carries for auth profiles: its agent (whose store is used)
// and the profile each provider settled on, so the steps of one run stay on one
// profile (the original picks a profile per run and rotates only on failures) and the
// store records the use once per run, not once per step.
type runAuth struct {
	agentID string
	mu      sync.Mutex
	pinned  map[string]string // provider → profile
}

type runAuthKey struct{}

// WithRunAuth returns a context for one run of agentID: model steps under it use
// that agent's auth profiles and keep to the profile the first step settled on.
func WithRunAuth(ctx context.Context, agentID string) context.Context {
	return context.WithValue(ctx, runAuthKey{}, &runAuth{agentID: agentID, pinned: map[string]string{}})
}

// RunAgentID returns the agent of the run ctx belongs to ("" = not set: the default
// agent).
func RunAgentID(ctx context.Context) string {
	if ra, ok := ctx.Value(runAuthKey{}).(*runAuth); ok {
		return ra.agentID
	}
	return ""
}

func (ra *runAuth) pin(provider string) string {
	if ra == nil {
		return ""
	}
	ra.mu.Lock()
	defer ra.mu.Unlock()
	return ra.pinned[provider]
}

// setPin records the run's profile for provider and reports whether it changed.
func (ra *runAuth) setPin(provider, id string) bool {
	if ra == nil {
		return true
	}
	ra.mu.Lock()
	defer ra.mu.Unlock()
	if ra.pinned[provider] == id {
		return false
	}
	ra.pinned[provider] = id
	return true
}

// rotates reports whether a failure with reason moves the request to the provider's
// next auth profile: credentials refused, rate limits, billing and timeouts (another
// account may fare better); a malformed request would fail on every profile.
func rotates(reason FailoverReason) bool {
	switch reason {
	case ReasonAuth, ReasonRateLimit, ReasonBilling, ReasonTimeout:
		return true
	}
	return false
}

// streamAuth runs the step with the provider's auth profiles in order, skipping those
// cooling down; a profile that fails with a rotating reason is marked (its cooldown
// starts) and the next one is tried. Without profiles the environment or config key
// is used. When every profile is cooling down the step fails as a rate limit, so a
// fallback chain moves on to the next model.
func (m *Model) streamAuth(ctx context.Context, req *Request, on func(Event)) (*Response, error) {
	authErr := func(err error) error {
		return &ProviderError{Provider: m.ref.Provider, Model: m.ref.Model, Reason: ReasonAuth, Message: err.Error(), Err: err}
	}
	prof := m.reg.opts.Profiles
	var order []string
	if prof != nil {
		order = prof.Order(ctx, m.ref.Provider, m.prov.AuthProfile)
	}
	if len(order) == 0 {
		if m.prov.AuthProfile != "" {
			return nil, authErr(fmt.Errorf("no credentials found for profile %q", m.prov.AuthProfile))
		}
		key, err := m.envKey()
		if err != nil {
			return nil, authErr(err)
		}
		return m.stepWith(ctx, key, req, on)
	}
	ra, _ := ctx.Value(runAuthKey{}).(*runAuth)
	if p := ra.pin(m.ref.Provider); p != "" {
		for i, id := range order {
			if id == p {
				order = append(append([]string{p}, order[:i]...), order[i+1:]...)
				break
			}
		}
	}
	var lastErr error
	emitted := false
	wrapped := func(e Event) {
		emitted = true
		if on != nil {
			on(e)
		}
	}
	for _, id := range order {
		if prof.InCooldown(ctx, id) {
			continue
		}
		key, ok := prof.Credential(ctx, m.ref.Provider, id)
		if !ok {
			continue
		}
		if emitted && on != nil {
			on(Event{Kind: EventReset})
		}
		emitted = false
		resp, err := m.stepWith(ctx, key, req, wrapped)
		if err == nil {
			if ra.setPin(m.ref.Provider, id) {
				prof.MarkUsed(ctx, m.ref.Provider, id)
			}
			return resp, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		var pe *ProviderError
		if !errors.As(err, &pe) || !rotates(pe.Reason) {
			return nil, err
		}
		prof.MarkFailure(ctx, id, pe.Reason)
		lastErr = err
	}
	if lastErr != nil {
		return nil, lastErr
	}
	msg := fmt.Sprintf("No available auth profile for %s (all in cooldown or unavailable).", m.ref.Provider)
	return nil, &ProviderError{Provider: m.ref.Provider, Model: m.ref.Model, Reason: ReasonRateLimit, Message: msg, Err: errors.New(msg)}
}
