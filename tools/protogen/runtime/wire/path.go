package wire

import (
	"fmt"
	"strconv"
)

// Path locates a value in the document for error messages. It is a linked
// list from the value up to the root, built on the callers' stacks as the
// generated decoders descend:
//
//	p := wire.Path{Parent: parent, Key: "client"}          // a property
//	p := wire.Path{Parent: parent, Index: 3, IsIndex: true} // an array element
//
// The root is the nil *Path. Nothing here retains a *Path, so the nodes stay
// on the stack and cost nothing on the success path; the string form is only
// built, by String or Errorf, when an error is reported. For known
// properties Key is the generator's string constant, which costs nothing;
// for other keys (map keys, unknown properties) the generated code should
// convert the key to a string only when it reports an error, or reuse the
// string it already made for a map key.
type Path struct {
	Parent  *Path
	Key     string
	Index   int
	IsIndex bool
}

// String returns p as a JSON Pointer (RFC 6901): "/params/client/id",
// "/items/3", or "" for the root (nil). In keys, '~' is written "~0" and '/'
// is written "~1".
func (p *Path) String() string {
	if p == nil {
		return ""
	}
	return string(appendPath(nil, p))
}

// appendPath writes the pointer root first. It recurses instead of
// collecting the nodes in a slice so that p does not escape.
func appendPath(dst []byte, p *Path) []byte {
	if p == nil {
		return dst
	}
	dst = appendPath(dst, p.Parent)
	dst = append(dst, '/')
	if p.IsIndex {
		return strconv.AppendInt(dst, int64(p.Index), 10)
	}
	for i := 0; i < len(p.Key); i++ {
		switch c := p.Key[i]; c {
		case '~':
			dst = append(dst, '~', '0')
		case '/':
			dst = append(dst, '~', '1')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// ValidationError reports a value that is well-formed JSON but violates the
// schema (or has the wrong type). Path is a JSON Pointer to the value.
type ValidationError struct {
	Path string
	Msg  string
}

func (e *ValidationError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// Errorf returns a ValidationError at p with a fmt-formatted message.
func Errorf(p *Path, format string, args ...any) *ValidationError {
	return &ValidationError{Path: p.String(), Msg: fmt.Sprintf(format, args...)}
}

// WrapError attaches the path p to a decoding error: a *TypeError or
// *RangeError (the value is well-formed but unacceptable) becomes a
// *ValidationError at p; a *SyntaxError, which is about the document rather
// than a value, is returned unchanged, as are other errors (including
// ValidationErrors already carrying a path) and nil.
func WrapError(p *Path, err error) error {
	switch e := err.(type) {
	case *TypeError:
		return &ValidationError{Path: p.String(), Msg: "expected " + e.Want + ", got " + e.Got.String()}
	case *RangeError:
		return &ValidationError{Path: p.String(), Msg: e.Msg}
	}
	return err
}
