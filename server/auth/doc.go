// Package auth owns the gateway's client authentication: the shared secret
// (gateway token or password, §2.3), the v3 device identity proof (Ed25519
// signature over the connect parameters, §11), the device pairing store with its
// per-device tokens, and the v3 operator scopes.
//
// The package decides; the gateway handshake (server/gateway) turns decisions into
// frames, close codes and broadcasts. Every message string here is a wire fact taken
// from the reference server (v2026.1.24) and must not be reworded.
package auth
