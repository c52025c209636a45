// Package tts serves the tts method group: speech on or off, the provider, and
// text-to-speech through an OpenAI-compatible /audio/speech endpoint. Settings come
// from the config file's messages.tts (as the reference reads them); what the apps
// change (enabled, provider) goes to the reference's preferences file,
// <state>/settings/tts.json, {"tts": {"enabled": …, "provider": …}}.
package tts

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/statefile"
)

// Defaults of messages.tts, as in the reference.
const (
	DefaultProvider      = "elevenlabs"
	DefaultOpenAIModel   = "gpt-4o-mini-tts"
	DefaultOpenAIVoice   = "alloy"
	DefaultOpenAIBaseURL = "https://api.openai.com/v1"
	DefaultMaxTextLength = 4000
	DefaultTimeout       = 30 * time.Second
	// MaxAudioBytes bounds a speech response read into memory and written to disk.
	MaxAudioBytes = 25 << 20
	// FileLifetime is how long a converted file stays on disk (the reference: 5 min).
	FileLifetime = 5 * time.Minute
)

// OpenAIModels and OpenAIVoices are what tts.providers lists (the reference's lists).
var (
	OpenAIModels     = []string{"gpt-4o-mini-tts"}
	OpenAIVoices     = []string{"alloy", "ash", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer"}
	ElevenLabsModels = []string{"eleven_multilingual_v2", "eleven_turbo_v2_5", "eleven_monolingual_v1"}
)

// Settings are the resolved messages.tts keys.
type Settings struct {
	Enabled       bool
	Provider      string // openai or elevenlabs
	OpenAIKey     string
	OpenAIModel   string
	OpenAIVoice   string
	OpenAIBaseURL string // base of the OpenAI-compatible API, /audio/speech is appended
	ElevenLabsKey string
	PrefsPath     string
	MaxTextLength int
	Timeout       time.Duration

	// The spoken-reply path (speak.go).
	Auto               string // off | always | inbound | tagged (absent: enabled ? always : off)
	Mode               string // final | all
	ProviderConfigured bool   // messages.tts.provider was set
	SummaryModel       string
	ElevenLabs         ElevenLabs
	EdgeEnabled        bool
	Edge               Edge
	Overrides          OverridePolicy
}

// Lookup reads a config value by JSON pointer (config.File.Lookup).
type Lookup func(pointer string) (any, bool)

// Resolve builds Settings from the config file and the environment as the reference
// does: messages.tts.* with its defaults; keys from messages.tts.<provider>.apiKey,
// else OPENAI_API_KEY / ELEVENLABS_API_KEY / XI_API_KEY; the preferences file from
// messages.tts.prefsPath, else CLAWDBOT_TTS_PREFS, else <stateDir>/settings/tts.json.
// The reference always speaks to api.openai.com; here the OpenAI base URL is
// models.providers.openai.baseUrl when set (so any OpenAI-compatible speech server
// works), else OPENAI_BASE_URL, else the OpenAI API.
func Resolve(get Lookup, getenv func(string) string, stateDir string) Settings {
	str := func(p string) string {
		if v, ok := get(p); ok {
			if s, ok := v.(string); ok {
				return strings.TrimSpace(s)
			}
		}
		return ""
	}
	num := func(p string) (float64, bool) {
		v, ok := get(p)
		f, isNum := v.(float64)
		return f, ok && isNum && f > 0
	}
	first := func(vals ...string) string {
		for _, v := range vals {
			if v != "" {
				return v
			}
		}
		return ""
	}
	s := Settings{
		Provider:      first(str("/messages/tts/provider"), DefaultProvider),
		OpenAIKey:     first(str("/messages/tts/openai/apiKey"), strings.TrimSpace(getenv("OPENAI_API_KEY"))),
		OpenAIModel:   first(str("/messages/tts/openai/model"), DefaultOpenAIModel),
		OpenAIVoice:   first(str("/messages/tts/openai/voice"), DefaultOpenAIVoice),
		OpenAIBaseURL: strings.TrimRight(first(str("/models/providers/openai/baseUrl"), strings.TrimSpace(getenv("OPENAI_BASE_URL")), DefaultOpenAIBaseURL), "/"),
		ElevenLabsKey: first(str("/messages/tts/elevenlabs/apiKey"), strings.TrimSpace(getenv("ELEVENLABS_API_KEY")), strings.TrimSpace(getenv("XI_API_KEY"))),
		PrefsPath:     first(str("/messages/tts/prefsPath"), strings.TrimSpace(getenv("CLAWDBOT_TTS_PREFS")), filepath.Join(stateDir, "settings", "tts.json")),
		MaxTextLength: DefaultMaxTextLength,
		Timeout:       DefaultTimeout,
	}
	// As the reference: "~" in the preferences path is the user's home.
	if home := strings.TrimSpace(getenv("HOME")); home != "" {
		s.PrefsPath = config.ExpandHome(s.PrefsPath, home)
	} else if home, err := os.UserHomeDir(); err == nil {
		s.PrefsPath = config.ExpandHome(s.PrefsPath, home)
	}
	if v, ok := get("/messages/tts/enabled"); ok {
		s.Enabled, _ = v.(bool)
	}
	if n, ok := num("/messages/tts/maxTextLength"); ok {
		s.MaxTextLength = int(n)
	}
	if n, ok := num("/messages/tts/timeoutMs"); ok {
		s.Timeout = time.Duration(n) * time.Millisecond
	}
	resolveSpoken(&s, get)
	resolveEdge(&s, get, getenv)
	return s
}

// Options configure the group.
type Options struct {
	Settings func() Settings // current settings (config reloads apply to the next call)
	Client   *http.Client    // default: a client without a global timeout (Settings.Timeout applies per call)
	Now      func() time.Time
	TempDir  string // where audio files go; default os.TempDir()
	// AfterFunc removes converted files after FileLifetime; default time.AfterFunc.
	AfterFunc func(time.Duration, func())
}

// Handler serves the tts group over connections of type C.
type Handler[C any] struct {
	opts Options
	y    *synth
	mu   sync.Mutex // serialises preference writes (read-modify-write of one file)
}

var _ protocol.TtsHandler[struct{}] = (*Handler[struct{}])(nil)

// New returns the group.
func New[C any](o Options) *Handler[C] {
	return &Handler[C]{opts: o, y: newSynth(o.Client, o.Now, o.TempDir, o.AfterFunc)}
}

// newSynth is a synth with the defaults of Options for what is unset: a client
// without a global timeout, time.Now, os.TempDir() and time.AfterFunc.
func newSynth(client *http.Client, now func() time.Time, tempDir string, after func(time.Duration, func())) *synth {
	if client == nil {
		client = &http.Client{}
	}
	if now == nil {
		now = time.Now
	}
	if tempDir == "" {
		tempDir = os.TempDir()
	}
	if after == nil {
		after = func(d time.Duration, f func()) { time.AfterFunc(d, f) }
	}
	return &synth{client: client, now: now, tempDir: tempDir, afterFunc: after}
}

// prefs is the preferences file's shape; unknown keys are kept on rewrite.
type prefs map[string]any

func readPrefs(path string) prefs {
	b, err := os.ReadFile(path)
	if err != nil {
		return prefs{}
	}
	var p prefs
	if json.Unmarshal(b, &p) != nil || p == nil {
		return prefs{}
	}
	return p
}

func (p prefs) tts() map[string]any {
	m, _ := p["tts"].(map[string]any)
	return m
}

// updatePrefs sets tts.<key> in the preferences file and removes the drop keys.
func (h *Handler[C]) updatePrefs(path, key string, value any, drop ...string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := readPrefs(path)
	t := p.tts()
	if t == nil {
		t = map[string]any{}
	}
	t[key] = value
	for _, k := range drop {
		delete(t, k)
	}
	p["tts"] = t
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("tts prefs: %w", err)
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fmt.Errorf("tts prefs: %w", err)
	}
	if err := statefile.WriteBytes(path, 0o600, b); err != nil {
		return fmt.Errorf("tts prefs: write %s: %w", path, err)
	}
	return nil
}

// configured reports whether provider can be tried: a key, or for edge
// messages.tts.edge.enabled (not false).
func configured(s Settings, provider string) bool {
	switch provider {
	case "openai":
		return s.OpenAIKey != ""
	case "elevenlabs":
		return s.ElevenLabsKey != ""
	case "edge":
		return s.EdgeEnabled
	}
	return false
}

// TtsStatus answers as the reference: enabled is "the auto mode is not off", the
// provider is the reference's choice (preferences, config, a provider with a key,
// else edge) and the fallbacks are the configured rest of the fallback order.
func (h *Handler[C]) TtsStatus(ctx context.Context, c C, p *protocol.TtsStatusParams) (*protocol.TtsStatusResult, error) {
	s := h.opts.Settings()
	auto := AutoMode(s)
	provider := primaryProvider(s)
	fallbacks := []protocol.TtsProvider{}
	for _, f := range ProviderOrder(provider)[1:] {
		if configured(s, f) {
			fallbacks = append(fallbacks, protocol.TtsProvider(f))
		}
	}
	res := &protocol.TtsStatusResult{
		Enabled: auto != AutoOff, Auto: protocol.TtsAutoMode(auto), Provider: protocol.TtsProvider(provider),
		FallbackProviders: fallbacks, PrefsPath: s.PrefsPath, HasOpenAIKey: s.OpenAIKey != "",
		HasElevenLabsKey: s.ElevenLabsKey != "", EdgeEnabled: s.EdgeEnabled,
	}
	if len(fallbacks) > 0 {
		res.FallbackProvider = &fallbacks[0]
	}
	return res, nil
}

func (h *Handler[C]) TtsProviders(ctx context.Context, c C, p *protocol.TtsProvidersParams) (*protocol.TtsProvidersResult, error) {
	s := h.opts.Settings()
	return &protocol.TtsProvidersResult{
		Providers: []protocol.TtsProviderInfo{
			{ID: protocol.TtsProvider("openai"), Name: "OpenAI", Configured: configured(s, "openai"), Models: OpenAIModels, Voices: OpenAIVoices},
			{ID: protocol.TtsProvider("elevenlabs"), Name: "ElevenLabs", Configured: configured(s, "elevenlabs"), Models: ElevenLabsModels},
			{ID: protocol.TtsProvider("edge"), Name: "Edge TTS", Configured: configured(s, "edge"), Models: []string{}},
		},
		Active: protocol.TtsProvider(primaryProvider(s)),
	}, nil
}

// setEnabled writes the auto mode as the reference does: tts.auto "always" or "off",
// dropping an older tts.enabled, so the spoken-reply path and tts.status agree.
func (h *Handler[C]) setEnabled(on bool) error {
	mode := AutoOff
	if on {
		mode = AutoAlways
	}
	if err := h.updatePrefs(h.opts.Settings().PrefsPath, "auto", mode, "enabled"); err != nil {
		return protocol.ErrorCodeUnavailable.Errorf("%v", err)
	}
	return nil
}

func (h *Handler[C]) TtsEnable(ctx context.Context, c C, p *protocol.TtsEnableParams) (*protocol.TtsEnableResult, error) {
	if err := h.setEnabled(true); err != nil {
		return nil, err
	}
	return &protocol.TtsEnableResult{Enabled: true}, nil
}

func (h *Handler[C]) TtsDisable(ctx context.Context, c C, p *protocol.TtsDisableParams) (*protocol.TtsDisableResult, error) {
	if err := h.setEnabled(false); err != nil {
		return nil, err
	}
	return &protocol.TtsDisableResult{Enabled: false}, nil
}

func (h *Handler[C]) TtsSetProvider(ctx context.Context, c C, p *protocol.TtsSetProviderParams) (*protocol.TtsSetProviderResult, error) {
	provider := strings.TrimSpace(p.Provider)
	if !knownProvider(provider) {
		return nil, protocol.ErrorCodeInvalidRequest.Errorf("Invalid provider. Use openai, elevenlabs, or edge.")
	}
	if err := h.updatePrefs(h.opts.Settings().PrefsPath, "provider", provider); err != nil {
		return nil, protocol.ErrorCodeUnavailable.Errorf("%v", err)
	}
	return &protocol.TtsSetProviderResult{Provider: protocol.TtsProvider(provider)}, nil
}

// TtsConvert synthesises text with the same providers, fallback order and formats as
// spoken replies (Telegram: an opus voice note; else mp3).
func (h *Handler[C]) TtsConvert(ctx context.Context, c C, p *protocol.TtsConvertParams) (*protocol.TtsConvertResult, error) {
	text := strings.TrimSpace(p.Text)
	if text == "" {
		return nil, protocol.ErrorCodeInvalidRequest.Errorf("tts.convert requires text")
	}
	res, err := h.y.speak(ctx, h.opts.Settings(), text, p.GetChannel(), Directives{})
	if err != nil {
		return nil, protocol.ErrorCodeUnavailable.Errorf("%v", err)
	}
	return &protocol.TtsConvertResult{AudioPath: res.Path, Provider: protocol.TtsProvider(res.Provider), OutputFormat: res.OutputFormat, VoiceCompatible: res.VoiceCompatible}, nil
}
