package pruning

import (
	"strings"
	"sync"
	"time"

	"github.com/clawgate/gateway/server/agent/llm"
)

// MaxTrackedSessions bounds the sessions whose last request time is remembered; past
// it the least recently used session is forgotten (its next run does not prune, as a
// session's first run does not).
const MaxTrackedSessions = 10_000

// Eligible reports whether a model caches prompts the way cache-ttl pruning is made
// for (Anthropic, directly or through OpenRouter), as the original decides it.
func Eligible(provider, model string) bool {
	p, m := strings.ToLower(provider), strings.ToLower(model)
	return p == "anthropic" || (p == "openrouter" && strings.HasPrefix(m, "anthropic/"))
}

// Tracker remembers, per session, when the last run started talking to the model, so
// cache-ttl pruning knows whether the provider's prompt cache has expired. Safe for
// concurrent use.
type Tracker struct {
	now  func() time.Time
	mu   sync.Mutex
	last map[string]time.Time
}

// NewTracker returns a tracker reading time from now (nil: time.Now).
func NewTracker(now func() time.Time) *Tracker {
	if now == nil {
		now = time.Now
	}
	return &Tracker{now: now, last: make(map[string]time.Time)}
}

// Begin starts a run of session key: it returns the run's pruner, which sees the time
// of the session's previous run, and records this run's start as the session's last
// request.
func (t *Tracker) Begin(key string, s Settings, windowTokens int) *Run {
	now := t.now()
	t.mu.Lock()
	prev := t.last[key]
	if _, ok := t.last[key]; !ok && len(t.last) >= MaxTrackedSessions {
		var oldK string
		var oldT time.Time
		for k, v := range t.last {
			if oldK == "" || v.Before(oldT) {
				oldK, oldT = k, v
			}
		}
		delete(t.last, oldK)
	}
	t.last[key] = now
	t.mu.Unlock()
	return &Run{now: t.now, settings: s, window: windowTokens, lastTouch: prev}
}

// Run prunes the requests of one run.
type Run struct {
	now       func() time.Time
	settings  Settings
	window    int
	lastTouch time.Time
}

// Apply returns the messages to send for one model step: msgs pruned when the cache
// has expired (the previous request is at least TTL old), else msgs unchanged. A
// session's first run never prunes. After a pruned step the cache is warm again, so
// the run's later steps are sent as they are until TTL passes once more.
func (r *Run) Apply(msgs []llm.Message) []llm.Message {
	if r == nil || r.lastTouch.IsZero() || r.settings.TTL <= 0 {
		return msgs
	}
	now := r.now()
	if now.Sub(r.lastTouch) < r.settings.TTL {
		return msgs
	}
	out, changed := Prune(msgs, r.settings, r.window)
	if changed {
		r.lastTouch = now
	}
	return out
}
