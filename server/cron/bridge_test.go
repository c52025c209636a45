package cron

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/heartbeat"
)

type hbAgent struct {
	mu      sync.Mutex
	prompts []string
}

func (a *hbAgent) Busy(string) bool { return false }
func (a *hbAgent) Turn(ctx context.Context, agentID, prompt string, _ heartbeat.TurnOptions) (heartbeat.Reply, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.prompts = append(a.prompts, prompt)
	return heartbeat.Reply{Texts: []string{"Time to call mom!"}}, nil
}

type hbDel struct{ sent []string }

func (d *hbDel) LastRoute(context.Context, string) (heartbeat.Route, bool) {
	return heartbeat.Route{Channel: "telegram", To: "42"}, true
}
func (d *hbDel) Send(_ context.Context, r heartbeat.Route, text string) error {
	d.sent = append(d.sent, r.Channel+"|"+r.To+"|"+text)
	return nil
}

// TestReminderThroughHeartbeat: a main job with wakeMode now queues its text and runs the
// heartbeat, whose answer is delivered to the last route.
func TestReminderThroughHeartbeat(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, func(o *Options) { o.Disabled = true })
	ag, del := &hbAgent{}, &hbDel{}
	hb, err := heartbeat.New(heartbeat.Options{Clock: e.clk, Agent: ag, Deliverer: del, Logger: slog.New(slog.DiscardHandler),
		Agents: []heartbeat.Config{{AgentID: "main", Every: time.Hour}}})
	if err != nil {
		t.Fatal(err)
	}
	e.svc.o.Runner = HeartbeatBridge{Heartbeat: hb}
	j, err := e.svc.Add(ctx, Create{Name: "mom", WakeMode: WakeNow, Schedule: Schedule{Kind: KindAt, AtMs: t0.Add(time.Minute).UnixMilli()},
		Payload: Payload{Kind: PayloadSystemEvent, Text: "Reminder: call mom"}})
	if err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Minute)
	if ran := e.svc.RunDue(ctx); len(ran) != 1 {
		t.Fatal(ran)
	}
	got, _ := e.svc.Get(ctx, j.ID)
	if got.State.LastStatus != StatusOK || len(del.sent) != 1 || del.sent[0] != "telegram|42|Time to call mom!" {
		t.Fatalf("state %+v sent %v", got.State, del.sent)
	}
	if !strings.HasPrefix(ag.prompts[0], "System: Reminder: call mom") {
		t.Fatalf("prompt %q", ag.prompts[0])
	}
	if _, err := (HeartbeatBridge{Heartbeat: hb}).RunAgentTurn(ctx, got); err == nil {
		t.Fatal("isolated turn without runtime accepted")
	}
}
