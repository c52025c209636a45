package auth

import (
	"fmt"
	"github.com/clawgate/gateway/server/token"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/tools/protogen/runtime/wire"
)

// Store defaults.
const (
	DefaultPendingTTL = 5 * time.Minute
	DefaultMaxPending = 100
)

// StoreOptions configure OpenStore.
type StoreOptions struct {
	// Dir is the gateway state dir; the store keeps its files in Dir/devices/
	// (paired.json, pending.json).
	Dir string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// PendingTTL is how long a pairing request waits for a decision; 0 means 5 min.
	PendingTTL time.Duration
	// MaxPending bounds the live pending requests; 0 means 100. Creating one more
	// fails with MsgTooManyPending.
	MaxPending int
	// Logger receives pairing decisions and non-fatal write failures; nil discards.
	Logger *slog.Logger
}

// Device is a verified device as presented at connect (see Store.Authorize).
type Device struct {
	DeviceID    string
	PublicKey   string // any encoding ParsePublicKey accepts; stored canonical
	DisplayName string
	Platform    string
	ClientID    string
	ClientMode  string
	Role        string   // "" means operator
	RemoteIP    string   // "" leaves a stored value alone
	Scopes      []string // the granted scopes, i.e. DefaultScopes(role, requested); empty gets defaulted too
}

// Decision is the outcome of Store.Authorize.
type Decision struct {
	// Paired: the device may connect with this role and these scopes.
	Paired bool
	// AutoApproved: Paired because the request was approved right now (local peer); the
	// caller broadcasts device.pair.resolved {RequestID, deviceId, "approved"}.
	AutoApproved bool
	// Pending is the request waiting for an operator (nil when Paired); the caller
	// answers NOT_PAIRED "pairing required" with details {requestId}.
	Pending *protocol.DevicePairRequest
	// Created: Pending is new (or replaces Superseded); the caller broadcasts
	// device.pair.requested with it.
	Created bool
	// RequestID is the request involved: the pending one, or the auto-approved one.
	RequestID string
	// Superseded is the id of a pending request for the same device and role that the
	// new, wider request replaced ("" if none).
	Superseded string
	// Device is the paired record when Paired.
	Device protocol.PairedDevice
}

// Store owns device pairing state: paired devices with their per-role token hashes,
// and pending pairing requests. Every mutation is on disk (temp file, fsync, rename,
// fsync dir) before it is visible or returned; memory always mirrors the files. Tokens
// themselves are never stored, only their SHA-256. Safe for concurrent use.
type Store struct {
	dir        string
	now        func() time.Time
	ttl        time.Duration
	maxPending int
	log        *slog.Logger

	mu      sync.Mutex
	paired  map[string]*pairedRecord  // by deviceId; records are immutable once stored
	pending map[string]*pendingRecord // by requestId; ditto
}

// On-disk records. Field names follow the reference (src/infra/device-pairing.ts)
// except tokens, which hold a hash instead of the token.
type pendingRecord struct {
	RequestID   string   `json:"requestId"`
	DeviceID    string   `json:"deviceId"`
	PublicKey   string   `json:"publicKey"`
	DisplayName string   `json:"displayName,omitempty"`
	Platform    string   `json:"platform,omitempty"`
	ClientID    string   `json:"clientId,omitempty"`
	ClientMode  string   `json:"clientMode,omitempty"`
	Role        string   `json:"role"`
	Scopes      []string `json:"scopes,omitempty"`
	RemoteIP    string   `json:"remoteIp,omitempty"`
	IsRepair    bool     `json:"isRepair,omitempty"`
	Ts          int64    `json:"ts"`
}

type tokenRecord struct {
	SHA256      string   `json:"sha256,omitempty"` // hex SHA-256 of the token; "" once revoked
	Scopes      []string `json:"scopes,omitempty"`
	CreatedAtMs int64    `json:"createdAtMs"`
	IssuedAtMs  int64    `json:"issuedAtMs"`
	RevokedAtMs int64    `json:"revokedAtMs,omitempty"`
}

type pairedRecord struct {
	DeviceID     string                 `json:"deviceId"`
	PublicKey    string                 `json:"publicKey"`
	DisplayName  string                 `json:"displayName,omitempty"`
	Platform     string                 `json:"platform,omitempty"`
	ClientID     string                 `json:"clientId,omitempty"`
	ClientMode   string                 `json:"clientMode,omitempty"`
	Role         string                 `json:"role,omitempty"`
	Roles        []string               `json:"roles,omitempty"`
	Scopes       []string               `json:"scopes,omitempty"`
	RemoteIP     string                 `json:"remoteIp,omitempty"`
	Tokens       map[string]tokenRecord `json:"tokens,omitempty"`
	CreatedAtMs  int64                  `json:"createdAtMs"`
	ApprovedAtMs int64                  `json:"approvedAtMs"`
}

func (p *pairedRecord) clone() *pairedRecord {
	c := *p
	c.Roles = slices.Clone(p.Roles)
	c.Scopes = slices.Clone(p.Scopes)
	c.Tokens = maps.Clone(p.Tokens)
	if c.Tokens == nil {
		c.Tokens = map[string]tokenRecord{}
	}
	return &c
}

// OpenStore opens (creating if needed) the store under o.Dir/devices. Existing files
// are loaded; a file that isn't valid store JSON is an error, never silently reset.
func OpenStore(o StoreOptions) (*Store, error) {
	if o.Dir == "" {
		return nil, fmt.Errorf("auth: open device store: no state dir")
	}
	s := &Store{
		dir:        devicesDir(o.Dir),
		now:        o.Now,
		ttl:        o.PendingTTL,
		maxPending: o.MaxPending,
		log:        o.Logger,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.ttl <= 0 {
		s.ttl = DefaultPendingTTL
	}
	if s.maxPending <= 0 {
		s.maxPending = DefaultMaxPending
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	paired, pending, err := pairFiles(s.dir).Load()
	if err != nil {
		return nil, err
	}
	s.paired = paired
	s.pending = prune(pending, s.now().UnixMilli(), s.ttl)
	return s, nil
}

// Authorize decides pairing for a device whose proof VerifyDevice accepted and whose
// shared or device-token auth passed:
//   - paired with this public key, this role approved and every scope approved
//     (operator.admin covers all) → Paired (metadata such as display name refreshed);
//   - else with autoApprove (local peer) → the request is approved now: Paired,
//     AutoApproved, RequestID;
//   - else a pending request for (device, role) that already covers the scopes is
//     reused (Created false); a narrower one is replaced by one with the union of
//     scopes (Created, Superseded); otherwise a new one is created (Created), unless
//     MaxPending live requests exist (UNAVAILABLE MsgTooManyPending).
func (s *Store) Authorize(d Device, autoApprove bool) (Decision, error) {
	d, err := normalizeDevice(d)
	if err != nil {
		return Decision{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	nowMs := s.now().UnixMilli()
	s.pending = prune(s.pending, nowMs, s.ttl)

	p := s.paired[d.DeviceID]
	if p != nil && p.PublicKey == d.PublicKey && slices.Contains(p.Roles, d.Role) && scopesCover(p.Scopes, d.Scopes) {
		p = s.touchLocked(p, d)
		return Decision{Paired: true, Device: toPaired(p)}, nil
	}

	req := &pendingRecord{
		RequestID:   token.UUID(),
		DeviceID:    d.DeviceID,
		PublicKey:   d.PublicKey,
		DisplayName: d.DisplayName,
		Platform:    d.Platform,
		ClientID:    d.ClientID,
		ClientMode:  d.ClientMode,
		Role:        d.Role,
		Scopes:      d.Scopes,
		RemoteIP:    d.RemoteIP,
		IsRepair:    p != nil,
		Ts:          nowMs,
	}

	if autoApprove {
		np := approveRecord(p, req, nowMs)
		paired := maps.Clone(s.paired)
		paired[np.DeviceID] = np
		// Requests this approval made moot go too.
		var pending map[string]*pendingRecord
		for id, r := range s.pending {
			if r.DeviceID == np.DeviceID && slices.Contains(np.Roles, r.Role) && scopesCover(np.Scopes, r.Scopes) {
				if pending == nil {
					pending = maps.Clone(s.pending)
				}
				delete(pending, id)
			}
		}
		if err := s.commitLocked(paired, pending); err != nil {
			return Decision{}, err
		}
		s.log.Info("device pairing auto-approved", "device", np.DeviceID, "role", req.Role, "requestId", req.RequestID)
		return Decision{Paired: true, AutoApproved: true, RequestID: req.RequestID, Device: toPaired(np)}, nil
	}

	var existing *pendingRecord
	for _, r := range s.pending {
		if r.DeviceID == d.DeviceID && r.Role == d.Role {
			existing = r
			break
		}
	}
	if existing != nil && existing.PublicKey == d.PublicKey && scopesCover(existing.Scopes, d.Scopes) {
		return Decision{Pending: toRequest(existing), RequestID: existing.RequestID}, nil
	}
	pending := maps.Clone(s.pending)
	superseded := ""
	if existing != nil {
		if existing.PublicKey == d.PublicKey {
			req.Scopes = union(existing.Scopes, d.Scopes)
		}
		superseded = existing.RequestID
		delete(pending, superseded)
	} else if len(s.pending) >= s.maxPending {
		return Decision{}, &Error{Code: CodeUnavailable, Message: MsgTooManyPending}
	}
	pending[req.RequestID] = req
	if err := s.commitLocked(nil, pending); err != nil {
		return Decision{}, err
	}
	s.log.Info("device pairing requested", "device", req.DeviceID, "role", req.Role, "requestId", req.RequestID)
	return Decision{Pending: toRequest(req), Created: true, RequestID: req.RequestID, Superseded: superseded}, nil
}

// touchLocked refreshes a paired device's connect metadata. Metadata is cosmetic, so a
// failed write is logged and the old record kept.
func (s *Store) touchLocked(p *pairedRecord, d Device) *pairedRecord {
	np := p.clone()
	setIf(&np.DisplayName, d.DisplayName)
	setIf(&np.Platform, d.Platform)
	setIf(&np.ClientID, d.ClientID)
	setIf(&np.ClientMode, d.ClientMode)
	setIf(&np.RemoteIP, d.RemoteIP)
	setIf(&np.Role, d.Role)
	if np.DisplayName == p.DisplayName && np.Platform == p.Platform && np.ClientID == p.ClientID &&
		np.ClientMode == p.ClientMode && np.RemoteIP == p.RemoteIP && np.Role == p.Role {
		return p
	}
	paired := maps.Clone(s.paired)
	paired[np.DeviceID] = np
	if err := s.commitLocked(paired, nil); err != nil {
		s.log.Warn("device metadata not saved", "device", p.DeviceID, "err", err)
		return p
	}
	return np
}

// Approve approves a pending request: the device's roles and scopes become the union
// of what was approved before and what the request asks; createdAtMs is kept,
// approvedAtMs is now; existing tokens stay valid. Unknown or expired id →
// INVALID_REQUEST "unknown requestId".
func (s *Store) Approve(requestID string) (protocol.PairedDevice, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	nowMs := s.now().UnixMilli()
	s.pending = prune(s.pending, nowMs, s.ttl)
	r := s.pending[requestID]
	if r == nil {
		return protocol.PairedDevice{}, invalid(MsgUnknownRequestID)
	}
	np := approveRecord(s.paired[r.DeviceID], r, nowMs)
	paired := maps.Clone(s.paired)
	paired[np.DeviceID] = np
	pending := maps.Clone(s.pending)
	delete(pending, requestID)
	if err := s.commitLocked(paired, pending); err != nil {
		return protocol.PairedDevice{}, err
	}
	s.log.Info("device pairing approved", "device", np.DeviceID, "role", r.Role, "requestId", requestID)
	return toPaired(np), nil
}

// Reject drops a pending request and returns its device id. Unknown or expired id →
// INVALID_REQUEST "unknown requestId".
func (s *Store) Reject(requestID string) (deviceID string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending = prune(s.pending, s.now().UnixMilli(), s.ttl)
	r := s.pending[requestID]
	if r == nil {
		return "", invalid(MsgUnknownRequestID)
	}
	pending := maps.Clone(s.pending)
	delete(pending, requestID)
	if err := s.commitLocked(nil, pending); err != nil {
		return "", err
	}
	s.log.Info("device pairing rejected", "device", r.DeviceID, "requestId", requestID)
	return r.DeviceID, nil
}

// IssueToken mints a new token for (device, role), replacing any previous one, and
// returns it once; only its hash is kept. The role must be approved for the device
// (INVALID_REQUEST "unknown deviceId" / "role not approved for device").
func (s *Store) IssueToken(deviceID, role string, scopes []string) (tok string, issuedAtMs int64, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issueLocked(deviceID, role, scopes, false)
}

// RotateToken replaces the token of (device, role) with a new one carrying the old
// token's scopes (the device's scopes if it had none). Errors as IssueToken.
func (s *Store) RotateToken(deviceID, role string) (tok string, issuedAtMs int64, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issueLocked(deviceID, role, nil, true)
}

func (s *Store) issueLocked(deviceID, role string, scopes []string, keepScopes bool) (string, int64, error) {
	p, err := s.approvedLocked(deviceID, role)
	if err != nil {
		return "", 0, err
	}
	nowMs := s.now().UnixMilli()
	old, had := p.Tokens[role]
	if keepScopes {
		scopes = old.Scopes
		if !had {
			scopes = p.Scopes
		}
	}
	tok, hash := token.New()
	t := tokenRecord{SHA256: hash, Scopes: normalizeScopes(scopes), CreatedAtMs: nowMs, IssuedAtMs: nowMs}
	if had {
		t.CreatedAtMs = old.CreatedAtMs
	}
	np := p.clone()
	np.Tokens[role] = t
	paired := maps.Clone(s.paired)
	paired[np.DeviceID] = np
	if err := s.commitLocked(paired, nil); err != nil {
		return "", 0, err
	}
	return tok, nowMs, nil
}

// RevokeToken removes the token of (device, role); revoked tells whether there was an
// active one. Unknown device or unapproved role → INVALID_REQUEST as IssueToken.
func (s *Store) RevokeToken(deviceID, role string) (revoked bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.approvedLocked(deviceID, role)
	if err != nil {
		return false, err
	}
	t, ok := p.Tokens[role]
	if !ok || t.SHA256 == "" {
		return false, nil
	}
	t.SHA256 = ""
	t.RevokedAtMs = s.now().UnixMilli()
	np := p.clone()
	np.Tokens[role] = t
	paired := maps.Clone(s.paired)
	paired[np.DeviceID] = np
	if err := s.commitLocked(paired, nil); err != nil {
		return false, err
	}
	s.log.Info("device token revoked", "device", deviceID, "role", role)
	return true, nil
}

// VerifyToken reports whether token is the current token of (device, role) and the
// role is approved for the device. The comparison is constant-time on SHA-256 hashes.
func (s *Store) VerifyToken(deviceID, role, tok string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.paired[deviceID]
	if p == nil || tok == "" || !slices.Contains(p.Roles, role) {
		return false
	}
	t, ok := p.Tokens[role]
	if !ok || t.SHA256 == "" {
		return false
	}
	return token.Matches(tok, t.SHA256)
}

// TokenScopes returns the scopes recorded with the current token of (device, role).
func (s *Store) TokenScopes(deviceID, role string) ([]string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.paired[deviceID]
	if p == nil {
		return nil, false
	}
	t, ok := p.Tokens[role]
	if !ok || t.SHA256 == "" {
		return nil, false
	}
	return slices.Clone(t.Scopes), true
}

// List returns pending requests (expired ones pruned) newest first and paired devices
// by approvedAtMs, newest first. Never any token material.
func (s *Store) List() protocol.DevicePairListResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending = prune(s.pending, s.now().UnixMilli(), s.ttl)
	pend := slices.Collect(maps.Values(s.pending))
	slices.SortFunc(pend, func(a, b *pendingRecord) int {
		if a.Ts != b.Ts {
			return cmpDesc(a.Ts, b.Ts)
		}
		return strings.Compare(a.RequestID, b.RequestID)
	})
	pair := slices.Collect(maps.Values(s.paired))
	slices.SortFunc(pair, func(a, b *pairedRecord) int {
		if a.ApprovedAtMs != b.ApprovedAtMs {
			return cmpDesc(a.ApprovedAtMs, b.ApprovedAtMs)
		}
		return strings.Compare(a.DeviceID, b.DeviceID)
	})
	out := protocol.DevicePairListResult{
		Pending: make([]protocol.DevicePairRequest, 0, len(pend)),
		Paired:  make([]protocol.PairedDevice, 0, len(pair)),
	}
	for _, r := range pend {
		out.Pending = append(out.Pending, *toRequest(r))
	}
	for _, p := range pair {
		out.Paired = append(out.Paired, toPaired(p))
	}
	return out
}

// Paired returns the paired record of a device.
func (s *Store) Paired(deviceID string) (protocol.PairedDevice, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.paired[deviceID]
	if p == nil {
		return protocol.PairedDevice{}, false
	}
	return toPaired(p), true
}

func (s *Store) approvedLocked(deviceID, role string) (*pairedRecord, error) {
	p := s.paired[deviceID]
	if p == nil {
		return nil, invalid(MsgUnknownDeviceID)
	}
	if role == "" || !slices.Contains(p.Roles, role) {
		return nil, invalid(MsgRoleNotApproved)
	}
	return p, nil
}

// commitLocked writes the given maps (nil = unchanged), paired first, and installs
// each in memory only once it is on disk. Paired first: a crash in between leaves a
// request pending for a device already paired, which a later approval merges harmlessly.
func (s *Store) commitLocked(paired map[string]*pairedRecord, pending map[string]*pendingRecord) error {
	return pairFiles(s.dir).Commit(paired, pending,
		func(m map[string]*pairedRecord) { s.paired = m },
		func(m map[string]*pendingRecord) { s.pending = m })
}

// approveRecord merges a request into the device's paired record (nil if none).
func approveRecord(existing *pairedRecord, r *pendingRecord, nowMs int64) *pairedRecord {
	np := &pairedRecord{
		DeviceID:     r.DeviceID,
		PublicKey:    r.PublicKey,
		Tokens:       map[string]tokenRecord{},
		CreatedAtMs:  nowMs,
		ApprovedAtMs: nowMs,
	}
	if existing != nil && existing.PublicKey == r.PublicKey {
		np = existing.clone()
		np.ApprovedAtMs = nowMs
	}
	setIf(&np.DisplayName, r.DisplayName)
	setIf(&np.Platform, r.Platform)
	setIf(&np.ClientID, r.ClientID)
	setIf(&np.ClientMode, r.ClientMode)
	setIf(&np.RemoteIP, r.RemoteIP)
	setIf(&np.Role, r.Role)
	np.Roles = union(np.Roles, []string{r.Role})
	np.Scopes = union(np.Scopes, r.Scopes)
	return np
}

func normalizeDevice(d Device) (Device, error) {
	d.DeviceID = strings.TrimSpace(d.DeviceID)
	if d.DeviceID == "" {
		return d, invalid(MsgDeviceIDRequired)
	}
	pub, err := ParsePublicKey(d.PublicKey)
	if err != nil {
		return d, invalid(MsgDevicePublicKeyInvalid)
	}
	if DeviceIDFromPublicKey(pub) != d.DeviceID {
		return d, invalid(MsgDeviceIdentityMismatch)
	}
	d.PublicKey = EncodePublicKey(pub)
	d.Role = strings.TrimSpace(d.Role)
	if d.Role == "" {
		d.Role = RoleOperator
	}
	d.Scopes = normalizeScopes(DefaultScopes(d.Role, normalizeScopes(d.Scopes)))
	return d, nil
}

// scopesCover reports whether every wanted scope is approved; operator.admin covers
// every operator scope.
func scopesCover(have, want []string) bool {
	admin := slices.Contains(have, ScopeAdmin)
	for _, w := range want {
		if slices.Contains(have, w) || (admin && strings.HasPrefix(w, "operator.")) {
			continue
		}
		return false
	}
	return true
}

// normalizeScopes trims, drops empties and duplicates, keeping order; nil if empty.
func normalizeScopes(in []string) []string {
	var out []string
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func union(a, b []string) []string { return normalizeScopes(append(slices.Clone(a), b...)) }

func prune(pending map[string]*pendingRecord, nowMs int64, ttl time.Duration) map[string]*pendingRecord {
	var out map[string]*pendingRecord
	for id, r := range pending {
		if nowMs-r.Ts > ttl.Milliseconds() {
			if out == nil {
				out = maps.Clone(pending)
			}
			delete(out, id)
		}
	}
	if out == nil {
		return pending
	}
	return out
}

func toRequest(r *pendingRecord) *protocol.DevicePairRequest {
	isRepair := r.IsRepair
	return &protocol.DevicePairRequest{
		ClientID:    clientID(r.ClientID),
		ClientMode:  clientMode(r.ClientMode),
		DeviceID:    r.DeviceID,
		DisplayName: wire.Opt(r.DisplayName),
		IsRepair:    &isRepair,
		Platform:    wire.Opt(r.Platform),
		PublicKey:   r.PublicKey,
		RemoteIP:    wire.Opt(r.RemoteIP),
		RequestID:   r.RequestID,
		Role:        wire.Opt(r.Role),
		Scopes:      slices.Clone(r.Scopes),
		Ts:          r.Ts,
	}
}

func toPaired(p *pairedRecord) protocol.PairedDevice {
	return protocol.PairedDevice{
		ApprovedAtMs: p.ApprovedAtMs,
		ClientID:     clientID(p.ClientID),
		ClientMode:   clientMode(p.ClientMode),
		CreatedAtMs:  p.CreatedAtMs,
		DeviceID:     p.DeviceID,
		DisplayName:  wire.Opt(p.DisplayName),
		Platform:     wire.Opt(p.Platform),
		PublicKey:    p.PublicKey,
		RemoteIP:     wire.Opt(p.RemoteIP),
		Role:         wire.Opt(p.Role),
		Roles:        slices.Clone(p.Roles),
		Scopes:       slices.Clone(p.Scopes),
	}
}

func clientID(s string) *protocol.ClientID {
	v := protocol.ClientID(s)
	if !v.Valid() {
		return nil
	}
	return &v
}

func clientMode(s string) *protocol.ClientMode {
	v := protocol.ClientMode(s)
	if !v.Valid() {
		return nil
	}
	return &v
}

func setIf(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

func cmpDesc(a, b int64) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}
