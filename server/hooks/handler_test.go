package hooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	genconfig "github.com/clawgate/gateway/gen/go/config"
	secret "github.com/clawgate/gateway/server/auth"
)

// recorder is a Runner that remembers what it was asked to do.
type recorder struct {
	mu     sync.Mutex
	wakes  []string // "mode:text"
	agents []AgentRequest
	err    error
}

func (r *recorder) Wake(ctx context.Context, text, mode string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	r.wakes = append(r.wakes, mode+":"+text)
	return nil
}

func (r *recorder) StartAgent(ctx context.Context, a AgentRequest) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return "", r.err
	}
	r.agents = append(r.agents, a)
	return fmt.Sprintf("run-%d", len(r.agents)), nil
}

func ptr[T any](v T) *T { return &v }

func serve(t *testing.T, c *genconfig.ConfigHooks, r Runner) *httptest.Server {
	t.Helper()
	cfg, err := Resolve(c)
	if err != nil {
		t.Fatal(err)
	}
	h := NewHandler(cfg, Options{Runner: r, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !h.Claims(req) {
			http.Error(w, "fallthrough", http.StatusTeapot)
			return
		}
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	return srv
}

type result struct {
	status int
	body   map[string]any
	header http.Header
}

func do(t *testing.T, method, url, body string, hdr map[string]string) result {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	out := result{status: res.StatusCode, header: res.Header}
	_ = json.Unmarshal(b, &out.body)
	return out
}

var auth = map[string]string{"Authorization": "Bearer s3cret"}

func TestResolve(t *testing.T) {
	if _, err := Resolve(&genconfig.ConfigHooks{Enabled: true}); !errors.Is(err, ErrNoToken) {
		t.Fatalf("enabled without token: %v", err)
	}
	if _, err := Resolve(&genconfig.ConfigHooks{Enabled: true, Token: ptr("t"), Path: "/"}); err == nil {
		t.Fatal("path / accepted")
	}
	if _, err := Resolve(&genconfig.ConfigHooks{Enabled: true, Token: ptr("t"), Presets: []string{"nope"}}); err == nil {
		t.Fatal("unknown preset accepted")
	}
	c, err := Resolve(&genconfig.ConfigHooks{Enabled: true, Token: ptr("t"), Path: "in/"})
	if err != nil || c.Path != "/in" || c.MaxBodyBytes != DefaultMaxBodyBytes {
		t.Fatalf("got %+v, %v", c, err)
	}
	if c, err := Resolve(&genconfig.ConfigHooks{Token: ptr("t")}); err != nil || c.Enabled {
		t.Fatalf("disabled: %+v %v", c, err)
	}
}

func TestAuthMethodAndLimits(t *testing.T) {
	rec := &recorder{}
	srv := serve(t, &genconfig.ConfigHooks{Enabled: true, Token: ptr("s3cret"), MaxBodyBytes: 64}, rec)
	u := srv.URL + "/hooks"
	cases := []struct {
		name, method, path, body string
		hdr                      map[string]string
		status                   int
		errText                  string
	}{
		{"no token", "POST", "/wake", `{"text":"x"}`, nil, 401, "unauthorized"},
		{"wrong bearer", "POST", "/wake", `{"text":"x"}`, map[string]string{"Authorization": "Bearer nope"}, 401, "unauthorized"},
		{"token prefix only", "POST", "/wake", `{"text":"x"}`, map[string]string{"Authorization": "Bearer s3cre"}, 401, "unauthorized"},
		{"bad token before method", "GET", "/wake", "", map[string]string{"X-Clawdbot-Token": "nope"}, 401, "unauthorized"},
		{"good token GET", "GET", "/wake", "", auth, 405, "method not allowed"},
		{"empty sub-path", "POST", "", `{}`, auth, 404, "not found"},
		{"empty sub-path slash", "POST", "/", `{}`, auth, 404, "not found"},
		{"at the limit", "POST", "/wake", `{"text":"` + strings.Repeat("a", 64-11) + `"}`, auth, 200, ""},
		{"one byte over", "POST", "/wake", `{"text":"` + strings.Repeat("a", 64-10) + `"}`, auth, 413, "payload too large"},
		{"invalid json", "POST", "/wake", `{"text":`, auth, 400, "invalid JSON: wire: syntax error at offset 8: unexpected end of input"},
		{"duplicate key", "POST", "/wake", `{"text":"a","text":"b"}`, auth, 400, `invalid JSON: duplicate property "text"`},
		{"nested duplicate key", "POST", "/agent", `{"message":"m","meta":[{"k":1,"k":2}]}`, auth, 400, `invalid JSON: duplicate property "k"`},
		{"lone surrogate", "POST", "/wake", `{"text":"\ud800"}`, auth, 400, "invalid JSON: wire: syntax error at offset 9: invalid or unpaired surrogate escape"},
		{"text missing", "POST", "/wake", `{}`, auth, 400, "text required"},
		{"text blank", "POST", "/wake", `{"text":"  "}`, auth, 400, "text required"},
		{"array body", "POST", "/wake", `[1]`, auth, 400, "text required"},
		{"x-clawdbot-token", "POST", "/wake", `{"text":"hi"}`, map[string]string{"X-Clawdbot-Token": "s3cret"}, 200, ""},
		{"query token", "POST", "/wake?token=s3cret", `{"text":"hi"}`, nil, 200, ""},
		{"unknown sub-path", "POST", "/nothing", `{}`, auth, 404, "not found"},
		{"message missing", "POST", "/agent", `{}`, auth, 400, "message required"},
		{"bad channel", "POST", "/agent", `{"message":"m","channel":"fax"}`, auth, 400, "channel must be last|whatsapp|telegram|discord|slack|signal|imessage"},
		{"bad provider", "POST", "/agent", `{"message":"m","provider":"fax"}`, auth, 400, "provider must be last|whatsapp|telegram|discord|slack|signal|imessage"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, tc.method, u+tc.path, tc.body, tc.hdr)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d (%v)", r.status, tc.status, r.body)
			}
			if tc.errText != "" && r.body["error"] != tc.errText {
				t.Fatalf("error %q, want %q", r.body["error"], tc.errText)
			}
			if tc.status == 405 && r.header.Get("Allow") != "POST" {
				t.Fatalf("Allow %q", r.header.Get("Allow"))
			}
			if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
				t.Fatalf("content-type %q", r.header.Get("Content-Type"))
			}
		})
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.wakes) != 3 || len(rec.agents) != 0 {
		t.Fatalf("runner saw wakes %v agents %v; rejected calls must not reach it", rec.wakes, rec.agents)
	}
	// Outside the base path the hooks do not claim the request.
	if r := do(t, "POST", srv.URL+"/hooksx/wake", `{}`, auth); r.status != http.StatusTeapot {
		t.Fatalf("outside base: %d", r.status)
	}
}

func TestOversizedWithoutContentLength(t *testing.T) {
	rec := &recorder{}
	srv := serve(t, &genconfig.ConfigHooks{Enabled: true, Token: ptr("s3cret"), MaxBodyBytes: 100}, rec)
	pr, pw := io.Pipe()
	go func() {
		_, _ = pw.Write([]byte(`{"text":"` + strings.Repeat("x", 500) + `"}`))
		_ = pw.Close()
	}()
	req, _ := http.NewRequest("POST", srv.URL+"/hooks/wake", pr) // chunked: no Content-Length
	req.Header.Set("Authorization", "Bearer s3cret")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 413 {
		t.Fatalf("status %d", res.StatusCode)
	}
	if len(rec.wakes) != 0 {
		t.Fatal("oversized body reached the runner")
	}
}

func TestAgentReachesRunner(t *testing.T) {
	rec := &recorder{}
	srv := serve(t, &genconfig.ConfigHooks{Enabled: true, Token: ptr("s3cret")}, rec)
	r := do(t, "POST", srv.URL+"/hooks/agent", `{"message":" summarize ","name":"CI","sessionKey":"hook:ci","wakeMode":"next-heartbeat","deliver":true,"provider":"imsg","to":"+1555","thinking":"low","timeoutSeconds":12.9}`, auth)
	if r.status != 202 || r.body["ok"] != true || r.body["runId"] != "run-1" {
		t.Fatalf("got %d %v", r.status, r.body)
	}
	want := AgentRequest{Message: "summarize", Name: "CI", SessionKey: "hook:ci", WakeMode: "next-heartbeat", Deliver: true, Channel: "imessage", To: "+1555", Thinking: "low", Timeout: 12 * time.Second}
	if got := rec.agents[0]; got != want {
		t.Fatalf("runner got %+v\nwant %+v", got, want)
	}
	// Defaults.
	r = do(t, "POST", srv.URL+"/hooks/agent", `{"message":"m","deliver":"yes","timeoutSeconds":-3}`, auth)
	if r.status != 202 {
		t.Fatalf("got %d %v", r.status, r.body)
	}
	got := rec.agents[1]
	if got.Name != "Hook" || !strings.HasPrefix(got.SessionKey, "hook:") || len(got.SessionKey) != len("hook:")+36 || got.WakeMode != "now" || got.Deliver || got.Channel != "last" || got.Timeout != 0 {
		t.Fatalf("defaults: %+v", got)
	}
}

func TestRunnerUnavailable(t *testing.T) {
	srv := serve(t, &genconfig.ConfigHooks{Enabled: true, Token: ptr("s3cret")}, nil)
	if r := do(t, "POST", srv.URL+"/hooks/agent", `{"message":"m"}`, auth); r.status != 503 || r.body["error"] != "agent runtime unavailable" {
		t.Fatalf("nil runner: %d %v", r.status, r.body)
	}
	srv = serve(t, &genconfig.ConfigHooks{Enabled: true, Token: ptr("s3cret")}, &recorder{err: fmt.Errorf("queue: %w", ErrUnavailable)})
	if r := do(t, "POST", srv.URL+"/hooks/wake", `{"text":"t"}`, auth); r.status != 503 {
		t.Fatalf("unavailable runner: %d %v", r.status, r.body)
	}
	srv = serve(t, &genconfig.ConfigHooks{Enabled: true, Token: ptr("s3cret")}, &recorder{err: errors.New("disk full")})
	if r := do(t, "POST", srv.URL+"/hooks/wake", `{"text":"t"}`, auth); r.status != 500 {
		t.Fatalf("failing runner: %d %v", r.status, r.body)
	}
}

func TestMappings(t *testing.T) {
	rec := &recorder{}
	srv := serve(t, &genconfig.ConfigHooks{
		Enabled: true, Token: ptr("s3cret"), Presets: []string{"gmail"},
		Mappings: []genconfig.ConfigHooksMappingsElem{
			{ID: ptr("gh"), Match: &genconfig.ConfigHooksMappingsElemMatch{Path: ptr("/github/")}, MessageTemplate: ptr("GitHub {{action}} on {{payload.repo.name}} by {{headers.x-user}} q={{query.ref}} at {{now}} via {{path}} n={{count}} ok={{flag}} obj={{repo}}"), Name: ptr("GH {{action}}"), Channel: ptr(genconfig.ConfigHooksMappingsElemChannelTelegram)},
			{Match: &genconfig.ConfigHooksMappingsElemMatch{Source: ptr("cron")}, Action: "wake", TextTemplate: ptr("tick {{items[1]}}"), WakeMode: "next-heartbeat"},
			{Match: &genconfig.ConfigHooksMappingsElemMatch{Path: ptr("empty")}, MessageTemplate: ptr("{{missing}}")},
			{Match: &genconfig.ConfigHooksMappingsElemMatch{Path: ptr("emptywake")}, Action: "wake", TextTemplate: ptr(" ")},
		},
	}, rec)
	hdr := map[string]string{"Authorization": "Bearer s3cret", "X-User": "ann"}
	r := do(t, "POST", srv.URL+"/hooks/github?ref=main", `{"action":"opened","repo":{"name":"gw"},"count":3,"flag":true}`, hdr)
	if r.status != 202 {
		t.Fatalf("github: %d %v", r.status, r.body)
	}
	a := rec.agents[0]
	if a.Message != `GitHub opened on gw by ann q=main at 2026-01-02T03:04:05.000Z via github n=3 ok=true obj={"name":"gw"}` || a.Name != "GH opened" || a.Channel != "telegram" || !strings.HasPrefix(a.SessionKey, "hook:") {
		t.Fatalf("github mapping: %+v", a)
	}
	// match.source, wake action.
	if r := do(t, "POST", srv.URL+"/hooks/anything", `{"source":"cron","items":["a","b"]}`, auth); r.status != 200 || r.body["mode"] != "next-heartbeat" {
		t.Fatalf("source mapping: %d %v", r.status, r.body)
	}
	if rec.wakes[0] != "next-heartbeat:tick b" {
		t.Fatalf("wake: %v", rec.wakes)
	}
	// Mappings that render nothing are refused.
	if r := do(t, "POST", srv.URL+"/hooks/empty", `{}`, auth); r.status != 400 || r.body["error"] != "hook mapping requires message" {
		t.Fatalf("empty message: %d %v", r.status, r.body)
	}
	if r := do(t, "POST", srv.URL+"/hooks/emptywake", `{}`, auth); r.status != 400 || r.body["error"] != "hook mapping requires text" {
		t.Fatalf("empty text: %d %v", r.status, r.body)
	}
	// The gmail preset.
	r = do(t, "POST", srv.URL+"/hooks/gmail", `{"messages":[{"id":"m1","from":"a@b","subject":"Hi","snippet":"s","body":"b"}]}`, auth)
	if r.status != 202 {
		t.Fatalf("gmail: %d %v", r.status, r.body)
	}
	g := rec.agents[1]
	if g.SessionKey != "hook:gmail:m1" || g.Name != "Gmail" || g.Message != "New email from a@b\nSubject: Hi\ns\nb" {
		t.Fatalf("gmail: %+v", g)
	}
	if r := do(t, "POST", srv.URL+"/hooks/unmapped", `{"source":"other"}`, auth); r.status != 404 {
		t.Fatalf("no match: %d", r.status)
	}
}

func TestRenderLookupEdges(t *testing.T) {
	ctx := &Context{Payload: map[string]any{"a": []any{map[string]any{"b": nil}}, "s": "x"}}
	for tmpl, want := range map[string]string{
		"{{a[0].b}}":      "",
		"{{a[5].b}}":      "",
		"{{s[0]}}":        "",
		"{{s.len}}":       "",
		"{{ s }}-{{s}}":   "x-x",
		"no expr":         "no expr",
		"{{headers.x}}":   "",
		"{{payload.s}}":   "x",
		"{{__proto__}}":   "",
		"{{a}}":           `[{"b":null}]`,
		"{{unclosed":      "{{unclosed",
		"{{query.token}}": "",
	} {
		if got := Render(tmpl, ctx); got != want {
			t.Errorf("Render(%q) = %q, want %q", tmpl, got, want)
		}
	}
}

// TestTokenGuessingIsThrottled (issue 15 #7): wrong tokens past the global budget are
// answered late, and the right token, answered just as late, is still accepted.
func TestTokenGuessingIsThrottled(t *testing.T) {
	const delay = 200 * time.Millisecond
	cfg, err := Resolve(&genconfig.ConfigHooks{Enabled: true, Token: ptr("s3cret")})
	if err != nil {
		t.Fatal(err)
	}
	th := secret.NewThrottle(secret.ThrottleOptions{Burst: 2, Rate: 0.001, Delay: delay})
	h := NewHandler(cfg, Options{Runner: &recorder{}, Throttle: th, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	for i := 0; i < 5; i++ {
		start := time.Now()
		r := do(t, "POST", srv.URL+"/hooks/wake", `{"text":"x"}`, map[string]string{"Authorization": "Bearer guess"})
		if r.status != 401 {
			t.Fatalf("guess %d: %d", i, r.status)
		}
		if el := time.Since(start); i >= 2 && el < delay {
			t.Fatalf("guess %d past the budget answered after %v", i, el)
		}
	}
	start := time.Now()
	if r := do(t, "POST", srv.URL+"/hooks/wake", `{"text":"x"}`, auth); r.status != 200 {
		t.Fatalf("right token refused during the attack: %d %v", r.status, r.body)
	}
	if el := time.Since(start); el < delay {
		t.Fatalf("right token answered after %v while the budget is spent: a timing oracle", el)
	}
	if st := th.Stats(); st.Failures != 5 || st.Slowed != 4 {
		t.Fatalf("stats %+v", st)
	}
}
