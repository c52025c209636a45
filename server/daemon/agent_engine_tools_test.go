package daemon

import (
	"context"
	"log/slog"
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
