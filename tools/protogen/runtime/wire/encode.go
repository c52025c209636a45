package wire

import (
	"errors"
	"math"
	"strconv"
	"sync"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string, byte-identical to encoding/json
// with HTML escaping off (json.Encoder.SetEscapeHTML(false)): '"' and '\\'
// and control characters are escaped (\b \f \n \r \t, else \u00XX), U+2028
// and U+2029 are escaped for JavaScript safety, each invalid UTF-8 byte
// becomes \ufffd, and <, > and & are left alone.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// AppendKey appends key as a JSON string followed by ':'. Separating commas
// are left to the caller.
func AppendKey(dst []byte, key string) []byte {
	return append(AppendString(dst, key), ':')
}

// AppendInt appends v in decimal.
func AppendInt(dst []byte, v int64) []byte {
	return strconv.AppendInt(dst, v, 10)
}

// AppendBool appends true or false.
func AppendBool(dst []byte, v bool) []byte {
	if v {
		return append(dst, "true"...)
	}
	return append(dst, "false"...)
}

// ErrUnsupportedFloat is returned by AppendFloatChecked for NaN and ±Inf,
// which JSON cannot represent.
var ErrUnsupportedFloat = errors.New("wire: NaN or infinite float cannot be encoded as JSON")

// AppendFloat appends v exactly as encoding/json formats a float64 (the ES6
// number-to-string style: shortest representation, 'f' notation unless the
// magnitude is < 1e-6 or >= 1e21, exponents without leading zeros). NaN and
// ±Inf, which JSON cannot represent, are written as null; use
// AppendFloatChecked to reject them instead.
func AppendFloat(dst []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(dst, "null"...)
	}
	return appendFiniteFloat(dst, v)
}

// AppendFloatChecked is AppendFloat that returns dst unchanged and
// ErrUnsupportedFloat for NaN and ±Inf.
func AppendFloatChecked(dst []byte, v float64) ([]byte, error) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return dst, ErrUnsupportedFloat
	}
	return appendFiniteFloat(dst, v), nil
}

func appendFiniteFloat(dst []byte, v float64) []byte {
	format := byte('f')
	if abs := math.Abs(v); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, v, format, -1, 64)
	if format == 'e' {
		// Clean up e-09 to e-9, as encoding/json does.
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

// Buffer is a reusable encoding buffer; see GetBuffer.
type Buffer struct{ B []byte }

// maxPooledBuffer bounds what PutBuffer keeps, so one huge message does not
// pin a huge buffer for the life of the process.
const maxPooledBuffer = 64 << 10

// bufferPool is a cache of encoding buffers. It is package-level but not
// state: a Get may return any pooled buffer or a fresh one, and no result
// depends on what it holds.
var bufferPool = sync.Pool{New: func() any { return new(Buffer) }}

// GetBuffer returns an empty Buffer, reusing a pooled one when available.
func GetBuffer() *Buffer {
	b := bufferPool.Get().(*Buffer)
	b.B = b.B[:0]
	return b
}

// PutBuffer returns b to the pool. The caller must not use b (or slices of
// b.B) afterwards. Buffers that grew beyond 64 KiB are dropped.
func PutBuffer(b *Buffer) {
	if b == nil || cap(b.B) > maxPooledBuffer {
		return
	}
	b.B = b.B[:0]
	bufferPool.Put(b)
}
