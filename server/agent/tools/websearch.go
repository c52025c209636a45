package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// web_search defaults and bounds (the original's values where it has them).
const (
	WebSearchProviderBrave      = "brave"
	WebSearchProviderPerplexity = "perplexity"

	DefaultSearchCount   = 5
	MaxSearchCount       = 10
	DefaultSearchTimeout = 30 * time.Second
	DefaultSearchTTL     = 15 * time.Minute
	// SearchCacheMaxEntries bounds the answers a web_search tool keeps; the oldest
	// entry makes room for a new one.
	SearchCacheMaxEntries = 100
	// searchMaxBodyBytes bounds a search API response read from the network.
	searchMaxBodyBytes = 2 << 20

	// BraveSearchEndpoint is the Brave Search web endpoint (fixed in the original).
	BraveSearchEndpoint = "https://api.search.brave.com/res/v1/web/search"
	// BraveSearchURLEnv overrides BraveSearchEndpoint: for tests against a local fake
	// and for deployments that route through an API gateway. Unset for real use.
	BraveSearchURLEnv = "CLAWDBOT_BRAVE_SEARCH_URL"

	PerplexityOpenRouterBaseURL = "https://openrouter.ai/api/v1"
	PerplexityDirectBaseURL     = "https://api.perplexity.ai"
	DefaultPerplexityModel      = "perplexity/sonar-pro"

	searchDocs = "https://docs.clawd.bot/tools/web"
)

// WebSearchOptions configure web_search (tools.web.search).
type WebSearchOptions struct {
	// Provider is "brave" (default) or "perplexity".
	Provider string
	// APIKey is the Brave key (tools.web.search.apiKey); BRAVE_API_KEY when empty.
	APIKey string
	// Perplexity is tools.web.search.perplexity; the key falls back to
	// PERPLEXITY_API_KEY, then OPENROUTER_API_KEY.
	PerplexityAPIKey  string
	PerplexityBaseURL string
	PerplexityModel   string
	// MaxResults is the count when a call gives none (default 5, at most 10).
	MaxResults int
	Timeout    time.Duration
	// CacheTTL keeps answers this long (default 15 minutes); negative disables the cache.
	CacheTTL time.Duration
	// BraveEndpoint replaces BraveSearchEndpoint (tests; see BraveSearchURLEnv).
	BraveEndpoint string
	// Getenv reads the API key variables at call time, as the original does (default:
	// none set).
	Getenv func(string) string
	Client *http.Client
	Now    func() time.Time
}

// SearchPayload is web_search's answer, in the original's field names: Brave's
// results, or Perplexity's synthesized content with citations.
type SearchPayload struct {
	Query     string      `json:"query"`
	Provider  string      `json:"provider"`
	Model     string      `json:"model,omitempty"`
	Count     *int        `json:"count,omitempty"`
	TookMs    int64       `json:"tookMs"`
	Results   []SearchHit `json:"results,omitzero"`
	Content   string      `json:"content,omitempty"`
	Citations []string    `json:"citations,omitzero"`
	Cached    bool        `json:"cached,omitempty"`
}

// SearchHit is one Brave result.
type SearchHit struct {
	Title       string `json:"title"`
	URL         string `json:"url"`
	Description string `json:"description"`
	Published   string `json:"published,omitempty"`
	SiteName    string `json:"siteName,omitempty"`
}

// SearchProblem is the payload of a call that cannot run as asked (no key, a bad
// freshness): a result the model can relay, as the original returns it, not a failure.
type SearchProblem struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	Docs    string `json:"docs"`
}

// WebSearchTool returns the web_search tool. Its cache lives as long as the tool.
func WebSearchTool(o WebSearchOptions) (*Tool, error) {
	if o.Provider != WebSearchProviderPerplexity {
		o.Provider = WebSearchProviderBrave
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultSearchTimeout
	}
	if o.CacheTTL == 0 {
		o.CacheTTL = DefaultSearchTTL
	}
	if o.BraveEndpoint == "" {
		o.BraveEndpoint = BraveSearchEndpoint
	}
	if o.Getenv == nil {
		o.Getenv = func(string) string { return "" }
	}
	if o.Client == nil {
		o.Client = &http.Client{}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.PerplexityModel = strings.TrimSpace(o.PerplexityModel)
	if o.PerplexityModel == "" {
		o.PerplexityModel = DefaultPerplexityModel
	}
	desc := "Search the web using Brave Search API. Supports region-specific and localized search via country and language parameters. Returns titles, URLs, and snippets for fast research."
	if o.Provider == WebSearchProviderPerplexity {
		desc = "Search the web using Perplexity Sonar (direct or via OpenRouter). Returns AI-synthesized answers with citations from real-time web search."
	}
	s := &searcher{o: o, cache: newTTLCache[SearchPayload](SearchCacheMaxEntries)}
	return withSchema(&Tool{Name: "web_search", Label: "Web Search", Description: desc,
		Timeout: o.Timeout + 10*time.Second, Execute: s.execute})
}

type searcher struct {
	o     WebSearchOptions
	cache *ttlCache[SearchPayload]
}

// searchArgs are the call's arguments after checking, the key the API needs and the
// Perplexity base URL it implies.
type searchArgs struct {
	query, country, searchLang, uiLang, freshness string
	count                                         int
	apiKey, baseURL                               string
}

func (s *searcher) execute(ctx context.Context, call Call) (Result, error) {
	a, problem, err := s.parse(call.Args)
	if err != nil {
		return Result{}, err
	}
	if problem != nil {
		return JSONResult(*problem), nil
	}
	key := s.cacheKey(a)
	if p, ok := s.cache.get(key, s.o.Now()); ok {
		p.Cached = true
		return JSONResult(p), nil
	}
	start := s.o.Now()
	ctx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	defer cancel()
	var p SearchPayload
	if s.o.Provider == WebSearchProviderPerplexity {
		p, err = s.perplexity(ctx, a)
	} else {
		p, err = s.brave(ctx, a)
	}
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return Result{}, fmt.Errorf("web_search timed out after %s: %w", s.o.Timeout, err)
		}
		return Result{}, err
	}
	p.TookMs = s.o.Now().Sub(start).Milliseconds()
	if s.o.CacheTTL > 0 {
		s.cache.put(key, p, s.o.Now().Add(s.o.CacheTTL))
	}
	return JSONResult(p), nil
}

// parse reads the arguments in the original's order: the key first (a missing key is
// reported whatever was asked), then the query, count and freshness.
func (s *searcher) parse(raw json.RawMessage) (searchArgs, *SearchProblem, error) {
	var in struct {
		Query      string   `json:"query"`
		Count      *float64 `json:"count"`
		Country    string   `json:"country"`
		SearchLang string   `json:"search_lang"`
		UILang     string   `json:"ui_lang"`
		Freshness  string   `json:"freshness"`
	}
	var a searchArgs
	if s.o.Provider == WebSearchProviderPerplexity {
		key, source := s.perplexityKey()
		if key == "" {
			return a, &SearchProblem{Error: "missing_perplexity_api_key",
				Message: "web_search (perplexity) needs an API key. Set PERPLEXITY_API_KEY or OPENROUTER_API_KEY in the Gateway environment, or configure tools.web.search.perplexity.apiKey.",
				Docs:    searchDocs}, nil
		}
		a.apiKey, a.baseURL = key, PerplexityBaseURL(s.o.PerplexityBaseURL, source, key)
	} else {
		a.apiKey = strings.TrimSpace(s.o.APIKey)
		if a.apiKey == "" {
			a.apiKey = strings.TrimSpace(s.o.Getenv("BRAVE_API_KEY"))
		}
		if a.apiKey == "" {
			return a, &SearchProblem{Error: "missing_brave_api_key",
				Message: "web_search needs a Brave Search API key. Run `clawdbot configure --section web` to store it, or set BRAVE_API_KEY in the Gateway environment.",
				Docs:    searchDocs}, nil
		}
	}
	if err := decodeArgs(raw, &in); err != nil {
		return a, nil, err
	}
	a.query = strings.TrimSpace(in.Query)
	if a.query == "" {
		return a, nil, errors.New("query required")
	}
	a.country, a.searchLang, a.uiLang = strings.TrimSpace(in.Country), strings.TrimSpace(in.SearchLang), strings.TrimSpace(in.UILang)
	a.count = SearchCount(in.Count, s.o.MaxResults)
	if f := strings.TrimSpace(in.Freshness); f != "" {
		if s.o.Provider != WebSearchProviderBrave {
			return a, &SearchProblem{Error: "unsupported_freshness",
				Message: "freshness is only supported by the Brave web_search provider.", Docs: searchDocs}, nil
		}
		if a.freshness = NormalizeFreshness(f); a.freshness == "" {
			return a, &SearchProblem{Error: "invalid_freshness",
				Message: "freshness must be one of pd, pw, pm, py, or a range like YYYY-MM-DDtoYYYY-MM-DD.", Docs: searchDocs}, nil
		}
	}
	return a, nil, nil
}

// SearchCount is the number of results a call asks for: its count (whole part), else
// the configured maxResults, else 5 — kept within 1..10.
func SearchCount(arg *float64, maxResults int) int {
	n := float64(DefaultSearchCount)
	if arg != nil && !math.IsNaN(*arg) && !math.IsInf(*arg, 0) {
		n = *arg
	} else if maxResults != 0 {
		n = float64(maxResults)
	}
	return int(max(1, min(MaxSearchCount, math.Floor(n))))
}

var freshnessRange = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2})to(\d{4}-\d{2}-\d{2})$`)

// NormalizeFreshness returns Brave's freshness value for v — pd, pw, pm, py (any case)
// or a range of two real dates, start not after end — or "" when v is none of these.
func NormalizeFreshness(v string) string {
	v = strings.TrimSpace(v)
	switch l := strings.ToLower(v); l {
	case "pd", "pw", "pm", "py":
		return l
	}
	m := freshnessRange.FindStringSubmatch(v)
	if m == nil {
		return ""
	}
	from, err1 := time.Parse(time.DateOnly, m[1])
	to, err2 := time.Parse(time.DateOnly, m[2])
	if err1 != nil || err2 != nil || from.After(to) {
		return ""
	}
	return m[1] + "to" + m[2]
}

// perplexityKey is the configured key, else PERPLEXITY_API_KEY, else OPENROUTER_API_KEY,
// with where it came from.
func (s *searcher) perplexityKey() (key, source string) {
	if k := strings.TrimSpace(s.o.PerplexityAPIKey); k != "" {
		return k, "config"
	}
	if k := strings.TrimSpace(s.o.Getenv("PERPLEXITY_API_KEY")); k != "" {
		return k, "perplexity_env"
	}
	if k := strings.TrimSpace(s.o.Getenv("OPENROUTER_API_KEY")); k != "" {
		return k, "openrouter_env"
	}
	return "", "none"
}

// PerplexityBaseURL is the configured base URL; else the one the key's origin implies:
// api.perplexity.ai for PERPLEXITY_API_KEY or a configured pplx- key, OpenRouter
// otherwise.
func PerplexityBaseURL(configured, source, key string) string {
	if c := strings.TrimSpace(configured); c != "" {
		return c
	}
	switch source {
	case "perplexity_env":
		return PerplexityDirectBaseURL
	case "config":
		if strings.HasPrefix(strings.ToLower(key), "pplx-") {
			return PerplexityDirectBaseURL
		}
	}
	return PerplexityOpenRouterBaseURL
}

// cacheKey is the original's key: provider and every argument that changes the answer,
// case-folded.
func (s *searcher) cacheKey(a searchArgs) string {
	or := func(v string) string {
		if v == "" {
			return "default"
		}
		return v
	}
	k := strings.Join([]string{s.o.Provider, a.query, strconv.Itoa(a.count), or(a.country), or(a.searchLang), or(a.uiLang)}, ":")
	if s.o.Provider == WebSearchProviderBrave {
		k += ":" + or(a.freshness)
	}
	return strings.ToLower(strings.TrimSpace(k))
}

func (s *searcher) brave(ctx context.Context, a searchArgs) (SearchPayload, error) {
	u, err := url.Parse(s.o.BraveEndpoint)
	if err != nil {
		return SearchPayload{}, fmt.Errorf("web_search: Brave endpoint: %w", err)
	}
	q := u.Query()
	q.Set("q", a.query)
	q.Set("count", strconv.Itoa(a.count))
	for k, v := range map[string]string{"country": a.country, "search_lang": a.searchLang, "ui_lang": a.uiLang, "freshness": a.freshness} {
		if v != "" {
			q.Set(k, v)
		}
	}
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return SearchPayload{}, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Subscription-Token", a.apiKey)
	var data struct {
		Web struct {
			Results []struct {
				Title       string `json:"title"`
				URL         string `json:"url"`
				Description string `json:"description"`
				Age         string `json:"age"`
			} `json:"results"`
		} `json:"web"`
	}
	if err := s.do(req, "Brave Search", "tools.web.search.apiKey or BRAVE_API_KEY", &data); err != nil {
		return SearchPayload{}, err
	}
	hits := make([]SearchHit, 0, min(len(data.Web.Results), a.count))
	for _, r := range data.Web.Results {
		if len(hits) == a.count {
			break
		}
		h := SearchHit{Title: r.Title, URL: r.URL, Description: r.Description, Published: r.Age}
		if pu, err := url.Parse(r.URL); err == nil {
			h.SiteName = pu.Hostname()
		}
		hits = append(hits, h)
	}
	n := len(hits)
	return SearchPayload{Query: a.query, Provider: WebSearchProviderBrave, Count: &n, Results: hits}, nil
}

func (s *searcher) perplexity(ctx context.Context, a searchArgs) (SearchPayload, error) {
	body, _ := json.Marshal(map[string]any{"model": s.o.PerplexityModel,
		"messages": []map[string]string{{"role": "user", "content": a.query}}})
	endpoint := strings.TrimRight(a.baseURL, "/") + "/chat/completions"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return SearchPayload{}, fmt.Errorf("web_search: Perplexity base URL: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+a.apiKey)
	req.Header.Set("HTTP-Referer", "https://clawdbot.com")
	req.Header.Set("X-Title", "Clawdbot Web Search")
	var data struct {
		Choices []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
		Citations []string `json:"citations"`
	}
	if err := s.do(req, "Perplexity", "tools.web.search.perplexity.apiKey, PERPLEXITY_API_KEY or OPENROUTER_API_KEY", &data); err != nil {
		return SearchPayload{}, err
	}
	content := "No response"
	if len(data.Choices) > 0 && data.Choices[0].Message.Content != "" {
		content = data.Choices[0].Message.Content
	}
	cites := data.Citations
	if cites == nil {
		cites = []string{}
	}
	return SearchPayload{Query: a.query, Provider: WebSearchProviderPerplexity, Model: s.o.PerplexityModel, Content: content, Citations: cites}, nil
}

// do sends req and decodes a JSON answer into out. A failure status becomes
// "<api> API error (<status>): <detail>", naming the key settings when the API refused
// the key.
func (s *searcher) do(req *http.Request, api, keySettings string, out any) error {
	resp, err := s.o.Client.Do(req)
	if err != nil {
		return fmt.Errorf("%s API request failed: %w", api, unwrapURLError(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, searchMaxBodyBytes+1))
	if err != nil {
		return fmt.Errorf("%s API request failed: %w", api, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		detail, _ := truncateRunes(strings.TrimSpace(strings.ToValidUTF8(string(body), "\uFFFD")), fetchErrorMaxChars)
		if detail == "" {
			detail = http.StatusText(resp.StatusCode)
		}
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
			return fmt.Errorf("%s API error (%d): invalid API key (check %s): %s", api, resp.StatusCode, keySettings, detail)
		}
		return fmt.Errorf("%s API error (%d): %s", api, resp.StatusCode, detail)
	}
	if len(body) > searchMaxBodyBytes {
		return fmt.Errorf("%s API answer larger than %d bytes", api, searchMaxBodyBytes)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%s API answer is not JSON: %w", api, err)
	}
	return nil
}
