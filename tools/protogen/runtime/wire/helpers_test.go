package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"
)

// validOurs reports whether doc is one complete JSON document for this
// package: one value and only whitespace after it.
func validOurs(doc []byte) error {
	d := NewDecoder(doc)
	if err := d.Skip(); err != nil {
		return err
	}
	return d.End()
}

// stricterByDesign reports whether err, our rejection of a document that
// json.Valid accepts, is one of the documented differences (see doc.go), and
// checks an independent witness for it in the document.
func stricterByDesign(doc []byte, err error) bool {
	var se *SyntaxError
	if !errors.As(err, &se) {
		return false
	}
	switch se.Msg {
	case msgInvalidUTF8:
		return !utf8.Valid(doc)
	case msgSurrogate:
		return unpairedSurrogateAt(doc, se.Offset)
	case msgTooDeep:
		return nestingDepth(doc) > MaxDepth
	}
	return false
}

// unpairedSurrogateAt reports whether doc[off:] starts with a \u escape of
// a low surrogate, or of a high surrogate not followed by an escaped low one.
func unpairedSurrogateAt(doc []byte, off int) bool {
	r, ok := hexEscape(doc, off)
	switch {
	case !ok || r < 0xD800 || r > 0xDFFF:
		return false
	case r >= 0xDC00:
		return true
	}
	r2, ok := hexEscape(doc, off+6)
	return !ok || r2 < 0xDC00 || r2 > 0xDFFF
}

func hexEscape(doc []byte, off int) (rune, bool) {
	if off < 0 || off+6 > len(doc) || doc[off] != '\\' || doc[off+1] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range doc[off+2 : off+6] {
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// nestingDepth returns the maximum bracket depth of a syntactically valid
// document.
func nestingDepth(doc []byte) int {
	depth, max := 0, 0
	inString := false
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		switch {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '[' || c == '{':
			depth++
			if depth > max {
				max = depth
			}
		case c == ']' || c == '}':
			depth--
		}
	}
	return max
}

// jsonString encodes s like encoding/json with HTML escaping off.
func jsonString(s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		panic(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// jsonFloat encodes f like encoding/json.
func jsonFloat(f float64) []byte {
	b, err := json.Marshal(f)
	if err != nil {
		panic(err)
	}
	return b
}

// walk consumes one value through the typed API (Peek, BeginObject/NextKey,
// BeginArray/NextElem, String, Float, Bool, Null) instead of Skip, so the
// fuzzer exercises both paths. Float range errors are not syntax errors and
// are ignored.
func walk(d *Decoder) error {
	switch d.Peek() {
	case KindObject:
		if err := d.BeginObject(); err != nil {
			return err
		}
		for {
			_, ok, err := d.NextKey()
			if err != nil {
				return err
			}
			if !ok {
				return nil
			}
			if err := walk(d); err != nil {
				return err
			}
		}
	case KindArray:
		if err := d.BeginArray(); err != nil {
			return err
		}
		for {
			ok, err := d.NextElem()
			if err != nil {
				return err
			}
			if !ok {
				return nil
			}
			if err := walk(d); err != nil {
				return err
			}
		}
	case KindString:
		_, err := d.String()
		return err
	case KindNumber:
		_, err := d.Float()
		var re *RangeError
		if errors.As(err, &re) {
			return nil
		}
		return err
	case KindBool:
		_, err := d.Bool()
		return err
	case KindNull:
		return d.Null()
	}
	return d.Skip() // reports the syntax error
}

func jsonMarshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
