package daemon

import (
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/clock"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// TestTelegramHeartbeatVisibility: channels.telegram.heartbeat.showOk true sends
// HEARTBEAT_OK to the chat (the event is not silent); the default account's
// heartbeat.useIndicator false drops the events' indicatorType, and its showAlerts
// false keeps a beat's message from the chat (event skipped, "alerts-disabled").
// Without the keys the OK stays silent and the reminder is delivered.
func TestTelegramHeartbeatVisibility(t *testing.T) {
	model := newScriptedModel(t)
	bot := tgtest.New(t, tgtest.DefaultToken)
	clk := clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	cfg := scheduleConfig(t, model, bot, "")
	cfg = strings.Replace(cfg, `streamMode: "off" }`, `streamMode: "off", heartbeat: { showOk: true, showAlerts: true },
    accounts: { default: { heartbeat: { showAlerts: false, useIndicator: false } } } }`, 1)
	r := startClock(t, cfg, clk)
	c := r.client(t)
	bot.PushUpdate(42, 42, "hello")
	waitSent(t, bot, 1)

	clk.Advance(30 * time.Minute)
	hb := eventPayload[protocol.HeartbeatEvent](t, c, "heartbeat")
	if hb.Status != protocol.HeartbeatEventStatusOkToken || hb.Silent == nil || *hb.Silent || hb.IndicatorType != nil {
		t.Fatalf("heartbeat %+v", hb)
	}
	if sent := waitSent(t, bot, 2); sent[1].Text != "HEARTBEAT_OK" || sent[1].ChatID != "42" {
		t.Fatalf("sent %+v", sent)
	}

	c.MustOK("wake", map[string]any{"mode": "now", "text": "Call mom at 5"}, nil)
	hb = eventPayload[protocol.HeartbeatEvent](t, c, "heartbeat")
	if hb.Status != protocol.HeartbeatEventStatusSkipped || hb.GetReason() != "alerts-disabled" || hb.IndicatorType != nil {
		t.Fatalf("heartbeat %+v", hb)
	}
	if n := model.seen("Call mom at 5"); n != 1 {
		t.Fatalf("the beat ran %d times, want 1", n)
	}
	if sent := bot.Sent(); len(sent) != 2 {
		t.Fatalf("alert delivered: %+v", sent)
	}
}
