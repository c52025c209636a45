package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/agent/backend"
	"github.com/clawgate/gateway/server/sessions"
)

// manualClock is a manual clock.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *manualClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// scripted is a backend that emits deltas at given clock offsets.
type scripted struct {
	clk   *manualClock
	start time.Time
	steps []step
}

type step struct {
	at   time.Duration
	text string
}

func (s *scripted) Run(ctx context.Context, req backend.Request, onDelta func(backend.Delta)) (backend.Result, error) {
	full := ""
	for _, st := range s.steps {
		s.clk.set(s.start.Add(st.at))
		onDelta(backend.Delta{Text: st.text})
		full += st.text
	}
	return backend.Result{Text: full, FinishReason: "stop"}, nil
}

func TestChatDeltaThrottle(t *testing.T) {
	start := time.UnixMilli(1_767_225_600_000)
	clk := &manualClock{t: start}
	store, err := sessions.Open(context.Background(), sessions.Options{Path: filepath.Join(t.TempDir(), "sessions.db"), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	be := &scripted{clk: clk, start: start, steps: []step{
		{0, "a"}, {50 * time.Millisecond, "b"}, {149 * time.Millisecond, "c"}, // one delta per 150 ms
		{150 * time.Millisecond, "d"}, // exactly 150 ms after the first: sent
		{200 * time.Millisecond, "e"}, {299 * time.Millisecond, "f"},
		{300 * time.Millisecond, "g"}, // 150 ms after the second: sent
		{1000 * time.Millisecond, "h"},
	}}
	rt, err := New(Options{Backend: be, Store: store, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(context.Background())
	var mu sync.Mutex
	var deltas []string
	var deltaSeqs []int64
	var final string
	rt.SetBroadcast(func(evs ...protocol.Event) {
		mu.Lock()
		defer mu.Unlock()
		for _, ev := range evs {
			ce, ok := ev.(*protocol.ChatEvent)
			if !ok {
				continue
			}
			text := chatEv{}
			if err := jsonUnmarshal(ce.Message, &text.Message); err != nil {
				t.Error(err)
			}
			switch ce.State {
			case protocol.ChatEventStateDelta:
				deltas = append(deltas, text.text())
				deltaSeqs = append(deltaSeqs, ce.Seq)
			case protocol.ChatEventStateFinal:
				final = text.text()
			}
		}
	})
	r, _, err := rt.Start(context.Background(), Request{RunID: "t-1", SessionKey: "agent:main:main", Message: "go"})
	if err != nil {
		t.Fatal(err)
	}
	<-r.Done()
	mu.Lock()
	defer mu.Unlock()
	want := []string{"a", "abcd", "abcdefg", "abcdefgh"}
	if len(deltas) != len(want) {
		t.Fatalf("chat deltas %q, want %q", deltas, want)
	}
	for i := range want {
		if deltas[i] != want[i] {
			t.Fatalf("chat deltas %q, want %q", deltas, want)
		}
	}
	// Each delta's seq is the agent event it derives from: start=1, a=2, d=5, g=8, h=9.
	if wantSeq := []int64{2, 5, 8, 9}; deltaSeqs[0] != wantSeq[0] || deltaSeqs[1] != wantSeq[1] || deltaSeqs[2] != wantSeq[2] || deltaSeqs[3] != wantSeq[3] {
		t.Fatalf("delta seqs %v, want %v", deltaSeqs, wantSeq)
	}
	if final != "abcdefgh" {
		t.Fatalf("final %q", final)
	}
}

func jsonUnmarshal(b []byte, v any) error {
	if len(b) == 0 {
		return nil
	}
	return json.Unmarshal(b, v)
}

// TestEventsBatchedByOrigin: events that arise together reach the broadcaster in one
// call — an assistant delta with the chat delta derived from it, the lifecycle end
// with the chat final — in order and sharing the run seq, so the gateway can write
// them to a client at once; a throttled delta goes alone.
func TestEventsBatchedByOrigin(t *testing.T) {
	start := time.UnixMilli(1_767_225_600_000)
	clk := &manualClock{t: start}
	store, err := sessions.Open(context.Background(), sessions.Options{Path: filepath.Join(t.TempDir(), "sessions.db"), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	be := &scripted{clk: clk, start: start, steps: []step{{0, "a"}, {50 * time.Millisecond, "b"}}}
	rt, err := New(Options{Backend: be, Store: store, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(context.Background())
	var mu sync.Mutex
	var batches []string
	rt.SetBroadcast(func(evs ...protocol.Event) {
		var b []string
		for _, ev := range evs {
			switch e := ev.(type) {
			case *AgentEvent:
				b = append(b, fmt.Sprintf("agent/%s:%d", e.Stream, e.Seq))
			case *protocol.ChatEvent:
				b = append(b, fmt.Sprintf("chat/%s:%d", e.State, e.Seq))
			}
		}
		mu.Lock()
		batches = append(batches, strings.Join(b, " "))
		mu.Unlock()
	})
	r, _, err := rt.Start(context.Background(), Request{RunID: "t-2", SessionKey: "agent:main:main", Message: "go"})
	if err != nil {
		t.Fatal(err)
	}
	<-r.Done()
	mu.Lock()
	defer mu.Unlock()
	want := []string{
		"agent/lifecycle:1",
		"agent/assistant:2 chat/delta:2",
		"agent/assistant:3", // 50 ms after the first delta: the chat delta is throttled
		"agent/lifecycle:4 chat/final:4",
	}
	if strings.Join(batches, "|") != strings.Join(want, "|") {
		t.Fatalf("broadcasts\n%q\nwant\n%q", batches, want)
	}
}
