package chunk

import (
	"slices"
	"strings"
	"testing"
)

func TestSplitMode(t *testing.T) {
	long := strings.Repeat("word ", 30) // 150 units
	cases := []struct {
		name, text, mode string
		limit            int
		want             []string
	}{
		{"length keeps paragraphs together", "one\n\ntwo", ModeLength, 100, []string{"one\n\ntwo"}},
		{"newline splits paragraphs", "one\n\ntwo\n \t\nthree", ModeNewline, 100, []string{"one", "two", "three"}},
		{"newline keeps single line breaks", "a\nb\n\nc", ModeNewline, 100, []string{"a\nb", "c"}},
		{"newline keeps fenced blank lines", "intro\n\n```\nx\n\ny\n```\n\nend", ModeNewline, 100, []string{"intro", "```\nx\n\ny\n```", "end"}},
		{"newline without paragraphs", "just one", ModeNewline, 100, []string{"just one"}},
		{"newline splits a long paragraph by length", "short\n\n" + long, ModeNewline, 100, append([]string{"short"}, Split(strings.TrimSpace(long), 100)...)},
		{"empty", "", ModeNewline, 100, nil},
		{"unknown mode is length", "one\n\ntwo", "bogus", 100, []string{"one\n\ntwo"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := SplitMode(c.text, c.limit, c.mode); !slices.Equal(got, c.want) {
				t.Fatalf("SplitMode(%q, %d, %q) = %q, want %q", c.text, c.limit, c.mode, got, c.want)
			}
		})
	}
}
