package auth

import (
	"context"
	"sync"
	"time"
)

// Throttle slows down guessing of one shared secret (the gateway token or password,
// hooks.token) across every client address at once, without ever refusing the right
// secret.
//
// Why not a per-address lockout: addresses are cheap (every local process can use all
// of 127.0.0.0/8, an IPv6 host owns a /64), and a lockout refuses the right secret
// too, so a guesser sharing the real client's address (every local process is
// 127.0.0.1; behind a reverse proxy every client is the proxy) locks the real client
// out.
//
// Why not "check at once, answer failures late" (a tarpit): the right secret is
// answered at once, so a guesser learns that a guess was wrong as soon as no success
// came back — the delay costs it nothing. And why not a bounded queue of checks: a
// guesser fills it and the real client waits behind it, or is refused.
//
// What it does: failed checks draw from one global budget (a token bucket of Burst
// failures, refilled at Rate per second). Before a secret is compared, Begin decides
// whether this attempt may be answered at once — the budget has a failure to spare,
// which the attempt reserves — or late: then its answer, right or wrong, leaves no
// sooner than Delay after the attempt began. The decision is taken before the
// comparison, so while the budget is spent the time of an answer says nothing about
// the secret until Delay has passed. A right secret gives its reservation back.
//
// Guarantees, precisely:
//   - Every attempt is checked, and a right secret is always accepted: the throttle
//     never refuses, queues or reorders; it adds at most Delay to an answer, and only
//     while the budget is spent.
//   - In any period of length t, at most Burst + Rate·t failed checks are answered
//     sooner than Delay after they began, summed over all addresses.
//   - Beyond that, each guess costs its sender Delay of waiting on an open
//     connection: a guesser holding C connections at once learns at most C guesses
//     per Delay. C is the residual: it is bounded by the guesser's resources (and,
//     on HTTP, by the gateway's connection cap), not by the throttle.
type Throttle struct {
	mu     sync.Mutex
	now    func() time.Time
	burst  float64
	rate   float64
	delay  time.Duration
	tokens float64
	last   time.Time

	checks, failures, slowed int64
}

// Throttle defaults.
const (
	// DefaultThrottleBurst is how many failed checks are answered at once before the
	// brake engages.
	DefaultThrottleBurst = 10
	// DefaultThrottleRate is how many failed checks per second the budget regains.
	DefaultThrottleRate = 1.0
	// DefaultThrottleDelay is how long every answer waits while the budget is spent.
	// It stays well under the 10 s handshake deadlines of server and clients.
	DefaultThrottleDelay = 2 * time.Second
)

// ThrottleOptions configure a Throttle; zero values take the defaults.
type ThrottleOptions struct {
	Burst int
	Rate  float64
	Delay time.Duration
	Now   func() time.Time
}

// NewThrottle returns a throttle with a full budget.
func NewThrottle(o ThrottleOptions) *Throttle {
	if o.Burst <= 0 {
		o.Burst = DefaultThrottleBurst
	}
	if o.Rate <= 0 {
		o.Rate = DefaultThrottleRate
	}
	if o.Delay <= 0 {
		o.Delay = DefaultThrottleDelay
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Throttle{now: o.Now, burst: float64(o.Burst), rate: o.Rate, delay: o.Delay, tokens: float64(o.Burst), last: o.Now()}
}

// Attempt is one secret check in progress, from Begin to Done.
type Attempt struct {
	t        *Throttle
	began    time.Time
	reserved bool
}

// Begin starts a check; call it before comparing the secret.
func (t *Throttle) Begin() Attempt {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	t.refillLocked(now)
	t.checks++
	a := Attempt{t: t, began: now}
	if t.tokens >= 1 {
		t.tokens--
		a.reserved = true
	} else {
		t.slowed++
	}
	return a
}

func (t *Throttle) refillLocked(now time.Time) {
	if el := now.Sub(t.last); el > 0 {
		t.tokens = min(t.burst, t.tokens+el.Seconds()*t.rate)
	}
	t.last = now
}

// Done records the outcome of the comparison and returns how long the caller must
// still wait before it answers — whatever the outcome (0 when the attempt was
// answered at once).
func (a Attempt) Done(ok bool) time.Duration {
	t := a.t
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	t.refillLocked(now)
	if !ok {
		t.failures++
	} else if a.reserved {
		t.tokens = min(t.burst, t.tokens+1)
	}
	if a.reserved {
		return 0
	}
	return max(0, a.began.Add(t.delay).Sub(now))
}

// Wait sleeps for d (the result of Done), or until ctx ends.
func Wait(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
	case <-ctx.Done():
	}
}

// ThrottleStats are the throttle's counters since it was made.
type ThrottleStats struct {
	Checks   int64 // attempts begun
	Failures int64 // wrong secrets
	Slowed   int64 // attempts answered late (the budget was spent)
}

// Stats returns the counters.
func (t *Throttle) Stats() ThrottleStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	return ThrottleStats{Checks: t.checks, Failures: t.failures, Slowed: t.slowed}
}

// Delay is the wait applied while the budget is spent.
func (t *Throttle) Delay() time.Duration { return t.delay }
