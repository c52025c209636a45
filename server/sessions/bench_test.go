package sessions

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
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
