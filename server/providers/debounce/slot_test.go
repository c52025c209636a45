package debounce_test

import (
	"context"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/providers/debounce"
)

// TestSlot: the window set on a Slot reaches the running buffer at once and the next
// one Open makes; a detached buffer keeps the window it had.
func TestSlot(t *testing.T) {
	var s debounce.Slot[string, string]
	cfg := debounce.Config[string]{Window: time.Hour, Deliver: func(context.Context, []string) {}}
	if s.Window() != 0 || s.Detach() != nil {
		t.Fatalf("zero Slot: window %v, buffer %v", s.Window(), s.Detach())
	}
	s.SetWindow(-time.Second)
	if s.Window() != 0 {
		t.Fatalf("negative window: %v", s.Window())
	}
	s.SetWindow(2 * time.Second) // while stopped
	b := s.Open(cfg)
	if b.Window() != 2*time.Second {
		t.Fatalf("Open: window %v, want the slot's 2s (cfg.Window ignored)", b.Window())
	}
	s.SetWindow(3 * time.Second) // while running
	if b.Window() != 3*time.Second {
		t.Fatalf("SetWindow while running: buffer window %v, want 3s", b.Window())
	}
	if got := s.Detach(); got != b {
		t.Fatalf("Detach returned %p, want the open buffer %p", got, b)
	}
	b.Close(context.Background())
	s.SetWindow(0)
	if b.Window() != 3*time.Second {
		t.Fatalf("SetWindow after Detach reached the old buffer: %v", b.Window())
	}
	if b2 := s.Open(cfg); b2.Window() != 0 {
		t.Fatalf("second Open: window %v, want 0", b2.Window())
	} else {
		b2.Close(context.Background())
	}
}
