package tts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Auto modes of messages.tts.auto (the reference's set).
const (
	AutoOff     = "off"
	AutoAlways  = "always"
	AutoInbound = "inbound"
	AutoTagged  = "tagged"
)

// Defaults of the spoken-reply path, as in the reference.
const (
	// DefaultSpokenMaxLength is the preferences file's tts.maxLength default: longer
	// replies are summarised (or skipped) before speech.
	DefaultSpokenMaxLength = 1500
	// MinSpokenChars: shorter replies are not spoken.
	MinSpokenChars            = 10
	DefaultElevenLabsBaseURL  = "https://api.elevenlabs.io"
	DefaultElevenLabsVoiceID  = "pMsXgVXv3BLzUgSXRplE"
	DefaultElevenLabsModelID  = "eleven_multilingual_v2"
	elevenLabsTelegramFormat  = "opus_48000_64"
	elevenLabsDefaultFormat   = "mp3_44100_128"
	summaryTargetMin          = 100
	summaryTargetMax          = 10_000
	maxErrorBodyBytes         = 64 << 10
	defaultOpenAIPublicAPIURL = "https://api.openai.com/v1"
)

// VoiceSettings are messages.tts.elevenlabs.voiceSettings.
type VoiceSettings struct {
	Stability       float64
	SimilarityBoost float64
	Style           float64
	UseSpeakerBoost bool
	Speed           float64
}

// ElevenLabs are the resolved messages.tts.elevenlabs keys.
type ElevenLabs struct {
	BaseURL                string
	VoiceID                string
	ModelID                string
	Seed                   *int64
	ApplyTextNormalization string
	LanguageCode           string
	VoiceSettings          VoiceSettings
}

// OverridePolicy is messages.tts.modelOverrides: which [[tts:...]] directives in a
// reply the gateway obeys (every one, by default).
type OverridePolicy struct {
	Enabled, AllowText, AllowProvider, AllowVoice, AllowModelID, AllowVoiceSettings, AllowNormalization, AllowSeed bool
}

// resolveSpoken fills the keys of the spoken-reply path into s.
func resolveSpoken(s *Settings, get Lookup) {
	str := func(p string) string {
		if v, ok := get(p); ok {
			if x, ok := v.(string); ok {
				return strings.TrimSpace(x)
			}
		}
		return ""
	}
	boolOr := func(p string, def bool) bool {
		if v, ok := get(p); ok {
			if b, ok := v.(bool); ok {
				return b
			}
		}
		return def
	}
	numOr := func(p string, def float64) float64 {
		if v, ok := get(p); ok {
			if f, ok := v.(float64); ok {
				return f
			}
		}
		return def
	}
	s.Auto = normalizeAuto(str("/messages/tts/auto"))
	if s.Auto == "" {
		s.Auto = AutoOff
		if s.Enabled {
			s.Auto = AutoAlways
		}
	}
	s.Mode = str("/messages/tts/mode")
	if s.Mode != "all" {
		s.Mode = "final"
	}
	s.ProviderConfigured = str("/messages/tts/provider") != ""
	s.SummaryModel = str("/messages/tts/summaryModel")
	s.ElevenLabs = ElevenLabs{
		BaseURL:                strings.TrimRight(firstNonEmpty(str("/messages/tts/elevenlabs/baseUrl"), DefaultElevenLabsBaseURL), "/"),
		VoiceID:                firstNonEmpty(str("/messages/tts/elevenlabs/voiceId"), DefaultElevenLabsVoiceID),
		ModelID:                firstNonEmpty(str("/messages/tts/elevenlabs/modelId"), DefaultElevenLabsModelID),
		ApplyTextNormalization: str("/messages/tts/elevenlabs/applyTextNormalization"),
		LanguageCode:           str("/messages/tts/elevenlabs/languageCode"),
		VoiceSettings: VoiceSettings{
			Stability:       numOr("/messages/tts/elevenlabs/voiceSettings/stability", 0.5),
			SimilarityBoost: numOr("/messages/tts/elevenlabs/voiceSettings/similarityBoost", 0.75),
			Style:           numOr("/messages/tts/elevenlabs/voiceSettings/style", 0),
			UseSpeakerBoost: boolOr("/messages/tts/elevenlabs/voiceSettings/useSpeakerBoost", true),
			Speed:           numOr("/messages/tts/elevenlabs/voiceSettings/speed", 1),
		},
	}
	if v, ok := get("/messages/tts/elevenlabs/seed"); ok {
		if f, ok := v.(float64); ok {
			n := int64(f)
			s.ElevenLabs.Seed = &n
		}
	}
	s.EdgeEnabled = boolOr("/messages/tts/edge/enabled", true)
	on := boolOr("/messages/tts/modelOverrides/enabled", true)
	allow := func(k string) bool { return on && boolOr("/messages/tts/modelOverrides/"+k, true) }
	s.Overrides = OverridePolicy{
		Enabled: on, AllowText: allow("allowText"), AllowProvider: allow("allowProvider"), AllowVoice: allow("allowVoice"),
		AllowModelID: allow("allowModelId"), AllowVoiceSettings: allow("allowVoiceSettings"),
		AllowNormalization: allow("allowNormalization"), AllowSeed: allow("allowSeed"),
	}
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func normalizeAuto(v string) string {
	switch v = strings.ToLower(strings.TrimSpace(v)); v {
	case AutoOff, AutoAlways, AutoInbound, AutoTagged:
		return v
	}
	return ""
}

// AutoMode is the effective auto mode: the preferences file's tts.auto, else its
// tts.enabled (true: always, false: off), else messages.tts.auto (else enabled).
func AutoMode(s Settings) string {
	t := readPrefs(s.PrefsPath).tts()
	if a, ok := t["auto"].(string); ok && normalizeAuto(a) != "" {
		return normalizeAuto(a)
	}
	if b, ok := t["enabled"].(bool); ok {
		if b {
			return AutoAlways
		}
		return AutoOff
	}
	return s.Auto
}

// spokenPrefs are the preferences file's maxLength and summarize.
func spokenPrefs(s Settings) (maxLength int, summarize bool) {
	t := readPrefs(s.PrefsPath).tts()
	maxLength, summarize = DefaultSpokenMaxLength, true
	if f, ok := t["maxLength"].(float64); ok && f > 0 {
		maxLength = int(f)
	}
	if b, ok := t["summarize"].(bool); ok {
		summarize = b
	}
	return maxLength, summarize
}

// primaryProvider is the reference's choice: the preferences file's provider, else
// messages.tts.provider when set, else the first of openai and elevenlabs with a key,
// else edge.
func primaryProvider(s Settings) string {
	if p, ok := readPrefs(s.PrefsPath).tts()["provider"].(string); ok && knownProvider(p) {
		return p
	}
	if s.ProviderConfigured && knownProvider(s.Provider) {
		return s.Provider
	}
	switch {
	case s.OpenAIKey != "":
		return "openai"
	case s.ElevenLabsKey != "":
		return "elevenlabs"
	}
	return "edge"
}

func knownProvider(p string) bool { return p == "openai" || p == "elevenlabs" || p == "edge" }

// ProviderOrder is the fallback order: the primary, then openai, elevenlabs, edge.
func ProviderOrder(primary string) []string {
	out := []string{primary}
	for _, p := range []string{"openai", "elevenlabs", "edge"} {
		if p != primary {
			out = append(out, p)
		}
	}
	return out
}

// Directives are the [[tts:...]] overrides a reply carries.
type Directives struct {
	Text     string // [[tts:text]]...[[/tts:text]]: what is spoken instead of the reply
	Provider string
	// OpenAI
	Voice, Model string
	// ElevenLabs
	VoiceID, ModelID, Normalization, Language string
	Seed                                      *int64
	Stability, Similarity, Style, Speed       *float64
	SpeakerBoost                              *bool
}

var (
	ttsTextBlock = regexp.MustCompile(`(?is)\[\[tts:text\]\](.*?)\[\[/tts:text\]\]`)
	// A bare [[tts]] is a tag too (the reference's prompt hint names it; its parser
	// only saw [[tts:...]]).
	ttsDirective = regexp.MustCompile(`(?i)\[\[tts(?::([^\]]+))?\]\]`)
	voiceIDRe    = regexp.MustCompile(`^[a-zA-Z0-9]{10,40}$`)
	langRe       = regexp.MustCompile(`^[a-z]{2}$`)
)

// ParseDirectives strips [[tts:...]] tags from text (when the policy allows any) and
// returns the cleaned text, whether there was a tag, the overrides the policy allows,
// and warnings for values it refused.
func ParseDirectives(text string, pol OverridePolicy, customOpenAI bool) (cleaned string, found bool, d Directives, warnings []string) {
	if !pol.Enabled {
		return text, false, d, nil
	}
	textSet := false
	cleaned = ttsTextBlock.ReplaceAllStringFunc(text, func(m string) string {
		found = true
		if pol.AllowText && !textSet {
			d.Text, textSet = strings.TrimSpace(ttsTextBlock.FindStringSubmatch(m)[1]), true
		}
		return ""
	})
	num := func(v, label string, lo, hi float64) *float64 {
		var f float64
		if _, err := fmt.Sscanf(v, "%g", &f); err != nil {
			warnings = append(warnings, "invalid "+label+" value")
			return nil
		}
		if f < lo || f > hi {
			warnings = append(warnings, fmt.Sprintf("%s must be between %g and %g", label, lo, hi))
			return nil
		}
		return &f
	}
	cleaned = ttsDirective.ReplaceAllStringFunc(cleaned, func(m string) string {
		found = true
		for _, tok := range strings.Fields(ttsDirective.FindStringSubmatch(m)[1]) {
			k, v, ok := strings.Cut(tok, "=")
			k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
			if !ok || k == "" || v == "" {
				continue
			}
			switch k {
			case "provider":
				if !pol.AllowProvider {
					break
				}
				if knownProvider(v) {
					d.Provider = v
				} else {
					warnings = append(warnings, fmt.Sprintf("unsupported provider %q", v))
				}
			case "voice", "openai_voice", "openaivoice":
				if !pol.AllowVoice {
					break
				}
				if customOpenAI || contains(OpenAIVoices, v) {
					d.Voice = v
				} else {
					warnings = append(warnings, fmt.Sprintf("invalid OpenAI voice %q", v))
				}
			case "voiceid", "voice_id", "elevenlabs_voice", "elevenlabsvoice":
				if !pol.AllowVoice {
					break
				}
				if voiceIDRe.MatchString(v) {
					d.VoiceID = v
				} else {
					warnings = append(warnings, fmt.Sprintf("invalid ElevenLabs voiceId %q", v))
				}
			case "model", "modelid", "model_id", "elevenlabs_model", "elevenlabsmodel", "openai_model", "openaimodel":
				if !pol.AllowModelID {
					break
				}
				if customOpenAI || contains(openAIModelsAccepted, v) {
					d.Model = v
				} else {
					d.ModelID = v
				}
			case "stability":
				if pol.AllowVoiceSettings {
					if f := num(v, "stability", 0, 1); f != nil {
						d.Stability = f
					}
				}
			case "similarity", "similarityboost", "similarity_boost":
				if pol.AllowVoiceSettings {
					if f := num(v, "similarityBoost", 0, 1); f != nil {
						d.Similarity = f
					}
				}
			case "style":
				if pol.AllowVoiceSettings {
					if f := num(v, "style", 0, 1); f != nil {
						d.Style = f
					}
				}
			case "speed":
				if pol.AllowVoiceSettings {
					if f := num(v, "speed", 0.5, 2); f != nil {
						d.Speed = f
					}
				}
			case "speakerboost", "speaker_boost", "usespeakerboost", "use_speaker_boost":
				if !pol.AllowVoiceSettings {
					break
				}
				switch strings.ToLower(v) {
				case "true", "1", "yes", "on":
					b := true
					d.SpeakerBoost = &b
				case "false", "0", "no", "off":
					b := false
					d.SpeakerBoost = &b
				default:
					warnings = append(warnings, "invalid useSpeakerBoost value")
				}
			case "normalize", "applytextnormalization", "apply_text_normalization":
				if !pol.AllowNormalization {
					break
				}
				if n := strings.ToLower(v); n == "auto" || n == "on" || n == "off" {
					d.Normalization = n
				} else {
					warnings = append(warnings, "applyTextNormalization must be one of: auto, on, off")
				}
			case "language", "languagecode", "language_code":
				if !pol.AllowNormalization {
					break
				}
				if l := strings.ToLower(v); langRe.MatchString(l) {
					d.Language = l
				} else {
					warnings = append(warnings, "languageCode must be a 2-letter ISO 639-1 code (e.g. en, de, fr)")
				}
			case "seed":
				if !pol.AllowSeed {
					break
				}
				var n int64
				if _, err := fmt.Sscanf(v, "%d", &n); err != nil || n < 0 || n > 4_294_967_295 {
					warnings = append(warnings, "seed must be between 0 and 4294967295")
				} else {
					d.Seed = &n
				}
			}
		}
		return ""
	})
	return cleaned, found, d, warnings
}

// openAIModelsAccepted are the speech models the public OpenAI API takes.
var openAIModelsAccepted = []string{"gpt-4o-mini-tts", "tts-1", "tts-1-hd"}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// Result is a synthesised file.
type Result struct {
	Path            string
	Provider        string
	OutputFormat    string
	VoiceCompatible bool // Telegram opus: sent as a voice note
}

// synth talks to the speech providers and stores their audio.
type synth struct {
	client    *http.Client
	now       func() time.Time
	tempDir   string
	afterFunc func(time.Duration, func())
}

// speak converts text with the first provider of the fallback order that succeeds.
// channel picks the format: telegram gets opus (a voice note), others mp3.
func (y *synth) speak(ctx context.Context, s Settings, text, channel string, d Directives) (Result, error) {
	if n := len([]rune(text)); n > s.MaxTextLength {
		return Result{}, fmt.Errorf("Text too long (%d chars, max %d)", n, s.MaxTextLength)
	}
	telegram := strings.EqualFold(strings.TrimSpace(channel), "telegram")
	openaiFormat, elFormat, ext := "mp3", elevenLabsDefaultFormat, ".mp3"
	if telegram {
		openaiFormat, elFormat, ext = "opus", elevenLabsTelegramFormat, ".opus"
	}
	primary := primaryProvider(s)
	if d.Provider != "" {
		primary = d.Provider
	}
	// Every provider's failure is reported (the reference keeps only the last).
	var fails []string
	for _, p := range ProviderOrder(primary) {
		var audio []byte
		var err error
		format := openaiFormat
		switch p {
		case "edge":
			if !s.EdgeEnabled {
				fails = append(fails, "edge: disabled")
				continue
			}
			res, err := y.speakEdge(ctx, s.Edge, text)
			if err != nil {
				fails = append(fails, p+": "+err.Error())
				continue
			}
			return res, nil
		case "openai":
			if s.OpenAIKey == "" {
				fails = append(fails, "No API key for openai")
				continue
			}
			audio, err = y.openAI(ctx, s, text, firstNonEmpty(d.Model, s.OpenAIModel), firstNonEmpty(d.Voice, s.OpenAIVoice), openaiFormat)
		case "elevenlabs":
			if s.ElevenLabsKey == "" {
				fails = append(fails, "No API key for elevenlabs")
				continue
			}
			format = elFormat
			audio, err = y.elevenLabs(ctx, s, text, d, elFormat)
		}
		if err != nil {
			fails = append(fails, p+": "+err.Error())
			continue
		}
		path, err := y.store(audio, ext)
		if err != nil {
			return Result{}, fmt.Errorf("tts: %w", err)
		}
		return Result{Path: path, Provider: p, OutputFormat: format, VoiceCompatible: telegram}, nil
	}
	if len(fails) == 0 {
		fails = append(fails, "no providers available")
	}
	return Result{}, fmt.Errorf("TTS conversion failed: %s", strings.Join(fails, "; "))
}

// speakEdge converts text with Edge TTS and stores the audio (and, with
// saveSubtitles, the word timings as <audio>.json next to it). A configured output
// format that fails is retried once with the default format, as the reference. Edge
// keeps its format on every channel; the file is a voice note when it is ogg/opus.
func (y *synth) speakEdge(ctx context.Context, e Edge, text string) (Result, error) {
	format := e.OutputFormat
	r, err := y.edge(ctx, e, text)
	if err != nil && e.OutputFormatConfigured && format != DefaultEdgeOutputFormat && ctx.Err() == nil {
		format = DefaultEdgeOutputFormat
		e.OutputFormat = format
		r, err = y.edge(ctx, e, text)
	}
	if err != nil {
		return Result{}, err
	}
	ext := edgeExtension(format)
	path, err := y.store(r.audio, ext)
	if err != nil {
		return Result{}, fmt.Errorf("tts: %w", err)
	}
	if e.SaveSubtitles {
		subs := r.subtitles
		if subs == nil {
			subs = []EdgeSubtitle{}
		}
		b, _ := json.Marshal(subs)
		if err := os.WriteFile(path+".json", b, 0o600); err != nil {
			return Result{}, fmt.Errorf("tts: subtitles: %w", err)
		}
	}
	return Result{Path: path, Provider: "edge", OutputFormat: format, VoiceCompatible: voiceExtension(ext)}, nil
}

// post sends a speech request and reads the audio (at most MaxAudioBytes).
func (y *synth) post(ctx context.Context, s Settings, u string, body any, header http.Header, label string) ([]byte, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header = header
	req.Header.Set("Content-Type", "application/json")
	resp, err := y.client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, errors.New("request timed out")
		}
		return nil, fmt.Errorf("request failed: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBodyBytes))
		return nil, fmt.Errorf("%s API error (%d)", label, resp.StatusCode)
	}
	audio, err := io.ReadAll(io.LimitReader(resp.Body, MaxAudioBytes+1))
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, errors.New("request timed out")
		}
		return nil, fmt.Errorf("reading audio: %w", err)
	}
	if len(audio) > MaxAudioBytes {
		return nil, fmt.Errorf("audio larger than %d bytes", MaxAudioBytes)
	}
	if len(audio) == 0 {
		return nil, errors.New("empty audio")
	}
	return audio, nil
}

// openAI posts to an OpenAI-compatible /audio/speech endpoint.
func (y *synth) openAI(ctx context.Context, s Settings, text, model, voice, format string) ([]byte, error) {
	if s.OpenAIBaseURL == defaultOpenAIPublicAPIURL {
		if !contains(openAIModelsAccepted, model) {
			return nil, fmt.Errorf("Invalid model: %s", model)
		}
		if !contains(OpenAIVoices, voice) {
			return nil, fmt.Errorf("Invalid voice: %s", voice)
		}
	}
	h := http.Header{}
	h.Set("Authorization", "Bearer "+s.OpenAIKey)
	return y.post(ctx, s, s.OpenAIBaseURL+"/audio/speech", map[string]string{"model": model, "input": text, "voice": voice, "response_format": format}, h, "OpenAI TTS")
}

// elevenLabs posts to ElevenLabs' POST /v1/text-to-speech/{voice_id}.
func (y *synth) elevenLabs(ctx context.Context, s Settings, text string, d Directives, format string) ([]byte, error) {
	e := s.ElevenLabs
	voiceID := firstNonEmpty(d.VoiceID, e.VoiceID)
	if !voiceIDRe.MatchString(voiceID) {
		return nil, errors.New("Invalid voiceId format")
	}
	vs := e.VoiceSettings
	for _, o := range []struct {
		v   *float64
		dst *float64
	}{{d.Stability, &vs.Stability}, {d.Similarity, &vs.SimilarityBoost}, {d.Style, &vs.Style}, {d.Speed, &vs.Speed}} {
		if o.v != nil {
			*o.dst = *o.v
		}
	}
	if d.SpeakerBoost != nil {
		vs.UseSpeakerBoost = *d.SpeakerBoost
	}
	for _, r := range []struct {
		name     string
		v, lo, h float64
	}{{"stability", vs.Stability, 0, 1}, {"similarityBoost", vs.SimilarityBoost, 0, 1}, {"style", vs.Style, 0, 1}, {"speed", vs.Speed, 0.5, 2}} {
		if r.v < r.lo || r.v > r.h {
			return nil, fmt.Errorf("%s must be between %g and %g", r.name, r.lo, r.h)
		}
	}
	body := map[string]any{
		"text":     text,
		"model_id": firstNonEmpty(d.ModelID, e.ModelID),
		"voice_settings": map[string]any{
			"stability": vs.Stability, "similarity_boost": vs.SimilarityBoost, "style": vs.Style,
			"use_speaker_boost": vs.UseSpeakerBoost, "speed": vs.Speed,
		},
	}
	seed := e.Seed
	if d.Seed != nil {
		seed = d.Seed
	}
	if seed != nil {
		if *seed < 0 || *seed > 4_294_967_295 {
			return nil, errors.New("seed must be between 0 and 4294967295")
		}
		body["seed"] = *seed
	}
	if n := strings.ToLower(firstNonEmpty(d.Normalization, e.ApplyTextNormalization)); n != "" {
		if n != "auto" && n != "on" && n != "off" {
			return nil, errors.New("applyTextNormalization must be one of: auto, on, off")
		}
		body["apply_text_normalization"] = n
	}
	if l := strings.ToLower(firstNonEmpty(d.Language, e.LanguageCode)); l != "" {
		if !langRe.MatchString(l) {
			return nil, errors.New("languageCode must be a 2-letter ISO 639-1 code (e.g. en, de, fr)")
		}
		body["language_code"] = l
	}
	u := e.BaseURL + "/v1/text-to-speech/" + url.PathEscape(voiceID) + "?output_format=" + url.QueryEscape(format)
	h := http.Header{}
	h.Set("xi-api-key", s.ElevenLabsKey)
	h.Set("Accept", "audio/mpeg")
	return y.post(ctx, s, u, body, h, "ElevenLabs")
}

// store writes audio to a fresh private directory and schedules its removal.
func (y *synth) store(audio []byte, ext string) (string, error) {
	dir, err := os.MkdirTemp(y.tempDir, "tts-")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, fmt.Sprintf("voice-%d%s", y.now().UnixMilli(), ext))
	if err := os.WriteFile(path, audio, 0o600); err != nil {
		_ = os.RemoveAll(dir)
		return "", err
	}
	y.afterFunc(FileLifetime, func() { _ = os.RemoveAll(dir) })
	return path, nil
}

// Summarizer shortens text to about target characters with a model (the
// reference's summaryModel, else the agent's default model).
type Summarizer func(ctx context.Context, model, text string, target int) (string, error)

// SpeakerOptions configure a Speaker.
type SpeakerOptions struct {
	Settings  func() Settings
	Client    *http.Client
	Summarize Summarizer // nil: long replies are not spoken
	Log       *slog.Logger
	Now       func() time.Time
	TempDir   string
	AfterFunc func(time.Duration, func())
}

// Speaker turns agent replies into voice notes (messages.tts.auto).
type Speaker struct {
	o SpeakerOptions
	y *synth
}

// NewSpeaker returns a Speaker.
func NewSpeaker(o SpeakerOptions) *Speaker {
	y := newSynth(o.Client, o.Now, o.TempDir, o.AfterFunc)
	o.Now = y.now
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Speaker{o: o, y: y}
}

// Reply is a reply about to be delivered.
type Reply struct {
	Text         string
	Channel      string
	Kind         string // final (default) or block
	InboundAudio bool   // the message answered was a voice note or audio file
	HasMedia     bool   // the reply already carries files (MEDIA: lines)
}

// Spoken is what to deliver: the text with [[tts:...]] tags removed and, when the
// reply is spoken, the audio file.
type Spoken struct {
	Text      string
	AudioPath string
	Voice     bool // send as a voice note (Telegram opus)
}

// Apply decides, as the reference does, whether a reply is spoken and makes the
// audio. Any failure leaves the reply as text (and is logged).
func (sp *Speaker) Apply(ctx context.Context, r Reply) Spoken {
	s := sp.o.Settings()
	mode := AutoMode(s)
	out := Spoken{Text: r.Text}
	if mode == AutoOff {
		return out
	}
	custom := s.OpenAIBaseURL != defaultOpenAIPublicAPIURL
	cleaned, found, d, warnings := ParseDirectives(r.Text, s.Overrides, custom)
	if len(warnings) > 0 {
		sp.o.Log.Info("tts: ignored directive overrides", "warnings", strings.Join(warnings, "; "))
	}
	visible := strings.TrimSpace(cleaned)
	if visible != strings.TrimSpace(r.Text) {
		out.Text = visible
	}
	spoken := strings.TrimSpace(firstNonEmpty(strings.TrimSpace(d.Text), visible))
	switch {
	case mode == AutoTagged && !found,
		mode == AutoInbound && !r.InboundAudio,
		s.Mode == "final" && r.Kind != "" && r.Kind != "final",
		spoken == "", r.HasMedia, strings.Contains(r.Text, "MEDIA:"),
		len([]rune(spoken)) < MinSpokenChars:
		return out
	}
	maxLen, summarize := spokenPrefs(s)
	if n := len([]rune(spoken)); n > maxLen {
		if !summarize || sp.o.Summarize == nil {
			sp.o.Log.Info("tts: long reply not spoken", "chars", n, "maxLength", maxLen, "summarize", summarize)
			return out
		}
		if maxLen < summaryTargetMin || maxLen > summaryTargetMax {
			sp.o.Log.Warn("tts: summarization failed", "err", fmt.Sprintf("Invalid targetLength: %d", maxLen))
			return out
		}
		sctx, cancel := context.WithTimeout(ctx, s.Timeout)
		sum, err := sp.o.Summarize(sctx, s.SummaryModel, spoken, maxLen)
		cancel()
		if err == nil && strings.TrimSpace(sum) == "" {
			err = errors.New("No summary returned")
		}
		if err != nil {
			sp.o.Log.Warn("tts: summarization failed", "err", err)
			return out
		}
		spoken = strings.TrimSpace(sum)
		if rs := []rune(spoken); len(rs) > s.MaxTextLength {
			spoken = string(rs[:max(0, s.MaxTextLength-3)]) + "..."
		}
	}
	start := sp.o.Now()
	res, err := sp.y.speak(ctx, s, spoken, r.Channel, d)
	if err != nil {
		sp.o.Log.Warn("tts: conversion failed; reply sent as text", "channel", r.Channel, "after", sp.o.Now().Sub(start), "err", err)
		return out
	}
	sp.o.Log.Info("tts: reply spoken", "channel", r.Channel, "provider", res.Provider, "format", res.OutputFormat)
	out.AudioPath, out.Voice = res.Path, res.VoiceCompatible
	return out
}

// Convert synthesises text (the agent's tts tool): the file, or the error.
func (sp *Speaker) Convert(ctx context.Context, text, channel string) (Result, error) {
	return sp.y.speak(ctx, sp.o.Settings(), text, channel, Directives{})
}

// Speak is Convert for the agent's tts tool (tools.Speech).
func (sp *Speaker) Speak(ctx context.Context, text, channel string) (path, provider string, voice bool, err error) {
	res, err := sp.Convert(ctx, text, channel)
	return res.Path, res.Provider, res.VoiceCompatible, err
}
