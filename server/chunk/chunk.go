// Package chunk splits a reply into messages that fit a channel's text limit without
// breaking Markdown code fences: a fence cut in two is closed at the end of one chunk
// and reopened (same marker and info string) at the start of the next, so every chunk
// renders on its own. Breaks prefer, in order, a paragraph end, a line end, a sentence
// end and a space, and never fall inside a UTF-8 sequence or a UTF-16 surrogate pair.
//
// Lengths are UTF-16 code units, which is how Telegram counts its 4096-character limit
// (and how the original measured text): an emoji counts 2.
package chunk

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Per-channel limits (UTF-16 units).
const (
	// DefaultLimit is the text chunk limit when a channel sets none (the original's
	// default for WhatsApp and Telegram, textChunkLimit).
	DefaultLimit = 4000
	// TelegramMaxLimit is the Bot API's hard limit for one message; a configured
	// telegram textChunkLimit above it is lowered to it.
	TelegramMaxLimit = 4096
	// WhatsAppMaxLimit is the longest text we send in one WhatsApp message (WhatsApp
	// accepts ~65k, but long messages are collapsed behind "Read more").
	WhatsAppMaxLimit = 65536
)

// LimitFor is the chunk limit of channel: configured (channels.<id>.textChunkLimit)
// when positive, capped at the channel's hard limit, else DefaultLimit.
func LimitFor(channel string, configured int) int {
	limit := DefaultLimit
	if configured > 0 {
		limit = configured
	}
	switch channel {
	case "telegram":
		limit = min(limit, TelegramMaxLimit)
	case "whatsapp":
		limit = min(limit, WhatsAppMaxLimit)
	}
	return limit
}

// Units is the length of s in UTF-16 code units.
func Units(s string) int {
	n := 0
	for _, r := range s {
		n += runeUnits(r)
	}
	return n
}

func runeUnits(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

// prefixBytes is the byte length of the longest prefix of s with at most max units.
func prefixBytes(s string, max int) int {
	n := 0
	for i, r := range s {
		n += runeUnits(r)
		if n > max {
			return i
		}
	}
	return len(s)
}

// fence is an open code fence.
type fence struct {
	open   string // the opening line as written ("```go", "  ~~~~")
	marker string // "```" or "~~~~" (closing needs at least this many)
	indent string
	start  int // byte offset of the opening line in the scanned text
	body   int // byte offset just after the opening line's newline
}

func (f *fence) closer() string { return f.indent + f.marker }

// parseOpen reports whether line opens a fence (up to 3 spaces, then 3+ backticks or
// tildes; a backtick fence's info string may not contain a backtick).
func parseOpen(line string) (indent, marker string, ok bool) {
	trimmed := strings.TrimLeft(line, " ")
	ind := len(line) - len(trimmed)
	if ind > 3 || len(trimmed) < 3 || (trimmed[0] != '`' && trimmed[0] != '~') {
		return "", "", false
	}
	c := trimmed[0]
	n := 0
	for n < len(trimmed) && trimmed[n] == c {
		n++
	}
	if n < 3 || (c == '`' && strings.ContainsRune(trimmed[n:], '`')) {
		return "", "", false
	}
	return line[:ind], trimmed[:n], true
}

func closes(line string, f *fence) bool {
	t := strings.TrimRight(strings.TrimLeft(line, " "), " \t\r")
	if len(line)-len(strings.TrimLeft(line, " ")) > 3 || len(t) < len(f.marker) {
		return false
	}
	return strings.Trim(t, f.marker[:1]) == ""
}

// candidate is a place to end a chunk.
type candidate struct {
	pos   int    // chunk = text[:pos]
	skip  int    // bytes of separator dropped after pos
	f     *fence // fence open at pos (nil: outside)
	units int    // units of text[:pos]
}

// Split cuts text into chunks of at most limit units (see package doc). limit <= 0
// returns text whole. Empty text yields no chunks.
func Split(text string, limit int) []string {
	if text == "" {
		return nil
	}
	if limit <= 0 || Units(text) <= limit {
		return []string{text}
	}
	var out []string
	rest := text
	for Units(rest) > limit {
		chunk, next := cut(rest, limit)
		if chunk != "" {
			out = append(out, chunk)
		}
		if len(next) >= len(rest) && chunk == "" {
			// Cannot happen (cut always consumes); guard against a loop anyway.
			break
		}
		rest = next
	}
	if rest = strings.TrimRight(rest, " \t\r\n"); strings.TrimSpace(rest) != "" {
		out = append(out, rest)
	}
	return out
}

// cut returns the first chunk of s (units(s) > limit) and the remainder: the best
// break of the window (a paragraph end, a line end, a break inside a fence, a sentence
// end, in that order, in the window's second half; then the same anywhere, and a
// space), else a hard cut.
func cut(s string, limit int) (chunk, rest string) {
	sc := scan(s, limit)
	half := limit / 2
	for _, tier := range []struct {
		cs  []candidate
		min int
	}{
		{sc.para, half}, {sc.line, half}, {sc.fenced, half}, {sc.sentence, half},
		{sc.line, 1}, {sc.para, 1}, {sc.fenced, 1}, {sc.sentence, 1}, {sc.space, 1},
	} {
		if c, ok := sc.pick(tier.cs, tier.min); ok {
			return finish(s, c)
		}
	}
	return finish(s, sc.hard())
}

// scanned holds the break candidates of the window of s that fits limit.
type scanned struct {
	s, w                                string
	limit                               int
	para, line, fenced, sentence, space []candidate
	// endFence is a fence still open at the window's end: the one a hard cut splits.
	endFence *fence
}

// scan collects the places text[:limit units] may end a chunk.
func scan(s string, limit int) *scanned {
	wb := prefixBytes(s, limit)
	w := s[:wb]
	sc := &scanned{s: s, w: w, limit: limit}
	var cur *fence
	units := 0
	lineStart := 0
	for i, r := range w {
		if i == lineStart {
			// State at the start of this line is cur; then the line may change it.
			end := strings.IndexByte(s[i:], '\n')
			ln := s[i:]
			if end >= 0 {
				ln = s[i : i+end]
			}
			if i > 0 {
				sc.lineBreak(candidate{pos: i, f: cur, units: units})
			}
			if cur == nil {
				if ind, m, ok := parseOpen(ln); ok {
					body := i + len(ln)
					if end >= 0 {
						body++
					}
					cur = &fence{open: ln, marker: m, indent: ind, start: i, body: body}
				}
			} else if i > cur.start && closes(ln, cur) {
				cur = nil
			}
		}
		if r == '\n' {
			lineStart = i + 1
		} else if cur == nil && unicode.IsSpace(r) && i > 0 {
			c := candidate{pos: i, skip: utf8.RuneLen(r), units: units}
			if p := s[i-1]; p == '.' || p == '!' || p == '?' {
				sc.sentence = append(sc.sentence, c)
			} else {
				sc.space = append(sc.space, c)
			}
		}
		units += runeUnits(r)
	}
	// A break right after the window's last newline.
	if lineStart == wb && wb > 0 {
		sc.lineBreak(candidate{pos: wb, f: cur, units: units})
	}
	sc.endFence = cur
	return sc
}

// lineBreak files a candidate at the start of a line.
func (sc *scanned) lineBreak(c candidate) {
	switch {
	case c.f != nil:
		if c.pos > c.f.body {
			sc.fenced = append(sc.fenced, c)
		}
	case c.pos >= 2 && sc.s[c.pos-2] == '\n':
		sc.para = append(sc.para, c)
	default:
		sc.line = append(sc.line, c)
	}
}

// fits reports whether a chunk ending at c still fits the limit once the fence open
// there is closed.
func (sc *scanned) fits(c candidate) bool {
	if c.f == nil {
		return true
	}
	need := Units(c.f.closer())
	if sc.s[c.pos-1] != '\n' {
		need++
	}
	return c.units+need <= sc.limit
}

// pick is the last candidate of cs with at least minUnits before it that fits.
func (sc *scanned) pick(cs []candidate, minUnits int) (candidate, bool) {
	for i := len(cs) - 1; i >= 0; i-- {
		if cs[i].units >= minUnits && cs[i].pos > 0 && sc.fits(cs[i]) {
			return cs[i], true
		}
	}
	return candidate{}, false
}

// hard is a cut at the window's end, leaving room to close an open fence.
func (sc *scanned) hard() candidate {
	s, w, wb := sc.s, sc.w, len(sc.w)
	c := candidate{pos: wb, f: sc.endFence, units: Units(w)}
	if c.f != nil {
		room := sc.limit - Units("\n"+c.f.closer())
		c.pos = prefixBytes(s, room)
		c.units = Units(s[:c.pos])
		if c.pos <= c.f.body {
			c.f = nil // no room to split the fence sensibly: plain cut
			c.pos, c.units = wb, Units(w)
		}
	}
	if c.pos == 0 { // limit smaller than the first rune
		_, size := utf8.DecodeRuneInString(s)
		c.pos = size
	}
	return c
}

func finish(s string, c candidate) (string, string) {
	chunk, rest := s[:c.pos], s[c.pos+c.skip:]
	if c.f != nil {
		if !strings.HasSuffix(chunk, "\n") {
			chunk += "\n"
		}
		return chunk + c.f.closer(), c.f.open + "\n" + rest
	}
	return strings.TrimRight(chunk, " \t\r\n"), strings.TrimLeft(rest, "\r\n")
}
