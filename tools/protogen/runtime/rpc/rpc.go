// Package rpc is the hand-written runtime of the generated method layer
// (gen/go/protocol imports it), owned by the generator as protobuf-go's
// runtime/protoimpl is: the wire error every handler returns, the errors of dispatch,
// and the decode helpers the generated code shares instead of carrying copies of
// them.
//
// It knows no method, group or error code. The codes come from the schema
// (defs.json $defs.ErrorCode): the generated package declares them as ErrorCode
// constants and passes them to the constructors here, so the server, the Go client and
// the Swift models all use the one list.
package rpc

import (
	"errors"
	"fmt"

	"github.com/clawgate/gateway/tools/protogen/runtime/wire"
)

// Payload is anything that encodes itself as JSON without reflection: every generated
// type, and what a handler returns.
type Payload interface {
	AppendJSON(b []byte) []byte
}

// Decodable is anything that decodes and validates itself from a wire.Decoder: every
// generated type.
type Decodable interface {
	DecodeJSON(d *wire.Decoder, p *wire.Path) error
}

// Error is an error answer on the wire: the error object of a res frame with ok:false
// (ErrorShape in the schema). A handler returns one to answer with a specific code;
// anything else it returns is the server's to map.
type Error struct {
	Code         string // one of the schema's ErrorCode values
	Message      string
	Details      any // sent as error.details (JSON-encoded) when not nil
	Retryable    bool
	RetryAfterMs int64
	// Payload, when set, is sent with the error in the same res (ok:false with both
	// payload and error, as the agent's failed final answer: {runId, status:"error"}).
	Payload Payload
	// Err is the cause, for errors.Is and errors.As; it is not sent.
	Err error
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an Error with code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ParamsError is the cause of the error Dispatch returns when params fail the
// method's schema; Err locates the failure.
type ParamsError struct {
	Method string
	Err    *wire.ValidationError
}

func (e *ParamsError) Error() string { return "invalid " + e.Method + " params: " + e.Err.Error() }

// Unwrap returns the validation error.
func (e *ParamsError) Unwrap() error { return e.Err }

// UnknownMethodError is the cause of the error Dispatch returns for a method that does
// not exist in the connection's protocol.
type UnknownMethodError struct{ Method string }

func (e *UnknownMethodError) Error() string { return "unknown method: " + e.Method }

// NotImplementedError is the cause of the error a group without an implementation
// answers with.
type NotImplementedError struct{ Method string }

func (e *NotImplementedError) Error() string {
	return e.Method + " is not implemented by this gateway yet"
}

// ErrNoResult is returned by Dispatch when a handler returned neither a result nor an
// error.
var ErrNoResult = errors.New("handler returned no result")

// InvalidParams is the answer to params that fail the schema of method: code, the
// message "invalid <method> params: <path>: <what>" and details {"path": <JSON
// Pointer>}. err is the decoder's error; anything but a *wire.ValidationError is
// reported at the root.
func InvalidParams(code, method string, err error) *Error {
	var ve *wire.ValidationError
	if !errors.As(err, &ve) {
		ve = &wire.ValidationError{Msg: err.Error()}
	}
	pe := &ParamsError{Method: method, Err: ve}
	return &Error{Code: code, Message: pe.Error(), Details: map[string]string{"path": ve.Path}, Err: pe}
}

// UnknownMethod is the answer to a method that does not exist: code and "unknown
// method: <method>".
func UnknownMethod(code, method string) *Error {
	e := &UnknownMethodError{Method: method}
	return &Error{Code: code, Message: e.Error(), Err: e}
}

// NotImplemented is the answer of a group nobody serves: code and "<method> is not
// implemented by this gateway yet".
func NotImplemented(code, method string) *Error {
	e := &NotImplementedError{Method: method}
	return &Error{Code: code, Message: e.Error(), Err: e}
}

// ParamsPath returns the JSON Pointer of a params failure in err, and whether err is
// one.
func ParamsPath(err error) (string, bool) {
	var pe *ParamsError
	if errors.As(err, &pe) {
		return pe.Err.Path, true
	}
	return "", false
}

// Null is the payload of a method whose result schema is nullable (anyOf [result,
// {"type": "null"}]) when its handler returned a nil result: the answer is ok:true with
// payload null, as the original answers "none yet" (last-heartbeat before the first
// heartbeat). For other methods a nil result stays ErrNoResult.
var Null Payload = nullPayload{}

type nullPayload struct{}

func (nullPayload) AppendJSON(b []byte) []byte { return append(b, "null"...) }

// OrNull wraps a decoder of a nullable root value: a JSON null is consumed and
// accepted, anything else goes to fn.
func OrNull(fn func(*wire.Decoder, *wire.Path) error) func(*wire.Decoder, *wire.Path) error {
	return func(d *wire.Decoder, p *wire.Path) error {
		if d.Peek() == wire.KindNull {
			return d.Null()
		}
		return fn(d, p)
	}
}

// Nullable is the result target of a client call whose result schema is nullable: V
// stays nil for a null payload and holds the decoded result otherwise. T is the
// generated result type, P its pointer (which decodes itself).
type Nullable[T any, P interface {
	*T
	Decodable
}] struct{ V P }

// DecodeJSON decodes null (V nil) or one T into a fresh V.
func (n *Nullable[T, P]) DecodeJSON(d *wire.Decoder, p *wire.Path) error {
	n.V = nil
	if d.Peek() == wire.KindNull {
		return d.Null()
	}
	v := P(new(T))
	if err := v.DecodeJSON(d, p); err != nil {
		return err
	}
	n.V = v
	return nil
}
