package config

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	genconfig "github.com/clawgate/gateway/gen/go/config"
)

// Agent backend kinds.
const (
	BackendNone    = "none"
	BackendOpenAI  = "openai"  // an OpenAI-compatible chat completions API
	BackendCommand = "command" // a local program per turn (agents.defaults.cliBackends)
)

// DefaultOpenAIBaseURL is used for the built-in "openai" provider when
// models.providers.openai does not name a baseUrl.
const DefaultOpenAIBaseURL = "https://api.openai.com/v1"

// Agent is the effective agent setup of agents.defaults, models.providers and
// the legacy keys migrated into them.
type Agent struct {
	Kind      string // BackendNone, BackendOpenAI or BackendCommand
	ModelRef  string // agents.defaults.model.primary as written: provider/model
	Provider  string // the part before the first "/"
	Model     string // the part after it
	Workspace string // agents.defaults.workspace (~ expanded); "" when unset

	// OpenAI-compatible provider (models.providers.<Provider>).
	BaseURL     string
	APIKey      string   // after ${VAR} substitution; "" = none
	APIKeyEnv   string   // the built-in openai provider (no models.providers.openai): OPENAI_API_KEY
	Temperature *float64 // agents.defaults.models[ModelRef].params.temperature

	// CLI backend (agents.defaults.cliBackends.<Provider>).
	Program string
	Args    []string
	Env     map[string]string

	SystemPrompt       string        // agents.defaults.systemPrompt (extension)
	Timeout            time.Duration // agents.defaults.timeoutSeconds → 600s
	MaxConcurrent      int           // agents.defaults.maxConcurrent → 1
	MaxQueuePerSession *int          // agents.defaults.maxQueuePerSession (extension)
}

// ResolveAgent reads the agent setup from c. The primary model ref
// "provider/model" selects the backend: a provider with a CLI backend runs that
// program; a provider under models.providers (api openai-completions or unset)
// or the built-in "openai" is called over the OpenAI-compatible API. Without a
// primary model there is no backend (runs fail with a clear error). An
// unsupported provider or API is an error naming the key.
//
// The default agent of agents.list (the first with default: true, else the first)
// overrides the defaults' workspace and model, as in the original; this gateway runs
// that one agent, under the session keys of "main" (other entries and the ids are
// not acted on yet).
func ResolveAgent(c *genconfig.ClawdbotConfig, home string) (Agent, error) {
	a := Agent{Kind: BackendNone, Timeout: 600 * time.Second, MaxConcurrent: 1}
	var d genconfig.ConfigAgentsDefaults
	if c != nil && c.Agents != nil && c.Agents.Defaults != nil {
		d = *c.Agents.Defaults
	}
	if c != nil && c.Agents != nil && len(c.Agents.List) > 0 {
		entry := c.Agents.List[0]
		for _, e := range c.Agents.List {
			if e.Default != nil && *e.Default {
				entry = e
				break
			}
		}
		if entry.Workspace != nil && *entry.Workspace != "" {
			d.Workspace = entry.Workspace
		}
		var primary string
		switch m := entry.Model.(type) {
		case string:
			primary = m
		case map[string]any:
			primary, _ = m["primary"].(string)
		}
		if primary != "" {
			d.Model = &genconfig.ConfigAgentsDefaultsModel{Primary: &primary}
		}
	}
	if d.TimeoutSeconds > 0 {
		a.Timeout = time.Duration(d.TimeoutSeconds) * time.Second
	}
	if d.MaxConcurrent > 0 {
		a.MaxConcurrent = d.MaxConcurrent
	}
	a.MaxQueuePerSession = d.MaxQueuePerSession
	if d.SystemPrompt != nil {
		a.SystemPrompt = *d.SystemPrompt
	}
	if d.Workspace != nil && *d.Workspace != "" {
		a.Workspace = ExpandHome(*d.Workspace, home)
	}
	if d.Model == nil || d.Model.Primary == nil || strings.TrimSpace(*d.Model.Primary) == "" {
		return a, nil
	}
	a.ModelRef = strings.TrimSpace(*d.Model.Primary)
	a.Provider, a.Model, _ = strings.Cut(a.ModelRef, "/")
	if m, ok := d.Models[a.ModelRef]; ok {
		if t, ok := m.Params["temperature"].(float64); ok {
			a.Temperature = &t
		}
	}
	if cli, ok := d.CliBackends[a.Provider]; ok {
		a.Kind = BackendCommand
		if cli.Command != nil {
			a.Program = *cli.Command
		}
		a.Args, a.Env = cli.Args, cli.Env
		return a, nil
	}
	if c.Models != nil {
		if p, ok := c.Models.Providers[a.Provider]; ok {
			if p.API != nil && *p.API != genconfig.ConfigModelsProvidersValueAPIOpenaiCompletions {
				return a, fmt.Errorf("models.providers.%s.api %q is not supported (use openai-completions)", a.Provider, *p.API)
			}
			a.Kind, a.BaseURL = BackendOpenAI, deref(p.BaseURL)
			if p.APIKey != nil {
				a.APIKey = *p.APIKey
			}
			return a, nil
		}
	}
	if a.Provider == "openai" {
		a.Kind, a.BaseURL, a.APIKeyEnv = BackendOpenAI, DefaultOpenAIBaseURL, "OPENAI_API_KEY"
		return a, nil
	}
	return a, fmt.Errorf("agents.defaults.model.primary %q: provider %q is not configured (add models.providers.%s with an OpenAI-compatible baseUrl, or agents.defaults.cliBackends.%s)", a.ModelRef, a.Provider, a.Provider, a.Provider)
}

// LogLevels returns the slog levels of logging.level (the log file) and
// logging.consoleLevel (stdout), as the original splits them: trace is debug,
// fatal is error, silent is above error. Unset: file debug, console info.
func LogLevels(c *genconfig.ClawdbotConfig) (file, console slog.Level) {
	file, console = slog.LevelDebug, slog.LevelInfo
	if c == nil || c.Logging == nil {
		return file, console
	}
	conv := func(s string, def slog.Level) slog.Level {
		switch s {
		case "trace", "debug":
			return slog.LevelDebug
		case "info":
			return slog.LevelInfo
		case "warn":
			return slog.LevelWarn
		case "error", "fatal":
			return slog.LevelError
		case "silent":
			return slog.LevelError + 4
		}
		return def
	}
	if l := c.Logging.Level; l != nil {
		file = conv(string(*l), file)
	}
	if l := c.Logging.ConsoleLevel; l != nil {
		console = conv(string(*l), console)
	}
	return file, console
}
