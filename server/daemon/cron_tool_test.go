package daemon

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/clock"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// TestAgentCronToolReminderFires: a person asks the agent on Telegram for a reminder;
// the model answers with a call of the cron tool, the job lands in the scheduler, and
// when the fake clock reaches its slot the heartbeat turn sees the note and the
// reminder is delivered to the same chat.
func TestAgentCronToolReminderFires(t *testing.T) {
	home := t.TempDir()
	bot := tgtest.New(t, tgtest.DefaultToken)
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clk := clock.NewFake(t0)
	add := fmt.Sprintf(`{"action":"add","job":{"name":"pills","schedule":{"kind":"at","atMs":%d},"sessionTarget":"main","wakeMode":"now","payload":{"kind":"systemEvent","text":"Take the pills"}}}`,
		t0.Add(5*time.Minute).UnixMilli())
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
		// The chat turn (its session holds the request), then the heartbeat turn in the
		// main session, which sees the reminder's note.
		switch {
		case n == 0:
			return fakeStep{calls: []fakeCall{{"c1", "cron", add}}}
		case bytes.Contains(body, []byte("remind me")):
			return fakeStep{text: "Reminder set for 09:05."}
		case bytes.Contains(body, []byte("Take the pills")):
			return fakeStep{text: "Time to take the pills"}
		default:
			return fakeStep{text: "HEARTBEAT_OK"}
		}
	})
	extra := fmt.Sprintf(`channels: {telegram: {botToken: %q, apiBaseUrl: %q, dmPolicy: "allowlist", allowFrom: ["42"], streamMode: "off"}},`,
		tgtest.DefaultToken, bot.URL())
	cfg := strings.Replace(agentConfigWith(filepath.Join(home, "ws"), model, nil, extra),
		`model: {primary: "fake/m1"`, `heartbeat: {every: "30m"}, model: {primary: "fake/m1"`, 1)
	r := startHome(t, home, cfg, clk)
	c := r.client(t)

	bot.PushUpdate(42, 42, "remind me in 5 minutes to take my pills")
	if sent := waitSent(t, bot, 1); sent[0].Text != "Reminder set for 09:05." || sent[0].ChatID != "42" {
		t.Fatalf("sent %+v", sent)
	}
	var list protocol.CronListResult
	c.MustOK("cron.list", map[string]any{}, &list)
	if len(list.Jobs) != 1 || list.Jobs[0].Name != "pills" {
		t.Fatalf("the cron tool did not add the job: %+v", list.Jobs)
	}
	if !bytes.Contains(model.requests()[0], []byte(`"name":"cron"`)) {
		t.Fatal("the cron tool was not offered to the model")
	}
	clk.Advance(5 * time.Minute)
	if ev := cronFinished(t, c, list.Jobs[0].ID); ev.Status == nil || *ev.Status != protocol.CronRunStatusOk {
		t.Fatalf("cron event %+v", ev)
	}
	if sent := waitSent(t, bot, 2); sent[1].Text != "Time to take the pills" || sent[1].ChatID != "42" {
		t.Fatalf("sent %+v", sent)
	}
}
