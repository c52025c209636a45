package agent

import (
	"context"
	"testing"
)

// TestPrepareCreatesSession: a new session is created by its prompt's commit, and also
// when no prompt is written (ephemeral runs, a delivery that fails before the prompt),
// as when prepare created it first.
func TestPrepareCreatesSession(t *testing.T) {
	g := &gated{started: make(chan string, 10), release: make(chan struct{})}
	close(g.release)
	rt := newRuntime(t, g, nil)
	ctx := context.Background()
	store := rt.Store()
	for _, tc := range []struct {
		name     string
		req      Request
		wantErr  bool
		wantMsgs int64
	}{
		{"prompt", Request{RunID: "p1", SessionKey: "agent:main:p1", Message: "hi"}, false, 2},
		{"ephemeral", Request{RunID: "p2", SessionKey: "agent:main:p2", Message: "beat", Ephemeral: true}, false, 1},
		{"delivery fails first", Request{RunID: "p3", SessionKey: "agent:main:p3", Message: "hi", Deliver: true, Channel: ChannelWebchat + "x"}, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := rt.Start(ctx, tc.req)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Start: %v, want error %v", err, tc.wantErr)
			}
			if err == nil {
				if out, ok := rt.Wait(ctx, tc.req.RunID, wait); !ok || out.Status != StatusOK {
					t.Fatalf("run: %+v", out)
				}
			}
			ss, err := store.Get(ctx, tc.req.SessionKey)
			if err != nil {
				t.Fatalf("session not created: %v", err)
			}
			if ss.Messages != tc.wantMsgs {
				t.Fatalf("%d messages, want %d", ss.Messages, tc.wantMsgs)
			}
		})
	}
}
