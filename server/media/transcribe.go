package media

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// Transcription defaults.
const (
	// DefaultTranscribeModel is the original's default OpenAI audio model.
	DefaultTranscribeModel = "gpt-4o-mini-transcribe"
	// DefaultTranscribeTimeout bounds one transcription (the original's 60 s).
	DefaultTranscribeTimeout = 60 * time.Second
	// MaxTranscribeBytes is the largest file sent for transcription (the original's
	// 20 MB audio limit; voice notes are far smaller).
	MaxTranscribeBytes = 20 * MB
	// MaxTranscriptChars caps the transcript handed to the agent (runes).
	MaxTranscriptChars = 20000
)

// ErrTranscriptionOff: no transcription endpoint is configured.
var ErrTranscriptionOff = errors.New("media: audio transcription not configured")

// TranscribeConfig points at an OpenAI-compatible /v1/audio/transcriptions endpoint.
// With BaseURL and APIKey both empty, transcription is off.
type TranscribeConfig struct {
	BaseURL  string // e.g. "https://host/v1"; "" = the OpenAI default when APIKey is set
	APIKey   string
	Model    string // DefaultTranscribeModel when empty
	Language string // optional ISO-639-1 hint
	Timeout  time.Duration
	// MaxChars caps the transcript (MaxTranscriptChars when 0; tools.media.audio.maxChars).
	MaxChars   int
	HTTPClient *http.Client
}

// Transcriber turns audio files into text. A nil *Transcriber is valid and off.
type Transcriber struct {
	client   openai.Client
	model    string
	lang     string
	timeout  time.Duration
	maxChars int
}

// NewTranscriber returns nil (transcription off) when cfg names no endpoint.
func NewTranscriber(cfg TranscribeConfig) *Transcriber {
	if strings.TrimSpace(cfg.BaseURL) == "" && strings.TrimSpace(cfg.APIKey) == "" {
		return nil
	}
	opts := []option.RequestOption{option.WithMaxRetries(1), option.WithAPIKey(cfg.APIKey)}
	if cfg.BaseURL != "" {
		opts = append(opts, option.WithBaseURL(strings.TrimRight(cfg.BaseURL, "/")+"/"))
	}
	if cfg.HTTPClient != nil {
		opts = append(opts, option.WithHTTPClient(cfg.HTTPClient))
	}
	t := &Transcriber{client: openai.NewClient(opts...), model: cfg.Model, lang: cfg.Language, timeout: cfg.Timeout}
	if t.model == "" {
		t.model = DefaultTranscribeModel
	}
	if t.timeout <= 0 {
		t.timeout = DefaultTranscribeTimeout
	}
	t.maxChars = cfg.MaxChars
	if t.maxChars <= 0 {
		t.maxChars = MaxTranscriptChars
	}
	return t
}

// Enabled reports whether transcription is configured.
func (t *Transcriber) Enabled() bool { return t != nil }

// Transcribe sends a saved audio (or video) file and returns the transcript.
func (t *Transcriber) Transcribe(ctx context.Context, s Saved) (string, error) {
	if t == nil {
		return "", ErrTranscriptionOff
	}
	if s.Kind != Audio && s.Kind != Video {
		return "", fmt.Errorf("media: cannot transcribe %s", s.ContentType)
	}
	if s.Size > MaxTranscribeBytes {
		return "", fmt.Errorf("%w: %d bytes over the transcription limit %d", ErrTooLarge, s.Size, MaxTranscribeBytes)
	}
	f, err := os.Open(s.Path)
	if err != nil {
		return "", fmt.Errorf("media: %w", err)
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	name := filepath.Base(s.Path)
	// Endpoints identify the format by the file name's extension.
	if filepath.Ext(name) == "" {
		name += ExtensionFor(s.ContentType)
	}
	p := openai.AudioTranscriptionNewParams{
		File:  openai.File(f, name, baseMIME(s.ContentType)),
		Model: openai.AudioModel(t.model),
	}
	if t.lang != "" {
		p.Language = openai.String(t.lang)
	}
	res, err := t.client.Audio.Transcriptions.New(ctx, p)
	if err != nil {
		return "", fmt.Errorf("media: transcribe: %w", err)
	}
	text := strings.TrimSpace(res.Text)
	if r := []rune(text); len(r) > t.maxChars {
		text = string(r[:t.maxChars]) + "…"
	}
	return text, nil
}
