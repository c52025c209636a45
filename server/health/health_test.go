package health

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/clawgate/gateway/gen/go/protocol"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeClock is an injectable clock that only moves when told to.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.UnixMilli(1_700_000_000_000)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type result struct {
	sum protocol.HealthSummary
	err error
}

// scripted is a Refresher that answers each call with the next value sent on results,
// blocking until one is sent (or its ctx ends). Every call is announced on started.
type scripted struct {
	calls   atomic.Int64
	started chan struct{}
	results chan result
	clk     *fakeClock    // when set, advanced by spend inside each call
	spend   time.Duration // simulated refresh duration
}

func newScripted() *scripted {
	return &scripted{started: make(chan struct{}, 100), results: make(chan result, 100)}
}

func (s *scripted) refresh(ctx context.Context) (protocol.HealthSummary, error) {
	s.calls.Add(1)
	s.started <- struct{}{}
	select {
	case r := <-s.results:
		if s.clk != nil {
			s.clk.Advance(s.spend)
		}
		return r.sum, r.err
	case <-ctx.Done():
		return protocol.HealthSummary{}, ctx.Err()
	}
}

// marked is a summary told apart from others by HeartbeatSeconds.
func marked(n int64) result {
	return result{sum: protocol.HealthSummary{Ok: true, HeartbeatSeconds: n}}
}

// recorder collects OnRefresh calls.
type recorder struct {
	mu   sync.Mutex
	vers []int64
	sums []protocol.HealthSummary
	ch   chan int64
}

func newRecorder() *recorder { return &recorder{ch: make(chan int64, 100)} }

func (r *recorder) onRefresh(sum protocol.HealthSummary, v int64) {
	r.mu.Lock()
	r.vers = append(r.vers, v)
	r.sums = append(r.sums, sum)
	r.mu.Unlock()
	r.ch <- v
}

func (r *recorder) versions() []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.vers)
}

var quiet = slog.New(slog.DiscardHandler)

func newCache(t *testing.T, s *scripted, clk *fakeClock, rec *recorder, mutate ...func(*Options)) *Cache {
	t.Helper()
	o := Options{Now: clk.Now, Logger: quiet, MinRefreshInterval: -1}
	if rec != nil {
		o.OnRefresh = rec.onRefresh
	}
	for _, m := range mutate {
		m(&o)
	}
	c := New(s.refresh, o)
	t.Cleanup(c.Close)
	return c
}

// waitHook makes the cache report every caller that starts waiting on a refresh.
func waitHook(c *Cache, n int) *sync.WaitGroup {
	var wg sync.WaitGroup
	wg.Add(n)
	c.testHookWaiting = wg.Done
	return &wg
}

func TestCoalescing(t *testing.T) {
	for _, n := range []int{1, 2, 25} {
		t.Run(fmt.Sprintf("callers=%d", n), func(t *testing.T) {
			s, clk, rec := newScripted(), newFakeClock(), newRecorder()
			c := newCache(t, s, clk, rec)
			joined := waitHook(c, n)
			type out struct {
				sum protocol.HealthSummary
				err error
			}
			outs := make(chan out, n)
			for range n {
				go func() {
					sum, err := c.Get(context.Background(), true)
					outs <- out{sum, err}
				}()
			}
			joined.Wait() // every caller is waiting on the one refresh
			s.results <- marked(7)
			for range n {
				o := <-outs
				if o.err != nil || o.sum.HeartbeatSeconds != 7 {
					t.Fatalf("Get = %+v, %v", o.sum, o.err)
				}
			}
			if got := s.calls.Load(); got != 1 {
				t.Fatalf("Refresher called %d times, want 1", got)
			}
			if v := c.Version(); v != 2 {
				t.Fatalf("Version() = %d, want 2", v)
			}
			if got := rec.versions(); !slices.Equal(got, []int64{2}) {
				t.Fatalf("OnRefresh versions = %v, want [2]", got)
			}
		})
	}
}

func TestCachedPathRefreshesInBackground(t *testing.T) {
	s, clk, rec := newScripted(), newFakeClock(), newRecorder()
	c := newCache(t, s, clk, rec)
	s.results <- marked(1)
	if _, err := c.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-s.started
	<-rec.ch
	clk.Advance(10 * time.Second)

	// The background refresh blocks (no result queued): cached Gets must not.
	for i := range 5 {
		sum, err := c.Get(context.Background(), false)
		if err != nil || sum.HeartbeatSeconds != 1 {
			t.Fatalf("cached Get #%d = %+v, %v", i, sum, err)
		}
	}
	<-s.started // the one background refresh
	if got := s.calls.Load(); got != 2 {
		t.Fatalf("Refresher called %d times, want 2 (prime + one background)", got)
	}
	if v := c.Version(); v != 2 {
		t.Fatalf("Version() before the background refresh completes = %d, want 2", v)
	}
	s.results <- marked(2)
	if v := <-rec.ch; v != 3 {
		t.Fatalf("OnRefresh version = %d, want 3", v)
	}
	sum, v, ok := c.Current()
	if !ok || v != 3 || sum.HeartbeatSeconds != 2 {
		t.Fatalf("Current() = %+v, %d, %v", sum, v, ok)
	}
	c.Close()
	if got := s.calls.Load(); got != 2 {
		t.Fatalf("Refresher called %d times in all, want 2", got)
	}
}

func TestRefreshError(t *testing.T) {
	boom := errors.New("provider probe failed")
	tests := []struct {
		name    string
		prime   bool // one successful refresh first
		fail    result
		panics  bool
		wantIs  error
		wantVer int64
	}{
		{name: "error before any success", fail: result{err: boom}, wantIs: boom, wantVer: 1},
		{name: "error keeps the previous summary", prime: true, fail: result{err: boom}, wantIs: boom, wantVer: 2},
		{name: "panic becomes an error", prime: true, panics: true, wantVer: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, clk, rec := newScripted(), newFakeClock(), newRecorder()
			var panicNow atomic.Bool
			r := func(ctx context.Context) (protocol.HealthSummary, error) {
				if panicNow.Load() {
					panic("bad probe")
				}
				return s.refresh(ctx)
			}
			c := New(r, Options{Now: clk.Now, OnRefresh: rec.onRefresh, Logger: quiet, MinRefreshInterval: -1})
			defer c.Close()
			if tt.prime {
				s.results <- marked(1)
				if _, err := c.Refresh(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			before, _, hadBefore := c.Current()
			if tt.panics {
				panicNow.Store(true)
			} else {
				s.results <- tt.fail
			}
			clk.Advance(time.Minute)
			_, err := c.Get(context.Background(), true)
			if err == nil {
				t.Fatal("Get succeeded, want an error")
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Fatalf("error %v does not wrap %v", err, tt.wantIs)
			}
			after, v, has := c.Current()
			if v != tt.wantVer || has != hadBefore || after.Ts != before.Ts || after.HeartbeatSeconds != before.HeartbeatSeconds {
				t.Fatalf("cache changed: before %+v (%v), after %+v (%v) version %d", before, hadBefore, after, has, v)
			}
			if got := len(rec.versions()); got != int(tt.wantVer-1) {
				t.Fatalf("OnRefresh called %d times, want %d", got, tt.wantVer-1)
			}
			// The cache recovers on the next successful refresh.
			panicNow.Store(false)
			s.results <- marked(3)
			if sum, err := c.Refresh(context.Background()); err != nil || sum.HeartbeatSeconds != 3 || c.Version() != tt.wantVer+1 {
				t.Fatalf("recovery refresh = %+v, %v, version %d", sum, err, c.Version())
			}
		})
	}
}

func TestOnRefreshPerCompletedRefresh(t *testing.T) {
	tests := []struct {
		name     string
		initial  int64
		spend    time.Duration
		wantVers []int64
	}{
		{"default start", 0, 250 * time.Millisecond, []int64{2, 3, 4}},
		{"carried over from a previous cache", 41, 0, []int64{42, 43, 44}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, clk, rec := newScripted(), newFakeClock(), newRecorder()
			s.clk, s.spend = clk, tt.spend
			c := newCache(t, s, clk, rec, func(o *Options) { o.InitialVersion = tt.initial })
			var starts []int64
			for i := range 3 {
				clk.Advance(time.Second)
				starts = append(starts, clk.Now().UnixMilli())
				s.results <- marked(int64(i))
				sum, err := c.Refresh(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if sum.Ts != starts[i] || sum.DurationMs != tt.spend.Milliseconds() {
					t.Fatalf("refresh %d: ts %d durationMs %d, want %d and %d", i, sum.Ts, sum.DurationMs, starts[i], tt.spend.Milliseconds())
				}
			}
			if got := rec.versions(); !slices.Equal(got, tt.wantVers) {
				t.Fatalf("OnRefresh versions = %v, want %v", got, tt.wantVers)
			}
			for i, sum := range rec.sums {
				if sum.HeartbeatSeconds != int64(i) || sum.Ts != starts[i] {
					t.Fatalf("OnRefresh #%d got %+v", i, sum)
				}
			}
			if _, v, _ := c.Current(); v != tt.wantVers[2] {
				t.Fatalf("Current version %d, want %d", v, tt.wantVers[2])
			}
		})
	}
}

func TestWaiterCancellation(t *testing.T) {
	s, clk, rec := newScripted(), newFakeClock(), newRecorder()
	c := newCache(t, s, clk, rec)
	joined := waitHook(c, 2)

	ctx, cancel := context.WithCancel(context.Background())
	cancelled := make(chan error, 1)
	go func() {
		_, err := c.Get(ctx, true)
		cancelled <- err
	}()
	patient := make(chan result, 1)
	go func() {
		sum, err := c.Get(context.Background(), true)
		patient <- result{sum, err}
	}()
	joined.Wait()
	cancel()
	if err := <-cancelled; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter got %v, want context.Canceled", err)
	}
	if v := c.Version(); v != 1 {
		t.Fatalf("Version() = %d while the refresh is still running", v)
	}
	s.results <- marked(5) // the refresh carries on and completes
	if r := <-patient; r.err != nil || r.sum.HeartbeatSeconds != 5 {
		t.Fatalf("patient waiter got %+v, %v", r.sum, r.err)
	}
	if v := <-rec.ch; v != 2 {
		t.Fatalf("OnRefresh version %d, want 2", v)
	}
	if got := s.calls.Load(); got != 1 {
		t.Fatalf("Refresher called %d times, want 1", got)
	}

	// A context that is already done returns at once (a refresh still starts).
	c.testHookWaiting = nil
	done, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if _, err := c.Get(done, true); !errors.Is(err, context.Canceled) {
		t.Fatalf("Get with a done ctx = %v", err)
	}
	s.results <- marked(6)
	if v := <-rec.ch; v != 3 {
		t.Fatalf("OnRefresh version %d, want 3", v)
	}
}

func TestMaxAge(t *testing.T) {
	tests := []struct {
		name       string
		maxAge     time.Duration
		noPrime    bool
		age        time.Duration
		force      bool
		wantCached bool
	}{
		{name: "no summary yet waits", noPrime: true},
		{name: "fresh", age: 0, wantCached: true},
		{name: "just under the default 60s", age: 60*time.Second - time.Millisecond, wantCached: true},
		{name: "exactly 60s is stale", age: 60 * time.Second},
		{name: "long stale", age: time.Hour},
		{name: "custom max age, fresh", maxAge: time.Second, age: 999 * time.Millisecond, wantCached: true},
		{name: "custom max age, stale", maxAge: time.Second, age: time.Second},
		{name: "force ignores the cache", age: 0, force: true},
		{name: "clock went backwards: still cached", age: -time.Minute, wantCached: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, clk, rec := newScripted(), newFakeClock(), newRecorder()
			c := newCache(t, s, clk, rec, func(o *Options) { o.MaxAge = tt.maxAge })
			wantVer := int64(1)
			if !tt.noPrime {
				s.results <- marked(1)
				if _, err := c.Refresh(context.Background()); err != nil {
					t.Fatal(err)
				}
				<-rec.ch
				wantVer++
			}
			clk.Advance(tt.age)
			s.results <- marked(2) // for whichever refresh Get causes
			sum, err := c.Get(context.Background(), tt.force)
			if err != nil {
				t.Fatal(err)
			}
			if cached := sum.HeartbeatSeconds == 1; cached != tt.wantCached {
				t.Fatalf("served cached = %v, want %v", cached, tt.wantCached)
			}
			// Either way exactly one refresh follows.
			if v := <-rec.ch; v != wantVer+1 {
				t.Fatalf("refresh version %d, want %d", v, wantVer+1)
			}
		})
	}
}

func TestClose(t *testing.T) {
	t.Run("cancels and waits for a running refresh", func(t *testing.T) {
		defer goleak.VerifyNone(t)
		var sawCancel atomic.Bool
		started := make(chan struct{})
		c := New(func(ctx context.Context) (protocol.HealthSummary, error) {
			close(started)
			<-ctx.Done()
			sawCancel.Store(true)
			return protocol.HealthSummary{}, ctx.Err()
		}, Options{Logger: quiet, MinRefreshInterval: -1})
		errc := make(chan error, 1)
		go func() { _, err := c.Refresh(context.Background()); errc <- err }()
		<-started
		c.Close()
		if !sawCancel.Load() {
			t.Fatal("Close returned before the refresh finished")
		}
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Fatalf("waiter got %v", err)
		}
		if v := c.Version(); v != 1 {
			t.Fatalf("Version() = %d after a cancelled refresh", v)
		}
		c.Close() // idempotent
	})
	t.Run("after Close", func(t *testing.T) {
		defer goleak.VerifyNone(t)
		s, clk, rec := newScripted(), newFakeClock(), newRecorder()
		c := New(s.refresh, Options{Now: clk.Now, OnRefresh: rec.onRefresh, Logger: quiet, MinRefreshInterval: -1})
		s.results <- marked(1)
		if _, err := c.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		c.Close()
		if _, err := c.Refresh(context.Background()); !errors.Is(err, ErrClosed) {
			t.Fatalf("Refresh after Close = %v, want ErrClosed", err)
		}
		if sum, err := c.Get(context.Background(), false); err != nil || sum.HeartbeatSeconds != 1 {
			t.Fatalf("cached Get after Close = %+v, %v", sum, err)
		}
		clk.Advance(time.Hour)
		if _, err := c.Get(context.Background(), false); !errors.Is(err, ErrClosed) {
			t.Fatalf("stale Get after Close = %v, want ErrClosed", err)
		}
		if _, v, ok := c.Current(); !ok || v != 2 {
			t.Fatalf("Current after Close = %d, %v", v, ok)
		}
		if got := s.calls.Load(); got != 1 {
			t.Fatalf("Refresher called %d times, want 1", got)
		}
	})
}

func TestReturnedSummariesAreCopies(t *testing.T) {
	conns, age := int64(3), int64(10)
	shared := protocol.HealthSummary{
		Connections: &conns,
		Discord:     &protocol.HealthSummaryDiscord{},
		Telegram:    protocol.HealthSummaryTelegram{Probe: json.RawMessage(`{"ok":true}`)},
		Web:         protocol.HealthSummaryWeb{AuthAgeMs: &age, Connect: &protocol.HealthSummaryWebConnect{Status: new("connected")}},
		Sessions:    protocol.HealthSummarySessions{Recent: []protocol.HealthSummarySessionsRecentItem{{Key: "main", Age: &age}}},
	}
	rec := newRecorder()
	c := New(func(context.Context) (protocol.HealthSummary, error) { return shared, nil }, Options{Logger: quiet, MinRefreshInterval: -1, OnRefresh: rec.onRefresh})
	defer c.Close()
	got, err := c.Refresh(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Scribble over the refresher's value, the returned one and the one OnRefresh saw.
	for _, s := range []protocol.HealthSummary{shared, got, rec.sums[0]} {
		*s.Connections = 99
		s.Discord.Configured = true
		s.Telegram.Probe[2] = 'X'
		*s.Web.AuthAgeMs = 99
		*s.Web.Connect.Status = "scribbled"
		s.Sessions.Recent[0].Key = "scribbled"
		*s.Sessions.Recent[0].Age = 99
	}
	cur, _, _ := c.Current()
	if *cur.Connections != 3 || cur.Discord.Configured || string(cur.Telegram.Probe) != `{"ok":true}` ||
		*cur.Web.AuthAgeMs != 10 || *cur.Web.Connect.Status != "connected" ||
		cur.Sessions.Recent[0].Key != "main" || *cur.Sessions.Recent[0].Age != 10 {
		t.Fatalf("cache shares memory with callers: %+v", cur)
	}
}

func TestConcurrentUse(t *testing.T) {
	clk := newFakeClock()
	var calls atomic.Int64
	var lastSeen atomic.Int64
	c := New(func(ctx context.Context) (protocol.HealthSummary, error) {
		n := calls.Add(1)
		if n%7 == 0 {
			return protocol.HealthSummary{}, errors.New("flaky")
		}
		return protocol.HealthSummary{Ok: true, HeartbeatSeconds: n}, nil
	}, Options{Now: clk.Now, MaxAge: 50 * time.Millisecond, Logger: quiet, MinRefreshInterval: -1, OnRefresh: func(_ protocol.HealthSummary, v int64) {
		if prev := lastSeen.Swap(v); v != prev+1 && prev != 0 {
			t.Errorf("OnRefresh version %d after %d", v, prev)
		}
	}})
	var wg sync.WaitGroup
	for g := range 12 {
		wg.Go(func() {
			var seen int64
			for i := range 300 {
				switch (g + i) % 5 {
				case 0:
					_, _ = c.Refresh(context.Background())
				case 1, 2:
					_, _ = c.Get(context.Background(), false)
				case 3:
					ctx, cancel := context.WithCancel(context.Background())
					if i%2 == 0 {
						cancel()
					}
					_, _ = c.Get(ctx, true)
					cancel()
				case 4:
					clk.Advance(10 * time.Millisecond)
				}
				v := c.Version()
				if v < seen {
					t.Errorf("version went back from %d to %d", seen, v)
				}
				seen = v
			}
		})
	}
	wg.Wait()
	c.Close()
	_, v, _ := c.Current()
	if want := 1 + calls.Load() - calls.Load()/7; v != want {
		t.Fatalf("version %d after %d refresher calls, want %d", v, calls.Load(), want)
	}
}

// manualTimers is an AfterFunc whose timers fire only when the test says so.
type manualTimers struct {
	mu      sync.Mutex
	pending []func()
	delays  []time.Duration
}

type manualTimer struct {
	m *manualTimers
	i int
}

func (t manualTimer) Stop() bool {
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	live := t.m.pending[t.i] != nil
	t.m.pending[t.i] = nil
	return live
}

func (m *manualTimers) AfterFunc(d time.Duration, f func()) Stopper {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pending = append(m.pending, f)
	m.delays = append(m.delays, d)
	return manualTimer{m, len(m.pending) - 1}
}

// fire runs every timer not yet fired or stopped and reports how many ran.
func (m *manualTimers) fire() int {
	m.mu.Lock()
	fs := m.pending
	m.pending = make([]func(), len(fs)) // keep indexes valid for Stop
	m.mu.Unlock()
	n := 0
	for _, f := range fs {
		if f != nil {
			f()
			n++
		}
	}
	return n
}

func waitCalls(t *testing.T, calls *atomic.Int32, want int32) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for calls.Load() < want && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := calls.Load(); n != want {
		t.Fatalf("refresher calls = %d, want %d", n, want)
	}
}

// TestMinRefreshInterval: cached reads and nudges within the minimum interval start no
// refresh at once, so health calls and connects cannot turn into a broadcast storm;
// the burst of nudges is answered by one trailing refresh when the interval is over,
// so every nudger (a newly connected client) still hears a fresh health event.
func TestMinRefreshInterval(t *testing.T) {
	var mu sync.Mutex
	now := time.Unix(1000, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	var calls atomic.Int32
	var timers manualTimers
	refreshed := make(chan int64, 10)
	c := New(func(context.Context) (protocol.HealthSummary, error) {
		calls.Add(1)
		return protocol.HealthSummary{Ok: true}, nil
	}, Options{Now: clock, MinRefreshInterval: time.Second, Logger: quiet, AfterFunc: timers.AfterFunc,
		OnRefresh: func(_ protocol.HealthSummary, v int64) { refreshed <- v }})
	defer c.Close()
	if _, err := c.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-refreshed
	mu.Lock()
	now = now.Add(300 * time.Millisecond)
	mu.Unlock()
	for i := 0; i < 100; i++ {
		if _, err := c.Get(context.Background(), false); err != nil {
			t.Fatal(err)
		}
		c.Nudge()
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("refreshes within the interval = %d, want 1", n)
	}
	timers.mu.Lock()
	scheduled, delay := len(timers.pending), timers.delays[0]
	timers.mu.Unlock()
	if scheduled != 1 || delay != 700*time.Millisecond {
		t.Fatalf("trailing refreshes scheduled = %d (first after %v), want 1 after 700ms", scheduled, delay)
	}
	mu.Lock()
	now = now.Add(700 * time.Millisecond)
	mu.Unlock()
	if n := timers.fire(); n != 1 {
		t.Fatalf("fired %d timers", n)
	}
	waitCalls(t, &calls, 2)
	if v := <-refreshed; v != 3 {
		t.Fatalf("trailing refresh version %d, want 3", v)
	}

	// Past the interval a nudge refreshes at once, with nothing scheduled.
	mu.Lock()
	now = now.Add(2 * time.Second)
	mu.Unlock()
	c.Nudge()
	waitCalls(t, &calls, 3)
	<-refreshed
	if n := timers.fire(); n != 0 {
		t.Fatalf("a nudge past the interval scheduled %d timers", n)
	}

	// Close stops a scheduled trailing refresh.
	c.Nudge()
	c.Close()
	if n := timers.fire(); n != 0 {
		t.Fatalf("a trailing refresh survived Close (%d fired)", n)
	}
	if n := calls.Load(); n != 3 {
		t.Fatalf("refresher calls after Close = %d, want 3", n)
	}
}

// TestNudgeDuringRefresh: a Nudge while a refresh runs (whose report may already be
// out) is followed by one more refresh after it, throttled like any other.
func TestNudgeDuringRefresh(t *testing.T) {
	now := time.Unix(1000, 0)
	var calls atomic.Int32
	var timers manualTimers
	release := make(chan struct{})
	started := make(chan struct{}, 4)
	c := New(func(context.Context) (protocol.HealthSummary, error) {
		calls.Add(1)
		started <- struct{}{}
		<-release
		return protocol.HealthSummary{Ok: true}, nil
	}, Options{Now: func() time.Time { return now }, MinRefreshInterval: time.Second, Logger: quiet, AfterFunc: timers.AfterFunc})
	defer c.Close()
	c.Nudge()
	<-started
	c.Nudge()
	c.Nudge()
	release <- struct{}{}
	// The follow-up is due at the end of the interval (the fake clock stands still).
	deadline := time.Now().Add(5 * time.Second)
	for {
		timers.mu.Lock()
		n := len(timers.pending)
		timers.mu.Unlock()
		if n == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if n := timers.fire(); n != 1 {
		t.Fatalf("follow-up refreshes scheduled = %d, want 1", n)
	}
	<-started
	release <- struct{}{}
	waitCalls(t, &calls, 2)
}
