// Package understand is the gateway's media and link understanding (the original's
// tools.media and tools.links): before an inbound message reaches the agent, its
// pictures are described, its voice notes and audio transcribed and its videos
// described by a list of models tried in order — OpenAI-compatible HTTP providers or
// local commands — and the links in it summarised by local commands. The results are
// written into the message body in the original's layout ("[Image]" / "[Audio]" /
// "[Video]" sections), so a text-only model can answer a photo and every model can
// answer a voice note.
//
// The package knows nothing about channels or the agent: the caller hands it the
// message's context (channel, chat type, session key, whether the answering model
// sees images) and the stored files, and gets outputs back.
package understand

import (
	"strings"
	"time"
)

// Capability is what understanding does with one kind of attachment.
type Capability string

// The three capabilities, in the order the original runs them.
const (
	Image Capability = "image"
	Audio Capability = "audio"
	Video Capability = "video"
)

// Capabilities lists them in order.
var Capabilities = []Capability{Image, Audio, Video}

// The original's defaults (src/media-understanding/defaults.ts).
const (
	// DefaultMaxChars caps image and video descriptions; audio transcripts are not
	// capped unless maxChars says so.
	DefaultMaxChars = 500
	// DefaultConcurrency is how many capabilities run at once.
	DefaultConcurrency = 2
	// CLIOutputMaxBytes bounds what a command may print (more is an error, as Node's
	// maxBuffer); it also bounds a provider's response body.
	CLIOutputMaxBytes = 5 << 20
	// DefaultMaxAttachments is how many attachments of a kind mode "all" takes when
	// maxAttachments is not set (mode "first" always takes one).
	DefaultMaxAttachments = 1
	// ImageMaxTokens is the completion budget of an image description request.
	ImageMaxTokens = 512
	// DefaultLinkTimeout bounds one link command; DefaultMaxLinks is how many links of
	// a message are summarised.
	DefaultLinkTimeout = 30 * time.Second
	DefaultMaxLinks    = 3
	mb                 = 1 << 20
)

// DefaultMaxBytes is the largest attachment sent to a model, by capability.
var DefaultMaxBytes = map[Capability]int64{Image: 10 * mb, Audio: 20 * mb, Video: 50 * mb}

// DefaultTimeout bounds one model attempt, by capability.
var DefaultTimeout = map[Capability]time.Duration{Image: 60 * time.Second, Audio: 60 * time.Second, Video: 120 * time.Second}

// DefaultPrompt is the instruction sent with an attachment, by capability.
var DefaultPrompt = map[Capability]string{Image: "Describe the image.", Audio: "Transcribe the audio.", Video: "Describe the video."}

// DefaultAudioModels are the transcription models used when an entry names none.
var DefaultAudioModels = map[string]string{"groq": "whisper-large-v3-turbo", "openai": "gpt-4o-mini-transcribe"}

// FallbackAudioModel is the model sent to an OpenAI-compatible endpoint of a provider
// without a default of its own (the original's OpenAI-compatible client default).
const FallbackAudioModel = "gpt-4o-mini-transcribe"

// ProviderCapabilities are what the built-in providers can do; a shared model entry
// (tools.media.models) without capabilities applies to these, and is skipped when its
// provider is not listed here.
var ProviderCapabilities = map[string][]Capability{
	"openai":    {Image, Audio},
	"groq":      {Audio},
	"anthropic": {Image},
	"google":    {Image, Audio, Video},
	"minimax":   {Image},
	"deepgram":  {Audio},
}

// Config is tools.media, decoded from the config file's JSON shape.
type Config struct {
	Models      []Entry    `json:"models,omitempty"`
	Concurrency int        `json:"concurrency,omitempty"`
	Image       *CapConfig `json:"image,omitempty"`
	Audio       *CapConfig `json:"audio,omitempty"`
	Video       *CapConfig `json:"video,omitempty"`
}

// For returns the section of a capability (nil when absent).
func (c *Config) For(capability Capability) *CapConfig {
	if c == nil {
		return nil
	}
	switch capability {
	case Image:
		return c.Image
	case Audio:
		return c.Audio
	case Video:
		return c.Video
	}
	return nil
}

// CapConfig is tools.media.<image|audio|video>.
type CapConfig struct {
	Enabled        *bool             `json:"enabled,omitempty"`
	Scope          *Scope            `json:"scope,omitempty"`
	MaxBytes       int64             `json:"maxBytes,omitempty"`
	MaxChars       int               `json:"maxChars,omitempty"`
	Prompt         string            `json:"prompt,omitempty"`
	TimeoutSeconds int               `json:"timeoutSeconds,omitempty"`
	Language       string            `json:"language,omitempty"`
	Headers        map[string]string `json:"headers,omitempty"`
	BaseURL        string            `json:"baseUrl,omitempty"`
	Attachments    *AttachmentPolicy `json:"attachments,omitempty"`
	Models         []Entry           `json:"models,omitempty"`
}

// AttachmentPolicy picks which attachments of a kind are understood.
type AttachmentPolicy struct {
	Mode           string `json:"mode,omitempty"` // "first" (default) or "all"
	MaxAttachments int    `json:"maxAttachments,omitempty"`
	Prefer         string `json:"prefer,omitempty"` // first, last, path, url
}

// Entry is one model of a list: an OpenAI-compatible provider (type "provider") or a
// local command (type "cli"; the default when command is set).
type Entry struct {
	Type           string            `json:"type,omitempty"`
	Provider       string            `json:"provider,omitempty"`
	Model          string            `json:"model,omitempty"`
	Capabilities   []Capability      `json:"capabilities,omitempty"`
	Command        string            `json:"command,omitempty"`
	Args           []string          `json:"args,omitempty"`
	Prompt         string            `json:"prompt,omitempty"`
	MaxChars       int               `json:"maxChars,omitempty"`
	MaxBytes       int64             `json:"maxBytes,omitempty"`
	TimeoutSeconds int               `json:"timeoutSeconds,omitempty"`
	Language       string            `json:"language,omitempty"`
	BaseURL        string            `json:"baseUrl,omitempty"`
	Headers        map[string]string `json:"headers,omitempty"`
}

// kind is the entry's type, defaulting as the original does.
func (e Entry) kind() string {
	if t := strings.TrimSpace(e.Type); t != "" {
		return t
	}
	if strings.TrimSpace(e.Command) != "" {
		return "cli"
	}
	return "provider"
}

// Scope gates understanding by where a message comes from.
type Scope struct {
	Default string      `json:"default,omitempty"`
	Rules   []ScopeRule `json:"rules,omitempty"`
}

// ScopeRule: the first rule whose match fits decides.
type ScopeRule struct {
	Action string      `json:"action,omitempty"`
	Match  *ScopeMatch `json:"match,omitempty"`
}

// ScopeMatch: every field set must fit.
type ScopeMatch struct {
	Channel   string `json:"channel,omitempty"`
	ChatType  string `json:"chatType,omitempty"`
	KeyPrefix string `json:"keyPrefix,omitempty"`
}

// LinksConfig is tools.links.
type LinksConfig struct {
	Enabled        *bool       `json:"enabled,omitempty"`
	Scope          *Scope      `json:"scope,omitempty"`
	MaxLinks       int         `json:"maxLinks,omitempty"`
	TimeoutSeconds int         `json:"timeoutSeconds,omitempty"`
	Models         []LinkEntry `json:"models,omitempty"`
}

// LinkEntry is a link summariser: a command run with {{LinkUrl}} in its args.
type LinkEntry struct {
	Type           string   `json:"type,omitempty"`
	Command        string   `json:"command,omitempty"`
	Args           []string `json:"args,omitempty"`
	TimeoutSeconds int      `json:"timeoutSeconds,omitempty"`
}

// Allowed decides a scope for a message: the first matching rule's action, else the
// default, else allow. Matching is case-insensitive; keyPrefix is a prefix of the
// session key.
func (s *Scope) Allowed(channel, chatType, sessionKey string) bool {
	if s == nil {
		return true
	}
	channel = norm(channel)
	chatType = NormalizeChatType(chatType)
	key := norm(sessionKey)
	for _, r := range s.Rules {
		allow := norm(r.Action) != "deny"
		m := r.Match
		if m == nil {
			return allow
		}
		if c := norm(m.Channel); c != "" && c != channel {
			continue
		}
		if t := NormalizeChatType(m.ChatType); t != "" && t != chatType {
			continue
		}
		if p := norm(m.KeyPrefix); p != "" && !strings.HasPrefix(key, p) {
			continue
		}
		return allow
	}
	return norm(s.Default) != "deny"
}

// NormalizeChatType maps the spellings the original accepts ("dm" is a direct chat).
func NormalizeChatType(s string) string {
	switch v := norm(s); v {
	case "direct", "dm":
		return "direct"
	case "group", "channel":
		return v
	}
	return ""
}

func norm(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// timeoutOf resolves seconds (first set wins) with a floor of one second.
func timeoutOf(fallback time.Duration, seconds ...int) time.Duration {
	for _, s := range seconds {
		if s > 0 {
			return time.Duration(s) * time.Second
		}
	}
	if fallback < time.Second {
		return time.Second
	}
	return fallback
}
