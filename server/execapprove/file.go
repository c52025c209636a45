// Package execapprove decides whether a command the agent wants to run may run: the
// exec approvals file (~/.clawdbot/exec-approvals.json, the original's format, read and
// written atomically with mode 0600), its security modes (deny / allowlist / full) and ask
// modes (off / on-miss / always), allowlist matching of shell commands as the original
// does it, per-agent allowlists, and a Gate that asks a person through an Asker and waits.
//
// Why a gate object rather than a helper: a command that was not approved must never
// start, whichever tool asked (exec on the gateway, system.run on a node). Putting the
// decision, the wait, the timeout (no answer = deny) and the allow-always persistence in
// one place means every caller gets the same guarantees, and the gateway's wire methods
// (exec.approval.request / resolve, exec.approvals.get / set) are thin shells over
// Manager and Store.
package execapprove

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/clawgate/gateway/server/statefile"
)

// DefaultAgentID is the agent a request without an agent id belongs to.
const DefaultAgentID = "main"

// File names, relative to the user's home directory, as the original places them.
const (
	DefaultFileRel   = ".clawdbot/exec-approvals.json"
	DefaultSocketRel = ".clawdbot/exec-approvals.sock"
)

// FileMode is the mode of the approvals file: it holds the socket token.
const FileMode os.FileMode = 0o600

// DefaultPath returns ~/.clawdbot/exec-approvals.json for home.
func DefaultPath(home string) string { return filepath.Join(home, DefaultFileRel) }

// Defaults are the file-wide settings (and, per agent, the agent's overrides).
type Defaults struct {
	Security        Security `json:"security,omitempty"`
	Ask             Ask      `json:"ask,omitempty"`
	AskFallback     Security `json:"askFallback,omitempty"`
	AutoAllowSkills *bool    `json:"autoAllowSkills,omitempty"`
}

// AllowlistEntry is one allowed executable pattern with its last use.
type AllowlistEntry struct {
	ID               string `json:"id,omitempty"`
	Pattern          string `json:"pattern"`
	LastUsedAt       int64  `json:"lastUsedAt,omitempty"`
	LastUsedCommand  string `json:"lastUsedCommand,omitempty"`
	LastResolvedPath string `json:"lastResolvedPath,omitempty"`
}

// Agent is one agent's settings and allowlist.
type Agent struct {
	Defaults
	Allowlist []AllowlistEntry `json:"allowlist,omitempty"`
}

// Socket is the approvals socket of a node host (path and token).
type Socket struct {
	Path  string `json:"path,omitempty"`
	Token string `json:"token,omitempty"`
}

// File is the approvals file.
type File struct {
	Version  int              `json:"version"`
	Socket   *Socket          `json:"socket,omitempty"`
	Defaults *Defaults        `json:"defaults,omitempty"`
	Agents   map[string]Agent `json:"agents,omitempty"`
}

// Normalize returns f as the original normalizes it: version 1, a legacy "default"
// agent merged into "main", every allowlist entry with an id, blank socket fields
// dropped.
func Normalize(f File) File {
	out := File{Version: 1, Agents: map[string]Agent{}}
	if f.Socket != nil {
		s := Socket{Path: strings.TrimSpace(f.Socket.Path), Token: strings.TrimSpace(f.Socket.Token)}
		if s.Path != "" || s.Token != "" {
			out.Socket = &s
		}
	}
	if f.Defaults != nil {
		d := *f.Defaults
		out.Defaults = &d
	}
	for k, a := range f.Agents {
		out.Agents[k] = a
	}
	if legacy, ok := out.Agents["default"]; ok {
		if main, ok := out.Agents[DefaultAgentID]; ok {
			out.Agents[DefaultAgentID] = mergeLegacy(main, legacy)
		} else {
			out.Agents[DefaultAgentID] = legacy
		}
		delete(out.Agents, "default")
	}
	for k, a := range out.Agents {
		if len(a.Allowlist) == 0 {
			continue
		}
		list := make([]AllowlistEntry, len(a.Allowlist))
		copy(list, a.Allowlist)
		for i := range list {
			if list[i].ID == "" {
				list[i].ID = newUUID()
			}
		}
		a.Allowlist = list
		out.Agents[k] = a
	}
	return out
}

func mergeLegacy(cur, legacy Agent) Agent {
	out := cur
	if out.Security == "" {
		out.Security = legacy.Security
	}
	if out.Ask == "" {
		out.Ask = legacy.Ask
	}
	if out.AskFallback == "" {
		out.AskFallback = legacy.AskFallback
	}
	if out.AutoAllowSkills == nil {
		out.AutoAllowSkills = legacy.AutoAllowSkills
	}
	seen := map[string]bool{}
	var list []AllowlistEntry
	for _, e := range append(append([]AllowlistEntry(nil), cur.Allowlist...), legacy.Allowlist...) {
		k := strings.ToLower(strings.TrimSpace(e.Pattern))
		if k == "" || seen[k] {
			continue
		}
		seen[k] = true
		list = append(list, e)
	}
	out.Allowlist = list
	return out
}

// Snapshot is the file as read: where it is, whether it exists, its raw bytes and
// their hash (the optimistic-concurrency token of exec.approvals.set).
type Snapshot struct {
	Path   string
	Exists bool
	Raw    []byte
	File   File
	Hash   string
}

// ErrChanged is returned by SetIfUnchanged when the file changed since baseHash.
var ErrChanged = errors.New("exec approvals changed since last load; re-run exec.approvals.get and retry")

// ErrBaseHashRequired is returned by SetIfUnchanged when the file exists and no base
// hash was given.
var ErrBaseHashRequired = errors.New("exec approvals base hash required; re-run exec.approvals.get and retry")

// CorruptError reports an approvals file that exists but cannot be used. Nothing is
// written over it: the gate denies every command that needs it until it is fixed or
// replaced through SetIfUnchanged.
type CorruptError struct {
	Path string
	Err  error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("exec approvals file %s is invalid: %v", e.Path, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// Store reads and writes one approvals file. Its methods are safe for concurrent use;
// read-modify-write cycles within the process are serialised.
type Store struct {
	path       string
	socketPath string
	mu         sync.Mutex
}

// NewStore returns a store for the file at path; socketPath is the default socket path
// written by Ensure (DefaultSocketRel under the same home, typically).
func NewStore(path, socketPath string) *Store {
	return &Store{path: path, socketPath: socketPath}
}

// Path is the file's location.
func (s *Store) Path() string { return s.path }

func hashRaw(raw []byte) string {
	h := sha256.Sum256(raw)
	return hex.EncodeToString(h[:])
}

// Snapshot reads the file. A missing file is an empty, normalized file.
func (s *Store) Snapshot() (Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snapshot()
}

func (s *Store) snapshot() (Snapshot, error) {
	raw, err := os.ReadFile(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return Snapshot{Path: s.path, File: Normalize(File{Version: 1}), Hash: hashRaw(nil)}, nil
	}
	if err != nil {
		return Snapshot{}, fmt.Errorf("exec approvals: read %s: %w", s.path, err)
	}
	var f File
	if err := json.Unmarshal(raw, &f); err != nil {
		return Snapshot{}, &CorruptError{Path: s.path, Err: err}
	}
	if f.Version != 1 {
		return Snapshot{}, &CorruptError{Path: s.path, Err: fmt.Errorf("unsupported version %d", f.Version)}
	}
	return Snapshot{Path: s.path, Exists: true, Raw: raw, File: Normalize(f), Hash: hashRaw(raw)}, nil
}

// Load returns the normalized file.
func (s *Store) Load() (File, error) {
	snap, err := s.Snapshot()
	return snap.File, err
}

func (s *Store) save(f File) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("exec approvals: encode: %w", err)
	}
	b = append(b, '\n')
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return fmt.Errorf("exec approvals: %w", err)
	}
	if err := statefile.WriteBytes(s.path, FileMode, b); err != nil {
		return fmt.Errorf("exec approvals: write %s: %w", s.path, err)
	}
	return nil
}

// Save writes f (normalized) atomically with mode 0600.
func (s *Store) Save(f File) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.save(Normalize(f))
}

// Update applies fn to the current file and saves the result. A corrupt file is not
// overwritten.
func (s *Store) Update(fn func(*File)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap, err := s.snapshot()
	if err != nil {
		return err
	}
	f := snap.File
	fn(&f)
	return s.save(Normalize(f))
}

// Ensure makes sure the file exists with a socket path and token (as the original does
// before every read) and returns its snapshot. It writes only when something was missing.
func (s *Store) Ensure() (Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap, err := s.snapshot()
	if err != nil {
		return snap, err
	}
	f := snap.File
	changed := !snap.Exists
	if f.Socket == nil {
		f.Socket = &Socket{}
	}
	if f.Socket.Path == "" {
		f.Socket.Path, changed = s.socketPath, true
	}
	if f.Socket.Token == "" {
		f.Socket.Token, changed = newToken(), true
	}
	if !changed {
		return snap, nil
	}
	if err := s.save(f); err != nil {
		return snap, err
	}
	return s.snapshot()
}

// SetIfUnchanged replaces the file with f when its current hash is baseHash (a missing
// file needs no hash). Socket fields missing from f keep their current values: clients
// never see the token (Redacted) and must not erase it.
func (s *Store) SetIfUnchanged(f File, baseHash string) (Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap, err := s.snapshot()
	var corrupt *CorruptError
	switch {
	case errors.As(err, &corrupt):
		// A broken file can be replaced, but only by someone who saw it.
		raw, rerr := os.ReadFile(s.path)
		if rerr != nil {
			return Snapshot{}, rerr
		}
		if strings.TrimSpace(baseHash) != hashRaw(raw) {
			return Snapshot{}, ErrChanged
		}
	case err != nil:
		return Snapshot{}, err
	case snap.Exists:
		bh := strings.TrimSpace(baseHash)
		if bh == "" {
			return Snapshot{}, ErrBaseHashRequired
		}
		if bh != snap.Hash {
			return Snapshot{}, ErrChanged
		}
	}
	next := Normalize(f)
	cur := snap.File.Socket
	if cur == nil {
		cur = &Socket{}
	}
	sock := Socket{Path: cur.Path, Token: cur.Token}
	if next.Socket != nil {
		if next.Socket.Path != "" {
			sock.Path = next.Socket.Path
		}
		if next.Socket.Token != "" {
			sock.Token = next.Socket.Token
		}
	}
	if sock.Path == "" {
		sock.Path = s.socketPath
	}
	next.Socket = &sock
	if err := s.save(next); err != nil {
		return Snapshot{}, err
	}
	return s.snapshot()
}

// Redacted returns f without the socket token, as exec.approvals.get shows it.
func Redacted(f File) File {
	out := f
	if f.Socket != nil && f.Socket.Path != "" {
		out.Socket = &Socket{Path: f.Socket.Path}
	} else {
		out.Socket = nil
	}
	return out
}

func newToken() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
