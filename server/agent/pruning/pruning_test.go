package pruning

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/agent/llm"
)

func user(s string) llm.Message {
	return llm.Message{Role: llm.RoleUser, Content: []llm.Part{llm.TextPart(s)}}
}
func asst(s string) llm.Message {
	return llm.Message{Role: llm.RoleAssistant, Content: []llm.Part{llm.TextPart(s)}}
}
func tool(name, s string) llm.Message {
	return llm.Message{Role: llm.RoleToolResult, ToolName: name, ToolCallID: "c", Content: []llm.Part{llm.TextPart(s)}}
}

func text(m llm.Message) string {
	var b strings.Builder
	for _, p := range m.Content {
		b.WriteString(p.Text)
	}
	return b.String()
}

// small settings so the tests use short texts: window 1000 tokens = 4000 chars.
func small() Settings {
	s := Defaults()
	s.KeepLastAssistants = 1
	s.SoftTrimMaxChars = 100
	s.SoftTrimHeadChars = 10
	s.SoftTrimTailChars = 5
	s.MinPrunableToolChars = 0
	return s
}

const window = 1000

func TestPrune(t *testing.T) {
	big := strings.Repeat("a", 10) + strings.Repeat("x", 1480) + strings.Repeat("z", 5) // 1495 chars
	trimmed := strings.Repeat("a", 10) + "\n...\n" + strings.Repeat("z", 5) +
		"\n\n[Tool result trimmed: kept first 10 chars and last 5 chars of 1495 chars.]"
	tests := []struct {
		name    string
		msgs    []llm.Message
		mod     func(*Settings)
		want    []string // text of each message after pruning
		changed bool
	}{
		{
			name:    "soft trim keeps head and tail with a note",
			msgs:    []llm.Message{user("q"), tool("read", big), asst("a"), user("q2"), asst("a2")},
			want:    []string{"q", trimmed, "a", "q2", "a2"},
			changed: true,
		},
		{
			name: "under the soft trim ratio nothing changes",
			msgs: []llm.Message{user("q"), tool("read", big), asst("a"), user("q2"), asst("a2")},
			mod:  func(s *Settings) { s.SoftTrimRatio = 0.5 },
			want: []string{"q", big, "a", "q2", "a2"},
		},
		{
			name: "small results are untouched",
			msgs: []llm.Message{user(strings.Repeat("u", 1500)), tool("read", "short"), asst("a"), user("q2"), asst("a2")},
			want: []string{strings.Repeat("u", 1500), "short", "a", "q2", "a2"},
		},
		{
			name: "the last N assistant turns are protected",
			msgs: []llm.Message{user("q"), asst("a"), tool("read", big), asst("a2")},
			mod:  func(s *Settings) { s.KeepLastAssistants = 2 },
			want: []string{"q", "a", big, "a2"},
		},
		{
			name: "fewer assistant messages than protected: nothing pruned",
			msgs: []llm.Message{user("q"), tool("read", big), asst("a")},
			mod:  func(s *Settings) { s.KeepLastAssistants = 3 },
			want: []string{"q", big, "a"},
		},
		{
			name: "nothing before the first user message is pruned",
			msgs: []llm.Message{tool("read", big), user("q"), asst("a"), user("q2"), asst("a2")},
			want: []string{big, "q", "a", "q2", "a2"},
		},
		{
			name: "denied tools are kept",
			msgs: []llm.Message{user("q"), tool("Read", big), asst("a"), user("q2"), asst("a2")},
			mod:  func(s *Settings) { s.Deny = []string{"re*"} },
			want: []string{"q", big, "a", "q2", "a2"},
		},
		{
			name:    "only allowed tools are pruned",
			msgs:    []llm.Message{user("q"), tool("exec", big), tool("web_fetch", big), asst("a"), user("q2"), asst("a2")},
			mod:     func(s *Settings) { s.Allow = []string{"web_*"} },
			want:    []string{"q", big, trimmed, "a", "q2", "a2"},
			changed: true,
		},
		{
			name: "hard clear past the ratio replaces with the placeholder, oldest first",
			msgs: []llm.Message{user("q"), tool("read", big), tool("read", big), tool("read", big), asst("a"), user("q2"), asst("a2")},
			mod: func(s *Settings) {
				s.SoftTrimMaxChars = 100_000 // no soft trim: 4485 chars of 4000
				s.HardClearRatio = 0.7       // one clear brings it to ~0.75, two to ~0.38
			},
			want:    []string{"q", DefaultPlaceholder, DefaultPlaceholder, big, "a", "q2", "a2"},
			changed: true,
		},
		{
			name: "hard clear off keeps the results",
			msgs: []llm.Message{user("q"), tool("read", big), tool("read", big), tool("read", big), asst("a"), user("q2"), asst("a2")},
			mod: func(s *Settings) {
				s.SoftTrimMaxChars = 100_000
				s.HardClearEnabled = false
			},
			want: []string{"q", big, big, big, "a", "q2", "a2"},
		},
		{
			name: "hard clear waits for minPrunableToolChars",
			msgs: []llm.Message{user("q"), tool("read", big), tool("read", big), tool("read", big), asst("a"), user("q2"), asst("a2")},
			mod: func(s *Settings) {
				s.SoftTrimMaxChars = 100_000
				s.MinPrunableToolChars = 5000
			},
			want: []string{"q", big, big, big, "a", "q2", "a2"},
		},
		{
			name: "image results are never pruned",
			msgs: []llm.Message{user("q"), {Role: llm.RoleToolResult, ToolName: "read", Content: []llm.Part{llm.TextPart(big), llm.ImagePart("image/png", "AA")}},
				asst("a"), user("q2"), asst("a2")},
			want: []string{"q", big, "a", "q2", "a2"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := small()
			if tc.mod != nil {
				tc.mod(&s)
			}
			orig := make([]string, len(tc.msgs))
			for i, m := range tc.msgs {
				orig[i] = text(m)
			}
			out, changed := Prune(tc.msgs, s, window)
			if changed != tc.changed {
				t.Errorf("changed = %v, want %v", changed, tc.changed)
			}
			if len(out) != len(tc.want) {
				t.Fatalf("got %d messages, want %d", len(out), len(tc.want))
			}
			for i := range out {
				if got := text(out[i]); got != tc.want[i] {
					t.Errorf("message %d = %q…, want %q…", i, trunc(got), trunc(tc.want[i]))
				}
				if text(tc.msgs[i]) != orig[i] {
					t.Errorf("input message %d was modified", i)
				}
			}
		})
	}
}

func trunc(s string) string {
	if len(s) > 120 {
		return s[:120]
	}
	return s
}

func TestMatcher(t *testing.T) {
	tests := []struct {
		allow, deny []string
		name        string
		want        bool
	}{
		{nil, nil, "exec", true},
		{nil, []string{"exec"}, "EXEC", false},
		{[]string{"web_*"}, nil, "web_fetch", true},
		{[]string{"web_*"}, nil, "exec", false},
		{[]string{"*"}, []string{"memory_*"}, "memory_get", false},
		{[]string{"a.b"}, nil, "axb", false}, // patterns are literal apart from *
	}
	for _, tc := range tests {
		if got := NewMatcher(tc.allow, tc.deny).Prunable(tc.name); got != tc.want {
			t.Errorf("allow %v deny %v %q = %v, want %v", tc.allow, tc.deny, tc.name, got, tc.want)
		}
	}
}

func TestTrackerTTL(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	tr := NewTracker(func() time.Time { return now })
	s := small()
	s.TTL = 5 * time.Minute
	big := strings.Repeat("x", 3000)
	msgs := []llm.Message{user("q"), tool("read", big), asst("a"), user("q2"), asst("a2")}
	pruned := func(out []llm.Message) bool { return text(out[1]) != big }

	// First run of the session: no previous request, nothing pruned.
	if pruned(tr.Begin("s", s, window).Apply(msgs)) {
		t.Fatal("first run pruned")
	}
	// Within the TTL: the cache is warm, nothing pruned.
	now = now.Add(4 * time.Minute)
	if pruned(tr.Begin("s", s, window).Apply(msgs)) {
		t.Fatal("pruned within the TTL")
	}
	// Past the TTL: pruned on the first step, then not again within the same run.
	now = now.Add(5 * time.Minute)
	run := tr.Begin("s", s, window)
	if !pruned(run.Apply(msgs)) {
		t.Fatal("not pruned after the TTL")
	}
	now = now.Add(time.Second)
	if pruned(run.Apply(msgs)) {
		t.Fatal("pruned again right after a pruned step")
	}
	// Another session has its own clock.
	if pruned(tr.Begin("other", s, window).Apply(msgs)) {
		t.Fatal("a new session pruned")
	}
}

func TestEligible(t *testing.T) {
	for _, tc := range []struct {
		p, m string
		want bool
	}{{"anthropic", "claude-opus-4-5", true}, {"openrouter", "anthropic/claude-sonnet-4", true}, {"openrouter", "openai/gpt-5", false}, {"openai", "gpt-5", false}} {
		if got := Eligible(tc.p, tc.m); got != tc.want {
			t.Errorf("Eligible(%q, %q) = %v", tc.p, tc.m, got)
		}
	}
}

// TestTrackerBound: the tracker remembers at most MaxTrackedSessions sessions,
// forgetting the least recently started one.
func TestTrackerBound(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	tr := NewTracker(func() time.Time { now = now.Add(time.Second); return now })
	for i := range MaxTrackedSessions + 1 {
		tr.Begin(fmt.Sprint("s", i), Defaults(), window)
	}
	if n := len(tr.last); n != MaxTrackedSessions {
		t.Fatalf("%d sessions remembered, want %d", n, MaxTrackedSessions)
	}
	if _, ok := tr.last["s0"]; ok {
		t.Fatal("the oldest session was kept")
	}
	if _, ok := tr.last[fmt.Sprint("s", MaxTrackedSessions)]; !ok {
		t.Fatal("the newest session was dropped")
	}
}
