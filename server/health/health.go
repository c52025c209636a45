// Package health owns the gateway's health snapshot: the last completed HealthSummary,
// its version (the health half of stateVersion, §4.1) and the coalesced refresh that
// replaces it (§3.2).
//
// Concurrent refresh requests share one run of the Refresher. Every completed refresh
// bumps the version and is reported to Options.OnRefresh, from which the gateway
// broadcasts the health event. A failed refresh changes nothing.
package health

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
)

// DefaultMaxAge is how long a cached summary is served as is
// (HEALTH_REFRESH_INTERVAL_MS in the reference).
const DefaultMaxAge = 60 * time.Second

// ErrClosed is returned by refreshes requested after Close.
var ErrClosed = errors.New("health: cache closed")

// Clock returns the current time; tests inject a fake one.
type Clock func() time.Time

// Refresher builds a fresh summary. The Cache overwrites Ts (the refresh's start) and
// DurationMs (measured with the Cache's clock). ctx is the Cache's own context, not a
// caller's: it ends only when the Cache is closed.
type Refresher func(ctx context.Context) (protocol.HealthSummary, error)

// Options configure a Cache. Zero values take the defaults.
type Options struct {
	MaxAge time.Duration // a cached summary younger than this is served at once; default 60s
	// MinRefreshInterval is the least time between background refreshes (default 1s).
	// Every refresh is broadcast to every client, so without it a burst of health
	// calls or connects turns into a broadcast storm.
	MinRefreshInterval time.Duration
	Now                Clock // default time.Now
	// OnRefresh is called after every completed refresh with the new summary and
	// version, outside any lock, before the refresh's waiters are released. Calls are
	// never concurrent and come in version order.
	OnRefresh func(sum protocol.HealthSummary, version int64)
	// InitialVersion is the version before the first refresh; default 1. An in-process
	// restart passes the old cache's Version() so the counter keeps growing (§4.1).
	InitialVersion int64
	Logger         *slog.Logger // failed background refreshes are logged here; default slog.Default()
	// AfterFunc schedules the trailing refresh of a throttled Nudge; default
	// time.AfterFunc. Tests inject one they fire by hand.
	AfterFunc func(d time.Duration, f func()) Stopper
}

// Stopper is the part of *time.Timer a Cache uses.
type Stopper interface{ Stop() bool }

// call is one refresh run; done is closed when sum/err are set.
type call struct {
	done    chan struct{}
	sum     protocol.HealthSummary
	err     error
	waiters int // callers that waited on it (guarded by Cache.mu)
}

// Cache holds the latest health summary. It is safe for concurrent use.
type Cache struct {
	refresh   Refresher
	maxAge    time.Duration
	minGap    time.Duration
	now       Clock
	onRefresh func(protocol.HealthSummary, int64)
	log       *slog.Logger
	afterFunc func(time.Duration, func()) Stopper

	ctx    context.Context // passed to the Refresher; cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // running refreshes

	mu       sync.Mutex
	sum      protocol.HealthSummary
	at       time.Time // start of the refresh that produced sum
	has      bool
	version  int64
	inflight *call
	closed   bool
	trailing Stopper // the scheduled refresh of a throttled Nudge, or nil
	// nudged is set by a Nudge during a refresh: that refresh may already have been
	// reported, so another follows (throttled) when it finishes.
	nudged bool

	// testHookWaiting, when set, is called by a caller about to wait on a refresh.
	testHookWaiting func()
}

// New returns an empty cache; nothing is refreshed until asked.
func New(r Refresher, o Options) *Cache {
	if o.MinRefreshInterval == 0 {
		o.MinRefreshInterval = time.Second // negative: no minimum (tests)
	}
	if o.MaxAge <= 0 {
		o.MaxAge = DefaultMaxAge
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.InitialVersion <= 0 {
		o.InitialVersion = 1
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.AfterFunc == nil {
		o.AfterFunc = func(d time.Duration, f func()) Stopper { return time.AfterFunc(d, f) }
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Cache{
		refresh:   r,
		maxAge:    o.MaxAge,
		minGap:    o.MinRefreshInterval,
		now:       o.Now,
		onRefresh: o.OnRefresh,
		log:       o.Logger,
		afterFunc: o.AfterFunc,
		ctx:       ctx,
		cancel:    cancel,
		version:   o.InitialVersion,
	}
}

// Get returns the health summary. Unless force is set, a cached summary younger than
// MaxAge is returned at once and a background refresh is started (or joined, if one is
// running). Otherwise Get waits for a refresh, sharing it with every concurrent caller;
// if ctx ends first Get returns ctx's error but the refresh carries on. A failed refresh
// returns its error (wrapped) and leaves the cache and version unchanged.
func (c *Cache) Get(ctx context.Context, force bool) (protocol.HealthSummary, error) {
	c.mu.Lock()
	if !force && c.has && c.now().Sub(c.at) < c.maxAge {
		sum := c.sum
		if !c.closed && c.inflight == nil && (c.minGap < 0 || c.now().Sub(c.at) >= c.minGap) {
			c.startLocked()
		}
		c.mu.Unlock()
		return cloneSummary(sum), nil
	}
	if c.closed {
		c.mu.Unlock()
		return protocol.HealthSummary{}, ErrClosed
	}
	cl := c.inflight
	if cl == nil {
		cl = c.startLocked()
	}
	cl.waiters++
	c.mu.Unlock()
	if c.testHookWaiting != nil {
		c.testHookWaiting()
	}
	select {
	case <-cl.done:
		if cl.err != nil {
			return protocol.HealthSummary{}, cl.err
		}
		return cloneSummary(cl.sum), nil
	case <-ctx.Done():
		return protocol.HealthSummary{}, fmt.Errorf("health: waiting for refresh: %w", context.Cause(ctx))
	}
}

// Nudge asks for a refresh soon without waiting: one starts now unless one is running
// (its result is still to come) or the cached summary is younger than
// MinRefreshInterval, in which case one is scheduled for when the interval is over.
// However many Nudges come in a burst, at most one refresh per interval runs, and each
// Nudge is followed by a completed refresh (the gateway nudges on every connect, so
// every new client hears a health event shortly after hello-ok, as in the reference).
func (c *Cache) Nudge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.trailing != nil {
		return
	}
	if c.inflight != nil {
		c.nudged = true
		return
	}
	c.nudgeLocked()
}

// nudgeLocked starts a refresh now or schedules one for the end of the interval.
func (c *Cache) nudgeLocked() {
	if c.has && c.minGap > 0 {
		if wait := c.minGap - c.now().Sub(c.at); wait > 0 {
			c.trailing = c.afterFunc(wait, c.fireTrailing)
			return
		}
	}
	c.startLocked()
}

// fireTrailing runs the refresh a throttled Nudge scheduled.
func (c *Cache) fireTrailing() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.trailing = nil
	if c.closed || c.inflight != nil {
		return
	}
	c.startLocked()
}

// Refresh forces a refresh (joining one already running) and waits for it.
func (c *Cache) Refresh(ctx context.Context) (protocol.HealthSummary, error) {
	return c.Get(ctx, true)
}

// Current returns the last completed summary and the health version; ok is false (with
// the version still valid) when no refresh has completed yet.
func (c *Cache) Current() (protocol.HealthSummary, int64, bool) {
	c.mu.Lock()
	sum, v, ok := c.sum, c.version, c.has
	c.mu.Unlock()
	if !ok {
		return protocol.HealthSummary{}, v, false
	}
	return cloneSummary(sum), v, true
}

// Version is the health half of stateVersion: 1 (or Options.InitialVersion) at start,
// +1 per completed refresh.
func (c *Cache) Version() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.version
}

// Close cancels the context of a running refresh and waits for it to finish. Later
// refreshes fail with ErrClosed; Current and fresh cached Gets keep working. Close is
// idempotent.
func (c *Cache) Close() {
	c.mu.Lock()
	c.closed = true
	if c.trailing != nil {
		c.trailing.Stop()
		c.trailing = nil
	}
	c.mu.Unlock()
	c.cancel()
	c.wg.Wait()
}

// startLocked launches a refresh run and records it as in flight.
func (c *Cache) startLocked() *call {
	cl := &call{done: make(chan struct{})}
	c.inflight = cl
	c.wg.Add(1)
	go c.run(cl)
	return cl
}

func (c *Cache) run(cl *call) {
	defer c.wg.Done()
	start := c.now()
	sum, err := c.callRefresher()
	if err != nil {
		cl.err = fmt.Errorf("health: refresh: %w", err)
		if c.finish(cl) == 0 {
			// Nobody waited to hear about it (a background refresh): log it here.
			c.log.Warn("background health refresh failed", "err", cl.err)
		}
		return
	}
	sum = cloneSummary(sum) // the Refresher may keep and reuse what it returned
	sum.Ts = start.UnixMilli()
	sum.DurationMs = max(c.now().Sub(start).Milliseconds(), 0)
	cl.sum = sum

	c.mu.Lock()
	c.sum, c.at, c.has = sum, start, true
	c.version++
	v := c.version
	c.mu.Unlock()

	if c.onRefresh != nil {
		c.onRefresh(cloneSummary(sum), v)
	}
	c.finish(cl)
}

// finish clears the in-flight slot and releases cl's waiters, returning how many
// callers waited on it.
func (c *Cache) finish(cl *call) int {
	c.mu.Lock()
	c.inflight = nil
	w := cl.waiters
	if c.nudged {
		c.nudged = false
		if !c.closed && c.trailing == nil {
			c.nudgeLocked()
		}
	}
	c.mu.Unlock()
	close(cl.done)
	return w
}

// callRefresher runs the Refresher, turning a panic into an error so a bad provider
// probe cannot take the process down.
func (c *Cache) callRefresher() (sum protocol.HealthSummary, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("refresher panicked: %v", p)
		}
	}()
	return c.refresh(c.ctx)
}

// cloneSummary deep-copies s so that callers never share memory with the cache.
func cloneSummary(s protocol.HealthSummary) protocol.HealthSummary {
	s.Connections = clonePtr(s.Connections)
	s.UptimeMs = clonePtr(s.UptimeMs)
	s.Discord = clonePtr(s.Discord)
	s.Telegram.Probe = bytes.Clone(s.Telegram.Probe)
	s.Web.AuthAgeMs = clonePtr(s.Web.AuthAgeMs)
	if s.Web.Connect != nil {
		wc := *s.Web.Connect
		wc.ElapsedMs = clonePtr(wc.ElapsedMs)
		wc.Error = clonePtr(wc.Error)
		wc.Status = clonePtr(wc.Status)
		s.Web.Connect = &wc
	}
	if s.Sessions.Recent != nil {
		s.Sessions.Recent = slices.Clone(s.Sessions.Recent)
		for i := range s.Sessions.Recent {
			it := &s.Sessions.Recent[i]
			it.Age = clonePtr(it.Age)
			it.UpdatedAt = clonePtr(it.UpdatedAt)
		}
	}
	// The protocol-3 fields: containers are copied, their leaves are never mutated.
	s.Channels = maps.Clone(s.Channels)
	s.ChannelLabels = maps.Clone(s.ChannelLabels)
	s.ChannelOrder = slices.Clone(s.ChannelOrder)
	s.DefaultAgentID = clonePtr(s.DefaultAgentID)
	if s.Agents != nil {
		s.Agents = slices.Clone(s.Agents)
		for i := range s.Agents {
			s.Agents[i].Sessions.Recent = slices.Clone(s.Agents[i].Sessions.Recent)
		}
	}
	return s
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
