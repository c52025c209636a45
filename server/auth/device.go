package auth

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
)

// SignatureSkew is how far device.signedAt may be from the server clock (§11).
const SignatureSkew = 10 * time.Minute

// Signature payload versions (§11).
const (
	PayloadV1 = "v1" // no nonce; local peers that sent none
	PayloadV2 = "v2" // with the connect.challenge nonce
)

// DeviceProof is what VerifyDevice checks: the connect's device object plus the
// connect fields the client signed.
type DeviceProof struct {
	Device          protocol.ConnectDevice
	ClientID        string   // client.id
	ClientMode      string   // client.mode
	Role            string   // resolved role; "" means operator
	RequestedScopes []string // params.scopes as sent (not defaulted), maybe empty
	Token           string   // auth.token or ""
	ChallengeNonce  string   // the nonce of the connect.challenge this connection got ("" if none was sent)
	Local           bool     // loopback/tailnet-local peer: may use v1 without a nonce
	Now             time.Time
}

// VerifyDevice checks a device identity proof (§11). It returns nil or an *Error with
// code INVALID_REQUEST and one of the Msg* device messages. Checks run in this order:
// the public key decodes (MsgDevicePublicKeyInvalid) → device.id is the key's
// fingerprint (MsgDeviceIdentityMismatch) → |now − signedAt| ≤ 10 min
// (MsgDeviceSignatureExpired) → nonce rules (MsgDeviceNonceRequired for a non-local
// peer without nonce, MsgDeviceNonceMismatch for a nonce other than the challenge's) →
// the Ed25519 signature (MsgDeviceSignatureInvalid) over the v2 payload when a nonce
// was sent, else over the v1 payload (local peers only).
func VerifyDevice(p DeviceProof) error {
	d := p.Device
	pub, err := ParsePublicKey(d.PublicKey)
	if err != nil {
		return invalid(MsgDevicePublicKeyInvalid)
	}
	if DeviceIDFromPublicKey(pub) != d.ID {
		return invalid(MsgDeviceIdentityMismatch)
	}
	now := p.Now
	if now.IsZero() {
		now = time.Now()
	}
	skew := now.UnixMilli() - d.SignedAt
	if skew < 0 {
		skew = -skew
	}
	if skew > SignatureSkew.Milliseconds() {
		return invalid(MsgDeviceSignatureExpired)
	}
	nonce := ""
	if d.Nonce != nil {
		nonce = strings.TrimSpace(*d.Nonce)
	}
	if nonce == "" && !p.Local {
		return invalid(MsgDeviceNonceRequired)
	}
	if nonce != "" && subtle.ConstantTimeCompare([]byte(nonce), []byte(p.ChallengeNonce)) != 1 {
		return invalid(MsgDeviceNonceMismatch)
	}
	version := PayloadV1
	if nonce != "" {
		version = PayloadV2
	}
	role := p.Role
	if role == "" {
		role = RoleOperator
	}
	payload := SignaturePayload(version, d.ID, p.ClientID, p.ClientMode, role, p.RequestedScopes, d.SignedAt, p.Token, nonce)
	sig, err := decodeB64(d.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize || !ed25519.Verify(pub, []byte(payload), sig) {
		return invalid(MsgDeviceSignatureInvalid)
	}
	return nil
}

// SignaturePayload builds the string a device signs (§11):
// "v2|<deviceId>|<clientId>|<clientMode>|<role>|<scopes joined by ,>|<signedAtMs>|<token>|<nonce>",
// or for version "v1" the same without the trailing nonce field.
func SignaturePayload(version, deviceID, clientID, clientMode, role string, scopes []string, signedAtMs int64, token, nonce string) string {
	var b strings.Builder
	for i, f := range []string{version, deviceID, clientID, clientMode, role, strings.Join(scopes, ","), strconv.FormatInt(signedAtMs, 10), token} {
		if i > 0 {
			b.WriteByte('|')
		}
		b.WriteString(f)
	}
	if version != PayloadV1 {
		b.WriteByte('|')
		b.WriteString(nonce)
	}
	return b.String()
}

// Sign signs a payload built by SignaturePayload the way clients do: base64url
// without padding.
func Sign(priv ed25519.PrivateKey, payload string) string {
	return base64.RawURLEncoding.EncodeToString(ed25519.Sign(priv, []byte(payload)))
}

// DeviceIDFromPublicKey is the device id of a key: lowercase hex SHA-256 of the raw
// 32-byte public key.
func DeviceIDFromPublicKey(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:])
}

// EncodePublicKey renders a key the way the protocol carries it: base64url without
// padding of the raw 32 bytes.
func EncodePublicKey(pub ed25519.PublicKey) string {
	return base64.RawURLEncoding.EncodeToString(pub)
}

var errPublicKey = errors.New("not an Ed25519 public key")

// ParsePublicKey decodes a device public key: base64url of the raw 32 bytes (padded or
// not, standard alphabet accepted too) or a PEM "PUBLIC KEY" block holding an Ed25519
// SPKI.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "BEGIN") {
		blk, _ := pem.Decode([]byte(s))
		if blk == nil || blk.Type != "PUBLIC KEY" {
			return nil, fmt.Errorf("device public key: bad PEM: %w", errPublicKey)
		}
		k, err := x509.ParsePKIXPublicKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("device public key: %w", err)
		}
		pub, ok := k.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("device public key: %T: %w", k, errPublicKey)
		}
		return pub, nil
	}
	raw, err := decodeB64(s)
	if err != nil {
		return nil, fmt.Errorf("device public key: %w", err)
	}
	if len(raw) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("device public key: %d bytes: %w", len(raw), errPublicKey)
	}
	return ed25519.PublicKey(raw), nil
}

// NormalizePublicKey returns the canonical (raw base64url) form of a public key in any
// accepted encoding.
func NormalizePublicKey(s string) (string, error) {
	pub, err := ParsePublicKey(s)
	if err != nil {
		return "", err
	}
	return EncodePublicKey(pub), nil
}

// decodeB64 accepts base64url or standard base64, with or without padding.
func decodeB64(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("empty base64")
	}
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "+/") {
		return base64.RawStdEncoding.DecodeString(s)
	}
	return base64.RawURLEncoding.DecodeString(s)
}
