package auth

import (
	"fmt"
	"maps"
	"strings"

	"github.com/clawgate/gateway/server/token"
)

// Bounds on a carried-over device. Live devices are bounded by the connect frame's
// size; an imported record comes from a file, so its fields are bounded here.
const (
	// MaxImportedFieldLen bounds each text field and each token, in bytes.
	MaxImportedFieldLen = 1024
	// MaxImportedListLen bounds the roles, the scopes (of the device and of each token)
	// and the tokens.
	MaxImportedListLen = 64
)

// ImportedDevice is a paired device carried over from the original gateway's
// devices/paired.json, with its tokens in clear as that file holds them. Only their
// SHA-256 is stored.
type ImportedDevice struct {
	DeviceID, PublicKey                                   string
	DisplayName, Platform, ClientID, ClientMode, RemoteIP string
	Role                                                  string
	Roles, Scopes                                         []string
	// Tokens by role.
	Tokens                    map[string]ImportedToken
	CreatedAtMs, ApprovedAtMs int64
}

// ImportedToken is one role's device token. A revoked token (RevokedAtMs > 0) is kept
// as revoked: it does not authenticate.
type ImportedToken struct {
	Token                                string
	Scopes                               []string
	CreatedAtMs, IssuedAtMs, RevokedAtMs int64
}

// ImportPaired adds a carried-over paired device so that it keeps connecting with its
// key and its stored tokens. A device already paired here is left alone (false, nil):
// what this gateway knows wins, and importing twice changes nothing. The public key
// must be an Ed25519 key whose id is DeviceID (INVALID_REQUEST otherwise); every
// token's role becomes an approved role of the device, and every live token's scopes
// approved scopes.
func (s *Store) ImportPaired(d ImportedDevice) (added bool, err error) {
	id := strings.TrimSpace(d.DeviceID)
	if id == "" {
		return false, invalid(MsgDeviceIDRequired)
	}
	if err := checkImported(id, d); err != nil {
		return false, err
	}
	pub, err := ParsePublicKey(d.PublicKey)
	if err != nil {
		return false, invalid(MsgDevicePublicKeyInvalid)
	}
	if DeviceIDFromPublicKey(pub) != id {
		return false, invalid(MsgDeviceIdentityMismatch)
	}
	p := &pairedRecord{
		DeviceID:     id,
		PublicKey:    EncodePublicKey(pub),
		DisplayName:  strings.TrimSpace(d.DisplayName),
		Platform:     strings.TrimSpace(d.Platform),
		ClientID:     strings.TrimSpace(d.ClientID),
		ClientMode:   strings.TrimSpace(d.ClientMode),
		RemoteIP:     strings.TrimSpace(d.RemoteIP),
		Role:         strings.TrimSpace(d.Role),
		Roles:        union(d.Roles, []string{d.Role}),
		Scopes:       normalizeScopes(d.Scopes),
		Tokens:       map[string]tokenRecord{},
		CreatedAtMs:  d.CreatedAtMs,
		ApprovedAtMs: d.ApprovedAtMs,
	}
	for role, t := range d.Tokens {
		role = strings.TrimSpace(role)
		if role == "" {
			continue
		}
		rec := tokenRecord{Scopes: normalizeScopes(t.Scopes), CreatedAtMs: t.CreatedAtMs, IssuedAtMs: t.IssuedAtMs, RevokedAtMs: t.RevokedAtMs}
		if rec.IssuedAtMs == 0 {
			rec.IssuedAtMs = rec.CreatedAtMs
		}
		switch {
		case t.RevokedAtMs > 0:
		case t.Token == "":
			return false, invalid(fmt.Sprintf("device %s: token for role %q is empty", id, role))
		default:
			rec.SHA256 = token.Hash(t.Token)
		}
		p.Tokens[role] = rec
		p.Roles = union(p.Roles, []string{role})
		if rec.SHA256 != "" {
			// The original authorises a device-token connect by the token's scopes;
			// here the device's approved scopes decide, so they must cover them.
			p.Scopes = union(p.Scopes, rec.Scopes)
		}
	}
	if p.Role == "" && len(p.Roles) > 0 {
		p.Role = p.Roles[0]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.paired[id] != nil {
		return false, nil
	}
	paired := maps.Clone(s.paired)
	paired[id] = p
	if err := s.commitLocked(paired, nil); err != nil {
		return false, err
	}
	s.log.Info("device pairing imported", "device", id, "roles", p.Roles)
	return true, nil
}

// checkImported enforces MaxImportedFieldLen and MaxImportedListLen.
func checkImported(id string, d ImportedDevice) error {
	fields := map[string]string{"deviceId": d.DeviceID, "publicKey": d.PublicKey, "displayName": d.DisplayName,
		"platform": d.Platform, "clientId": d.ClientID, "clientMode": d.ClientMode, "remoteIp": d.RemoteIP, "role": d.Role}
	for name, v := range fields {
		if len(v) > MaxImportedFieldLen {
			return invalid(fmt.Sprintf("device %.64s: %s longer than %d bytes", id, name, MaxImportedFieldLen))
		}
	}
	lists := map[string][]string{"roles": d.Roles, "scopes": d.Scopes}
	for role, t := range d.Tokens {
		lists["scopes of the "+role+" token"] = t.Scopes
		if len(role) > MaxImportedFieldLen || len(t.Token) > MaxImportedFieldLen {
			return invalid(fmt.Sprintf("device %.64s: token role or token longer than %d bytes", id, MaxImportedFieldLen))
		}
	}
	if len(d.Tokens) > MaxImportedListLen {
		return invalid(fmt.Sprintf("device %.64s: more than %d tokens", id, MaxImportedListLen))
	}
	for name, l := range lists {
		if len(l) > MaxImportedListLen {
			return invalid(fmt.Sprintf("device %.64s: more than %d %s", id, MaxImportedListLen, name))
		}
		for _, v := range l {
			if len(v) > MaxImportedFieldLen {
				return invalid(fmt.Sprintf("device %.64s: an entry of %s longer than %d bytes", id, name, MaxImportedFieldLen))
			}
		}
	}
	return nil
}
