// Package tghtml renders a model's Markdown as Telegram HTML (parse_mode "HTML"), as
// the original does before every Telegram send: bold, italic, strikethrough, inline
// code, fenced code blocks, links, blockquotes and headings become Telegram's tags;
// lists become "• " / "1. " lines; everything else is HTML-escaped. A marker without
// its closing partner is left as written, so a half-streamed reply renders as text
// rather than as broken HTML.
//
// Along with the HTML, Render returns the plain text a reader would see (markers
// dropped): it is sent instead when Telegram refuses the HTML ("can't parse
// entities"; see IsParseError).
//
// Chunks splits long replies: the Markdown is split first (at the channel's chunk
// limit, fence-aware) and each piece rendered, so no message ends inside a tag. The
// visible text of a piece is never longer than its Markdown, so the limit holds for
// what Telegram counts.
package tghtml

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/clawgate/gateway/server/chunk"
	"github.com/clawgate/gateway/server/mdtables"
)

// DefaultTables is channels.telegram.markdown.tables' default ("code", the original's
// default for every channel but WhatsApp and Signal).
const DefaultTables = mdtables.Code

// Text is one rendered message: HTML for parse_mode HTML and its plain fallback.
type Text struct {
	HTML  string
	Plain string
}

// Chunks converts text's tables by tables (mdtables; "" = DefaultTables), splits it
// at limit by chunk mode (chunk.SplitMode) and renders each piece.
func Chunks(text string, limit int, mode, tables string) []Text {
	var out []Text
	for _, c := range chunk.SplitMode(ConvertTables(strings.TrimSpace(text), tables), limit, mode) {
		out = append(out, Render(c))
	}
	return out
}

// ConvertTables rewrites text's Markdown tables by mode ("" = DefaultTables).
func ConvertTables(text, mode string) string {
	if mode == "" {
		mode = DefaultTables
	}
	return mdtables.Convert(text, mode)
}

// parseErr matches the Bot API's answers to HTML it cannot read.
var parseErr = regexp.MustCompile(`(?i)can't parse entities|parse entities|find end of the entity`)

// IsParseError reports whether err is Telegram refusing a message's markup (a 400
// "can't parse entities"): the text should go again as plain text.
func IsParseError(err error) bool {
	return err != nil && parseErr.MatchString(err.Error())
}

// EscapeHTML escapes the three characters Telegram's HTML parser reserves.
func EscapeHTML(s string) string {
	return htmlEscaper.Replace(s)
}

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
var attrEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

// out collects the HTML and the plain text side by side.
type out struct {
	html, plain strings.Builder
}

func (o *out) text(s string) {
	o.html.WriteString(EscapeHTML(s))
	o.plain.WriteString(s)
}

func (o *out) tag(s string) { o.html.WriteString(s) }

// Render converts one message's Markdown to Telegram HTML and its plain text.
func Render(md string) Text {
	md = strings.ReplaceAll(strings.ReplaceAll(md, "\r\n", "\n"), "\r", "\n")
	var o out
	renderBlocks(&o, strings.Split(md, "\n"))
	t := Text{HTML: strings.TrimRight(o.html.String(), "\n"), Plain: strings.TrimRight(o.plain.String(), "\n")}
	if strings.TrimSpace(t.Plain) == "" && strings.TrimSpace(md) != "" {
		// Nothing would show (a lone rule, an empty fence): Telegram refuses an empty
		// message, so the Markdown goes as written.
		return Text{HTML: EscapeHTML(md), Plain: md}
	}
	return t
}

var (
	headingRe = regexp.MustCompile(`^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$`)
	bulletRe  = regexp.MustCompile(`^([ \t]*)[-*+][ \t]+(.*)$`)
	orderedRe = regexp.MustCompile(`^([ \t]*)(\d{1,9})[.)][ \t]+(.*)$`)
	hrRe      = regexp.MustCompile(`^ {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$`)
	quoteRe   = regexp.MustCompile(`^ {0,3}>[ ]?(.*)$`)
)

// fenceOpen reports a code fence opener: its marker run and info string.
func fenceOpen(line string) (marker, info string, ok bool) {
	t := strings.TrimLeft(line, " ")
	if len(line)-len(t) > 3 || len(t) < 3 || (t[0] != '`' && t[0] != '~') {
		return "", "", false
	}
	n := 0
	for n < len(t) && t[n] == t[0] {
		n++
	}
	if n < 3 {
		return "", "", false
	}
	info = strings.TrimSpace(t[n:])
	if t[0] == '`' && strings.Contains(info, "`") {
		return "", "", false
	}
	return t[:n], info, true
}

func fenceCloses(line, marker string) bool {
	t := strings.TrimSpace(line)
	return strings.HasPrefix(t, marker) && strings.Trim(t, marker[:1]) == ""
}

// renderBlocks renders lines as blocks: fences, headings, quotes, lists, rules and
// paragraphs (consecutive plain lines, rendered together so emphasis may span them).
func renderBlocks(o *out, lines []string) {
	var para []string
	flush := func() {
		if len(para) > 0 {
			renderInline(o, strings.Join(para, "\n"))
			o.text("\n")
			para = para[:0]
		}
	}
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if marker, info, ok := fenceOpen(line); ok {
			flush()
			var code []string
			j := i + 1
			for ; j < len(lines) && !fenceCloses(lines[j], marker); j++ {
				code = append(code, lines[j])
			}
			i = j // the closing fence (or the end: an unclosed fence runs to it)
			lang := ""
			if f := strings.Fields(info); len(f) > 0 {
				lang = f[0]
			}
			if lang != "" {
				o.tag(`<pre><code class="language-` + attrEscaper.Replace(lang) + `">`)
			} else {
				o.tag("<pre><code>")
			}
			o.text(strings.Join(code, "\n"))
			o.tag("</code></pre>")
			o.text("\n")
			continue
		}
		if strings.TrimSpace(line) == "" {
			flush()
			o.text("\n")
			continue
		}
		if m := quoteRe.FindStringSubmatch(line); m != nil {
			flush()
			inner := []string{m[1]}
			for i+1 < len(lines) {
				n := quoteRe.FindStringSubmatch(lines[i+1])
				if n == nil {
					break
				}
				inner = append(inner, n[1])
				i++
			}
			var q out
			renderBlocks(&q, inner)
			o.tag("<blockquote>")
			o.html.WriteString(strings.TrimRight(q.html.String(), "\n"))
			o.plain.WriteString(strings.TrimRight(q.plain.String(), "\n"))
			o.tag("</blockquote>")
			o.text("\n")
			continue
		}
		if hrRe.MatchString(line) {
			flush()
			o.text("\n")
			continue
		}
		if m := headingRe.FindStringSubmatch(line); m != nil {
			flush()
			o.tag("<b>")
			renderInline(o, m[2])
			o.tag("</b>")
			o.text("\n")
			continue
		}
		if m := bulletRe.FindStringSubmatch(line); m != nil {
			flush()
			o.text(indent(m[1]) + "• ")
			renderInline(o, m[2])
			o.text("\n")
			continue
		}
		if m := orderedRe.FindStringSubmatch(line); m != nil {
			flush()
			n, _ := strconv.Atoi(m[2])
			o.text(indent(m[1]) + strconv.Itoa(n) + ". ")
			renderInline(o, m[3])
			o.text("\n")
			continue
		}
		para = append(para, strings.TrimLeft(line, " \t"))
	}
	flush()
}

// indent is a nested list item's indentation: two spaces per level (two spaces or a
// tab of source indentation).
func indent(ws string) string {
	n := 0
	for _, c := range ws {
		if c == '\t' {
			n += 2
		} else {
			n++
		}
	}
	return strings.Repeat("  ", n/2)
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' }

func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b >= 0x80
}

// isPunct is an ASCII punctuation character (a backslash escapes it).
func isPunct(b byte) bool {
	return strings.IndexByte("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", b) >= 0
}

// runLen is the length of the run of b starting at s[i].
func runLen(s string, i int, b byte) int {
	n := 0
	for i+n < len(s) && s[i+n] == b {
		n++
	}
	return n
}

// codeSpanEnd is where the code span opening at s[i] with n backticks ends (the index
// after its closing run), or -1 when it is not closed.
func codeSpanEnd(s string, i, n int) (contentEnd, end int) {
	for j := i + n; j < len(s); {
		if s[j] != '`' {
			j++
			continue
		}
		m := runLen(s, j, '`')
		if m == n {
			return j, j + m
		}
		j += m
	}
	return -1, -1
}

// closer finds the closing run of exactly n markers b for an emphasis opened at
// s[start:], skipping code spans and escapes: a closer follows a non-space and, for
// '_', is not followed by a word character. -1 when there is none.
func closer(s string, start, n int, b byte) int {
	for j := start; j < len(s); {
		switch s[j] {
		case '\\':
			j += 2
			continue
		case '`':
			m := runLen(s, j, '`')
			if _, end := codeSpanEnd(s, j, m); end > 0 {
				j = end
				continue
			}
			j += m
			continue
		case b:
			m := runLen(s, j, b)
			if m == n && j > start && !isSpace(s[j-1]) && (b != '_' || j+m >= len(s) || !isWordByte(s[j+m])) {
				return j
			}
			j += m
			continue
		}
		j++
	}
	return -1
}

// emphasisTags are the opening and closing tags of a run of n markers b.
func emphasisTags(b byte, n int) (open, close string, ok bool) {
	switch {
	case b == '~' && n == 2:
		return "<s>", "</s>", true
	case b == '~':
		return "", "", false
	case n == 1:
		return "<i>", "</i>", true
	case n == 2:
		return "<b>", "</b>", true
	case n == 3:
		return "<b><i>", "</i></b>", true
	}
	return "", "", false
}

var autolinkRe = regexp.MustCompile(`^<((?:https?|mailto|tg):[^<>\s]+)>`)

// renderInline renders the spans of one paragraph.
func renderInline(o *out, s string) {
	lit := 0 // start of the pending literal text
	emit := func(end int) {
		if end > lit {
			o.text(s[lit:end])
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && isPunct(s[i+1]):
			emit(i)
			o.text(s[i+1 : i+2])
			i += 2
			lit = i
			continue
		case c == '`':
			n := runLen(s, i, '`')
			ce, end := codeSpanEnd(s, i, n)
			if end < 0 {
				i += n // unclosed: literal backticks
				continue
			}
			code := s[i+n : ce]
			if len(code) >= 2 && code[0] == ' ' && code[len(code)-1] == ' ' && strings.Trim(code, " ") != "" {
				code = code[1 : len(code)-1]
			}
			emit(i)
			if code != "" {
				o.tag("<code>")
				o.text(code)
				o.tag("</code>")
			}
			i, lit = end, end
			continue
		case c == '*' || c == '_' || c == '~':
			n := runLen(s, i, c)
			open, cls, ok := emphasisTags(c, n)
			// An opener is followed by a non-space; '_' is not inside a word.
			if ok && i+n < len(s) && !isSpace(s[i+n]) && (c != '_' || i == 0 || !isWordByte(s[i-1])) {
				if j := closer(s, i+n, n, c); j > 0 {
					emit(i)
					o.tag(open)
					renderInline(o, s[i+n:j])
					o.tag(cls)
					i = j + n
					lit = i
					continue
				}
			}
			i += n
			continue
		case c == '[':
			if label, href, end, ok := link(s, i); ok {
				emit(i)
				o.tag(`<a href="` + attrEscaper.Replace(href) + `">`)
				plainBefore := o.plain.Len()
				renderInline(o, label)
				o.tag("</a>")
				if o.plain.String()[plainBefore:] != href {
					o.plain.WriteString(" (" + href + ")")
				}
				i, lit = end, end
				continue
			}
		case c == '<':
			if m := autolinkRe.FindStringSubmatch(s[i:]); m != nil {
				emit(i)
				o.tag(`<a href="` + attrEscaper.Replace(m[1]) + `">`)
				o.text(m[1])
				o.tag("</a>")
				i += len(m[0])
				lit = i
				continue
			}
		}
		i++
	}
	emit(len(s))
}

// link parses an inline link [label](href "title") at s[i].
func link(s string, i int) (label, href string, end int, ok bool) {
	depth := 0
	j := i
	for ; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
			continue
		case '[':
			depth++
		case ']':
			depth--
		}
		if depth == 0 {
			break
		}
	}
	if j >= len(s) || j+1 >= len(s) || s[j+1] != '(' {
		return "", "", 0, false
	}
	k := strings.IndexByte(s[j+2:], ')')
	if k < 0 {
		return "", "", 0, false
	}
	dest := strings.TrimSpace(s[j+2 : j+2+k])
	if f := strings.Fields(dest); len(f) > 0 {
		dest = f[0] // drop a title
	}
	dest = strings.TrimSuffix(strings.TrimPrefix(dest, "<"), ">")
	if dest == "" || strings.ContainsAny(dest, "\n") || i+1 == j {
		return "", "", 0, false
	}
	return s[i+1 : j], dest, j + 2 + k + 1, true
}
