package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

func TestCronFlagsToParams(t *testing.T) {
	now := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		edit   bool
		args   []string
		want   string // JSON of params (add) or patch (edit)
		errHas string
	}{
		{"reminder in 20m", false, []string{"--name", "Stretch", "--at", "+20m", "--system-event", "Stand up", "--wake", "now", "--delete-after-run"},
			`{"deleteAfterRun":true,"name":"Stretch","payload":{"kind":"systemEvent","text":"Stand up"},"schedule":{"atMs":1780302000000,"kind":"at"},"wakeMode":"now"}`, ""},
		{"briefing", false, []string{"--name", "Briefing", "--cron", "0 7 * * *", "--tz", "Europe/Vienna", "--message", "Summarize", "--deliver", "--channel", "telegram", "--to", "42",
			"--model", "openai/gpt-5", "--timeout-seconds", "120", "--session", "isolated", "--post-mode", "full", "--post-max-chars", "500"},
			`{"isolation":{"postToMainMaxChars":500,"postToMainMode":"full"},"name":"Briefing","payload":{"channel":"telegram","deliver":true,"kind":"agentTurn","message":"Summarize","model":"openai/gpt-5","timeoutSeconds":120,"to":"42"},"schedule":{"expr":"0 7 * * *","kind":"cron","tz":"Europe/Vienna"},"sessionTarget":"isolated"}`, ""},
		{"every day disabled", false, []string{"--name", "x", "--every", "1d", "--system-event", "t", "--disabled"},
			`{"enabled":false,"name":"x","payload":{"kind":"systemEvent","text":"t"},"schedule":{"everyMs":86400000,"kind":"every"}}`, ""},
		{"iso at", false, []string{"--name", "x", "--at", "2026-06-01T09:30:00+02:00", "--system-event", "t"},
			`{"name":"x","payload":{"kind":"systemEvent","text":"t"},"schedule":{"atMs":1780299000000,"kind":"at"}}`, ""},
		{"no name", false, []string{"--every", "1h", "--system-event", "t"}, "", "--name"},
		{"two schedules", false, []string{"--name", "x", "--every", "1h", "--cron", "* * * * *", "--system-event", "t"}, "", "one schedule"},
		{"two payloads", false, []string{"--name", "x", "--every", "1h", "--system-event", "t", "--message", "m"}, "", "one payload"},
		{"bad duration", false, []string{"--name", "x", "--every", "soon", "--system-event", "t"}, "", "invalid duration"},
		{"edit enable and model", true, []string{"--enable", "--model", "m2"}, `{"enabled":true,"payload":{"kind":"agentTurn","model":"m2"}}`, ""},
		{"edit clear agent, no deliver", true, []string{"--clear-agent", "--no-deliver", "--keep-after-run"}, `{"agentId":"","deleteAfterRun":false,"payload":{"deliver":false,"kind":"agentTurn"}}`, ""},
		{"edit schedule", true, []string{"--cron", "30 6 * * 1-5", "--tz", "UTC", "--name", "Weekdays"}, `{"name":"Weekdays","schedule":{"expr":"30 6 * * 1-5","kind":"cron","tz":"UTC"}}`, ""},
		{"edit nothing", true, nil, "", "nothing to change"},
		{"edit conflicting", true, []string{"--enable", "--disable"}, "", "exclude"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The commands' own flag set: register binds the flags to f.
			cmd := &cobra.Command{}
			f := &cronJobFlags{}
			f.register(cmd.Flags(), tc.edit)
			if err := cmd.ParseFlags(tc.args); err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			var err error
			if tc.edit {
				got, err = f.editPatch(cmd.Flags().Changed, now)
			} else {
				got, err = f.addParams(cmd.Flags().Changed, now)
			}
			if tc.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("want error with %q, got %v", tc.errHas, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(got)
			if string(b) != tc.want {
				t.Fatalf("got  %s\nwant %s", b, tc.want)
			}
			// What the CLI sends passes the gateway's schema.
			ref, payload := "methods/cron.add.json#/$defs/params", b
			if tc.edit {
				ref = "methods/cron.update.json#/$defs/params"
				payload, _ = json.Marshal(map[string]any{"id": "j1", "patch": got})
			}
			if err, ok := protocol.Validate(ref, payload); !ok || err != nil {
				t.Fatalf("schema rejects %s: %v", payload, err)
			}
		})
	}
}

func TestCronCommandsRegistered(t *testing.T) {
	root := newRoot()
	for _, name := range []string{"status", "list", "add", "edit", "rm", "enable", "disable", "run", "runs"} {
		if c, _, err := root.Find([]string{"cron", name}); err != nil || c.Name() != name {
			t.Errorf("clawdbot cron %s: %v", name, err)
		}
	}
}

// TestCronCLIEndToEnd: through the real binary, `clawdbot cron add` schedules a
// one-shot agent job a second ahead (real clock: the wait is bounded by the Bot API
// server's WaitSent, not a sleep); the gateway runs it in an isolated session on the
// streaming model server, delivers the answer through the Telegram test server, and
// `cron runs` / `cron list` / `cron status` show it.
func TestCronCLIEndToEnd(t *testing.T) {
	bot := tgtest.New(t, tgtest.DefaultToken)
	bot.AddChat(7)
	up := echoLLM(t)
	cfg := fmt.Sprintf(`{
		gateway: { mode: "local" },
		channels: { telegram: { botToken: %q, apiBaseUrl: %q } },
		models: { providers: { local: { baseUrl: %q, models: [] } } },
		agents: { defaults: { model: { primary: "local/m1" } } },
	}`, tgtest.DefaultToken, bot.URL(), up.URL+"/v1")
	p := startProcConfig(t, cfg)
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(binary, args...)
		cmd.Env = append(os.Environ(), "HOME="+p.home, "CLAWDBOT_STATE_DIR="+filepath.Join(p.home, "state"),
			"CLAWDBOT_CONFIG_PATH="+filepath.Join(p.home, "clawdbot.json"), fmt.Sprintf("CLAWDBOT_GATEWAY_PORT=%d", p.port))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	c := goClient(ctx, t, p.port, false)
	defer c.Close()
	events, stop := c.Subscribe("cron")
	defer stop()
	var job struct {
		ID string `json:"id"`
	}
	out := run("cron", "add", "--name", "rain", "--at", "+1s", "--message", "Will it rain?", "--deliver", "--channel", "telegram", "--to", "7", "--json")
	if err := json.Unmarshal([]byte(out), &job); err != nil || job.ID == "" {
		t.Fatalf("cron add: %v\n%s", err, out)
	}
	// The `cron` event "finished" comes once the run is recorded (after delivery).
	for finished := false; !finished; {
		select {
		case ev := <-events:
			var ce protocol.CronEvent
			if err := json.Unmarshal(ev.Payload, &ce); err != nil {
				t.Fatal(err)
			}
			finished = ce.JobID == job.ID && ce.Action == protocol.CronEventActionFinished
		case <-ctx.Done():
			t.Fatalf("no finished event\n%s", p.out.String())
		}
	}
	// An isolated cron turn's prompt is the original's: "[cron:<id> <name>] <message>"
	// and the current time.
	cronSaid := "you said: [cron:" + job.ID + " rain] Will it rain?\nCurrent time: "
	if sent := bot.Sent(); len(sent) != 1 || sent[0].ChatID != "7" || !strings.HasPrefix(sent[0].Text, cronSaid) {
		t.Fatalf("sent %+v", sent)
	}
	var runs struct {
		Entries []struct {
			Status  string `json:"status"`
			Summary string `json:"summary"`
		} `json:"entries"`
	}
	if err := json.Unmarshal([]byte(run("cron", "runs", "--id", job.ID, "--json")), &runs); err != nil {
		t.Fatal(err)
	}
	if len(runs.Entries) != 1 || runs.Entries[0].Status != "ok" || !strings.HasPrefix(runs.Entries[0].Summary, cronSaid) {
		t.Fatalf("runs %+v", runs.Entries)
	}
	if out := run("cron", "list", "--all"); !strings.Contains(out, job.ID) || !strings.Contains(out, "disabled") {
		t.Fatalf("cron list --all:\n%s", out)
	}
	if out := run("cron", "status", "--json"); !strings.Contains(out, `"enabled": true`) {
		t.Fatalf("cron status:\n%s", out)
	}
}
