package commands

import (
	"context"
	"reflect"
	"strings"
	"testing"
)

func TestParseConfigValue(t *testing.T) {
	cases := []struct {
		in      string
		want    any
		wantErr bool
	}{
		{"true", true, false},
		{" false ", false, false},
		{"null", nil, false},
		{"42", float64(42), false},
		{"-1.5", -1.5, false},
		{"1e3", "1e3", false}, // not the original's number shape: text
		{`"quoted"`, "quoted", false},
		{`'single'`, "single", false},
		{`{"a":[1]}`, map[string]any{"a": []any{float64(1)}}, false},
		{"[1,", nil, true},
		{"plain text", "plain text", false},
		{"   ", nil, true},
	}
	for _, c := range cases {
		got, err := ParseConfigValue(c.in)
		if (err != nil) != c.wantErr || (!c.wantErr && !reflect.DeepEqual(got, c.want)) {
			t.Errorf("ParseConfigValue(%q) = %#v, %v; want %#v (err %v)", c.in, got, err, c.want, c.wantErr)
		}
	}
}

func TestParseBash(t *testing.T) {
	cases := []struct {
		in   string
		want BashRequest
		ok   bool
	}{
		{"! echo hi", BashRequest{Action: BashRun, Command: "echo hi"}, true},
		{"!ls -la", BashRequest{Action: BashRun, Command: "ls -la"}, true},
		{"!: pwd", BashRequest{Action: BashRun, Command: "pwd"}, true},
		{"!", BashRequest{Action: BashHelp}, true},
		{"!poll", BashRequest{Action: BashPoll}, true},
		{"! poll abc", BashRequest{Action: BashPoll, SessionID: "abc"}, true},
		{"!stop", BashRequest{Action: BashStop}, true},
		{"/bash echo x", BashRequest{Action: BashRun, Command: "echo x"}, true},
		{"/bash: stop id1", BashRequest{Action: BashStop, SessionID: "id1"}, true},
		{"/bash", BashRequest{Action: BashHelp}, true},
		{"/bashful", BashRequest{}, false},
		{"echo", BashRequest{}, false},
	}
	for _, c := range cases {
		got, ok := ParseBash(c.in)
		if ok != c.ok || got != c.want {
			t.Errorf("ParseBash(%q) = %+v, %v; want %+v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestSetUnsetAt(t *testing.T) {
	tree := map[string]any{"a": "scalar"}
	SetAt(tree, []string{"a", "b", "c"}, 1.0)
	if !reflect.DeepEqual(tree, map[string]any{"a": map[string]any{"b": map[string]any{"c": 1.0}}}) {
		t.Fatalf("SetAt: %v", tree)
	}
	if UnsetAt(tree, []string{"a", "x"}) {
		t.Fatal("UnsetAt removed a missing key")
	}
	if !UnsetAt(tree, []string{"a", "b", "c"}) || len(tree) != 0 {
		t.Fatalf("UnsetAt left empty parents: %v", tree)
	}
	for _, bad := range []string{"", "a..b", "a.__proto__", " . "} {
		if _, err := ParsePath(bad); err == nil {
			t.Errorf("ParsePath(%q) accepted", bad)
		}
	}
}

// fakeAdmin records what the owner's commands asked for.
type fakeAdmin struct {
	tg       Toggles
	tree     map[string]any
	writes   int
	noWrites bool
	debug    map[string]any
	restarts int
	bash     []BashRequest
}

func (a *fakeAdmin) Toggles() Toggles { return a.tg }
func (a *fakeAdmin) ConfigTree(context.Context) (map[string]any, error) {
	return a.tree, nil
}
func (a *fakeAdmin) ConfigEdit(_ context.Context, edit func(map[string]any) (bool, error)) (bool, error) {
	ok, err := edit(a.tree)
	if ok {
		a.writes++
	}
	return ok, err
}
func (a *fakeAdmin) ConfigWritesAllowed(ch, _ string) bool { return ch == "" || !a.noWrites }
func (a *fakeAdmin) DebugOverrides() map[string]any        { return a.debug }
func (a *fakeAdmin) DebugSet(p []string, v any) error {
	if a.debug == nil {
		a.debug = map[string]any{}
	}
	SetAt(a.debug, p, v)
	return nil
}
func (a *fakeAdmin) DebugUnset(p []string) (bool, error) { return UnsetAt(a.debug, p), nil }
func (a *fakeAdmin) DebugReset() error                   { a.debug = nil; return nil }
func (a *fakeAdmin) Restart() (string, error)            { a.restarts++; return "in-process (SIGUSR1)", nil }
func (a *fakeAdmin) Bash(_ context.Context, _ string, r BashRequest) string {
	a.bash = append(a.bash, r)
	return "ran"
}

// TestOwnerCommands: the owner's commands run only for an authorised owner (others
// are dropped silently, "!" from them is text), answer that they are off until their
// toggle is set, and obey configWrites and commands.text.
func TestOwnerCommands(t *testing.T) {
	ctx := context.Background()
	a := &fakeAdmin{tree: map[string]any{}}
	in := func(text string, owner bool) Input {
		return Input{SessionKey: "k", Text: text, Authorized: true, Owner: owner, Channel: "telegram", Admin: a}
	}
	res, _ := Handle(ctx, &fakeEnv{}, in("/config set a.b=1", true))
	if !strings.Contains(res.Reply, "/config is disabled") {
		t.Fatalf("off: %+v", res)
	}
	a.tg = Toggles{Config: true, Debug: true, Restart: true, Bash: true}
	res, _ = Handle(ctx, &fakeEnv{}, in("/config set a.b=1", false))
	if !res.Handled || !res.Ignored || res.Reply != "" || a.writes != 0 {
		t.Fatalf("non-owner /config: %+v, %d writes", res, a.writes)
	}
	if res, _ := Handle(ctx, &fakeEnv{}, in("! rm -rf /", false)); res.Handled || len(a.bash) != 0 {
		t.Fatalf("non-owner bang: %+v", res)
	}
	if res, _ := Handle(ctx, &fakeEnv{}, in("/restart now", true)); res.Handled || a.restarts != 0 {
		t.Fatalf("/restart with args: %+v", res)
	}
	res, _ = Handle(ctx, &fakeEnv{}, in("/config set a.b=1", true))
	if res.Reply != "⚙️ Config updated: a.b=1" || a.writes != 1 {
		t.Fatalf("owner /config set: %+v", res)
	}
	a.noWrites = true
	res, _ = Handle(ctx, &fakeEnv{}, in("/config unset a.b", true))
	if !strings.Contains(res.Reply, "Config writes are disabled for telegram") || a.writes != 1 {
		t.Fatalf("configWrites false: %+v", res)
	}
	res, _ = Handle(ctx, &fakeEnv{}, in("/debug set x.y=\"v\"", true))
	if res.Reply != `⚙️ Debug override set: x.y="v"` {
		t.Fatalf("/debug set: %+v", res)
	}
	if res, _ := Handle(ctx, &fakeEnv{}, in("/restart", true)); !strings.Contains(res.Reply, "Restarting clawdbot in-process") || a.restarts != 1 {
		t.Fatalf("/restart: %+v", res)
	}
	if res, _ := Handle(ctx, &fakeEnv{}, in("!poll", true)); res.Reply != "ran" || a.bash[0].Action != BashPoll {
		t.Fatalf("!poll: %+v %+v", res, a.bash)
	}
	// commands.text off: only native commands; bash is text-only.
	off := in("/debug show", true)
	off.TextOff, off.Native = true, func(n string) bool { return n == "status" }
	if res, _ := Handle(ctx, &fakeEnv{}, off); res.Handled {
		t.Fatalf("text off /debug: %+v", res)
	}
	off.Text = "/status"
	if res, _ := Handle(ctx, &fakeEnv{}, off); !res.Handled {
		t.Fatalf("text off native /status: %+v", res)
	}
	off.Text = "! ls"
	if res, _ := Handle(ctx, &fakeEnv{}, off); res.Handled || len(a.bash) != 1 {
		t.Fatalf("text off bang: %+v", res)
	}
}

func TestResolveSkillInvocation(t *testing.T) {
	list := []SkillCommand{{Name: "weather_report", SkillName: "weather-report"}, {Name: "status_2", SkillName: "status"}}
	cases := []struct {
		in, skill, args string
		ok              bool
	}{
		{"/weather_report Paris", "weather-report", "Paris", true},
		{"/WEATHER_REPORT", "weather-report", "", true},
		{"/weather_report@MyBot now", "weather-report", "now", true},
		{"/skill weather-report in Berlin", "weather-report", "in Berlin", true},
		{"/skill Weather Report", "", "", false}, // the name is one word, as the original reads it
		{"/skill status", "status", "", true},
		{"/skill", "", "", false},
		{"/weather-report", "", "", false},
		{"weather_report", "", "", false},
	}
	for _, c := range cases {
		got, args, ok := ResolveSkillInvocation(c.in, list)
		if ok != c.ok || got.SkillName != c.skill || args != c.args {
			t.Errorf("ResolveSkillInvocation(%q) = %+v %q %v", c.in, got, args, ok)
		}
	}
	if p := SkillPrompt("x", "in"); p != "Use the \"x\" skill for this request.\n\nUser input:\nin" {
		t.Errorf("prompt %q", p)
	}
}
