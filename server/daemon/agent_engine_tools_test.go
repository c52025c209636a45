package daemon

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/clawgate/gateway/server/agent"
	"github.com/clawgate/gateway/server/agent/tools"
	"github.com/clawgate/gateway/server/config"
)

// TestEngineSharesRunIndependentTools: web_fetch and web_search depend only on the engine's config,
// so every run of one engine gets the same tool, while the run-bound tools (workspace,
// exec with the run's session) are new per run; an engine built for a changed
// tools.web.fetch (what a reload does) has its own, configured as the new file says.
func TestEngineSharesRunIndependentTools(t *testing.T) {
	home := t.TempDir()
	s := &services{log: slog.New(slog.DiscardHandler), env: config.MapEnv(nil), home: home}
	parts, err := newEngineParts(s)
	if err != nil {
		t.Fatal(err)
	}
	defer parts.close()
	engine := func(raw string) *agent.Engine {
		t.Helper()
		f, err := config.Parse("clawdbot.json", []byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		e, err := buildEngine(s, f, config.Agent{Model: config.Model{Kind: config.BackendProvider, ModelRef: "openai/gpt-4o", Provider: "openai", ModelID: "gpt-4o"},
			Workspace: home}, parts)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	tool := func(e *agent.Engine, run, name string) *tools.Tool {
		t.Helper()
		set, cleanup, err := e.Tools(context.Background(), agent.RunInfo{RunID: run, SessionKey: "agent:main:" + run})
		if err != nil {
			t.Fatal(err)
		}
		defer cleanup()
		tl, ok := set.Get(name)
		if !ok {
			t.Fatalf("run %s: no %s tool", run, name)
		}
		return tl
	}
	e1 := engine(`{}`)
	if tool(e1, "r1", "web_fetch") != tool(e1, "r2", "web_fetch") {
		t.Error("web_fetch rebuilt for each run of one engine")
	}
	// web_search too: its cache of answers serves every run of the engine.
	if tool(e1, "r1", "web_search") != tool(e1, "r2", "web_search") {
		t.Error("web_search rebuilt for each run of one engine")
	}
	if tool(e1, "r1", "exec") == tool(e1, "r2", "exec") {
		t.Error("exec (bound to the run's session) shared between runs")
	}
	if tool(e1, "r1", "read") == tool(e1, "r2", "read") {
		t.Error("read (bound to the run's workspace root) shared between runs")
	}
	e2 := engine(`{tools: {web: {fetch: {timeoutSeconds: 7}}}}`)
	f1, f2 := tool(e1, "r3", "web_fetch"), tool(e2, "r3", "web_fetch")
	if f1 == f2 {
		t.Fatal("engines share web_fetch")
	}
	// Timeout is the fetch timeout plus a fixed margin.
	if d := f2.Timeout - f1.Timeout; d != 7e9-tools.DefaultFetchTimeout {
		t.Errorf("reloaded web_fetch timeout %v, was %v", f2.Timeout, f1.Timeout)
	}
	if s1, s2 := tool(e1, "r3", "web_search"), tool(engine(`{tools: {web: {search: {timeoutSeconds: 5}}}}`), "r3", "web_search"); s2.Timeout-s1.Timeout != 5e9-tools.DefaultSearchTimeout {
		t.Errorf("web_search timeout %v with timeoutSeconds 5, %v without", s2.Timeout, s1.Timeout)
	}
	e3 := engine(`{tools: {web: {fetch: {enabled: false}, search: {enabled: false, apiKey: "k"}}}}`)
	set, cleanup, err := e3.Tools(context.Background(), agent.RunInfo{RunID: "r4", SessionKey: "agent:main:r4"})
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	if _, ok := set.Get("web_fetch"); ok {
		t.Error("web_fetch offered while disabled")
	}
	if _, ok := set.Get("web_search"); ok {
		t.Error("web_search offered while disabled")
	}
}

// TestBrowserToolConfig: the browser tool is offered unless browser.enabled is false,
// and browser.* map onto its options (headless unless headless: false).
func TestBrowserToolConfig(t *testing.T) {
	home := t.TempDir()
	s := &services{log: slog.New(slog.DiscardHandler), env: config.MapEnv(nil), home: home, paths: config.Paths{StateDir: home}}
	parts, err := newEngineParts(s)
	if err != nil {
		t.Fatal(err)
	}
	defer parts.close()
	parse := func(raw string) *config.File {
		t.Helper()
		f, err := config.Parse("clawdbot.json", []byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	for _, tc := range []struct {
		raw     string
		offered bool
	}{
		{`{}`, true},
		{`{browser: {enabled: true}}`, true},
		{`{browser: {enabled: false}}`, false},
	} {
		e, err := buildEngine(s, parse(tc.raw), config.Agent{Model: config.Model{Kind: config.BackendProvider, ModelRef: "openai/gpt-4o", Provider: "openai", ModelID: "gpt-4o"},
			Workspace: home}, parts)
		if err != nil {
			t.Fatal(err)
		}
		set, cleanup, err := e.Tools(context.Background(), agent.RunInfo{RunID: "r", SessionKey: "agent:main:r"})
		if err != nil {
			t.Fatal(err)
		}
		_, ok := set.Get("browser")
		cleanup()
		if ok != tc.offered {
			t.Errorf("%s: browser offered = %v, want %v", tc.raw, ok, tc.offered)
		}
	}
	for _, tc := range []struct {
		raw  string
		want tools.BrowserOptions
	}{
		{`{}`, tools.BrowserOptions{}},
		{`{browser: {headless: true, noSandbox: true, executablePath: "/opt/chrome"}}`, tools.BrowserOptions{NoSandbox: true, ExecPath: "/opt/chrome"}},
		{`{browser: {headless: false, cdpUrl: "http://127.0.0.1:9222"}}`, tools.BrowserOptions{Headful: true, CDPURL: "http://127.0.0.1:9222"}},
	} {
		got := browserOptions(s, parse(tc.raw).Config.Browser)
		if got.Headful != tc.want.Headful || got.NoSandbox != tc.want.NoSandbox || got.ExecPath != tc.want.ExecPath || got.CDPURL != tc.want.CDPURL {
			t.Errorf("%s: options %+v, want %+v", tc.raw, got, tc.want)
		}
		if got.MediaDir != filepath.Join(home, "media", "browser") {
			t.Errorf("%s: media dir %q", tc.raw, got.MediaDir)
		}
	}
}
