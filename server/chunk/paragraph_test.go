package chunk

import (
	"slices"
	"strings"
	"testing"
)

// TestSplitParagraphs: chunkMode "newline" sends each paragraph alone, keeps single
// line breaks (lists) together, never splits inside a code fence, and falls back to
// length splitting for a paragraph over the limit.
func TestSplitParagraphs(t *testing.T) {
	long := strings.Repeat("word ", 30)
	for _, tc := range []struct {
		name, text string
		limit      int
		want       []string
	}{
		{"paragraphs", "One.\n\nTwo.\n  \n\nThree.", 100, []string{"One.", "Two.", "Three."}},
		{"lines stay", "- a\n- b\n\nend", 100, []string{"- a\n- b", "end"}},
		{"fence kept", "Code:\n\n```\nx\n\ny\n```\n\nafter", 100, []string{"Code:", "```\nx\n\ny\n```", "after"}},
		{"crlf", "a\r\n\r\nb", 100, []string{"a", "b"}},
		{"no breaks", "just one", 100, []string{"just one"}},
		{"long paragraph", "short\n\n" + long, 40, append([]string{"short"}, Split(strings.TrimSpace(long), 40)...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := SplitMode(tc.text, tc.limit, ModeNewline); !slices.Equal(got, tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
	if got := SplitMode("One.\n\nTwo.", 100, ModeLength); !slices.Equal(got, []string{"One.\n\nTwo."}) {
		t.Fatalf("length mode split short text: %q", got)
	}
}
