package wire

import "strconv"

// MaxDepth is the default limit on nested arrays and objects. It bounds the
// recursion of [Decoder.Skip] and of generated decoders, so hostile input
// cannot exhaust the stack.
const MaxDepth = 128

// Kind is the JSON type of a value, as reported by [Decoder.Peek].
type Kind uint8

// The JSON value kinds. KindInvalid means the next byte cannot start a value
// (including end of input).
const (
	KindInvalid Kind = iota
	KindNull
	KindBool
	KindNumber
	KindString
	KindArray
	KindObject
)

// String returns the JSON Schema name of the kind ("boolean", not "bool"),
// so it can be used directly in validation messages.
func (k Kind) String() string {
	switch k {
	case KindNull:
		return "null"
	case KindBool:
		return "boolean"
	case KindNumber:
		return "number"
	case KindString:
		return "string"
	case KindArray:
		return "array"
	case KindObject:
		return "object"
	}
	return "invalid"
}

// SyntaxError reports malformed JSON (or a document too deeply nested).
type SyntaxError struct {
	Offset int // byte offset in the input where the problem was detected
	Msg    string
}

func (e *SyntaxError) Error() string {
	return "wire: syntax error at offset " + strconv.Itoa(e.Offset) + ": " + e.Msg
}

// TypeError reports well-formed JSON whose value has the wrong type for the
// call, for example [Decoder.String] on a number, or [Decoder.Int] on 3.5
// (Want "integer", Got KindNumber).
type TypeError struct {
	Offset int    // byte offset of the value
	Want   string // JSON Schema type name: "string", "integer", "number", ...
	Got    Kind
}

func (e *TypeError) Error() string {
	return "wire: expected " + e.Want + ", got " + e.Got.String() + " at offset " + strconv.Itoa(e.Offset)
}

// RangeError reports a number that is well-formed and of the right type but
// does not fit the Go type (an integer outside int64, a float beyond
// float64).
type RangeError struct {
	Offset int
	Msg    string
}

func (e *RangeError) Error() string {
	return "wire: " + e.Msg + " at offset " + strconv.Itoa(e.Offset)
}

// Messages of syntax errors that the tests (and callers) may want to tell
// apart from ordinary malformed input.
const (
	msgEOF          = "unexpected end of input"
	msgInvalidUTF8  = "invalid UTF-8 in string"
	msgSurrogate    = "invalid or unpaired surrogate escape"
	msgTooDeep      = "exceeded maximum nesting depth"
	msgControlChar  = "control character in string"
	msgBadEscape    = "invalid escape in string"
	msgBadNumber    = "invalid number"
	msgBadLiteral   = "invalid literal"
	msgTrailingData = "unexpected data after top-level value"
)

// Decoder reads one JSON document from a byte slice. It is a pull parser:
// the caller asks for the value it expects next, and the decoder validates
// the syntax as it goes. A Decoder never copies the input; StringBytes, Raw
// and NextKey may return sub-slices of it.
//
// A Decoder may live on the caller's stack (var d wire.Decoder; d.Reset(b)).
// Reusing one through Reset keeps its scratch buffer, which is only needed
// for strings containing escapes.
type Decoder struct {
	data    []byte
	pos     int
	depth   int  // open arrays/objects
	first   bool // just after '{' or '[': no ',' expected before the next item
	scratch []byte

	// MaxDepth limits nesting; 0 means the package default MaxDepth.
	MaxDepth int

	// BorrowRaw lets generated decoders keep free-form values (json.RawMessage) as
	// sub-slices of the input instead of copying them. Set it only when the input
	// outlives every decoded value, as the server does for a request it owns.
	BorrowRaw bool
}

// NewDecoder returns a decoder reading data.
func NewDecoder(data []byte) *Decoder {
	return &Decoder{data: data}
}

// Reset makes d read data from the start, keeping MaxDepth and the scratch
// buffer. It does not allocate.
func (d *Decoder) Reset(data []byte) {
	d.data = data
	d.pos = 0
	d.depth = 0
	d.first = false
}

// Offset returns the current byte offset in the input.
func (d *Decoder) Offset() int { return d.pos }

func (d *Decoder) maxDepth() int {
	if d.MaxDepth > 0 {
		return d.MaxDepth
	}
	return MaxDepth
}

func (d *Decoder) syntaxError(off int, msg string) error {
	return &SyntaxError{Offset: off, Msg: msg}
}

// skipWS advances past JSON whitespace (space, tab, newline, carriage
// return only).
func (d *Decoder) skipWS() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// kindOf classifies a byte that starts a value.
func kindOf(c byte) Kind {
	switch c {
	case '"':
		return KindString
	case '{':
		return KindObject
	case '[':
		return KindArray
	case 't', 'f':
		return KindBool
	case 'n':
		return KindNull
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return KindNumber
	}
	return KindInvalid
}

// Peek skips whitespace and returns the kind of the next value without
// consuming it. It only looks at the first byte, so a KindBool may still
// turn out to be a malformed literal.
func (d *Decoder) Peek() Kind {
	d.skipWS()
	if d.pos >= len(d.data) {
		return KindInvalid
	}
	return kindOf(d.data[d.pos])
}

// expect skips whitespace and checks that the next value starts with c
// (whose kind is want). It returns a TypeError for another valid value and a
// SyntaxError for anything else.
func (d *Decoder) expect(c byte, want string) error {
	d.skipWS()
	if d.pos >= len(d.data) {
		return d.syntaxError(d.pos, msgEOF)
	}
	if d.data[d.pos] != c {
		return d.mismatch(want)
	}
	return nil
}

// mismatch builds the error for a value of the wrong kind at d.pos.
func (d *Decoder) mismatch(want string) error {
	if d.pos >= len(d.data) {
		return d.syntaxError(d.pos, msgEOF)
	}
	k := kindOf(d.data[d.pos])
	if k == KindInvalid {
		return d.invalidChar("looking for beginning of value")
	}
	return &TypeError{Offset: d.pos, Want: want, Got: k}
}

func (d *Decoder) invalidChar(context string) error {
	if d.pos >= len(d.data) {
		return d.syntaxError(d.pos, msgEOF)
	}
	return d.syntaxError(d.pos, "invalid character "+strconv.QuoteRune(rune(d.data[d.pos]))+" "+context)
}

// BeginObject consumes the '{' of an object. Iterate its members with
// NextKey until it reports ok == false.
func (d *Decoder) BeginObject() error {
	if err := d.expect('{', "object"); err != nil {
		return err
	}
	return d.open()
}

// BeginArray consumes the '[' of an array. Iterate its elements with
// NextElem until it reports ok == false.
func (d *Decoder) BeginArray() error {
	if err := d.expect('[', "array"); err != nil {
		return err
	}
	return d.open()
}

func (d *Decoder) open() error {
	if d.depth >= d.maxDepth() {
		return d.syntaxError(d.pos, msgTooDeep)
	}
	d.depth++
	d.pos++
	d.first = true
	return nil
}

// NextKey advances to the next member of the current object. It consumes
// the separator, the key and the ':' and returns the key; the caller must
// then consume the value (decode it or Skip it). At the closing '}' it
// returns ok == false.
//
// The key is only valid until the next call on d: it is a sub-slice of the
// input, or of the scratch buffer if the key contained escapes. Comparing it
// with switch string(key) { case "name": ... } does not allocate.
func (d *Decoder) NextKey() (key []byte, ok bool, err error) {
	more, err := d.next('}')
	if !more || err != nil {
		return nil, false, err
	}
	if d.data[d.pos] != '"' {
		return nil, false, d.invalidChar("looking for beginning of object key string")
	}
	if key, err = d.stringBytes(); err != nil {
		return nil, false, err
	}
	d.skipWS()
	if d.pos >= len(d.data) {
		return nil, false, d.syntaxError(d.pos, msgEOF)
	}
	if d.data[d.pos] != ':' {
		return nil, false, d.invalidChar("after object key")
	}
	d.pos++
	return key, true, nil
}

// NextElem advances to the next element of the current array; the caller
// must then consume the element. At the closing ']' it returns ok == false.
func (d *Decoder) NextElem() (ok bool, err error) {
	more, err := d.next(']')
	if !more || err != nil {
		return false, err
	}
	return true, nil
}

// next consumes the ',' between items, or the closing bracket. It reports
// whether another item follows; d.pos is then at its first byte.
func (d *Decoder) next(closing byte) (bool, error) {
	if d.depth == 0 {
		return false, d.syntaxError(d.pos, "NextKey/NextElem outside an object or array")
	}
	d.skipWS()
	if d.pos >= len(d.data) {
		return false, d.syntaxError(d.pos, msgEOF)
	}
	c := d.data[d.pos]
	if c == closing {
		d.pos++
		d.depth--
		d.first = false // the container just closed was a value of its parent
		return false, nil
	}
	if d.first {
		d.first = false
		return true, nil
	}
	if c != ',' {
		if closing == '}' {
			return false, d.invalidChar("after object value (expecting ',' or '}')")
		}
		return false, d.invalidChar("after array element (expecting ',' or ']')")
	}
	d.pos++
	d.skipWS()
	if d.pos >= len(d.data) {
		return false, d.syntaxError(d.pos, msgEOF)
	}
	return true, nil
}

// Null consumes the literal null.
func (d *Decoder) Null() error {
	if err := d.expect('n', "null"); err != nil {
		return err
	}
	return d.literal("null")
}

// Bool consumes true or false.
func (d *Decoder) Bool() (bool, error) {
	d.skipWS()
	if d.pos >= len(d.data) {
		return false, d.syntaxError(d.pos, msgEOF)
	}
	switch d.data[d.pos] {
	case 't':
		return true, d.literal("true")
	case 'f':
		return false, d.literal("false")
	}
	return false, d.mismatch("boolean")
}

// literal consumes lit, which must be at d.pos. A literal followed directly
// by other characters ("truex") is caught by whatever reads next.
func (d *Decoder) literal(lit string) error {
	if len(d.data)-d.pos < len(lit) || string(d.data[d.pos:d.pos+len(lit)]) != lit {
		for i := 0; i < len(lit); i++ {
			if d.pos+i >= len(d.data) {
				return d.syntaxError(d.pos+i, msgEOF)
			}
			if d.data[d.pos+i] != lit[i] {
				return d.syntaxError(d.pos+i, msgBadLiteral)
			}
		}
	}
	d.pos += len(lit)
	return nil
}

// Skip consumes the next value, whatever its kind, fully validating its
// syntax (including UTF-8 and escapes inside strings and the nesting limit).
func (d *Decoder) Skip() error {
	return d.skipValue(d.depth)
}

// Raw consumes the next value like Skip and returns its bytes, a sub-slice
// of the input (not a copy: it aliases the caller's buffer).
func (d *Decoder) Raw() ([]byte, error) {
	d.skipWS()
	start := d.pos
	if err := d.skipValue(d.depth); err != nil {
		return nil, err
	}
	return d.data[start:d.pos:d.pos], nil
}

// skipValue consumes one value; depth is the number of containers already
// open around it. Recursion is bounded by the depth limit.
func (d *Decoder) skipValue(depth int) error {
	d.skipWS()
	if d.pos >= len(d.data) {
		return d.syntaxError(d.pos, msgEOF)
	}
	switch c := d.data[d.pos]; c {
	case '"':
		_, _, err := d.scanString()
		return err
	case '{', '[':
		if depth >= d.maxDepth() {
			return d.syntaxError(d.pos, msgTooDeep)
		}
		return d.skipContainer(c, depth+1)
	case 't':
		return d.literal("true")
	case 'f':
		return d.literal("false")
	case 'n':
		return d.literal("null")
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		_, err := d.scanNumber()
		return err
	}
	return d.invalidChar("looking for beginning of value")
}

func (d *Decoder) skipContainer(open byte, depth int) error {
	closing := byte(']')
	if open == '{' {
		closing = '}'
	}
	d.pos++ // the opening bracket
	d.skipWS()
	if d.pos < len(d.data) && d.data[d.pos] == closing {
		d.pos++
		return nil
	}
	for {
		if open == '{' {
			d.skipWS()
			if d.pos >= len(d.data) {
				return d.syntaxError(d.pos, msgEOF)
			}
			if d.data[d.pos] != '"' {
				return d.invalidChar("looking for beginning of object key string")
			}
			if _, _, err := d.scanString(); err != nil {
				return err
			}
			d.skipWS()
			if d.pos >= len(d.data) {
				return d.syntaxError(d.pos, msgEOF)
			}
			if d.data[d.pos] != ':' {
				return d.invalidChar("after object key")
			}
			d.pos++
		}
		if err := d.skipValue(depth); err != nil {
			return err
		}
		d.skipWS()
		if d.pos >= len(d.data) {
			return d.syntaxError(d.pos, msgEOF)
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case closing:
			d.pos++
			return nil
		default:
			if open == '{' {
				return d.invalidChar("after object value (expecting ',' or '}')")
			}
			return d.invalidChar("after array element (expecting ',' or ']')")
		}
	}
}

// End checks that only whitespace remains after the top-level value.
func (d *Decoder) End() error {
	d.skipWS()
	if d.pos != len(d.data) {
		return d.syntaxError(d.pos, msgTrailingData)
	}
	return nil
}
