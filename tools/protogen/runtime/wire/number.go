package wire

import (
	"math"
	"strconv"
)

// scanNumberEnd validates the RFC 8259 number at d.pos and returns its end
// offset, leaving d.pos unchanged:
//
//	number = [ "-" ] ( "0" / [1-9] *DIGIT ) [ "." 1*DIGIT ] [ ( "e" / "E" ) [ "+" / "-" ] 1*DIGIT ]
//
// A number followed directly by other characters ("01", "1x") ends before
// them; whatever is read next reports the error.
func (d *Decoder) scanNumberEnd() (int, error) {
	data := d.data
	i := d.pos
	if i < len(data) && data[i] == '-' {
		i++
	}
	switch {
	case i >= len(data):
		return 0, d.syntaxError(i, msgEOF)
	case data[i] == '0':
		i++
	case '1' <= data[i] && data[i] <= '9':
		i++
		for i < len(data) && isDigit(data[i]) {
			i++
		}
	default:
		return 0, d.syntaxError(i, msgBadNumber)
	}
	if i < len(data) && data[i] == '.' {
		i++
		if i >= len(data) || !isDigit(data[i]) {
			return 0, d.syntaxError(i, msgBadNumber)
		}
		for i < len(data) && isDigit(data[i]) {
			i++
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if i >= len(data) || !isDigit(data[i]) {
			return 0, d.syntaxError(i, msgBadNumber)
		}
		for i < len(data) && isDigit(data[i]) {
			i++
		}
	}
	return i, nil
}

// scanNumber consumes a number and returns its bytes (a sub-slice of the
// input).
func (d *Decoder) scanNumber() ([]byte, error) {
	end, err := d.scanNumberEnd()
	if err != nil {
		return nil, err
	}
	b := d.data[d.pos:end:end]
	d.pos = end
	return b, nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// numberBytes skips whitespace and consumes a number, reporting a TypeError
// (with want) if the next value is of another kind.
func (d *Decoder) numberBytes(want string) ([]byte, int, error) {
	d.skipWS()
	if d.pos >= len(d.data) {
		return nil, d.pos, d.syntaxError(d.pos, msgEOF)
	}
	if kindOf(d.data[d.pos]) != KindNumber {
		return nil, d.pos, d.mismatch(want)
	}
	start := d.pos
	b, err := d.scanNumber()
	return b, start, err
}

// Int consumes a number whose value is mathematically an integer, in any
// notation (3, -0, 3.0, 1e2, 1.5e1, 30E-1), matching JSON Schema's
// "integer" type. A non-integral number is a *TypeError (Want "integer",
// Got KindNumber); an integer outside int64 is a *RangeError. It does not
// allocate.
func (d *Decoder) Int() (int64, error) {
	b, start, err := d.numberBytes("integer")
	if err != nil {
		return 0, err
	}
	v, st := parseInt(b)
	switch st {
	case intNotIntegral:
		return 0, &TypeError{Offset: start, Want: "integer", Got: KindNumber}
	case intOutOfRange:
		return 0, &RangeError{Offset: start, Msg: "integer out of int64 range"}
	}
	return v, nil
}

const (
	intOK = iota
	intNotIntegral
	intOutOfRange
)

// parseInt converts a syntactically valid JSON number to int64 exactly,
// without floating point. The number is mant × 10^exp, where mant collects
// the significant digits; trailing zeros are counted rather than multiplied
// in, so "1.000000000000000000000" does not overflow.
func parseInt(b []byte) (int64, int) {
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	var (
		mant     uint64
		overflow bool  // more significant digits than fit in mant
		zeros    int64 // pending trailing zero digits of mant
		exp      int64 // decimal exponent from fraction digits and "e"
		frac     bool
		i        int
	)
	for ; i < len(b); i++ {
		c := b[i]
		if c == '.' {
			frac = true
			continue
		}
		if !isDigit(c) {
			break // 'e' or 'E'
		}
		if frac {
			exp--
		}
		if c == '0' {
			if mant != 0 || overflow {
				zeros++
			}
			continue
		}
		// Bring pending zeros in, then the digit.
		for ; zeros > 0 && !overflow; zeros-- {
			overflow = mant > math.MaxUint64/10
			mant *= 10
		}
		zeros = 0
		dg := uint64(c - '0')
		if overflow || mant > (math.MaxUint64-dg)/10 {
			overflow = true
			continue
		}
		mant = mant*10 + dg
	}
	if i < len(b) { // exponent
		i++ // 'e' or 'E'
		eneg := false
		if b[i] == '+' || b[i] == '-' {
			eneg = b[i] == '-'
			i++
		}
		var e int64
		for ; i < len(b); i++ {
			if e < 1e9 { // saturate: anything this large is out of range anyway
				e = e*10 + int64(b[i]-'0')
			}
		}
		if eneg {
			e = -e
		}
		exp += e
	}
	if mant == 0 && !overflow {
		return 0, intOK // zero in any notation, including -0 and 0e999
	}
	k := exp + zeros
	if k < 0 {
		// The last significant digit is non-zero and lies right of the
		// decimal point.
		return 0, intNotIntegral
	}
	if overflow || k > 19 {
		return 0, intOutOfRange
	}
	for ; k > 0; k-- {
		if mant > math.MaxUint64/10 {
			return 0, intOutOfRange
		}
		mant *= 10
	}
	if neg {
		if mant > 1<<63 {
			return 0, intOutOfRange
		}
		return -int64(mant), intOK // -1<<63 wraps to itself, which is right
	}
	if mant > math.MaxInt64 {
		return 0, intOutOfRange
	}
	return int64(mant), intOK
}

// Float consumes any number and returns the nearest float64. A number too
// large for float64 (1e400) is a *RangeError; one too small rounds to zero,
// as in encoding/json. It does not allocate for number literals of up to 32
// bytes (the compiler converts string(b) for the non-escaping argument in a
// stack buffer).
func (d *Decoder) Float() (float64, error) {
	b, start, err := d.numberBytes("number")
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return 0, &RangeError{Offset: start, Msg: "number out of float64 range"}
	}
	return f, nil
}
