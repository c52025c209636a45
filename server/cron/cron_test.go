package cron

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/clock"
)

// fakeRunner records what runs asked for; RunAgentTurn answers from turn (or blocks on
// gate when set).
type fakeRunner struct {
	mu        sync.Mutex
	events    []string
	requests  []string
	turns     []string
	heartbeat []HeartbeatResult
	hbCalls   int
	reply     []string
	turnErr   error
	gate      chan struct{}
	entered   chan string
}

func (f *fakeRunner) EnqueueSystemEvent(ctx context.Context, agentID, text string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, agentID+"|"+text)
	return nil
}
func (f *fakeRunner) RequestHeartbeat(agentID, reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, reason)
}
func (f *fakeRunner) RunHeartbeat(ctx context.Context, agentID, reason string) (HeartbeatResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hbCalls++
	if len(f.heartbeat) == 0 {
		return HeartbeatResult{Status: "ran"}, nil
	}
	r := f.heartbeat[0]
	if len(f.heartbeat) > 1 {
		f.heartbeat = f.heartbeat[1:]
	}
	return r, nil
}
func (f *fakeRunner) RunAgentTurn(ctx context.Context, job Job) (TurnResult, error) {
	f.mu.Lock()
	f.turns = append(f.turns, job.ID)
	gate, entered := f.gate, f.entered
	reply, err := f.reply, f.turnErr
	f.mu.Unlock()
	if entered != nil {
		entered <- job.ID
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return TurnResult{}, ctx.Err()
		}
	}
	return TurnResult{Texts: reply}, err
}
func (f *fakeRunner) turnCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.turns)
}

type fakeDeliverer struct {
	mu   sync.Mutex
	sent []Delivery
	err  error
}

func (d *fakeDeliverer) Deliver(ctx context.Context, x Delivery) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return d.err
	}
	d.sent = append(d.sent, x)
	return nil
}

type sink struct{ c chan Event }

func (s sink) CronEvent(e Event) { s.c <- e }

type env struct {
	clk  *clock.Fake
	run  *fakeRunner
	del  *fakeDeliverer
	ev   chan Event
	svc  *Service
	path string
}

var t0 = time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)

func newEnv(t *testing.T, mod func(*Options)) *env { t.Helper(); return newEnvAt(t, t0, mod) }

func newEnvAt(t *testing.T, start time.Time, mod func(*Options)) *env {
	t.Helper()
	e := &env{clk: clock.NewFake(start), run: &fakeRunner{reply: []string{"done"}}, del: &fakeDeliverer{}, ev: make(chan Event, 1000)}
	if e.path == "" {
		e.path = StorePath(t.TempDir())
	}
	o := Options{Logger: slog.New(slog.DiscardHandler), StorePath: e.path, Clock: e.clk, Runner: e.run, Deliverer: e.del, Events: sink{e.ev}, Location: time.UTC}
	if mod != nil {
		mod(&o)
	}
	e.path = o.StorePath
	svc, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	t.Cleanup(svc.Stop)
	return e
}

func (e *env) waitFinished(t *testing.T, id string) Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-e.ev:
			if ev.Action == "finished" && (id == "" || ev.JobID == id) {
				return ev
			}
		case <-timeout:
			t.Fatalf("no finished event for %q", id)
		}
	}
}

func TestNextRun(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	at := func(y int, mo time.Month, d, h, mi int, loc *time.Location) time.Time {
		return time.Date(y, mo, d, h, mi, 0, 0, loc)
	}
	tests := []struct {
		name string
		s    Schedule
		now  time.Time
		want time.Time // zero: none
	}{
		{"at ahead", Schedule{Kind: KindAt, AtMs: t0.Add(time.Hour).UnixMilli()}, t0, t0.Add(time.Hour)},
		{"at passed", Schedule{Kind: KindAt, AtMs: t0.Add(-time.Hour).UnixMilli()}, t0, time.Time{}},
		{"every from anchor", Schedule{Kind: KindEvery, EveryMs: 60_000, AnchorMs: ptr(t0.UnixMilli())}, t0.Add(90 * time.Second), t0.Add(2 * time.Minute)},
		{"every on a slot goes to the next", Schedule{Kind: KindEvery, EveryMs: 60_000, AnchorMs: ptr(t0.UnixMilli())}, t0.Add(time.Minute), t0.Add(2 * time.Minute)},
		{"every before anchor", Schedule{Kind: KindEvery, EveryMs: 60_000, AnchorMs: ptr(t0.Add(time.Hour).UnixMilli())}, t0, t0.Add(time.Hour)},
		{"every without anchor", Schedule{Kind: KindEvery, EveryMs: 60_000}, t0, t0.Add(time.Minute)},
		{"cron 5 fields utc", Schedule{Kind: KindCron, Expr: "0 9 * * *"}, t0, at(2026, 6, 1, 9, 0, time.UTC)},
		{"cron 6 fields seconds", Schedule{Kind: KindCron, Expr: "30 0 9 * * *"}, t0, at(2026, 6, 1, 9, 0, time.UTC).Add(30 * time.Second)},
		{"cron descriptor", Schedule{Kind: KindCron, Expr: "@daily"}, t0, at(2026, 6, 2, 0, 0, time.UTC)},
		{"cron tz", Schedule{Kind: KindCron, Expr: "0 9 * * *", Tz: "America/New_York"}, t0, at(2026, 6, 1, 9, 0, ny)},
		{"dst spring: 9:00 keeps local time", Schedule{Kind: KindCron, Expr: "0 9 * * *", Tz: "America/New_York"}, at(2026, 3, 7, 12, 0, ny), at(2026, 3, 8, 9, 0, ny)},
		{"dst spring: gap time runs at the jump", Schedule{Kind: KindCron, Expr: "30 2 * * *", Tz: "America/New_York"}, at(2026, 3, 7, 12, 0, ny), at(2026, 3, 8, 3, 0, ny)},
		{"dst spring: after the jump, next day", Schedule{Kind: KindCron, Expr: "30 2 * * *", Tz: "America/New_York"}, at(2026, 3, 8, 3, 0, ny), at(2026, 3, 9, 2, 30, ny)},
		{"dst fall: repeated time runs once (first)", Schedule{Kind: KindCron, Expr: "30 1 * * *", Tz: "America/New_York"}, at(2026, 10, 31, 12, 0, ny), time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC)},
		{"dst fall: not again an hour later", Schedule{Kind: KindCron, Expr: "30 1 * * *", Tz: "America/New_York"}, time.Date(2026, 11, 1, 5, 30, 1, 0, time.UTC), at(2026, 11, 2, 1, 30, ny)},
		{"dst fall: hourly jobs run in both hours", Schedule{Kind: KindCron, Expr: "30 * * * *", Tz: "America/New_York"}, time.Date(2026, 11, 1, 5, 30, 1, 0, time.UTC), time.Date(2026, 11, 1, 6, 30, 0, 0, time.UTC)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := NextRun(tc.s, tc.now, time.UTC)
			if tc.want.IsZero() {
				if ok {
					t.Fatalf("want none, got %v", got)
				}
				return
			}
			if !ok || !got.Equal(tc.want) {
				t.Fatalf("got %v (%v), want %v", got, ok, tc.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	bad := []Create{
		{Name: "", Schedule: Schedule{Kind: KindAt, AtMs: 1}, Payload: Payload{Kind: PayloadSystemEvent, Text: "x"}},
		{Name: "x", Schedule: Schedule{Kind: KindCron, Expr: "not a cron"}, Payload: Payload{Kind: PayloadSystemEvent, Text: "x"}},
		{Name: "x", Schedule: Schedule{Kind: KindCron, Expr: "0 9 * * *", Tz: "Mars/Olympus"}, Payload: Payload{Kind: PayloadSystemEvent, Text: "x"}},
		{Name: "x", Schedule: Schedule{Kind: KindCron, Expr: "CRON_TZ=UTC 0 9 * * *"}, Payload: Payload{Kind: PayloadSystemEvent, Text: "x"}},
		{Name: "x", Schedule: Schedule{Kind: KindEvery}, Payload: Payload{Kind: PayloadSystemEvent, Text: "x"}},
		{Name: "x", Schedule: Schedule{Kind: KindAt, AtMs: 1}, SessionTarget: TargetMain, Payload: Payload{Kind: PayloadAgentTurn, Message: "x"}},
		{Name: "x", Schedule: Schedule{Kind: KindAt, AtMs: 1}, SessionTarget: TargetIsolated, Payload: Payload{Kind: PayloadSystemEvent, Text: "x"}},
		{Name: "x", Schedule: Schedule{Kind: KindAt, AtMs: 1}, Payload: Payload{Kind: PayloadSystemEvent, Text: "  "}},
		{Name: strings.Repeat("n", MaxNameChars+1), Schedule: Schedule{Kind: KindAt, AtMs: 1}, Payload: Payload{Kind: PayloadSystemEvent, Text: "x"}},
	}
	for i, c := range bad {
		if _, err := e.svc.Add(ctx, c); !errors.Is(err, ErrInvalid) {
			t.Errorf("case %d: want ErrInvalid, got %v", i, err)
		}
	}
	if jobs, _ := e.svc.List(ctx, true); len(jobs) != 0 {
		t.Fatalf("rejected jobs were stored: %d", len(jobs))
	}
	j, err := e.svc.Add(ctx, Create{Name: "ok", Schedule: Schedule{Kind: KindEvery, EveryMs: 1000}, Payload: Payload{Kind: PayloadAgentTurn, Message: "hi"}})
	if err != nil {
		t.Fatal(err)
	}
	if j.SessionTarget != TargetIsolated || j.WakeMode != WakeNextHeartbeat || j.Schedule.AnchorMs == nil || *j.Schedule.AnchorMs != t0.UnixMilli() {
		t.Fatalf("defaults not applied: %+v", j)
	}
	// A patch that makes the job invalid changes nothing.
	if _, err := e.svc.Update(ctx, j.ID, Patch{SessionTarget: ptr(TargetMain)}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("want ErrInvalid, got %v", err)
	}
	got, _ := e.svc.Get(ctx, j.ID)
	if got.SessionTarget != TargetIsolated {
		t.Fatal("failed patch changed the job")
	}
	if _, err := e.svc.Update(ctx, "nope", Patch{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("want ErrNotFound, got %v", err)
	}
}

func TestMaxJobs(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.MaxJobs = 2 })
	ctx := context.Background()
	c := Create{Name: "x", Schedule: Schedule{Kind: KindEvery, EveryMs: 1000}, Payload: Payload{Kind: PayloadSystemEvent, Text: "x"}}
	for i := 0; i < 2; i++ {
		if _, err := e.svc.Add(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.Add(ctx, c); !errors.Is(err, ErrLimit) {
		t.Fatalf("want ErrLimit, got %v", err)
	}
}

// originalJobs is a jobs.json as the original writes it (JSON.stringify(store, null, 2)
// of its CronStoreFile), with a legacy `provider` key and a job without a name.
const originalJobs = `{
  "version": 1,
  "jobs": [
    {
      "id": "0b6f1c2e-3d4a-4b5c-8d9e-0f1a2b3c4d5e",
      "agentId": "main",
      "name": "Morning briefing",
      "description": "weather and calendar",
      "enabled": true,
      "createdAtMs": 1780000000000,
      "updatedAtMs": 1780000000000,
      "schedule": {
        "kind": "cron",
        "expr": "0 7 * * *",
        "tz": "Europe/Vienna"
      },
      "sessionTarget": "isolated",
      "wakeMode": "now",
      "payload": {
        "kind": "agentTurn",
        "message": "Summarize today's calendar",
        "model": "anthropic/claude-sonnet-4",
        "thinking": "low",
        "timeoutSeconds": 120,
        "deliver": true,
        "provider": "Telegram",
        "to": "123456789",
        "bestEffortDeliver": false
      },
      "isolation": {
        "postToMainPrefix": "Briefing",
        "postToMainMode": "full",
        "postToMainMaxChars": 500
      },
      "state": {
        "nextRunAtMs": 1780030800000,
        "lastRunAtMs": 1779944400000,
        "lastStatus": "ok",
        "lastDurationMs": 5321
      }
    },
    {
      "id": "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d",
      "enabled": true,
      "deleteAfterRun": true,
      "createdAtMs": 1780000000000,
      "updatedAtMs": 1780000000000,
      "schedule": {
        "kind": "at",
        "atMs": 1780000600000
      },
      "sessionTarget": "main",
      "wakeMode": "next-heartbeat",
      "payload": {
        "kind": "systemEvent",
        "text": "Reminder: call mom\nsecond line"
      },
      "state": {}
    }
  ]
}
`

func TestStoreOriginalFormat(t *testing.T) {
	dir := t.TempDir()
	p := StorePath(dir)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(originalJobs), 0o644); err != nil {
		t.Fatal(err)
	}
	f, changed, err := LoadStore(p)
	if err != nil {
		t.Fatal(err)
	}
	if !changed || len(f.Jobs) != 2 {
		t.Fatalf("changed=%v jobs=%d", changed, len(f.Jobs))
	}
	a, b := f.Jobs[0], f.Jobs[1]
	if a.Payload.Channel != "telegram" || a.Payload.TimeoutSeconds != 120 || a.Schedule.Tz != "Europe/Vienna" ||
		a.Isolation == nil || a.Isolation.PostToMainMode != "full" || *a.State.LastDurationMs != 5321 || a.State.LastStatus != StatusOK {
		t.Fatalf("job a: %+v", a)
	}
	if b.Name != "Reminder: call mom" || b.DeleteAfterRun == nil || !*b.DeleteAfterRun || b.Schedule.AtMs != 1780000600000 {
		t.Fatalf("job b: %+v", b)
	}
	if err := SaveStore(p, f); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(p)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
	raw, _ := os.ReadFile(p)
	if strings.Contains(string(raw), "provider") || !strings.Contains(string(raw), `"channel": "telegram"`) {
		t.Fatalf("saved form: %s", raw)
	}
	// The written file has the original's field names, so its loader reads it back.
	var generic struct {
		Version int              `json:"version"`
		Jobs    []map[string]any `json:"jobs"`
	}
	if err := json.Unmarshal(raw, &generic); err != nil || generic.Version != 1 {
		t.Fatal(err, generic.Version)
	}
	for _, k := range []string{"id", "name", "enabled", "createdAtMs", "updatedAtMs", "schedule", "sessionTarget", "wakeMode", "payload", "state"} {
		if _, ok := generic.Jobs[0][k]; !ok {
			t.Errorf("saved job lacks %q", k)
		}
	}
	f2, changed2, err := LoadStore(p)
	if err != nil || changed2 {
		t.Fatal(err, changed2)
	}
	r1, _ := json.Marshal(f)
	r2, _ := json.Marshal(f2)
	if string(r1) != string(r2) {
		t.Fatalf("round trip differs:\n%s\n%s", r1, r2)
	}
}

func TestOriginalStoreLoadsAndRuns(t *testing.T) {
	dir := t.TempDir()
	p := StorePath(dir)
	_ = os.MkdirAll(filepath.Dir(p), 0o700)
	if err := os.WriteFile(p, []byte(originalJobs), 0o600); err != nil {
		t.Fatal(err)
	}
	e := newEnvAt(t, time.UnixMilli(1780000000000), func(o *Options) { o.StorePath = p })
	ctx := context.Background()
	if err := e.svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	// The one-shot is due 10 minutes later; the briefing at 07:00 Vienna.
	e.clk.Set(time.UnixMilli(1780000600000))
	ev := e.waitFinished(t, "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d")
	if ev.Status != StatusOK {
		t.Fatalf("event %+v", ev)
	}
	e.run.mu.Lock()
	got := append([]string(nil), e.run.events...)
	e.run.mu.Unlock()
	if len(got) != 1 || got[0] != "|Reminder: call mom\nsecond line" {
		t.Fatalf("system events %q", got)
	}
	// deleteAfterRun: gone from the store.
	jobs, _ := e.svc.List(ctx, true)
	if len(jobs) != 1 {
		t.Fatalf("jobs after one-shot: %d", len(jobs))
	}
}

func TestMissedWhileDown(t *testing.T) {
	for _, policy := range []string{MissedRunOnce, MissedRunSkip} {
		t.Run(policy, func(t *testing.T) {
			dir := t.TempDir()
			p := StorePath(dir)
			// An hourly job last planned for 5 hours ago; a one-shot for 3 hours ago.
			f := StoreFile{Version: 1, Jobs: []Job{
				{ID: "hourly", Name: "h", Enabled: true, Schedule: Schedule{Kind: KindEvery, EveryMs: 3600_000, AnchorMs: ptr(t0.Add(-10 * time.Hour).UnixMilli())},
					SessionTarget: TargetMain, WakeMode: WakeNextHeartbeat, Payload: Payload{Kind: PayloadSystemEvent, Text: "tick"},
					State: State{NextRunAtMs: ptr(t0.Add(-5 * time.Hour).UnixMilli())}},
				{ID: "once", Name: "o", Enabled: true, Schedule: Schedule{Kind: KindAt, AtMs: t0.Add(-3 * time.Hour).UnixMilli()},
					SessionTarget: TargetMain, WakeMode: WakeNextHeartbeat, Payload: Payload{Kind: PayloadSystemEvent, Text: "once"},
					State: State{NextRunAtMs: ptr(t0.Add(-3 * time.Hour).UnixMilli())}},
			}}
			if err := SaveStore(p, f); err != nil {
				t.Fatal(err)
			}
			e := newEnv(t, func(o *Options) { o.StorePath = p; o.MissedRuns = policy; o.Disabled = true })
			ctx := context.Background()
			if err := e.svc.Start(ctx); err != nil {
				t.Fatal(err)
			}
			ran := e.svc.RunDue(ctx)
			want := map[string]bool{"once": true, "hourly": policy == MissedRunOnce}
			got := map[string]bool{}
			for _, id := range ran {
				got[id] = true
			}
			for id, w := range want {
				if got[id] != w {
					t.Errorf("%s ran=%v want %v (ran %v)", id, got[id], w, ran)
				}
			}
			if again := e.svc.RunDue(ctx); len(again) != 0 {
				t.Fatalf("ran again: %v", again)
			}
			j, _ := e.svc.Get(ctx, "hourly")
			if next := time.UnixMilli(*j.State.NextRunAtMs); !next.Equal(t0.Add(time.Hour)) {
				t.Fatalf("next %v want %v", next, t0.Add(time.Hour))
			}
		})
	}
}

func TestInterruptedRunIsNotRepeated(t *testing.T) {
	// The state a kill -9 leaves between claiming the slot and finishing the run.
	dir := t.TempDir()
	p := StorePath(dir)
	slot := t0.Add(-time.Minute).UnixMilli()
	f := StoreFile{Version: 1, Jobs: []Job{
		{ID: "remind", Name: "r", Enabled: true, Schedule: Schedule{Kind: KindAt, AtMs: slot},
			SessionTarget: TargetIsolated, WakeMode: WakeNextHeartbeat, Payload: Payload{Kind: PayloadAgentTurn, Message: "m", To: "42"},
			State: State{NextRunAtMs: ptr(slot), RunningAtMs: ptr(slot)}},
		{ID: "daily", Name: "d", Enabled: true, Schedule: Schedule{Kind: KindCron, Expr: "59 7 * * *"},
			SessionTarget: TargetIsolated, WakeMode: WakeNextHeartbeat, Payload: Payload{Kind: PayloadAgentTurn, Message: "m"},
			State: State{NextRunAtMs: ptr(slot), RunningAtMs: ptr(slot)}},
	}}
	if err := SaveStore(p, f); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(o *Options) { o.StorePath = p; o.Disabled = true })
	ctx := context.Background()
	if err := e.svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if ran := e.svc.RunDue(ctx); len(ran) != 0 {
		t.Fatalf("interrupted slots ran again: %v", ran)
	}
	j, _ := e.svc.Get(ctx, "remind")
	if j.Enabled || j.State.RunningAtMs != nil || j.State.LastStatus != StatusError || !strings.Contains(j.State.LastError, "interrupted") {
		t.Fatalf("one-shot after restart: %+v", j)
	}
	d, _ := e.svc.Get(ctx, "daily")
	if d.State.NextRunAtMs == nil || *d.State.NextRunAtMs != time.Date(2026, 6, 2, 7, 59, 0, 0, time.UTC).UnixMilli() {
		t.Fatalf("daily next %v", d.State.NextRunAtMs)
	}
	runs, _ := e.svc.Runs(ctx, "remind", 0)
	if len(runs) != 1 || runs[0].Status != StatusError {
		t.Fatalf("run log %+v", runs)
	}
	// The claim is on disk before the run starts: a run in progress is visible in the file.
	e2 := newEnv(t, func(o *Options) { o.Disabled = true })
	e2.run.gate = make(chan struct{})
	e2.run.entered = make(chan string, 1)
	j2, _ := e2.svc.Add(ctx, Create{Name: "x", Schedule: Schedule{Kind: KindAt, AtMs: t0.UnixMilli()}, Payload: Payload{Kind: PayloadAgentTurn, Message: "m"}})
	if err := e2.svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { e2.svc.RunDue(ctx); close(done) }()
	<-e2.run.entered
	onDisk, _, _ := LoadStore(e2.path)
	if onDisk.Jobs[0].ID != j2.ID || onDisk.Jobs[0].State.RunningAtMs == nil {
		t.Fatalf("claim not on disk: %+v", onDisk.Jobs[0].State)
	}
	close(e2.run.gate)
	<-done
}

func TestNoConcurrentDoubleRun(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Disabled = true; o.MaxConcurrentRuns = 4 })
	e.run.gate = make(chan struct{})
	e.run.entered = make(chan string, 4)
	ctx := context.Background()
	if err := e.svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	j, _ := e.svc.Add(ctx, Create{Name: "x", Schedule: Schedule{Kind: KindEvery, EveryMs: 1000}, Payload: Payload{Kind: PayloadAgentTurn, Message: "m"}})
	e.clk.Advance(time.Second)
	done := make(chan []string)
	go func() { done <- e.svc.RunDue(ctx) }()
	<-e.run.entered
	// Still running: the slot passes again, a forced run and another tick do nothing.
	e.clk.Advance(5 * time.Second)
	if r, err := e.svc.Run(ctx, j.ID, true); err != nil || r.Ran || r.Reason != "already-running" {
		t.Fatalf("forced run while running: %+v %v", r, err)
	}
	if ids, _ := e.svc.startDue(ctx); len(ids) != 0 {
		t.Fatalf("started again: %v", ids)
	}
	close(e.run.gate)
	if ids := <-done; len(ids) != 1 {
		t.Fatalf("ran %v", ids)
	}
	if n := e.run.turnCount(); n != 1 {
		t.Fatalf("turns %d", n)
	}
	got, _ := e.svc.Get(ctx, j.ID)
	if got.State.RunningAtMs != nil || *got.State.NextRunAtMs != t0.Add(7*time.Second).UnixMilli() {
		t.Fatalf("state after run: %+v next=%v", got.State, time.UnixMilli(*got.State.NextRunAtMs))
	}
}

func TestOneShots(t *testing.T) {
	ctx := context.Background()
	t.Run("deleteAfterRun", func(t *testing.T) {
		e := newEnv(t, func(o *Options) { o.Disabled = true })
		j, _ := e.svc.Add(ctx, Create{Name: "x", DeleteAfterRun: ptr(true), Schedule: Schedule{Kind: KindAt, AtMs: t0.Add(time.Minute).UnixMilli()}, Payload: Payload{Kind: PayloadSystemEvent, Text: "t"}})
		_ = e.svc.Start(ctx)
		if r, _ := e.svc.Run(ctx, j.ID, false); r.Ran || r.Reason != "not-due" {
			t.Fatalf("ran early: %+v", r)
		}
		e.clk.Advance(time.Minute)
		if ids := e.svc.RunDue(ctx); len(ids) != 1 {
			t.Fatal(ids)
		}
		if _, err := e.svc.Get(ctx, j.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("not deleted: %v", err)
		}
		var actions []string
		for len(e.ev) > 0 {
			actions = append(actions, (<-e.ev).Action)
		}
		if strings.Join(actions, ",") != "added,started,finished,removed" {
			t.Fatalf("events %v", actions)
		}
	})
	t.Run("disabled after success", func(t *testing.T) {
		e := newEnv(t, func(o *Options) { o.Disabled = true })
		j, _ := e.svc.Add(ctx, Create{Name: "x", Schedule: Schedule{Kind: KindAt, AtMs: t0.UnixMilli()}, Payload: Payload{Kind: PayloadSystemEvent, Text: "t"}})
		_ = e.svc.Start(ctx)
		e.svc.RunDue(ctx)
		got, _ := e.svc.Get(ctx, j.ID)
		if got.Enabled || got.State.NextRunAtMs != nil || got.State.LastStatus != StatusOK {
			t.Fatalf("%+v", got)
		}
	})
	t.Run("failed one-shot retries then stops", func(t *testing.T) {
		e := newEnv(t, func(o *Options) { o.Disabled = true })
		e.run.turnErr = errors.New("model down")
		j, _ := e.svc.Add(ctx, Create{Name: "x", Schedule: Schedule{Kind: KindAt, AtMs: t0.UnixMilli()}, Payload: Payload{Kind: PayloadAgentTurn, Message: "m"}})
		_ = e.svc.Start(ctx)
		for i := 0; i < MaxOneShotAttempts; i++ {
			if ids := e.svc.RunDue(ctx); len(ids) != 1 {
				t.Fatalf("attempt %d ran %v", i, ids)
			}
			if ids := e.svc.RunDue(ctx); len(ids) != 0 {
				t.Fatalf("attempt %d: retried without delay", i)
			}
			e.clk.Advance(OneShotRetryDelay)
		}
		got, _ := e.svc.Get(ctx, j.ID)
		if got.Enabled || got.State.LastStatus != StatusError || got.State.LastError != "model down" {
			t.Fatalf("%+v", got)
		}
		if ids := e.svc.RunDue(ctx); len(ids) != 0 {
			t.Fatal("ran after the last attempt")
		}
	})
}

func TestDelivery(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		payload Payload
		reply   []string
		delErr  error
		status  string
		sent    []string
	}{
		{"auto with to", Payload{Kind: PayloadAgentTurn, Message: "m", To: "42", Channel: "telegram"}, []string{"Rain at 5"}, nil, StatusOK, []string{"telegram|42|Rain at 5"}},
		{"auto without to", Payload{Kind: PayloadAgentTurn, Message: "m"}, []string{"Rain"}, nil, StatusOK, nil},
		{"explicit to last", Payload{Kind: PayloadAgentTurn, Message: "m", Deliver: ptr(true)}, []string{"Rain"}, nil, StatusOK, []string{"last||Rain"}},
		{"off", Payload{Kind: PayloadAgentTurn, Message: "m", To: "42", Deliver: ptr(false)}, []string{"Rain"}, nil, StatusOK, nil},
		{"heartbeat ack only", Payload{Kind: PayloadAgentTurn, Message: "m", To: "42"}, []string{"HEARTBEAT_OK"}, nil, StatusOK, nil},
		{"no target", Payload{Kind: PayloadAgentTurn, Message: "m", Deliver: ptr(true)}, []string{"Rain"}, ErrNoTarget, StatusError, nil},
		{"no target best effort", Payload{Kind: PayloadAgentTurn, Message: "m", Deliver: ptr(true), BestEffortDeliver: ptr(true)}, []string{"Rain"}, ErrNoTarget, StatusSkipped, nil},
		{"send fails", Payload{Kind: PayloadAgentTurn, Message: "m", To: "42"}, []string{"Rain"}, errors.New("blocked"), StatusError, nil},
		{"send fails best effort", Payload{Kind: PayloadAgentTurn, Message: "m", To: "42", BestEffortDeliver: ptr(true)}, []string{"Rain"}, errors.New("blocked"), StatusOK, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(o *Options) { o.Disabled = true })
			e.run.reply = tc.reply
			e.del.err = tc.delErr
			j, err := e.svc.Add(ctx, Create{Name: "x", Schedule: Schedule{Kind: KindEvery, EveryMs: 60000}, Payload: tc.payload})
			if err != nil {
				t.Fatal(err)
			}
			if r, err := e.svc.Run(ctx, j.ID, true); err != nil || !r.Ran {
				t.Fatal(r, err)
			}
			got, _ := e.svc.Get(ctx, j.ID)
			if got.State.LastStatus != tc.status {
				t.Fatalf("status %q (%s), want %q", got.State.LastStatus, got.State.LastError, tc.status)
			}
			var sent []string
			for _, d := range e.del.sent {
				sent = append(sent, d.Channel+"|"+d.To+"|"+d.Text)
			}
			if strings.Join(sent, ";") != strings.Join(tc.sent, ";") {
				t.Fatalf("sent %q want %q", sent, tc.sent)
			}
			// The isolated result is posted back to the main session.
			e.run.mu.Lock()
			posted := e.run.events
			e.run.mu.Unlock()
			if len(posted) != 1 || !strings.HasPrefix(posted[0], "|Cron") {
				t.Fatalf("posted %q", posted)
			}
		})
	}
}

func TestMainJobWakeNowWaitsWhileBusy(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, func(o *Options) { o.Disabled = true; o.MainBusyWait = time.Second })
	e.run.heartbeat = []HeartbeatResult{{Status: "skipped", Reason: "requests-in-flight", Busy: true}, {Status: "ran"}}
	j, _ := e.svc.Add(ctx, Create{Name: "x", WakeMode: WakeNow, Schedule: Schedule{Kind: KindEvery, EveryMs: 60000}, Payload: Payload{Kind: PayloadSystemEvent, Text: "ping"}})
	done := make(chan RunResult)
	go func() { r, _ := e.svc.Run(ctx, j.ID, true); done <- r }()
	// The run waits on a clock timer for the retry: move the fake time.
	for e.clk.Pending() == 0 {
		<-e.clk.Armed()
	}
	e.clk.Advance(MainBusyRetry)
	<-done
	got, _ := e.svc.Get(ctx, j.ID)
	if got.State.LastStatus != StatusOK || e.run.hbCalls != 2 {
		t.Fatalf("status %q calls %d", got.State.LastStatus, e.run.hbCalls)
	}
}

func TestRunTimeout(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, func(o *Options) { o.Disabled = true; o.RunTimeout = 20 * time.Millisecond })
	e.run.gate = make(chan struct{}) // never opened: the turn ends only by the timeout
	j, _ := e.svc.Add(ctx, Create{Name: "x", Schedule: Schedule{Kind: KindEvery, EveryMs: 60000}, Payload: Payload{Kind: PayloadAgentTurn, Message: "m"}})
	if _, err := e.svc.Run(ctx, j.ID, true); err != nil {
		t.Fatal(err)
	}
	got, _ := e.svc.Get(ctx, j.ID)
	if got.State.LastStatus != StatusError || !strings.Contains(got.State.LastError, "timed out") {
		t.Fatalf("%+v", got.State)
	}
}

func TestRunLogBound(t *testing.T) {
	dir := t.TempDir()
	rl := RunLog{StorePath: StorePath(dir), MaxBytes: 2000, KeepLines: 10}
	for i := 0; i < 100; i++ {
		if err := rl.Append(RunLogEntry{Ts: int64(i + 1), JobID: "j1", Status: StatusOK, Summary: strings.Repeat("s", 50)}); err != nil {
			t.Fatal(err)
		}
		p, _ := RunLogPath(rl.StorePath, "j1")
		if fi, _ := os.Stat(p); fi.Size() > 2000+200 {
			t.Fatalf("log grew to %d", fi.Size())
		}
	}
	got, err := rl.Read("j1", 0)
	if err != nil {
		t.Fatal(err)
	}
	// Pruned to KeepLines when past MaxBytes, then growing again up to MaxBytes.
	if len(got) < 10 || len(got) > 2000/100 || got[len(got)-1].Ts != 100 {
		t.Fatalf("kept %d, last %+v", len(got), got[len(got)-1])
	}
	if two, _ := rl.Read("j1", 2); len(two) != 2 || two[0].Ts != 99 {
		t.Fatalf("limit: %+v", two)
	}
	// A huge summary is cut to MaxSummaryChars.
	_ = rl.Append(RunLogEntry{Ts: 101, JobID: "j1", Summary: strings.Repeat("x", 3*MaxSummaryChars)})
	last, _ := rl.Read("j1", 1)
	if n := len([]rune(last[0].Summary)); n > MaxSummaryChars {
		t.Fatalf("summary %d runes", n)
	}
	if _, err := RunLogPath(rl.StorePath, "../../etc/passwd"); err == nil {
		t.Fatal("path escape accepted")
	}
}

func TestCorruptStoreMovedAside(t *testing.T) {
	dir := t.TempDir()
	p := StorePath(dir)
	_ = os.MkdirAll(filepath.Dir(p), 0o700)
	_ = os.WriteFile(p, []byte("{ not json"), 0o600)
	e := newEnv(t, func(o *Options) { o.StorePath = p; o.Disabled = true })
	if err := e.svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	m, _ := filepath.Glob(p + ".corrupt-*")
	if len(m) != 1 {
		t.Fatalf("corrupt file not kept: %v", m)
	}
	if b, _ := os.ReadFile(m[0]); string(b) != "{ not json" {
		t.Fatal("corrupt content changed")
	}
}

func TestTimerLoop(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	if err := e.svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	j, err := e.svc.Add(ctx, Create{Name: "x", Schedule: Schedule{Kind: KindCron, Expr: "*/5 * * * *"}, Payload: Payload{Kind: PayloadSystemEvent, Text: "tick"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		e.clk.Advance(5 * time.Minute)
		ev := e.waitFinished(t, j.ID)
		if want := t0.Add(time.Duration(i) * 5 * time.Minute).UnixMilli(); *ev.RunAtMs != want {
			t.Fatalf("run %d at %v want %v", i, time.UnixMilli(*ev.RunAtMs), time.UnixMilli(want))
		}
	}
	runs, _ := e.svc.Runs(ctx, j.ID, 10)
	if len(runs) != 3 {
		t.Fatalf("runs %d", len(runs))
	}
	st, _ := e.svc.Status(ctx)
	if !st.Enabled || st.Jobs != 1 || st.NextWakeAtMs == nil {
		t.Fatalf("status %+v", st)
	}
	if ok, _ := e.svc.Remove(ctx, j.ID); !ok {
		t.Fatal("remove")
	}
	if ok, _ := e.svc.Remove(ctx, j.ID); ok {
		t.Fatal("removed twice")
	}
}
