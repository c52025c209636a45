package chunk

import (
	"slices"
	"strings"
	"testing"
)

// TestBlocker: blocks are cut at the preferred break once Min is reached, never over
// Max, the rest waits for more text, and Drain(true) hands out the tail.
func TestBlocker(t *testing.T) {
	p1 := strings.Repeat("a", 30) + "."
	p2 := strings.Repeat("b", 30) + "."
	for _, tc := range []struct {
		name      string
		min, max  int
		pref      string
		deltas    []string
		streaming []string // blocks handed out before the end
		tail      []string // Drain(true)
	}{
		{"paragraphs", 20, 100, BreakParagraph, []string{p1 + "\n\n", p2 + "\n\n", "tail"}, []string{p1, p2}, []string{"tail"}},
		{"under min waits", 50, 100, BreakParagraph, []string{p1 + "\n\n", p2}, nil, []string{p1 + "\n\n" + p2}},
		{"paragraph over line", 20, 200, BreakParagraph, []string{p1 + "\nline\n\n" + p2 + "\nmore"}, []string{p1 + "\nline", p2}, []string{"more"}},
		{"newline waits for max", 10, 100, BreakNewline, []string{"one two three four five six"}, nil, []string{"one two three four five six"}},
		{"newline breaks", 10, 100, BreakNewline, []string{"first line here\nsecond"}, []string{"first line here"}, []string{"second"}},
		{"sentence", 10, 100, BreakSentence, []string{"First sentence. Second one\n\nx"}, []string{"First sentence."}, []string{"Second one\n\nx"}},
		{"hard at max", 5, 10, BreakParagraph, []string{strings.Repeat("x", 25)}, []string{strings.Repeat("x", 10), strings.Repeat("x", 10)}, []string{"xxxxx"}},
		{"fence reopened", 5, 30, BreakParagraph, []string{"```go\n" + strings.Repeat("l\n", 20) + "```\n"}, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := NewBlocker(tc.min, tc.max, tc.pref)
			var got []string
			for _, d := range tc.deltas {
				b.Append(d)
				got = append(got, blockTexts(b.Drain(false))...)
			}
			tail := blockTexts(b.Drain(true))
			if tc.name == "fence reopened" {
				all := append(got, tail...)
				if len(all) < 2 {
					t.Fatalf("fenced text not cut: %q", all)
				}
				for _, c := range all {
					if Units(c) > tc.max || !strings.HasPrefix(c, "```go\n") || !strings.HasSuffix(c, "```") {
						t.Fatalf("block %q: over max or fence not closed/reopened", c)
					}
				}
				return
			}
			if !slices.Equal(got, tc.streaming) || !slices.Equal(tail, tc.tail) {
				t.Fatalf("streaming %q tail %q, want %q and %q", got, tail, tc.streaming, tc.tail)
			}
			if b.Buffered() {
				t.Fatal("text left after Drain(true)")
			}
		})
	}
}

// TestNewBlockerClamps: min above max is lowered to max; unknown preferences are
// paragraph.
func TestNewBlockerClamps(t *testing.T) {
	b := NewBlocker(900, 100, "words")
	if b.Min != 100 || b.Max != 100 || b.Pref != BreakParagraph {
		t.Fatalf("got %+v", b)
	}
	if b := NewBlocker(0, 0, ""); b.Min != 1 || b.Max != 1 {
		t.Fatalf("got %+v", b)
	}
}

func blockTexts(bs []Block) []string {
	var out []string
	for _, b := range bs {
		out = append(out, b.Text)
	}
	return out
}

// TestBlockerSep: each block tells the break it was cut at, so joining them back
// restores the text.
func TestBlockerSep(t *testing.T) {
	text := "Para one is here.\n\nLine two\nline three and some more words here"
	b := NewBlocker(5, 20, BreakParagraph)
	b.Append(text)
	bs := b.Drain(true)
	var joined strings.Builder
	for _, x := range bs {
		joined.WriteString(x.Text + x.Sep)
	}
	if joined.String() != text {
		t.Fatalf("joined %q from %+v", joined.String(), bs)
	}
	if bs[0].Sep != "\n\n" {
		t.Fatalf("first sep %q", bs[0].Sep)
	}
}
