package model

import (
	"strings"
	"unicode"
)

// GoName turns a wire property name into an exported Go identifier with initialisms.
func GoName(s string) string {
	parts := splitWords(s)
	var b strings.Builder
	for _, p := range parts {
		up := strings.ToUpper(p)
		if initialisms[up] {
			b.WriteString(up)
			continue
		}
		r := []rune(p)
		r[0] = unicode.ToUpper(r[0])
		b.WriteString(string(r))
	}
	out := b.String()
	if out == "" || !unicode.IsLetter([]rune(out)[0]) {
		out = "X" + out
	}
	return out
}

// GoMethodName turns a wire method/event name into PascalCase without separators
// (node.pair.request → NodePairRequest), keeping the words' own capitalisation. It is
// also the stem of the conventional def titles (<Stem>Params, <Stem>Event).
func GoMethodName(s string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == '.' || r == '-' || r == '_' }) {
		r := []rune(w)
		r[0] = unicode.ToUpper(r[0])
		b.WriteString(string(r))
	}
	return b.String()
}

var initialisms = map[string]bool{"ID": true, "URL": true, "JSON": true, "IP": true, "JID": true, "HTTP": true, "UI": true, "API": true, "QR": true, "TTL": true, "UTF8": true}

// splitWords splits camelCase, snake_case, kebab-case and dotted names.
func splitWords(s string) []string {
	var words []string
	var cur []rune
	rs := []rune(s)
	flush := func() {
		if len(cur) > 0 {
			words = append(words, string(cur))
			cur = nil
		}
	}
	for i, r := range rs {
		switch {
		case r == '_' || r == '-' || r == '.' || r == ' ' || r == '$':
			flush()
		case unicode.IsUpper(r):
			// Start a new word unless inside an acronym run (JSON in paramsJSON).
			if len(cur) > 0 && (!unicode.IsUpper(cur[len(cur)-1]) || (i+1 < len(rs) && unicode.IsLower(rs[i+1]))) {
				flush()
			}
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
	}
	flush()
	return words
}

// isTypeName reports whether s is a PascalCase type name (^[A-Z][A-Za-z0-9]*$).
func isTypeName(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}
