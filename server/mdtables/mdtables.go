// Package mdtables rewrites Markdown tables for chat apps that cannot show them
// (channels.<id>.markdown.tables), as the original does for WhatsApp: "bullets" turns
// each row into a bold label and "• header: value" lines, "code" into an aligned
// table in a code block, "off" leaves the text alone.
//
// Only the tables are rewritten; the rest of the text is left as written (the original
// re-renders the whole message through its Markdown IR when it has a table).
package mdtables

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Modes of markdown.tables.
const (
	Off     = "off"
	Bullets = "bullets"
	Code    = "code"
)

// delimiterCell is one cell of a table's delimiter row: dashes with optional colons.
var delimiterCell = regexp.MustCompile(`^:?-+:?$`)

// Convert rewrites the GitHub-flavoured tables of text (outside code fences) by mode;
// an unknown mode or Off returns text unchanged.
func Convert(text, mode string) string {
	if mode != Bullets && mode != Code || !strings.Contains(text, "|") {
		return text
	}
	lines := strings.Split(text, "\n")
	var out []string
	fence := ""
	changed := false
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		trimmed := strings.TrimSpace(line)
		if fence != "" {
			if strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, fence[:1]) == "" {
				fence = ""
			}
			out = append(out, line)
			continue
		}
		if f := fenceMarker(trimmed); f != "" {
			fence = f
			out = append(out, line)
			continue
		}
		if i+1 < len(lines) {
			header := cells(line)
			if header != nil && isDelimiter(lines[i+1], len(header)) {
				var rows [][]string
				j := i + 2
				for ; j < len(lines); j++ {
					r := cells(lines[j])
					if r == nil {
						break
					}
					rows = append(rows, r)
				}
				out = append(out, render(header, rows, mode)...)
				changed = true
				i = j - 1
				continue
			}
		}
		out = append(out, line)
	}
	if !changed {
		return text
	}
	return strings.Join(out, "\n")
}

// fenceMarker is the run of backticks or tildes opening a code fence ("" when line does not open one).
func fenceMarker(line string) string {
	for _, c := range []string{"```", "~~~"} {
		if strings.HasPrefix(line, c) {
			n := 0
			for n < len(line) && line[n] == c[0] {
				n++
			}
			return line[:n]
		}
	}
	return ""
}

// cells splits a table row ("| a | b |" or "a | b"); nil when line is no row.
func cells(line string) []string {
	t := strings.TrimSpace(line)
	if !strings.Contains(t, "|") {
		return nil
	}
	t = strings.TrimPrefix(t, "|")
	t = strings.TrimSuffix(t, "|")
	var out []string
	var cur strings.Builder
	for i := 0; i < len(t); i++ {
		switch {
		case t[i] == '\\' && i+1 < len(t) && t[i+1] == '|':
			cur.WriteByte('|')
			i++
		case t[i] == '|':
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(t[i])
		}
	}
	return append(out, strings.TrimSpace(cur.String()))
}

func isDelimiter(line string, n int) bool {
	c := cells(line)
	if len(c) != n {
		return false
	}
	for _, x := range c {
		if !delimiterCell.MatchString(x) {
			return false
		}
	}
	return true
}

func render(header []string, rows [][]string, mode string) []string {
	if mode == Code {
		return renderCode(header, rows)
	}
	return renderBullets(header, rows)
}

// renderBullets: with several columns, each row is its first cell in bold and a
// "• <header>: <value>" line per other non-empty cell; a one-column table lists
// "• <header>: <value>". Rows are separated by a blank line.
func renderBullets(header []string, rows [][]string) []string {
	var out []string
	label := len(header) > 1
	for _, row := range rows {
		if len(row) == 0 {
			continue
		}
		if len(out) > 0 {
			out = append(out, "")
		}
		start := 0
		if label {
			if row[0] != "" {
				out = append(out, "**"+row[0]+"**")
			}
			start = 1
		}
		for i := start; i < len(row); i++ {
			if row[i] == "" {
				continue
			}
			h := ""
			if i < len(header) {
				h = header[i]
			}
			switch {
			case h != "":
				out = append(out, "• "+h+": "+row[i])
			case label:
				out = append(out, "• Column "+strconv.Itoa(i)+": "+row[i])
			default:
				out = append(out, "• "+row[i])
			}
		}
	}
	return out
}

// renderCode: the table with padded columns and a dashed divider, in a code block.
func renderCode(header []string, rows [][]string) []string {
	cols := len(header)
	for _, r := range rows {
		cols = max(cols, len(r))
	}
	widths := make([]int, cols)
	measure := func(r []string) {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	measure(header)
	for _, r := range rows {
		measure(r)
	}
	line := func(r []string) string {
		var b strings.Builder
		b.WriteString("|")
		for i := range cols {
			c := ""
			if i < len(r) {
				c = r[i]
			}
			b.WriteString(" " + c + strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)) + " |")
		}
		return b.String()
	}
	out := []string{"```", line(header)}
	var div strings.Builder
	div.WriteString("|")
	for i := range cols {
		div.WriteString(" " + strings.Repeat("-", max(3, widths[i])) + " |")
	}
	out = append(out, div.String())
	for _, r := range rows {
		out = append(out, line(r))
	}
	return append(out, "```")
}
