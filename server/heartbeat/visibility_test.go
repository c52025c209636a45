package heartbeat

import (
	"context"
	"strings"
	"testing"
)

// TestVisibility: channels.<id>.heartbeat as the original applies it — showOk sends
// HEARTBEAT_OK to the chat (the beat is then not silent), showAlerts false keeps a
// report off the chat, useIndicator false drops indicatorType, and all three off
// skips the beat before the agent runs. The route's channel and account are asked.
func TestVisibility(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name        string
		vis         Visibility
		reply       string
		status      string
		reason      string
		sent        string
		silent      *bool
		indicator   string
		agentCalled bool
	}{
		{"default ok is silent", DefaultVisibility, "HEARTBEAT_OK", StatusOKToken, "test", "", ptr(true), "ok", true},
		{"showOk sends the token", Visibility{ShowOk: true, ShowAlerts: true, UseIndicator: true}, "HEARTBEAT_OK", StatusOKToken, "test", "telegram|42|HEARTBEAT_OK", ptr(false), "ok", true},
		{"showOk on an empty reply", Visibility{ShowOk: true}, "", StatusOKEmpty, "test", "telegram|42|HEARTBEAT_OK", ptr(false), "", true},
		{"alerts hidden", Visibility{UseIndicator: true}, "Disk almost full", StatusSkipped, "alerts-disabled", "", nil, "alert", true},
		{"no indicator", Visibility{ShowAlerts: true}, "Disk almost full", StatusSent, "", "telegram|42|Disk almost full", nil, "", true},
		{"all off", Visibility{}, "Disk almost full", StatusSkipped, "alerts-disabled", "", nil, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _, ag, del, ev := newRunner(t, Config{})
			del.last.AccountID = "work"
			var asked []string
			r.o.Visibility = func(channel, account string) Visibility {
				asked = append(asked, channel+"/"+account)
				return tc.vis
			}
			ag.replies = [][]string{{tc.reply}}
			r.RunOnce(ctx, "main", "test")
			e := <-ev
			if e.Status != tc.status || e.Reason != tc.reason || e.IndicatorType != tc.indicator {
				t.Fatalf("event %+v", e)
			}
			if (tc.silent == nil) != (e.Silent == nil) || tc.silent != nil && *tc.silent != *e.Silent {
				t.Fatalf("silent %v, want %v", e.Silent, tc.silent)
			}
			if got := strings.Join(del.sent, ";"); got != tc.sent {
				t.Fatalf("sent %q, want %q", got, tc.sent)
			}
			if (len(ag.prompts) > 0) != tc.agentCalled {
				t.Fatalf("agent ran: %d turns", len(ag.prompts))
			}
			if len(asked) != 1 || asked[0] != "telegram/work" {
				t.Fatalf("visibility asked for %q", asked)
			}
		})
	}
}
