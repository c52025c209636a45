package dedupe_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/providers/dedupe"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func open(t *testing.T, path string, o dedupe.Options) *dedupe.Store {
	t.Helper()
	o.Path = path
	s, err := dedupe.Open(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConcurrentDuplicatesRunOnce(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "d.db"), dedupe.Options{})
	var runs atomic.Int64
	release := make(chan struct{})
	const n = 50
	var wg sync.WaitGroup
	results := make([]string, n)
	replays := atomic.Int64{}
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, replay, err := s.Do(t.Context(), "send:k1", func(context.Context) (json.RawMessage, error) {
				runs.Add(1)
				<-release
				return json.RawMessage(`{"messageId":"m1"}`), nil
			})
			if err != nil {
				t.Error(err)
			}
			if replay {
				replays.Add(1)
			}
			results[i] = string(r)
		}()
	}
	// Wait until every duplicate is queued behind the running call, then finish it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if running, w := s.Waiting("send:k1"); running && w == n-1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("duplicates did not queue")
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	if runs.Load() != 1 || replays.Load() != n-1 {
		t.Fatalf("runs=%d replays=%d", runs.Load(), replays.Load())
	}
	for _, r := range results {
		if r != `{"messageId":"m1"}` {
			t.Fatalf("result %q", r)
		}
	}
}

func TestPersistsAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.db")
	s := open(t, path, dedupe.Options{})
	if _, _, err := s.Do(t.Context(), "send:k", func(context.Context) (json.RawMessage, error) {
		return json.RawMessage(`{"v":1}`), nil
	}); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	s2 := open(t, path, dedupe.Options{})
	r, replay, err := s2.Do(t.Context(), "send:k", func(context.Context) (json.RawMessage, error) {
		t.Fatal("ran again after reopen")
		return nil, nil
	})
	if err != nil || !replay || string(r) != `{"v":1}` {
		t.Fatalf("%s %v %v", r, replay, err)
	}
}

func TestFailuresAreNotRemembered(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "d.db"), dedupe.Options{})
	boom := errors.New("not linked")
	if _, _, err := s.Do(t.Context(), "k", func(context.Context) (json.RawMessage, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	r, replay, err := s.Do(t.Context(), "k", func(context.Context) (json.RawMessage, error) { return json.RawMessage(`1`), nil })
	if err != nil || replay || string(r) != "1" {
		t.Fatalf("retry after failure: %s %v %v", r, replay, err)
	}
}

func TestTTLAndSizeLimit(t *testing.T) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	s := open(t, filepath.Join(t.TempDir(), "d.db"), dedupe.Options{TTL: time.Minute, MaxEntries: 3, Now: c.now})
	put := func(k string) {
		t.Helper()
		if _, _, err := s.Do(t.Context(), k, func(context.Context) (json.RawMessage, error) { return json.RawMessage(`"` + k + `"`), nil }); err != nil {
			t.Fatal(err)
		}
		c.add(time.Millisecond)
	}
	has := func(k string) bool {
		_, ok, err := s.Get(t.Context(), k)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	for i := range 3 {
		put(fmt.Sprint("k", i))
	}
	if n, _ := s.Len(t.Context()); n != 3 || !has("k0") {
		t.Fatalf("at the limit: %d entries", n)
	}
	put("k3") // one over: the oldest goes
	if n, _ := s.Len(t.Context()); n != 3 || has("k0") || !has("k1") || !has("k3") {
		t.Fatalf("over the limit: %d entries, k0=%v", n, has("k0"))
	}
	// TTL: just before it a result replays, at it the key runs again.
	c.add(time.Minute - 4*time.Millisecond)
	if !has("k3") {
		t.Fatal("expired before the TTL")
	}
	c.add(4 * time.Millisecond)
	if has("k1") {
		t.Fatal("k1 replayed after its TTL")
	}
	put("k9")
	if n, _ := s.Len(t.Context()); n > 3 {
		t.Fatalf("expired rows not pruned: %d", n)
	}
}

func TestWaiterContextCancelled(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "d.db"), dedupe.Options{})
	started, release := make(chan struct{}), make(chan struct{})
	go s.Do(t.Context(), "k", func(context.Context) (json.RawMessage, error) {
		close(started)
		<-release
		return json.RawMessage(`1`), nil
	})
	<-started
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, _, err := s.Do(ctx, "k", nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter: %v", err)
	}
	close(release)
}

// TestInterruptedDeliveryIsNotResent: a delivery that never finished (here the process
// "dies" in the middle: fn panics, so neither the result nor the failure is recorded)
// is not run again for the same key after a restart — the answer is
// ErrOutcomeUnknown — while other keys, and the same key once the TTL has passed, run.
func TestInterruptedDeliveryIsNotResent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.db")
	clk := time.UnixMilli(1_700_000_000_000)
	now := func() time.Time { return clk }
	s := open(t, path, dedupe.Options{Now: now})
	func() {
		defer func() { _ = recover() }()
		_, _, _ = s.Do(context.Background(), "k1", func(context.Context) (json.RawMessage, error) {
			panic("killed mid-delivery")
		})
	}()
	_ = s.Close()

	s2 := open(t, path, dedupe.Options{Now: now})
	ran := 0
	fn := func(context.Context) (json.RawMessage, error) { ran++; return json.RawMessage(`{"ok":1}`), nil }
	if _, _, err := s2.Do(context.Background(), "k1", fn); !errors.Is(err, dedupe.ErrOutcomeUnknown) || ran != 0 {
		t.Fatalf("retry after the interruption: err %v, ran %d", err, ran)
	}
	if _, _, err := s2.Do(context.Background(), "k2", fn); err != nil || ran != 1 {
		t.Fatalf("another key: err %v, ran %d", err, ran)
	}
	clk = clk.Add(dedupe.DefaultTTL + time.Second)
	if _, _, err := s2.Do(context.Background(), "k1", fn); err != nil || ran != 2 {
		t.Fatalf("after the TTL: err %v, ran %d", err, ran)
	}
}
