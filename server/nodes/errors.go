package nodes

import "github.com/clawgate/gateway/gen/go/protocol"

// Wire error codes used by this package (§7): the schema's ErrorCode values.
const (
	CodeInvalidRequest = string(protocol.ErrorCodeInvalidRequest)
	CodeUnavailable    = string(protocol.ErrorCodeUnavailable)
)

// Messages of the node pairing store (§3.8).
const (
	MsgUnknownRequestID    = "unknown requestId"
	MsgUnknownNodeID       = "unknown nodeId"
	MsgNodeIDRequired      = "nodeId required"
	MsgDisplayNameRequired = "displayName required"
	MsgTooManyPending      = "too many pending pairing requests"
	// MsgTooManyPendingFromSource is not a wire fact of the original (which had no
	// per-address share).
	MsgTooManyPendingFromSource = "too many pending pairing requests from this address"
	msgTooLongSuffix            = " too long"
	msgTooManyEntriesSuffix     = " has too many entries"
)

// Error is a protocol error decided by this package: Code is the wire error code,
// Message the wire message.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string {
	if e.Code == "" {
		return e.Message
	}
	return e.Code + ": " + e.Message
}

func invalid(msg string) *Error { return &Error{Code: CodeInvalidRequest, Message: msg} }
