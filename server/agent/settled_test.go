package agent

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/agent/backend"
	"github.com/clawgate/gateway/server/sessions"
)

// failOn is a backend that answers "ok", or fails when the prompt is "fail".
type failOn struct{}

func (failOn) Run(ctx context.Context, req backend.Request, onDelta func(backend.Delta)) (backend.Result, error) {
	if m := req.Messages[len(req.Messages)-1]; m.Content == "fail" {
		return backend.Result{}, errors.New("model exploded")
	}
	onDelta(backend.Delta{Text: "ok"})
	return backend.Result{Text: "ok", FinishReason: "stop"}, nil
}

// TestFinishedBeforeFinalEvent pins the order a retrying client relies on: when the
// run's last chat event (final or error) is broadcast, the run already reports
// Finished with that outcome, so a chat.send repeated on seeing it answers with the
// outcome instead of "in_flight" (this raced before: CI saw TestBridgeChat fail).
func TestFinishedBeforeFinalEvent(t *testing.T) {
	store, err := sessions.Open(context.Background(), sessions.Options{Path: filepath.Join(t.TempDir(), "sessions.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	rt, err := New(Options{Backend: failOn{}, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(context.Background())
	type seen struct {
		state    protocol.ChatEventState
		finished bool
		status   string
	}
	var mu sync.Mutex
	got := map[string]seen{}
	rt.SetBroadcast(func(evs ...protocol.Event) {
		for _, ev := range evs {
			ce, ok := ev.(*protocol.ChatEvent)
			if !ok || ce.State == protocol.ChatEventStateDelta {
				continue
			}
			r := rt.Lookup(ce.RunID)
			s := seen{state: ce.State}
			if r != nil {
				s.finished = r.Finished()
				s.status = r.Outcome().Status
			}
			mu.Lock()
			got[ce.RunID] = s
			mu.Unlock()
		}
	})
	for _, tc := range []struct {
		id, msg string
		state   protocol.ChatEventState
		status  string
	}{
		{"ok-run", "hello", protocol.ChatEventStateFinal, StatusOK},
		{"err-run", "fail", protocol.ChatEventStateError, StatusError},
	} {
		t.Run(tc.id, func(t *testing.T) {
			r, _, err := rt.Start(context.Background(), Request{RunID: tc.id, SessionKey: "agent:main:" + tc.id, Message: tc.msg})
			if err != nil {
				t.Fatal(err)
			}
			select {
			case <-r.Done():
			case <-time.After(30 * time.Second):
				t.Fatal("run did not end")
			}
			mu.Lock()
			s := got[tc.id]
			mu.Unlock()
			if s.state != tc.state || !s.finished || s.status != tc.status {
				t.Fatalf("at the last chat event: %+v, want state %s, finished, status %s", s, tc.state, tc.status)
			}
		})
	}
}
