package daemon

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	genconfig "github.com/clawgate/gateway/gen/go/config"
	"github.com/clawgate/gateway/server/media"
)

// transcriptionProviders are the audio providers spoken to over the OpenAI-compatible
// /audio/transcriptions endpoint, with their default base URLs and key variables.
var transcriptionProviders = map[string]struct{ baseURL, env string }{
	"openai": {"https://api.openai.com/v1", "OPENAI_API_KEY"},
	"groq":   {"https://api.groq.com/openai/v1", "GROQ_API_KEY"},
}

// mediaStore opens the inbound media store under <state>/media (files are written on
// the first received file). media.preserveFilenames is read here: a change to media.*
// restarts the gateway (reload rules), which builds the store again.
func mediaStore(s *services) (*media.Store, error) {
	preserve := false
	if v, ok := s.file.Lookup("/media/preserveFilenames"); ok {
		preserve, _ = v.(bool)
	}
	return media.New(media.Options{Dir: filepath.Join(s.paths.StateDir, "media"), PreserveFilenames: preserve})
}

// transcriber builds voice-note transcription from tools.media.audio: the first
// models entry with an OpenAI-compatible provider (openai, groq, or one under
// models.providers with a baseUrl), its key from models.providers.<id>.apiKey or the
// provider's environment variable. Off (nil) when the section is absent, disabled or
// names no usable entry; CLI entries (type "cli") are not supported and are skipped.
func transcriber(s *services, c *genconfig.ClawdbotConfig) (*media.Transcriber, error) {
	if c == nil || c.Tools == nil || c.Tools.Media == nil || c.Tools.Media.Audio == nil {
		return nil, nil
	}
	a := c.Tools.Media.Audio
	if a.Enabled != nil && !*a.Enabled {
		return nil, nil
	}
	table := providerTable(c)
	for i, m := range a.Models {
		prov := strings.ToLower(strings.TrimSpace(deref(m.Provider)))
		if prov == "" {
			prov = "openai"
		}
		base := firstNonEmpty(deref(m.BaseURL), deref(a.BaseURL), table[prov].BaseURL, transcriptionProviders[prov].baseURL)
		if base == "" {
			s.log.Warn("tools.media.audio: provider has no OpenAI-compatible transcription endpoint; entry skipped", "index", i, "provider", prov)
			continue
		}
		key := table[prov].APIKey
		if key == "" && transcriptionProviders[prov].env != "" {
			key, _ = s.env(transcriptionProviders[prov].env)
		}
		tc := media.TranscribeConfig{BaseURL: base, APIKey: key, Model: deref(m.Model), Language: firstNonEmpty(deref(m.Language), deref(a.Language))}
		if a.TimeoutSeconds != nil {
			tc.Timeout = time.Duration(*a.TimeoutSeconds) * time.Second
		}
		if a.MaxChars != nil {
			tc.MaxChars = *a.MaxChars
		}
		t := media.NewTranscriber(tc)
		if t == nil {
			return nil, fmt.Errorf("tools.media.audio.models[%d]: no endpoint", i)
		}
		return t, nil
	}
	if len(a.Models) == 0 && deref(a.BaseURL) != "" {
		// A bare endpoint: the OpenAI-compatible server at baseUrl, default model.
		tc := media.TranscribeConfig{BaseURL: deref(a.BaseURL), Language: deref(a.Language)}
		if k, ok := s.env("OPENAI_API_KEY"); ok {
			tc.APIKey = k
		}
		if a.TimeoutSeconds != nil {
			tc.Timeout = time.Duration(*a.TimeoutSeconds) * time.Second
		}
		if a.MaxChars != nil {
			tc.MaxChars = *a.MaxChars
		}
		return media.NewTranscriber(tc), nil
	}
	return nil, nil
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if strings.TrimSpace(s) != "" {
			return strings.TrimSpace(s)
		}
	}
	return ""
}
