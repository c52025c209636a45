package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	cases := []struct {
		in   string
		ok   bool
		name Name
		args string
	}{
		{"/new", true, New, ""},
		{"  /NEW  ", true, New, ""},
		{"/new hello there", true, New, "hello there"},
		{"/reset", true, Reset, ""},
		{"/status", true, Status, ""},
		{"/status@MyBot", true, Status, ""},
		{"/stop", true, Stop, ""},
		{"/help", true, Help, ""},
		{"/think high", true, Think, "high"},
		{"/think: high", true, Think, "high"},
		{"/thinking low", true, Think, "low"},
		{"/t off", true, Think, "off"},
		{"/verbose on", true, Verbose, "on"},
		{"/v off", true, Verbose, "off"},
		{"/model openai/gpt-4o", true, Model, "openai/gpt-4o"},
		{"/compact", true, Compact, ""},
		{"/approve abc allow-once", true, Approve, "abc allow-once"},
		{"/foo", false, "", ""},
		{"/newish", false, "", ""},
		{"new", false, "", ""},
		{"hello /new", false, "", ""},
		{"/", false, "", ""},
		{"", false, "", ""},
		{"/new " + strings.Repeat("x", MaxCommandBytes), false, "", ""},
	}
	for _, c := range cases {
		got, ok := Parse(c.in)
		if ok != c.ok || got.Name != c.name || got.Args != c.args {
			t.Errorf("Parse(%q) = %+v, %v; want %s %q %v", c.in, got, ok, c.name, c.args, c.ok)
		}
	}
}

type fakeEnv struct {
	resets       []string
	aborted      int
	abortKey     string
	state        State
	resolved     []string
	apprErr      error
	set          []string // "setting=value" of SetSession calls
	setErr       error
	kept         int64
	compacts     int
	summary      bool
	compactFocus string
}

func (f *fakeEnv) ResetSession(ctx context.Context, key string) error {
	f.resets = append(f.resets, key)
	return nil
}
func (f *fakeEnv) AbortSession(key string) int { f.abortKey = key; return f.aborted }
func (f *fakeEnv) SessionState(ctx context.Context, key string) (State, error) {
	s := f.state
	s.SessionKey = key
	return s, nil
}
func (f *fakeEnv) SetSession(ctx context.Context, key string, s Setting, v string) (string, error) {
	if f.setErr != nil {
		return "", f.setErr
	}
	f.set = append(f.set, string(s)+"="+v)
	return v, nil
}
func (f *fakeEnv) CompactSession(ctx context.Context, key, instructions string) (Compaction, error) {
	f.compacts++
	f.compactFocus = instructions
	if f.summary {
		return Compaction{Compacted: true, Summarized: true, TokensBefore: 12000, TokensAfter: 3000}, nil
	}
	return Compaction{Compacted: f.kept > 0, Kept: f.kept}, nil
}
func (f *fakeEnv) ResolveApproval(id string, d Decision, by string) error {
	if f.apprErr != nil {
		return f.apprErr
	}
	f.resolved = append(f.resolved, id+"="+string(d)+"@"+by)
	return nil
}

func TestHandle(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	cases := []struct {
		name       string
		text       string
		authorized bool
		env        fakeEnv
		handled    bool
		ignored    bool
		reply      string // substring; "" = no reply expected
		cont       string
		resets     int
		resolved   string
		set        string
		compacts   int
	}{
		{name: "plain text", text: "hello", authorized: true},
		{name: "unknown command goes to the model", text: "/foo bar", authorized: true},
		{name: "unauthorized new ignored", text: "/new", handled: true, ignored: true},
		{name: "unauthorized status ignored", text: "/status", handled: true, ignored: true},
		{name: "unauthorized unknown still goes to model", text: "/foo"},
		{name: "new", text: "/new", authorized: true, handled: true, reply: "New session started", resets: 1},
		{name: "reset with text continues", text: "/reset hi there", authorized: true, handled: true, cont: "hi there", resets: 1},
		{name: "stop with a run", text: "/stop", authorized: true, env: fakeEnv{aborted: 1}, handled: true, reply: "Agent was aborted"},
		{name: "stop idle", text: "/stop", authorized: true, handled: true, reply: "Nothing to stop"},
		{name: "status", text: "/status", authorized: true, env: fakeEnv{state: State{Model: "openai/m1", InputTokens: 1200, OutputTokens: 34, Queue: Queue{Running: true, Waiting: 2, Cap: 8}}},
			handled: true, reply: "🧠 Model: openai/m1\n🧮 Tokens: 1.2k in / 34 out"},
		{name: "status queue", text: "/status", authorized: true, env: fakeEnv{state: State{Queue: Queue{Running: true, Waiting: 2, Cap: 8}}}, handled: true, reply: "🪢 Queue: unknown (running · depth 2 · cap 8)"},
		{name: "status levels", text: "/status", authorized: true, env: fakeEnv{state: State{ThinkingLevel: "high", VerboseLevel: "full", ReasoningLevel: "stream", QueueMode: "collect", Queue: Queue{Cap: -1}}},
			handled: true, reply: "⚙️ Runtime: direct · Think: high · verbose:full · Reasoning: stream\n🪢 Queue: collect (depth 0)"},
		{name: "help", text: "/help", authorized: true, handled: true, reply: "/approve <id>"},
		{name: "think valid", text: "/think high", authorized: true, handled: true, reply: "Thinking level set to high", set: "thinkingLevel=high"},
		{name: "think current", text: "/think", authorized: true, env: fakeEnv{state: State{ThinkingLevel: "medium"}}, handled: true, reply: "Current thinking level: medium"},
		{name: "think invalid", text: "/think turbo", authorized: true, handled: true, reply: "Unrecognized thinking level"},
		{name: "verbose invalid", text: "/verbose loud", authorized: true, handled: true, reply: "Unrecognized verbose level"},
		{name: "verbose on", text: "/verbose on", authorized: true, handled: true, reply: "Verbose level set to on", set: "verboseLevel=on"},
		{name: "model", text: "/model x/y", authorized: true, handled: true, reply: "Model set to x/y", set: "model=x/y"},
		{name: "model refused", text: "/model nope/m", authorized: true, env: fakeEnv{setErr: errors.New("unknown provider nope")}, handled: true, reply: "Model not changed: unknown provider nope"},
		{name: "model not allowed", text: "/model x/z", authorized: true, env: fakeEnv{setErr: fmt.Errorf("wrapped: %w", &ModelNotAllowed{Model: "x/z", Allowed: []string{"x/a", "x/y"}})}, handled: true,
			reply: `Model "x/z" is not allowed. Allowed models: x/a, x/y.`},
		{name: "compact", text: "/compact", authorized: true, env: fakeEnv{kept: 400}, handled: true, reply: "newest 400 messages are kept", compacts: 1},
		{name: "compact nothing", text: "/compact", authorized: true, handled: true, reply: "Nothing to compact", compacts: 1},
		{name: "compact summarised", text: "/compact focus on decisions", authorized: true, env: fakeEnv{summary: true}, handled: true, reply: "Compacted (12k → 3.0k)", compacts: 1},
		{name: "approve", text: "/approve ab12 allow-always", authorized: true, handled: true, reply: "ab12: allow-always", resolved: "ab12=allow-always@+1555"},
		{name: "approve alias", text: "/approve ab12 always", authorized: true, handled: true, reply: "allow-always", resolved: "ab12=allow-always@+1555"},
		{name: "approve bad decision", text: "/approve ab12 maybe", authorized: true, handled: true, reply: "Usage: /approve"},
		{name: "approve unknown id", text: "/approve zz deny", authorized: true, env: fakeEnv{apprErr: errors.New("unknown approval id")}, handled: true, reply: "not resolved: unknown approval id"},
		{name: "approve unauthorized", text: "/approve ab12 deny", handled: true, ignored: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := c.env
			res, err := Handle(context.Background(), &env, Input{SessionKey: "agent:main:main", Text: c.text, Authorized: c.authorized, SenderID: "+1555", Now: now})
			if err != nil {
				t.Fatal(err)
			}
			if res.Handled != c.handled || res.Ignored != c.ignored || res.Continue != c.cont {
				t.Fatalf("result %+v", res)
			}
			if (c.reply == "") != (res.Reply == "") || !strings.Contains(res.Reply, c.reply) {
				t.Fatalf("reply %q, want it to contain %q", res.Reply, c.reply)
			}
			if len(env.resets) != c.resets {
				t.Fatalf("resets %v, want %d", env.resets, c.resets)
			}
			if got := strings.Join(env.resolved, ","); got != c.resolved {
				t.Fatalf("resolved %q, want %q", got, c.resolved)
			}
			if got := strings.Join(env.set, ","); got != c.set {
				t.Fatalf("set %q, want %q", got, c.set)
			}
			if env.compacts != c.compacts {
				t.Fatalf("compacts %d, want %d", env.compacts, c.compacts)
			}
		})
	}
}

// TestFormatStatus: the original's layout and number formats — tokens (1.2k, 12k,
// 2.5m), context used of the window with its percentage ("?" for an unknown side),
// cost only when prices are known, options with the default levels, session age.
func TestFormatStatus(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	cases := []struct {
		name     string
		st       State
		want     []string
		wantNone []string
	}{
		{"full", State{Version: "1.2.3", Model: "openai/gpt-x", SessionKey: "k", InputTokens: 12_345, OutputTokens: 678, Messages: 4, Compactions: 1,
			ContextUsed: 12_345, ContextWindow: 128_000, Cost: 0.0421, HasCost: true, UpdatedAt: now.Add(-5 * time.Minute), QueueMode: "collect", Queue: Queue{Cap: -1}},
			[]string{"🦞 Clawdbot Gateway 1.2.3\n🧠 Model: openai/gpt-x\n🧮 Tokens: 12k in / 678 out · 💵 Cost: $0.04\n📚 Context: 12k/128k (10%) · 4 messages · 🧹 Compactions: 1\n🧵 Session: k • updated 5m ago\n⚙️ Runtime: direct · Think: off\n🪢 Queue: collect (depth 0)"}, nil},
		{"small cost, big counts", State{InputTokens: 2_500_000, OutputTokens: 1_200, Cost: 0.0012, HasCost: true, ContextUsed: 2_500_000, ContextWindow: 200_000},
			[]string{"🧮 Tokens: 2.5m in / 1.2k out · 💵 Cost: $0.0012", "📚 Context: 2.5m/200k (999%)"}, nil},
		{"unknown usage, no prices", State{ContextWindow: 200_000}, []string{"📚 Context: ?/200k · 0 messages", "• no activity"}, []string{"Cost"}},
		{"unknown window", State{ContextUsed: 900}, []string{"📚 Context: 900/? ·"}, []string{"%)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := FormatStatus(c.st, now)
			for _, w := range c.want {
				if !strings.Contains(s, w) {
					t.Errorf("status\n%s\nlacks\n%s", s, w)
				}
			}
			for _, w := range c.wantNone {
				if strings.Contains(s, w) {
					t.Errorf("status\n%s\nhas %q", s, w)
				}
			}
		})
	}
}
