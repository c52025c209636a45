package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/clock"
	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/envelope"
	"github.com/clawgate/gateway/server/gatewaytest"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// scriptedModel is an OpenAI-compatible streaming server whose answer depends on the
// last user message: a heartbeat with queued system notes answers "Reminder: <first
// note>", a heartbeat without notes "HEARTBEAT_OK", anything else "re: <message>"
// (a cron question gets a forecast). It records the prompts it saw.
type scriptedModel struct {
	srv     *httptest.Server
	mu      sync.Mutex
	prompts []string
}

func newScriptedModel(t *testing.T) *scriptedModel {
	t.Helper()
	m := &scriptedModel{}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Messages []struct{ Role, Content string }
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body.Messages) == 0 {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		last := body.Messages[len(body.Messages)-1].Content
		m.mu.Lock()
		m.prompts = append(m.prompts, last)
		m.mu.Unlock()
		var answer string
		switch {
		case strings.HasPrefix(last, "System: ") && strings.Contains(last, "silently"):
			answer = "NO_REPLY" // reply_e2e_test.go: a silent beat
		case strings.HasPrefix(last, "System: "):
			note, _, _ := strings.Cut(strings.TrimPrefix(last, "System: "), "\n")
			answer = "Reminder: " + note
			if strings.Contains(note, "chart") {
				answer += "\nMEDIA: ./" + scheduleChart // from the workspace (scheduleConfig)
			}
		case strings.Contains(last, "HEARTBEAT.md"):
			answer = "HEARTBEAT_OK"
		case strings.Contains(last, "Will it rain"):
			answer = "No rain today."
		default:
			answer = "re: " + envelope.Strip(last) // channel messages come with their envelope header
		}
		w.Header().Set("Content-Type", "text/event-stream")
		// Two deltas: the answer is assembled from a real stream.
		half := len(answer) / 2
		for _, part := range []string{answer[:half], answer[half:]} {
			b, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"index": 0, "delta": map[string]string{"content": part}}}})
			fmt.Fprintf(w, "data: %s\n\n", b)
		}
		fmt.Fprint(w, "data: [DONE]\n\n")
	}))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *scriptedModel) seen(substr string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, p := range m.prompts {
		if strings.Contains(p, substr) {
			n++
		}
	}
	return n
}

// scheduleChart is a picture in scheduleConfig's workspace, with these bytes.
const scheduleChart = "chart.png"

var scheduleChartBytes = pngBytes(40)

// scheduleConfig is a gateway with the scripted model, a Telegram bot on the test
// server, a 30-minute heartbeat and hot reloads; extra is spliced into the top level.
func scheduleConfig(t *testing.T, model *scriptedModel, bot *tgtest.Server, extra string) string {
	t.Helper()
	// A workspace whose HEARTBEAT.md has a task: with only the template's comments the
	// heartbeat skips its beats (as the original does), and the template is what the
	// agent's workspace set-up writes when the file is missing.
	ws := t.TempDir()
	if err := os.WriteFile(filepath.Join(ws, "HEARTBEAT.md"), []byte("# Heartbeat\n\n- Check the reminders.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ws, scheduleChart), scheduleChartBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(`{
  gateway: { mode: "local", reload: { mode: "hybrid", debounceMs: 50 } },
  models: { providers: { local: { baseUrl: %q, models: [] } } },
  agents: { defaults: { workspace: %q, model: { primary: "local/m" }, heartbeat: { every: "30m" } } },
  channels: { telegram: { botToken: %q, apiBaseUrl: %q, dmPolicy: "allowlist", allowFrom: ["42", "7"], streamMode: "off" } },
  %s
}`, model.srv.URL+"/v1", ws, bot.Token(), bot.URL(), extra)
}

// eventPayload waits for the next event named name and decodes its payload.
func eventPayload[T any](t *testing.T, c *gatewaytest.Client, name string) T {
	t.Helper()
	var v T
	f := c.NextEvent(name)
	if err := json.Unmarshal(f.Payload, &v); err != nil {
		t.Fatalf("%s event %s: %v", name, f.Payload, err)
	}
	return v
}

// cronFinished waits for the `cron` event that reports job's run as finished.
func cronFinished(t *testing.T, c *gatewaytest.Client, job string) protocol.CronEvent {
	t.Helper()
	for {
		ev := eventPayload[protocol.CronEvent](t, c, "cron")
		if ev.JobID == job && ev.Action == "finished" {
			return ev
		}
	}
}

func waitSent(t *testing.T, bot *tgtest.Server, n int) []tgtest.Sent {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	sent, err := bot.WaitSent(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	return sent
}

// TestScheduleEndToEnd runs the real daemon with a scripted model server and a
// Telegram Bot API test server, the heartbeat and cron timers on a fake clock: a
// heartbeat answering HEARTBEAT_OK delivers nothing; wake mode now runs a heartbeat
// whose answer is delivered to the last chat; a cron job added over the wire runs an
// isolated turn at its slot, delivers to the last chat, is announced by cron events
// and appears in cron.runs/list/status; after an in-process restart (SIGUSR1) the same
// job keeps running.
func TestScheduleEndToEnd(t *testing.T) {
	model := newScriptedModel(t)
	bot := tgtest.New(t, tgtest.DefaultToken)
	clk := clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	r := startClock(t, scheduleConfig(t, model, bot, ""), clk)
	c := r.client(t)

	// Before the first heartbeat last-heartbeat answers null (as the original).
	if f := c.Call("last-heartbeat", map[string]any{}); !f.OK || string(f.Payload) != "null" {
		t.Fatalf("last-heartbeat before any: %s", f.Raw)
	}
	// A chat sets the last route.
	bot.PushUpdate(42, 42, "hello")
	if sent := waitSent(t, bot, 1); sent[0].Text != "re: hello" || sent[0].ChatID != "42" {
		t.Fatalf("sent %+v", sent)
	}

	// The interval beat: HEARTBEAT_OK is suppressed.
	clk.Advance(30 * time.Minute)
	hb := eventPayload[protocol.HeartbeatEvent](t, c, "heartbeat")
	if hb.Status != protocol.HeartbeatEventStatusOkToken {
		t.Fatalf("heartbeat %+v", hb)
	}
	if n := len(bot.Sent()); n != 1 {
		t.Fatalf("HEARTBEAT_OK delivered: %+v", bot.Sent())
	}
	var last protocol.HeartbeatEvent
	c.MustOK("last-heartbeat", map[string]any{}, &last)
	if last.Status != protocol.HeartbeatEventStatusOkToken {
		t.Fatalf("last-heartbeat %+v", last)
	}

	// wake now: the note reaches a heartbeat at once, whose answer is delivered.
	var wr protocol.WakeResult
	c.MustOK("wake", map[string]any{"mode": "now", "text": "Call mom at 5"}, &wr)
	if !wr.Ok {
		t.Fatal("wake not ok")
	}
	hb = eventPayload[protocol.HeartbeatEvent](t, c, "heartbeat")
	if hb.Status != protocol.HeartbeatEventStatusSent || hb.GetTo() != "42" || hb.GetChannel() != "telegram" {
		t.Fatalf("heartbeat %+v", hb)
	}
	if sent := waitSent(t, bot, 2); sent[1].Text != "Reminder: Call mom at 5" || sent[1].ChatID != "42" {
		t.Fatalf("sent %+v", sent)
	}

	// A cron job over the wire: an isolated turn every 10 minutes, delivered to the last chat.
	var job protocol.CronJob
	c.MustOK("cron.add", map[string]any{"name": "Rain check", "schedule": map[string]any{"kind": "every", "everyMs": 600000},
		"payload": map[string]any{"kind": "agentTurn", "message": "Will it rain?", "deliver": true}}, &job)
	if f := c.Call("cron.add", map[string]any{"name": "x", "schedule": map[string]any{"kind": "hourly"}, "payload": map[string]any{"kind": "systemEvent", "text": "t"}}); f.OK {
		t.Fatal("bad schedule accepted")
	}
	clk.Advance(10 * time.Minute)
	ev := cronFinished(t, c, job.ID)
	if ev.Status == nil || *ev.Status != protocol.CronRunStatusOk || ev.GetSummary() != "No rain today." {
		t.Fatalf("cron event %+v", ev)
	}
	if sent := waitSent(t, bot, 3); sent[2].Text != "No rain today." || sent[2].ChatID != "42" {
		t.Fatalf("sent %+v", sent)
	}
	var runs protocol.CronRunsResult
	c.MustOK("cron.runs", map[string]any{"id": job.ID}, &runs)
	if len(runs.Entries) != 1 || runs.Entries[0].GetSummary() != "No rain today." {
		t.Fatalf("runs %+v", runs.Entries)
	}
	var list protocol.CronListResult
	c.MustOK("cron.list", map[string]any{}, &list)
	if len(list.Jobs) != 1 || list.Jobs[0].ID != job.ID {
		t.Fatalf("list %+v", list.Jobs)
	}
	var st protocol.CronStatusResult
	c.MustOK("cron.status", map[string]any{}, &st)
	if !st.Enabled || st.Jobs != 1 {
		t.Fatalf("status %+v", st)
	}
	if _, err := os.Stat(filepath.Join(r.home, "state", "cron", "jobs.json")); err != nil {
		t.Fatalf("job store: %v", err)
	}

	// SIGUSR1: the gateway restarts in process; the scheduler keeps its jobs and timers.
	r.restart <- struct{}{}
	expectShutdown(t, c, "gateway restarting", true)
	c = r.client(t)
	c.MustOK("cron.list", map[string]any{}, &list)
	if len(list.Jobs) != 1 {
		t.Fatalf("after restart: %+v", list.Jobs)
	}
	clk.Advance(10 * time.Minute)
	if ev := cronFinished(t, c, job.ID); ev.Status == nil || *ev.Status != protocol.CronRunStatusOk {
		t.Fatalf("cron event after restart %+v", ev)
	}
	if sent := waitSent(t, bot, 4); sent[3].Text != "No rain today." {
		t.Fatalf("sent %+v", sent)
	}
	c.MustOK("cron.runs", map[string]any{"id": job.ID}, &runs)
	if len(runs.Entries) != 2 {
		t.Fatalf("runs after restart %+v", runs.Entries)
	}
	if n := model.seen("Will it rain"); n != 2 {
		t.Fatalf("cron turns = %d, want 2 (one per slot)", n)
	}
}

// TestScheduleReload: a hot config reload applies cron.enabled (the service restarts
// with its jobs, disabled) and the heartbeat settings (every "0" turns the heartbeat
// off, so a wake note goes into the main session instead of a heartbeat).
func TestScheduleReload(t *testing.T) {
	model := newScriptedModel(t)
	bot := tgtest.New(t, tgtest.DefaultToken)
	clk := clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	cfg := scheduleConfig(t, model, bot, "")
	r := startClock(t, cfg, clk)
	c := r.client(t)
	var job protocol.CronJob
	c.MustOK("cron.add", map[string]any{"name": "Note", "schedule": map[string]any{"kind": "every", "everyMs": 600000},
		"payload": map[string]any{"kind": "systemEvent", "text": "stretch"}}, &job)
	var st protocol.CronStatusResult
	c.MustOK("cron.status", map[string]any{}, &st)
	if !st.Enabled {
		t.Fatalf("status %+v", st)
	}
	path := filepath.Join(r.home, "clawdbot.json")
	next := strings.Replace(cfg, `every: "30m"`, `every: "0"`, 1)
	next = strings.Replace(next, "\n}", "\n  cron: { enabled: false },\n}", 1)
	if err := os.WriteFile(path+".tmp", []byte(next), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatal(err)
	}
	r.waitOutput(t, "config reloaded (hot)")
	if !strings.Contains(r.out.String(), "heartbeat off for the main agent") {
		t.Fatalf("heartbeat not re-resolved:\n%s", r.out)
	}
	c.MustOK("cron.status", map[string]any{}, &st)
	if st.Enabled || st.Jobs != 1 {
		t.Fatalf("status after reload %+v", st)
	}
	// Without a heartbeat, wake now runs an undelivered turn that sees the note.
	var wr protocol.WakeResult
	c.MustOK("wake", map[string]any{"mode": "now", "text": "Check the oven"}, &wr)
	if !wr.Ok {
		t.Fatal("wake not ok")
	}
	for deadline := time.Now().Add(15 * time.Second); model.seen("Heartbeat: read the latest system notes") == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no wake turn")
		}
	}
	if len(bot.Sent()) != 0 {
		t.Fatalf("sent %+v", bot.Sent())
	}
}

// TestRemindersThroughHeartbeat: a main-session cron job with wakeMode "now" (the
// shape of a reminder) runs the heartbeat at its slot and the answer reaches the last
// chat; a system-event text waits for the next interval beat and is delivered by it;
// CLAWDBOT_SKIP_CRON is not set, so the scheduler is on.
func TestRemindersThroughHeartbeat(t *testing.T) {
	model := newScriptedModel(t)
	bot := tgtest.New(t, tgtest.DefaultToken)
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clk := clock.NewFake(t0)
	r := startClock(t, scheduleConfig(t, model, bot, ""), clk)
	c := r.client(t)
	bot.PushUpdate(7, 7, "hi")
	waitSent(t, bot, 1)

	var job protocol.CronJob
	c.MustOK("cron.add", map[string]any{"name": "pills", "sessionTarget": "main", "wakeMode": "now",
		"schedule": map[string]any{"kind": "at", "atMs": t0.Add(5 * time.Minute).UnixMilli()},
		"payload":  map[string]any{"kind": "systemEvent", "text": "Take the pills"}}, &job)
	clk.Advance(5 * time.Minute)
	if ev := cronFinished(t, c, job.ID); ev.Status == nil || *ev.Status != protocol.CronRunStatusOk {
		t.Fatalf("cron event %+v", ev)
	}
	if sent := waitSent(t, bot, 2); sent[1].Text != "Reminder: Take the pills" || sent[1].ChatID != "7" {
		t.Fatalf("sent %+v", sent)
	}
	var list protocol.CronListResult
	c.MustOK("cron.list", map[string]any{"includeDisabled": true}, &list)
	if len(list.Jobs) != 1 || list.Jobs[0].Enabled {
		t.Fatalf("one-shot still enabled: %+v", list.Jobs)
	}

	c.MustOK("system-event", map[string]any{"text": "Front door opened"}, nil)
	c.MustOK("system-event", map[string]any{"text": "Node: laptop (10.0.0.2)"}, nil)
	clk.Advance(30 * time.Minute)
	if sent := waitSent(t, bot, 3); sent[2].Text != "Reminder: Front door opened" {
		t.Fatalf("sent %+v", sent)
	}
	if model.seen("Node: laptop") != 0 {
		t.Fatal("a node presence line reached the model")
	}

	// A heartbeat answer naming a file in the workspace (MEDIA:) sends the file, the
	// text as its caption.
	c.MustOK("system-event", map[string]any{"text": "Send the chart"}, nil)
	clk.Advance(30 * time.Minute)
	if sent := waitSent(t, bot, 4); sent[3].Method != "sendPhoto" || sent[3].Caption != "Reminder: Send the chart" || string(sent[3].File) != string(scheduleChartBytes) {
		t.Fatalf("heartbeat media: %s caption %q, %d bytes", sent[3].Method, sent[3].Caption, len(sent[3].File))
	}
}

// TestScheduleKeysImplemented: the heartbeat and cron keys this gateway acts on (all of
// them, heartbeat.model included) are not listed as "accepted but not implemented".
func TestScheduleKeysImplemented(t *testing.T) {
	raw := `{
  agents: {
    defaults: { userTimezone: "Europe/Berlin", heartbeat: { every: "1h", target: "telegram", to: "42", prompt: "p", ackMaxChars: 10,
      includeReasoning: true, activeHours: { start: "08:00", end: "22:00", timezone: "user" }, model: "x/y" } },
    list: [ { id: "main", heartbeat: { every: "2h" } } ],
  },
  cron: { enabled: true, store: "~/jobs.json", maxConcurrentRuns: 2 },
}`
	f, err := config.ParseWith("", []byte(raw), config.MapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Unimplemented) != 0 {
		t.Fatalf("unimplemented = %v", f.Unimplemented)
	}
}

// TestHeartbeatSettings: which heartbeat the main agent gets from the config.
func TestHeartbeatSettings(t *testing.T) {
	const model = `models: { providers: { local: { baseUrl: "http://127.0.0.1:9/v1", models: [] } } }`
	for _, tc := range []struct {
		name, cfg string
		every     time.Duration // 0 = no heartbeat
		target    string
		workspace string // "" = the default (setup's) workspace
	}{
		{"no model", `{}`, 0, "", ""},
		{"default 30m", `{` + model + `, agents: { defaults: { model: { primary: "local/m" } } } }`, 30 * time.Minute, "", ""},
		{"defaults", `{` + model + `, agents: { defaults: { model: { primary: "local/m" }, workspace: "/srv/ws", heartbeat: { every: "2h", target: "none" } } } }`, 2 * time.Hour, "none", "/srv/ws"},
		{"off", `{` + model + `, agents: { defaults: { model: { primary: "local/m" }, heartbeat: { every: "0m" } } } }`, 0, "", ""},
		{"entry overrides", `{` + model + `, agents: { defaults: { model: { primary: "local/m" }, heartbeat: { every: "2h", target: "none" } },
			list: [ { id: "ops" }, { id: "home", default: true, heartbeat: { every: "45m" } } ] } }`, 45 * time.Minute, "none", ""},
		{"only another agent beats", `{` + model + `, agents: { defaults: { model: { primary: "local/m" } },
			list: [ { id: "home" }, { id: "ops", heartbeat: { every: "1h" } } ] } }`, 0, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := config.ParseWith("", []byte(tc.cfg), config.MapEnv(nil))
			if err != nil {
				t.Fatal(err)
			}
			c := &scheduleComponent{s: &services{log: slog.New(slog.DiscardHandler), file: f, paths: config.Paths{Workspace: "/home/u/clawd"}}}
			got, _ := c.heartbeatSettings(f)
			switch {
			case tc.every == 0 && len(got) != 0:
				t.Fatalf("got %+v, want none", got)
			case tc.every != 0 && (len(got) != 1 || got[0].Every != tc.every || got[0].Target != tc.target || got[0].AgentID != "main"):
				t.Fatalf("got %+v", got)
			}
			want := tc.workspace
			if want == "" {
				want = "/home/u/clawd"
			}
			if len(got) == 1 && got[0].Workspace != want {
				t.Fatalf("workspace %q, want %q", got[0].Workspace, want)
			}
		})
	}
}

// TestSkipCronEnv: CLAWDBOT_SKIP_CRON=1 keeps the scheduler off (jobs can still be
// added and listed) whatever cron.enabled says.
func TestSkipCronEnv(t *testing.T) {
	t.Setenv("CLAWDBOT_SKIP_CRON", "1")
	r := startClock(t, `{ gateway: { mode: "local" }, cron: { enabled: true } }`, clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)))
	c := r.client(t)
	c.MustOK("cron.add", map[string]any{"name": "n", "schedule": map[string]any{"kind": "every", "everyMs": 60000},
		"payload": map[string]any{"kind": "systemEvent", "text": "x"}}, nil)
	var st protocol.CronStatusResult
	c.MustOK("cron.status", map[string]any{}, &st)
	if st.Enabled || st.Jobs != 1 {
		t.Fatalf("status %+v", st)
	}
}

// TestCronStoreUnusable: a cron.store that cannot be created does not keep the gateway
// down; the cron methods answer UNAVAILABLE and the log names the problem.
func TestCronStoreUnusable(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := startClock(t, fmt.Sprintf(`{ gateway: { mode: "local" }, cron: { store: %q } }`, filepath.Join(blocker, "jobs.json")), nil)
	c := r.client(t)
	if f := c.Call("cron.status", map[string]any{}); f.OK || f.Error == nil || f.Error.Code != "UNAVAILABLE" {
		t.Fatalf("cron.status: %s", f.Raw)
	}
	r.waitOutput(t, "cron service not started")
}
