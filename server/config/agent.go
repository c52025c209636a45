package config

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	genconfig "github.com/clawgate/gateway/gen/go/config"
	"github.com/clawgate/gateway/server/models"
)

// Agent backend kinds.
const (
	BackendNone = "none"
	// BackendProvider is a model provider spoken to through the tool loop: an
	// OpenAI-compatible Chat Completions API or Anthropic Messages (models.providers,
	// or a provider the gateway knows built in).
	BackendProvider = "provider"
	BackendCommand  = "command" // a local program per turn (agents.defaults.cliBackends)
)

// DefaultOpenAIBaseURL is used for the built-in "openai" provider when
// models.providers.openai does not name a baseUrl.
const DefaultOpenAIBaseURL = "https://api.openai.com/v1"

// Model is one resolved model ref ("provider/model") and the backend serving it.
type Model struct {
	Kind     string // BackendNone, BackendProvider or BackendCommand
	ModelRef string // provider/model as written
	Provider string // the part before the first "/"
	ModelID  string // the part after it

	// Model provider (models.providers.<Provider>; empty for a built-in provider).
	BaseURL     string
	API         string   // models.providers.<Provider>.api ("" = openai-completions)
	APIKey      string   // after ${VAR} substitution; "" = none
	Temperature *float64 // agents.defaults.models[ModelRef].params.temperature

	// CLI backend (agents.defaults.cliBackends.<Provider>).
	Program string
	Args    []string
	Env     map[string]string
}

// Agent is the effective agent setup of agents.defaults (and the default entry of
// agents.list), models.providers and the legacy keys migrated into them.
type Agent struct {
	Model             // the primary model (agents.defaults.model.primary)
	Fallbacks []Model // agents.defaults.model.fallbacks, tried in order when the primary fails
	Workspace string  // agents.defaults.workspace (~ expanded); "" when unset

	SystemPrompt       string        // agents.defaults.systemPrompt (extension)
	Timeout            time.Duration // agents.defaults.timeoutSeconds → 600s
	MaxConcurrent      int           // agents.defaults.maxConcurrent → 1
	MaxQueuePerSession *int          // agents.defaults.maxQueuePerSession (extension)
}

// ResolveAgent reads the agent setup from c. A model ref "provider/model" selects
// its backend: a provider with a CLI backend runs that program; a provider under
// models.providers (api openai-completions, anthropic-messages or unset) or a built-in
// provider (anthropic, openai, openrouter, …) is a model provider (BackendProvider). Without a primary model there is no
// backend (runs fail with a clear error). An unsupported provider or API is an
// error naming the key.
//
// The default agent of agents.list (the first with default: true, else the first)
// overrides the defaults' workspace and model, as in the original; this gateway runs
// that one agent, under the session keys of "main" (other entries and the ids are
// not acted on yet).
func ResolveAgent(c *genconfig.ClawdbotConfig, home string) (Agent, error) {
	a := Agent{Model: Model{Kind: BackendNone}, Timeout: 600 * time.Second, MaxConcurrent: 1}
	var d genconfig.ConfigAgentsDefaults
	if c != nil && c.Agents != nil && c.Agents.Defaults != nil {
		d = *c.Agents.Defaults
	}
	if d.Model != nil {
		m := *d.Model
		d.Model = &m
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
		// The entry's primary replaces the defaults'; its fallbacks replace the
		// defaults' only when it sets them (an empty list turns them off), as the
		// original's agent fallback override.
		var defFallbacks []string
		if d.Model != nil {
			defFallbacks = d.Model.Fallbacks
		}
		switch m := entry.Model.(type) {
		case string:
			if m != "" {
				d.Model = &genconfig.ConfigAgentsDefaultsModel{Primary: &m, Fallbacks: defFallbacks}
			}
		case map[string]any:
			next := &genconfig.ConfigAgentsDefaultsModel{Fallbacks: defFallbacks}
			if d.Model != nil {
				next.Primary = d.Model.Primary
			}
			if p, ok := m["primary"].(string); ok && p != "" {
				next.Primary = &p
			}
			if fb, ok := m["fallbacks"].([]any); ok {
				next.Fallbacks = []string{}
				for _, e := range fb {
					if s, ok := e.(string); ok {
						next.Fallbacks = append(next.Fallbacks, s)
					}
				}
			}
			if next.Primary != nil {
				d.Model = next
			}
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
	// The primary and the fallbacks may name an alias of agents.defaults.models, as in
	// the original.
	aliases := models.NewSelection(c, "")
	expand := func(ref string) string {
		if key, ok := aliases.Alias(ref); ok {
			return key
		}
		return strings.TrimSpace(ref)
	}
	m, err := resolveModel(c, &d, expand(*d.Model.Primary), "agents.defaults.model.primary")
	if err != nil {
		return a, err
	}
	a.Model = m
	for i, ref := range d.Model.Fallbacks {
		fm, err := resolveModel(c, &d, expand(ref), fmt.Sprintf("agents.defaults.model.fallbacks[%d]", i))
		if err != nil {
			return a, err
		}
		a.Fallbacks = append(a.Fallbacks, fm)
	}
	return a, nil
}

// resolveModel finds the backend of one model ref; key names it in errors.
func resolveModel(c *genconfig.ClawdbotConfig, d *genconfig.ConfigAgentsDefaults, ref, key string) (Model, error) {
	m := Model{Kind: BackendNone, ModelRef: ref}
	m.Provider, m.ModelID, _ = strings.Cut(ref, "/")
	if dm, ok := d.Models[ref]; ok {
		if t, ok := dm.Params["temperature"].(float64); ok {
			m.Temperature = &t
		}
	}
	if cli, ok := d.CliBackends[m.Provider]; ok {
		m.Kind = BackendCommand
		if cli.Command != nil {
			m.Program = *cli.Command
		}
		m.Args, m.Env = cli.Args, cli.Env
		return m, nil
	}
	if c != nil && c.Models != nil {
		if p, ok := c.Models.Providers[m.Provider]; ok {
			if p.API != nil {
				switch *p.API {
				case genconfig.ConfigModelsProvidersValueAPIOpenaiCompletions, genconfig.ConfigModelsProvidersValueAPIAnthropicMessages:
					m.API = string(*p.API)
				default:
					return m, fmt.Errorf("models.providers.%s.api %q is not supported (use openai-completions or anthropic-messages)", m.Provider, *p.API)
				}
			}
			m.Kind, m.BaseURL = BackendProvider, deref(p.BaseURL)
			if p.APIKey != nil {
				m.APIKey = *p.APIKey
			}
			return m, nil
		}
	}
	if builtinProviders[strings.ToLower(m.Provider)] {
		m.Kind = BackendProvider
		if m.Provider == "openai" {
			m.BaseURL = DefaultOpenAIBaseURL
		}
		return m, nil
	}
	return m, fmt.Errorf("%s %q: provider %q is not configured (add models.providers.%s with a baseUrl and api, or agents.defaults.cliBackends.%s)", key, ref, m.Provider, m.Provider, m.Provider)
}

// builtinProviders are the providers usable without models.providers (their key comes
// from the environment, as in the original); server/agent/llm knows their endpoints.
var builtinProviders = map[string]bool{"anthropic": true, "openai": true, "openrouter": true, "groq": true, "xai": true, "mistral": true, "cerebras": true}

// LogLevels returns the slog levels of logging.level (the log file) and
// logging.consoleLevel (stdout), as the original splits them: trace is debug,
// fatal is error, silent is above error. Unset: both info, the original's default
// (normalizeLogLevel falls back to "info"). A file at debug also costs every chat
// turn a formatted record and a write for "agent run accepted" (~3.5 % of the
// gateway's CPU in the text-turn profile); logging.level "debug" brings it back.
func LogLevels(c *genconfig.ClawdbotConfig) (file, console slog.Level) {
	file, console = slog.LevelInfo, slog.LevelInfo
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
