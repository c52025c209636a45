package chunk

import "strings"

// Chunk modes (channels.<id>.chunkMode).
const (
	// ModeLength splits a reply only where it exceeds the limit (the default).
	ModeLength = "length"
	// ModeNewline sends each paragraph (text between blank lines, outside code
	// fences) as its own message, packing none together, as the original does; a
	// paragraph over the limit is split as ModeLength would.
	ModeNewline = "newline"
)

// SplitMode splits text by mode: ModeNewline by paragraphs, anything else as Split.
func SplitMode(text string, limit int, mode string) []string {
	if mode != ModeNewline {
		return Split(text, limit)
	}
	var out []string
	for _, p := range Paragraphs(text) {
		out = append(out, Split(p, limit)...)
	}
	return out
}

// Paragraphs cuts text at blank lines (lines of only spaces and tabs count as blank)
// that are not inside a code fence. Trailing whitespace of each paragraph is dropped
// and empty paragraphs are left out.
func Paragraphs(text string) []string {
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	var (
		out   []string
		cur   []string
		open  *fence
		blank bool // the previous line was blank (outside a fence)
	)
	flush := func() {
		p := strings.TrimRight(strings.Join(cur, "\n"), " \t\n")
		if strings.TrimSpace(p) != "" {
			out = append(out, p)
		}
		cur = cur[:0]
	}
	for _, line := range strings.Split(text, "\n") {
		if open == nil && strings.Trim(line, " \t") == "" {
			blank = true
			continue
		}
		if blank {
			flush()
			blank = false
		}
		cur = append(cur, line)
		switch {
		case open != nil:
			if closes(line, open) {
				open = nil
			}
		default:
			if ind, m, ok := parseOpen(line); ok {
				open = &fence{open: line, marker: m, indent: ind}
			}
		}
	}
	flush()
	return out
}

// SplitParagraphs is SplitMode in ModeNewline: one chunk per paragraph, a paragraph
// longer than limit split further.
func SplitParagraphs(text string, limit int) []string {
	return SplitMode(text, limit, ModeNewline)
}
