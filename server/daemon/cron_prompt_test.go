package daemon

import (
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/clock"
	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/cron"
)

// TestCronPromptTimeFormat: an isolated cron turn's prompt names the job and ends with
// the user's current time in agents.defaults.userTimezone and timeFormat.
func TestCronPromptTimeFormat(t *testing.T) {
	if _, err := time.LoadLocation("Europe/Berlin"); err != nil {
		t.Skip("no tzdata:", err)
	}
	clk := clock.NewFake(time.Date(2026, 3, 2, 14, 30, 0, 0, time.UTC))
	for _, tc := range []struct{ cfg, want string }{
		{`{agents: {defaults: {userTimezone: "Europe/Berlin", timeFormat: "24"}}}`, "Current time: Monday, March 2nd, 2026 — 15:30 (Europe/Berlin)"},
		{`{agents: {defaults: {userTimezone: "Europe/Berlin", timeFormat: "12"}}}`, "Current time: Monday, March 2nd, 2026 — 3:30 PM (Europe/Berlin)"},
		{`{agents: {defaults: {userTimezone: "Europe/Berlin"}}}`, "Current time: Monday, March 2nd, 2026 — 3:30 PM (Europe/Berlin)"},
	} {
		f, err := config.Parse("clawdbot.json", []byte(tc.cfg))
		if err != nil {
			t.Fatal(err)
		}
		c := &scheduleComponent{clk: clk}
		c.setUserTime(f, userLocation(&f.Config, slog.New(slog.DiscardHandler)))
		got := c.cronPrompt(cron.Job{ID: "j1", Name: "Rain check", Payload: cron.Payload{Message: "Will it rain?"}})
		if want := "[cron:j1 Rain check] Will it rain?\n" + tc.want; got != want {
			t.Errorf("%s:\n got %q\nwant %q", tc.cfg, got, want)
		}
		if !strings.HasPrefix(got, "[cron:j1") {
			t.Errorf("prompt %q", got)
		}
	}
}

// TestEnvelopeConfigUserClock: the runtime's live settings carry the user's zone and
// agents.defaults.timeFormat (session_status's time line).
func TestEnvelopeConfigUserClock(t *testing.T) {
	if _, err := time.LoadLocation("Europe/Berlin"); err != nil {
		t.Skip("no tzdata:", err)
	}
	f, err := config.Parse("clawdbot.json", []byte(`{agents: {defaults: {userTimezone: "Europe/Berlin", timeFormat: "24"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	var cur atomic.Pointer[config.File]
	cur.Store(f)
	o := envelopeConfig(&cur, slog.New(slog.DiscardHandler))()
	if o.TimeFormat != "24" || o.UserLocation == nil || o.UserLocation.String() != "Europe/Berlin" {
		t.Fatalf("got format %q zone %v", o.TimeFormat, o.UserLocation)
	}
}
