package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
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
		ac := whatsappAccess(whatsappSection(&f.Config), f.Config.Commands)
		if tc.tg {
			_, accts := telegramAccounts(&services{log: slog.New(slog.DiscardHandler), env: config.MapEnv(nil)}, &f.Config)
			sec := accts[0].section
			ac = telegramAccess(&sec, f.Config.Commands)
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
	if err := whatsappAccess(whatsappSection(&f.Config), f.Config.Commands).Validate(); err == nil {
		t.Fatal("dmPolicy open without * accepted")
	}
}

// TestTelegramAccounts: channels.telegram.accounts resolve as the original's: every
// account its own token (the channel-level token and the environment only for the
// default account), settings inherited from the channel unless the account sets
// them, the default account "default", else the default agent's bound account, else
// the first.
func TestTelegramAccounts(t *testing.T) {
	type acct struct{ id, token, source, policy string }
	for _, tc := range []struct {
		raw  string
		env  map[string]string
		def  string
		want []acct
	}{
		{`{channels: {telegram: {botToken: "1:top"}}}`, nil, "default", []acct{{"default", "1:top", "config", ""}}},
		{`{channels: {telegram: {}}}`, map[string]string{"TELEGRAM_BOT_TOKEN": "9:env"}, "default", []acct{{"default", "9:env", "env", ""}}},
		{`{channels: {telegram: {dmPolicy: "open", accounts: {work: {botToken: "2:work"}}}}}`, nil, "work", []acct{{"work", "2:work", "config", "open"}}},
		{`{channels: {telegram: {botToken: "1:top", accounts: {default: {botToken: "3:def", dmPolicy: "allowlist"}, x: {botToken: "4:x"}}}}}`, nil, "default",
			[]acct{{"default", "3:def", "config", "allowlist"}, {"x", "4:x", "config", ""}}},
		{`{channels: {telegram: {botToken: "1:top", accounts: {X: {dmPolicy: "disabled"}}}}}`, nil, "default",
			[]acct{{"default", "1:top", "config", ""}, {"x", "", "none", "disabled"}}},
		{`{agents: {list: [{id: "home"}]}, bindings: [{agentId: "home", match: {channel: "telegram", accountId: "b"}}],
		  channels: {telegram: {accounts: {a: {botToken: "5:a"}, b: {botToken: "6:b"}}}}}`, nil, "b",
			[]acct{{"a", "5:a", "config", ""}, {"b", "6:b", "config", ""}}},
	} {
		f, err := config.ParseWith("", []byte(tc.raw), config.MapEnv(nil))
		if err != nil {
			t.Fatal(err)
		}
		s := &services{log: slog.New(slog.DiscardHandler), env: config.MapEnv(tc.env)}
		def, accts := telegramAccounts(s, &f.Config)
		var got []acct
		for _, a := range accts {
			got = append(got, acct{a.id, a.token, a.source, string(a.section.DmPolicy)})
		}
		if def != tc.def || fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: default %q accounts %v; want %q %v", tc.raw, def, got, tc.def, tc.want)
		}
	}
}

// TestWhatsAppAccounts: each WhatsApp account keeps its device in its own auth dir
// (the default account where a single-account gateway keeps it) and inherits the
// channel's settings it does not set.
func TestWhatsAppAccounts(t *testing.T) {
	state := t.TempDir()
	f, err := config.ParseWith("", []byte(`{channels: {whatsapp: {dmPolicy: "allowlist", allowFrom: ["+1555"],
	  accounts: {default: {}, Work: {dmPolicy: "pairing", name: "Work phone"}, far: {authDir: "/tmp/wa-far", enabled: false}}}}}`), config.MapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	c := &providersComponent{s: &services{log: slog.New(slog.DiscardHandler), paths: config.Paths{StateDir: state}, env: config.MapEnv(nil)}}
	def, accts := c.whatsappAccounts(&f.Config)
	if def != "default" || len(accts) != 3 {
		t.Fatalf("default %q, %d accounts", def, len(accts))
	}
	byID := map[string]waAccount{}
	for _, a := range accts {
		byID[a.id] = a
	}
	if a := byID["default"]; a.authDir != "" || a.section.DmPolicy != "allowlist" || !a.enabled {
		t.Errorf("default: %+v", a)
	}
	if a := byID["work"]; a.authDir != filepath.Join(state, "credentials", "whatsapp", "work") || a.section.DmPolicy != "pairing" ||
		len(a.section.AllowFrom) != 1 || a.name != "Work phone" {
		t.Errorf("work: %+v", a)
	}
	if a := byID["far"]; a.authDir != "/tmp/wa-far" || a.enabled {
		t.Errorf("far: %+v", a)
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

// TestRunAgentOf: a run's agent comes from its session key; "main" and keys of no
// listed agent are the default agent's; an entry's model is a string or {primary}.
func TestRunAgentOf(t *testing.T) {
	f, err := config.ParseWith("", []byte(`{agents: {list: [{id: "home", default: true}, {id: "work", model: {primary: "p/m-work"}}, {id: "ops", model: "p/m-ops"}]}}`), config.MapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]struct {
		id    string
		def   bool
		model string
	}{
		"agent:main:telegram:1": {"home", true, ""},
		"agent:work:main":       {"work", false, "p/m-work"},
		"agent:ops:dm:5":        {"ops", false, "p/m-ops"},
		"agent:ghost:main":      {"home", true, ""},
		"hook:abc":              {"home", true, ""},
	} {
		ra := runAgentOf(&f.Config, key)
		if ra.id != want.id || ra.isDefault != want.def || listModel(ra.entry.Model) != want.model {
			t.Errorf("%s: %+v model %q, want %+v", key, ra, listModel(ra.entry.Model), want)
		}
	}
}
