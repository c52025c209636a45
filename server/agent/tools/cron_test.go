package tools

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/clock"
	"github.com/clawgate/gateway/server/cron"
)

type cronRunner struct {
	mu     sync.Mutex
	events []string
}

func (r *cronRunner) EnqueueSystemEvent(ctx context.Context, agentID, text string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, agentID+"|"+text)
	return nil
}
func (r *cronRunner) RequestHeartbeat(string, string) {}
func (r *cronRunner) RunHeartbeat(context.Context, string, string) (cron.HeartbeatResult, error) {
	return cron.HeartbeatResult{Status: "ran"}, nil
}
func (r *cronRunner) RunAgentTurn(context.Context, cron.Job) (cron.TurnResult, error) {
	return cron.TurnResult{Texts: []string{"done"}}, nil
}

type nopDeliverer struct{}

func (nopDeliverer) Deliver(context.Context, cron.Delivery) error { return nil }

type fakeWaker struct{ calls []string }

func (w *fakeWaker) Wake(mode, text string) bool {
	w.calls = append(w.calls, mode+"|"+text)
	return strings.TrimSpace(text) != ""
}

func TestCronToolSchedulesAReminderThatFires(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	clk := clock.NewFake(start)
	run := &cronRunner{}
	svc, err := cron.New(cron.Options{StorePath: cron.StorePath(t.TempDir()), Clock: clk, Runner: run, Deliverer: nopDeliverer{},
		Disabled: true, Logger: slog.New(slog.DiscardHandler), Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Stop)
	w := &fakeWaker{}
	tool, err := CronTool(CronOptions{Cron: svc, Waker: w, AgentID: "ops"})
	if err != nil {
		t.Fatal(err)
	}
	call := func(args string) (map[string]any, error) {
		t.Helper()
		if err := tool.Validate(json.RawMessage(args)); err != nil {
			return nil, err
		}
		res, err := tool.Execute(ctx, Call{ID: "c1", Args: json.RawMessage(args)})
		if err != nil {
			return nil, err
		}
		var m map[string]any
		b, _ := json.Marshal(res.Details)
		_ = json.Unmarshal(b, &m)
		return m, nil
	}
	// The model writes the job loosely: no kinds, an ISO time without zone, a wrapper.
	job, err := call(`{"action":"add","job":{"job":{"name":"Stretch","schedule":{"at":"2026-06-01T08:30"},"payload":{"kind":"systemEvent","text":"Reminder: stretch"},"deleteAfterRun":true}}}`)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := job["id"].(string)
	if id == "" || job["agentId"] != "ops" || job["sessionTarget"] != "main" || job["wakeMode"] != "next-heartbeat" {
		t.Fatalf("job %v", job)
	}
	if sched := job["schedule"].(map[string]any); sched["kind"] != "at" || int64(sched["atMs"].(float64)) != start.Add(30*time.Minute).UnixMilli() {
		t.Fatalf("schedule %v", sched)
	}
	if st, _ := call(`{"action":"status"}`); st["jobs"].(float64) != 1 {
		t.Fatalf("status %v", st)
	}
	clk.Advance(29 * time.Minute)
	if ran := svc.RunDue(ctx); len(ran) != 0 {
		t.Fatal("fired early")
	}
	clk.Advance(time.Minute)
	if ran := svc.RunDue(ctx); len(ran) != 1 || ran[0] != id {
		t.Fatalf("ran %v", ran)
	}
	if len(run.events) != 1 || run.events[0] != "ops|Reminder: stretch" {
		t.Fatalf("fired %v", run.events)
	}
	if l, _ := call(`{"action":"list","includeDisabled":true}`); len(l["jobs"].([]any)) != 0 {
		t.Fatalf("deleteAfterRun job still listed: %v", l)
	}

	// An isolated job, updated, run by hand, its runs listed.
	iso, err := call(`{"action":"add","job":{"name":"Weather","schedule":{"kind":"cron","expr":"0 7 * * *","tz":"Europe/Vienna"},"payload":{"kind":"agentTurn","message":"Weather?","provider":"Telegram","to":"42"}}}`)
	if err != nil {
		t.Fatal(err)
	}
	iid := iso["id"].(string)
	if iso["payload"].(map[string]any)["channel"] != "telegram" {
		t.Fatalf("payload %v", iso["payload"])
	}
	if _, err := call(`{"action":"update","jobId":"` + iid + `","patch":{"schedule":{"expr":"30 6 * * *","tz":"Europe/Vienna"}}}`); err != nil {
		t.Fatal(err)
	}
	if r, err := call(`{"action":"run","id":"` + iid + `"}`); err != nil || r["ran"] != false {
		t.Fatalf("due-only run: %v %v", r, err)
	}
	if runs, err := call(`{"action":"runs","jobId":"` + iid + `"}`); err != nil || len(runs["entries"].([]any)) != 0 {
		t.Fatalf("runs %v %v", runs, err)
	}
	if r, err := call(`{"action":"remove","jobId":"` + iid + `"}`); err != nil || r["removed"] != true {
		t.Fatalf("remove %v %v", r, err)
	}

	// Errors are clear and change nothing.
	for _, bad := range []string{
		`{"action":"add"}`,
		`{"action":"add","job":{"name":"x","schedule":{"kind":"cron","expr":"99 * * * *"},"payload":{"kind":"systemEvent","text":"t"}}}`,
		`{"action":"add","job":{"name":"x","schedule":{"at":"tomorrow-ish"},"payload":{"kind":"systemEvent","text":"t"}}}`,
		`{"action":"update","patch":{"enabled":false}}`,
		`{"action":"run"}`,
		`{"action":"wake"}`,
	} {
		if _, err := call(bad); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
	if l, _ := call(`{"action":"list","includeDisabled":true}`); len(l["jobs"].([]any)) != 0 {
		t.Fatalf("bad input stored a job: %v", l)
	}

	if r, err := call(`{"action":"wake","text":"Deploy finished","mode":"now"}`); err != nil || r["ok"] != true {
		t.Fatal(r, err)
	}
	if r, _ := call(`{"action":"wake","text":"x"}`); r["ok"] != true || w.calls[1] != "next-heartbeat|x" {
		t.Fatalf("%v %v", r, w.calls)
	}
}

func TestParseAbsoluteTimeMs(t *testing.T) {
	for in, want := range map[string]int64{
		"1780000000000":             1780000000000,
		"2026-06-01":                time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC).UnixMilli(),
		"2026-06-01T09:30":          time.Date(2026, 6, 1, 9, 30, 0, 0, time.UTC).UnixMilli(),
		"2026-06-01T09:30:00+02:00": time.Date(2026, 6, 1, 7, 30, 0, 0, time.UTC).UnixMilli(),
		"2026-06-01T09:30:00.5Z":    time.Date(2026, 6, 1, 9, 30, 0, 5e8, time.UTC).UnixMilli(),
	} {
		got, err := parseAbsoluteTimeMs(in)
		if err != nil || got != want {
			t.Errorf("%s: %d %v, want %d", in, got, err, want)
		}
	}
}
