package gateway

import (
	"context"
	"sync"
	"testing"

	"github.com/clawgate/gateway/gen/go/protocol"
)

// A health refresh may run while components still add their sources (a provider's
// state change nudges one during start-up or an in-process restart); under -race this
// failed before the source list was locked. Every source added is used.
func TestAddHealthSourceDuringRefresh(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	const n = 50
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range n {
			if _, err := s.buildHealth(context.Background()); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	var mu sync.Mutex
	called := map[int]bool{}
	for i := range n {
		s.AddHealthSource(func(context.Context, *protocol.HealthSummary) {
			mu.Lock()
			called[i] = true
			mu.Unlock()
		})
	}
	wg.Wait()
	if _, err := s.buildHealth(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(called) != n {
		t.Fatalf("%d of %d sources used", len(called), n)
	}
}
