package gatewayclient

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/clawgate/gateway/gen/go/protocol"
)

// Error codes the gateway answers with (protocol reference §7, §11): the schema's
// ErrorCode values (protocol.ErrorCode), as strings to compare with ProtocolError.Code.
// A gateway may add codes; treat an unknown one like UNAVAILABLE.
const (
	CodeInvalidRequest = string(protocol.ErrorCodeInvalidRequest)
	CodeUnavailable    = string(protocol.ErrorCodeUnavailable)
	CodeNotLinked      = string(protocol.ErrorCodeNotLinked)
	CodeAgentTimeout   = string(protocol.ErrorCodeAgentTimeout)
	CodeNotPaired      = string(protocol.ErrorCodeNotPaired)
)

var (
	// ErrDisconnected is wrapped by the error of a call that could not complete because
	// the connection to the gateway was lost (or was down and the call's context ended
	// before it came back). Such errors are *ProtocolError with Code UNAVAILABLE and
	// Retryable set: the request may or may not have reached the gateway.
	ErrDisconnected = errors.New("gatewayclient: disconnected from the gateway")

	// ErrClosed is returned by calls made after Close, and by calls that were in flight
	// when Close was called.
	ErrClosed = errors.New("gatewayclient: client closed")
)

// ProtocolError is an error answer from the gateway (the res frame's error object), or
// an error the client reports in the same shape (lost connection, agent timeout).
//
// Use errors.As to get one:
//
//	var pe *gatewayclient.ProtocolError
//	if errors.As(err, &pe) && pe.Code == gatewayclient.CodeInvalidRequest { … }
type ProtocolError struct {
	Method       string          // the method that failed ("connect" for a refused handshake)
	Code         string          // INVALID_REQUEST, UNAVAILABLE, NOT_LINKED, AGENT_TIMEOUT, NOT_PAIRED, …
	Message      string          // human-readable text from the gateway
	Details      json.RawMessage // structured context, e.g. {"path":"/text"} for invalid params; nil when absent
	Retryable    bool            // the same request may succeed later
	RetryAfterMs int64           // suggested wait before retrying; 0 when absent

	// Payload is the res payload when the gateway sent one together with the error
	// (agent and chat.send failures carry {runId, status:"error", summary}).
	Payload json.RawMessage

	err error // what errors.Is/As see through Unwrap
}

func (e *ProtocolError) Error() string {
	if e.Method != "" {
		return fmt.Sprintf("gateway %s: %s: %s", e.Method, e.Code, e.Message)
	}
	return fmt.Sprintf("gateway: %s: %s", e.Code, e.Message)
}

// Unwrap exposes the cause of client-side errors (ErrDisconnected, ErrClosed, a
// context error); it is nil for errors the gateway sent.
func (e *ProtocolError) Unwrap() error { return e.err }

// fromShape turns a res error object into a *ProtocolError.
func fromShape(method string, s *protocol.ErrorShape, payload json.RawMessage) *ProtocolError {
	if s == nil {
		return &ProtocolError{Method: method, Code: CodeUnavailable, Message: "request failed without an error object", Payload: payload}
	}
	e := &ProtocolError{Method: method, Code: s.Code, Message: s.Message, Payload: payload}
	if len(s.Details) > 0 && string(s.Details) != "null" {
		e.Details = s.Details
	}
	if s.Retryable != nil {
		e.Retryable = *s.Retryable
	}
	if s.RetryAfterMs != nil {
		e.RetryAfterMs = *s.RetryAfterMs
	}
	return e
}

// disconnected is the error of a call cut off by a lost connection.
func disconnected(method string, why string, cause error) *ProtocolError {
	msg := "connection to the gateway lost"
	if why != "" {
		msg += " (" + why + ")"
	}
	err := ErrDisconnected
	if cause != nil {
		err = errors.Join(ErrDisconnected, cause)
	}
	return &ProtocolError{Method: method, Code: CodeUnavailable, Message: msg, Retryable: true, err: err}
}

// closedErr is the error of a call cut off by Close.
func closedErr(method string) *ProtocolError {
	return &ProtocolError{Method: method, Code: CodeUnavailable, Message: "client closed", err: ErrClosed}
}

// DecodeError reports a response or event the client could not decode into the
// requested type (the gateway sent something its schema does not allow).
type DecodeError struct {
	Method string
	Err    error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("gatewayclient: decoding %s result: %v", e.Method, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }
