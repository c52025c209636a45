package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
)

type testKey struct {
	pub  ed25519.PublicKey
	priv ed25519.PrivateKey
	id   string
}

func newTestKey(t testing.TB) testKey {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return testKey{pub: pub, priv: priv, id: DeviceIDFromPublicKey(pub)}
}

func pemOf(t testing.TB, pub any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

var testNow = time.UnixMilli(1767225600000)

// signProof signs p as a client would: v2 with the device nonce if there is one, else v1.
func signProof(k testKey, p *DeviceProof) {
	version, nonce := PayloadV1, ""
	if p.Device.Nonce != nil {
		version, nonce = PayloadV2, *p.Device.Nonce
	}
	role := p.Role
	if role == "" {
		role = RoleOperator
	}
	p.Device.Signature = Sign(k.priv, SignaturePayload(version, p.Device.ID, p.ClientID, p.ClientMode, role,
		p.RequestedScopes, p.Device.SignedAt, p.Token, nonce))
}

func TestSignaturePayload(t *testing.T) {
	tests := []struct {
		version string
		scopes  []string
		token   string
		want    string
	}{
		{PayloadV2, []string{"operator.read", "operator.write"}, "tok", "v2|dev|cli|cli|operator|operator.read,operator.write|1700000000000|tok|n1"},
		{PayloadV2, nil, "", "v2|dev|cli|cli|operator||1700000000000||n1"},
		{PayloadV1, []string{"operator.admin"}, "tok", "v1|dev|cli|cli|operator|operator.admin|1700000000000|tok"},
		{PayloadV1, nil, "", "v1|dev|cli|cli|operator||1700000000000|"},
	}
	for _, tc := range tests {
		got := SignaturePayload(tc.version, "dev", "cli", "cli", "operator", tc.scopes, 1700000000000, tc.token, "n1")
		if got != tc.want {
			t.Errorf("SignaturePayload = %q, want %q", got, tc.want)
		}
	}
}

func TestDeviceIDFromPublicKey(t *testing.T) {
	k := newTestKey(t)
	sum := sha256.Sum256(k.pub)
	if k.id != hex.EncodeToString(sum[:]) || k.id != strings.ToLower(k.id) || len(k.id) != 64 {
		t.Fatalf("id %q", k.id)
	}
}

func TestVerifyDevice(t *testing.T) {
	k := newTestKey(t)
	other := newTestKey(t)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	const challenge = "3f0e1c2a-5b6d-4e7f-8a9b-0c1d2e3f4a5b"

	// base is a valid v2 proof from a remote peer.
	base := func() DeviceProof {
		nonce := challenge
		return DeviceProof{
			Device: protocol.ConnectDevice{
				ID:        k.id,
				PublicKey: EncodePublicKey(k.pub),
				SignedAt:  testNow.UnixMilli() - 1500,
				Nonce:     &nonce,
			},
			ClientID:        "cli",
			ClientMode:      "cli",
			Role:            "operator",
			RequestedScopes: []string{"operator.read", "operator.pairing"},
			Token:           "gateway-token",
			ChallengeNonce:  challenge,
			Now:             testNow,
		}
	}
	tests := []struct {
		name string
		// before runs before signing, after after it.
		before, after func(p *DeviceProof)
		want          string // "" = accepted
	}{
		{name: "valid v2 remote"},
		{name: "valid v2 local", before: func(p *DeviceProof) { p.Local = true }},
		{name: "valid v2 no scopes no token", before: func(p *DeviceProof) { p.RequestedScopes = nil; p.Token = "" }},
		{name: "valid default role signs operator", before: func(p *DeviceProof) { p.Role = "" }},
		{name: "valid node role", before: func(p *DeviceProof) { p.Role = "node"; p.ClientMode = "node"; p.RequestedScopes = nil }},
		{name: "nonce is trimmed", after: func(p *DeviceProof) { p.Device.Nonce = sp(" " + challenge + " ") }},
		{name: "v1 local without nonce", before: func(p *DeviceProof) { p.Local = true; p.Device.Nonce = nil }},
		{name: "v1 local empty nonce", before: func(p *DeviceProof) { p.Local = true; p.Device.Nonce = nil },
			after: func(p *DeviceProof) { p.Device.Nonce = sp("") }},
		{name: "v1 remote without nonce", before: func(p *DeviceProof) { p.Device.Nonce = nil }, want: MsgDeviceNonceRequired},
		{name: "remote whitespace nonce", after: func(p *DeviceProof) { p.Device.Nonce = sp("  ") }, want: MsgDeviceNonceRequired},
		{name: "local v1 with nonce present is checked as v2", before: func(p *DeviceProof) { p.Local = true; p.Device.Nonce = nil },
			after: func(p *DeviceProof) { p.Device.Nonce = sp(challenge) }, want: MsgDeviceSignatureInvalid},
		{name: "local v2 signature without nonce", before: func(p *DeviceProof) { p.Local = true },
			after: func(p *DeviceProof) { p.Device.Nonce = nil }, want: MsgDeviceSignatureInvalid},
		{name: "wrong nonce", after: func(p *DeviceProof) { p.ChallengeNonce = "another" }, want: MsgDeviceNonceMismatch},
		{name: "nonce but no challenge sent", after: func(p *DeviceProof) { p.ChallengeNonce = "" }, want: MsgDeviceNonceMismatch},
		{name: "wrong nonce local", before: func(p *DeviceProof) { p.Local = true; p.ChallengeNonce = "x" }, want: MsgDeviceNonceMismatch},
		{name: "tampered signature", after: func(p *DeviceProof) {
			sig, _ := base64.RawURLEncoding.DecodeString(p.Device.Signature)
			sig[10] ^= 1
			p.Device.Signature = base64.RawURLEncoding.EncodeToString(sig)
		}, want: MsgDeviceSignatureInvalid},
		{name: "truncated signature", after: func(p *DeviceProof) { p.Device.Signature = p.Device.Signature[:40] }, want: MsgDeviceSignatureInvalid},
		{name: "garbage signature", after: func(p *DeviceProof) { p.Device.Signature = "!!!" }, want: MsgDeviceSignatureInvalid},
		{name: "empty signature", after: func(p *DeviceProof) { p.Device.Signature = "" }, want: MsgDeviceSignatureInvalid},
		{name: "signed by another key", after: func(p *DeviceProof) {
			p.Device.Signature = Sign(other.priv, SignaturePayload("v2", k.id, "cli", "cli", "operator", p.RequestedScopes, p.Device.SignedAt, p.Token, challenge))
		}, want: MsgDeviceSignatureInvalid},
		{name: "scopes changed after signing", after: func(p *DeviceProof) { p.RequestedScopes = []string{"operator.admin"} }, want: MsgDeviceSignatureInvalid},
		{name: "defaulted scopes are not the signed ones", before: func(p *DeviceProof) { p.RequestedScopes = nil },
			after: func(p *DeviceProof) { p.RequestedScopes = []string{"operator.admin"} }, want: MsgDeviceSignatureInvalid},
		{name: "token changed after signing", after: func(p *DeviceProof) { p.Token = "" }, want: MsgDeviceSignatureInvalid},
		{name: "role changed after signing", after: func(p *DeviceProof) { p.Role = "node" }, want: MsgDeviceSignatureInvalid},
		{name: "client mode changed after signing", after: func(p *DeviceProof) { p.ClientMode = "ui" }, want: MsgDeviceSignatureInvalid},
		{name: "signedAt changed after signing", after: func(p *DeviceProof) { p.Device.SignedAt++ }, want: MsgDeviceSignatureInvalid},
		{name: "padded base64url signature", after: func(p *DeviceProof) { p.Device.Signature += "==" }},
		{name: "std base64 signature", after: func(p *DeviceProof) {
			sig, _ := base64.RawURLEncoding.DecodeString(p.Device.Signature)
			p.Device.Signature = base64.StdEncoding.EncodeToString(sig)
		}},
		{name: "wrong id", before: func(p *DeviceProof) { p.Device.ID = other.id }, want: MsgDeviceIdentityMismatch},
		{name: "uppercase id", before: func(p *DeviceProof) { p.Device.ID = strings.ToUpper(k.id) }, want: MsgDeviceIdentityMismatch},
		{name: "id of other key beats bad signature", before: func(p *DeviceProof) { p.Device.ID = other.id },
			after: func(p *DeviceProof) { p.Device.Signature = "x" }, want: MsgDeviceIdentityMismatch},
		{name: "expired past", before: func(p *DeviceProof) { p.Device.SignedAt = testNow.UnixMilli() - 10*60*1000 - 1 }, want: MsgDeviceSignatureExpired},
		{name: "expired future", before: func(p *DeviceProof) { p.Device.SignedAt = testNow.UnixMilli() + 10*60*1000 + 1 }, want: MsgDeviceSignatureExpired},
		{name: "exactly 10 min past", before: func(p *DeviceProof) { p.Device.SignedAt = testNow.UnixMilli() - 10*60*1000 }},
		{name: "exactly 10 min future", before: func(p *DeviceProof) { p.Device.SignedAt = testNow.UnixMilli() + 10*60*1000 }},
		{name: "signedAt zero", before: func(p *DeviceProof) { p.Device.SignedAt = 0 }, want: MsgDeviceSignatureExpired},
		{name: "expired beats nonce", before: func(p *DeviceProof) { p.Device.SignedAt -= time.Hour.Milliseconds(); p.Device.Nonce = nil }, want: MsgDeviceSignatureExpired},
		{name: "nonce beats signature", after: func(p *DeviceProof) { p.Device.Nonce = nil; p.Device.Signature = "x" }, want: MsgDeviceNonceRequired},
		{name: "PEM key", after: func(p *DeviceProof) { p.Device.PublicKey = pemOf(t, k.pub) }},
		{name: "padded base64url key", after: func(p *DeviceProof) { p.Device.PublicKey = base64.URLEncoding.EncodeToString(k.pub) }},
		{name: "std base64 key", after: func(p *DeviceProof) { p.Device.PublicKey = base64.StdEncoding.EncodeToString(k.pub) }},
		{name: "garbage key", after: func(p *DeviceProof) { p.Device.PublicKey = "not a key!" }, want: MsgDevicePublicKeyInvalid},
		{name: "short key", after: func(p *DeviceProof) { p.Device.PublicKey = base64.RawURLEncoding.EncodeToString(k.pub[:31]) }, want: MsgDevicePublicKeyInvalid},
		{name: "long key", after: func(p *DeviceProof) {
			p.Device.PublicKey = base64.RawURLEncoding.EncodeToString(append(append([]byte{}, k.pub...), 0))
		}, want: MsgDevicePublicKeyInvalid},
		{name: "empty key", after: func(p *DeviceProof) { p.Device.PublicKey = "" }, want: MsgDevicePublicKeyInvalid},
		{name: "PEM of an EC key", after: func(p *DeviceProof) { p.Device.PublicKey = pemOf(t, &ecKey.PublicKey) }, want: MsgDevicePublicKeyInvalid},
		{name: "broken PEM", after: func(p *DeviceProof) {
			p.Device.PublicKey = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"
		}, want: MsgDevicePublicKeyInvalid},
		{name: "garbage key beats wrong id", before: func(p *DeviceProof) { p.Device.ID = "abc" },
			after: func(p *DeviceProof) { p.Device.PublicKey = "%%%" }, want: MsgDevicePublicKeyInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := base()
			if tc.before != nil {
				tc.before(&p)
			}
			signProof(k, &p)
			if tc.after != nil {
				tc.after(&p)
			}
			err := VerifyDevice(p)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("VerifyDevice = %v, want nil", err)
				}
				return
			}
			var ae *Error
			if !errors.As(err, &ae) {
				t.Fatalf("VerifyDevice = %v, want *Error %q", err, tc.want)
			}
			if ae.Code != CodeInvalidRequest || ae.Message != tc.want {
				t.Fatalf("VerifyDevice = %s %q, want INVALID_REQUEST %q", ae.Code, ae.Message, tc.want)
			}
		})
	}
}

func TestVerifyDeviceDefaultClock(t *testing.T) {
	k := newTestKey(t)
	nonce := "n"
	p := DeviceProof{
		Device:         protocol.ConnectDevice{ID: k.id, PublicKey: EncodePublicKey(k.pub), SignedAt: time.Now().UnixMilli(), Nonce: &nonce},
		ClientID:       "test",
		ClientMode:     "test",
		Role:           "operator",
		ChallengeNonce: nonce,
	}
	signProof(k, &p)
	if err := VerifyDevice(p); err != nil {
		t.Fatal(err)
	}
}

func TestParsePublicKeyForms(t *testing.T) {
	k := newTestKey(t)
	want := EncodePublicKey(k.pub)
	for _, in := range []string{
		want,
		base64.URLEncoding.EncodeToString(k.pub),
		base64.StdEncoding.EncodeToString(k.pub),
		base64.RawStdEncoding.EncodeToString(k.pub),
		pemOf(t, k.pub),
		"  " + want + "\n",
	} {
		got, err := NormalizePublicKey(in)
		if err != nil || got != want {
			t.Errorf("NormalizePublicKey(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
