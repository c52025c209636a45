package chunk

import "strings"

// Break preferences of block streaming (agents.defaults.blockStreamingChunk.
// breakPreference, channels.telegram.draftChunk.breakPreference).
const (
	BreakParagraph = "paragraph" // the default
	BreakNewline   = "newline"
	BreakSentence  = "sentence"
)

// Blocker cuts text that is still being written into blocks of Min to Max units, as
// it arrives: Drain hands out every block that can already be cut at a break the
// preference allows (never a block shorter than Min, never one longer than Max), and
// Drain(true) at the end of the text hands out the rest. Breaks and fences follow
// Split: a fence a block must cut is closed at its end and reopened in the next one.
//
// Preferences: paragraph tries a paragraph end, then a line end, a break inside a
// fence, a sentence end and a space; newline tries line ends (and fence lines) and
// otherwise waits until the text exceeds Max; sentence tries sentence ends, then a
// space. Past Max with no break, the block is cut hard at Max.
type Blocker struct {
	Min, Max int
	Pref     string
	buf      string
}

// NewBlocker returns a Blocker with min clamped to [1, max] (max at least 1) and an
// unknown preference read as paragraph.
func NewBlocker(minUnits, maxUnits int, pref string) *Blocker {
	maxUnits = max(maxUnits, 1)
	minUnits = min(max(minUnits, 1), maxUnits)
	switch pref {
	case BreakNewline, BreakSentence:
	default:
		pref = BreakParagraph
	}
	return &Blocker{Min: minUnits, Max: maxUnits, Pref: pref}
}

// Append adds streamed text.
func (b *Blocker) Append(s string) { b.buf += s }

// Reset drops the text not yet handed out.
func (b *Blocker) Reset() { b.buf = "" }

// Buffered reports whether text waits to be handed out.
func (b *Blocker) Buffered() bool { return b.buf != "" }

// Block is one block cut by a Blocker.
type Block struct {
	Text string
	// Sep is what separated it from the text after it: "\n\n" (a paragraph break),
	// "\n" (a line break or a fence split), " " (a sentence end or a space) or ""
	// (a hard cut, or the end of the text). Joining blocks back with their Sep
	// restores the text's shape.
	Sep string
}

// Drain returns the blocks that can be cut now; with force (the text ended) it also
// returns the rest, cut at the best breaks when it exceeds Max. Blank blocks are
// dropped.
func (b *Blocker) Drain(force bool) []Block {
	var out []Block
	emit := func(c, sep string) {
		if strings.TrimSpace(c) != "" {
			out = append(out, Block{Text: c, Sep: sep})
		} else if len(out) > 0 && len(sep) > len(out[len(out)-1].Sep) {
			out[len(out)-1].Sep = sep
		}
	}
	for b.buf != "" {
		n := Units(b.buf)
		if force && n <= b.Max {
			emit(strings.TrimRight(b.buf, " \t\r\n"), "")
			b.buf = ""
			break
		}
		if !force && n < b.Min {
			break
		}
		least := b.Min
		if force {
			least = 1 // the text is over: the last break that fits
		}
		c, ok := b.pick(scan(b.buf, b.Max), least, n)
		if !ok {
			break
		}
		chunk, rest := finish(b.buf, c)
		emit(chunk, separator(b.buf, chunk, rest, c.f != nil))
		b.buf = rest
	}
	return out
}

// pick chooses the break of a block (n: units of the buffer) or reports that the
// block must wait for more text.
func (b *Blocker) pick(sc *scanned, least, n int) (candidate, bool) {
	var tiers [][]candidate
	switch b.Pref {
	case BreakNewline:
		tiers = [][]candidate{mergeByPos(sc.para, sc.line), sc.fenced}
		if n > b.Max {
			tiers = append(tiers, sc.sentence, sc.space)
		}
	case BreakSentence:
		tiers = [][]candidate{sc.sentence, sc.space}
	default:
		tiers = [][]candidate{sc.para, sc.line, sc.fenced, sc.sentence, sc.space}
	}
	for _, cs := range tiers {
		if c, ok := sc.pick(cs, least); ok {
			return c, true
		}
	}
	if n > b.Max {
		return sc.hard(), true
	}
	return candidate{}, false
}

// mergeByPos merges two position-ordered candidate lists.
func mergeByPos(a, b []candidate) []candidate {
	out := make([]candidate, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		if j >= len(b) || (i < len(a) && a[i].pos < b[j].pos) {
			out = append(out, a[i])
			i++
		} else {
			out = append(out, b[j])
			j++
		}
	}
	return out
}

// separator classifies the whitespace finish dropped between chunk and rest.
func separator(s, chunk, rest string, fenced bool) string {
	if fenced {
		return "\n"
	}
	gap := ""
	if end := len(s) - len(rest); end >= len(chunk) && strings.HasPrefix(s, chunk) {
		gap = s[len(chunk):end]
	}
	switch {
	case strings.Count(gap, "\n") >= 2:
		return "\n\n"
	case strings.Contains(gap, "\n"):
		return "\n"
	case gap != "":
		return " "
	}
	return ""
}
