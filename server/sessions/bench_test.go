package sessions

import (
	"context"
	"path/filepath"
	"testing"
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
