package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ParseKeyPath splits a config path as `clawdbot config get|set|unset` takes it:
// dot-separated keys, with [n] for array indexes and ["key"] (or ['key']) for keys
// that contain dots or brackets: agents.list[0].id, channels.telegram.groups["*"].
func ParseKeyPath(p string) ([]string, error) {
	var out []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '.':
			if cur.Len() == 0 && (i == 0 || p[i-1] != ']') {
				return nil, fmt.Errorf("config path %q: empty key", p)
			}
			flush()
		case '[':
			flush()
			end := strings.IndexByte(p[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("config path %q: unclosed [", p)
			}
			inner := p[i+1 : i+end]
			if len(inner) >= 2 && (inner[0] == '"' || inner[0] == '\'') && inner[len(inner)-1] == inner[0] {
				inner = inner[1 : len(inner)-1]
			} else if _, err := strconv.Atoi(inner); err != nil {
				return nil, fmt.Errorf("config path %q: [%s] is neither an index nor a quoted key", p, inner)
			}
			out = append(out, inner)
			i += end
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	if len(out) == 0 {
		return nil, fmt.Errorf("config path %q: empty", p)
	}
	return out, nil
}

// ParseValue reads a `config set` value as JSON5 (numbers, booleans, null,
// objects, arrays, quoted strings); anything that is not JSON5 is the string as
// typed, as in the original.
func ParseValue(s string) any {
	v, err := parseJSON5([]byte(s))
	if err != nil {
		return s
	}
	return v
}

// GetPath returns the value at path in tree.
func GetPath(tree any, path []string) (any, bool) {
	cur := tree
	for _, k := range path {
		switch t := cur.(type) {
		case map[string]any:
			v, ok := t[k]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(t) {
				return nil, false
			}
			cur = t[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// SetPath sets path in tree (an object) to v, creating objects on the way; an
// array index may address an existing element or append (index == len).
func SetPath(tree map[string]any, path []string, v any) error {
	var parent any = tree
	for i, k := range path {
		last := i == len(path)-1
		switch t := parent.(type) {
		case map[string]any:
			if last {
				t[k] = v
				return nil
			}
			next, ok := t[k]
			if !ok || next == nil {
				next = map[string]any{}
				t[k] = next
			}
			parent = next
		case []any:
			idx, err := strconv.Atoi(k)
			if err != nil || idx < 0 || idx > len(t) {
				return fmt.Errorf("%s: index %s out of range", strings.Join(path[:i], "."), k)
			}
			if idx == len(t) {
				return fmt.Errorf("%s: appending to an array is not supported; set the whole array", strings.Join(path[:i], "."))
			}
			if last {
				t[idx] = v
				return nil
			}
			parent = t[idx]
		default:
			return fmt.Errorf("%s is not an object", strings.Join(path[:i], "."))
		}
	}
	return nil
}

// UnsetPath removes path from tree; removing what is not there is not an error
// (ok reports whether something was removed).
func UnsetPath(tree map[string]any, path []string) (ok bool) {
	parent, found := GetPath(tree, path[:len(path)-1])
	if !found {
		return false
	}
	k := path[len(path)-1]
	switch t := parent.(type) {
	case map[string]any:
		if _, ok := t[k]; ok {
			delete(t, k)
			return true
		}
	case []any:
		// Arrays: removing an element shifts the rest; done on the parent slice.
		idx, err := strconv.Atoi(k)
		if err != nil || idx < 0 || idx >= len(t) {
			return false
		}
		grand, _ := GetPath(tree, path[:len(path)-2])
		nt := append(append([]any{}, t[:idx]...), t[idx+1:]...)
		switch g := grand.(type) {
		case map[string]any:
			g[path[len(path)-2]] = nt
		case []any:
			gi, _ := strconv.Atoi(path[len(path)-2])
			g[gi] = nt
		}
		return true
	}
	return false
}

// Format renders a config tree as the file text this gateway writes: JSON (which
// is JSON5), two-space indented, keys sorted, ending in a newline. Callers keep the
// replaced file's leading comments with LeadingComments; others are not kept.
func Format(tree any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(tree); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// LeadingComments returns the comments (and blank lines) before the document in
// raw, the part of a file's comments a rewrite can keep: comments inside the
// document are lost when it is re-rendered. Empty when raw starts with the document.
func LeadingComments(raw []byte) []byte {
	src := bytes.TrimPrefix(raw, []byte("\uFEFF"))
	i := 0
	for i < len(src) {
		switch {
		case src[i] == ' ' || src[i] == '\t' || src[i] == '\r' || src[i] == '\n':
			i++
		case bytes.HasPrefix(src[i:], []byte("//")):
			end := bytes.IndexByte(src[i:], '\n')
			if end < 0 {
				return nil // a comment running to the end: no document after it
			}
			i += end + 1
		case bytes.HasPrefix(src[i:], []byte("/*")):
			end := bytes.Index(src[i+2:], []byte("*/"))
			if end < 0 {
				return nil
			}
			i += 2 + end + 2
		default:
			if !bytes.Contains(src[:i], []byte("/")) {
				return nil
			}
			out := bytes.TrimRight(src[:i], " \t\r\n")
			return append(append([]byte{}, out...), '\n')
		}
	}
	return nil
}

// ErrNothingToFix is returned by Fix for a file already in the current shape.
var ErrNothingToFix = errors.New("config already in the current shape")

// Fix rewrites raw in the current shape: the legacy keys migrated, everything
// else (${VAR} references, $include) as written. It returns the new text and the
// migration notes; ErrNothingToFix when there was nothing to migrate. The result
// is checked to load before it is returned.
func Fix(path string, raw []byte, env Env) ([]byte, []string, error) {
	tree, err := parseJSON5(raw)
	if err != nil {
		var pe *ParseError
		if errors.As(err, &pe) {
			pe.Path = path
		}
		return nil, nil, err
	}
	notes := migrateLegacy(tree)
	if len(notes) == 0 {
		return raw, nil, ErrNothingToFix
	}
	out, err := Format(tree)
	if err != nil {
		return nil, nil, err
	}
	out = append(LeadingComments(raw), out...)
	if _, err := ParseWith(path, out, env); err != nil {
		return nil, notes, fmt.Errorf("the migrated config does not load: %w", err)
	}
	return out, notes, nil
}
