package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/access"
	"github.com/clawgate/gateway/server/agent/llm"
	"github.com/clawgate/gateway/server/config"
)

// sseModel is an OpenAI-compatible streaming server answering "re: <last user message>".
func sseModel(t *testing.T, _ time.Duration) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Messages []struct{ Role, Content string }
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body.Messages) == 0 {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		b, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"index": 0, "delta": map[string]string{"content": "re: " + body.Messages[len(body.Messages)-1].Content}}}})
		fmt.Fprintf(w, "data: %s\n\ndata: [DONE]\n\n", b)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestChannelAccess: channels.<id> dmPolicy/allowFrom/groupPolicy/groups become the
// access rules, with the original's defaults (pairing for DMs, allowlist for groups,
// mention required) when unset.
func TestChannelAccess(t *testing.T) {
	dm := func(ids ...string) access.Message { return access.Message{SenderIDs: ids} }
	grp := func(group string, mentioned bool, ids ...string) access.Message {
		return access.Message{Group: true, GroupID: group, Mentioned: mentioned, SenderIDs: ids}
	}
	for _, tc := range []struct {
		raw  string
		tg   bool
		m    access.Message
		want access.Outcome
	}{
		{`{}`, false, dm("+15550001"), access.SendPairingCode},
		{`{channels: {whatsapp: {allowFrom: ["+15550001"]}}}`, false, dm("+15550001"), access.Deliver},
		{`{channels: {whatsapp: {dmPolicy: "allowlist"}}}`, false, dm("+15550001"), access.Drop},
		{`{channels: {whatsapp: {dmPolicy: "open", allowFrom: ["*"]}}}`, false, dm("+15550001"), access.Deliver},
		{`{channels: {whatsapp: {dmPolicy: "disabled", allowFrom: ["+15550001"]}}}`, false, dm("+15550001"), access.Drop},
		{`{channels: {whatsapp: {allowFrom: ["+15550001"]}}}`, false, grp("g@g.us", false, "+15550001"), access.Drop},
		{`{channels: {whatsapp: {allowFrom: ["+15550001"]}}}`, false, grp("g@g.us", true, "+15550001"), access.Deliver},
		{`{channels: {whatsapp: {groupPolicy: "open", groups: {"g@g.us": {requireMention: false}}}}}`, false, grp("g@g.us", false, "+15550002"), access.Deliver},
		{`{channels: {whatsapp: {groupPolicy: "disabled", allowFrom: ["*"]}}}`, false, grp("g@g.us", true, "+15550001"), access.Drop},
		{`{channels: {telegram: {botToken: "1:x"}}}`, true, dm("42"), access.SendPairingCode},
		{`{channels: {telegram: {allowFrom: [42]}}}`, true, dm("42"), access.Deliver},
		{`{channels: {telegram: {groupAllowFrom: ["@ann"], groups: {"-100": {requireMention: false}}}}}`, true, grp("-100", false, "7", "@ann"), access.Deliver},
		{`{channels: {telegram: {groupAllowFrom: ["@ann"], groups: {"-100": {enabled: false}}}}}`, true, grp("-100", true, "7", "@ann"), access.Drop},
	} {
		f, err := config.ParseWith("", []byte(tc.raw), config.MapEnv(nil))
		if err != nil {
			t.Fatalf("%s: %v", tc.raw, err)
		}
		ac := whatsappAccess(whatsappSection(&f.Config))
		if tc.tg {
			ac = telegramAccess(telegramSection(&f.Config))
		}
		r, err := ac.Rules("")
		if err != nil {
			t.Fatalf("%s: %v", tc.raw, err)
		}
		if got := r.Decide(tc.m); got.Outcome != tc.want {
			t.Errorf("%s %+v: %v (%s), want %v", tc.raw, tc.m, got.Outcome, got.Reason, tc.want)
		}
	}
	// "open" without "*" is refused, as the original insists.
	f, _ := config.ParseWith("", []byte(`{channels: {whatsapp: {dmPolicy: "open"}}}`), config.MapEnv(nil))
	if err := whatsappAccess(whatsappSection(&f.Config)).Validate(); err == nil {
		t.Fatal("dmPolicy open without * accepted")
	}
}

// TestTelegramAccounts: the default (or only) account of channels.telegram.accounts
// is the bot this gateway runs.
func TestTelegramAccounts(t *testing.T) {
	for _, tc := range []struct{ raw, token, policy string }{
		{`{channels: {telegram: {botToken: "1:top"}}}`, "1:top", ""},
		{`{channels: {telegram: {dmPolicy: "open", accounts: {work: {botToken: "2:work"}}}}}`, "2:work", "open"},
		{`{channels: {telegram: {botToken: "1:top", accounts: {default: {botToken: "3:def", dmPolicy: "allowlist"}, x: {botToken: "4:x"}}}}}`, "3:def", "allowlist"},
		{`{channels: {telegram: {botToken: "1:top", accounts: {x: {botToken: "4:x"}}}}}`, "1:top", ""},
	} {
		f, err := config.ParseWith("", []byte(tc.raw), config.MapEnv(nil))
		if err != nil {
			t.Fatal(err)
		}
		tg := telegramSection(&f.Config)
		if tg == nil || tg.BotToken == nil || *tg.BotToken != tc.token || string(tg.DmPolicy) != tc.policy {
			t.Errorf("%s: %+v", tc.raw, tg)
		}
	}
}

// TestModelFallbacks: when the primary model's server refuses, the first fallback
// answers (agents.defaults.model.fallbacks, as the original reads it).
func TestModelFallbacks(t *testing.T) {
	good := sseModel(t, 0)
	dead := freePort(t) // nothing listens there
	raw := fmt.Sprintf(`{
  agents: {defaults: {model: {primary: "down/m", fallbacks: ["up/m2"]}}},
  models: {providers: {
    down: {baseUrl: "http://127.0.0.1:%d/v1", models: []},
    up: {baseUrl: %q, models: []},
  }},
}`, dead, good.URL+"/v1")
	f, err := config.ParseWith("", []byte(raw), config.MapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	a, err := config.ResolveAgent(&f.Config, t.TempDir())
	if err != nil || len(a.Fallbacks) != 1 || a.Fallbacks[0].ModelID != "m2" {
		t.Fatalf("agent %+v %v", a, err)
	}
	parts, err := newEngineParts(&services{log: slog.New(slog.DiscardHandler), env: config.MapEnv(nil)})
	if err != nil {
		t.Fatal(err)
	}
	defer parts.close()
	mc, err := agentModel(&services{log: slog.New(slog.DiscardHandler), env: config.MapEnv(nil)}, f, a, parts)
	if err != nil || mc.Model != "m" || mc.Engine == nil {
		t.Fatalf("model: %v %+v", err, mc)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	res, err := mc.Engine.Model.Stream(ctx, &llm.Request{Messages: []llm.Message{llm.UserText("hi", time.Now())}}, nil)
	if err != nil || res.Message.Text() != "re: hi" || len(res.Attempts) != 1 || res.Attempts[0].Provider != "down" {
		t.Fatalf("run: %+v %v", res, err)
	}
}
