package llm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// DefaultProvider is the provider of a model reference without a "provider/" prefix,
// as in the original.
const DefaultProvider = "anthropic"

// ProviderConfig is one entry of models.providers: where the provider lives, which API
// it speaks and how to authenticate. The config reader fills it; this package never
// reads the config file.
type ProviderConfig struct {
	BaseURL string
	// API is "openai-completions" (default) or "anthropic-messages".
	API API
	// APIKey is a literal key (the config loader has already expanded ${ENV} references).
	APIKey string
	// AuthProfile names an auth profile (auth.profiles) whose credential is used.
	AuthProfile string
	// Auth is the original's auth mode; "aws-sdk" is not supported.
	Auth string
	// Headers are sent with every request.
	Headers map[string]string
	// AuthHeader sends the key as a Bearer token on Anthropic endpoints.
	AuthHeader bool
	// Models describes the provider's models; a model not listed gets defaults.
	Models []ModelConfig
}

// ModelConfig is one models.providers[].models entry.
type ModelConfig struct {
	ID            string
	Name          string
	API           API // overrides the provider's API
	Reasoning     bool
	Input         []string // "text", "image"
	ContextWindow int
	MaxTokens     int
	Headers       map[string]string
	// Cost in USD per million tokens (0 = unknown).
	Cost ModelCost
	// Compat adjusts the Chat Completions request to what the server accepts.
	Compat OpenAICompat
}

// OpenAICompat is models.providers.*.models[].compat: request details OpenAI-compatible
// servers disagree on. Unset fields keep this gateway's defaults, which suit local
// servers (max_tokens, a system message, reasoning_effort for reasoning models, no
// store member).
type OpenAICompat struct {
	// MaxTokensField names the output limit member: "max_tokens" or
	// "max_completion_tokens" ("" = max_tokens).
	MaxTokensField string
	// SupportsDeveloperRole sends a reasoning model's system prompt as a "developer"
	// message (OpenAI's o-series and GPT-5 expect it).
	SupportsDeveloperRole *bool
	// SupportsReasoningEffort false never sends reasoning_effort.
	SupportsReasoningEffort *bool
	// SupportsStore true sends "store":false (the request is not kept by the provider).
	SupportsStore *bool
}

// ModelCost is the price of a model in USD per million tokens.
type ModelCost struct {
	Input, Output, CacheRead, CacheWrite float64
}

// AuthProfiles is the auth profile store of the run's agent (the original's
// auth-profiles.json with auth.profiles / auth.order / auth.cooldowns): which of a
// provider's profiles to try in which order, their secrets, and the bookkeeping that
// rotates away from a profile that failed. The agent is the one of the context (see
// WithRunAuth); implementations pick that agent's store.
type AuthProfiles interface {
	// Order lists the provider's usable profiles, best first; those cooling down
	// come last. preferred, when one of them, goes first.
	Order(ctx context.Context, provider, preferred string) []string
	// Credential returns a profile's secret (ok=false: missing or unusable).
	Credential(ctx context.Context, provider, profileID string) (key string, ok bool)
	// InCooldown reports whether the profile is cooling down or disabled now.
	InCooldown(ctx context.Context, profileID string) bool
	// MarkFailure records a failure that moved the request to another profile.
	MarkFailure(ctx context.Context, profileID string, reason FailoverReason)
	// MarkUsed records a request the profile answered.
	MarkUsed(ctx context.Context, provider, profileID string)
}

// RegistryOptions configure a Registry.
type RegistryOptions struct {
	// Providers is models.providers, keyed by provider id.
	Providers map[string]ProviderConfig
	// Profiles resolves auth profiles (optional).
	Profiles AuthProfiles
	// Getenv reads provider keys from the environment (default os.Getenv).
	Getenv func(string) string
	// HTTPClient is shared by all providers (default: no overall timeout).
	HTTPClient *http.Client
	// MaxRetries is passed to the SDKs (default DefaultMaxRetries).
	MaxRetries int
	// Now stamps messages (default time.Now).
	Now func() time.Time
}

// Registry resolves "provider/model" references against the provider table.
type Registry struct {
	opts      RegistryOptions
	providers map[string]ProviderConfig
}

// builtinProviders are the providers the original knows without configuration (a
// subset of pi-ai's catalog: the ones with stable public base URLs).
var builtinProviders = map[string]ProviderConfig{
	"anthropic":  {BaseURL: "https://api.anthropic.com", API: APIAnthropicMessages, Models: nil},
	"openai":     {BaseURL: "https://api.openai.com/v1", API: APIOpenAICompletions},
	"openrouter": {BaseURL: "https://openrouter.ai/api/v1", API: APIOpenAICompletions},
	"groq":       {BaseURL: "https://api.groq.com/openai/v1", API: APIOpenAICompletions},
	"xai":        {BaseURL: "https://api.x.ai/v1", API: APIOpenAICompletions},
	"mistral":    {BaseURL: "https://api.mistral.ai/v1", API: APIOpenAICompletions},
	"cerebras":   {BaseURL: "https://api.cerebras.ai/v1", API: APIOpenAICompletions},
}

// builtinImageInput lists built-in providers whose models take images by default.
var builtinImageInput = map[string]bool{"anthropic": true, "openai": true, "openrouter": true}

// providerEnv lists the environment variables each provider's key is read from, in
// order (the original's table).
var providerEnv = map[string][]string{
	"anthropic":         {"ANTHROPIC_OAUTH_TOKEN", "ANTHROPIC_API_KEY"},
	"openai":            {"OPENAI_API_KEY"},
	"google":            {"GEMINI_API_KEY"},
	"groq":              {"GROQ_API_KEY"},
	"deepgram":          {"DEEPGRAM_API_KEY"},
	"cerebras":          {"CEREBRAS_API_KEY"},
	"xai":               {"XAI_API_KEY"},
	"openrouter":        {"OPENROUTER_API_KEY"},
	"vercel-ai-gateway": {"AI_GATEWAY_API_KEY"},
	"moonshot":          {"MOONSHOT_API_KEY"},
	"kimi-code":         {"KIMICODE_API_KEY"},
	"minimax":           {"MINIMAX_API_KEY"},
	"synthetic":         {"SYNTHETIC_API_KEY"},
	"mistral":           {"MISTRAL_API_KEY"},
	"opencode":          {"OPENCODE_API_KEY", "OPENCODE_ZEN_API_KEY"},
	"zai":               {"ZAI_API_KEY", "Z_AI_API_KEY"},
	"chutes":            {"CHUTES_OAUTH_TOKEN", "CHUTES_API_KEY"},
	"github-copilot":    {"COPILOT_GITHUB_TOKEN", "GH_TOKEN", "GITHUB_TOKEN"},
	"qwen-portal":       {"QWEN_OAUTH_TOKEN", "QWEN_PORTAL_API_KEY"},
}

// ProviderKeyEnvVars returns every environment variable the gateway reads provider keys
// from, so the exec tool can keep them out of child processes.
func ProviderKeyEnvVars() []string {
	var out []string
	for _, v := range providerEnv {
		out = append(out, v...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// ProviderEnvVars are the environment variables provider's key is read from, in order.
func ProviderEnvVars(provider string) []string {
	return slices.Clone(providerEnv[NormalizeProvider(provider)])
}

// NormalizeProvider canonicalises a provider id.
func NormalizeProvider(p string) string {
	p = strings.ToLower(strings.TrimSpace(p))
	switch p {
	case "z.ai", "z-ai":
		return "zai"
	case "opencode-zen":
		return "opencode"
	case "qwen":
		return "qwen-portal"
	}
	return p
}

// Ref is a parsed "provider/model" reference.
type Ref struct {
	Provider string
	Model    string
}

func (r Ref) String() string { return r.Provider + "/" + r.Model }

// ParseRef splits "provider/model" at the first slash (model ids may contain slashes,
// e.g. "openrouter/anthropic/claude-sonnet-4"); without a slash the provider is
// DefaultProvider.
func ParseRef(s string) (Ref, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Ref{}, errors.New("llm: empty model reference")
	}
	prov, model, ok := strings.Cut(s, "/")
	if !ok {
		prov, model = DefaultProvider, s
	}
	prov, model = NormalizeProvider(prov), strings.TrimSpace(model)
	if prov == "" || model == "" {
		return Ref{}, fmt.Errorf("llm: invalid model reference %q (want provider/model)", s)
	}
	return Ref{Provider: prov, Model: model}, nil
}

// DefaultMaxIdleConnsPerHost is how many idle keep-alive connections the registry's
// default HTTP client keeps per model host. net/http's default is 2, so with more
// concurrent runs than that against one provider most steps dialled a new connection
// (≈ 6 % of the gateway's CPU at 16 concurrent turns, docs/PERFORMANCE.md); it matches
// the concurrency a gateway typically runs (agents.defaults.maxConcurrent and more).
const DefaultMaxIdleConnsPerHost = 64

// defaultHTTPClient is the client used when RegistryOptions.HTTPClient is nil: no
// overall timeout (streams run long), net/http's default transport settings (proxy
// from the environment, dial and TLS timeouts) but DefaultMaxIdleConnsPerHost, and
// connections that copy request bodies through pooled buffers (copyConn).
func defaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = DefaultMaxIdleConnsPerHost
	t.MaxIdleConns = max(t.MaxIdleConns, DefaultMaxIdleConnsPerHost)
	t.DialContext = pooledCopyDialer(t.DialContext)
	return &http.Client{Transport: t}
}

// NewRegistry validates the provider table.
func NewRegistry(opts RegistryOptions) (*Registry, error) {
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = defaultHTTPClient()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	r := &Registry{opts: opts, providers: map[string]ProviderConfig{}}
	for id, pc := range opts.Providers {
		nid := NormalizeProvider(id)
		if nid == "" {
			return nil, errors.New("llm: models.providers has an empty provider id")
		}
		if strings.TrimSpace(pc.BaseURL) == "" {
			if b, ok := builtinProviders[nid]; ok {
				pc.BaseURL = b.BaseURL
				if pc.API == "" {
					pc.API = b.API
				}
			} else {
				return nil, fmt.Errorf("llm: models.providers.%s: baseUrl is required", id)
			}
		}
		if pc.API == "" {
			pc.API = APIOpenAICompletions
		}
		if err := checkAPI(pc.API); err != nil {
			return nil, fmt.Errorf("llm: models.providers.%s: %w", id, err)
		}
		if pc.Auth == "aws-sdk" {
			return nil, fmt.Errorf("llm: models.providers.%s: auth %q is not supported", id, pc.Auth)
		}
		for _, m := range pc.Models {
			if strings.TrimSpace(m.ID) == "" {
				return nil, fmt.Errorf("llm: models.providers.%s: a model has no id", id)
			}
			if m.API != "" {
				if err := checkAPI(m.API); err != nil {
					return nil, fmt.Errorf("llm: models.providers.%s.models.%s: %w", id, m.ID, err)
				}
			}
			switch m.Compat.MaxTokensField {
			case "", "max_tokens", "max_completion_tokens":
			default:
				return nil, fmt.Errorf("llm: models.providers.%s.models.%s: compat.maxTokensField %q is not max_tokens or max_completion_tokens", id, m.ID, m.Compat.MaxTokensField)
			}
		}
		r.providers[nid] = pc
	}
	return r, nil
}

func checkAPI(a API) error {
	switch a {
	case APIOpenAICompletions, APIAnthropicMessages:
		return nil
	}
	return fmt.Errorf("api %q is not supported (want %s or %s)", a, APIOpenAICompletions, APIAnthropicMessages)
}

// Resolve returns the model a reference names. Unknown providers are an error; a model
// not listed by its provider is allowed with default limits (local servers serve
// whatever they have pulled).
func (r *Registry) Resolve(ref string) (*Model, error) {
	rf, err := ParseRef(ref)
	if err != nil {
		return nil, err
	}
	pc, ok := r.providers[rf.Provider]
	builtin := false
	if !ok {
		pc, ok = builtinProviders[rf.Provider]
		builtin = ok
	}
	if !ok {
		return nil, fmt.Errorf("llm: unknown provider %q in model %q (add it to models.providers)", rf.Provider, ref)
	}
	m := &Model{reg: r, ref: rf, prov: pc, api: pc.API, builtin: builtin}
	m.spec = ModelSpec{ID: rf.Model, Images: builtinImageInput[rf.Provider] && builtin}
	for _, mc := range pc.Models {
		if mc.ID == rf.Model {
			m.conf = mc
			m.spec.Images = slices.Contains(mc.Input, "image")
			m.spec.MaxTokens = mc.MaxTokens
			m.spec.Reasoning = mc.Reasoning
			m.spec.Compat = mc.Compat
			if mc.API != "" {
				m.api = mc.API
			}
			break
		}
	}
	return m, nil
}

// Chain resolves a primary reference and its fallbacks into a Fallback. Duplicates are
// dropped; a fallback that does not resolve is an error (a typo should be loud).
func (r *Registry) Chain(primary string, fallbacks []string) (*Fallback, error) {
	seen := map[string]bool{}
	var cands []Candidate
	for _, ref := range append([]string{primary}, fallbacks...) {
		m, err := r.Resolve(ref)
		if err != nil {
			return nil, err
		}
		if seen[m.ref.String()] {
			continue
		}
		seen[m.ref.String()] = true
		cands = append(cands, m)
	}
	return &Fallback{Candidates: cands}, nil
}

// Model is a resolved model; it implements Streamer and Candidate.
type Model struct {
	reg     *Registry
	ref     Ref
	prov    ProviderConfig
	conf    ModelConfig
	spec    ModelSpec
	api     API
	builtin bool

	mu     sync.Mutex
	key    string
	client Streamer
}

// Ref returns the model's provider and id.
func (m *Model) Ref() Ref { return m.ref }

// API returns the wire protocol the model is spoken to with.
func (m *Model) API() API { return m.api }

// AcceptsImages reports whether image parts are sent to the model.
func (m *Model) AcceptsImages() bool { return m.spec.Images }

// envKey finds the provider's key without auth profiles: the environment, then the
// literal from models.providers.
func (m *Model) envKey() (string, error) {
	p := m.ref.Provider
	for _, name := range providerEnv[p] {
		if v := strings.TrimSpace(m.reg.opts.Getenv(name)); v != "" {
			return v, nil
		}
	}
	if k := strings.TrimSpace(m.prov.APIKey); k != "" {
		return k, nil
	}
	if m.builtin {
		return "", fmt.Errorf("no API key found for provider %q", p)
	}
	return "", nil // local servers often need none
}

// streamer returns the SDK client for key, rebuilding it when the key changed.
func (m *Model) streamer(key string) (Streamer, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.client != nil && m.key == key {
		return m.client, nil
	}
	headers := map[string]string{}
	for k, v := range m.prov.Headers {
		headers[k] = v
	}
	for k, v := range m.conf.Headers {
		headers[k] = v
	}
	ep := Endpoint{Name: m.ref.Provider, BaseURL: m.prov.BaseURL, APIKey: key, Headers: headers, AuthHeader: m.prov.AuthHeader,
		HTTPClient: m.reg.opts.HTTPClient, MaxRetries: m.reg.opts.MaxRetries, Now: m.reg.opts.Now}
	var (
		s   Streamer
		err error
	)
	switch m.api {
	case APIAnthropicMessages:
		s, err = NewAnthropic(ep, m.spec)
	default:
		s, err = NewOpenAI(ep, m.spec)
	}
	if err != nil {
		return nil, err
	}
	m.client, m.key = s, key
	return s, nil
}

// Stream runs one step on this model: through the provider's auth profiles when it
// has any (rotating past those that fail, authrotate.go), else with the key from the
// environment or the config.
func (m *Model) Stream(ctx context.Context, req *Request, on func(Event)) (*Response, error) {
	resp, err := m.streamAuth(ctx, req, on)
	if err != nil {
		return nil, err
	}
	return m.priced(resp), nil
}

// stepWith runs the step with one key.
func (m *Model) stepWith(ctx context.Context, key string, req *Request, on func(Event)) (*Response, error) {
	s, err := m.streamer(key)
	if err != nil {
		return nil, &ProviderError{Provider: m.ref.Provider, Model: m.ref.Model, Reason: ReasonFormat, Message: err.Error(), Err: err}
	}
	return s.Stream(ctx, req, on)
}

// priced fills in the cost of the step's usage from models.providers.*.models[].cost.
func (m *Model) priced(resp *Response) *Response {
	c := m.conf.Cost
	u := &resp.Message.Usage
	u.Cost = Cost{Input: float64(u.Input) * c.Input / 1e6, Output: float64(u.Output) * c.Output / 1e6,
		CacheRead: float64(u.CacheRead) * c.CacheRead / 1e6, CacheWrite: float64(u.CacheWrite) * c.CacheWrite / 1e6}
	u.Cost.Total = u.Cost.Input + u.Cost.Output + u.Cost.CacheRead + u.Cost.CacheWrite
	return resp
}
