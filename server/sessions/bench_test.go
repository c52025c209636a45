package sessions

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// BenchmarkAppend compares a durable transcript commit (Append, fsync'd) with an
// in-flight step's (AppendStep, synced by the next durable commit) and the run stats.
// Run short: go test ./server/sessions -run '^$' -bench Append -benchtime 300x
func BenchmarkAppend(b *testing.B) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		f    func(s *Store, key string) error
	}{
		{"durable", func(s *Store, key string) error {
			_, _, err := s.Append(ctx, key, Message{Role: "assistant", Text: "ok done", Body: []byte(`{"role":"assistant"}`)})
			return err
		}},
		{"step", func(s *Store, key string) error {
			_, _, err := s.AppendStep(ctx, key, Message{Role: "toolResult", Text: "x", Body: []byte(`{"role":"toolResult"}`)})
			return err
		}},
		{"finish", func(s *Store, key string) error {
			return s.FinishRun(ctx, key, RunStats{InputTokens: 1})
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s, err := Open(ctx, Options{Path: filepath.Join(b.TempDir(), "s.db")})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if _, err := s.Ensure(ctx, "agent:main:b"); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := tc.f(s, "agent:main:b"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// appendWriters is how many goroutines BenchmarkAppendConcurrent appends from, as that
// many sessions' runs would.
const appendWriters = 16

// BenchmarkAppendConcurrent is durable appends from appendWriters goroutines, each on
// its own session: with group commit they share transactions and disk syncs.
// Run short: go test ./server/sessions -run '^$' -bench AppendConcurrent -benchtime 2000x -cpu 1
func BenchmarkAppendConcurrent(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, Options{Path: filepath.Join(b.TempDir(), "s.db")})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, appendWriters)
	b.ResetTimer()
	start := time.Now()
	for g := range appendWriters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := fmt.Sprintf("agent:main:w%d", g)
			for next.Add(1) <= int64(b.N) {
				if _, _, err := s.Append(ctx, key, Message{Role: "user", Text: "hello", Body: []byte(`{"role":"user"}`)}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "appends/s")
}

// BenchmarkTurn is the store's share of a text chat turn, as the agent runtime makes
// it, from appendWriters goroutines (turns in flight), each turn in a new session:
// read the session, look for the run's earlier messages, commit the prompt (durable),
// read the session's controls, the latest compaction and the history, and commit the
// final reply with the run's stats (durable). It reports the commits and WAL bytes
// (frames written) per turn.
// Run short: go test ./server/sessions -run '^$' -bench '^BenchmarkTurn$' -benchtime 3000x -cpu 1
func BenchmarkTurn(b *testing.B) {
	b.Run("turns", func(b *testing.B) { benchTurn(b, false) })
	// frames counts the write-ahead log frames (pages) a turn writes; checkpoints
	// are off for it, so its speed is not the store's.
	b.Run("frames", func(b *testing.B) { benchTurn(b, true) })
}

func benchTurn(b *testing.B, countFrames bool) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "s.db")
	s, err := Open(ctx, Options{Path: path})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	turn := func(i int64) error {
		key := fmt.Sprintf("agent:main:bench-p%d", i)
		run := fmt.Sprintf("p%d", i)
		if _, err := s.Get(ctx, key); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		if _, err := s.RunMessages(ctx, key, run); err != nil {
			return err
		}
		p, _, err := s.Append(ctx, key, Message{Role: "user", Text: "go", RunID: run, Body: []byte(`{"role":"user","content":"go"}`)})
		if err != nil {
			return err
		}
		if _, err := s.Get(ctx, key); err != nil {
			return err
		}
		if _, _, err := s.Latest(ctx, key, "compaction"); err != nil {
			return err
		}
		if _, err := s.HistoryFrom(ctx, key, 0, 200, p.Seq); err != nil {
			return err
		}
		_, _, err = s.AppendFinal(ctx, key, Message{Role: "assistant", Text: "ok done", RunID: run, Body: []byte(`{"role":"assistant","content":[{"type":"text","text":"ok done"}]}`)},
			RunStats{InputTokens: 10, OutputTokens: 2, TotalTokens: 12})
		return err
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, appendWriters)
	if countFrames {
		// No checkpoint resets the write-ahead log: its size counts the frames written.
		if err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `PRAGMA wal_autocheckpoint=0`)
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
	before := s.WriterStats()
	walBefore := walSize(path)
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for range appendWriters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				if err := turn(i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	st := s.WriterStats()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "turns/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/turn")
	b.ReportMetric(float64(st.Commits-before.Commits)/float64(b.N), "commits/turn")
	if countFrames {
		frames := float64(walSize(path)-walBefore) / walFrameBytes
		b.ReportMetric(frames/float64(st.Commits-before.Commits), "walframes/commit")
		b.ReportMetric(frames/float64(b.N), "walframes/turn")
	}
}

// walFrameBytes is one write-ahead log frame: its header and a (default-size) page.
const walFrameBytes = 24 + 4096

// cpuTime is the CPU time (user and system) the process has used: on a shared,
// noisy machine it varies far less than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func walSize(path string) int64 {
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		return 0
	}
	return fi.Size()
}
