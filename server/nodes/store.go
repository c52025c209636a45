package nodes

import (
	"fmt"
	"github.com/clawgate/gateway/server/token"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/tools/protogen/runtime/wire"
)

// Store defaults and input bounds.
const (
	DefaultPendingTTL = 5 * time.Minute
	DefaultMaxPending = 100
	// DefaultMaxPendingPerSource is the share of the pending list one source address
	// may hold (RequestFrom), so requests from one address cannot fill the list and
	// lock a real node out.
	DefaultMaxPendingPerSource = 10

	// MaxFieldLen bounds every string field (nodeId, displayName, platform, …, each cap,
	// command and permission name), in characters.
	MaxFieldLen = 256
	// MaxListLen bounds caps, commands and permissions, in entries.
	MaxListLen = 256
)

// StoreOptions configure OpenStore.
type StoreOptions struct {
	// StateDir is the gateway state dir; the store keeps its files in
	// StateDir/nodes/ (pending.json, paired.json). Note: the original gateway used
	// ~/.clawdbot/nodes whatever CLAWDBOT_STATE_DIR said; we use the state dir.
	StateDir string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// PendingTTL is how long a pairing request waits for a decision; 0 means 5 min.
	PendingTTL time.Duration
	// MaxPending bounds the live pending requests; 0 means 100. Creating one more
	// fails with UNAVAILABLE MsgTooManyPending.
	MaxPending int
	// MaxPendingPerSource bounds the live pending requests made from one source
	// (RequestFrom); 0 means DefaultMaxPendingPerSource.
	MaxPendingPerSource int
	// Logger receives pairing decisions; nil discards.
	Logger *slog.Logger
}

// NodeInfo is what a node reports about itself in a bridge hello.
type NodeInfo struct {
	DisplayName, Platform, Version, DeviceFamily, ModelIdentifier, RemoteIP string
	Caps, Commands                                                          []string
	Permissions                                                             map[string]bool
}

// Store owns node pairing state: pending pairing requests (expiring after PendingTTL)
// and paired nodes with the SHA-256 of their token. Tokens are returned once, by
// Approve, and never stored or listed in clear. Every mutation is on disk (temp file,
// fsync, rename, fsync dir) before it is visible or returned; memory always mirrors the
// files. Safe for concurrent use.
type Store struct {
	dir        string
	now        func() time.Time
	ttl        time.Duration
	maxPending int
	maxPerSrc  int
	log        *slog.Logger

	mu      sync.Mutex
	paired  map[string]*pairedRecord  // by nodeId; records are immutable once stored
	pending map[string]*pendingRecord // by requestId; ditto
	// watchers wait for the decision on a request (RequestWatch); in memory only.
	watchers map[string][]chan Decision
}

// On-disk records. Field names follow the reference (src/infra/node-pairing.ts) except
// the token, of which only the hex SHA-256 is kept.
type nodeFields struct {
	DisplayName     string          `json:"displayName,omitempty"`
	Platform        string          `json:"platform,omitempty"`
	Version         string          `json:"version,omitempty"`
	DeviceFamily    string          `json:"deviceFamily,omitempty"`
	ModelIdentifier string          `json:"modelIdentifier,omitempty"`
	Caps            []string        `json:"caps,omitempty"`
	Commands        []string        `json:"commands,omitempty"`
	Permissions     map[string]bool `json:"permissions,omitempty"`
	RemoteIP        string          `json:"remoteIp,omitempty"`
}

type pendingRecord struct {
	RequestID string `json:"requestId"`
	NodeID    string `json:"nodeId"`
	nodeFields
	Silent   bool  `json:"silent,omitempty"`
	IsRepair bool  `json:"isRepair,omitempty"`
	Ts       int64 `json:"ts"`
	// source is the address key the request came from (RequestFrom), for the
	// per-source share; kept in memory only (a request reloaded from disk has none).
	source string
}

type pairedRecord struct {
	NodeID      string `json:"nodeId"`
	TokenSHA256 string `json:"tokenSha256"`
	nodeFields
	CreatedAtMs  int64 `json:"createdAtMs"`
	ApprovedAtMs int64 `json:"approvedAtMs"`
}

func (f nodeFields) clone() nodeFields {
	f.Caps = slices.Clone(f.Caps)
	f.Commands = slices.Clone(f.Commands)
	f.Permissions = maps.Clone(f.Permissions)
	return f
}

func (p *pairedRecord) clone() *pairedRecord {
	c := *p
	c.nodeFields = p.nodeFields.clone()
	return &c
}

// OpenStore opens (creating if needed) the store under o.StateDir/nodes. Existing
// files are loaded (expired requests dropped); a file that isn't valid store JSON is an
// error naming the file, never silently reset. Temp files left by a crash are removed.
func OpenStore(o StoreOptions) (*Store, error) {
	if o.StateDir == "" {
		return nil, fmt.Errorf("nodes: open store: no state dir")
	}
	s := &Store{
		dir:        nodesDir(o.StateDir),
		now:        o.Now,
		ttl:        o.PendingTTL,
		maxPending: o.MaxPending,
		maxPerSrc:  o.MaxPendingPerSource,
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
	if s.maxPerSrc <= 0 {
		s.maxPerSrc = DefaultMaxPendingPerSource
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

// Request creates or reuses the pending request for p.NodeID: if one is pending it is
// returned unchanged with created=false; otherwise a new one is stored (created=true;
// the caller broadcasts node.pair.requested). IsRepair tells the node is already
// paired. remoteIP is the socket's address; p.RemoteIP is ignored. Blank nodeId or
// oversized fields → INVALID_REQUEST; MaxPending live requests → UNAVAILABLE.
func (s *Store) Request(p protocol.NodePairRequestParams, remoteIP string) (req protocol.PendingNodeRequest, created bool, err error) {
	return s.RequestFrom(p, remoteIP, "")
}

// RequestFrom is Request for an unauthenticated requester (the bridge): source is the
// key of the address it came from (auth.AddrKey), and one source may hold at most
// MaxPendingPerSource live requests (UNAVAILABLE MsgTooManyPendingFromSource beyond).
// "" counts against no share.
func (s *Store) RequestFrom(p protocol.NodePairRequestParams, remoteIP, source string) (req protocol.PendingNodeRequest, created bool, err error) {
	nodeID := strings.TrimSpace(p.NodeID)
	if nodeID == "" {
		return req, false, invalid(MsgNodeIDRequired)
	}
	f := nodeFields{
		DisplayName:     trimPtr(p.DisplayName),
		Platform:        trimPtr(p.Platform),
		Version:         trimPtr(p.Version),
		DeviceFamily:    trimPtr(p.DeviceFamily),
		ModelIdentifier: trimPtr(p.ModelIdentifier),
		Caps:            normalizeList(p.Caps),
		Commands:        normalizeList(p.Commands),
		RemoteIP:        strings.TrimSpace(remoteIP),
	}
	if err := checkFields(nodeID, f); err != nil {
		return req, false, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	nowMs := s.now().UnixMilli()
	s.pending = prune(s.pending, nowMs, s.ttl)
	for _, r := range s.pending {
		if r.NodeID == nodeID {
			return toRequest(r), false, nil
		}
	}
	if source != "" {
		n := 0
		for _, r := range s.pending {
			if r.source == source {
				n++
			}
		}
		if n >= s.maxPerSrc {
			return req, false, &Error{Code: CodeUnavailable, Message: MsgTooManyPendingFromSource}
		}
	}
	if len(s.pending) >= s.maxPending {
		return req, false, &Error{Code: CodeUnavailable, Message: MsgTooManyPending}
	}
	r := &pendingRecord{
		RequestID:  token.UUID(),
		NodeID:     nodeID,
		nodeFields: f,
		Silent:     p.Silent != nil && *p.Silent,
		IsRepair:   s.paired[nodeID] != nil,
		Ts:         nowMs,
		source:     source,
	}
	pending := maps.Clone(s.pending)
	pending[r.RequestID] = r
	if err := s.commitLocked(nil, pending); err != nil {
		return req, false, err
	}
	s.log.Info("node pairing requested", "node", nodeID, "requestId", r.RequestID, "repair", r.IsRepair)
	return toRequest(r), true, nil
}

// List returns pending requests (expired ones pruned) newest first and paired nodes by
// approvedAtMs, newest first. Never any token material.
func (s *Store) List() protocol.NodePairListResult {
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
		return strings.Compare(a.NodeID, b.NodeID)
	})
	out := protocol.NodePairListResult{
		Pending: make([]protocol.PendingNodeRequest, 0, len(pend)),
		Paired:  make([]protocol.PairedNode, 0, len(pair)),
	}
	for _, r := range pend {
		out.Pending = append(out.Pending, toRequest(r))
	}
	for _, p := range pair {
		out.Paired = append(out.Paired, toPaired(p))
	}
	return out
}

// Approve pairs the request's node with a new token, returned here once (only its
// SHA-256 is stored; any previous token stops working). On re-pair createdAtMs is kept;
// approvedAtMs is now. The request's fields replace the record's, except empty ones.
// Unknown or expired id → INVALID_REQUEST "unknown requestId".
func (s *Store) Approve(requestID string) (node protocol.PairedNode, tok string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	nowMs := s.now().UnixMilli()
	s.pending = prune(s.pending, nowMs, s.ttl)
	r := s.pending[requestID]
	if r == nil {
		return node, "", invalid(MsgUnknownRequestID)
	}
	tok, hash := token.New()
	np := &pairedRecord{NodeID: r.NodeID, CreatedAtMs: nowMs}
	if old := s.paired[r.NodeID]; old != nil {
		np = old.clone()
	}
	np.TokenSHA256 = hash
	np.ApprovedAtMs = nowMs
	mergeFields(&np.nodeFields, r.nodeFields.clone())
	paired := maps.Clone(s.paired)
	paired[np.NodeID] = np
	pending := maps.Clone(s.pending)
	delete(pending, requestID)
	if err := s.commitLocked(paired, pending); err != nil {
		return node, "", err
	}
	s.notifyLocked(requestID, Decision{Approved: true, Token: tok})
	s.log.Info("node pairing approved", "node", np.NodeID, "requestId", requestID)
	return toPaired(np), tok, nil
}

// Reject drops a pending request and returns its node id. Unknown or expired id →
// INVALID_REQUEST "unknown requestId".
func (s *Store) Reject(requestID string) (nodeID string, err error) {
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
	s.notifyLocked(requestID, Decision{Approved: false})
	s.log.Info("node pairing rejected", "node", r.NodeID, "requestId", requestID)
	return r.NodeID, nil
}

// Verify reports whether token is the current token of the paired node nodeID, and
// returns the node if so. The comparison is constant-time on SHA-256 hashes.
func (s *Store) Verify(nodeID, tok string) (protocol.PairedNode, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.paired[strings.TrimSpace(nodeID)]
	if p == nil || tok == "" {
		return protocol.PairedNode{}, false
	}
	if !token.Matches(tok, p.TokenSHA256) {
		return protocol.PairedNode{}, false
	}
	return toPaired(p), true
}

// Rename sets a paired node's display name (trimmed). Blank → INVALID_REQUEST
// "displayName required"; not paired → INVALID_REQUEST "unknown nodeId".
func (s *Store) Rename(nodeID, displayName string) (protocol.NodeRenameResult, error) {
	nodeID = strings.TrimSpace(nodeID)
	displayName = strings.TrimSpace(displayName)
	if nodeID == "" {
		return protocol.NodeRenameResult{}, invalid(MsgNodeIDRequired)
	}
	if displayName == "" {
		return protocol.NodeRenameResult{}, invalid(MsgDisplayNameRequired)
	}
	if utf8.RuneCountInString(displayName) > MaxFieldLen {
		return protocol.NodeRenameResult{}, invalid("displayName" + msgTooLongSuffix)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.paired[nodeID]
	if p == nil {
		return protocol.NodeRenameResult{}, invalid(MsgUnknownNodeID)
	}
	if p.DisplayName != displayName {
		np := p.clone()
		np.DisplayName = displayName
		paired := maps.Clone(s.paired)
		paired[nodeID] = np
		if err := s.commitLocked(paired, nil); err != nil {
			return protocol.NodeRenameResult{}, err
		}
	}
	return protocol.NodeRenameResult{NodeID: nodeID, DisplayName: displayName}, nil
}

// Paired returns the paired record of a node.
func (s *Store) Paired(nodeID string) (protocol.PairedNode, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.paired[nodeID]
	if p == nil {
		return protocol.PairedNode{}, false
	}
	return toPaired(p), true
}

// UpdateFromHello refreshes a paired node's record from an authenticated bridge hello
// and persists it: platform, version, deviceFamily, modelIdentifier and remoteIp are
// replaced when given; caps and commands when non-empty; permissions are merged (hello
// wins); displayName only fills an empty one (an operator's rename stands). Not
// paired → INVALID_REQUEST "unknown nodeId"; oversized fields → INVALID_REQUEST. On a
// failed write the record is unchanged.
func (s *Store) UpdateFromHello(nodeID string, info NodeInfo) error {
	nodeID = strings.TrimSpace(nodeID)
	f := nodeFields{
		DisplayName:     strings.TrimSpace(info.DisplayName),
		Platform:        strings.TrimSpace(info.Platform),
		Version:         strings.TrimSpace(info.Version),
		DeviceFamily:    strings.TrimSpace(info.DeviceFamily),
		ModelIdentifier: strings.TrimSpace(info.ModelIdentifier),
		RemoteIP:        strings.TrimSpace(info.RemoteIP),
		Caps:            normalizeList(info.Caps),
		Commands:        normalizeList(info.Commands),
		Permissions:     maps.Clone(info.Permissions),
	}
	if nodeID == "" {
		return invalid(MsgNodeIDRequired)
	}
	if err := checkFields(nodeID, f); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.paired[nodeID]
	if p == nil {
		return invalid(MsgUnknownNodeID)
	}
	np := p.clone()
	if np.DisplayName != "" {
		f.DisplayName = ""
	}
	mergeFields(&np.nodeFields, f)
	if len(f.Permissions) > 0 {
		perms := maps.Clone(p.Permissions)
		if perms == nil {
			perms = map[string]bool{}
		}
		maps.Copy(perms, f.Permissions)
		if len(perms) > MaxListLen {
			return invalid("permissions" + msgTooManyEntriesSuffix)
		}
		np.Permissions = perms
	}
	if sameFields(p.nodeFields, np.nodeFields) {
		return nil
	}
	paired := maps.Clone(s.paired)
	paired[nodeID] = np
	return s.commitLocked(paired, nil)
}

// commitLocked writes the given maps (nil = unchanged), paired first, and installs
// each in memory only once it is on disk. Paired first: a crash in between leaves an
// approved request pending, which a later approval or its expiry resolves harmlessly.
func (s *Store) commitLocked(paired map[string]*pairedRecord, pending map[string]*pendingRecord) error {
	return pairFiles(s.dir).Commit(paired, pending,
		func(m map[string]*pairedRecord) { s.paired = m },
		func(m map[string]*pendingRecord) { s.pending = m })
}

// mergeFields copies the non-empty fields of src over dst (permissions replaced
// wholesale when src has any).
func mergeFields(dst *nodeFields, src nodeFields) {
	setIf(&dst.DisplayName, src.DisplayName)
	setIf(&dst.Platform, src.Platform)
	setIf(&dst.Version, src.Version)
	setIf(&dst.DeviceFamily, src.DeviceFamily)
	setIf(&dst.ModelIdentifier, src.ModelIdentifier)
	setIf(&dst.RemoteIP, src.RemoteIP)
	if len(src.Caps) > 0 {
		dst.Caps = src.Caps
	}
	if len(src.Commands) > 0 {
		dst.Commands = src.Commands
	}
	if len(src.Permissions) > 0 {
		dst.Permissions = src.Permissions
	}
}

func sameFields(a, b nodeFields) bool {
	return a.DisplayName == b.DisplayName && a.Platform == b.Platform && a.Version == b.Version &&
		a.DeviceFamily == b.DeviceFamily && a.ModelIdentifier == b.ModelIdentifier &&
		a.RemoteIP == b.RemoteIP && slices.Equal(a.Caps, b.Caps) &&
		slices.Equal(a.Commands, b.Commands) && maps.Equal(a.Permissions, b.Permissions)
}

// checkFields bounds every string to MaxFieldLen characters and every list to
// MaxListLen entries.
func checkFields(nodeID string, f nodeFields) error {
	for _, c := range []struct{ name, v string }{
		{"nodeId", nodeID},
		{"displayName", f.DisplayName},
		{"platform", f.Platform},
		{"version", f.Version},
		{"deviceFamily", f.DeviceFamily},
		{"modelIdentifier", f.ModelIdentifier},
		{"remoteIp", f.RemoteIP},
	} {
		if utf8.RuneCountInString(c.v) > MaxFieldLen {
			return invalid(c.name + msgTooLongSuffix)
		}
	}
	for _, c := range []struct {
		name string
		v    []string
	}{{"caps", f.Caps}, {"commands", f.Commands}, {"permissions", slices.Collect(maps.Keys(f.Permissions))}} {
		if len(c.v) > MaxListLen {
			return invalid(c.name + msgTooManyEntriesSuffix)
		}
		for _, v := range c.v {
			if utf8.RuneCountInString(v) > MaxFieldLen {
				return invalid(c.name + " entry" + msgTooLongSuffix)
			}
		}
	}
	return nil
}

// normalizeList trims, drops empties and duplicates, keeping order; nil if empty.
func normalizeList(in []string) []string {
	var out []string
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

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

func toRequest(r *pendingRecord) protocol.PendingNodeRequest {
	f := r.nodeFields.clone()
	isRepair := r.IsRepair
	var silent *bool
	if r.Silent {
		t := true
		silent = &t
	}
	return protocol.PendingNodeRequest{
		Caps:            f.Caps,
		Commands:        f.Commands,
		DeviceFamily:    wire.Opt(f.DeviceFamily),
		DisplayName:     wire.Opt(f.DisplayName),
		IsRepair:        &isRepair,
		ModelIdentifier: wire.Opt(f.ModelIdentifier),
		NodeID:          r.NodeID,
		Permissions:     f.Permissions,
		Platform:        wire.Opt(f.Platform),
		RemoteIP:        wire.Opt(f.RemoteIP),
		RequestID:       r.RequestID,
		Silent:          silent,
		Ts:              r.Ts,
		Version:         wire.Opt(f.Version),
	}
}

func toPaired(p *pairedRecord) protocol.PairedNode {
	f := p.nodeFields.clone()
	return protocol.PairedNode{
		ApprovedAtMs:    p.ApprovedAtMs,
		Caps:            f.Caps,
		Commands:        f.Commands,
		CreatedAtMs:     p.CreatedAtMs,
		DeviceFamily:    wire.Opt(f.DeviceFamily),
		DisplayName:     wire.Opt(f.DisplayName),
		ModelIdentifier: wire.Opt(f.ModelIdentifier),
		NodeID:          p.NodeID,
		Permissions:     f.Permissions,
		Platform:        wire.Opt(f.Platform),
		RemoteIP:        wire.Opt(f.RemoteIP),
		Version:         wire.Opt(f.Version),
	}
}

func trimPtr(p *string) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(*p)
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

// Decision is the outcome of a pairing request, handed to a node that waits for it
// (the bridge's pair-request): on approval it carries the new token in clear — the
// only other place, besides Approve's result, where it exists.
type Decision struct {
	Approved bool
	Token    string
}

// RequestWatch is RequestFrom plus a channel that receives the request's decision (once,
// then it is closed). The watch is registered under the same lock as the request, so
// no decision can slip in between. cancel stops watching (call it when done).
func (s *Store) RequestWatch(p protocol.NodePairRequestParams, remoteIP, source string) (req protocol.PendingNodeRequest, created bool, ch <-chan Decision, cancel func(), err error) {
	req, created, err = s.RequestFrom(p, remoteIP, source)
	if err != nil {
		return req, created, nil, func() {}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := make(chan Decision, 1)
	if s.pending[req.RequestID] == nil {
		// Decided between Request and here (the lock was released): report what the
		// store knows — without the token, which only the decision carried.
		close(c)
		return req, created, c, func() {}, nil
	}
	if s.watchers == nil {
		s.watchers = map[string][]chan Decision{}
	}
	s.watchers[req.RequestID] = append(s.watchers[req.RequestID], c)
	cancel = func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		ws := s.watchers[req.RequestID]
		if i := slices.Index(ws, c); i >= 0 {
			ws = slices.Delete(ws, i, i+1)
			if len(ws) == 0 {
				delete(s.watchers, req.RequestID)
			} else {
				s.watchers[req.RequestID] = ws
			}
		}
	}
	return req, created, c, cancel, nil
}

// notifyLocked hands a decision to the request's watchers.
func (s *Store) notifyLocked(requestID string, d Decision) {
	for _, c := range s.watchers[requestID] {
		c <- d
		close(c)
	}
	delete(s.watchers, requestID)
}
