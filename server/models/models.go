// Package models is the model catalog behind models.list: the models configured
// under models.providers.<id>.models, the models each OpenAI-compatible provider
// lists at <baseUrl>/models (queried with a timeout and cached), and the agent's own
// model refs, sorted by provider then name.
//
// The original's catalog is its model library's built-in registry of hosted models;
// this gateway ships none, so a provider contributes what it is configured with and
// what it reports.
package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	genconfig "github.com/clawgate/gateway/gen/go/config"
)

// Limits and defaults.
const (
	// DefaultTimeout bounds one provider's /models query.
	DefaultTimeout = 5 * time.Second
	// DefaultTTL is how long a provider's answer is reused.
	DefaultTTL = 5 * time.Minute
	// DefaultFailTTL is how long a failed query is remembered (so a dead provider
	// does not cost every models.list its timeout).
	DefaultFailTTL = 30 * time.Second
	// MaxResponseBytes caps a /models response body.
	MaxResponseBytes = 4 << 20
	// MaxModelsPerProvider caps the models taken from one response.
	MaxModelsPerProvider = 2000
	// MaxCacheEntries bounds the cache (one entry per provider URL and key).
	MaxCacheEntries = 64
)

// Model is one catalog entry.
type Model struct {
	ID, Name, Provider string
	ContextWindow      int // 0: unknown
	Reasoning          *bool
}

type cacheEntry struct {
	at     time.Time
	models []string
	err    error
}

// Catalog lists models. The zero value is not usable; use New.
type Catalog struct {
	http    *http.Client
	timeout time.Duration
	ttl     time.Duration
	failTTL time.Duration
	now     func() time.Time
	log     *slog.Logger

	mu      sync.Mutex
	cache   map[string]cacheEntry
	queries int
}

// Options configure a Catalog; zero fields take the defaults.
type Options struct {
	HTTP    *http.Client
	Timeout time.Duration
	TTL     time.Duration
	FailTTL time.Duration
	Now     func() time.Time
	Logger  *slog.Logger
}

// New returns a catalog.
func New(o Options) *Catalog {
	c := &Catalog{http: o.HTTP, timeout: o.Timeout, ttl: o.TTL, failTTL: o.FailTTL, now: o.Now, log: o.Logger, cache: map[string]cacheEntry{}}
	if c.http == nil {
		c.http = &http.Client{}
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.ttl <= 0 {
		c.ttl = DefaultTTL
	}
	if c.failTTL <= 0 {
		c.failTTL = DefaultFailTTL
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c
}

// Queries reports how many /models requests were sent (for tests).
func (c *Catalog) Queries() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.queries
}

// List builds the catalog from cfg (after ${VAR} substitution). A provider that
// cannot be queried contributes its configured models only; its failure is logged
// once per FailTTL, never returned.
func (c *Catalog) List(ctx context.Context, cfg *genconfig.ClawdbotConfig) []Model {
	type key struct{ provider, id string }
	seen := map[key]bool{}
	var out []Model
	add := func(m Model) {
		k := key{m.Provider, m.ID}
		if m.ID == "" || m.Provider == "" || seen[k] {
			return
		}
		seen[k] = true
		if m.Name == "" {
			m.Name = m.ID
		}
		out = append(out, m)
	}
	var providers genconfig.ConfigModelsProviders
	if cfg != nil && cfg.Models != nil {
		providers = cfg.Models.Providers
	}
	names := make([]string, 0, len(providers))
	for n := range providers {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		for _, m := range providers[n].Models {
			cm := Model{ID: strings.TrimSpace(m.ID), Name: strings.TrimSpace(m.Name), Provider: n, Reasoning: m.Reasoning}
			if m.ContextWindow != nil && *m.ContextWindow >= 1 {
				cm.ContextWindow = int(*m.ContextWindow)
			}
			add(cm)
		}
	}
	// Query every OpenAI-compatible provider with a base URL, in parallel.
	found := make([][]string, len(names))
	var wg sync.WaitGroup
	for i, n := range names {
		p := providers[n]
		if p.BaseURL == nil || strings.TrimSpace(*p.BaseURL) == "" {
			continue
		}
		if p.API != nil && *p.API != genconfig.ConfigModelsProvidersValueAPIOpenaiCompletions && *p.API != genconfig.ConfigModelsProvidersValueAPIOpenaiResponses {
			continue // only OpenAI-style APIs answer GET <baseUrl>/models with {data: [{id}]}
		}
		key := ""
		if p.APIKey != nil {
			key = *p.APIKey
		}
		wg.Add(1)
		go func(i int, n, base, apiKey string) {
			defer wg.Done()
			found[i] = c.discover(ctx, n, base, apiKey)
		}(i, n, strings.TrimSpace(*p.BaseURL), key)
	}
	wg.Wait()
	for i, n := range names {
		for _, id := range found[i] {
			add(Model{ID: id, Provider: n})
		}
	}
	for _, ref := range agentRefs(cfg) {
		if p, id, ok := strings.Cut(ref, "/"); ok && p != "" && id != "" {
			add(Model{ID: id, Provider: p})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if a, b := strings.ToLower(out[i].Provider), strings.ToLower(out[j].Provider); a != b {
			return a < b
		}
		return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name)
	})
	return out
}

// agentRefs are the model refs the agents use: agents.defaults.model primary and
// fallbacks, agents.defaults.models keys, and agents.list[].model.
func agentRefs(cfg *genconfig.ClawdbotConfig) []string {
	if cfg == nil || cfg.Agents == nil {
		return nil
	}
	var refs []string
	if d := cfg.Agents.Defaults; d != nil {
		if d.Model != nil {
			if d.Model.Primary != nil {
				refs = append(refs, *d.Model.Primary)
			}
			refs = append(refs, d.Model.Fallbacks...)
		}
		keys := make([]string, 0, len(d.Models))
		for k := range d.Models {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		refs = append(refs, keys...)
	}
	for _, e := range cfg.Agents.List {
		switch m := e.Model.(type) {
		case string:
			refs = append(refs, m)
		case map[string]any:
			if p, ok := m["primary"].(string); ok {
				refs = append(refs, p)
			}
		}
	}
	for i := range refs {
		refs[i] = strings.TrimSpace(refs[i])
	}
	return refs
}

// discover returns the model ids at base/models, from the cache when fresh.
func (c *Catalog) discover(ctx context.Context, provider, base, apiKey string) []string {
	h := sha256.Sum256([]byte(base + "\x00" + apiKey))
	k := hex.EncodeToString(h[:])
	now := c.now()
	c.mu.Lock()
	if e, ok := c.cache[k]; ok {
		ttl := c.ttl
		if e.err != nil {
			ttl = c.failTTL
		}
		if now.Sub(e.at) < ttl {
			c.mu.Unlock()
			return e.models
		}
	}
	c.queries++
	c.mu.Unlock()

	ids, err := c.query(ctx, base, apiKey)
	if err != nil {
		if ctx.Err() != nil {
			return nil // the caller gave up: nothing learned about the provider
		}
		c.log.Warn("models: listing a provider's models failed", "provider", provider, "err", err)
	}
	c.mu.Lock()
	if len(c.cache) >= MaxCacheEntries {
		var oldest string
		for ck, e := range c.cache {
			if oldest == "" || e.at.Before(c.cache[oldest].at) {
				oldest = ck
			}
		}
		delete(c.cache, oldest)
	}
	c.cache[k] = cacheEntry{at: now, models: ids, err: err}
	c.mu.Unlock()
	return ids
}

func (c *Catalog) query(ctx context.Context, base, apiKey string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/models", nil)
	if err != nil {
		return nil, err
	}
	if apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+apiKey)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("GET /models: %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > MaxResponseBytes {
		return nil, errors.New("GET /models: response larger than the limit")
	}
	var doc struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("GET /models: %w", err)
	}
	var ids []string
	for _, m := range doc.Data {
		if id := strings.TrimSpace(m.ID); id != "" {
			ids = append(ids, id)
			if len(ids) >= MaxModelsPerProvider {
				break
			}
		}
	}
	return ids, nil
}
