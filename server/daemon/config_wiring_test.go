package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/agent/llm"
	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/providers/whatsapp"
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

// TestDMPolicy: dmPolicy narrows who reaches the agent; the "nobody" entries really
// admit nobody through each network's allow list.
func TestDMPolicy(t *testing.T) {
	for _, tc := range []struct {
		policy string
		allow  []string
		want   []string
	}{
		{"", nil, nil},
		{"", []string{"+1"}, []string{"+1"}},
		{"open", []string{"+1"}, []string{"*"}},
		{"allowlist", nil, []string{whatsappNobody}},
		{"pairing", []string{"+1"}, []string{"+1"}},
		{"pairing", nil, []string{whatsappNobody}},
		{"disabled", []string{"+1"}, []string{whatsappNobody}},
	} {
		if got := dmAllowFrom(nil, "whatsapp", tc.policy, tc.allow, whatsappNobody); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q %v: %v, want %v", tc.policy, tc.allow, got, tc.want)
		}
	}
	wa := providers.NewAllowList([]string{whatsappNobody}, whatsapp.NormalizeE164)
	if wa.Open() || wa.Allows("+15550001", "15550001@s.whatsapp.net", "") {
		t.Fatal("whatsapp nobody list admits someone")
	}
	tg := providers.NewAllowList([]string{telegramNobody}, nil)
	if tg.Open() || tg.Allows("42", "@someone") {
		t.Fatal("telegram nobody list admits someone")
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
