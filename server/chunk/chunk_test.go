package chunk

import (
	"fmt"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func noSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// fenceLines counts fence delimiter lines (open or close) in s.
func fenceOpenAtEnd(s string) bool {
	var cur *fence
	for _, ln := range strings.Split(s, "\n") {
		if cur == nil {
			if ind, m, ok := parseOpen(ln); ok {
				cur = &fence{open: ln, marker: m, indent: ind}
				continue
			}
		} else if closes(ln, cur) {
			cur = nil
		}
	}
	return cur != nil
}

func checkChunks(t *testing.T, text string, limit int, chunks []string) {
	t.Helper()
	for i, c := range chunks {
		if u := Units(c); u > limit {
			t.Fatalf("chunk %d: %d units > %d", i, u, limit)
		}
		if !utf8.ValidString(c) {
			t.Fatalf("chunk %d: invalid UTF-8", i)
		}
		if strings.TrimSpace(c) == "" {
			t.Fatalf("chunk %d is blank", i)
		}
		if fenceOpenAtEnd(c) && !fenceOpenAtEnd(text) {
			t.Fatalf("chunk %d leaves a fence open:\n%s", i, c)
		}
	}
}

func TestSplitTable(t *testing.T) {
	para := strings.Repeat("word ", 30) // 150 chars
	cases := []struct {
		name  string
		text  string
		limit int
		want  []string
	}{
		{"empty", "", 10, nil},
		{"fits", "hello", 10, []string{"hello"}},
		{"no limit", strings.Repeat("x", 50), 0, []string{strings.Repeat("x", 50)}},
		{"paragraph preferred", "aaaa aaaa aaaa.\n\nbbbb bbbb", 20, []string{"aaaa aaaa aaaa.", "bbbb bbbb"}},
		{"line over space", "aaaa aaaa\naaaa aaaa aaaa", 16, []string{"aaaa aaaa", "aaaa aaaa aaaa"}},
		{"sentence over space", "One two three. Four five six seven", 20, []string{"One two three.", "Four five six seven"}},
		{"space", "alpha beta gamma delta", 12, []string{"alpha beta", "gamma delta"}},
		{"hard cut", "abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"emoji counts two", "😀😀😀", 4, []string{"😀😀", "😀"}},
		{"surrogate never split", "a😀", 2, []string{"a", "😀"}},
		{"fence split and reopened", "```go\nline1\nline2\nline3\n```", 21, []string{"```go\nline1\nline2\n```", "```go\nline3\n```"}},
		{"trailing text after fence", "```\nab\n```\ntail text here", 12, []string{"```\nab\n```", "tail text", "here"}},
		{"long para", para + "\n\n" + para + "\n", 200, []string{strings.TrimSpace(para), strings.TrimSpace(para)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Split(c.text, c.limit)
			if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", c.want) {
				t.Fatalf("got  %q\nwant %q", got, c.want)
			}
			if c.limit > 0 {
				checkChunks(t, c.text, c.limit, got)
			}
		})
	}
}

func TestHugeFencedBlock(t *testing.T) {
	var b strings.Builder
	b.WriteString("Here is the file:\n\n~~~~python\n")
	for i := range 3000 {
		fmt.Fprintf(&b, "print('line %d ünïcödé 😀')\n", i)
	}
	b.WriteString("~~~~\n\nThat's all.")
	text := b.String()
	for _, limit := range []int{TelegramMaxLimit, DefaultLimit, 500, 64} {
		chunks := Split(text, limit)
		checkChunks(t, text, limit, chunks)
		// Every chunk after the first starts inside the reopened fence until it ends.
		var inner strings.Builder
		for i, c := range chunks {
			if i > 0 && i < len(chunks)-1 && !strings.HasPrefix(c, "~~~~python\n") {
				t.Fatalf("limit %d chunk %d does not reopen the fence: %.40q", limit, i, c)
			}
			inner.WriteString(c)
		}
		strip := func(s string) string {
			return strings.ReplaceAll(strings.ReplaceAll(s, "~~~~python\n", ""), "~~~~", "")
		}
		if noSpace(strip(inner.String())) != noSpace(strings.ReplaceAll(strings.ReplaceAll(text, "~~~~python\n", ""), "~~~~", "")) {
			t.Fatalf("limit %d: content changed", limit)
		}
	}
}

func TestHugeSingleLineInFence(t *testing.T) {
	text := "```\n" + strings.Repeat("é", 10000) + "\n```"
	chunks := Split(text, 1000)
	checkChunks(t, text, 1000, chunks)
	n := 0
	for _, c := range chunks {
		n += strings.Count(c, "é")
	}
	if n != 10000 {
		t.Fatalf("lost characters: %d", n)
	}
}

func TestTinyLimitAlwaysProgresses(t *testing.T) {
	text := "```javascript\nconsole.log(1)\n```"
	for limit := 1; limit < 30; limit++ {
		chunks := Split(text, limit)
		for _, c := range chunks {
			if Units(c) > limit {
				t.Fatalf("limit %d: %q", limit, c)
			}
		}
	}
}

func TestContentPreservedProse(t *testing.T) {
	text := strings.Repeat("Sentence number one is here. Ünïcode — 日本語のテキスト。\n", 300)
	chunks := Split(text, 333)
	checkChunks(t, text, 333, chunks)
	if noSpace(strings.Join(chunks, "")) != noSpace(text) {
		t.Fatal("content changed")
	}
}

func TestLimitFor(t *testing.T) {
	cases := []struct {
		ch   string
		cfg  int
		want int
	}{
		{"telegram", 0, DefaultLimit}, {"telegram", 5000, TelegramMaxLimit}, {"telegram", 1000, 1000},
		{"whatsapp", 0, DefaultLimit}, {"whatsapp", 10000, 10000}, {"whatsapp", 1 << 20, WhatsAppMaxLimit},
		{"other", -1, DefaultLimit},
	}
	for _, c := range cases {
		if got := LimitFor(c.ch, c.cfg); got != c.want {
			t.Errorf("%s %d: %d", c.ch, c.cfg, got)
		}
	}
}

func FuzzSplit(f *testing.F) {
	f.Add("```go\nx := 1\n```\n\nhello world. again", 12)
	f.Add("😀 ~~~\nabc\n", 3)
	f.Fuzz(func(t *testing.T, s string, limit int) {
		if !utf8.ValidString(s) || limit <= 0 || limit > 200 {
			return
		}
		for _, c := range Split(s, limit) {
			// A single rune wider than the limit (an emoji at limit 1) goes alone.
			if Units(c) > limit && utf8.RuneCountInString(c) > 1 {
				t.Fatalf("%q limit %d: chunk %q", s, limit, c)
			}
		}
	})
}
