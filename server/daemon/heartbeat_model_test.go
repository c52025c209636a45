package daemon

import (
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/clock"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// TestHeartbeatModelAndSession: agents.defaults.heartbeat.model sends the heartbeat turn
// to that model (another provider's server) instead of the agent's, and
// heartbeat.session runs it in agent:main:<session> instead of the main session; a
// chat still goes to the agent's model.
func TestHeartbeatModelAndSession(t *testing.T) {
	model := newScriptedModel(t)
	hbModel := newScriptedModel(t)
	bot := tgtest.New(t, tgtest.DefaultToken)
	clk := clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	cfg := scheduleConfig(t, model, bot, "")
	cfg = strings.Replace(cfg, `models: [] } } },`, `models: [] }, cheap: { baseUrl: "`+hbModel.srv.URL+`/v1", models: [] } } },`, 1)
	cfg = strings.Replace(cfg, `heartbeat: { every: "30m" }`, `heartbeat: { every: "30m", model: "cheap/hb-model", session: "ops" }`, 1)
	r := startClock(t, cfg, clk)
	c := r.client(t)

	clk.Advance(30 * time.Minute)
	if hb := eventPayload[protocol.HeartbeatEvent](t, c, "heartbeat"); hb.Status != protocol.HeartbeatEventStatusOkToken {
		t.Fatalf("heartbeat %+v", hb)
	}
	if n := hbModel.seen("HEARTBEAT.md"); n != 1 {
		t.Fatalf("heartbeat model saw %d heartbeat prompts, want 1", n)
	}
	if n := model.seen("HEARTBEAT.md"); n != 0 {
		t.Fatalf("the agent's model saw %d heartbeat prompts, want 0", n)
	}
	var list protocol.SessionsListResult
	c.MustOK("sessions.list", map[string]any{}, &list)
	var keys []string
	for _, s := range list.Sessions {
		keys = append(keys, s.Key)
	}
	if !strings.Contains(strings.Join(keys, ","), "agent:main:ops") {
		t.Fatalf("no heartbeat session agent:main:ops in %v", keys)
	}
	if strings.Contains(strings.Join(keys, ","), "agent:main:main") {
		t.Fatalf("the heartbeat ran in the main session: %v", keys)
	}

	// A chat still uses the agent's model.
	bot.PushUpdate(42, 42, "hello")
	if sent := waitSent(t, bot, 1); sent[0].Text != "re: hello" {
		t.Fatalf("sent %+v", sent)
	}
	if model.seen("hello") == 0 || hbModel.seen("hello") != 0 {
		t.Fatal("the chat did not go to the agent's model")
	}
}

// TestHeartbeatSession: heartbeat.session resolves as in the original.
func TestHeartbeatSession(t *testing.T) {
	const main = "agent:main:main"
	for _, tc := range []struct{ main, raw, want string }{
		{main, "", main},
		{main, " Main ", main},
		{main, "global", main},
		{main, "ops", "agent:main:ops"},
		{main, "agent:main:ops", "agent:main:ops"},
		{main, "agent:other:ops", main},
		{"agent:main:home", "agent:main:main", "agent:main:home"},
		{"global", "ops", "global"},
	} {
		if got := heartbeatSession(tc.main, tc.raw); got != tc.want {
			t.Errorf("heartbeatSession(%q, %q) = %q, want %q", tc.main, tc.raw, got, tc.want)
		}
	}
}
