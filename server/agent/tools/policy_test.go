package tools

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/clawgate/gateway/server/agent/llm"
)

var allTools = []string{"read", "write", "edit", "apply_patch", "exec", "process", "web_fetch", "message",
	"sessions_list", "sessions_history", "sessions_send", "session_status", "nodes", "canvas"}

func allowed(layers []*Policy) []string {
	var out []string
	for _, n := range allTools {
		if AllowedByAll(n, layers...) {
			out = append(out, n)
		}
	}
	return out
}

func TestPolicyLayers(t *testing.T) {
	cases := []struct {
		name     string
		global   *PolicyConfig
		agent    *PolicyConfig
		provider string
		model    string
		want     []string
		warn     string
	}{
		{name: "no config allows all", want: allTools},
		{name: "minimal profile", global: &PolicyConfig{Profile: "minimal"}, want: []string{"session_status"}},
		{name: "coding profile", global: &PolicyConfig{Profile: "coding"},
			want: []string{"read", "write", "edit", "apply_patch", "exec", "process", "sessions_list", "sessions_history", "sessions_send", "session_status"}},
		{name: "messaging profile", global: &PolicyConfig{Profile: "messaging"},
			want: []string{"message", "sessions_list", "sessions_history", "sessions_send", "session_status"}},
		{name: "unknown profile ignored", global: &PolicyConfig{Profile: "nope"}, want: allTools},
		{name: "agent profile overrides global", global: &PolicyConfig{Profile: "minimal"}, agent: &PolicyConfig{Profile: "full"}, want: allTools},
		{name: "deny wins over profile", global: &PolicyConfig{Profile: "coding", Deny: []string{"group:runtime"}},
			want: []string{"read", "write", "edit", "apply_patch", "sessions_list", "sessions_history", "sessions_send", "session_status"}},
		{name: "allow group", global: &PolicyConfig{Allow: []string{"group:fs"}}, want: []string{"read", "write", "edit", "apply_patch"}},
		{name: "bash alias and exec brings apply_patch", global: &PolicyConfig{Allow: []string{"Bash", "read"}}, want: []string{"read", "apply_patch", "exec"}},
		{name: "wildcard", global: &PolicyConfig{Allow: []string{"sessions_*"}}, want: []string{"sessions_list", "sessions_history", "sessions_send"}},
		{name: "star then deny", global: &PolicyConfig{Allow: []string{"*"}, Deny: []string{"exec", "web_*"}},
			want: slices.DeleteFunc(slices.Clone(allTools), func(s string) bool { return s == "exec" || s == "web_fetch" })},
		{name: "agent narrows global", global: &PolicyConfig{Allow: []string{"group:fs", "exec"}}, agent: &PolicyConfig{Deny: []string{"write"}},
			want: []string{"read", "edit", "apply_patch", "exec"}},
		{name: "by provider/model", global: &PolicyConfig{ByProvider: map[string]PolicyConfig{"OpenAI/gpt-4o": {Deny: []string{"exec"}}, "openai": {Deny: []string{"read"}}}},
			provider: "openai", model: "gpt-4o", want: slices.DeleteFunc(slices.Clone(allTools), func(s string) bool { return s == "exec" })},
		{name: "by provider", global: &PolicyConfig{ByProvider: map[string]PolicyConfig{"openai": {Profile: "minimal"}}},
			provider: "openai", model: "gpt-5", want: []string{"session_status"}},
		{name: "allowlist of unknown tools is dropped", global: &PolicyConfig{Allow: []string{"some_plugin_tool"}, Deny: []string{"exec"}},
			want: slices.DeleteFunc(slices.Clone(allTools), func(s string) bool { return s == "exec" }), warn: "Ignoring allowlist"},
		{name: "unknown entries next to known ones", global: &PolicyConfig{Allow: []string{"read", "mystery"}}, want: []string{"read"}, warn: "mystery"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			layers, warns := Layers(c.global, c.agent, c.provider, c.model, allTools)
			got := allowed(layers)
			want := c.want
			slices.Sort(got)
			want = slices.Clone(want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("got %v\nwant %v", got, want)
			}
			if c.warn != "" && !strings.Contains(strings.Join(warns, "\n"), c.warn) {
				t.Fatalf("warnings %v", warns)
			}
			if c.warn == "" && len(warns) > 0 {
				t.Fatalf("unexpected warnings %v", warns)
			}
		})
	}
}

func TestSetFilterAndLookup(t *testing.T) {
	mk := func(n string) *Tool { return &Tool{Name: n} }
	s, err := NewSet(mk("read"), mk("exec"), mk("web_fetch"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewSet(mk("exec"), mk("EXEC")); err == nil {
		t.Fatal("duplicate accepted")
	}
	if tl, ok := s.Get("bash"); !ok || tl.Name != "exec" {
		t.Fatal("alias lookup")
	}
	f := s.Filter(NewPolicy([]string{"group:fs", "group:web"}, nil))
	if got := strings.Join(f.Names(), ","); got != "read,web_fetch" {
		t.Fatalf("filtered %s", got)
	}
	if _, ok := f.Get("exec"); ok {
		t.Fatal("filtered tool still callable")
	}
	if tl, ok := f.Get(" Web_Fetch "); !ok || tl.Name != "web_fetch" {
		t.Fatal("lookup after filter")
	}
	if _, err := NewSet(mk("bash"), mk("exec")); err == nil {
		t.Fatal("alias duplicate accepted")
	}
}

// TestSetDefs: the definitions are built once per set and shared by concurrent callers
// (run with -race); a filtered set has its own.
func TestSetDefs(t *testing.T) {
	s, err := NewSet(&Tool{Name: "read", Description: "r"}, &Tool{Name: "exec", Description: "e"})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	got := make([][]llm.ToolDef, 4)
	for i := range got {
		wg.Add(1)
		go func() { defer wg.Done(); got[i] = s.Defs() }()
	}
	wg.Wait()
	for _, d := range got {
		if len(d) != 2 || d[0].Name != "read" || d[1].Description != "e" || &d[0] != &got[0][0] {
			t.Fatalf("defs %+v", d)
		}
	}
	f := s.Filter(NewPolicy([]string{"exec"}, nil))
	if d := f.Defs(); len(d) != 1 || d[0].Name != "exec" {
		t.Fatalf("filtered defs %+v", d)
	}
	var none *Set
	if d := none.Defs(); d == nil || len(d) != 0 {
		t.Fatalf("nil set defs %#v", d)
	}
}

// Every built-in schema compiles, is an object schema, and rejects wrong argument types
// with a message naming the tool.
func TestBuiltinSchemas(t *testing.T) {
	for _, name := range allTools {
		raw, err := Schema(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var s map[string]any
		if err := json.Unmarshal(raw, &s); err != nil || s["type"] != "object" || s["properties"] == nil {
			t.Fatalf("%s: schema %s", name, raw)
		}
	}
	tl, err := withSchema(&Tool{Name: "exec", Execute: func(context.Context, Call) (Result, error) { return Result{}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	if err := tl.Validate(json.RawMessage(`{"command":"ls"}`)); err != nil {
		t.Fatal(err)
	}
	err = tl.Validate(json.RawMessage(`{"command":5}`))
	if err == nil || !strings.Contains(err.Error(), `Validation failed for tool "exec"`) || !strings.Contains(err.Error(), "command") {
		t.Fatalf("bad type: %v", err)
	}
	if err := tl.Validate(json.RawMessage(`{}`)); err == nil {
		t.Fatal("missing required command accepted")
	}
}
