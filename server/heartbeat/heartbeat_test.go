package heartbeat

import (
	"context"
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

func TestStripToken(t *testing.T) {
	long := strings.Repeat("x", 301)
	tests := []struct {
		name string
		in   string
		mode Mode
		ack  int
		skip bool
		text string
		did  bool
	}{
		{"empty", "", ModeHeartbeat, 300, true, "", false},
		{"blank", "  \n ", ModeHeartbeat, 300, true, "", false},
		{"token alone", "HEARTBEAT_OK", ModeHeartbeat, 300, true, "", true},
		{"token alone message mode", "HEARTBEAT_OK", ModeMessage, 300, true, "", true},
		{"token at start short ack", "HEARTBEAT_OK all good", ModeHeartbeat, 300, true, "", true},
		{"token at end short ack", "Nothing new. HEARTBEAT_OK", ModeHeartbeat, 300, true, "", true},
		{"short ack kept in message mode", "HEARTBEAT_OK all good", ModeMessage, 300, false, "all good", true},
		{"long remainder delivered", "HEARTBEAT_OK " + long, ModeHeartbeat, 300, false, long, true},
		{"ack bound exact", "HEARTBEAT_OK " + strings.Repeat("y", 300), ModeHeartbeat, 300, true, "", true},
		{"ack zero delivers any text", "HEARTBEAT_OK hi", ModeHeartbeat, 0, false, "hi", true},
		{"token in the middle is content", "I said HEARTBEAT_OK yesterday", ModeHeartbeat, 300, false, "I said HEARTBEAT_OK yesterday", false},
		{"no token", "Your flight is delayed", ModeHeartbeat, 300, false, "Your flight is delayed", false},
		{"markdown bold", "**HEARTBEAT_OK**", ModeHeartbeat, 300, true, "", true},
		{"html", "<b>HEARTBEAT_OK</b>", ModeHeartbeat, 300, true, "", true},
		{"both edges", "HEARTBEAT_OK HEARTBEAT_OK", ModeHeartbeat, 300, true, "", true},
		{"whitespace collapsed", "HEARTBEAT_OK\n\nline one\n   line two", ModeMessage, 300, false, "line one line two", true},
		{"default ack", "HEARTBEAT_OK fine", ModeHeartbeat, -1, true, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := StripToken(tc.in, tc.mode, tc.ack)
			if r.ShouldSkip != tc.skip || r.Text != tc.text || r.DidStrip != tc.did {
				t.Fatalf("got %+v, want skip=%v text=%q did=%v", r, tc.skip, tc.text, tc.did)
			}
		})
	}
}

func TestEffectivelyEmpty(t *testing.T) {
	for in, want := range map[string]bool{
		"":                          true,
		"# Heartbeat\n\n## Tasks\n": true,
		"# Heartbeat\n- check mail": false,
		"#TODO call bank":           false,
	} {
		if got := EffectivelyEmpty(in); got != want {
			t.Errorf("%q: got %v", in, got)
		}
	}
}

func TestActiveHours(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tzdata")
	}
	night := ActiveHours{Start: "22:00", End: "06:00", Timezone: "Europe/Berlin"}
	day := ActiveHours{Start: "08:00", End: "24:00", Timezone: "Europe/Berlin"}
	at := func(h, m int) time.Time { return time.Date(2026, 3, 29, h, m, 0, 0, berlin) } // a DST day in Berlin
	tests := []struct {
		name string
		a    ActiveHours
		t    time.Time
		want bool
	}{
		{"across midnight late", night, at(23, 30), true},
		{"across midnight early", night, at(5, 59), true},
		{"across midnight end excluded", night, at(6, 0), false},
		{"across midnight midday", night, at(12, 0), false},
		{"start included", night, at(22, 0), true},
		{"until 24:00", day, at(23, 59), true},
		{"before start", day, at(7, 59), false},
		{"zone applies (UTC instant)", night, time.Date(2026, 6, 1, 20, 30, 0, 0, time.UTC), true}, // 22:30 CEST
		{"zone applies (UTC instant, outside)", night, time.Date(2026, 6, 1, 19, 30, 0, 0, time.UTC), false},
		{"user zone", ActiveHours{Start: "09:00", End: "17:00"}, time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC), true}, // 10:00 CEST
		{"invalid window always open", ActiveHours{Start: "25:00", End: "06:00"}, at(12, 0), true},
		{"empty window always open", ActiveHours{Start: "06:00", End: "06:00"}, at(12, 0), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.a.Contains(tc.t, berlin); got != tc.want {
				t.Fatalf("got %v", got)
			}
		})
	}
}

type fakeAgent struct {
	mu      sync.Mutex
	busy    bool
	replies [][]string
	err     error
	prompts []string
}

func (a *fakeAgent) Busy(string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.busy
}
func (a *fakeAgent) setBusy(b bool) { a.mu.Lock(); a.busy = b; a.mu.Unlock() }
func (a *fakeAgent) Turn(ctx context.Context, agentID, prompt string, _ TurnOptions) (Reply, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.prompts = append(a.prompts, prompt)
	if a.err != nil {
		return Reply{}, a.err
	}
	var r []string
	if len(a.replies) > 0 {
		r = a.replies[0]
		a.replies = a.replies[1:]
	}
	return Reply{Texts: r}, nil
}

type fakeDel struct {
	mu   sync.Mutex
	last *Route
	sent []string
}

func (d *fakeDel) LastRoute(context.Context, string) (Route, bool) {
	if d.last == nil {
		return Route{}, false
	}
	return *d.last, true
}
func (d *fakeDel) Send(ctx context.Context, r Route, text string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.sent = append(d.sent, r.Channel+"|"+r.To+"|"+text)
	return nil
}
func (d *fakeDel) count() int { d.mu.Lock(); defer d.mu.Unlock(); return len(d.sent) }

type evSink chan Event

func (s evSink) HeartbeatEvent(e Event) { s <- e }

var t0 = time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)

func newRunner(t *testing.T, cfg Config) (*Runner, *clock.Fake, *fakeAgent, *fakeDel, evSink) {
	t.Helper()
	clk := clock.NewFake(t0)
	ag := &fakeAgent{}
	del := &fakeDel{last: &Route{Channel: "telegram", To: "42"}}
	ev := make(evSink, 100)
	if cfg.AgentID == "" {
		cfg.AgentID = "main"
	}
	if cfg.Every == 0 {
		cfg.Every = DefaultEvery
	}
	r, err := New(Options{Clock: clk, Agent: ag, Deliverer: del, Events: ev, Agents: []Config{cfg},
		Logger: slog.New(slog.DiscardHandler), UserLocation: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	return r, clk, ag, del, ev
}

func TestRunOnceOutcomes(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		cfg    Config
		reply  []string
		status string
		reason string
		sent   []string
	}{
		{"ok token suppressed", Config{}, []string{"HEARTBEAT_OK"}, StatusOKToken, "test", nil},
		{"short ack suppressed", Config{}, []string{"All quiet. HEARTBEAT_OK"}, StatusOKToken, "test", nil},
		{"empty reply", Config{}, nil, StatusOKEmpty, "test", nil},
		{"content delivered to last route", Config{}, []string{"Your 3pm meeting moved to 4pm"}, StatusSent, "", []string{"telegram|42|Your 3pm meeting moved to 4pm"}},
		{"ack bound configurable", Config{AckMaxChars: ptr(5)}, []string{"HEARTBEAT_OK all good here"}, StatusSent, "", []string{"telegram|42|all good here"}},
		{"target none never delivers", Config{Target: "none"}, []string{"Something"}, StatusSkipped, "target-none", nil},
		{"explicit channel and to", Config{Target: "whatsapp", To: "+431"}, []string{"Hi"}, StatusSent, "", []string{"whatsapp|+431|Hi"}},
		{"reasoning included", Config{IncludeReasoning: true}, []string{"Reasoning: checked mail", "HEARTBEAT_OK"}, StatusSent, "", []string{"telegram|42|Reasoning: checked mail"}},
		{"reasoning not included by default", Config{}, []string{"Reasoning: checked mail", "HEARTBEAT_OK"}, StatusOKToken, "test", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, _, ag, del, ev := newRunner(t, tc.cfg)
			ag.replies = [][]string{tc.reply}
			res := r.RunOnce(ctx, "main", "test")
			if res.Status != "ran" {
				t.Fatalf("result %+v", res)
			}
			e := <-ev
			if e.Status != tc.status || e.Reason != tc.reason {
				t.Fatalf("event %+v", e)
			}
			if strings.Join(del.sent, ";") != strings.Join(tc.sent, ";") {
				t.Fatalf("sent %q want %q", del.sent, tc.sent)
			}
			if last := r.Last(); last == nil || last.Status != tc.status || last.Ts != t0.UnixMilli() {
				t.Fatalf("last %+v", last)
			}
			if !strings.Contains(ag.prompts[0], "HEARTBEAT.md") {
				t.Fatalf("prompt %q", ag.prompts[0])
			}
		})
	}
}

func TestSkips(t *testing.T) {
	ctx := context.Background()
	t.Run("busy", func(t *testing.T) {
		r, _, ag, _, _ := newRunner(t, Config{})
		ag.busy = true
		if res := r.RunOnce(ctx, "main", "x"); !res.Busy() {
			t.Fatalf("%+v", res)
		}
		if len(ag.prompts) != 0 {
			t.Fatal("turn ran while busy")
		}
	})
	t.Run("quiet hours", func(t *testing.T) {
		r, _, ag, _, _ := newRunner(t, Config{ActiveHours: &ActiveHours{Start: "22:00", End: "06:00", Timezone: "UTC"}})
		if res := r.RunOnce(ctx, "main", "x"); res.Reason != "quiet-hours" || len(ag.prompts) != 0 {
			t.Fatalf("%+v", res)
		}
	})
	t.Run("set-heartbeats off", func(t *testing.T) {
		r, _, ag, _, _ := newRunner(t, Config{})
		r.SetEnabled(false)
		if res := r.RunOnce(ctx, "main", "x"); res.Reason != "disabled" || len(ag.prompts) != 0 {
			t.Fatalf("%+v", res)
		}
		r.SetEnabled(true)
		if res := r.RunOnce(ctx, "main", "x"); res.Status != "ran" {
			t.Fatalf("%+v", res)
		}
	})
	t.Run("empty HEARTBEAT.md", func(t *testing.T) {
		dir := t.TempDir()
		_ = os.WriteFile(filepath.Join(dir, FileName), []byte("# Heartbeat\n\n"), 0o600)
		r, _, ag, _, ev := newRunner(t, Config{Workspace: dir})
		if res := r.RunOnce(ctx, "main", "x"); res.Reason != "empty-heartbeat-file" || len(ag.prompts) != 0 {
			t.Fatalf("%+v", res)
		}
		if e := <-ev; e.Status != StatusSkipped || e.Reason != "empty-heartbeat-file" {
			t.Fatalf("%+v", e)
		}
		// A queued note still runs the turn.
		r.Enqueue("main", "Backup finished")
		if res := r.RunOnce(ctx, "main", "x"); res.Status != "ran" || len(ag.prompts) != 1 {
			t.Fatalf("%+v", res)
		}
	})
	t.Run("duplicate within a day", func(t *testing.T) {
		r, clk, ag, del, _ := newRunner(t, Config{})
		ag.replies = [][]string{{"Pay rent"}, {"Pay rent"}, {"Pay rent"}}
		r.RunOnce(ctx, "main", "x")
		clk.Advance(time.Hour)
		r.RunOnce(ctx, "main", "x")
		if del.count() != 1 || r.Last().Reason != "duplicate" {
			t.Fatalf("sent %v last %+v", del.sent, r.Last())
		}
		clk.Advance(DuplicateWindow)
		r.RunOnce(ctx, "main", "x")
		if del.count() != 2 {
			t.Fatalf("sent %v", del.sent)
		}
	})
	t.Run("failure", func(t *testing.T) {
		r, _, ag, _, ev := newRunner(t, Config{})
		ag.err = errors.New("model down")
		if res := r.RunOnce(ctx, "main", "x"); res.Status != "failed" {
			t.Fatalf("%+v", res)
		}
		if e := <-ev; e.Status != StatusFailed || e.IndicatorType != "error" {
			t.Fatalf("%+v", e)
		}
	})
}

// waitEvent returns the next heartbeat event (the runner's loop runs on the fake clock).
func waitEvent(t *testing.T, ev evSink) Event {
	t.Helper()
	select {
	case e := <-ev:
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no heartbeat event")
	}
	return Event{}
}

func TestIntervalAndWake(t *testing.T) {
	ctx := context.Background()
	r, clk, ag, del, ev := newRunner(t, Config{Every: 30 * time.Minute})
	ag.replies = [][]string{{"HEARTBEAT_OK"}, {"Backup finished, 2 GB"}, {"HEARTBEAT_OK"}}
	r.Start(ctx)
	// Nothing before the interval.
	if r.Last() != nil {
		t.Fatal("ran at start")
	}
	clk.Advance(30 * time.Minute)
	if e := waitEvent(t, ev); e.Status != StatusOKToken {
		t.Fatalf("%+v", e)
	}
	// wake next-heartbeat: only queued; the next beat carries it.
	if !r.Wake("next-heartbeat", "Backup finished") {
		t.Fatal("wake refused")
	}
	if r.Wake("now", "   ") {
		t.Fatal("blank wake accepted")
	}
	clk.Advance(30 * time.Minute)
	e := waitEvent(t, ev)
	if e.Status != StatusSent || del.count() != 1 {
		t.Fatalf("%+v sent %v", e, del.sent)
	}
	ag.mu.Lock()
	p := ag.prompts[1]
	ag.mu.Unlock()
	if !strings.HasPrefix(p, "System: Backup finished\n\n") {
		t.Fatalf("prompt %q", p)
	}
	// wake now: runs without waiting for the interval; a busy session is retried.
	ag.setBusy(true)
	ag.mu.Lock()
	ag.replies = [][]string{{"New email from Alice: lunch?"}}
	ag.mu.Unlock()
	r.Wake("now", "New email from Alice")
	for clk.Pending() == 0 || !busyRetryArmed(r) {
		<-clk.Armed()
	}
	ag.setBusy(false)
	clk.Advance(BusyRetry)
	e = waitEvent(t, ev)
	if e.Status != StatusSent || del.count() != 2 || !strings.Contains(del.sent[1], "lunch?") {
		t.Fatalf("%+v sent %v", e, del.sent)
	}
}

func busyRetryArmed(r *Runner) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return !r.retryAt.IsZero()
}

func TestQueueBound(t *testing.T) {
	r, _, _, _, _ := newRunner(t, Config{})
	for i := 0; i < MaxQueuedEvents+5; i++ {
		r.Enqueue("main", strings.Repeat("e", i+1))
	}
	r.Enqueue("main", strings.Repeat("e", MaxQueuedEvents+5)) // consecutive duplicate
	if got := r.Drain("main"); len(got) != MaxQueuedEvents || got[0] != strings.Repeat("e", 6) {
		t.Fatalf("%d %q", len(got), got[0])
	}
}

func ptr[T any](v T) *T { return &v }

// TestSkippedBeatIsSpent: a beat skipped for quiet hours (or while switched off) moves
// the schedule on by one interval instead of firing again at once.
func TestSkippedBeatIsSpent(t *testing.T) {
	ctx := context.Background()
	r, clk, ag, _, _ := newRunner(t, Config{Every: 30 * time.Minute, ActiveHours: &ActiveHours{Start: "22:00", End: "06:00", Timezone: "UTC"}})
	r.Start(ctx)
	for i := 1; i <= 3; i++ {
		clk.Advance(30 * time.Minute)
		want := t0.Add(time.Duration(i+1) * 30 * time.Minute)
		for !nextDueIs(r, "main", want) {
			<-clk.Armed()
		}
	}
	if len(ag.prompts) != 0 {
		t.Fatal("ran in quiet hours")
	}
}

func nextDueIs(r *Runner, id string, want time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.agents[id].nextDue.Equal(want)
}
