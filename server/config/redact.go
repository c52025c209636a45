package config

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/titanous/json5"
)

// Redacted replaces secret values in redacted views of the config.
const Redacted = "__CLAWDBOT_REDACTED__"

const redactedJSON = `"` + Redacted + `"`

// sensitiveKey matches keys whose values are secrets: gateway.auth.token,
// gateway.auth.password, gateway.remote.token, gateway.remote.password,
// channels.telegram.botToken, channels.telegram.webhookSecret, hooks.token,
// models.providers.*.apiKey, and anything else named like *token*, *password*,
// *secret* or *apiKey* (api_key, api-key). Some matches are not secrets
// (channels.telegram.tokenFile, agents.defaults.contextTokens): they are redacted
// too, and put back by RestoreRedacted like the rest.
var sensitiveKey = regexp.MustCompile(`(?i)token|password|secret|api[-_]?key`)

// IsSensitiveKey reports whether values under an object key are redacted.
func IsSensitiveKey(key string) bool { return sensitiveKey.MatchString(key) }

// Redact returns the file's raw text and its parsed config (as JSON) with every
// secret replaced by Redacted: each string or number at or below a sensitive
// key (IsSensitiveKey). Booleans and nulls are kept.
//
// The raw text is edited in place, so comments, order and formatting survive;
// a replaced literal becomes the double-quoted string "__CLAWDBOT_REDACTED__". If the raw text
// does not parse, no part of it can be shown safely and rawRedacted is just
// Redacted. configJSON is the parsed file (what the user wrote, keys sorted),
// "{}" when the file is missing or unparsable.
func Redact(f *File) (rawRedacted string, configJSON []byte) {
	configJSON = []byte("{}")
	if f == nil {
		return "", configJSON
	}
	if f.Parsed != nil {
		if b, err := toJSON(redactTree(f.Parsed, false)); err == nil {
			configJSON = b
		}
	}
	if len(f.Raw) == 0 {
		return "", configJSON
	}
	if f.Parsed == nil { // unparsable: no way to tell where the secrets are
		return Redacted, configJSON
	}
	out, err := rewriteJSON5(f.Raw, func(path []string, lit literal) (string, bool) {
		if lit.kind == litBool || lit.kind == litNull || !underSensitive(path) {
			return "", false
		}
		return redactedJSON, true
	})
	if err != nil {
		return Redacted, configJSON
	}
	return string(out), configJSON
}

// RestoreRedacted puts secrets back into text edited from a redacted view:
// every string literal equal to Redacted in newRaw is replaced by the value at
// the same path in old's file as written (File.Written; Parsed when unset). A placeholder with no original value
// (the key moved or is new) is an error, so it is never written as a secret.
// Text without placeholders is returned unchanged.
func RestoreRedacted(newRaw []byte, old *File) ([]byte, error) {
	if !strings.Contains(string(newRaw), Redacted) {
		return newRaw, nil
	}
	if _, err := parseJSON5(newRaw); err != nil {
		return nil, err
	}
	var missing []string
	out, err := rewriteJSON5(newRaw, func(path []string, lit literal) (string, bool) {
		if lit.kind != litString || lit.value != Redacted {
			return "", false
		}
		ptr := pointerOf(path)
		var v any
		if old != nil && old.Written != nil {
			v, _ = lookup(old.Written, ptr) // the paths of the text as written
		} else {
			v, _ = old.Lookup(ptr)
		}
		switch v.(type) {
		case string, float64:
			if b, err := toJSON(v); err == nil {
				return string(b), true
			}
		}
		missing = append(missing, ptr)
		return "", false
	})
	if err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("config: %s: %s has no original value to restore", strings.Join(missing, ", "), Redacted)
	}
	return out, nil
}

// underSensitive reports whether any object key on path is sensitive. Array
// indexes are path elements too, but never match.
func underSensitive(path []string) bool {
	for _, k := range path {
		if IsSensitiveKey(k) {
			return true
		}
	}
	return false
}

func pointerOf(path []string) string {
	var b strings.Builder
	for _, k := range path {
		b.WriteString("/" + escapePointer(k))
	}
	return b.String()
}

// redactTree returns a copy of a parsed tree with secrets replaced.
func redactTree(v any, sensitive bool) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = redactTree(e, sensitive || IsSensitiveKey(k))
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = redactTree(e, sensitive)
		}
		return out
	case string, float64:
		if sensitive {
			return Redacted
		}
	}
	return v
}

type litKind int

const (
	litString litKind = iota
	litNumber
	litBool
	litNull
)

// literal is one scalar of a JSON5 document: its kind and, for strings, the
// decoded value (for numbers and keywords, the source text).
type literal struct {
	kind  litKind
	value string
}

// rewriteJSON5 walks a JSON5 document and lets fn replace scalar literals with
// JSON text (e.g. a double-quoted string). Everything else
// (comments, whitespace, order, quoting of untouched values) is copied as is.
func rewriteJSON5(src []byte, fn func(path []string, lit literal) (string, bool)) ([]byte, error) {
	w := &rewriter{src: string(src), fn: fn}
	if strings.HasPrefix(w.src, "\uFEFF") {
		w.pos = len("\uFEFF")
	}
	if err := w.value(nil); err != nil {
		return nil, err
	}
	if w.skipSpace(); w.pos != len(w.src) {
		return nil, w.errorf("unexpected %q after the top-level value", w.src[w.pos])
	}
	w.out.WriteString(w.src[w.last:])
	return []byte(w.out.String()), nil
}

type rewriter struct {
	src  string
	pos  int
	last int // src[last:pos] not yet copied to out
	out  strings.Builder
	fn   func([]string, literal) (string, bool)
}

func (w *rewriter) errorf(format string, args ...any) error {
	return fmt.Errorf("config: JSON5 offset %d: %s", w.pos, fmt.Sprintf(format, args...))
}

var errEOF = errors.New("config: unexpected end of JSON5 input")

// skipSpace skips whitespace and comments. Like the parser (titanous/json5),
// only ASCII whitespace counts; the rewriter only ever sees text it accepted.
func (w *rewriter) skipSpace() {
	for w.pos < len(w.src) {
		switch c := w.src[w.pos]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			w.pos++
		case strings.HasPrefix(w.src[w.pos:], "//"):
			if i := strings.IndexAny(w.src[w.pos:], "\n\r"); i >= 0 {
				w.pos += i
			} else {
				w.pos = len(w.src)
			}
		case strings.HasPrefix(w.src[w.pos:], "/*"):
			if i := strings.Index(w.src[w.pos+2:], "*/"); i >= 0 {
				w.pos += 2 + i + 2
			} else {
				w.pos = len(w.src)
			}
		default:
			return
		}
	}
}

func (w *rewriter) value(path []string) error {
	w.skipSpace()
	if w.pos >= len(w.src) {
		return errEOF
	}
	switch c := w.src[w.pos]; c {
	case '{':
		return w.object(path)
	case '[':
		return w.array(path)
	case '"', '\'':
		start := w.pos
		end, err := w.stringEnd()
		if err != nil {
			return err
		}
		var s string
		if err := json5.Unmarshal([]byte(w.src[start:end]), &s); err != nil {
			return w.errorf("bad string literal: %v", err)
		}
		w.pos = end
		w.scalar(path, start, literal{kind: litString, value: s})
		return nil
	default:
		start := w.pos
		for w.pos < len(w.src) && !strings.ContainsRune(",]}/ \t\n\r\f", rune(w.src[w.pos])) {
			w.pos++
		}
		text := w.src[start:w.pos]
		if text == "" {
			return w.errorf("unexpected %q", c)
		}
		kind := litNumber
		switch text {
		case "true", "false":
			kind = litBool
		case "null":
			kind = litNull
		}
		w.scalar(path, start, literal{kind: kind, value: text})
		return nil
	}
}

// scalar offers the literal src[start:pos] to fn and splices in a replacement.
func (w *rewriter) scalar(path []string, start int, lit literal) {
	repl, ok := w.fn(path, lit)
	if !ok {
		return
	}
	w.out.WriteString(w.src[w.last:start])
	w.out.WriteString(repl)
	w.last = w.pos
}

// stringEnd returns the offset just past the string literal starting at pos.
func (w *rewriter) stringEnd() (int, error) {
	q := w.src[w.pos]
	for i := w.pos + 1; i < len(w.src); i++ {
		switch w.src[i] {
		case '\\':
			i++ // skip the escaped byte (a line continuation "\\\r\n" leaves "\n", harmless)
		case q:
			return i + 1, nil
		}
	}
	return 0, errEOF
}

func (w *rewriter) object(path []string) error {
	w.pos++ // {
	for {
		w.skipSpace()
		if w.pos >= len(w.src) {
			return errEOF
		}
		if w.src[w.pos] == '}' {
			w.pos++
			return nil
		}
		key, err := w.key()
		if err != nil {
			return err
		}
		w.skipSpace()
		if w.pos >= len(w.src) || w.src[w.pos] != ':' {
			return w.errorf("expected ':' after key %q", key)
		}
		w.pos++
		if err := w.value(append(path[:len(path):len(path)], key)); err != nil {
			return err
		}
		w.skipSpace()
		if w.pos >= len(w.src) {
			return errEOF
		}
		switch w.src[w.pos] {
		case ',':
			w.pos++
		case '}':
			w.pos++
			return nil
		default:
			return w.errorf("unexpected %q in object", w.src[w.pos])
		}
	}
}

func (w *rewriter) key() (string, error) {
	c := w.src[w.pos]
	if c == '"' || c == '\'' {
		start := w.pos
		end, err := w.stringEnd()
		if err != nil {
			return "", err
		}
		var s string
		if err := json5.Unmarshal([]byte(w.src[start:end]), &s); err != nil {
			return "", w.errorf("bad key: %v", err)
		}
		w.pos = end
		return s, nil
	}
	start := w.pos
	for w.pos < len(w.src) {
		b := w.src[w.pos]
		if b == '$' || b == '_' ||
			('a' <= b && b <= 'z') || ('A' <= b && b <= 'Z') || ('0' <= b && b <= '9') {
			w.pos++
			continue
		}
		break
	}
	if w.pos == start {
		return "", w.errorf("unexpected %q where a key was expected", c)
	}
	return w.src[start:w.pos], nil
}

func (w *rewriter) array(path []string) error {
	w.pos++ // [
	for i := 0; ; i++ {
		w.skipSpace()
		if w.pos >= len(w.src) {
			return errEOF
		}
		if w.src[w.pos] == ']' {
			w.pos++
			return nil
		}
		if err := w.value(append(path[:len(path):len(path)], strconv.Itoa(i))); err != nil {
			return err
		}
		w.skipSpace()
		if w.pos >= len(w.src) {
			return errEOF
		}
		switch w.src[w.pos] {
		case ',':
			w.pos++
		case ']':
			w.pos++
			return nil
		default:
			return w.errorf("unexpected %q in array", w.src[w.pos])
		}
	}
}
