package tools

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const articleHTML = `<!doctype html><html><head><title>Gateway Notes</title></head><body>
<nav><a href="/">Home</a> | <a href="/about">About</a></nav>
<article>
<h1>Running the gateway</h1>
<p>The gateway owns the <strong>messaging connections</strong> and serves one port to every client. It is a long-running daemon and keeps its state on disk so that restarts lose nothing that was acknowledged.</p>
<p>Read the <a href="https://example.org/docs">documentation</a> before changing the configuration. Every option has a default, and most installations never touch more than a handful of them.</p>
<h2>Steps</h2>
<ul><li>Install it</li><li>Pair a phone</li></ul>
<pre><code>clawdbot gateway --port 18789</code></pre>
<p>After the first start the gateway writes its configuration file and waits for clients; the control UI connects over the same port as the mobile apps and command line tools do.</p>
</article>
<footer>Copyright</footer>
</body></html>`

func loopbackOnly() AddrPolicy {
	return AddrPolicy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
}

func fetchTool(t *testing.T, o WebFetchOptions) *Tool {
	t.Helper()
	return mustTool(WebFetchTool(o))
}

func TestWebFetchReadableMarkdownAndText(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/article":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte(articleHTML))
		case "/data":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"a":1,"b":[2,3]}`))
		case "/missing":
			http.Error(w, "<html><body><h1>Not here</h1></body></html>", http.StatusNotFound)
		}
	}))
	defer srv.Close()
	tl := fetchTool(t, WebFetchOptions{Addrs: loopbackOnly()})
	r, err := run(t, tl, map[string]any{"url": srv.URL + "/article"})
	if err != nil {
		t.Fatal(err)
	}
	p := r.Details.(FetchResult)
	if p.Title != "Gateway Notes" || p.Extractor != "readability" || p.Status != 200 || p.ExtractMode != "markdown" {
		t.Fatalf("payload %+v", p)
	}
	for _, want := range []string{"**messaging connections**", "[documentation](https://example.org/docs)", "- Install it", "```\nclawdbot gateway --port 18789\n```"} {
		if !strings.Contains(p.Text, want) {
			t.Errorf("markdown lacks %q:\n%s", want, p.Text)
		}
	}
	if strings.Contains(p.Text, "Copyright") || strings.Contains(p.Text, "About") {
		t.Errorf("boilerplate kept:\n%s", p.Text)
	}
	r, _ = run(t, tl, map[string]any{"url": srv.URL + "/article", "extractMode": "text", "maxChars": 100})
	p = r.Details.(FetchResult)
	if strings.Contains(p.Text, "**") || !p.Truncated || len([]rune(p.Text)) != 100 || p.Length != 100 {
		t.Fatalf("text mode %+v", p)
	}
	r, _ = run(t, tl, map[string]any{"url": srv.URL + "/data"})
	if p = r.Details.(FetchResult); p.Extractor != "json" || p.Text != "{\n  \"a\": 1,\n  \"b\": [\n    2,\n    3\n  ]\n}" {
		t.Fatalf("json %+v", p)
	}
	if _, err := run(t, tl, map[string]any{"url": srv.URL + "/missing"}); err == nil || !strings.Contains(err.Error(), "Web fetch failed (404): Not here") {
		t.Fatalf("404: %v", err)
	}
	for _, bad := range []string{"ftp://x/y", "file:///etc/passwd", "not a url"} {
		if _, err := run(t, tl, map[string]any{"url": bad}); err == nil || !strings.Contains(err.Error(), "Invalid URL") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

// Internal addresses are refused: literal, through a redirect, and through DNS; an
// explicit option lets them through.
func TestWebFetchRefusesInternalAddresses(t *testing.T) {
	internal := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("internal server was reached")
		_, _ = w.Write([]byte("secret"))
	}))
	l, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("127.0.0.2 unavailable: %v", err)
	}
	internal.Listener = l
	internal.Start()
	defer internal.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())

	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, internal.URL+"/", http.StatusFound)
	}))
	defer redirector.Close()

	lookup := func(ctx context.Context, host string) ([]string, error) {
		if host == "innocent.example" {
			return []string{"127.0.0.2"}, nil
		}
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	tl := fetchTool(t, WebFetchOptions{Addrs: loopbackOnly(), LookupHost: lookup})
	cases := map[string]string{
		"literal private": internal.URL + "/",
		"redirect":        redirector.URL + "/",
		"dns to loopback": "http://innocent.example:" + port + "/",
		"localhost name":  "http://localhost:" + port + "/",
		"link-local":      "http://169.254.169.254/latest/meta-data/",
		"unspecified":     "http://0.0.0.0:" + port + "/",
		"ipv6 loopback":   "http://[::1]:" + port + "/",
		"private 10/8":    "http://10.1.2.3/",
		"mapped loopback": "http://[::ffff:127.0.0.2]:" + port + "/",
	}
	for name, u := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := run(t, tl, map[string]any{"url": u})
			if err == nil || !errors.Is(err, ErrBlockedAddress) {
				t.Fatalf("%s: %v", u, err)
			}
			if !strings.Contains(err.Error(), "refused") {
				t.Fatalf("message %q", err)
			}
		})
	}
	// Allowed explicitly.
	open := fetchTool(t, WebFetchOptions{Addrs: AddrPolicy{AllowPrivate: true}, LookupHost: lookup})
	internal.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("reachable")) })
	r, err := run(t, open, map[string]any{"url": "http://innocent.example:" + port + "/"})
	if err != nil || r.Details.(FetchResult).Text != "reachable" {
		t.Fatalf("allowed: %v", err)
	}
}

func TestWebFetchLimits(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big":
			w.Header().Set("Content-Type", "text/plain")
			_, _ = w.Write([]byte(strings.Repeat("a", 10_000)))
		case "/slow":
			select {
			case <-r.Context().Done():
			case <-time.After(20 * time.Second):
			}
		case "/loop":
			http.Redirect(w, r, "/loop2", http.StatusFound)
		case "/loop2":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/bin":
			w.Header().Set("Content-Type", "image/png")
			_, _ = w.Write([]byte("\x89PNG\r\n\x1a\n\x00\x00"))
		}
	}))
	defer srv.Close()
	tl := fetchTool(t, WebFetchOptions{Addrs: loopbackOnly(), MaxBytes: 1000, Timeout: 300 * time.Millisecond, MaxRedirects: 3})
	r, err := run(t, tl, map[string]any{"url": srv.URL + "/big"})
	if p := r.Details.(FetchResult); err != nil || len(p.Text) != 1000 || !p.Truncated {
		t.Fatalf("size cap: %v %+v", err, p.Length)
	}
	if _, err := run(t, tl, map[string]any{"url": srv.URL + "/slow"}); err == nil {
		t.Fatal("slow server did not time out")
	}
	if _, err := run(t, tl, map[string]any{"url": srv.URL + "/loop"}); err == nil || !(strings.Contains(err.Error(), "Redirect loop") || strings.Contains(err.Error(), "Too many redirects")) {
		t.Fatalf("redirect loop: %v", err)
	}
	if _, err := run(t, tl, map[string]any{"url": srv.URL + "/bin"}); err == nil || !strings.Contains(err.Error(), "not text") {
		t.Fatalf("binary: %v", err)
	}
}

// TestWebFetchCache: a repeat of the same URL, mode and size within the TTL is answered
// from the cache, marked cached, without a request; after the TTL, or with another
// mode, it is fetched again; a negative TTL (cacheTtlMinutes 0) keeps nothing, and
// failures are never kept.
func TestWebFetchCache(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path == "/flaky" && hits.Load() == 1 {
			http.Error(w, "try later", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("fetched text"))
	}))
	defer srv.Close()
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	tl := fetchTool(t, WebFetchOptions{Addrs: loopbackOnly(), Now: clock, CacheTTL: 15 * time.Minute})
	get := func(tl *Tool, path, mode string) FetchResult {
		t.Helper()
		r, err := run(t, tl, map[string]any{"url": srv.URL + path, "extractMode": mode})
		if err != nil {
			t.Fatal(err)
		}
		return r.Details.(FetchResult)
	}
	if p := get(tl, "/a", "text"); p.Cached || hits.Load() != 1 {
		t.Fatalf("first fetch %+v, %d requests", p, hits.Load())
	}
	if p := get(tl, "/a", "text"); !p.Cached || p.Text != "fetched text" || hits.Load() != 1 {
		t.Fatalf("repeat %+v, %d requests: want the cached answer", p, hits.Load())
	}
	if get(tl, "/a", "markdown"); hits.Load() != 2 {
		t.Fatalf("another mode must be fetched: %d requests", hits.Load())
	}
	now = now.Add(16 * time.Minute)
	if p := get(tl, "/a", "text"); p.Cached || hits.Load() != 3 {
		t.Fatalf("after the TTL %+v, %d requests", p, hits.Load())
	}

	off := fetchTool(t, WebFetchOptions{Addrs: loopbackOnly(), Now: clock, CacheTTL: -1})
	get(off, "/b", "text")
	if p := get(off, "/b", "text"); p.Cached || hits.Load() != 5 {
		t.Fatalf("cache off %+v, %d requests", p, hits.Load())
	}

	hits.Store(0)
	fl := fetchTool(t, WebFetchOptions{Addrs: loopbackOnly(), Now: clock})
	if _, err := run(t, fl, map[string]any{"url": srv.URL + "/flaky"}); err == nil {
		t.Fatal("the 503 was not reported")
	}
	if p := get(fl, "/flaky", "markdown"); p.Cached || p.Text != "fetched text" {
		t.Fatalf("after a failure %+v: failures must not be cached", p)
	}
}
