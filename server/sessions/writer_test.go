package sessions

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// blockWriter occupies the writer with a write that waits until release is called,
// so the writes submitted meanwhile queue up and form the next batch.
func blockWriter(t *testing.T, s *Store) (release func()) {
	t.Helper()
	entered, gate, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- s.write(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
			close(entered)
			<-gate
			return nil
		})
	}()
	<-entered
	return func() {
		close(gate)
		if err := <-done; err != nil {
			t.Errorf("blocking write: %v", err)
		}
	}
}

// waitQueued waits until n writes are queued for the writer.
func waitQueued(t *testing.T, s *Store, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for len(s.w.jobs) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d writes queued, want %d", len(s.w.jobs), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestGroupCommit queues concurrent writes behind a busy writer and checks they are
// committed in as few transactions as MaxBatch allows, each caller answered only
// after its batch committed, a failing write rolled back alone, a cancelled write
// never applied, and only batches with a durable write synced.
func TestGroupCommit(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		maxBatch int
		writes   int
		commits  int64 // batches after the blocking write
	}{
		{"one batch", 0, 10, 1},
		{"bounded batches", 3, 7, 3},
		{"batch of one", 1, 3, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t, filepath.Join(t.TempDir(), "s.db"), Options{MaxBatch: tc.maxBatch})
			release := blockWriter(t, s)
			before := s.WriterStats()
			var wg sync.WaitGroup
			errs := make([]error, tc.writes)
			for i := range tc.writes {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, _, errs[i] = s.Append(ctx, fmt.Sprintf("agent:main:k%d", i), Message{Role: "user", Text: "hi"})
				}()
			}
			waitQueued(t, s, tc.writes)
			release()
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("write %d: %v", i, err)
				}
			}
			st := s.WriterStats()
			if got := st.Commits - before.Commits - 1; got != tc.commits {
				t.Fatalf("%d writes took %d commits, want %d", tc.writes, got, tc.commits)
			}
			if st.Syncs-before.Syncs-1 != tc.commits {
				t.Fatalf("syncs %d, want %d", st.Syncs-before.Syncs-1, tc.commits)
			}
			// Every acknowledged write is readable (committed).
			for i := range tc.writes {
				if h, err := s.History(ctx, fmt.Sprintf("agent:main:k%d", i), 10, 0); err != nil || len(h) != 1 {
					t.Fatalf("session %d after ack: %v %v", i, h, err)
				}
			}
		})
	}

	t.Run("failures stay alone", func(t *testing.T) {
		s := open(t, filepath.Join(t.TempDir(), "s.db"), Options{})
		if err := s.SetLabel(ctx, "agent:main:a", "taken"); err != nil {
			t.Fatal(err)
		}
		release := blockWriter(t, s)
		var wg sync.WaitGroup
		res := map[string]error{}
		var mu sync.Mutex
		do := func(name string, f func() error) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := f()
				mu.Lock()
				res[name] = err
				mu.Unlock()
			}()
		}
		cctx, cancel := context.WithCancel(ctx)
		do("before", func() error { _, _, err := s.Append(ctx, "agent:main:b", Message{Role: "user", Text: "1"}); return err })
		waitQueued(t, s, 1)
		do("conflict", func() error {
			_, err := s.Patch(ctx, "agent:main:b", func(ss *Session) error { ss.Label = "taken"; return nil })
			return err
		})
		waitQueued(t, s, 2)
		do("panic", func() error {
			return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, `UPDATE sessions SET label = 'half' WHERE key = 'agent:main:a'`); err != nil {
					return err
				}
				panic("boom")
			})
		})
		waitQueued(t, s, 3)
		do("cancelled", func() error {
			_, _, err := s.Append(cctx, "agent:main:c", Message{Role: "user", Text: "x"})
			return err
		})
		waitQueued(t, s, 4)
		cancel()
		do("step", func() error {
			_, _, err := s.AppendStep(ctx, "agent:main:b", Message{Role: "toolResult", Text: "2"})
			return err
		})
		waitQueued(t, s, 5)
		before := s.WriterStats()
		release()
		wg.Wait()
		if res["before"] != nil || res["step"] != nil {
			t.Fatalf("good writes failed: %v", res)
		}
		if !errors.Is(res["conflict"], ErrLabelInUse) {
			t.Fatalf("conflict: %v", res["conflict"])
		}
		if res["panic"] == nil || !strings.Contains(res["panic"].Error(), "boom") {
			t.Fatalf("panic: %v", res["panic"])
		}
		if !errors.Is(res["cancelled"], context.Canceled) {
			t.Fatalf("cancelled: %v", res["cancelled"])
		}
		if st := s.WriterStats(); st.Commits-before.Commits != 2 || st.Syncs-before.Syncs != 2 {
			t.Fatalf("want the blocker and one batch, both synced: %+v → %+v", before, st)
		}
		if h, _ := s.History(ctx, "agent:main:b", 10, 0); len(h) != 2 {
			t.Fatalf("b history %v", h)
		}
		if ss, _ := s.Get(ctx, "agent:main:b"); ss.Label != "" {
			t.Fatalf("failed patch applied: %+v", ss)
		}
		if ss, _ := s.Get(ctx, "agent:main:a"); ss.Label != "taken" {
			t.Fatalf("panicking write applied: %+v", ss)
		}
		if _, err := s.Get(ctx, "agent:main:c"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("cancelled write applied: %v", err)
		}
	})

	t.Run("lazy batch does not sync", func(t *testing.T) {
		s := open(t, filepath.Join(t.TempDir(), "s.db"), Options{})
		if _, err := s.Ensure(ctx, "agent:main:b"); err != nil {
			t.Fatal(err)
		}
		before := s.WriterStats()
		if _, _, err := s.AppendStep(ctx, "agent:main:b", Message{Role: "toolResult", Text: "x"}); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishRun(ctx, "agent:main:b", RunStats{InputTokens: 1}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Append(ctx, "agent:main:b", Message{Role: "assistant", Text: "y"}); err != nil {
			t.Fatal(err)
		}
		st := s.WriterStats()
		if st.Commits-before.Commits != 3 || st.Syncs-before.Syncs != 1 {
			t.Fatalf("two lazy commits and one synced: %+v → %+v", before, st)
		}
	})
}

// TestWriteQueueBound: with the writer busy and the queue full, a writer waits and
// gives up with its context; nothing it wanted is written.
func TestWriteQueueBound(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "s.db"), Options{WriteQueue: 2})
	release := blockWriter(t, s)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := s.Append(ctx, fmt.Sprintf("agent:main:q%d", i), Message{Role: "user", Text: "x"}); err != nil {
				t.Error(err)
			}
		}()
	}
	waitQueued(t, s, 2)
	tctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, _, err := s.Append(tctx, "agent:main:over", Message{Role: "user", Text: "x"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("write over the queue bound: %v", err)
	}
	release()
	wg.Wait()
	if _, err := s.Get(ctx, "agent:main:over"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("refused write applied: %v", err)
	}
}

// TestCloseCommitsQueued: Close commits what was queued before it and refuses later
// writes with ErrClosed.
func TestCloseCommitsQueued(t *testing.T) {
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "s.db")
	s, err := Open(ctx, Options{Path: p})
	if err != nil {
		t.Fatal(err)
	}
	release := blockWriter(t, s)
	errc := make(chan error, 1)
	go func() {
		_, _, err := s.Append(ctx, "agent:main:q", Message{Role: "user", Text: "queued"})
		errc <- err
	}()
	waitQueued(t, s, 1)
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	// Close waits for the writer, which is still busy.
	for !s.w.isClosed() {
		time.Sleep(time.Millisecond)
	}
	release()
	if err := <-errc; err != nil {
		t.Fatalf("queued write: %v", err)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Append(ctx, "agent:main:late", Message{Role: "user", Text: "x"}); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
	s2 := open(t, p, Options{})
	if h, err := s2.History(ctx, "agent:main:q", 5, 0); err != nil || len(h) != 1 {
		t.Fatalf("queued write after close: %v %v", h, err)
	}
}

// TestKill9KeepsAcknowledgedWrites runs concurrent writers in a child process that
// prints each acknowledged write, kills it with SIGKILL mid-stream (no Close, no
// clean shutdown) and checks that every acknowledged write is in the file.
func TestKill9KeepsAcknowledgedWrites(t *testing.T) {
	if p := os.Getenv("SESSIONS_KILL_CHILD"); p != "" {
		killChild(p)
		return
	}
	p := filepath.Join(t.TempDir(), "s.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9KeepsAcknowledgedWrites$")
	cmd.Env = append(os.Environ(), "SESSIONS_KILL_CHILD="+p)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[string]int{} // key → highest acknowledged message number
	sc := bufio.NewScanner(out)
	n := 0
	for sc.Scan() && n < 300 {
		f := strings.Fields(sc.Text())
		if len(f) != 3 || f[0] != "acked" {
			continue
		}
		i, _ := strconv.Atoi(f[2])
		acked[f[1]] = max(acked[f[1]], i)
		n++
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if n < 300 {
		t.Fatalf("child acknowledged only %d writes", n)
	}
	s := open(t, p, Options{})
	for key, last := range acked {
		h, err := s.History(context.Background(), key, 1_000_000, 0)
		if err != nil {
			t.Fatal(err)
		}
		have := map[string]bool{}
		for _, m := range h {
			have[m.Text] = true
		}
		for i := 0; i <= last; i++ {
			if !have[strconv.Itoa(i)] {
				t.Fatalf("%s: acknowledged message %d lost after kill -9 (have %d messages)", key, i, len(h))
			}
		}
	}
}

// killChild appends from 8 goroutines until killed, printing each acknowledgement.
func killChild(p string) {
	s, err := Open(context.Background(), Options{Path: p})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	var mu sync.Mutex
	for g := range 8 {
		go func() {
			key := fmt.Sprintf("agent:main:g%d", g)
			for i := 0; ; i++ {
				add := s.Append
				if i%2 == 1 {
					add = s.AppendStep
				}
				if _, _, err := add(context.Background(), key, Message{Role: "user", Text: strconv.Itoa(i)}); err != nil {
					fmt.Println("error", err)
					os.Exit(1)
				}
				mu.Lock()
				fmt.Printf("acked %s %d\n", key, i)
				mu.Unlock()
			}
		}()
	}
	select {}
}

// TestGatherYields: on one core, a write whose goroutine is ready to run when the
// writer picks up another write joins that write's commit (the writer yields before
// it commits). Without the yield the writer usually commits the first write alone.
// Scheduling is not fully deterministic (GC workers, preemption on a loaded machine),
// so of gatherTrials pairs most, not all, must share a commit; not under the race
// detector, which randomises scheduling.
func TestGatherYields(t *testing.T) {
	if raceDetector {
		t.Skip("the race detector randomises goroutine scheduling")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	const gatherTrials = 10
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "s.db"), Options{})
	joined := 0
	for trial := range gatherTrials {
		before := s.WriterStats()
		var wg sync.WaitGroup
		errs := make([]error, 2)
		wg.Add(2)
		start := make(chan struct{})
		for i := range 2 {
			go func() {
				defer wg.Done()
				<-start
				_, _, errs[i] = s.Append(ctx, fmt.Sprintf("agent:main:y%d-%d", trial, i), Message{Role: "user", Text: "x"})
			}()
		}
		close(start) // both ready; the first to run submits, the other is still ready
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatal(errs)
		}
		if s.WriterStats().Commits-before.Commits == 1 {
			joined++
		}
	}
	if joined < gatherTrials/2 {
		t.Fatalf("two ready writers shared a commit in %d of %d trials", joined, gatherTrials)
	}
}
