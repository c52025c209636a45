// Package authprofiles is the agents' credential store: the original's
// auth-profiles.json in each agent directory (<state>/agents/<id>/agent, or
// agents.list[].agentDir), read in place so a user's keys, tokens and OAuth logins
// carry over, plus the bookkeeping the original keeps in the same file to rotate
// through a provider's profiles (lastUsed round robin, cooldowns after failures,
// longer disables after billing errors, the last good profile per provider).
//
// Why the file is edited as a raw JSON object: the original writes credential shapes
// (OAuth fields, client ids) this gateway does not use; an update replaces only the
// usage statistics and lastGood members and keeps every other byte of meaning, so the
// original can go on using the file.
package authprofiles

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/clawgate/gateway/server/statefile"
)

// FileName is the store's file in an agent directory (the original's name).
const FileName = "auth-profiles.json"

// StoreVersion is the version the original writes.
const StoreVersion = 1

// Credential types (the stored "type" and auth.profiles.*.mode).
const (
	TypeAPIKey = "api_key"
	TypeToken  = "token"
	TypeOAuth  = "oauth"
)

// Failure reasons, as the original records them in usageStats.failureCounts.
const (
	ReasonAuth      = "auth"
	ReasonFormat    = "format"
	ReasonRateLimit = "rate_limit"
	ReasonBilling   = "billing"
	ReasonTimeout   = "timeout"
	ReasonUnknown   = "unknown"
)

// Cooldown defaults and bounds (the original's): a failed profile waits 1 min, 5 min,
// 25 min, then an hour; a billing failure disables it for billingBackoffHours doubling
// per billing failure up to billingMaxHours; counts reset after failureWindowHours
// without a failure.
const (
	DefaultBillingBackoffHours = 5
	DefaultBillingMaxHours     = 24
	DefaultFailureWindowHours  = 24
	cooldownBase               = time.Minute
	cooldownMax                = time.Hour
	minBillingBackoff          = time.Minute
	maxBillingDoublings        = 10
)

// Credential is one stored profile: what the gateway needs of it.
type Credential struct {
	Type     string `json:"type"`
	Provider string `json:"provider"`
	Key      string `json:"key,omitempty"`
	Token    string `json:"token,omitempty"`
	Access   string `json:"access,omitempty"`
	Refresh  string `json:"refresh,omitempty"`
	// Expires is milliseconds since the epoch (token, oauth); 0 = none.
	Expires float64 `json:"expires,omitempty"`
	Email   string  `json:"email,omitempty"`
}

// UsageStats is a profile's rotation state (usageStats.<id>), times in ms since the epoch.
type UsageStats struct {
	LastUsed       int64          `json:"lastUsed,omitempty"`
	CooldownUntil  int64          `json:"cooldownUntil,omitempty"`
	DisabledUntil  int64          `json:"disabledUntil,omitempty"`
	DisabledReason string         `json:"disabledReason,omitempty"`
	ErrorCount     int            `json:"errorCount,omitempty"`
	FailureCounts  map[string]int `json:"failureCounts,omitempty"`
	LastFailureAt  int64          `json:"lastFailureAt,omitempty"`
}

// unusableUntil is the later of the cooldown and the disable (0 = usable).
func (u UsageStats) unusableUntil() int64 { return max(u.CooldownUntil, u.DisabledUntil, 0) }

// Snapshot is the decoded store: the agent's file over the main agent's.
type Snapshot struct {
	Profiles   map[string]Credential
	Order      map[string][]string
	LastGood   map[string]string
	UsageStats map[string]UsageStats
}

// ProfileConfig is auth.profiles.<id>: which provider and mode a profile must have.
type ProfileConfig struct {
	Provider, Mode, Email string
}

// Config is the config file's auth section.
type Config struct {
	Profiles map[string]ProfileConfig
	Order    map[string][]string
	// Cooldown hours (0 = the default); ByProvider overrides BillingBackoffHours.
	BillingBackoffHours           float64
	BillingBackoffHoursByProvider map[string]float64
	BillingMaxHours               float64
	FailureWindowHours            float64
}

// NormalizeProvider canonicalises provider ids as the model registry does (set by
// the caller so both agree).
type NormalizeProvider func(string) string

// Store is one agent's credential store. Reads go to the file each time it changed
// (the original's CLI may edit it while the gateway runs); updates read, change and
// write it under the store's lock.
type Store struct {
	path     string
	mainPath string // the main agent's file, merged under this one ("" = this is main)
	cfg      Config
	norm     NormalizeProvider
	now      func() time.Time
	log      *slog.Logger

	mu     sync.Mutex
	cached *Snapshot
	stamp  fileStamp
}

type fileStamp struct {
	own, main stampOf
}

type stampOf struct {
	mod  time.Time
	size int64
	ok   bool
}

// Options configure a Store.
type Options struct {
	// Dir is the agent directory; MainDir the main agent's ("" or equal = main).
	Dir, MainDir string
	Config       Config
	Normalize    NormalizeProvider
	Now          func() time.Time
	Logger       *slog.Logger
}

// Open returns the store of an agent directory (the file need not exist).
func Open(o Options) *Store {
	s := &Store{path: filepath.Join(o.Dir, FileName), cfg: o.Config, norm: o.Normalize, now: o.Now, log: o.Logger}
	if o.MainDir != "" && filepath.Clean(o.MainDir) != filepath.Clean(o.Dir) {
		s.mainPath = filepath.Join(o.MainDir, FileName)
	}
	if s.norm == nil {
		s.norm = func(p string) string { return strings.ToLower(strings.TrimSpace(p)) }
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}

// Path is the store's file.
func (s *Store) Path() string { return s.path }

func stat(path string) stampOf {
	fi, err := os.Stat(path)
	if err != nil {
		return stampOf{}
	}
	return stampOf{mod: fi.ModTime(), size: fi.Size(), ok: true}
}

// Snapshot returns the store as it is on disk now.
func (s *Store) Snapshot() *Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snapshotLocked()
}

func (s *Store) snapshotLocked() *Snapshot {
	st := fileStamp{own: stat(s.path)}
	if s.mainPath != "" {
		st.main = stat(s.mainPath)
	}
	if s.cached != nil && st == s.stamp {
		return s.cached
	}
	snap := &Snapshot{Profiles: map[string]Credential{}, Order: map[string][]string{}, LastGood: map[string]string{}, UsageStats: map[string]UsageStats{}}
	if s.mainPath != "" {
		s.merge(snap, s.mainPath)
	}
	s.merge(snap, s.path)
	s.cached, s.stamp = snap, st
	return snap
}

// readRaw reads a store file as a JSON object (nil when absent or not a store).
func readRaw(path string) (map[string]json.RawMessage, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return raw, nil
}

// merge lays the file's members over snap; members that do not decode are skipped
// (as the original skips malformed entries).
func (s *Store) merge(snap *Snapshot, path string) {
	raw, err := readRaw(path)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			s.log.Warn("auth profiles: unreadable store; ignored", "path", path, "err", err)
		}
		return
	}
	if _, ok := raw["profiles"]; !ok {
		return // not a store (the legacy auth.json shape is not read)
	}
	var profiles map[string]json.RawMessage
	_ = json.Unmarshal(raw["profiles"], &profiles)
	for id, p := range profiles {
		var c Credential
		if json.Unmarshal(p, &c) != nil || c.Provider == "" {
			continue
		}
		switch c.Type {
		case TypeAPIKey, TypeToken, TypeOAuth:
			snap.Profiles[id] = c
		}
	}
	var order map[string][]any
	_ = json.Unmarshal(raw["order"], &order)
	for prov, list := range order {
		var ids []string
		for _, v := range list {
			if id, ok := v.(string); ok && strings.TrimSpace(id) != "" {
				ids = append(ids, strings.TrimSpace(id))
			}
		}
		if len(ids) > 0 {
			snap.Order[prov] = ids
		}
	}
	var lastGood map[string]string
	_ = json.Unmarshal(raw["lastGood"], &lastGood)
	for k, v := range lastGood {
		snap.LastGood[k] = v
	}
	var usage map[string]json.RawMessage
	_ = json.Unmarshal(raw["usageStats"], &usage)
	for id, u := range usage {
		var st UsageStats
		if json.Unmarshal(u, &st) == nil {
			snap.UsageStats[id] = st
		}
	}
}

// nowMs is the store clock in ms.
func (s *Store) nowMs() int64 { return s.now().UnixMilli() }

// InCooldown reports whether a profile is cooling down or disabled now.
func (s *Store) InCooldown(profileID string) bool {
	snap := s.Snapshot()
	u := snap.UsageStats[profileID].unusableUntil()
	return u > 0 && s.nowMs() < u
}

// lookupByProvider finds the entry of m whose key normalises to provider.
func lookupByProvider[V any](m map[string]V, norm NormalizeProvider, provider string) (V, bool) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic when two keys normalise alike
	for _, k := range keys {
		if norm(k) == provider {
			return m[k], true
		}
	}
	var zero V
	return zero, false
}

// Order returns the profiles to try for provider, best first, as the original orders
// them: the store's own order for the provider, else auth.order, else the profiles
// auth.profiles names for it, else every stored profile of it; only usable
// credentials (matching the configured provider and mode, not expired) are kept. An
// explicit order is kept as written; otherwise OAuth before tokens before API keys,
// least recently used first. Profiles in cooldown go last, soonest usable first, and
// preferred, when it is a candidate, goes first.
func (s *Store) Order(provider, preferred string) []string {
	snap := s.Snapshot()
	prov := s.norm(provider)
	now := s.nowMs()
	explicit, hasExplicit := lookupByProvider(snap.Order, s.norm, prov)
	if !hasExplicit {
		explicit, hasExplicit = lookupByProvider(s.cfg.Order, s.norm, prov)
	}
	var base []string
	switch {
	case hasExplicit:
		base = explicit
	default:
		for id, pc := range s.cfg.Profiles {
			if s.norm(pc.Provider) == prov {
				base = append(base, id)
			}
		}
		if len(base) == 0 {
			for id, c := range snap.Profiles {
				if s.norm(c.Provider) == prov {
					base = append(base, id)
				}
			}
		}
		sort.Strings(base) // map order is random; the sort below decides
	}
	var kept []string
	for _, id := range base {
		if slices.Contains(kept, id) {
			continue
		}
		if _, ok := s.credential(snap, id, prov, now); ok {
			kept = append(kept, id)
		}
	}
	var avail, cooling []string
	for _, id := range kept {
		if u := snap.UsageStats[id].unusableUntil(); u > 0 && now < u {
			cooling = append(cooling, id)
		} else {
			avail = append(avail, id)
		}
	}
	if !hasExplicit || len(explicit) == 0 {
		rank := func(id string) int {
			switch snap.Profiles[id].Type {
			case TypeOAuth:
				return 0
			case TypeToken:
				return 1
			default:
				return 2
			}
		}
		sort.SliceStable(avail, func(i, j int) bool {
			a, b := avail[i], avail[j]
			if ra, rb := rank(a), rank(b); ra != rb {
				return ra < rb
			}
			return snap.UsageStats[a].LastUsed < snap.UsageStats[b].LastUsed
		})
	}
	sort.SliceStable(cooling, func(i, j int) bool {
		return snap.UsageStats[cooling[i]].unusableUntil() < snap.UsageStats[cooling[j]].unusableUntil()
	})
	out := append(avail, cooling...)
	if preferred != "" && slices.Contains(out, preferred) {
		out = append([]string{preferred}, slices.DeleteFunc(out, func(id string) bool { return id == preferred })...)
	}
	return out
}

// credential returns the secret a profile authenticates with, if it is usable for
// provider: the configured provider and mode match (a configured oauth mode accepts a
// stored token), the secret is set and not expired.
func (s *Store) credential(snap *Snapshot, id, prov string, now int64) (string, bool) {
	c, ok := snap.Profiles[id]
	if !ok || s.norm(c.Provider) != prov {
		return "", false
	}
	if pc, ok := s.cfg.Profiles[id]; ok {
		if s.norm(pc.Provider) != prov {
			return "", false
		}
		if pc.Mode != c.Type && !(pc.Mode == TypeOAuth && c.Type == TypeToken) {
			return "", false
		}
	}
	expired := c.Expires > 0 && !math.IsInf(c.Expires, 0) && float64(now) >= c.Expires
	switch c.Type {
	case TypeAPIKey:
		k := strings.TrimSpace(c.Key)
		return k, k != ""
	case TypeToken:
		t := strings.TrimSpace(c.Token)
		return t, t != "" && !expired
	case TypeOAuth:
		// Refreshing an expired login is the original's CLI's job; until it has, the
		// profile is skipped.
		a := strings.TrimSpace(c.Access)
		return a, a != "" && !expired
	}
	return "", false
}

// Credential returns a profile's secret for provider (ok=false: unusable).
func (s *Store) Credential(provider, profileID string) (string, bool) {
	snap := s.Snapshot()
	return s.credential(snap, profileID, s.norm(provider), s.nowMs())
}

// Profile returns a stored profile.
func (s *Store) Profile(id string) (Credential, bool) {
	c, ok := s.Snapshot().Profiles[id]
	return c, ok
}

// MarkUsed records a successful request with the profile: lastUsed now, failure
// state cleared, and the profile as the provider's last good one.
func (s *Store) MarkUsed(provider, profileID string) error {
	return s.update(func(snap *Snapshot, usage map[string]UsageStats, lastGood map[string]string) bool {
		c, ok := snap.Profiles[profileID]
		if !ok {
			return false
		}
		st := usage[profileID]
		st.LastUsed = s.nowMs()
		st.ErrorCount, st.CooldownUntil, st.DisabledUntil, st.DisabledReason, st.FailureCounts = 0, 0, 0, "", nil
		usage[profileID] = st
		if c.Provider == provider || s.norm(c.Provider) == s.norm(provider) {
			lastGood[c.Provider] = profileID
		}
		return true
	})
}

// MarkFailure records a failed request: the error count (reset when the last
// failure is older than the failure window) and a cooldown, or for billing failures
// a disable that doubles with each one.
func (s *Store) MarkFailure(profileID, reason string) error {
	return s.update(func(snap *Snapshot, usage map[string]UsageStats, _ map[string]string) bool {
		c, ok := snap.Profiles[profileID]
		if !ok {
			return false
		}
		usage[profileID] = s.nextFailure(usage[profileID], s.norm(c.Provider), reason)
		return true
	})
}

func hoursOr(v, def float64) float64 {
	if v > 0 && !math.IsInf(v, 0) && !math.IsNaN(v) {
		return v
	}
	return def
}

func (s *Store) nextFailure(st UsageStats, prov, reason string) UsageStats {
	now := s.nowMs()
	window := time.Duration(hoursOr(s.cfg.FailureWindowHours, DefaultFailureWindowHours) * float64(time.Hour))
	expired := st.LastFailureAt > 0 && now-st.LastFailureAt > window.Milliseconds()
	counts := map[string]int{}
	if !expired {
		for k, v := range st.FailureCounts {
			counts[k] = v
		}
	} else {
		st.ErrorCount = 0
	}
	st.ErrorCount++
	counts[reason]++
	st.FailureCounts, st.LastFailureAt = counts, now
	if reason == ReasonBilling {
		hours := s.cfg.BillingBackoffHours
		if v, ok := lookupByProvider(s.cfg.BillingBackoffHoursByProvider, s.norm, prov); ok {
			hours = v
		}
		base := max(time.Duration(hoursOr(hours, DefaultBillingBackoffHours)*float64(time.Hour)), minBillingBackoff)
		limit := max(time.Duration(hoursOr(s.cfg.BillingMaxHours, DefaultBillingMaxHours)*float64(time.Hour)), base)
		d := base << min(max(counts[ReasonBilling], 1)-1, maxBillingDoublings)
		st.DisabledUntil, st.DisabledReason = now+min(d, limit).Milliseconds(), ReasonBilling
		return st
	}
	d := cooldownBase
	for i := 1; i < min(st.ErrorCount, 4); i++ {
		d *= 5
	}
	st.CooldownUntil = now + min(d, cooldownMax).Milliseconds()
	return st
}

// update applies change to the usage statistics and lastGood of the agent's own file
// (read fresh, over the main agent's) and writes them back when change says so.
func (s *Store) update(change func(snap *Snapshot, usage map[string]UsageStats, lastGood map[string]string) bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cached = nil
	snap := s.snapshotLocked()
	usage := make(map[string]UsageStats, len(snap.UsageStats))
	for k, v := range snap.UsageStats {
		usage[k] = v
	}
	lastGood := make(map[string]string, len(snap.LastGood))
	for k, v := range snap.LastGood {
		lastGood[k] = v
	}
	if !change(snap, usage, lastGood) {
		return nil
	}
	raw, err := readRaw(s.path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("auth profiles: %w", err)
	}
	if raw == nil {
		raw = map[string]json.RawMessage{"version": json.RawMessage(fmt.Sprint(StoreVersion)), "profiles": json.RawMessage("{}")}
	}
	if raw["usageStats"], err = json.Marshal(usage); err != nil {
		return err
	}
	if raw["lastGood"], err = json.Marshal(lastGood); err != nil {
		return err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(raw); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return fmt.Errorf("auth profiles: %w", err)
	}
	if err := statefile.WriteBytes(s.path, 0o600, buf.Bytes()); err != nil {
		return fmt.Errorf("auth profiles: %w", err)
	}
	s.cached = nil
	return nil
}

// UnusableUntil is when a profile can be used again (zero time: now).
func (s *Store) UnusableUntil(profileID string) time.Time {
	u := s.Snapshot().UsageStats[profileID].unusableUntil()
	if u <= 0 || s.nowMs() >= u {
		return time.Time{}
	}
	return time.UnixMilli(u)
}
