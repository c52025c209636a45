package tools

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

const (
	patchBegin      = "*** Begin Patch"
	patchEnd        = "*** End Patch"
	patchAdd        = "*** Add File: "
	patchDelete     = "*** Delete File: "
	patchUpdate     = "*** Update File: "
	patchMove       = "*** Move to: "
	patchEOF        = "*** End of File"
	patchCtx        = "@@ "
	patchCtxEmpty   = "@@"
	maxPatchedFiles = 1000
)

var unicodeSpaces = regexp.MustCompile("[\u00A0\u2000-\u200A\u202F\u205F\u3000]")

type hunk struct {
	kind     string // add | delete | update
	path     string
	movePath string
	contents string
	chunks   []patchChunk
}

type patchChunk struct {
	ctx       string
	oldLines  []string
	newLines  []string
	endOfFile bool
}

// PatchSummary lists the files a patch touched.
type PatchSummary struct {
	Added    []string `json:"added"`
	Modified []string `json:"modified"`
	Deleted  []string `json:"deleted"`
}

// ApplyPatchTool returns the apply_patch tool (the Codex-style patch format), confined
// to the workspace like the other fs tools.
func ApplyPatchTool(w *Workspace) (*Tool, error) {
	return withSchema(&Tool{Name: "apply_patch", Label: "apply_patch",
		Description: "Apply a patch to files in the workspace. The input starts with *** Begin Patch and ends with *** End Patch; files are added, deleted or updated with *** Add File:, *** Delete File:, *** Update File: sections.",
		Execute: func(ctx context.Context, call Call) (Result, error) {
			var a struct {
				Input string `json:"input"`
			}
			if err := decodeArgs(call.Args, &a); err != nil {
				return Result{}, err
			}
			if strings.TrimSpace(a.Input) == "" {
				return Result{}, errors.New("Provide a patch input.")
			}
			sum, err := w.applyPatch(ctx, a.Input)
			if err != nil {
				return Result{}, err
			}
			lines := []string{"Success. Updated the following files:"}
			for _, f := range sum.Added {
				lines = append(lines, "A "+f)
			}
			for _, f := range sum.Modified {
				lines = append(lines, "M "+f)
			}
			for _, f := range sum.Deleted {
				lines = append(lines, "D "+f)
			}
			return TextResult(strings.Join(lines, "\n"), map[string]any{"summary": sum}), nil
		}})
}

func parsePatch(input string) ([]hunk, error) {
	trimmed := strings.TrimSpace(input)
	if trimmed == "" {
		return nil, errors.New("Invalid patch: input is empty.")
	}
	lines := strings.Split(strings.ReplaceAll(trimmed, "\r\n", "\n"), "\n")
	lines, err := patchBoundaries(lines)
	if err != nil {
		return nil, err
	}
	rest := lines[1 : len(lines)-1]
	lineNo := 2
	var hunks []hunk
	for len(rest) > 0 {
		h, n, err := parseHunk(rest, lineNo)
		if err != nil {
			return nil, err
		}
		hunks = append(hunks, h)
		if len(hunks) > maxPatchedFiles {
			return nil, fmt.Errorf("Invalid patch: more than %d file sections", maxPatchedFiles)
		}
		lineNo += n
		rest = rest[n:]
	}
	return hunks, nil
}

func strictBoundaries(lines []string) error {
	first := strings.TrimSpace(lines[0])
	last := strings.TrimSpace(lines[len(lines)-1])
	if first == patchBegin && last == patchEnd {
		return nil
	}
	if first != patchBegin {
		return errors.New("The first line of the patch must be '*** Begin Patch'")
	}
	return errors.New("The last line of the patch must be '*** End Patch'")
}

// patchBoundaries accepts the patch as is or wrapped in a <<EOF heredoc.
func patchBoundaries(lines []string) ([]string, error) {
	err := strictBoundaries(lines)
	if err == nil {
		return lines, nil
	}
	if len(lines) >= 4 {
		first, last := lines[0], lines[len(lines)-1]
		if (first == "<<EOF" || first == "<<'EOF'" || first == `<<"EOF"`) && strings.HasSuffix(last, "EOF") {
			inner := lines[1 : len(lines)-1]
			if ierr := strictBoundaries(inner); ierr != nil {
				return nil, ierr
			}
			return inner, nil
		}
	}
	return nil, err
}

func parseHunk(lines []string, lineNo int) (hunk, int, error) {
	first := strings.TrimSpace(lines[0])
	switch {
	case strings.HasPrefix(first, patchAdd):
		h := hunk{kind: "add", path: strings.TrimPrefix(first, patchAdd)}
		n := 1
		var b strings.Builder
		for _, l := range lines[1:] {
			if !strings.HasPrefix(l, "+") {
				break
			}
			b.WriteString(l[1:])
			b.WriteByte('\n')
			n++
		}
		h.contents = b.String()
		return h, n, nil
	case strings.HasPrefix(first, patchDelete):
		return hunk{kind: "delete", path: strings.TrimPrefix(first, patchDelete)}, 1, nil
	case strings.HasPrefix(first, patchUpdate):
		h := hunk{kind: "update", path: strings.TrimPrefix(first, patchUpdate)}
		rest := lines[1:]
		n := 1
		if len(rest) > 0 && strings.HasPrefix(strings.TrimSpace(rest[0]), patchMove) {
			h.movePath = strings.TrimPrefix(strings.TrimSpace(rest[0]), patchMove)
			rest, n = rest[1:], n+1
		}
		for len(rest) > 0 {
			if strings.TrimSpace(rest[0]) == "" {
				rest, n = rest[1:], n+1
				continue
			}
			if strings.HasPrefix(rest[0], "***") {
				break
			}
			c, used, err := parseChunk(rest, lineNo+n, len(h.chunks) == 0)
			if err != nil {
				return hunk{}, 0, err
			}
			h.chunks = append(h.chunks, c)
			rest, n = rest[used:], n+used
		}
		if len(h.chunks) == 0 {
			return hunk{}, 0, fmt.Errorf("Invalid patch hunk at line %d: Update file hunk for path '%s' is empty", lineNo, h.path)
		}
		return h, n, nil
	}
	return hunk{}, 0, fmt.Errorf("Invalid patch hunk at line %d: '%s' is not a valid hunk header. Valid hunk headers: '*** Add File: {path}', '*** Delete File: {path}', '*** Update File: {path}'", lineNo, lines[0])
}

func parseChunk(lines []string, lineNo int, allowMissingCtx bool) (patchChunk, int, error) {
	var c patchChunk
	start := 0
	switch {
	case lines[0] == patchCtxEmpty:
		start = 1
	case strings.HasPrefix(lines[0], patchCtx):
		c.ctx, start = strings.TrimPrefix(lines[0], patchCtx), 1
	case !allowMissingCtx:
		return c, 0, fmt.Errorf("Invalid patch hunk at line %d: Expected update hunk to start with a @@ context marker, got: '%s'", lineNo, lines[0])
	}
	if start >= len(lines) {
		return c, 0, fmt.Errorf("Invalid patch hunk at line %d: Update hunk does not contain any lines", lineNo+1)
	}
	parsed := 0
	for _, l := range lines[start:] {
		if l == patchEOF {
			if parsed == 0 {
				return c, 0, fmt.Errorf("Invalid patch hunk at line %d: Update hunk does not contain any lines", lineNo+1)
			}
			c.endOfFile = true
			parsed++
			break
		}
		if l == "" {
			c.oldLines, c.newLines = append(c.oldLines, ""), append(c.newLines, "")
			parsed++
			continue
		}
		switch l[0] {
		case ' ':
			c.oldLines, c.newLines = append(c.oldLines, l[1:]), append(c.newLines, l[1:])
		case '+':
			c.newLines = append(c.newLines, l[1:])
		case '-':
			c.oldLines = append(c.oldLines, l[1:])
		default:
			if parsed == 0 {
				return c, 0, fmt.Errorf("Invalid patch hunk at line %d: Unexpected line found in update hunk: '%s'. Every line should start with ' ' (context line), '+' (added line), or '-' (removed line)", lineNo+1, l)
			}
			return c, parsed + start, nil
		}
		parsed++
	}
	return c, parsed + start, nil
}

// applyPatch validates every path and computes every new file before touching the
// disk, so a patch that fails halfway (a hunk that does not apply, a path outside the
// workspace) changes nothing.
func (w *Workspace) applyPatch(ctx context.Context, input string) (PatchSummary, error) {
	hunks, err := parsePatch(input)
	if err != nil {
		return PatchSummary{}, err
	}
	if len(hunks) == 0 {
		return PatchSummary{}, errors.New("No files were modified.")
	}
	type op struct {
		kind    string // write | delete
		rel     string
		display string
		data    []byte
	}
	var ops []op
	sum := PatchSummary{Added: []string{}, Modified: []string{}, Deleted: []string{}}
	seen := map[string]bool{}
	record := func(bucket *[]string, key, v string) {
		if !seen[key+v] {
			seen[key+v] = true
			*bucket = append(*bucket, v)
		}
	}
	pending := map[string][]byte{} // later hunks see earlier ones
	for _, h := range hunks {
		if ctx.Err() != nil {
			return PatchSummary{}, ctx.Err()
		}
		p := unicodeSpaces.ReplaceAllString(h.path, " ")
		rel, err := w.Rel(p)
		if err != nil {
			return PatchSummary{}, err
		}
		switch h.kind {
		case "add":
			ops = append(ops, op{"write", rel, p, []byte(h.contents)})
			pending[rel] = []byte(h.contents)
			record(&sum.Added, "A", rel)
		case "delete":
			if _, err := w.root.Stat(rel); err != nil {
				if _, ok := pending[rel]; !ok {
					return PatchSummary{}, wrapFSErr(p, err)
				}
			}
			ops = append(ops, op{"delete", rel, p, nil})
			delete(pending, rel)
			record(&sum.Deleted, "D", rel)
		case "update":
			cur, ok := pending[rel]
			if !ok {
				cur, err = w.readAll(rel, p)
				if err != nil {
					return PatchSummary{}, fmt.Errorf("Failed to read file to update %s: %w", p, err)
				}
			}
			updated, err := applyChunks(string(cur), p, h.chunks)
			if err != nil {
				return PatchSummary{}, err
			}
			if h.movePath != "" {
				mp := unicodeSpaces.ReplaceAllString(h.movePath, " ")
				mrel, err := w.Rel(mp)
				if err != nil {
					return PatchSummary{}, err
				}
				ops = append(ops, op{"write", mrel, mp, []byte(updated)}, op{"delete", rel, p, nil})
				pending[mrel] = []byte(updated)
				delete(pending, rel)
				record(&sum.Modified, "M", mrel)
			} else {
				ops = append(ops, op{"write", rel, p, []byte(updated)})
				pending[rel] = []byte(updated)
				record(&sum.Modified, "M", rel)
			}
		}
	}
	for _, o := range ops {
		switch o.kind {
		case "write":
			if err := w.writeFile(o.rel, o.display, o.data); err != nil {
				return PatchSummary{}, err
			}
		case "delete":
			if err := w.root.Remove(o.rel); err != nil {
				return PatchSummary{}, wrapFSErr(o.display, err)
			}
		}
	}
	return sum, nil
}

func applyChunks(content, display string, chunks []patchChunk) (string, error) {
	orig := strings.Split(content, "\n")
	if len(orig) > 0 && orig[len(orig)-1] == "" {
		orig = orig[:len(orig)-1]
	}
	type repl struct {
		start, oldLen int
		lines         []string
	}
	var repls []repl
	idx := 0
	for _, c := range chunks {
		if c.ctx != "" {
			at := seekSequence(orig, []string{c.ctx}, idx, false)
			if at < 0 {
				return "", fmt.Errorf("Failed to find context '%s' in %s", c.ctx, display)
			}
			idx = at + 1
		}
		if len(c.oldLines) == 0 {
			repls = append(repls, repl{len(orig), 0, c.newLines})
			continue
		}
		pattern, newSlice := c.oldLines, c.newLines
		at := seekSequence(orig, pattern, idx, c.endOfFile)
		if at < 0 && pattern[len(pattern)-1] == "" {
			pattern = pattern[:len(pattern)-1]
			if len(newSlice) > 0 && newSlice[len(newSlice)-1] == "" {
				newSlice = newSlice[:len(newSlice)-1]
			}
			at = seekSequence(orig, pattern, idx, c.endOfFile)
		}
		if at < 0 {
			return "", fmt.Errorf("Failed to find expected lines in %s:\n%s", display, strings.Join(c.oldLines, "\n"))
		}
		repls = append(repls, repl{at, len(pattern), newSlice})
		idx = at + len(pattern)
	}
	sort.SliceStable(repls, func(i, j int) bool { return repls[i].start < repls[j].start })
	res := append([]string(nil), orig...)
	for i := len(repls) - 1; i >= 0; i-- {
		r := repls[i]
		end := min(r.start+r.oldLen, len(res))
		tail := append(append([]string(nil), r.lines...), res[end:]...)
		res = append(res[:r.start], tail...)
	}
	if len(res) == 0 || res[len(res)-1] != "" {
		res = append(res, "")
	}
	return strings.Join(res, "\n"), nil
}

// seekSequence finds pattern in lines from start, trying exact, trailing-space,
// surrounding-space and punctuation-normalized comparisons in turn.
func seekSequence(lines, pattern []string, start int, eof bool) int {
	if len(pattern) == 0 {
		return start
	}
	if len(pattern) > len(lines) {
		return -1
	}
	maxStart := len(lines) - len(pattern)
	from := start
	if eof {
		from = maxStart
	}
	if from > maxStart {
		return -1
	}
	norms := []func(string) string{
		func(s string) string { return s },
		func(s string) string { return strings.TrimRight(s, " \t") },
		strings.TrimSpace,
		func(s string) string { return normalizePunct(strings.TrimSpace(s)) },
	}
	for _, n := range norms {
		for i := from; i <= maxStart; i++ {
			ok := true
			for j := range pattern {
				if n(lines[i+j]) != n(pattern[j]) {
					ok = false
					break
				}
			}
			if ok {
				return i
			}
		}
	}
	return -1
}

var punct = strings.NewReplacer(
	"\u2010", "-", "\u2011", "-", "\u2012", "-", "\u2013", "-", "\u2014", "-", "\u2015", "-", "\u2212", "-",
	"\u2018", "'", "\u2019", "'", "\u201A", "'", "\u201B", "'",
	"\u201C", `"`, "\u201D", `"`, "\u201E", `"`, "\u201F", `"`,
	"\u00A0", " ", "\u2002", " ", "\u2003", " ", "\u2004", " ", "\u2005", " ", "\u2006", " ", "\u2007", " ",
	"\u2008", " ", "\u2009", " ", "\u200A", " ", "\u202F", " ", "\u205F", " ", "\u3000", " ",
)

func normalizePunct(s string) string { return punct.Replace(s) }
