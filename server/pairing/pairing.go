// Package pairing is channel DM pairing: an unknown sender on WhatsApp or Telegram gets
// a short code, the owner approves it (`clawdbot pairing approve <channel> <code>`),
// and the sender's id joins the channel's allow-from store. It is distinct from device
// pairing (server/auth) and node pairing (server/nodes).
//
// The files are the original gateway's, at the same place and in the same shape, so a
// state directory carried over from it keeps its approvals and pending requests:
//
//	<state>/credentials/<channel>-pairing.json    {"version":1,"requests":[{id,code,createdAt,lastSeenAt,meta}]}
//	<state>/credentials/<channel>-allowFrom.json  {"version":1,"allowFrom":["+15551234567", ...]}
//
// ($CLAWDBOT_OAUTH_DIR replaces <state>/credentials, as in the original.) Every change
// is a locked read-modify-write (a "<file>.lock" directory, the same lock the original
// takes, so the CLI and a running gateway of either implementation never lose each
// other's writes) followed by an atomic 0600 replace.
package pairing

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/clawgate/gateway/server/statefile"
)

// Facts of the original's pairing store we keep.
const (
	// CodeAlphabet is upper-case letters and digits without the look-alikes 0 O 1 I.
	CodeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	// CodeLength is the number of characters in a pairing code.
	CodeLength = 8
	// DefaultTTL is how long a pending request (and its code) stays valid.
	DefaultTTL = time.Hour
	// DefaultMaxPending bounds pending requests per channel; while it is reached a new
	// sender gets no code (and nothing is stored) until one expires or is decided.
	DefaultMaxPending = 3
	// EnvCredentialsDir overrides <state>/credentials (the original's name for it).
	EnvCredentialsDir = "CLAWDBOT_OAUTH_DIR"
	// LockStale is the age after which a left-over lock directory (a crashed writer)
	// is broken.
	LockStale = 30 * time.Second
	// LockWait bounds how long one operation waits for the file lock.
	LockWait = 10 * time.Second
	// MaxMetaValue caps one meta value (sender names come from the network).
	MaxMetaValue = 200
	// maxCodeAttempts bounds the search for a code not already pending.
	maxCodeAttempts = 500
	fileVersion     = 1
	filePerm        = 0o600
	dirPerm         = 0o700
)

// Errors callers can test for.
var (
	// ErrNotFound: no pending request has that code (unknown, expired or decided).
	ErrNotFound = errors.New("pairing: no pending request with that code")
	// ErrBadChannel: the channel name cannot name a store file.
	ErrBadChannel = errors.New("pairing: invalid channel")
)

// Request is one pending pairing request, as stored.
type Request struct {
	ID         string            `json:"id"`
	Code       string            `json:"code"`
	CreatedAt  string            `json:"createdAt"`
	LastSeenAt string            `json:"lastSeenAt"`
	Meta       map[string]string `json:"meta,omitempty"`
}

// Created parses CreatedAt (zero when unparsable).
func (r Request) Created() time.Time { return parseTime(r.CreatedAt) }

type pairingFile struct {
	Version  int       `json:"version"`
	Requests []Request `json:"requests"`
}

type allowFile struct {
	Version   int      `json:"version"`
	AllowFrom []string `json:"allowFrom"`
}

// Options configures a Store. Zero values take the defaults.
type Options struct {
	// Dir is the credentials directory (see CredentialsDir). Required.
	Dir string
	// TTL of a pending request (DefaultTTL).
	TTL time.Duration
	// MaxPending per channel (DefaultMaxPending); negative means unbounded.
	MaxPending int
	// Now is the clock (time.Now).
	Now func() time.Time
	// Rand is the randomness for codes (crypto/rand).
	Rand io.Reader
	// Normalize turns an allow-from entry of channel into its stored form
	// (NormalizeEntry).
	Normalize func(channel, entry string) string
}

// Store owns the pairing and allow-from files of one credentials directory.
type Store struct {
	o  Options
	mu sync.Mutex // serialises this process's operations; the lock dir covers other processes
}

// CredentialsDir is where the store files live: $CLAWDBOT_OAUTH_DIR when set (getenv
// may be nil), otherwise <stateDir>/credentials.
func CredentialsDir(stateDir string, getenv func(string) string) string {
	if getenv != nil {
		if v := strings.TrimSpace(getenv(EnvCredentialsDir)); v != "" {
			if strings.HasPrefix(v, "~") {
				if home, err := os.UserHomeDir(); err == nil {
					v = filepath.Join(home, strings.TrimPrefix(v, "~"))
				}
			}
			if abs, err := filepath.Abs(v); err == nil {
				return abs
			}
			return v
		}
	}
	return filepath.Join(stateDir, "credentials")
}

// New returns a store over o.Dir (created on first write).
func New(o Options) (*Store, error) {
	if strings.TrimSpace(o.Dir) == "" {
		return nil, errors.New("pairing: credentials directory not set")
	}
	if o.TTL <= 0 {
		o.TTL = DefaultTTL
	}
	if o.MaxPending == 0 {
		o.MaxPending = DefaultMaxPending
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Normalize == nil {
		o.Normalize = NormalizeEntry
	}
	return &Store{o: o}, nil
}

var channelRe = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,63}$`)

// ChannelKey validates and normalises a channel name for use in file names.
func ChannelKey(channel string) (string, error) {
	c := strings.ToLower(strings.TrimSpace(channel))
	if !channelRe.MatchString(c) {
		return "", fmt.Errorf("%w: %q", ErrBadChannel, channel)
	}
	return c, nil
}

var tgPrefix = regexp.MustCompile(`(?i)^(telegram|tg):`)

// NormalizeEntry is the default allow-from normaliser: trimmed; Telegram entries lose a
// "telegram:"/"tg:" prefix (as the original's Telegram adapter does). "*" is never
// stored (it belongs in the config's allowFrom, not in approvals).
func NormalizeEntry(channel, entry string) string {
	e := strings.TrimSpace(entry)
	if e == "*" {
		return ""
	}
	if channel == "telegram" {
		e = strings.TrimSpace(tgPrefix.ReplaceAllString(e, ""))
	}
	return e
}

func (s *Store) pairingPath(ch string) string { return filepath.Join(s.o.Dir, ch+"-pairing.json") }
func (s *Store) allowPath(ch string) string   { return filepath.Join(s.o.Dir, ch+"-allowFrom.json") }

func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}
	}
	return t
}

// Upsert records that sender id of channel asked for access. A new sender gets a new
// request and code (created=true: send the code). A sender with a pending request gets
// the same code back with created=false (do not send it again: one reply per sender
// until the request expires). When MaxPending requests are pending, a new sender gets
// code "" and created=false (nothing to send).
func (s *Store) Upsert(channel, id string, meta map[string]string) (code string, created bool, err error) {
	ch, err := ChannelKey(channel)
	if err != nil {
		return "", false, err
	}
	id = strings.TrimSpace(id)
	if id == "" {
		return "", false, errors.New("pairing: empty sender id")
	}
	meta = cleanMeta(meta)
	err = s.update(s.pairingPath(ch), func(now time.Time, f *pairingFile) (bool, error) {
		changed := s.pruneExpired(f, now)
		nowS := formatTime(now)
		if i := slices.IndexFunc(f.Requests, func(r Request) bool { return r.ID == id }); i >= 0 {
			r := &f.Requests[i]
			if strings.TrimSpace(r.Code) == "" {
				if r.Code, err = s.uniqueCode(f.Requests); err != nil {
					return false, err
				}
			}
			r.LastSeenAt = nowS
			if meta != nil {
				r.Meta = meta
			}
			code = r.Code
			s.pruneExcess(f)
			return true, nil
		}
		if s.pruneExcess(f) {
			changed = true
		}
		if s.o.MaxPending > 0 && len(f.Requests) >= s.o.MaxPending {
			return changed, nil
		}
		c, err := s.uniqueCode(f.Requests)
		if err != nil {
			return false, err
		}
		f.Requests = append(f.Requests, Request{ID: id, Code: c, CreatedAt: nowS, LastSeenAt: nowS, Meta: meta})
		code, created = c, true
		return true, nil
	})
	if err != nil {
		return "", false, err
	}
	return code, created, nil
}

// List returns the pending requests of channel, oldest first (expired ones are pruned
// from the file).
func (s *Store) List(channel string) ([]Request, error) {
	ch, err := ChannelKey(channel)
	if err != nil {
		return nil, err
	}
	var out []Request
	err = s.update(s.pairingPath(ch), func(now time.Time, f *pairingFile) (bool, error) {
		changed := s.pruneExpired(f, now)
		if s.pruneExcess(f) {
			changed = true
		}
		out = slices.Clone(f.Requests)
		return changed, nil
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt < out[j].CreatedAt })
	return out, err
}

// Approve removes the pending request with code (case-insensitive) and adds its sender
// to the channel's allow-from store. ErrNotFound when no such request is pending.
func (s *Store) Approve(channel, code string) (Request, error) {
	r, err := s.take(channel, code)
	if err != nil {
		return Request{}, err
	}
	if _, err := s.AddAllowFrom(channel, r.ID); err != nil {
		return r, fmt.Errorf("pairing: request %s removed but sender not stored: %w", r.Code, err)
	}
	return r, nil
}

// Reject removes the pending request with code without approving the sender. The
// original has no reject; without it a declined sender would hold one of the few
// pending slots for an hour.
func (s *Store) Reject(channel, code string) (Request, error) { return s.take(channel, code) }

func (s *Store) take(channel, code string) (Request, error) {
	ch, err := ChannelKey(channel)
	if err != nil {
		return Request{}, err
	}
	code = strings.ToUpper(strings.TrimSpace(code))
	if code == "" {
		return Request{}, ErrNotFound
	}
	var got *Request
	err = s.update(s.pairingPath(ch), func(now time.Time, f *pairingFile) (bool, error) {
		changed := s.pruneExpired(f, now)
		i := slices.IndexFunc(f.Requests, func(r Request) bool { return strings.ToUpper(strings.TrimSpace(r.Code)) == code })
		if i < 0 {
			return changed, nil
		}
		r := f.Requests[i]
		got = &r
		f.Requests = slices.Delete(f.Requests, i, i+1)
		return true, nil
	})
	if err != nil {
		return Request{}, err
	}
	if got == nil {
		return Request{}, ErrNotFound
	}
	return *got, nil
}

// AllowFrom returns the approved senders of channel (normalised, deduplicated). A
// missing file is an empty list; a corrupt one is an error (nothing is approved by
// accident, and nothing is overwritten: see update).
func (s *Store) AllowFrom(channel string) ([]string, error) {
	ch, err := ChannelKey(channel)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var f allowFile
	if err := readJSON(s.allowPath(ch), &f); err != nil {
		return nil, err
	}
	return s.normList(ch, f.AllowFrom), nil
}

// Allowed reports whether id is in channel's allow-from store.
func (s *Store) Allowed(channel, id string) (bool, error) {
	list, err := s.AllowFrom(channel)
	if err != nil {
		return false, err
	}
	ch, _ := ChannelKey(channel)
	n := s.o.Normalize(ch, id)
	return n != "" && slices.Contains(list, n), nil
}

// AddAllowFrom adds entry to channel's allow-from store; changed is false when it was
// already there (or normalises to nothing).
func (s *Store) AddAllowFrom(channel, entry string) (changed bool, err error) {
	return s.editAllow(channel, entry, true)
}

// RemoveAllowFrom removes entry from channel's allow-from store.
func (s *Store) RemoveAllowFrom(channel, entry string) (changed bool, err error) {
	return s.editAllow(channel, entry, false)
}

func (s *Store) editAllow(channel, entry string, add bool) (bool, error) {
	ch, err := ChannelKey(channel)
	if err != nil {
		return false, err
	}
	n := s.o.Normalize(ch, entry)
	if n == "" {
		return false, nil
	}
	changed := false
	err = s.locked(s.allowPath(ch), func() error {
		var f allowFile
		if err := readJSON(s.allowPath(ch), &f); err != nil {
			return err
		}
		cur := s.normList(ch, f.AllowFrom)
		has := slices.Contains(cur, n)
		switch {
		case add && !has:
			cur = append(cur, n)
		case !add && has:
			cur = slices.DeleteFunc(cur, func(e string) bool { return e == n })
		default:
			return nil
		}
		changed = true
		if cur == nil {
			cur = []string{}
		}
		return writeJSON(s.allowPath(ch), allowFile{Version: fileVersion, AllowFrom: cur})
	})
	return changed, err
}

func (s *Store) normList(ch string, in []string) []string {
	out := make([]string, 0, len(in))
	for _, e := range in {
		if n := s.o.Normalize(ch, e); n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// update runs fn on the pairing file under both locks and writes it when fn reports a
// change.
func (s *Store) update(path string, fn func(now time.Time, f *pairingFile) (bool, error)) error {
	return s.locked(path, func() error {
		var f pairingFile
		if err := readJSON(path, &f); err != nil {
			return err
		}
		f.Requests = slices.DeleteFunc(f.Requests, func(r Request) bool { return r.ID == "" || r.Code == "" })
		changed, err := fn(s.o.Now(), &f)
		if err != nil || !changed {
			return err
		}
		if f.Requests == nil {
			f.Requests = []Request{}
		}
		f.Version = fileVersion
		return writeJSON(path, f)
	})
}

func (s *Store) pruneExpired(f *pairingFile, now time.Time) bool {
	n := len(f.Requests)
	f.Requests = slices.DeleteFunc(f.Requests, func(r Request) bool {
		c := r.Created()
		return c.IsZero() || now.Sub(c) > s.o.TTL
	})
	return len(f.Requests) != n
}

// pruneExcess keeps the MaxPending most recently seen requests.
func (s *Store) pruneExcess(f *pairingFile) bool {
	if s.o.MaxPending <= 0 || len(f.Requests) <= s.o.MaxPending {
		return false
	}
	lastSeen := func(r Request) time.Time {
		if t := parseTime(r.LastSeenAt); !t.IsZero() {
			return t
		}
		return r.Created()
	}
	sort.SliceStable(f.Requests, func(i, j int) bool { return lastSeen(f.Requests[i]).Before(lastSeen(f.Requests[j])) })
	f.Requests = f.Requests[len(f.Requests)-s.o.MaxPending:]
	return true
}

func (s *Store) uniqueCode(existing []Request) (string, error) {
	taken := map[string]bool{}
	for _, r := range existing {
		taken[strings.ToUpper(strings.TrimSpace(r.Code))] = true
	}
	max := big.NewInt(int64(len(CodeAlphabet)))
	for range maxCodeAttempts {
		var b strings.Builder
		for range CodeLength {
			n, err := rand.Int(s.o.Rand, max)
			if err != nil {
				return "", fmt.Errorf("pairing: random code: %w", err)
			}
			b.WriteByte(CodeAlphabet[n.Int64()])
		}
		if c := b.String(); !taken[c] {
			return c, nil
		}
	}
	return "", errors.New("pairing: no unique code found")
}

func cleanMeta(in map[string]string) map[string]string {
	var out map[string]string
	for k, v := range in {
		v = strings.TrimSpace(v)
		if k == "" || v == "" {
			continue
		}
		if r := []rune(v); len(r) > MaxMetaValue {
			v = string(r[:MaxMetaValue])
		}
		if out == nil {
			out = map[string]string{}
		}
		out[k] = v
	}
	return out
}

// locked runs fn holding the in-process mutex and the cross-process lock directory
// "<path>.lock" (what the original's lock library creates).
func (s *Store) locked(path string, fn func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(path), dirPerm); err != nil {
		return fmt.Errorf("pairing: %w", err)
	}
	lock := path + ".lock"
	deadline := time.Now().Add(LockWait)
	wait := 5 * time.Millisecond
	for {
		err := os.Mkdir(lock, dirPerm)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("pairing: lock %s: %w", lock, err)
		}
		if st, serr := os.Stat(lock); serr == nil && time.Since(st.ModTime()) > LockStale {
			_ = os.Remove(lock)
			continue
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pairing: %s is locked by another process (remove it if no clawdbot is running)", lock)
		}
		time.Sleep(wait)
		wait = min(wait*2, 200*time.Millisecond)
	}
	defer os.Remove(lock)
	return fn()
}

// readJSON reads path into v; a missing or empty file leaves v zero. Unparsable
// content is an error rather than an empty store: overwriting it would silently drop
// approvals.
func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("pairing: %w", err)
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("pairing: %s is not valid JSON (fix or remove it): %w", path, err)
	}
	return nil
}

func writeJSON(path string, v any) error {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	if err := statefile.WriteBytes(path, filePerm, []byte(b.String())); err != nil {
		return fmt.Errorf("pairing: write %s: %w", path, err)
	}
	return nil
}
