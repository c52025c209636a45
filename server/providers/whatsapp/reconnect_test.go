package whatsapp

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/types"
)

// TestReconnectPolicy: web.reconnect's waits and the original's clamps.
func TestReconnectPolicy(t *testing.T) {
	ms := func(n float64) time.Duration { return time.Duration(n * float64(time.Millisecond)) }
	orig := ReconnectPolicy{Initial: 2 * time.Second, Max: 30 * time.Second, Factor: 1.8, Jitter: 0.25, MaxAttempts: 12}
	tests := []struct {
		name string
		r    ReconnectPolicy
		n    int
		rnd  float64
		want time.Duration
	}{
		{"first wait", orig, 1, 0, 2 * time.Second},
		{"grows by factor", orig, 3, 0, ms(2000 * 1.8 * 1.8)},
		{"jitter adds up to its share", orig, 2, 0.999999, ms(3600 + 3600*0.25*0.999999)},
		{"capped at max", orig, 10, 0.5, 30 * time.Second},
		{"huge attempt stays at max", orig, 10000, 0, 30 * time.Second},
		{"initial clamped to 250ms", ReconnectPolicy{Initial: time.Millisecond, Max: time.Second, Factor: 2}, 1, 0, 250 * time.Millisecond},
		{"max raised to initial", ReconnectPolicy{Initial: 5 * time.Second, Max: time.Second, Factor: 2}, 3, 0, 5 * time.Second},
		{"factor clamped to 1.1", ReconnectPolicy{Initial: time.Second, Max: time.Minute, Factor: 0.5}, 2, 0, 1100 * time.Millisecond},
		{"factor clamped to 10", ReconnectPolicy{Initial: time.Second, Max: time.Hour, Factor: 50}, 2, 0, 10 * time.Second},
		{"jitter clamped to 1", ReconnectPolicy{Initial: time.Second, Max: time.Hour, Factor: 2, Jitter: 3}, 1, 0.5, 1500 * time.Millisecond},
		{"NaN factor", ReconnectPolicy{Initial: time.Second, Max: time.Hour, Factor: math.NaN()}, 2, 0, 1100 * time.Millisecond},
		{"default", DefaultReconnect(), 2, 0.7, 2 * time.Second},
	}
	for _, tt := range tests {
		if got := tt.r.Normalize().Delay(tt.n, tt.rnd); got != tt.want {
			t.Errorf("%s: Delay(%d) = %v, want %v", tt.name, tt.n, got, tt.want)
		}
	}
	if got := (ReconnectPolicy{MaxAttempts: -3}).Normalize().MaxAttempts; got != 0 {
		t.Errorf("negative maxAttempts normalised to %d, want 0", got)
	}
	// New applies the policy: with no Backoff injected, the waits are the policy's.
	p := New(Config{Reconnect: ReconnectPolicy{Initial: 3 * time.Second, Max: 4 * time.Second, Factor: 2}})
	if d := p.cfg.Backoff(1); d != 3*time.Second {
		t.Errorf("New: first wait %v, want 3s", d)
	}
	if d := p.cfg.Backoff(5); d != 4*time.Second {
		t.Errorf("New: capped wait %v, want 4s", d)
	}
}

// TestConnectGivesUpAfterMaxAttempts: with web.reconnect.maxAttempts 2, two failed
// connects end the loop (the third would have worked); the account stays
// disconnected with the last error.
func TestConnectGivesUpAfterMaxAttempts(t *testing.T) {
	fs := &fakeStore{own: types.NewJID("15550000000", types.DefaultUserServer),
		connectErrs: []error{errors.New("dial: refused"), errors.New("dial: still refused")}}
	p := New(Config{Store: fs, StateDir: t.TempDir(), Reconnect: ReconnectPolicy{MaxAttempts: 2},
		Backoff: func(int) time.Duration { return time.Millisecond }})
	if err := p.Start(ctx10(t)); err != nil {
		t.Fatal(err)
	}
	defer p.Stop(context.Background())
	ended := make(chan struct{})
	go func() { p.wg.Wait(); close(ended) }()
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the connect loop kept going past maxAttempts")
	}
	c := fs.last()
	c.mu.Lock()
	connects := c.connects
	c.mu.Unlock()
	st := p.Status(t.Context(), false)
	if connects != 2 || st.Connected || st.ConnState != StateDisconnected || st.LastError != "dial: still refused" {
		t.Fatalf("connects %d, status %+v", connects, st)
	}
}
