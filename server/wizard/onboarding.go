package wizard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/clawgate/gateway/server/config"
)

// DefaultWorkspace is the workspace the flow suggests when the config names none
// (the original's default).
const DefaultWorkspace = "~/clawd"

// ConfigStore is the config file as the flow reads and writes it: the config
// group's own reader and config.patch writer, so the wizard's write takes turns
// with the wire's and gets the same checks.
type ConfigStore interface {
	Read() (*config.File, error)
	// Patch merges a JSON merge patch into the file if its hash is still baseHash.
	Patch(method, baseHash string, patch []byte) (*config.File, error)
}

// FlowOptions configure the onboarding flow.
type FlowOptions struct {
	Config  ConfigStore
	Home    string // for ~ in the workspace path
	Version string // wizard.lastRunVersion
	Now     func() time.Time
	// EnsureWorkspace creates the workspace and its bootstrap files (default
	// config.EnsureWorkspace).
	EnsureWorkspace func(dir string) error
}

// StartOptions are wizard.start's parameters.
type StartOptions struct {
	Mode      string // "local" (default) or "remote"
	Workspace string // given: the workspace step is skipped
}

// provider is a model provider the flow offers.
type provider struct {
	id, label, hint, baseURL, api, model string
}

// providers are the flow's model provider choices. "custom" is any
// OpenAI-compatible endpoint (its base URL is asked for).
var providers = []provider{
	{id: "anthropic", label: "Anthropic", hint: "API key", baseURL: "https://api.anthropic.com", api: "anthropic-messages", model: "claude-opus-4-5"},
	{id: "openai", label: "OpenAI", hint: "API key", baseURL: "https://api.openai.com/v1", api: "openai-completions", model: "gpt-5.2"},
	{id: "openrouter", label: "OpenRouter", hint: "API key", baseURL: "https://openrouter.ai/api/v1", api: "openai-completions", model: "anthropic/claude-opus-4.5"},
	{id: "custom", label: "OpenAI-compatible endpoint", hint: "base URL and API key", api: "openai-completions"},
}

// skipProvider is the "configure later" choice.
const skipProvider = "skip"

// telegramToken is the shape of a bot token from @BotFather.
var telegramToken = regexp.MustCompile(`^[0-9]{3,}:[A-Za-z0-9_-]{20,}$`)

// checkSecret accepts an API key or token: non-empty, at most 1024 characters, no
// spaces or control characters.
func checkSecret(what string) func(string) error {
	return func(s string) error {
		s = strings.TrimSpace(s)
		if s == "" {
			return fmt.Errorf("wizard: %s is required", what)
		}
		if len(s) > 1024 {
			return fmt.Errorf("wizard: %s longer than 1024 characters", what)
		}
		if strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
			return fmt.Errorf("wizard: %s must not contain spaces or control characters", what)
		}
		return nil
	}
}

func checkURL(schemes ...string) func(string) error {
	return func(s string) error {
		u, err := url.Parse(strings.TrimSpace(s))
		if err != nil || u.Host == "" {
			return fmt.Errorf("wizard: %q is not a URL", s)
		}
		for _, sc := range schemes {
			if u.Scheme == sc {
				return nil
			}
		}
		return fmt.Errorf("wizard: the URL must start with %s://", strings.Join(schemes, ":// or "))
	}
}

func lookupString(f *config.File, ptr string) string {
	v, _ := f.Lookup(ptr)
	s, _ := v.(string)
	return s
}

// Onboarding returns the onboarding flow for one wizard.start. Nothing is written
// until the last step: the answers build one merge patch, written through
// o.Config against the file as it was when the flow read it (so an edit made
// meanwhile fails the write instead of being overwritten).
func Onboarding(o FlowOptions, start StartOptions) Flow {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.EnsureWorkspace == nil {
		o.EnsureWorkspace = func(dir string) error { _, err := config.EnsureWorkspace(dir); return err }
	}
	return func(ctx context.Context, p *Prompter) error {
		if err := p.Note(ctx, "Clawdbot onboarding", ""); err != nil {
			return err
		}
		if err := p.Note(ctx, "Security", "Clawdbot agents can run commands, read and write files, and act through any tool you enable. "+
			"They can only send messages on the channels you configure. If you are new to this, start with the sandbox and least privilege."); err != nil {
			return err
		}
		ok, err := p.Confirm(ctx, "I understand this is powerful and inherently risky. Continue?", false)
		if err != nil {
			return err
		}
		if !ok {
			return Cancelled("risk not accepted")
		}
		cur, err := o.Config.Read()
		if err != nil {
			return fmt.Errorf("read config: %w", err)
		}
		if !cur.Valid() {
			var lines []string
			for _, is := range cur.Issues {
				lines = append(lines, fmt.Sprintf("- %s: %s", strings.TrimPrefix(is.Path, "/"), is.Message))
			}
			if err := p.Note(ctx, "Config issues", strings.Join(lines, "\n")); err != nil {
				return err
			}
			return fmt.Errorf("config %s is invalid; run `clawdbot doctor` to repair it, then re-run onboarding", cur.Path)
		}
		patch := map[string]any{}
		var summary []string
		mode := start.Mode
		if mode == "" {
			mode = "local"
		}
		workspace := ""
		if mode == "remote" {
			u, err := p.Text(ctx, TextStep{Message: "Gateway WebSocket URL", Initial: lookupString(cur, "/gateway/remote/url"),
				Placeholder: "ws://gateway-host:18789", Validate: checkURL("ws", "wss")})
			if err != nil {
				return err
			}
			tok, err := p.Text(ctx, TextStep{Message: "Gateway token (leave empty for none)", Sensitive: true, Validate: func(s string) error {
				if strings.TrimSpace(s) == "" {
					return nil
				}
				return checkSecret("the token")(s)
			}})
			if err != nil {
				return err
			}
			remote := map[string]any{"url": strings.TrimSpace(u)}
			if t := strings.TrimSpace(tok); t != "" {
				remote["token"] = t
			}
			patch["gateway"] = map[string]any{"mode": "remote", "remote": remote}
			summary = append(summary, "Gateway: remote "+strings.TrimSpace(u))
		} else {
			workspace, summary, err = local(ctx, p, o, start, cur, patch)
			if err != nil {
				return err
			}
		}
		patch["wizard"] = map[string]any{
			"lastRunAt": o.Now().UTC().Format(time.RFC3339), "lastRunVersion": o.Version,
			"lastRunCommand": "onboard", "lastRunMode": mode,
		}
		ok, err = p.Confirm(ctx, "Write this configuration to "+cur.Path+"?\n"+strings.Join(summary, "\n"), true)
		if err != nil {
			return err
		}
		if !ok {
			return Cancelled("configuration not written")
		}
		body, err := json.Marshal(patch)
		if err != nil {
			return err
		}
		// The config first (a stale hash must leave no trace), then the workspace, as
		// the original orders them.
		return p.Commit(func() error {
			if _, err := o.Config.Patch("wizard", cur.Hash, body); err != nil {
				return err
			}
			if workspace != "" {
				if err := o.EnsureWorkspace(workspace); err != nil {
					return fmt.Errorf("config written, but creating the workspace %s failed: %w", workspace, err)
				}
			}
			return nil
		})
	}
}

// local asks for the local gateway's settings and fills patch.
func local(ctx context.Context, p *Prompter, o FlowOptions, start StartOptions, cur *config.File, patch map[string]any) (string, []string, error) {
	var summary []string
	ws := strings.TrimSpace(start.Workspace)
	if ws == "" {
		initial := lookupString(cur, "/agents/defaults/workspace")
		if initial == "" {
			initial = DefaultWorkspace
		}
		var err error
		// No answer keeps the suggestion, as in the original.
		ws, err = p.Text(ctx, TextStep{Message: "Workspace directory", Initial: initial})
		if err != nil {
			return "", nil, err
		}
		if ws = strings.TrimSpace(ws); ws == "" {
			ws = initial
		}
	}
	ws = config.ExpandHome(ws, o.Home)
	if !filepath.IsAbs(ws) {
		if abs, err := filepath.Abs(ws); err == nil {
			ws = abs
		}
	}
	defaults := map[string]any{"workspace": ws}
	patch["agents"] = map[string]any{"defaults": defaults}
	patch["gateway"] = map[string]any{"mode": "local"}
	summary = append(summary, "Workspace: "+ws)

	opts := make([]Option, 0, len(providers)+1)
	for _, pr := range providers {
		opts = append(opts, Option{Value: pr.id, Label: pr.label, Hint: pr.hint})
	}
	opts = append(opts, Option{Value: skipProvider, Label: "Skip for now", Hint: "configure a model later"})
	choice, err := p.Select(ctx, "Model provider", opts, providers[0].id)
	if err != nil {
		return "", nil, err
	}
	if choice != skipProvider {
		var pr provider
		for _, x := range providers {
			if x.id == choice {
				pr = x
			}
		}
		entry := map[string]any{"api": pr.api}
		if pr.id == "custom" {
			u, err := p.Text(ctx, TextStep{Message: "Base URL of the OpenAI-compatible API", Placeholder: "http://127.0.0.1:8000/v1",
				Initial: lookupString(cur, "/models/providers/custom/baseUrl"), Validate: checkURL("http", "https")})
			if err != nil {
				return "", nil, err
			}
			entry["baseUrl"] = strings.TrimSpace(u)
		} else if lookupString(cur, "/models/providers/"+pr.id+"/baseUrl") == "" {
			entry["baseUrl"] = pr.baseURL
		}
		if _, ok := cur.Lookup("/models/providers/" + pr.id + "/models"); !ok {
			entry["models"] = []any{}
		}
		key, err := p.Text(ctx, TextStep{Message: pr.label + " API key", Sensitive: true, Validate: checkSecret("the API key")})
		if err != nil {
			return "", nil, err
		}
		entry["apiKey"] = strings.TrimSpace(key)
		// No answer keeps the suggested model (a custom endpoint has none to keep).
		model, err := p.Text(ctx, TextStep{Message: "Default model", Initial: pr.model, Placeholder: "model id", Validate: func(s string) error {
			s = strings.TrimSpace(s)
			if s == "" && pr.model == "" || strings.ContainsFunc(s, unicode.IsSpace) {
				return errors.New("wizard: the model id is required and has no spaces")
			}
			return nil
		}})
		if err != nil {
			return "", nil, err
		}
		if model = strings.TrimSpace(model); model == "" {
			model = pr.model
		}
		ref := pr.id + "/" + model
		defaults["model"] = map[string]any{"primary": ref}
		patch["models"] = map[string]any{"providers": map[string]any{pr.id: entry}}
		summary = append(summary, "Model: "+ref+" (API key set)")
	} else {
		summary = append(summary, "Model: not configured")
	}

	chans, err := p.MultiSelect(ctx, "Link chat channels", []Option{
		{Value: "telegram", Label: "Telegram", Hint: "bot token from @BotFather"},
		{Value: "whatsapp", Label: "WhatsApp", Hint: "scan a QR code after setup"},
	}, nil)
	if err != nil {
		return "", nil, err
	}
	for _, ch := range chans {
		switch ch {
		case "telegram":
			tok, err := p.Text(ctx, TextStep{Message: "Telegram bot token", Placeholder: "123456:ABC-DEF…", Sensitive: true, Validate: func(s string) error {
				if !telegramToken.MatchString(strings.TrimSpace(s)) {
					return errors.New("wizard: that is not a Telegram bot token (digits, a colon, then the secret)")
				}
				return nil
			}})
			if err != nil {
				return "", nil, err
			}
			patch["channels"] = map[string]any{"telegram": map[string]any{"enabled": true, "botToken": strings.TrimSpace(tok)}}
			summary = append(summary, "Telegram: bot token set")
		case "whatsapp":
			if err := p.Note(ctx, "WhatsApp", "WhatsApp links by QR code once the gateway runs with this configuration: "+
				"open Channels → WhatsApp in the app (it calls web.login.start and shows the code), "+
				"or run `clawdbot login`."); err != nil {
				return "", nil, err
			}
			summary = append(summary, "WhatsApp: link by QR code after setup")
		}
	}
	return ws, summary, nil
}
