package tghtml

import (
	"errors"
	"strings"
	"testing"

	"github.com/clawgate/gateway/server/chunk"
)

func TestRender(t *testing.T) {
	tests := []struct {
		name, md, html, plain string
	}{
		{"plain", "hello", "hello", "hello"},
		{"escape text", "a < b > c & d", "a &lt; b &gt; c &amp; d", "a < b > c & d"},
		{"raw html is text", "<b>x</b>", "&lt;b&gt;x&lt;/b&gt;", "<b>x</b>"},
		{"bold", "**bold** and __also__", "<b>bold</b> and <b>also</b>", "bold and also"},
		{"italic", "*it* and _it_", "<i>it</i> and <i>it</i>", "it and it"},
		{"bold italic", "***both***", "<b><i>both</i></b>", "both"},
		{"strike", "~~gone~~", "<s>gone</s>", "gone"},
		{"escape in bold", "**a<b & c>**", "<b>a&lt;b &amp; c&gt;</b>", "a<b & c>"},
		{"nested", "**bold *it* `c<>`**", "<b>bold <i>it</i> <code>c&lt;&gt;</code></b>", "bold it c<>"},
		{"italic around bold", "*a **b** c*", "<i>a <b>b</b> c</i>", "a b c"},
		{"inline code", "run `x && y` now", "run <code>x &amp;&amp; y</code> now", "run x && y now"},
		{"code keeps markers", "`**not bold**`", "<code>**not bold**</code>", "**not bold**"},
		{"double backtick code", "``a ` b``", "<code>a ` b</code>", "a ` b"},
		{"unclosed bold", "**open", "**open", "**open"},
		{"unclosed italic", "a * b", "a * b", "a * b"},
		{"unclosed code", "`open & <", "`open &amp; &lt;", "`open & <"},
		{"unclosed strike", "~~x", "~~x", "~~x"},
		{"snake case", "snake_case_name", "snake_case_name", "snake_case_name"},
		{"space after opener", "2 * 3 * 4", "2 * 3 * 4", "2 * 3 * 4"},
		{"escaped marker", `\*not\*`, "*not*", "*not*"},
		{"link", "see [docs & more](https://x.test/?a=1&b=\"2\")", `see <a href="https://x.test/?a=1&amp;b=&quot;2&quot;">docs &amp; more</a>`, `see docs & more (https://x.test/?a=1&b="2")`},
		{"link bold label", "[**b**](https://x.test)", `<a href="https://x.test"><b>b</b></a>`, "b (https://x.test)"},
		{"autolink", "<https://x.test/a>", `<a href="https://x.test/a">https://x.test/a</a>`, "https://x.test/a"},
		{"not a link", "[a] (b)", "[a] (b)", "[a] (b)"},
		{"fence", "```go\nif a < b && c {\n}\n```", "<pre><code class=\"language-go\">if a &lt; b &amp;&amp; c {\n}</code></pre>", "if a < b && c {\n}"},
		{"fence no lang", "~~~\n**x**\n~~~", "<pre><code>**x**</code></pre>", "**x**"},
		{"unclosed fence", "```\ncode <", "<pre><code>code &lt;</code></pre>", "code <"},
		{"heading", "## Title & *more*", "<b>Title &amp; <i>more</i></b>", "Title & more"},
		{"blockquote", "> quoted **b**\n> <two>", "<blockquote>quoted <b>b</b>\n&lt;two&gt;</blockquote>", "quoted b\n<two>"},
		{"bullets", "- one\n* two\n  - nested <x>", "• one\n• two\n  • nested &lt;x&gt;", "• one\n• two\n  • nested <x>"},
		{"ordered", "1. a\n2) **b**", "1. a\n2. <b>b</b>", "1. a\n2. b"},
		{"paragraphs", "one\n\ntwo", "one\n\ntwo", "one\n\ntwo"},
		{"bold across lines", "**a\nb**", "<b>a\nb</b>", "a\nb"},
		{"rule", "a\n\n---\n\nb", "a\n\n\n\nb", "a\n\n\n\nb"},
		{"nothing visible", "---", "---", "---"},
		{"empty fence", "```\n```", "```\n```", "```\n```"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Render(tt.md)
			if got.HTML != tt.html {
				t.Errorf("HTML\n got %q\nwant %q", got.HTML, tt.html)
			}
			if got.Plain != tt.plain {
				t.Errorf("Plain\n got %q\nwant %q", got.Plain, tt.plain)
			}
		})
	}
}

// TestRenderBalanced feeds every prefix of a rich reply (as a stream shows it) and
// checks the HTML's tags always balance and no raw <, > or & escapes.
func TestRenderBalanced(t *testing.T) {
	md := "# Head\n\n**bold _it_** `c<d>` ~~s~~ [l](https://x.test/?a&b)\n\n> q *i*\n\n- a & b\n\n```py\nx = 1 < 2\n```\nend"
	for n := 0; n <= len(md); n++ {
		h := Render(md[:n]).HTML
		if err := balanced(h); err != nil {
			t.Fatalf("prefix %q: %v\nHTML %q", md[:n], err, h)
		}
	}
}

// balanced checks that h's tags nest and that & only starts an entity.
func balanced(h string) error {
	var stack []string
	for i := 0; i < len(h); i++ {
		switch h[i] {
		case '&':
			if !strings.HasPrefix(h[i:], "&amp;") && !strings.HasPrefix(h[i:], "&lt;") && !strings.HasPrefix(h[i:], "&gt;") && !strings.HasPrefix(h[i:], "&quot;") {
				return errors.New("bare &")
			}
		case '>':
			return errors.New("bare >")
		case '<':
			j := strings.IndexByte(h[i:], '>')
			if j < 0 {
				return errors.New("unterminated tag")
			}
			tag := h[i+1 : i+j]
			i += j
			if name, ok := strings.CutPrefix(tag, "/"); ok {
				if len(stack) == 0 || stack[len(stack)-1] != name {
					return errors.New("mismatched </" + name + ">")
				}
				stack = stack[:len(stack)-1]
				continue
			}
			name, _, _ := strings.Cut(tag, " ")
			stack = append(stack, name)
		}
	}
	if len(stack) > 0 {
		return errors.New("unclosed " + strings.Join(stack, ","))
	}
	return nil
}

func TestChunksStayWithinLimitAndBalanced(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 60; i++ {
		b.WriteString("**bold & <b>** line with `code` and text\n\n")
	}
	b.WriteString("```\n" + strings.Repeat("x < y\n", 200) + "```\n")
	const limit = 300
	chunks := Chunks(b.String(), limit, "", "")
	if len(chunks) < 2 {
		t.Fatalf("got %d chunks, want several", len(chunks))
	}
	for i, c := range chunks {
		if err := balanced(c.HTML); err != nil {
			t.Fatalf("chunk %d: %v: %q", i, err, c.HTML)
		}
		if n := chunk.Units(c.Plain); n > limit {
			t.Fatalf("chunk %d shows %d units, limit %d", i, n, limit)
		}
	}
}

func TestChunksTables(t *testing.T) {
	md := "| Name | Age |\n|---|---|\n| Ann | 30 |"
	tests := []struct{ mode, html string }{
		{"bullets", "<b>Ann</b>\n• Age: 30"},
		{"off", "| Name | Age |\n|---|---|\n| Ann | 30 |"},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			got := Chunks(md, 4000, "", tt.mode)
			if len(got) != 1 || got[0].HTML != tt.html {
				t.Fatalf("got %+v, want HTML %q", got, tt.html)
			}
		})
	}
	// The default is code: a preformatted block.
	got := Chunks(md, 4000, "", "")
	if len(got) != 1 || !strings.HasPrefix(got[0].HTML, "<pre><code>| Name") {
		t.Fatalf("default tables: %+v", got)
	}
}

func TestIsParseError(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{errors.New("telego: sendMessage: api: 400 \"Bad Request: can't parse entities: Can't find end of the entity starting at byte offset 9\""), true},
		{errors.New("Bad Request: chat not found"), false},
		{nil, false},
	} {
		if got := IsParseError(tt.err); got != tt.want {
			t.Errorf("IsParseError(%v) = %v", tt.err, got)
		}
	}
}
