package logs

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuf) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func TestSamplerCountsTheFlood(t *testing.T) {
	buf := &lockedBuf{}
	log := slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := NewSampler(log, SamplerOptions{Burst: 3, Window: 100 * time.Millisecond})
	for i := 0; i < 1000; i++ {
		s.Log(slog.LevelInfo, "handshake refused", "n", i)
	}
	s.Log(slog.LevelWarn, "something else", "k", "v")
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(buf.String(), "(repeated)") {
		if time.Now().After(deadline) {
			t.Fatalf("no summary:\n%s", buf.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d lines, want 3 + other + summary:\n%s", len(lines), buf.String())
	}
	var sum struct {
		Msg        string
		Suppressed int
		N          int
	}
	if err := json.Unmarshal([]byte(lines[4]), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Msg != "handshake refused (repeated)" || sum.Suppressed != 997 || sum.N != 999 {
		t.Fatalf("summary %+v", sum)
	}
	// A new window logs again.
	s.Log(slog.LevelInfo, "handshake refused", "n", 1000)
	if !strings.Contains(buf.String(), `"n":1000`) {
		t.Fatal("next window suppressed")
	}
	s.Flush()
}
