package gateway

import (
	"encoding/json"
	"errors"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/auth"
	"github.com/clawgate/gateway/tools/protogen/runtime/rpc"
	"github.com/clawgate/gateway/tools/protogen/runtime/wire"
)

// Error codes of the protocol (§7, §11): the schema's ErrorCode values.
const (
	CodeInvalidRequest = string(protocol.ErrorCodeInvalidRequest)
	CodeUnavailable    = string(protocol.ErrorCodeUnavailable)
	CodeNotLinked      = string(protocol.ErrorCodeNotLinked)
	CodeAgentTimeout   = string(protocol.ErrorCodeAgentTimeout)
	CodeNotPaired      = string(protocol.ErrorCodeNotPaired)
)

// Error is an error a handler returns to answer with a specific protocol error: the
// generator runtime's wire error (code, message, details, retry hints and a payload
// sent with it).
type Error = rpc.Error

// Invalid is an INVALID_REQUEST error.
func Invalid(format string, args ...any) *Error {
	return protocol.ErrorCodeInvalidRequest.Errorf(format, args...)
}

// Unavailable is an UNAVAILABLE error.
func Unavailable(format string, args ...any) *Error {
	return protocol.ErrorCodeUnavailable.Errorf(format, args...)
}

// maxErrorMessage bounds error text taken from arbitrary errors (the original cuts at 240).
const maxErrorMessage = 240

// errorShape maps any error a handler or the dispatcher returns to the wire shape.
// The dispatcher's own answers (unknown method, bad params, a group nobody serves)
// are *Error already.
func errorShape(err error) *protocol.ErrorShape {
	var pe *Error
	var ae *auth.Error
	switch {
	case errors.As(err, &pe):
		return shape(pe)
	case errors.As(err, &ae):
		return shape(&Error{Code: ae.Code, Message: ae.Message, Details: ae.Details})
	}
	msg := err.Error()
	if len(msg) > maxErrorMessage {
		msg = msg[:maxErrorMessage]
	}
	return shape(&Error{Code: CodeUnavailable, Message: msg})
}

func shape(e *Error) *protocol.ErrorShape {
	msg := e.Message
	if msg == "" {
		msg = e.Code
	}
	s := &protocol.ErrorShape{Code: e.Code, Message: msg}
	if e.Details != nil {
		if b, err := json.Marshal(e.Details); err == nil {
			s.Details = b
		}
	}
	if e.Retryable {
		t := true
		s.Retryable = &t
	}
	if e.RetryAfterMs > 0 {
		r := e.RetryAfterMs
		s.RetryAfterMs = &r
	}
	return s
}

// appendRes encodes a res frame. The payload is encoded by its generated encoder, so
// nothing here reflects.
func appendRes(b []byte, id string, payload protocol.Payload, e *protocol.ErrorShape) []byte {
	b = append(b, `{"type":"res","id":`...)
	b = wire.AppendString(b, id)
	if e != nil {
		b = append(b, `,"ok":false`...)
	} else {
		b = append(b, `,"ok":true`...)
	}
	if payload != nil {
		b = append(b, `,"payload":`...)
		b = payload.AppendJSON(b)
	}
	if e != nil {
		b = append(b, `,"error":`...)
		b = e.AppendJSON(b)
	}
	return append(b, '}')
}

// appendEvent encodes an event frame; seq < 0 leaves it out (targeted events).
func appendEvent(b []byte, ev protocol.Event, seq int64, sv *protocol.StateVersion) []byte {
	b = append(b, `{"type":"event","event":`...)
	b = wire.AppendString(b, ev.EventName())
	b = append(b, `,"payload":`...)
	b = ev.AppendJSON(b)
	if seq >= 0 {
		b = append(b, `,"seq":`...)
		b = wire.AppendInt(b, seq)
	}
	if sv != nil {
		b = append(b, `,"stateVersion":`...)
		b = sv.AppendJSON(b)
	}
	return append(b, '}')
}
