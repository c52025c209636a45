package memory

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"
)

// Embedding limits.
const (
	// DefaultOpenAIBaseURL is the OpenAI API, used when neither memorySearch.remote.baseUrl
	// nor models.providers.openai.baseUrl is set.
	DefaultOpenAIBaseURL = "https://api.openai.com/v1"
	// EmbedQueryTimeout bounds embedding one query; EmbedBatchTimeout one indexing
	// request (the original's remote timeouts).
	EmbedQueryTimeout = 60 * time.Second
	EmbedBatchTimeout = 2 * time.Minute
	// EmbedBatchMaxChars bounds the text of one /embeddings request (the original's 8000
	// tokens at one character per token); EmbedBatchMaxInputs its inputs.
	EmbedBatchMaxChars  = 8000
	EmbedBatchMaxInputs = 256
	// embedMaxBodyBytes bounds an /embeddings response read from the network.
	embedMaxBodyBytes = 64 << 20
)

// Embedder turns texts into vectors.
type Embedder interface {
	// ID is the provider ("openai"); Model the embedding model.
	ID() string
	Model() string
	// Key identifies the endpoint (base URL, model, headers other than credentials), so
	// the embedding cache never serves one endpoint's vectors to another.
	Key() string
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// ProviderEnv is what provider resolution reads besides memorySearch: the models.providers
// entry of "openai" and the environment (OPENAI_API_KEY).
type ProviderEnv struct {
	OpenAIBaseURL string
	OpenAIAPIKey  string
	OpenAIHeaders map[string]string
	Getenv        func(string) string
	Client        *http.Client
	// QueryTimeout and BatchTimeout replace EmbedQueryTimeout / EmbedBatchTimeout (tests).
	QueryTimeout, BatchTimeout time.Duration
}

// errMissingKey marks "no API key" so provider "auto" moves on instead of failing.
var errMissingKey = errors.New("no API key")

// NewEmbedder resolves memorySearch.provider as the original: "openai" (remote.apiKey,
// then models.providers.openai.apiKey, then OPENAI_API_KEY), "auto" (openai when it has
// a key), with memorySearch.fallback tried when the requested provider cannot start.
// "local" (node-llama-cpp) and "gemini" are not available in this gateway. A nil
// Embedder with a reason means keyword search only.
func NewEmbedder(s Settings, env ProviderEnv) (e Embedder, fallbackFrom, reason string) {
	create := func(id string) (Embedder, error) {
		switch id {
		case ProviderOpenAI:
			return newOpenAIEmbedder(s, env)
		case ProviderLocal:
			return nil, errors.New("local embeddings (node-llama-cpp) are not available in this gateway; set memorySearch.provider to \"openai\" (any OpenAI-compatible /embeddings endpoint via memorySearch.remote.baseUrl)")
		case ProviderGemini:
			return nil, errors.New("gemini embeddings are not available in this gateway; set memorySearch.provider to \"openai\" (any OpenAI-compatible /embeddings endpoint via memorySearch.remote.baseUrl)")
		}
		return nil, fmt.Errorf("unknown embeddings provider %q", id)
	}
	if s.Provider == ProviderAuto || s.Provider == "" {
		e, err := create(ProviderOpenAI)
		if err != nil {
			return nil, ProviderAuto, "No embeddings provider available: " + err.Error()
		}
		return e, "", ""
	}
	e, err := create(s.Provider)
	if err == nil {
		return e, "", ""
	}
	reason = err.Error()
	if fb := s.Fallback; fb != "" && fb != ProviderNone && fb != s.Provider {
		fe, ferr := create(fb)
		if ferr == nil {
			return fe, s.Provider, reason
		}
		reason += "\n\nFallback to " + fb + " failed: " + ferr.Error()
	}
	return nil, s.Provider, reason
}

type openAIEmbedder struct {
	url, model, key string
	headers         map[string]string
	client          *http.Client
	queryTimeout    time.Duration
	batchTimeout    time.Duration
}

func newOpenAIEmbedder(s Settings, env ProviderEnv) (*openAIEmbedder, error) {
	apiKey := strings.TrimSpace(s.Remote.APIKey)
	if apiKey == "" {
		apiKey = strings.TrimSpace(env.OpenAIAPIKey)
	}
	if apiKey == "" && env.Getenv != nil {
		apiKey = strings.TrimSpace(env.Getenv("OPENAI_API_KEY"))
	}
	if apiKey == "" {
		return nil, fmt.Errorf("%w found for provider \"openai\": set memorySearch.remote.apiKey, models.providers.openai.apiKey or OPENAI_API_KEY", errMissingKey)
	}
	base := strings.TrimSpace(s.Remote.BaseURL)
	if base == "" {
		base = strings.TrimSpace(env.OpenAIBaseURL)
	}
	if base == "" {
		base = DefaultOpenAIBaseURL
	}
	model := strings.TrimPrefix(strings.TrimSpace(s.Model), "openai/")
	if model == "" {
		model = DefaultOpenAIModel
	}
	headers := map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + apiKey}
	for k, v := range env.OpenAIHeaders {
		headers[k] = v
	}
	for k, v := range s.Remote.Headers {
		headers[k] = v
	}
	e := &openAIEmbedder{url: strings.TrimRight(base, "/") + "/embeddings", model: model, headers: headers,
		client: env.Client, queryTimeout: env.QueryTimeout, batchTimeout: env.BatchTimeout}
	if e.client == nil {
		e.client = &http.Client{}
	}
	if e.queryTimeout <= 0 {
		e.queryTimeout = EmbedQueryTimeout
	}
	if e.batchTimeout <= 0 {
		e.batchTimeout = EmbedBatchTimeout
	}
	// The cache key leaves credentials out: rotating a key keeps the cache.
	var names []string
	for k := range headers {
		if lk := strings.ToLower(k); lk != "authorization" && lk != "x-api-key" && lk != "api-key" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	h := sha256.New()
	fmt.Fprintf(h, "openai\x00%s\x00%s", e.url, model)
	for _, k := range names {
		fmt.Fprintf(h, "\x00%s=%s", strings.ToLower(k), headers[k])
	}
	e.key = hex.EncodeToString(h.Sum(nil))
	return e, nil
}

func (e *openAIEmbedder) ID() string    { return ProviderOpenAI }
func (e *openAIEmbedder) Model() string { return e.model }
func (e *openAIEmbedder) Key() string   { return e.key }

func (e *openAIEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if len(texts) == 0 {
		return nil, nil
	}
	timeout := e.batchTimeout
	if len(texts) == 1 {
		timeout = e.queryTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	body, err := json.Marshal(map[string]any{"model": e.model, "input": texts})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("openai embeddings: %w", err)
	}
	for k, v := range e.headers {
		req.Header.Set(k, v)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("openai embeddings: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, embedMaxBodyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("openai embeddings: %w", err)
	}
	if len(raw) > embedMaxBodyBytes {
		return nil, fmt.Errorf("openai embeddings: response larger than %d bytes", embedMaxBodyBytes)
	}
	if resp.StatusCode/100 != 2 {
		msg := string(raw)
		if len(msg) > 500 {
			msg = msg[:500]
		}
		return nil, fmt.Errorf("openai embeddings failed: %d %s", resp.StatusCode, msg)
	}
	var payload struct {
		Data []struct {
			Index     *int      `json:"index"`
			Embedding []float32 `json:"embedding"`
		} `json:"data"`
	}
	if err := json.Unmarshal(raw, &payload); err != nil {
		return nil, fmt.Errorf("openai embeddings: bad response: %w", err)
	}
	if len(payload.Data) != len(texts) {
		return nil, fmt.Errorf("openai embeddings: %d vectors for %d inputs", len(payload.Data), len(texts))
	}
	out := make([][]float32, len(texts))
	for i, d := range payload.Data {
		at := i
		if d.Index != nil && *d.Index >= 0 && *d.Index < len(texts) {
			at = *d.Index
		}
		out[at] = d.Embedding
	}
	return out, nil
}
