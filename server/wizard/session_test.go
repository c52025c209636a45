package wizard

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/clock"
)

// oneQuestion is a flow with a single confirm step.
func oneQuestion(StartOptions) Flow {
	return func(ctx context.Context, p *Prompter) error {
		_, err := p.Confirm(ctx, "ok?", true)
		return err
	}
}

func newTestHandler(clk *clock.Fake, flow func(StartOptions) Flow) *Handler[struct{}] {
	return New[struct{}](Options{Now: clk.Now, Flow: flow})
}

// TestMaxFinished: sessions that ended unseen (the client went away before the
// answer; here a cancelled request context) are kept for wizard.status, at most
// MaxFinished of them, the least recently active dropped first.
func TestMaxFinished(t *testing.T) {
	clk := clock.NewFake(time.Unix(1_700_000_000, 0))
	var gate chan struct{} // the current flow fails once the test closes it
	h := newTestHandler(clk, func(StartOptions) Flow {
		g := make(chan struct{})
		gate = g
		return func(ctx context.Context, p *Prompter) error {
			if _, err := p.Confirm(ctx, "go?", true); err != nil {
				return err
			}
			<-g
			return errors.New("failed after the answer")
		}
	})
	defer h.Close()
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	var ids []string
	for range MaxFinished + 3 {
		res, err := h.WizardStart(context.Background(), struct{}{}, &protocol.WizardStartParams{})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.SessionID)
		if _, err := h.WizardNext(gone, struct{}{}, &protocol.WizardNextParams{SessionID: res.SessionID,
			Answer: &protocol.WizardAnswer{StepID: res.Step.ID, Value: json.RawMessage("true")}}); err == nil {
			t.Fatal("next with a gone client answered")
		}
		close(gate)
		h.mu.Lock()
		s := h.sessions[res.SessionID]
		h.mu.Unlock()
		<-s.finished
		clk.Advance(time.Second)
	}
	for i, id := range ids {
		st, err := h.WizardStatus(context.Background(), struct{}{}, &protocol.WizardStatusParams{SessionID: id})
		kept := i >= len(ids)-MaxFinished
		if (err == nil) != kept || kept && (st.Status != protocol.WizardStatusError || st.GetError() != "failed after the answer") {
			t.Errorf("session %d: status %+v err %v, want kept=%v", i, st, err, kept)
		}
	}
}

// TestConcurrentAnswers: two answers to the same step race; exactly one is taken.
func TestConcurrentAnswers(t *testing.T) {
	clk := clock.NewFake(time.Unix(1_700_000_000, 0))
	h := newTestHandler(clk, func(StartOptions) Flow {
		return func(ctx context.Context, p *Prompter) error {
			if _, err := p.Confirm(ctx, "one?", true); err != nil {
				return err
			}
			_, err := p.Confirm(ctx, "two?", true)
			return err
		}
	})
	defer h.Close()
	ctx := context.Background()
	res, err := h.WizardStart(ctx, struct{}{}, &protocol.WizardStartParams{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = h.WizardNext(ctx, struct{}{}, &protocol.WizardNextParams{SessionID: res.SessionID,
				Answer: &protocol.WizardAnswer{StepID: res.Step.ID, Value: json.RawMessage("true")}})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if !strings.Contains(err.Error(), "no pending step") {
			t.Errorf("loser error: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d answers taken, want 1", ok)
	}
}

// TestFlowErrors: a flow that fails ends with status error and its message; a
// panicking flow does not take the gateway down.
func TestFlowErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		flow Flow
		want string
	}{
		{"error", func(context.Context, *Prompter) error { return errors.New("boom") }, "boom"},
		{"panic", func(context.Context, *Prompter) error { panic("bad") }, "internal error: bad"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newTestHandler(clock.NewFake(time.Unix(0, 0)), func(StartOptions) Flow { return tc.flow })
			defer h.Close()
			res, err := h.WizardStart(context.Background(), struct{}{}, &protocol.WizardStartParams{})
			if err != nil || !res.Done || res.GetStatus() != protocol.WizardStatusError || !strings.Contains(res.GetError(), tc.want) {
				t.Fatalf("start = %+v %v", res, err)
			}
		})
	}
}

// TestClose: Close cancels a waiting flow and returns once it has ended.
func TestClose(t *testing.T) {
	ended := make(chan error, 1)
	h := newTestHandler(clock.NewFake(time.Unix(0, 0)), func(StartOptions) Flow {
		return func(ctx context.Context, p *Prompter) error {
			_, err := p.Confirm(ctx, "wait", true)
			ended <- err
			return err
		}
	})
	if _, err := h.WizardStart(context.Background(), struct{}{}, &protocol.WizardStartParams{}); err != nil {
		t.Fatal(err)
	}
	h.Close()
	select {
	case err := <-ended:
		if !errors.Is(err, ErrCancelled) {
			t.Fatalf("flow ended with %v", err)
		}
	default:
		t.Fatal("Close returned before the flow ended")
	}
}

// TestIdleTimeoutOption: Options.IdleTimeout replaces the default.
func TestIdleTimeoutOption(t *testing.T) {
	clk := clock.NewFake(time.Unix(1_700_000_000, 0))
	h := New[struct{}](Options{Now: clk.Now, Flow: oneQuestion, IdleTimeout: time.Minute})
	defer h.Close()
	ctx := context.Background()
	first, err := h.WizardStart(ctx, struct{}{}, &protocol.WizardStartParams{})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(59 * time.Second)
	if _, err := h.WizardStart(ctx, struct{}{}, &protocol.WizardStartParams{}); err == nil || !strings.Contains(err.Error(), msgRunning) {
		t.Fatalf("second start before the limit: %v", err)
	}
	clk.Advance(time.Minute)
	if _, err := h.WizardStart(ctx, struct{}{}, &protocol.WizardStartParams{}); err != nil {
		t.Fatalf("start after the limit: %v", err)
	}
	st, err := h.WizardStatus(ctx, struct{}{}, &protocol.WizardStatusParams{SessionID: first.SessionID})
	if err != nil || st.Status != protocol.WizardStatusCancelled || st.GetError() != msgExpired {
		t.Fatalf("expired session: %+v %v", st, err)
	}
}
