package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
)

// Mode is the resolved gateway auth mode (§2.3).
type Mode string

// Auth modes.
const (
	ModeNone     Mode = "none"
	ModeToken    Mode = "token"
	ModePassword Mode = "password"
)

// Secrets is the gateway's resolved shared-secret configuration (§2.3: config, env and
// CLI already merged). The zero value has no mode and refuses everyone: an unresolved
// configuration must not open the gateway.
type Secrets struct {
	Mode     Mode
	Token    string
	Password string
	// AllowTailscale enables the Tailscale Serve identity path of CheckConnect.
	AllowTailscale bool
}

// ResolveMode returns the implied mode when none is configured: password if a password
// exists, else token if a token exists, else none (§2.3).
func ResolveMode(configured Mode, token, password string) Mode {
	switch {
	case configured != "":
		return configured
	case password != "":
		return ModePassword
	case token != "":
		return ModeToken
	default:
		return ModeNone
	}
}

// HasSecret reports whether the mode needs a shared secret and that secret is
// configured (a non-loopback bind is refused without one, §2.3).
func (s Secrets) HasSecret() bool {
	switch s.Mode {
	case ModeToken:
		return s.Token != ""
	case ModePassword:
		return s.Password != ""
	}
	return false
}

// Validate is the startup check of the reference (assertGatewayAuthConfigured): a mode
// that needs a secret must have one.
func (s Secrets) Validate() error {
	switch s.Mode {
	case ModeNone:
		return nil
	case ModeToken:
		if s.Token == "" {
			return errors.New("gateway auth mode is token, but no token was configured (set gateway.auth.token or CLAWDBOT_GATEWAY_TOKEN)")
		}
		return nil
	case ModePassword:
		if s.Password == "" {
			return errors.New("gateway auth mode is password, but no password was configured")
		}
		return nil
	}
	return errors.New("gateway auth mode must be none, token or password, got " + quote(string(s.Mode)))
}

// Check compares the client's auth against the configured secret. ok is true for mode
// none. On failure reason is the v3 message (§11); v2 clients get plain "unauthorized"
// and that choice is the caller's. The comparison runs on SHA-256 digests with
// crypto/subtle, so neither content nor length leaks through timing (stricter than the
// reference, which compares the token with plain equality).
func (s Secrets) Check(token, password *string) (ok bool, reason string) {
	switch s.Mode {
	case ModeNone:
		return true, ""
	case ModeToken:
		if s.Token == "" {
			return false, MsgTokenNotConfigured
		}
		if token == nil || *token == "" {
			return false, MsgTokenMissing
		}
		if !secretEqual(*token, s.Token) {
			return false, MsgTokenMismatch
		}
		return true, ""
	case ModePassword:
		if s.Password == "" {
			return false, MsgPasswordNotConfigured
		}
		if password == nil || *password == "" {
			return false, MsgPasswordMissing
		}
		if !secretEqual(*password, s.Password) {
			return false, MsgPasswordMismatch
		}
		return true, ""
	}
	return false, MsgUnauthorized
}

// Auth methods reported by CheckConnect (the reference's GatewayAuthResult.method;
// "device-token" is decided by the caller with Store.VerifyToken).
const (
	MethodNone        = "none"
	MethodToken       = "token"
	MethodPassword    = "password"
	MethodTailscale   = "tailscale"
	MethodDeviceToken = "device-token"
)

// ConnectResult is the outcome of CheckConnect.
type ConnectResult struct {
	OK     bool
	Method string // one of the Method* constants when OK
	User   string // Tailscale login for MethodTailscale
	Reason string // v3 failure message when !OK
}

// CheckConnect is the full per-connect shared auth of the reference
// (authorizeGatewayConnect): with AllowTailscale and a peer that is not local direct, a
// Tailscale identity arriving through a local proxy is accepted first; in mode none
// without it the connect fails with the Tailscale messages; otherwise it is Check.
func (s Secrets) CheckConnect(remoteAddr, host string, h http.Header, token, password *string) ConnectResult {
	if s.AllowTailscale && !IsLocalDirect(remoteAddr, host, h) {
		login := strings.TrimSpace(h.Get("Tailscale-User-Login"))
		proxied := IsLoopback(remoteAddr) && h.Get("X-Forwarded-For") != "" &&
			h.Get("X-Forwarded-Proto") != "" && h.Get("X-Forwarded-Host") != ""
		if login != "" && proxied {
			return ConnectResult{OK: true, Method: MethodTailscale, User: login}
		}
		if s.Mode == ModeNone {
			if login == "" {
				return ConnectResult{Reason: MsgTailscaleIdentityMissing}
			}
			return ConnectResult{Reason: MsgTailscaleProxyMissing}
		}
	}
	ok, reason := s.Check(token, password)
	if !ok {
		return ConnectResult{Reason: reason}
	}
	m := MethodNone
	switch s.Mode {
	case ModeToken:
		m = MethodToken
	case ModePassword:
		m = MethodPassword
	}
	return ConnectResult{OK: true, Method: m}
}

// secretEqual compares two secrets in constant time: both sides are hashed first, so
// the comparison always covers 32 bytes whatever the lengths.
func secretEqual(got, want string) bool {
	g := sha256.Sum256([]byte(got))
	w := sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

func quote(s string) string { return `"` + s + `"` }
