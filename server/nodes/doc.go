// Package nodes owns node (companion device) pairing: pending pairing requests with a
// TTL and paired nodes with hashed tokens, persisted atomically under
// <stateDir>/nodes/ (§3.8, §9 of the protocol reference).
package nodes
