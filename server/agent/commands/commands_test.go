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
		{name: "status queue", text: "/status", authorized: true, env: fakeEnv{state: State{Queue: Queue{Running: true, Waiting: 2, Cap: 8}}}, handled: true, reply: "🪢 Queue: fifo (running · depth 2 · cap 8)"},
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
		{name: "compact summarised", text: "/compact focus on decisions", authorized: true, env: fakeEnv{summary: true}, handled: true, reply: "Compacted (12k → 3k)", compacts: 1},
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

func TestFormatStatusTokensAndAge(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := FormatStatus(State{SessionKey: "k", TotalTokens: 2_500_000, UpdatedAt: now.Add(-5 * time.Minute), Queue: Queue{Cap: -1}}, now)
	for _, want := range []string{"📚 Context: 2.5m tokens", "🧵 Session: k • updated 5m ago", "🪢 Queue: fifo (depth 0)"} {
		if !strings.Contains(s, want) {
			t.Errorf("status %q lacks %q", s, want)
		}
	}
}
