package wire

import (
	"encoding/binary"
	"unicode/utf8"
)

// String consumes a JSON string and returns its decoded value. It allocates
// exactly the returned string (none for ""), plus a one-time growth of the
// decoder's scratch buffer if the string contains escapes.
func (d *Decoder) String() (string, error) {
	b, err := d.StringBytes()
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// StringBytes consumes a JSON string and returns its decoded bytes. Without
// escapes the result is a sub-slice of the input (no copy); with escapes it
// is the decoder's scratch buffer. Either way it is only valid until the
// next call on d and must not be modified.
func (d *Decoder) StringBytes() ([]byte, error) {
	if err := d.expect('"', "string"); err != nil {
		return nil, err
	}
	return d.stringBytes()
}

// stringBytes is StringBytes with d.pos at the opening quote.
func (d *Decoder) stringBytes() ([]byte, error) {
	start, esc, err := d.scanString()
	if err != nil {
		return nil, err
	}
	raw := d.data[start : d.pos-1 : d.pos-1]
	if !esc {
		return raw, nil
	}
	d.scratch = unescape(d.scratch[:0], raw)
	return d.scratch, nil
}

// SWAR constants for scanning eight bytes at a time.
const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// scanString validates the string starting at d.pos (the opening quote) and
// moves d.pos past the closing quote. It returns the offset of the first
// content byte and whether the content has escapes. The content must be
// valid UTF-8, contain no control characters, and use only RFC 8259
// escapes, with surrogate escapes correctly paired.
func (d *Decoder) scanString() (start int, esc bool, err error) {
	data := d.data
	i := d.pos + 1
	start = i
	for {
		// Fast path: skip eight plain ASCII bytes at a time. A lane's high
		// bit is set when the byte is >= 0x80, < 0x20, '"' or '\\' (a
		// borrow can only add false positives above a real hit, which the
		// byte loop below then handles exactly).
		for i+8 <= len(data) {
			x := binary.LittleEndian.Uint64(data[i:])
			t := x | (x - lsb*0x20) | ((x ^ lsb*'"') - lsb) | ((x ^ lsb*'\\') - lsb)
			if t&msb != 0 {
				break
			}
			i += 8
		}
		if i >= len(data) {
			return 0, false, d.syntaxError(i, msgEOF)
		}
		c := data[i]
		switch {
		case c == '"':
			d.pos = i + 1
			return start, esc, nil
		case c == '\\':
			esc = true
			n, err := d.scanEscape(i)
			if err != nil {
				return 0, false, err
			}
			i += n
		case c < 0x20:
			return 0, false, d.syntaxError(i, msgControlChar)
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				return 0, false, d.syntaxError(i, msgInvalidUTF8)
			}
			i += size
		}
	}
}

// scanEscape validates the escape sequence at data[i] == '\\' and returns
// its length (a surrogate pair counts as one 12-byte escape).
func (d *Decoder) scanEscape(i int) (int, error) {
	data := d.data
	if i+1 >= len(data) {
		return 0, d.syntaxError(i+1, msgEOF)
	}
	switch data[i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2, nil
	case 'u':
		r, err := d.hex4(i + 2)
		if err != nil {
			return 0, err
		}
		if !isSurrogate(r) {
			return 6, nil
		}
		if r >= 0xDC00 || i+7 >= len(data) || data[i+6] != '\\' || data[i+7] != 'u' {
			return 0, d.syntaxError(i, msgSurrogate)
		}
		r2, err := d.hex4(i + 8)
		if err != nil {
			return 0, err
		}
		if r2 < 0xDC00 || r2 > 0xDFFF {
			return 0, d.syntaxError(i, msgSurrogate)
		}
		return 12, nil
	}
	return 0, d.syntaxError(i, msgBadEscape)
}

func isSurrogate(r rune) bool { return r >= 0xD800 && r <= 0xDFFF }

// hex4 parses four hex digits at data[i:].
func (d *Decoder) hex4(i int) (rune, error) {
	var r rune
	for j := i; j < i+4; j++ {
		if j >= len(d.data) {
			return 0, d.syntaxError(j, msgEOF)
		}
		c := d.data[j]
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, d.syntaxError(j, msgBadEscape)
		}
		r = r<<4 | rune(c)
	}
	return r, nil
}

// unescape appends the decoded form of src, string content already
// validated by scanString, to dst.
func unescape(dst, src []byte) []byte {
	for len(src) > 0 {
		i := 0
		for i < len(src) && src[i] != '\\' {
			i++
		}
		dst = append(dst, src[:i]...)
		if i == len(src) {
			break
		}
		src = src[i:] // src[0] == '\\'
		switch c := src[1]; c {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := hexValue(src[2:6])
			if isSurrogate(r) { // scanString guarantees a high+low pair
				r = 0x10000 + (r-0xD800)<<10 + (hexValue(src[8:12]) - 0xDC00)
				dst = utf8.AppendRune(dst, r)
				src = src[12:]
				continue
			}
			dst = utf8.AppendRune(dst, r)
			src = src[6:]
			continue
		default: // '"', '\\', '/'
			dst = append(dst, c)
		}
		src = src[2:]
	}
	return dst
}

// hexValue decodes four hex digits already validated by hex4.
func hexValue(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case c <= '9':
			c -= '0'
		case c >= 'a':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// RuneCount returns the number of Unicode code points in b, which is what
// JSON Schema minLength/maxLength count. For a string s use
// utf8.RuneCountInString(s), or RuneCount on the bytes from StringBytes.
func RuneCount(b []byte) int { return utf8.RuneCount(b) }
