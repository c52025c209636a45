// Package presence owns the gateway's presence list: who is connected or has beaconed
// recently, keyed by a lower-cased, trimmed key (protocol reference §5).
//
// The Store is the single owner of that state. Rows expire 5 minutes after their last
// update and the list is capped (200 rows by default; past it expired rows go first,
// then the least recently written ones, which is oldest-ts-first unless the clock
// steps backwards). The
// gateway's own row (the "self" row) never expires: its ts is refreshed on every List.
// Every change bumps a version counter that starts at 1 and only grows; it is the
// presence half of stateVersion (§4.1).
//
// Pruning is deterministic rather than lazy in the reference's sense: a row whose ts is
// older than the TTL is treated as absent by every method, whether or not a List has
// happened since it expired.
package presence

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/tools/protogen/runtime/wire"
)

// Defaults of Options.
const (
	DefaultTTL        = 5 * time.Minute
	DefaultMaxEntries = 200
)

// Clock returns the current time; tests inject a fake one.
type Clock func() time.Time

// Options configure a Store. Zero values take the defaults.
type Options struct {
	TTL        time.Duration // rows older than this (by ts) are dropped; default 5m
	MaxEntries int           // cap on rows including the self row (the row just written is always kept); default 200
	Now        Clock         // default time.Now
	Self       SelfInfo      // the gateway's own row; zero value → DefaultSelf("unknown")
}

// Update is one upsert. Key is required (trimmed and lower-cased by the store). Nil
// fields leave the stored value alone; a pointer to "" clears the field (so entries never
// carry empty strings, which the PresenceEntry schema forbids). A nil slice leaves
// Roles/Scopes alone, a non-nil one replaces them (an empty one clears them).
// A negative LastInputSeconds is ignored (the schema requires int ≥ 0).
type Update struct {
	Key              string
	Host             *string
	IP               *string
	Version          *string
	Platform         *string
	DeviceFamily     *string
	ModelIdentifier  *string
	Mode             *string
	Reason           *string
	Text             *string
	InstanceID       *string
	DeviceID         *string
	LastInputSeconds *int64
	Roles            []string
	Scopes           []string
}

// row is one stored entry. The strings the entry's pointers point at are never written
// after being stored (a merge allocates new ones), and the slices are private copies.
// Every row but the self row is linked into the store's update-order list.
type row struct {
	key        string
	e          protocol.PresenceEntry
	enc        []byte // e encoded as JSON; nil after a change (rebuilt on the next encode)
	prev, next *row
}

// Store is the presence list. It is safe for concurrent use.
type Store struct {
	ttlMs   int64
	max     int
	now     Clock
	self    SelfInfo
	selfKey string

	mu      sync.Mutex
	rows    map[string]*row // every row, the self row included
	order   row             // sentinel of the update-order list: order.next is the least recently written row
	version int64
}

// New returns a store holding only the self row, at version 1.
func New(o Options) *Store {
	if o.TTL <= 0 {
		o.TTL = DefaultTTL
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Self == (SelfInfo{}) {
		o.Self = DefaultSelf("")
	}
	if NormalizeKey(o.Self.Host) == "" {
		o.Self.Host = "localhost"
	}
	if o.Self.Version == "" {
		o.Self.Version = "unknown"
	}
	s := &Store{
		ttlMs:   o.TTL.Milliseconds(),
		max:     o.MaxEntries,
		now:     o.Now,
		self:    o.Self,
		selfKey: NormalizeKey(o.Self.Host),
		rows:    make(map[string]*row, 16),
		version: 1,
	}
	s.order.next, s.order.prev = &s.order, &s.order
	s.mu.Lock()
	s.seedSelfLocked(s.now().UnixMilli())
	s.mu.Unlock()
	return s
}

// NormalizeKey is the store's key form: trimmed and lower-cased.
func NormalizeKey(key string) string {
	return strings.ToLower(strings.TrimSpace(key))
}

// SelfKey is the key of the gateway's own row (its lower-cased host name).
func (s *Store) SelfKey() string { return s.selfKey }

// SelfText is the text of a freshly seeded self row:
// "Gateway: <host> (<ip>) · app <version> · mode gateway · reason self".
func SelfText(self SelfInfo) string {
	var b strings.Builder
	b.WriteString("Gateway: ")
	b.WriteString(self.Host)
	if self.IP != "" {
		b.WriteString(" (")
		b.WriteString(self.IP)
		b.WriteString(")")
	}
	b.WriteString(" · app ")
	b.WriteString(self.Version)
	b.WriteString(" · mode gateway · reason self")
	return b.String()
}

func (s *Store) seedSelfLocked(now int64) {
	e := protocol.PresenceEntry{
		Host:            wire.Opt(s.self.Host),
		IP:              wire.Opt(s.self.IP),
		Version:         wire.Opt(s.self.Version),
		Platform:        wire.Opt(s.self.Platform),
		DeviceFamily:    wire.Opt(s.self.DeviceFamily),
		ModelIdentifier: wire.Opt(s.self.ModelIdentifier),
		Mode:            wire.Opt("gateway"),
		Reason:          wire.Opt("self"),
		Text:            wire.Opt(SelfText(s.self)),
		Ts:              now,
	}
	s.rows[s.selfKey] = &row{key: s.selfKey, e: e}
}

// touchLocked moves r to the newest end of the update-order list (the self row is
// never linked).
func (s *Store) touchLocked(r *row) {
	r.enc = nil // every change of a row passes here
	if r.key == s.selfKey {
		return
	}
	if r.next != nil {
		r.prev.next, r.next.prev = r.next, r.prev
	}
	last := s.order.prev
	r.prev, r.next = last, &s.order
	last.next, s.order.prev = r, r
}

// deleteLocked removes r from the map and the list.
func (s *Store) deleteLocked(r *row) {
	delete(s.rows, r.key)
	if r.next != nil {
		r.prev.next, r.next.prev = r.next, r.prev
		r.prev, r.next = nil, nil
	}
}

// expired reports whether r is past the TTL at now. The self row never expires.
func (s *Store) expired(key string, r *row, now int64) bool {
	return key != s.selfKey && now-r.e.Ts > s.ttlMs
}

// Upsert merges u onto the row at u.Key (creating it), stamps ts with the clock, bumps
// the version and, beyond MaxEntries, drops expired rows and then the least recently
// written ones (never the self row, never the row just written; with a clock that does
// not go backwards that is the oldest ts first). When the merged row has no text it gets
// "Node: <host> · mode <mode>" ("unknown" for missing parts). An expired row is
// replaced rather than merged onto. A blank key changes nothing and returns the
// current version.
func (s *Store) Upsert(u Update) (version int64) {
	key := NormalizeKey(u.Key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if key == "" {
		return s.version
	}
	s.upsertLocked(key, &u, s.now().UnixMilli())
	return s.version
}

// upsertLocked does Upsert's work and returns the row's entry before the merge (nil
// when the row is new) and the stored row.
func (s *Store) upsertLocked(key string, u *Update, now int64) (prev *protocol.PresenceEntry, r *row) {
	r = s.rows[key]
	switch {
	case r == nil:
		r = &row{key: key}
		s.rows[key] = r
	case s.expired(key, r, now):
		r.e = protocol.PresenceEntry{}
	default:
		p := r.e // shallow copy: the pointed-to values are immutable
		prev = &p
	}
	e := &r.e
	mergeStr(&e.Host, u.Host)
	mergeStr(&e.IP, u.IP)
	mergeStr(&e.Version, u.Version)
	mergeStr(&e.Platform, u.Platform)
	mergeStr(&e.DeviceFamily, u.DeviceFamily)
	mergeStr(&e.ModelIdentifier, u.ModelIdentifier)
	mergeStr(&e.Mode, u.Mode)
	mergeStr(&e.Reason, u.Reason)
	mergeStr(&e.Text, u.Text)
	mergeStr(&e.InstanceID, u.InstanceID)
	mergeStr(&e.DeviceID, u.DeviceID)
	if u.LastInputSeconds != nil && *u.LastInputSeconds >= 0 {
		v := *u.LastInputSeconds
		e.LastInputSeconds = &v
	}
	if u.Roles != nil {
		e.Roles = cloneNonEmpty(u.Roles)
	}
	if u.Scopes != nil {
		e.Scopes = cloneNonEmpty(u.Scopes)
	}
	if e.Text == nil {
		t := "Node: " + orUnknown(e.Host) + " · mode " + orUnknown(e.Mode)
		e.Text = &t
	}
	e.Ts = now
	s.touchLocked(r)
	s.version++
	if len(s.rows) > s.max {
		s.evictLocked(r, now)
	}
	return prev, r
}

func mergeStr(dst **string, src *string) {
	if src == nil {
		return
	}
	if *src == "" {
		*dst = nil
		return
	}
	v := *src
	*dst = &v
}

func cloneNonEmpty(v []string) []string {
	if len(v) == 0 {
		return nil
	}
	return slices.Clone(v)
}

func orUnknown(p *string) string {
	if p == nil {
		return "unknown"
	}
	return *p
}

// MarkDisconnected sets reason "disconnect" and a fresh ts on the row at key, which is
// kept until the TTL runs out, and bumps the version. ok is false (and nothing changes)
// when there is no live row at key.
func (s *Store) MarkDisconnected(key string) (version int64, ok bool) {
	key = NormalizeKey(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now().UnixMilli()
	r := s.rows[key]
	if r == nil || s.expired(key, r, now) {
		return s.version, false
	}
	reason := "disconnect"
	r.e.Reason = &reason
	r.e.Ts = now
	s.touchLocked(r)
	s.version++
	return s.version, true
}

// evictLocked brings the store back to at most max rows: from the least recently
// written end it drops expired rows, then any rows, sparing keep (the self row is not
// in the list).
func (s *Store) evictLocked(keep *row, now int64) {
	for r := s.order.next; r != &s.order && len(s.rows) > s.max; {
		next := r.next
		if r != keep && s.expired(r.key, r, now) {
			s.deleteLocked(r)
		}
		r = next
	}
	for r := s.order.next; r != &s.order && len(s.rows) > s.max; {
		next := r.next
		if r != keep {
			s.deleteLocked(r)
		}
		r = next
	}
}

// List prunes expired rows, refreshes the self row's ts (re-seeding it if it is
// missing) and returns deep copies of every row, newest first (ts descending, then key
// ascending). It does not change the version.
func (s *Store) List() []protocol.PresenceEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	sorted := s.sortedLocked()
	out := make([]protocol.PresenceEntry, len(sorted))
	backing := make([]entryBacking, len(sorted)) // one allocation for every string/int the copies point at
	for i, r := range sorted {
		out[i] = copyEntry(&r.e, &backing[i])
	}
	return out
}

// AppendJSON appends the list List would return, encoded as a JSON array, and returns
// the version it belongs to. It is the hot path of every hello-ok snapshot and presence
// broadcast: each row keeps its own encoding until it changes, so the cost is a sort of
// mostly sorted rows plus one copy of the bytes — not a deep copy and an encode of up to
// MaxEntries rows per call.
func (s *Store) AppendJSON(b []byte) ([]byte, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sorted := s.sortedLocked()
	b = append(b, '[')
	for i, r := range sorted {
		if i > 0 {
			b = append(b, ',')
		}
		if r.key == s.selfKey {
			b = r.e.AppendJSON(b) // its ts is new on every read
			continue
		}
		if r.enc == nil {
			r.enc = r.e.AppendJSON(nil)
		}
		b = append(b, r.enc...)
	}
	return append(b, ']'), s.version
}

// sortedLocked prunes expired rows, refreshes (or re-seeds) the self row and returns
// the rows newest first (ts descending, then key ascending).
func (s *Store) sortedLocked() []*row {
	now := s.now().UnixMilli()
	self := s.rows[s.selfKey]
	if self == nil {
		s.seedSelfLocked(now)
		self = s.rows[s.selfKey]
	}
	self.e.Ts = now
	sorted := make([]*row, 0, len(s.rows))
	sorted = append(sorted, self)
	// Newest first along the update-order list, so the sort below has little to do.
	for r := s.order.prev; r != &s.order; {
		prev := r.prev
		if s.expired(r.key, r, now) {
			s.deleteLocked(r)
		} else {
			sorted = append(sorted, r)
		}
		r = prev
	}
	slices.SortFunc(sorted, func(a, b *row) int {
		if a.e.Ts != b.e.Ts {
			if a.e.Ts > b.e.Ts {
				return -1
			}
			return 1
		}
		return strings.Compare(a.key, b.key)
	})
	return sorted
}

// entryBacking holds the values a copied entry's pointers point at.
type entryBacking struct {
	s         [11]string
	lastInput int64
}

// copyEntry deep-copies e; the copy's pointers point into b.
func copyEntry(e *protocol.PresenceEntry, b *entryBacking) protocol.PresenceEntry {
	c := protocol.PresenceEntry{Ts: e.Ts}
	i := 0
	cp := func(src *string) *string {
		if src == nil {
			return nil
		}
		b.s[i] = *src
		p := &b.s[i]
		i++
		return p
	}
	c.DeviceFamily = cp(e.DeviceFamily)
	c.DeviceID = cp(e.DeviceID)
	c.Host = cp(e.Host)
	c.InstanceID = cp(e.InstanceID)
	c.IP = cp(e.IP)
	c.Mode = cp(e.Mode)
	c.ModelIdentifier = cp(e.ModelIdentifier)
	c.Platform = cp(e.Platform)
	c.Reason = cp(e.Reason)
	c.Text = cp(e.Text)
	c.Version = cp(e.Version)
	if e.LastInputSeconds != nil {
		b.lastInput = *e.LastInputSeconds
		c.LastInputSeconds = &b.lastInput
	}
	c.Roles = slices.Clone(e.Roles)
	c.Scopes = slices.Clone(e.Scopes)
	c.Tags = slices.Clone(e.Tags)
	return c
}

// Get returns a deep copy of the live row at key.
func (s *Store) Get(key string) (protocol.PresenceEntry, bool) {
	key = NormalizeKey(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rows[key]
	if r == nil || s.expired(key, r, s.now().UnixMilli()) {
		return protocol.PresenceEntry{}, false
	}
	return copyEntry(&r.e, new(entryBacking)), true
}

// Version is the presence half of stateVersion: 1 at start, +1 per change.
func (s *Store) Version() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version
}

// Len is the number of live rows, the self row included.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now().UnixMilli()
	n := 0
	for k, r := range s.rows {
		if !s.expired(k, r, now) {
			n++
		}
	}
	if _, ok := s.rows[s.selfKey]; !ok {
		n++ // List would re-seed it
	}
	return n
}
