// Package voicewake serves the voicewake method group: the wake words the macOS, iOS
// and Android apps listen for, kept where the reference keeps them
// (<state>/settings/voicewake.json, {"triggers": [...], "updatedAtMs": n}) so a
// gateway swap keeps the words, and announced with voicewake.changed on every change.
package voicewake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/statefile"
)

// Limits the reference applies to voicewake.set: at most MaxTriggers words of at most
// MaxTriggerLen characters; extra words are dropped and long ones cut.
const (
	MaxTriggers   = 32
	MaxTriggerLen = 64
)

// DefaultTriggers are the words used when none are stored (or none survive trimming).
func DefaultTriggers() []string { return []string{"clawd", "claude", "computer"} }

// Broadcaster sends an event to every client allowed to see it.
type Broadcaster interface {
	Broadcast(ev protocol.Event) int64
}

// Options configure the group.
type Options struct {
	StateDir string           // the file is <StateDir>/settings/voicewake.json
	Now      func() time.Time // default time.Now
}

// File is the stored shape (the reference's VoiceWakeConfig).
type File struct {
	Triggers    []string `json:"triggers"`
	UpdatedAtMs int64    `json:"updatedAtMs"`
}

// Handler serves voicewake.get and voicewake.set over connections of type C.
type Handler[C any] struct {
	out  Broadcaster
	opts Options
	mu   sync.Mutex // serialises writes (and the broadcast that follows, so events come in write order)
}

var _ protocol.VoicewakeHandler[struct{}] = (*Handler[struct{}])(nil)

// New returns the group.
func New[C any](out Broadcaster, o Options) *Handler[C] {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Handler[C]{out: out, opts: o}
}

// Path is the settings file.
func Path(stateDir string) string { return filepath.Join(stateDir, "settings", "voicewake.json") }

// Load reads the stored words; a missing or unreadable file gives the defaults, as in
// the reference (the apps must always have words to listen for).
func Load(stateDir string) File {
	b, err := os.ReadFile(Path(stateDir))
	if err != nil {
		return File{Triggers: DefaultTriggers()}
	}
	var raw struct {
		Triggers    []any `json:"triggers"`
		UpdatedAtMs any   `json:"updatedAtMs"`
	}
	if json.Unmarshal(b, &raw) != nil {
		return File{Triggers: DefaultTriggers()}
	}
	f := File{Triggers: Normalize(raw.Triggers)}
	if n, ok := raw.UpdatedAtMs.(float64); ok && n > 0 {
		f.UpdatedAtMs = int64(n)
	}
	return f
}

// Normalize trims the words, drops blanks and non-strings, applies the limits, and
// falls back to the defaults when nothing is left.
func Normalize[T any](in []T) []string {
	out := make([]string, 0, min(len(in), MaxTriggers))
	for _, v := range in {
		s, ok := any(v).(string)
		if !ok {
			continue
		}
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if len(out) == MaxTriggers {
			break
		}
		out = append(out, cut(s, MaxTriggerLen))
	}
	if len(out) == 0 {
		return DefaultTriggers()
	}
	return out
}

// cut keeps the first n characters (runes; the reference counts UTF-16 units).
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}

// Save writes the words durably (temp file + rename) and returns what was stored.
func Save(stateDir string, triggers []string, now time.Time) (File, error) {
	f := File{Triggers: Normalize(triggers), UpdatedAtMs: now.UnixMilli()}
	dir := filepath.Dir(Path(stateDir))
	if err := os.MkdirAll(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return File{}, fmt.Errorf("voicewake: %w", err)
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return File{}, fmt.Errorf("voicewake: %w", err)
	}
	if err := statefile.WriteBytes(Path(stateDir), 0o600, b); err != nil {
		return File{}, fmt.Errorf("voicewake: write %s: %w", Path(stateDir), err)
	}
	return f, nil
}

func (h *Handler[C]) VoicewakeGet(ctx context.Context, c C, p *protocol.VoicewakeGetParams) (*protocol.VoicewakeGetResult, error) {
	if h.opts.StateDir == "" {
		return &protocol.VoicewakeGetResult{Triggers: DefaultTriggers()}, nil
	}
	return &protocol.VoicewakeGetResult{Triggers: Load(h.opts.StateDir).Triggers}, nil
}

func (h *Handler[C]) VoicewakeSet(ctx context.Context, c C, p *protocol.VoicewakeSetParams) (*protocol.VoicewakeSetResult, error) {
	if h.opts.StateDir == "" {
		return nil, protocol.ErrorCodeUnavailable.Errorf("voicewake: no state directory")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	f, err := Save(h.opts.StateDir, p.Triggers, h.opts.Now())
	if err != nil {
		return nil, protocol.ErrorCodeUnavailable.Errorf("%v", err)
	}
	h.out.Broadcast(&protocol.VoicewakeChangedEvent{Triggers: f.Triggers})
	return &protocol.VoicewakeSetResult{Triggers: f.Triggers}, nil
}
