package tools

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSearchAPI is a Brave Search or Perplexity (OpenAI-compatible chat completions)
// server on 127.0.0.1 that records what it was asked.
type fakeSearchAPI struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []*http.Request
	body [][]byte
}

func newFakeSearchAPI(t *testing.T, h http.HandlerFunc) *fakeSearchAPI {
	f := &fakeSearchAPI{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.reqs, f.body = append(f.reqs, r), append(f.body, b)
		f.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSearchAPI) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.reqs)
}

func (f *fakeSearchAPI) last() (*http.Request, []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reqs[len(f.reqs)-1], f.body[len(f.body)-1]
}

const braveAnswer = `{"web":{"results":[
 {"title":"Go","url":"https://go.dev/doc/","description":"The Go docs","age":"2 days ago"},
 {"title":"No URL"},
 {"title":"Third","url":"https://example.org/3","description":"three"}]}}`

func braveOK(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, braveAnswer)
}

func searchTool(t *testing.T, o WebSearchOptions) *Tool {
	t.Helper()
	return mustTool(WebSearchTool(o))
}

func TestWebSearchBraveRequestAndResults(t *testing.T) {
	api := newFakeSearchAPI(t, braveOK)
	tl := searchTool(t, WebSearchOptions{APIKey: " bk-1 ", BraveEndpoint: api.srv.URL + "/res/v1/web/search"})
	r, err := run(t, tl, map[string]any{"query": " golang docs ", "count": 2, "country": "DE", "search_lang": "de", "ui_lang": "en", "freshness": "PW"})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := api.last()
	if req.Method != http.MethodGet || req.URL.Path != "/res/v1/web/search" || req.Header.Get("X-Subscription-Token") != "bk-1" || req.Header.Get("Accept") != "application/json" {
		t.Fatalf("request %s %s %v", req.Method, req.URL, req.Header)
	}
	want := url.Values{"q": {"golang docs"}, "count": {"2"}, "country": {"DE"}, "search_lang": {"de"}, "ui_lang": {"en"}, "freshness": {"pw"}}
	if got := req.URL.Query(); got.Encode() != want.Encode() {
		t.Fatalf("query %v, want %v", got, want)
	}
	p := r.Details.(SearchPayload)
	if p.Query != "golang docs" || p.Provider != "brave" || p.Count == nil || *p.Count != 2 || len(p.Results) != 2 || p.Cached {
		t.Fatalf("payload %+v", p)
	}
	if h := p.Results[0]; h != (SearchHit{Title: "Go", URL: "https://go.dev/doc/", Description: "The Go docs", Published: "2 days ago", SiteName: "go.dev"}) {
		t.Errorf("hit 0 %+v", h)
	}
	if h := p.Results[1]; h != (SearchHit{Title: "No URL"}) {
		t.Errorf("hit 1 %+v", h)
	}
	var shown map[string]any
	if err := json.Unmarshal([]byte(text(r)), &shown); err != nil || shown["count"] != 2.0 || shown["content"] != nil {
		t.Fatalf("model text %s (%v)", text(r), err)
	}

	// Without optional arguments only q and count (maxResults, else 5) are sent.
	for _, tc := range []struct {
		maxResults int
		want       string
	}{{0, "5"}, {3, "3"}, {50, "10"}} {
		tl := searchTool(t, WebSearchOptions{APIKey: "k", MaxResults: tc.maxResults, BraveEndpoint: api.srv.URL})
		if _, err := run(t, tl, map[string]any{"query": "x"}); err != nil {
			t.Fatal(err)
		}
		req, _ := api.last()
		if q := req.URL.Query(); len(q) != 2 || q.Get("count") != tc.want {
			t.Errorf("maxResults %d: query %v, want count %s", tc.maxResults, q, tc.want)
		}
	}
	// No results: an empty list, count 0.
	empty := newFakeSearchAPI(t, func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{}`) })
	r, err = run(t, searchTool(t, WebSearchOptions{APIKey: "k", BraveEndpoint: empty.srv.URL}), map[string]any{"query": "x"})
	if err != nil || !strings.Contains(text(r), `"count": 0`) || !strings.Contains(text(r), `"results": []`) {
		t.Fatalf("empty answer %s %v", text(r), err)
	}
}

func TestWebSearchParameters(t *testing.T) {
	api := newFakeSearchAPI(t, braveOK)
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	for _, tc := range []struct {
		name     string
		o        WebSearchOptions
		env      map[string]string
		args     map[string]any
		problem  string // the error payload's code
		err      string // a failed call's message
		apiCalls int
	}{
		{name: "no brave key", args: map[string]any{"query": "x"}, problem: "missing_brave_api_key"},
		{name: "no key wins over a bad query", args: map[string]any{"query": ""}, problem: "missing_brave_api_key"},
		{name: "env brave key", env: map[string]string{"BRAVE_API_KEY": "env-k"}, args: map[string]any{"query": "x"}, apiCalls: 1},
		{name: "no perplexity key", o: WebSearchOptions{Provider: "perplexity", APIKey: "brave-only"}, env: map[string]string{"BRAVE_API_KEY": "b"},
			args: map[string]any{"query": "x"}, problem: "missing_perplexity_api_key"},
		{name: "blank query", o: WebSearchOptions{APIKey: "k"}, args: map[string]any{"query": "  "}, err: "query required"},
		{name: "missing query", o: WebSearchOptions{APIKey: "k"}, args: map[string]any{}, err: "query"},
		{name: "count above 10", o: WebSearchOptions{APIKey: "k"}, args: map[string]any{"query": "x", "count": 11}, err: "count"},
		{name: "count below 1", o: WebSearchOptions{APIKey: "k"}, args: map[string]any{"query": "x", "count": 0}, err: "count"},
		{name: "freshness range", o: WebSearchOptions{APIKey: "k"}, args: map[string]any{"query": "x", "freshness": "2024-01-01to2024-02-29"}, apiCalls: 1},
		{name: "freshness not a date", o: WebSearchOptions{APIKey: "k"}, args: map[string]any{"query": "x", "freshness": "2023-02-29to2023-03-01"}, problem: "invalid_freshness"},
		{name: "freshness reversed", o: WebSearchOptions{APIKey: "k"}, args: map[string]any{"query": "x", "freshness": "2024-03-01to2024-01-01"}, problem: "invalid_freshness"},
		{name: "freshness word", o: WebSearchOptions{APIKey: "k"}, args: map[string]any{"query": "x", "freshness": "yesterday"}, problem: "invalid_freshness"},
		{name: "freshness with perplexity", o: WebSearchOptions{Provider: "perplexity", PerplexityAPIKey: "pplx-1"}, args: map[string]any{"query": "x", "freshness": "pd"}, problem: "unsupported_freshness"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clear(env)
			for k, v := range tc.env {
				env[k] = v
			}
			o := tc.o
			o.Getenv, o.BraveEndpoint, o.CacheTTL = getenv, api.srv.URL, -1
			before := api.calls()
			r, err := run(t, searchTool(t, o), tc.args)
			switch {
			case tc.err != "":
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
			case err != nil:
				t.Fatal(err)
			case tc.problem != "":
				p, ok := r.Details.(SearchProblem)
				if !ok || p.Error != tc.problem || p.Message == "" || !strings.Contains(text(r), tc.problem) {
					t.Fatalf("result %#v, want problem %s", r.Details, tc.problem)
				}
			}
			if got := api.calls() - before; got != tc.apiCalls {
				t.Errorf("%d API calls, want %d", got, tc.apiCalls)
			}
		})
	}
}

func TestNormalizeFreshnessAndCount(t *testing.T) {
	for in, want := range map[string]string{"pd": "pd", " PY ": "py", "pm": "pm", "2024-02-29to2024-02-29": "2024-02-29to2024-02-29",
		"2023-13-01to2023-12-31": "", "2024-1-1to2024-2-2": "", "": "", "pweek": ""} {
		if got := NormalizeFreshness(in); got != want {
			t.Errorf("NormalizeFreshness(%q) = %q, want %q", in, got, want)
		}
	}
	f := func(v float64) *float64 { return &v }
	for _, tc := range []struct {
		arg  *float64
		max  int
		want int
	}{{nil, 0, 5}, {f(3.9), 8, 3}, {nil, 8, 8}, {f(0), 0, 1}, {f(99), 0, 10}, {nil, -4, 1}} {
		if got := SearchCount(tc.arg, tc.max); got != tc.want {
			t.Errorf("SearchCount(%v, %d) = %d, want %d", tc.arg, tc.max, got, tc.want)
		}
	}
	for _, tc := range []struct{ configured, source, key, want string }{
		{"https://proxy.example/v1", "config", "pplx-1", "https://proxy.example/v1"},
		{"", "perplexity_env", "anything", PerplexityDirectBaseURL},
		{"", "openrouter_env", "pplx-looking", PerplexityOpenRouterBaseURL},
		{"", "config", "PPLX-abc", PerplexityDirectBaseURL},
		{"", "config", "sk-or-abc", PerplexityOpenRouterBaseURL},
		{"", "config", "other", PerplexityOpenRouterBaseURL},
	} {
		if got := PerplexityBaseURL(tc.configured, tc.source, tc.key); got != tc.want {
			t.Errorf("PerplexityBaseURL(%q, %s, %q) = %s, want %s", tc.configured, tc.source, tc.key, got, tc.want)
		}
	}
}

func TestWebSearchPerplexity(t *testing.T) {
	api := newFakeSearchAPI(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/chat/completions" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"id":"x","choices":[{"message":{"role":"assistant","content":"Go 1.26 is current [1]."}}],"citations":["https://go.dev/doc/devel/release"]}`)
	})
	tl := searchTool(t, WebSearchOptions{Provider: "perplexity", Getenv: func(k string) string {
		return map[string]string{"OPENROUTER_API_KEY": "sk-or-env"}[k]
	}, PerplexityBaseURL: api.srv.URL + "/api/v1/", PerplexityModel: " perplexity/sonar "})
	r, err := run(t, tl, map[string]any{"query": "latest go release"})
	if err != nil {
		t.Fatal(err)
	}
	req, body := api.last()
	if req.Method != http.MethodPost || req.Header.Get("Authorization") != "Bearer sk-or-env" || req.Header.Get("X-Title") != "Clawdbot Web Search" {
		t.Fatalf("request %s %v", req.Method, req.Header)
	}
	var sent struct {
		Model    string
		Messages []struct{ Role, Content string }
	}
	if err := json.Unmarshal(body, &sent); err != nil || sent.Model != "perplexity/sonar" || len(sent.Messages) != 1 ||
		sent.Messages[0].Role != "user" || sent.Messages[0].Content != "latest go release" {
		t.Fatalf("body %s", body)
	}
	p := r.Details.(SearchPayload)
	if p.Provider != "perplexity" || p.Model != "perplexity/sonar" || p.Content != "Go 1.26 is current [1]." ||
		len(p.Citations) != 1 || p.Citations[0] != "https://go.dev/doc/devel/release" || p.Count != nil || p.Results != nil {
		t.Fatalf("payload %+v", p)
	}
	if strings.Contains(text(r), `"results"`) || strings.Contains(text(r), `"count"`) {
		t.Errorf("perplexity answer shows Brave fields: %s", text(r))
	}
	// An answer without choices or citations still has the original's shape.
	bare := newFakeSearchAPI(t, func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"choices":[]}`) })
	r, err = run(t, searchTool(t, WebSearchOptions{Provider: "perplexity", PerplexityAPIKey: "k", PerplexityBaseURL: bare.srv.URL}), map[string]any{"query": "x"})
	if err != nil || !strings.Contains(text(r), `"content": "No response"`) || !strings.Contains(text(r), `"citations": []`) {
		t.Fatalf("bare answer %s %v", text(r), err)
	}
}

// TestWebSearchCache: an identical query (in any case) within the TTL is answered from
// the cache without a request; after the TTL it asks again; a different argument is a
// different entry; the cache holds at most SearchCacheMaxEntries answers.
func TestWebSearchCache(t *testing.T) {
	api := newFakeSearchAPI(t, braveOK)
	now := time.Date(2026, 1, 24, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	tl := searchTool(t, WebSearchOptions{APIKey: "k", BraveEndpoint: api.srv.URL, CacheTTL: 10 * time.Minute, Now: clock})
	steps := []struct {
		args    map[string]any
		advance time.Duration
		cached  bool
		calls   int
	}{
		{map[string]any{"query": "Cats"}, 0, false, 1},
		{map[string]any{"query": "cats "}, 9 * time.Minute, true, 1},
		{map[string]any{"query": "cats", "country": "DE"}, 0, false, 2},
		{map[string]any{"query": "cats", "freshness": "pd"}, 0, false, 3},
		{map[string]any{"query": "cats"}, 2 * time.Minute, false, 4},
		{map[string]any{"query": "cats"}, 0, true, 4},
	}
	for i, st := range steps {
		advance(st.advance)
		r, err := run(t, tl, st.args)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		p := r.Details.(SearchPayload)
		if p.Cached != st.cached || api.calls() != st.calls || len(p.Results) != 3 {
			t.Fatalf("step %d: cached %v, %d API calls, %d results; want cached %v, %d calls", i, p.Cached, api.calls(), len(p.Results), st.cached, st.calls)
		}
		if st.cached != strings.Contains(text(r), `"cached": true`) {
			t.Fatalf("step %d: text %s", i, text(r))
		}
	}

	// Disabled (cacheTtlMinutes 0 → CacheTTL < 0): every call asks.
	off := searchTool(t, WebSearchOptions{APIKey: "k", BraveEndpoint: api.srv.URL, CacheTTL: -1})
	before := api.calls()
	for range 2 {
		if _, err := run(t, off, map[string]any{"query": "dogs"}); err != nil {
			t.Fatal(err)
		}
	}
	if api.calls()-before != 2 {
		t.Fatalf("disabled cache: %d calls", api.calls()-before)
	}

	// Bounded: the oldest entry makes room.
	c := newTTLCache[SearchPayload](SearchCacheMaxEntries)
	exp := now.Add(time.Hour)
	for i := range SearchCacheMaxEntries + 5 {
		c.put(fmt.Sprint("k", i), SearchPayload{Query: fmt.Sprint(i)}, exp)
	}
	if c.len() != SearchCacheMaxEntries {
		t.Fatalf("cache holds %d", c.len())
	}
	if _, ok := c.get("k0", now); ok {
		t.Error("oldest entry kept")
	}
	if p, ok := c.get(fmt.Sprint("k", SearchCacheMaxEntries+4), now); !ok || p.Query != fmt.Sprint(SearchCacheMaxEntries+4) {
		t.Error("newest entry missing")
	}
}

func TestWebSearchErrors(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	api := newFakeSearchAPI(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/unauthorized":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":{"code":"SUBSCRIPTION_TOKEN_INVALID"}}`)
		case "/limited":
			w.WriteHeader(http.StatusTooManyRequests)
		case "/garbage":
			fmt.Fprint(w, "<html>not json</html>")
		case "/slow":
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case "/v1/chat/completions":
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":{"message":"No auth credentials found"}}`)
		}
	})
	for _, tc := range []struct {
		name string
		o    WebSearchOptions
		want []string
	}{
		{"brave 401", WebSearchOptions{BraveEndpoint: api.srv.URL + "/unauthorized"},
			[]string{"Brave Search API error (401): invalid API key", "BRAVE_API_KEY", "SUBSCRIPTION_TOKEN_INVALID"}},
		{"brave 429", WebSearchOptions{BraveEndpoint: api.srv.URL + "/limited"}, []string{"Brave Search API error (429): Too Many Requests"}},
		{"brave not json", WebSearchOptions{BraveEndpoint: api.srv.URL + "/garbage"}, []string{"Brave Search API answer is not JSON"}},
		{"brave timeout", WebSearchOptions{BraveEndpoint: api.srv.URL + "/slow", Timeout: 50 * time.Millisecond}, []string{"web_search timed out after 50ms"}},
		{"perplexity 401", WebSearchOptions{Provider: "perplexity", PerplexityBaseURL: api.srv.URL + "/v1"},
			[]string{"Perplexity API error (401): invalid API key", "PERPLEXITY_API_KEY", "No auth credentials found"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.o
			o.APIKey, o.PerplexityAPIKey = "k", "k"
			start := time.Now()
			_, err := run(t, searchTool(t, o), map[string]any{"query": "x"})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if time.Since(start) > 20*time.Second {
				t.Errorf("took %s", time.Since(start))
			}
		})
	}
	// A failed search is not cached: the next call asks again.
	tl := searchTool(t, WebSearchOptions{APIKey: "k", BraveEndpoint: api.srv.URL + "/limited"})
	before := api.calls()
	_, _ = run(t, tl, map[string]any{"query": "x"})
	_, _ = run(t, tl, map[string]any{"query": "x"})
	if api.calls()-before != 2 {
		t.Errorf("failed answers cached: %d calls", api.calls()-before)
	}
}
