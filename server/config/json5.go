package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/titanous/json5"
)

// ParseError is a JSON5 syntax error (or a number JSON5 accepts but a float64
// can't hold), with the 1-based line and column of the offending character.
type ParseError struct {
	Path         string // file path; "" when the text did not come from a file
	Line, Column int    // 0 when unknown
	Msg          string // the parser's message
}

func (e *ParseError) Error() string {
	var b strings.Builder
	if e.Path != "" {
		fmt.Fprintf(&b, "parse config %s: ", e.Path)
	} else {
		b.WriteString("JSON5 parse error: ")
	}
	b.WriteString(e.Msg)
	if e.Line > 0 {
		fmt.Fprintf(&b, " (line %d, column %d)", e.Line, e.Column)
	}
	return b.String()
}

// parseJSON5 parses JSON5 text into a generic tree (map[string]any, []any,
// string, float64, bool, nil). A UTF-8 byte-order mark is skipped.
func parseJSON5(raw []byte) (any, error) {
	src := bytes.TrimPrefix(raw, []byte("\uFEFF"))
	var v any
	err := json5.Unmarshal(src, &v)
	if err == nil {
		return v, nil
	}
	pe := &ParseError{Msg: strings.TrimPrefix(err.Error(), "json: ")}
	var off int64 = -1
	var se *json5.SyntaxError
	var te *json5.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
		if off == int64(len(src)) && strings.Contains(se.Error(), "end of JSON input") {
			off++ // point just past the last character
		}
	case errors.As(err, &te):
		off = te.Offset
		pe.Msg = "number " + strings.TrimPrefix(te.Value, "number ") + " is out of range"
	}
	if off >= 0 {
		// Offsets count the bytes read, the offending one included.
		pe.Line, pe.Column = lineCol(src, int(off)-1)
	}
	return nil, pe
}

// lineCol returns the 1-based line and column (in characters) of byte offset
// off in src, clamped to the text.
func lineCol(src []byte, off int) (line, col int) {
	off = max(0, min(off, len(src)))
	line, start := 1, 0
	for i := 0; i < off; i++ {
		if src[i] == '\n' {
			line++
			start = i + 1
		}
	}
	return line, utf8.RuneCount(src[start:off]) + 1
}

// nonFinite removes NaN and ±Infinity (valid JSON5, not representable in JSON)
// from tree, in place, returning the cleaned tree (nil if the root itself was
// one) and an issue for each, sorted by path.
func nonFinite(tree any) (any, []Issue) {
	var out []Issue
	var walk func(v any, path string) (any, bool)
	walk = func(v any, path string) (any, bool) {
		switch t := v.(type) {
		case float64:
			if math.IsNaN(t) || math.IsInf(t, 0) {
				out = append(out, Issue{Path: path, Message: "must be a finite number (NaN and Infinity are not allowed)"})
				return nil, false
			}
		case map[string]any:
			for k, e := range t {
				if _, keep := walk(e, path+"/"+escapePointer(k)); !keep {
					delete(t, k)
				}
			}
		case []any:
			for i, e := range t {
				t[i], _ = walk(e, path+"/"+strconv.Itoa(i))
			}
		}
		return v, true
	}
	tree, _ = walk(tree, "")
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return tree, out
}

// toJSON marshals a parsed tree without HTML escaping.
func toJSON(tree any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(tree); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// escapePointer escapes one JSON Pointer reference token (RFC 6901).
func escapePointer(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}
