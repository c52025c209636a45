package gatewayclient

import (
	"math"
	"math/rand/v2"
	"time"
)

// ReconnectPolicy says how the client gets its connection back after losing it.
// The zero value means: reconnect, first after 500 ms, doubling up to 30 s, each delay
// randomised by ±20 %.
type ReconnectPolicy struct {
	// Disabled turns reconnecting off: after a disconnect every call fails with
	// ErrDisconnected until Close.
	Disabled bool
	// MinBackoff is the delay before the first attempt after an unexpected disconnect
	// (default 500 ms). A shutdown event with restartExpectedMs replaces it for the first
	// attempt.
	MinBackoff time.Duration
	// MaxBackoff caps the delay between failed attempts (default 30 s).
	MaxBackoff time.Duration
	// Multiplier grows the delay after each failed attempt (default 2).
	Multiplier float64
	// Jitter is the fraction of each delay that is randomised, 0..1 (default 0.2:
	// a delay d becomes a uniform value in [0.8d, 1.2d]). Negative means no jitter.
	Jitter float64
}

func (p ReconnectPolicy) withDefaults() ReconnectPolicy {
	if p.MinBackoff <= 0 {
		p.MinBackoff = 500 * time.Millisecond
	}
	if p.MaxBackoff <= 0 {
		p.MaxBackoff = 30 * time.Second
	}
	if p.MaxBackoff < p.MinBackoff {
		p.MaxBackoff = p.MinBackoff
	}
	if p.Multiplier < 1 {
		p.Multiplier = 2
	}
	switch {
	case p.Jitter == 0:
		p.Jitter = 0.2
	case p.Jitter < 0:
		p.Jitter = 0
	case p.Jitter > 1:
		p.Jitter = 1
	}
	return p
}

// backoff is the delay before attempt n (0 = first attempt after a disconnect).
func (p ReconnectPolicy) backoff(n int) time.Duration {
	d := float64(p.MinBackoff) * math.Pow(p.Multiplier, float64(n))
	if d > float64(p.MaxBackoff) || math.IsInf(d, 0) || math.IsNaN(d) {
		d = float64(p.MaxBackoff)
	}
	return jitter(time.Duration(d), p.Jitter)
}

func jitter(d time.Duration, j float64) time.Duration {
	if j <= 0 || d <= 0 {
		return d
	}
	f := 1 - j + 2*j*rand.Float64()
	return time.Duration(float64(d) * f)
}

// Clock is the time source of the client: device signatures, the tick watchdog and the
// reconnect delays. Tests may substitute one; nil means the real clock.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f in its own goroutine after d, like time.AfterFunc.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is what Clock.AfterFunc returns; *time.Timer implements it.
type Timer interface {
	Stop() bool
	Reset(d time.Duration) bool
}

type realClock struct{}

func (realClock) Now() time.Time                            { return time.Now() }
func (realClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }
