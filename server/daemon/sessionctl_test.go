package daemon

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSessionControls: through daemon.Run and a real WebSocket, sessions.patch of the
// model changes the model the fake provider is asked for on the next turn (and null
// goes back to the default); a thinking level reaches an Anthropic-protocol model as
// its thinking budget; bad values are refused; preview, resolve, compact and
// chat.inject answer in the original's shapes.
func TestSessionControls(t *testing.T) {
	for _, api := range []string{"openai-completions", "anthropic-messages"} {
		t.Run(api, func(t *testing.T) {
			home := t.TempDir()
			ws := filepath.Join(home, "ws")
			if err := os.MkdirAll(ws, 0o700); err != nil {
				t.Fatal(err)
			}
			model := newFakeModel(t, api, func(n int, body []byte) fakeStep { return fakeStep{text: "answer " + string(rune('A'+n))} })
			r := startHome(t, home, agentConfig(ws, model, nil), nil)
			c := r.client(t)
			modelOf := func(i int) (string, map[string]any) {
				var req struct {
					Model    string
					Thinking map[string]any
				}
				if err := json.Unmarshal(model.requests()[i], &req); err != nil {
					t.Fatal(err)
				}
				return req.Model, req.Thinking
			}

			runChat(t, c, "r1", "first", nil)
			if m, th := modelOf(0); m != "m1" || th != nil {
				t.Fatalf("default turn: model %q thinking %v", m, th)
			}

			var patched struct {
				Ok    bool
				Key   string
				Path  string
				Entry map[string]any
			}
			c.MustOK("sessions.patch", map[string]any{"key": "main", "model": "fake/m2", "thinkingLevel": "ultrathink", "label": "home",
				"verboseLevel": "on", "reasoningLevel": "stream", "sendPolicy": "allow", "elevatedLevel": nil}, &patched)
			if !patched.Ok || patched.Key != "agent:main:main" || patched.Entry["model"] != "fake/m2" || patched.Entry["thinkingLevel"] != "high" ||
				patched.Entry["label"] != "home" || patched.Entry["verboseLevel"] != "on" || patched.Entry["reasoningLevel"] != "stream" || patched.Entry["sendPolicy"] != "allow" {
				t.Fatalf("patch result %+v", patched)
			}
			runChat(t, c, "r2", "second", nil)
			m, th := modelOf(1)
			if m != "m2" {
				t.Fatalf("after patch the model asked is %q, want m2", m)
			}
			if api == "anthropic-messages" && (th == nil || th["budget_tokens"] != float64(32768)) {
				t.Fatalf("thinking not sent to the anthropic model: %v", th)
			}

			// Refusals: unknown provider, bad levels, unsupported controls; nothing changes.
			for _, bad := range []map[string]any{
				{"key": "main", "model": "nope/x"},
				{"key": "main", "thinkingLevel": "enormous"},
				{"key": "main", "reasoningLevel": "loud"},
				{"key": "main", "sendPolicy": "maybe"},
				{"key": "main", "elevatedLevel": "sometimes"},
				{"key": "main", "execHost": "node"},
				{"key": "main", "label": strings.Repeat("x", 65)},
				{"key": "main", "model": 5},
				{"key": "other", "label": "home"},
			} {
				if f := c.Call("sessions.patch", bad); f.OK || f.Error == nil || f.Error.Code != "INVALID_REQUEST" {
					t.Errorf("patch %v: %s", bad, f.Raw)
				}
			}

			// elevatedLevel takes the original's spellings ("auto" is full) and is stored.
			patched.Entry = nil
			c.MustOK("sessions.patch", map[string]any{"key": "main", "elevatedLevel": "auto"}, &patched)
			if patched.Entry["elevatedLevel"] != "full" {
				t.Fatalf("elevatedLevel entry %v", patched.Entry)
			}

			// null clears: back to the default model and no thinking budget.
			patched.Entry = nil
			c.MustOK("sessions.patch", map[string]any{"key": "main", "model": nil, "thinkingLevel": nil, "label": nil}, &patched)
			if _, ok := patched.Entry["model"]; ok || patched.Entry["thinkingLevel"] != nil || patched.Entry["label"] != nil || patched.Entry["verboseLevel"] != "on" {
				t.Fatalf("cleared entry %v", patched.Entry)
			}
			// Naming the default model is no override.
			for _, ref := range []string{"fake/m1", "m1"} {
				patched.Entry = nil
				c.MustOK("sessions.patch", map[string]any{"key": "main", "model": ref}, &patched)
				if _, ok := patched.Entry["model"]; ok {
					t.Fatalf("default model %q stored as an override: %v", ref, patched.Entry)
				}
			}
			runChat(t, c, "r3", "third", nil)
			if m, th := modelOf(2); m != "m1" || th != nil {
				t.Fatalf("after clearing: model %q thinking %v", m, th)
			}

			// sendPolicy deny refuses runs on the session; allow lets them through again.
			c.MustOK("sessions.patch", map[string]any{"key": "main", "sendPolicy": "deny"}, nil)
			if f := c.Call("chat.send", map[string]any{"sessionKey": "main", "message": "x", "idempotencyKey": "denied"}); f.OK || f.Error == nil ||
				f.Error.Code != "INVALID_REQUEST" || f.Error.Message != "send blocked by session policy" {
				t.Fatalf("chat.send on a denied session: %s", f.Raw)
			}
			if n := len(model.requests()); n != 3 {
				t.Fatalf("denied run reached the model: %d requests", n)
			}
			c.MustOK("sessions.patch", map[string]any{"key": "main", "sendPolicy": "allow"}, nil)

			// sessions.list shows the controls.
			var list struct{ Sessions []map[string]any }
			c.MustOK("sessions.list", map[string]any{}, &list)
			if len(list.Sessions) != 1 || list.Sessions[0]["verboseLevel"] != "on" || list.Sessions[0]["sendPolicy"] != "allow" {
				t.Fatalf("list %v", list.Sessions)
			}

			// resolve by label, by transcript id, by key; errors.
			c.MustOK("sessions.patch", map[string]any{"key": "main", "label": "home"}, nil)
			var res struct{ Key string }
			c.MustOK("sessions.resolve", map[string]any{"label": "home"}, &res)
			if res.Key != "agent:main:main" {
				t.Fatalf("resolve label: %v", res)
			}
			c.MustOK("sessions.resolve", map[string]any{"sessionId": patched.Entry["sessionId"]}, &res)
			if res.Key != "agent:main:main" {
				t.Fatalf("resolve id: %v", res)
			}
			c.MustOK("sessions.resolve", map[string]any{"key": "main"}, &res)
			for _, bad := range []map[string]any{{}, {"key": "main", "label": "home"}, {"label": "away"}, {"key": "ghost"}} {
				if f := c.Call("sessions.resolve", bad); f.OK {
					t.Errorf("resolve %v succeeded", bad)
				}
			}

			// chat.inject: stored, broadcast, shown by preview and history.
			var inj struct {
				Ok        bool
				MessageID string
			}
			c.MustOK("chat.inject", map[string]any{"sessionKey": "main", "message": "Build finished.", "label": "ci"}, &inj)
			if !inj.Ok || len(inj.MessageID) != 8 {
				t.Fatalf("inject %+v", inj)
			}
			ev := c.NextEvent("chat")
			if !bytes.Contains(ev.Payload, []byte(`"runId":"inject-`+inj.MessageID+`"`)) || !bytes.Contains(ev.Payload, []byte(`"stopReason":"injected"`)) {
				t.Fatalf("inject event %s", ev.Payload)
			}
			if f := c.Call("chat.inject", map[string]any{"sessionKey": "ghost", "message": "x"}); f.OK {
				t.Fatal("inject into a missing session succeeded")
			}

			var prev struct {
				Previews []struct {
					Key, Status string
					Items       []struct{ Role, Text string }
				}
			}
			c.MustOK("sessions.preview", map[string]any{"keys": []string{"main", "ghost"}, "limit": 2, "maxChars": 20}, &prev)
			if len(prev.Previews) != 2 || prev.Previews[0].Status != "ok" || prev.Previews[1].Status != "missing" || len(prev.Previews[1].Items) != 0 {
				t.Fatalf("preview %+v", prev)
			}
			items := prev.Previews[0].Items
			if len(items) != 2 || items[0].Role != "assistant" || items[0].Text != "answer C" || items[1].Text != "[ci]\n\nBuild finis..." {
				t.Fatalf("preview items %+v", items)
			}

			// compact: 3 turns (6 messages) + the note = 7; keep 3, then nothing to do.
			var comp struct {
				Ok, Compacted bool
				Kept          *int
				Reason        string
			}
			c.MustOK("sessions.compact", map[string]any{"key": "main", "maxLines": 3}, &comp)
			if !comp.Compacted || comp.Kept == nil || *comp.Kept != 3 {
				t.Fatalf("compact %+v", comp)
			}
			var hist struct{ Messages []map[string]any }
			c.MustOK("chat.history", map[string]any{"sessionKey": "main"}, &hist)
			if len(hist.Messages) != 3 || hist.Messages[2]["stopReason"] != "injected" {
				t.Fatalf("history after compact %v", hist.Messages)
			}
			c.MustOK("sessions.compact", map[string]any{"key": "main", "maxLines": 3}, &comp)
			if comp.Compacted || *comp.Kept != 3 {
				t.Fatalf("compact again %+v", comp)
			}
			comp.Kept = nil
			c.MustOK("sessions.compact", map[string]any{"key": "ghost"}, &comp)
			if comp.Compacted || comp.Reason != "no sessionId" {
				t.Fatalf("compact missing %+v", comp)
			}
		})
	}
}

// TestUsageCost: usage.cost sums the tokens the fake provider reported for each model
// answer and prices them with the configured per-million costs; an injected note
// (usage without a cost record) counts as a missing cost entry.
func TestUsageCost(t *testing.T) {
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	if err := os.MkdirAll(ws, 0o700); err != nil {
		t.Fatal(err)
	}
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep { return fakeStep{text: "ok"} })
	cfg := strings.Replace(agentConfig(ws, model, nil), "models: []}", `models: [{id: "m1", name: "M1", cost: {input: 2, output: 10}}]}`, 1)
	if !strings.Contains(cfg, "cost:") {
		t.Fatal("test config has no cost")
	}
	r := startHome(t, home, cfg, nil)
	c := r.client(t)
	day0 := time.Now().Format(time.DateOnly) // the runs may straddle midnight
	runChat(t, c, "u1", "one", nil)
	runChat(t, c, "u2", "two", nil)
	c.MustOK("chat.inject", map[string]any{"sessionKey": "main", "message": "note"}, nil)

	type totals struct {
		Date                                                                  string
		Input, Output, CacheRead, CacheWrite, TotalTokens, MissingCostEntries int64
		TotalCost                                                             float64
	}
	var res struct {
		Days   int64
		Daily  []totals
		Totals totals
	}
	c.MustOK("usage.cost", map[string]any{"days": 7}, &res)
	want := 2 * (11*2.0 + 7*10.0) / 1e6
	got := res.Totals
	if res.Days != 7 || got.Input != 22 || got.Output != 14 || got.TotalTokens != 36 || got.MissingCostEntries != 1 || math.Abs(got.TotalCost-want) > 1e-12 {
		t.Fatalf("totals %+v, want 22/14/36 tokens, cost %g, 1 missing", got, want)
	}
	if day1 := time.Now().Format(time.DateOnly); len(res.Daily) == 0 || (res.Daily[0].Date != day0 && res.Daily[0].Date != day1) || (day0 == day1 && (len(res.Daily) != 1 || res.Daily[0].TotalTokens != 36)) {
		t.Fatalf("daily %+v", res.Daily)
	}
	if f := c.Call("usage.cost", map[string]any{"days": 0}); f.OK {
		t.Fatal("days 0 accepted")
	}
}

// TestSessionsResolveByAgent: sessions.resolve with agentId looks only at that agent's
// sessions (agent:<id>:… keys, the id normalised as the original does), by label and
// by session id; global is never one of an agent's sessions.
func TestSessionsResolveByAgent(t *testing.T) {
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	if err := os.MkdirAll(ws, 0o700); err != nil {
		t.Fatal(err)
	}
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep { return fakeStep{text: "ok"} })
	cfg := strings.Replace(agentConfig(ws, model, nil), "agents: {defaults:", `agents: {list: [{id: "main", default: true}, {id: "work"}], defaults:`, 1)
	r := startHome(t, home, cfg, nil)
	c := r.client(t)
	ids := map[string]string{}
	for key, label := range map[string]string{"agent:work:main": "ops", "agent:main:main": "home", "global": "everyone"} {
		var res struct{ Entry map[string]any }
		c.MustOK("sessions.patch", map[string]any{"key": key, "label": label}, &res)
		ids[key], _ = res.Entry["sessionId"].(string)
		if ids[key] == "" {
			t.Fatalf("no sessionId for %s: %v", key, res.Entry)
		}
	}
	tests := []struct {
		params map[string]any
		key    string // "" = refused
	}{
		{map[string]any{"label": "ops", "agentId": "work"}, "agent:work:main"},
		{map[string]any{"label": "ops", "agentId": " Work "}, "agent:work:main"},
		{map[string]any{"label": "ops"}, "agent:work:main"},
		{map[string]any{"label": "ops", "agentId": "main"}, ""},
		{map[string]any{"label": "home", "agentId": "main"}, "agent:main:main"},
		{map[string]any{"label": "home", "agentId": "work"}, ""},
		{map[string]any{"sessionId": ids["agent:work:main"], "agentId": "work"}, "agent:work:main"},
		{map[string]any{"sessionId": ids["agent:work:main"], "agentId": "main"}, ""},
		{map[string]any{"label": "everyone", "includeGlobal": true}, "global"},
		{map[string]any{"label": "everyone", "includeGlobal": true, "agentId": "main"}, ""},
		{map[string]any{"label": "everyone"}, ""},
	}
	for _, tt := range tests {
		f := c.Call("sessions.resolve", tt.params)
		var res struct{ Key string }
		if f.OK {
			_ = json.Unmarshal(f.Payload, &res)
		}
		switch {
		case tt.key == "" && (f.OK || f.Error == nil || f.Error.Code != "INVALID_REQUEST" || !strings.HasPrefix(f.Error.Message, "No session found")):
			t.Errorf("resolve %v: %s, want No session found", tt.params, f.Raw)
		case tt.key != "" && (!f.OK || res.Key != tt.key):
			t.Errorf("resolve %v: %s, want key %s", tt.params, f.Raw, tt.key)
		}
	}
}
