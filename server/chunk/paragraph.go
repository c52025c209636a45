package chunk

import (
	"regexp"
	"strings"
)

// Chunk modes (channels.<id>.chunkMode).
const (
	// ModeLength fills each message up to the limit (Split); the default.
	ModeLength = "length"
	// ModeNewline sends each paragraph (text between blank lines) as its own message,
	// splitting only a paragraph longer than the limit (SplitParagraphs).
	ModeNewline = "newline"
)

// paragraphBreak is a blank line (whitespace allowed on it) and any more after it.
var paragraphBreak = regexp.MustCompile(`\n[\t ]*\n+`)

// SplitMode is Split for mode ModeLength (and anything unknown), SplitParagraphs for
// ModeNewline.
func SplitMode(text string, limit int, mode string) []string {
	if mode == ModeNewline {
		return SplitParagraphs(text, limit)
	}
	return Split(text, limit)
}

// SplitParagraphs is the original's "newline" chunk mode: one chunk per paragraph,
// never breaking at a blank line inside a code fence; a paragraph longer than limit
// is split further by Split. Blank paragraphs are dropped and trailing whitespace of
// each trimmed.
func SplitParagraphs(text string, limit int) []string {
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	var out []string
	for _, p := range paragraphs(text) {
		p = strings.TrimRight(p, " \t\n")
		if strings.TrimSpace(p) == "" {
			continue
		}
		out = append(out, Split(p, limit)...)
	}
	return out
}

// paragraphs cuts text at blank lines outside code fences.
func paragraphs(text string) []string {
	fenced := fenceSpans(text)
	var parts []string
	last := 0
	for _, m := range paragraphBreak.FindAllStringIndex(text, -1) {
		if inSpan(fenced, m[0]) {
			continue
		}
		parts = append(parts, text[last:m[0]])
		last = m[1]
	}
	return append(parts, text[last:])
}

// fenceSpans are the byte ranges [open line start, close line end) of the code fences
// in text; an unclosed fence runs to the end.
func fenceSpans(text string) [][2]int {
	var spans [][2]int
	var open *fence
	pos := 0
	for pos <= len(text) {
		end := strings.IndexByte(text[pos:], '\n')
		next := len(text) + 1
		line := text[pos:]
		if end >= 0 {
			line, next = text[pos:pos+end], pos+end+1
		}
		if open == nil {
			if ind, marker, ok := parseOpen(line); ok {
				open = &fence{indent: ind, marker: marker, start: pos}
			}
		} else if closes(line, open) {
			spans = append(spans, [2]int{open.start, pos + len(line)})
			open = nil
		}
		pos = next
	}
	if open != nil {
		spans = append(spans, [2]int{open.start, len(text)})
	}
	return spans
}

func inSpan(spans [][2]int, i int) bool {
	for _, s := range spans {
		if i >= s[0] && i < s[1] {
			return true
		}
	}
	return false
}
