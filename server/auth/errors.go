package auth

import "github.com/clawgate/gateway/gen/go/protocol"

// Error codes used by this package (§7, §11): the schema's ErrorCode values.
const (
	CodeInvalidRequest = string(protocol.ErrorCodeInvalidRequest)
	CodeNotPaired      = string(protocol.ErrorCodeNotPaired)
	CodeUnavailable    = string(protocol.ErrorCodeUnavailable)
)

// Device identity failures (§11). Each is an INVALID_REQUEST and closes the
// connection with 1008 and the message as the reason.
const (
	MsgDeviceIdentityMismatch = "device identity mismatch"
	MsgDeviceSignatureExpired = "device signature expired"
	MsgDeviceNonceRequired    = "device nonce required"
	MsgDeviceNonceMismatch    = "device nonce mismatch"
	MsgDeviceSignatureInvalid = "device signature invalid"
	MsgDevicePublicKeyInvalid = "device public key invalid"
)

// Messages of the connect flow that the handshake emits itself (§11); kept here so
// every auth-related string lives in one place.
const (
	MsgDeviceIdentityRequired = "device identity required"                                // NOT_PAIRED
	MsgControlUIInsecure      = "control ui requires HTTPS or localhost (secure context)" // INVALID_REQUEST
	MsgPairingRequired        = "pairing required"                                        // NOT_PAIRED, details {requestId}
	MsgInvalidRole            = "invalid role"                                            // INVALID_REQUEST
)

// Shared-secret failures (§11, reference formatGatewayAuthFailureMessage). v2 clients
// always get MsgUnauthorized instead; that choice belongs to the caller.
const (
	MsgUnauthorized             = "unauthorized"
	MsgTokenMissing             = "unauthorized: gateway token missing (set gateway.remote.token to match gateway.auth.token)"
	MsgTokenMismatch            = "unauthorized: gateway token mismatch (set gateway.remote.token to match gateway.auth.token)"
	MsgTokenNotConfigured       = "unauthorized: gateway token not configured on gateway (set gateway.auth.token)"
	MsgPasswordMissing          = "unauthorized: gateway password missing (set gateway.remote.password to match gateway.auth.password)"
	MsgPasswordMismatch         = "unauthorized: gateway password mismatch (set gateway.remote.password to match gateway.auth.password)"
	MsgPasswordNotConfigured    = "unauthorized: gateway password not configured on gateway (set gateway.auth.password)"
	MsgTailscaleIdentityMissing = "unauthorized: tailscale identity missing (use Tailscale Serve auth or gateway token/password)"
	MsgTailscaleProxyMissing    = "unauthorized: tailscale proxy headers missing (use Tailscale Serve or gateway token/password)"
)

// Device store failures.
const (
	MsgUnknownRequestID     = "unknown requestId"
	MsgUnknownDeviceID      = "unknown deviceId"
	MsgRoleNotApproved      = "role not approved for device"
	MsgTooManyPending       = "too many pending pairing requests"
	MsgDeviceIDRequired     = "deviceId required"
	msgMissingScopePrefix   = "missing scope: "
	msgUnauthorizedRolePref = "unauthorized role: "
)

// Error is a protocol error decided by this package: Code is the wire error code,
// Message the wire message (also the close reason where the handshake closes).
type Error struct {
	Code    string
	Message string
	Details any
}

func (e *Error) Error() string {
	if e.Code == "" {
		return e.Message
	}
	return e.Code + ": " + e.Message
}

func invalid(msg string) *Error { return &Error{Code: CodeInvalidRequest, Message: msg} }
