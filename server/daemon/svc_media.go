package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	genconfig "github.com/clawgate/gateway/gen/go/config"
	"github.com/clawgate/gateway/server/grouphistory"
	"github.com/clawgate/gateway/server/media"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/understand"
)

// providerKeyEnv are the environment variables holding the API keys of the
// providers media understanding can reach without models.providers.
var providerKeyEnv = map[string]string{
	"openai": "OPENAI_API_KEY",
	"groq":   "GROQ_API_KEY",
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

// legacyTranscriptionCommands are the audio.transcription commands the original's
// migration carries over to tools.media.audio.models (others are dropped).
var legacyTranscriptionCommands = map[string]bool{"whisper": true}

// mediaUnderstandingConfig decodes tools.media and tools.links into package
// understand's shape, and maps the legacy audio.transcription as the original's
// migration does: a whisper command becomes the only audio model (a CLI entry, audio
// enabled) when tools.media.audio.models is empty.
func mediaUnderstandingConfig(s *services, c *genconfig.ClawdbotConfig) (*understand.Config, *understand.LinksConfig, error) {
	mc := &understand.Config{}
	var lc *understand.LinksConfig
	if c.Tools != nil && c.Tools.Media != nil {
		if err := recode(c.Tools.Media, mc); err != nil {
			return nil, nil, fmt.Errorf("tools.media: %w", err)
		}
	}
	if c.Tools != nil && c.Tools.Links != nil {
		lc = &understand.LinksConfig{}
		if err := recode(c.Tools.Links, lc); err != nil {
			return nil, nil, fmt.Errorf("tools.links: %w", err)
		}
	}
	if c.Audio != nil && c.Audio.Transcription != nil {
		t := c.Audio.Transcription
		exe := ""
		if len(t.Command) > 0 {
			exe = strings.TrimSpace(t.Command[0])
		}
		name := exe[strings.LastIndexAny(exe, `/\`)+1:]
		switch {
		case exe == "" || !legacyTranscriptionCommands[name]:
			s.log.Warn("audio.transcription ignored: unsupported transcription command (use tools.media.audio.models)", "command", exe)
		case mc.Audio != nil && len(mc.Audio.Models) > 0:
			s.log.Warn("audio.transcription ignored: tools.media.audio.models is set")
		default:
			if mc.Audio == nil {
				mc.Audio = &understand.CapConfig{}
			}
			on := true
			mc.Audio.Enabled = &on
			e := understand.Entry{Type: "cli", Command: exe, Args: append([]string(nil), t.Command[1:]...)}
			if t.TimeoutSeconds != nil {
				e.TimeoutSeconds = *t.TimeoutSeconds
			}
			mc.Audio.Models = []understand.Entry{e}
		}
	}
	return mc, lc, nil
}

// recode converts between two JSON shapes of the same config section.
func recode(from, to any) error {
	b, err := json.Marshal(from)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, to)
}

// mediaUnderstanding builds the understanding runner from the config: endpoints from
// models.providers (base URL, key, headers) and the built-in providers, keys from
// the environment when the config has none.
func mediaUnderstanding(s *services, c *genconfig.ClawdbotConfig) (*understand.Runner, error) {
	mc, lc, err := mediaUnderstandingConfig(s, c)
	if err != nil {
		return nil, err
	}
	table := providerTable(c)
	endpoint := func(id string) (understand.Endpoint, bool) {
		p, inTable := table[id]
		base, builtin := understand.BuiltinBaseURLs[id]
		if !inTable && !builtin {
			return understand.Endpoint{}, false
		}
		ep := understand.Endpoint{BaseURL: firstNonEmpty(p.BaseURL, base), APIKey: p.APIKey, Headers: p.Headers}
		if ep.APIKey == "" && providerKeyEnv[id] != "" && s.env != nil {
			ep.APIKey, _ = s.env(providerKeyEnv[id])
		}
		return ep, true
	}
	return understand.New(understand.Options{Media: mc, Links: lc, Endpoint: endpoint, TempDir: os.TempDir(), Log: s.log}), nil
}

// agentView is what understanding asks the agent runtime: the session a message goes
// to and whether the model answering it sees images.
type agentView interface {
	InboundKey(m providers.Message) string
	CheckImages(ctx context.Context, sessionKey string) error
}

// understander adapts the runner to the providers' media stage. The runner is
// replaced when the config file changes (tools.media, tools.links, audio and
// models.providers apply to the next message, as the original reads them per
// message).
type understander struct {
	r     atomic.Pointer[understand.Runner]
	agent func() agentView // nil result: no runtime yet
}

// set installs a runner built from the current config.
func (u *understander) set(r *understand.Runner) { u.r.Store(r) }

func (u *understander) message(ctx context.Context, m providers.Message) understand.Message {
	chat := "direct"
	if m.Group {
		chat = "group"
	}
	msg := understand.Message{Channel: m.Channel, ChatType: chat}
	if a := u.agent(); a != nil {
		msg.SessionKey = a.InboundKey(m)
		msg.ModelSeesImages = a.CheckImages(ctx, msg.SessionKey) == nil
	}
	_, cur := grouphistory.Split(m.Text)
	msg.Vars = map[string]string{
		"Body": cur, "RawBody": cur, "From": m.From, "To": m.ChatID, "SenderName": m.SenderName,
		"SessionKey": msg.SessionKey, "Provider": m.Channel, "Surface": m.Channel, "ChatType": chat,
		"AccountId": m.AccountID, "MessageSid": m.MessageID,
	}
	return msg
}

// Media implements providers.Understander.
func (u *understander) Media(ctx context.Context, m providers.Message, files []understand.Attachment) understand.Result {
	return u.r.Load().Media(ctx, u.message(ctx, m), files)
}

// Links implements providers.Understander.
func (u *understander) Links(ctx context.Context, m providers.Message, text string) []string {
	r := u.r.Load()
	if !r.LinksEnabled() {
		return nil
	}
	return r.Links(ctx, u.message(ctx, m), text)
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if strings.TrimSpace(s) != "" {
			return strings.TrimSpace(s)
		}
	}
	return ""
}
