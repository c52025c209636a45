// Package token makes the random identifiers and bearer tokens the gateway hands out,
// and the hashes it stores instead of the tokens.
package token

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
)

// New returns a fresh token (32 random bytes, base64url without padding) and its Hash.
// Only the hash is stored: a stolen state file does not hand out working tokens.
func New() (tok, hash string) {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (it aborts the process instead)
	tok = base64.RawURLEncoding.EncodeToString(b[:])
	return tok, Hash(tok)
}

// Hash is the lowercase hex SHA-256 of tok.
func Hash(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// Matches compares tok with a stored hash in constant time; an empty token never matches.
func Matches(tok, hash string) bool {
	if tok == "" || hash == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(Hash(tok)), []byte(hash)) == 1
}

// UUID returns a random (version 4) UUID.
func UUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
