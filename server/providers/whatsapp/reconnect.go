package whatsapp

import (
	"math"
	"math/rand/v2"
	"time"
)

// ReconnectPolicy is web.reconnect: the waits between failed connects of an account
// and how many to make. Connect attempt n (n ≥ 1) that fails waits
// Initial·Factor^(n-1), plus up to Jitter of that at random, at most Max. It governs
// our connect loop (the first connect after start, and after a connect failure);
// once connected, whatsmeow's own auto-reconnect keeps the socket up, as before.
type ReconnectPolicy struct {
	Initial, Max time.Duration
	Factor       float64
	// Jitter is the random share added to a wait, 0 to 1.
	Jitter float64
	// MaxAttempts stops retrying after that many failed connects (0: never): the
	// account stays disconnected with the last error until it restarts.
	MaxAttempts int
}

// Clamps, the original's: a wait starts at 250 ms at least, the factor is 1.1 to 10.
const (
	minReconnectInitial = 250 * time.Millisecond
	minReconnectFactor  = 1.1
	maxReconnectFactor  = 10
)

// DefaultReconnect is the policy when web.reconnect is unset: 1 s doubling up to a
// minute, no jitter, retrying for ever. (The original: 2 s, ×1.8, 30 s, 25 % jitter,
// and gives up after 12 attempts; we keep retrying so an outage of a few minutes
// does not leave an account off until someone restarts it.)
func DefaultReconnect() ReconnectPolicy {
	return ReconnectPolicy{Initial: minBackoff, Max: maxBackoff, Factor: 2}
}

// Normalize clamps r as the original does: Initial ≥ 250 ms, Max ≥ Initial, Factor
// 1.1 to 10, Jitter 0 to 1, MaxAttempts ≥ 0.
func (r ReconnectPolicy) Normalize() ReconnectPolicy {
	r.Initial = max(r.Initial, minReconnectInitial)
	r.Max = max(r.Max, r.Initial)
	if math.IsNaN(r.Factor) {
		r.Factor = minReconnectFactor
	}
	r.Factor = min(max(r.Factor, minReconnectFactor), maxReconnectFactor)
	if math.IsNaN(r.Jitter) {
		r.Jitter = 0
	}
	r.Jitter = min(max(r.Jitter, 0), 1)
	r.MaxAttempts = max(r.MaxAttempts, 0)
	return r
}

// Delay is the wait after failed attempt n (n ≥ 1), with rnd in [0, 1) drawing the
// jitter.
func (r ReconnectPolicy) Delay(n int, rnd float64) time.Duration {
	base := float64(r.Initial) * math.Pow(r.Factor, float64(max(n-1, 0)))
	d := base + base*r.Jitter*rnd
	if d >= float64(r.Max) || math.IsInf(d, 0) || math.IsNaN(d) {
		return r.Max
	}
	return time.Duration(math.Round(d))
}

// backoff is Delay with a random jitter (Config.Backoff's default).
func (r ReconnectPolicy) backoff(n int) time.Duration { return r.Delay(n, rand.Float64()) }
