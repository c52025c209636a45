package heartbeat

import (
	"testing"
	"time"
)

func sp(s string) *string { return &s }

func TestParseEvery(t *testing.T) {
	for in, want := range map[string]time.Duration{"30m": 30 * time.Minute, "45": 45 * time.Minute, "1h": time.Hour, "1.5h": 90 * time.Minute,
		"500ms": 500 * time.Millisecond, "1d": 24 * time.Hour, "0": 0, "10S": 10 * time.Second} {
		if got, err := ParseEvery(in); err != nil || got != want {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "soon", "-5m", "1h30m"} {
		if _, err := ParseEvery(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestResolve(t *testing.T) {
	defaults := &Spec{Every: sp("1h"), Target: sp("last"), AckMaxChars: ptr(100)}
	// No agent has a heartbeat block: only the default agent beats, with the defaults.
	got, err := Resolve(defaults, []AgentSpec{{ID: "main", Workspace: "/w/main"}, {ID: "ops"}}, "main", "/w")
	if err != nil || len(got) != 1 || got[0].AgentID != "main" || got[0].Every != time.Hour || got[0].Workspace != "/w/main" || *got[0].AckMaxChars != 100 {
		t.Fatalf("%+v %v", got, err)
	}
	// Nothing configured: the default 30 minutes.
	if got, _ := Resolve(nil, nil, "main", "/w"); len(got) != 1 || got[0].Every != DefaultEvery {
		t.Fatalf("%+v", got)
	}
	// Explicit blocks: exactly those agents, merged over the defaults; 0 disables; a bad
	// interval is reported and the rest still resolve.
	got, err = Resolve(defaults, []AgentSpec{
		{ID: "main"},
		{ID: "ops", Heartbeat: &Spec{Every: sp("15m"), To: sp("+431"), Target: sp("whatsapp")}},
		{ID: "quiet", Heartbeat: &Spec{Every: sp("0")}},
		{ID: "broken", Heartbeat: &Spec{Every: sp("often")}},
		{ID: "inherit", Heartbeat: &Spec{IncludeReasoning: ptr(true)}},
	}, "main", "/w")
	if err == nil {
		t.Fatal("bad interval not reported")
	}
	if len(got) != 2 || got[0].AgentID != "ops" || got[0].Every != 15*time.Minute || got[0].Target != "whatsapp" || got[0].To != "+431" ||
		got[1].AgentID != "inherit" || got[1].Every != time.Hour || !got[1].IncludeReasoning || got[1].Target != "last" {
		t.Fatalf("%+v", got)
	}
}

// TestResolveModelSession: heartbeat.model and heartbeat.session come from the defaults,
// and an agents.list entry's block overrides them.
func TestResolveModelSession(t *testing.T) {
	s := func(v string) *string { return &v }
	defaults := &Spec{Model: s("cheap/m"), Session: s("ops")}
	got, err := Resolve(defaults, []AgentSpec{{ID: "main", Heartbeat: &Spec{Session: s(" night ")}}}, "main", "")
	if err != nil || len(got) != 1 {
		t.Fatalf("Resolve: %v %+v", err, got)
	}
	if got[0].Model != "cheap/m" || got[0].Session != "night" {
		t.Fatalf("model %q session %q", got[0].Model, got[0].Session)
	}
	got, _ = Resolve(defaults, nil, "main", "")
	if got[0].Model != "cheap/m" || got[0].Session != "ops" {
		t.Fatalf("defaults: model %q session %q", got[0].Model, got[0].Session)
	}
}
