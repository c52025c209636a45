package gateway

import (
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// originAllowed is the cross-site WebSocket hijacking guard. Browsers always send
// Origin on a WebSocket upgrade and let any page open one to any host, so a page on
// another site must not reach the gateway with the user's network position. Non-browser
// clients send no Origin and are not affected. Allowed: no Origin, an Origin whose host
// equals the request's Host (the control UI served by this gateway), or an Origin listed
// in gateway.controlUi.allowedOrigins.
func originAllowed(origin, host string, allowed []string) bool {
	if origin == "" {
		return true
	}
	if slices.Contains(allowed, strings.TrimRight(origin, "/")) {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	return strings.EqualFold(u.Host, host)
}

// authLimiter slows down password and token guessing: each remote address may fail the
// shared-secret check a few times, then it is locked out for a backoff that doubles with
// every further failure (capped). A success clears the address. Memory is bounded.
type authLimiter struct {
	mu       sync.Mutex
	now      func() time.Time
	free     int           // failures allowed before the lockout starts
	base     time.Duration // first lockout
	maxDelay time.Duration
	maxKeys  int
	entries  map[string]*authEntry
}

type authEntry struct {
	failures int
	until    time.Time
	last     time.Time
}

// Defaults of the limiter.
const (
	AuthFreeFailures = 5
	AuthBaseLockout  = time.Second
	AuthMaxLockout   = 5 * time.Minute
	authMaxTracked   = 10_000
)

func newAuthLimiter(now func() time.Time) *authLimiter {
	return &authLimiter{now: now, free: AuthFreeFailures, base: AuthBaseLockout, maxDelay: AuthMaxLockout, maxKeys: authMaxTracked, entries: map[string]*authEntry{}}
}

func hostOf(remote string) string {
	h, _, err := net.SplitHostPort(remote)
	if err != nil {
		return remote
	}
	return h
}

// blocked reports how long the address must still wait, or 0.
func (l *authLimiter) blocked(remote string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.entries[hostOf(remote)]
	if e == nil {
		return 0
	}
	if d := e.until.Sub(l.now()); d > 0 {
		return d
	}
	return 0
}

// fail records a failed attempt.
func (l *authLimiter) fail(remote string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := hostOf(remote)
	now := l.now()
	e := l.entries[key]
	if e == nil {
		if len(l.entries) >= l.maxKeys {
			l.evictLocked(now)
		}
		e = &authEntry{}
		l.entries[key] = e
	}
	// Failures older than the longest lockout are forgotten.
	if now.Sub(e.last) > l.maxDelay {
		e.failures = 0
	}
	e.failures++
	e.last = now
	if over := e.failures - l.free; over > 0 {
		d := l.base << min(over-1, 20)
		e.until = now.Add(min(d, l.maxDelay))
	}
}

// ok clears the address after a successful check.
func (l *authLimiter) ok(remote string) {
	l.mu.Lock()
	delete(l.entries, hostOf(remote))
	l.mu.Unlock()
}

func (l *authLimiter) evictLocked(now time.Time) {
	for k, e := range l.entries {
		if now.Sub(e.last) > l.maxDelay {
			delete(l.entries, k)
		}
	}
	for k := range l.entries { // still full: drop arbitrary ones
		if len(l.entries) < l.maxKeys {
			break
		}
		delete(l.entries, k)
	}
}
