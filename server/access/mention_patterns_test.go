package access

import (
	"strings"
	"testing"
)

func TestMentionPatterns(t *testing.T) {
	res, bad := CompileMentionPatterns([]string{`\bclawd\b`, `(?<=hey )bot`, "\bjarvis\b", `[`})
	if len(res) != 2 || len(bad) != 2 || bad[0] != `(?<=hey )bot` || bad[1] != `[` {
		t.Fatalf("compiled %d, bad %q", len(res), bad)
	}
	derived, _ := CompileMentionPatterns(DeriveMentionPatterns(" Mr. Claw ", "🦞"))
	tests := []struct {
		name string
		text string
		want bool
		res  int // 0: res, 1: derived
	}{
		{"word", "hey clawd!", true, 0},
		{"case", "CLAWD, you there?", true, 0},
		{"inside a word", "clawdbot", false, 0},
		{"backspace pattern", "ok Jarvis", true, 0},
		{"zero-width marks around a name", "\u2068clawd\u2069 hi", true, 0},
		{"nothing", "lunch?", false, 0},
		{"derived name, dots quoted", "mr. claw help", true, 1},
		{"derived name, any spacing, @", "@mr.   claw help", true, 1},
		{"derived: dot is literal", "mrx claw", false, 1},
		{"derived emoji", "🦞?", true, 1},
		{"empty", "   ", false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := res
			if tt.res == 1 {
				r = derived
			}
			if got := MatchesMentionPatterns(tt.text, r); got != tt.want {
				t.Fatalf("MatchesMentionPatterns(%q) = %v", tt.text, got)
			}
		})
	}
	if MatchesMentionPatterns("clawd", nil) {
		t.Fatal("no patterns matched")
	}
	many := make([]string, MaxMentionPatterns+3)
	for i := range many {
		many[i] = "x" + strings.Repeat("y", i)
	}
	if res, bad := CompileMentionPatterns(many); len(res) != MaxMentionPatterns || len(bad) != 3 {
		t.Fatalf("limit: %d compiled, %d left out", len(res), len(bad))
	}
	if DeriveMentionPatterns("", "") != nil {
		t.Fatal("patterns derived from nothing")
	}
}

func TestMentionsNumber(t *testing.T) {
	tests := []struct {
		text, own string
		want      bool
	}{
		{"ping +1 555-123-4567 please", "15551234567", true},
		{"ping 15551234567", "15551234567", true},
		{"ping 1555123", "15551234567", false},
		{"123", "123", false}, // too short to be a number
		{"anything", "", false},
	}
	for _, tt := range tests {
		if got := MentionsNumber(tt.text, tt.own); got != tt.want {
			t.Errorf("MentionsNumber(%q, %q) = %v", tt.text, tt.own, got)
		}
	}
}
