package telegram

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"regexp"
	"time"

	"github.com/mymmrac/telego/telegoapi"
)

// RetryPolicy is channels.telegram.retry: how a send the Bot API refused for a
// passing reason (429 with its retry_after, a 5xx, a dropped or timed-out connection)
// is tried again. Refusals that will not change (400, 403, 401) are not retried.
type RetryPolicy struct {
	Attempts int           // tries in all (1: no retry)
	MinDelay time.Duration // first wait, doubled each time
	MaxDelay time.Duration // cap of a wait, retry_after included
	Jitter   float64       // ± this fraction of each wait
}

// DefaultRetry is the original's TELEGRAM_RETRY_DEFAULTS.
func DefaultRetry() RetryPolicy {
	return RetryPolicy{Attempts: 3, MinDelay: 400 * time.Millisecond, MaxDelay: 30 * time.Second, Jitter: 0.1}
}

// transientText is the original's reading of errors without an API code, plus the
// HTTP 5xx statuses telego reports as "internal server error: 502" (the Bot API's
// front end answers an outage with a bare 502/503/504, not a JSON error).
var transientText = regexp.MustCompile(`(?i)429|timeout|connect|reset|closed|unavailable|temporarily|internal server error: 5\d\d`)

// transient reports whether err may pass on a retry, and the wait the API asked for.
func transient(err error) (bool, time.Duration) {
	var ae *telegoapi.Error
	if errors.As(err, &ae) {
		var after time.Duration
		if ae.Parameters != nil && ae.Parameters.RetryAfter > 0 {
			after = time.Duration(ae.Parameters.RetryAfter) * time.Second
		}
		return ae.ErrorCode == 429 || ae.ErrorCode >= 500, after
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) {
		return true, 0
	}
	return transientText.MatchString(err.Error()), 0
}

// withRetry runs fn (each attempt with its own RequestTimeout) under the retry policy.
// A retry after a timeout can repeat a message Telegram did receive: the original
// accepts that risk, and so do we, rather than lose the message.
func (p *Provider) withRetry(ctx context.Context, fn func(ctx context.Context) error) error {
	pol := p.cfg.Retry
	delay := pol.MinDelay
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, p.cfg.RequestTimeout)
		err := fn(actx)
		cancel()
		if err == nil || attempt >= pol.Attempts || ctx.Err() != nil {
			return err
		}
		ok, after := transient(err)
		if !ok {
			return err
		}
		wait := max(delay, after)
		if pol.Jitter > 0 {
			wait = time.Duration(float64(wait) * (1 + pol.Jitter*(2*rand.Float64()-1)))
		}
		wait = min(wait, pol.MaxDelay)
		p.log.Warn("telegram send failed; retrying", "attempt", attempt, "of", pol.Attempts, "in", wait, "err", err)
		t := p.cfg.Clock.NewTimer(wait)
		select {
		case <-t.C():
		case <-ctx.Done():
			t.Stop()
			return err
		}
		delay = min(delay*2, pol.MaxDelay)
	}
}
