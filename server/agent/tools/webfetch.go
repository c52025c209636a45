package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	readability "codeberg.org/readeck/go-readability/v2"
)

// web_fetch limits (the original's defaults where it has them).
const (
	DefaultFetchMaxChars     = 50_000
	DefaultFetchMaxRedirects = 3
	DefaultFetchTimeout      = 30 * time.Second
	// DefaultFetchMaxBytes bounds the response body read from the network.
	DefaultFetchMaxBytes  = 2 << 20
	DefaultFetchUserAgent = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7_2) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36"
	fetchErrorMaxChars    = 4000
)

// WebFetchOptions configure web_fetch.
type WebFetchOptions struct {
	MaxChars     int
	MaxRedirects int
	Timeout      time.Duration
	MaxBytes     int64
	UserAgent    string
	// Addrs decides which non-public addresses may be fetched (none by default).
	Addrs AddrPolicy
	// LookupHost resolves names (default: the system resolver). Every address it
	// returns goes through the address guard before a connection is made.
	LookupHost func(ctx context.Context, host string) ([]string, error)
	Now        func() time.Time
	// CacheTTL keeps answers this long (tools.web.fetch.cacheTtlMinutes; default
	// DefaultFetchCacheTTL); negative disables the cache. At most FetchCacheMaxEntries
	// answers are kept, the oldest dropped first.
	CacheTTL time.Duration
}

// The original's web_fetch cache: 15 minutes, 100 answers.
const (
	DefaultFetchCacheTTL = 15 * time.Minute
	FetchCacheMaxEntries = 100
)

// WebFetchTool returns the web_fetch tool.
func WebFetchTool(o WebFetchOptions) (*Tool, error) {
	if o.MaxChars <= 0 {
		o.MaxChars = DefaultFetchMaxChars
	}
	if o.MaxRedirects < 0 {
		o.MaxRedirects = 0
	} else if o.MaxRedirects == 0 {
		o.MaxRedirects = DefaultFetchMaxRedirects
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultFetchTimeout
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultFetchMaxBytes
	}
	if o.UserAgent == "" {
		o.UserAgent = DefaultFetchUserAgent
	}
	if o.LookupHost == nil {
		o.LookupHost = net.DefaultResolver.LookupHost
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.CacheTTL == 0 {
		o.CacheTTL = DefaultFetchCacheTTL
	}
	cache := newTTLCache[FetchResult](FetchCacheMaxEntries)
	dialer := GuardedDialer(o.Timeout, o.Addrs)
	tr := &http.Transport{
		Proxy: nil, // a proxy would resolve the name itself, past the guard
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			addrs := []string{host}
			if net.ParseIP(host) == nil {
				if addrs, err = o.LookupHost(ctx, host); err != nil {
					return nil, err
				}
			}
			var lastErr error
			for _, a := range addrs {
				c, err := dialer.DialContext(ctx, network, net.JoinHostPort(a, port))
				if err == nil {
					return c, nil
				}
				lastErr = err
			}
			if lastErr == nil {
				lastErr = fmt.Errorf("no addresses for %s", host)
			}
			return nil, lastErr
		},
		TLSHandshakeTimeout:   o.Timeout,
		ResponseHeaderTimeout: o.Timeout,
		MaxIdleConns:          8,
		IdleConnTimeout:       30 * time.Second,
	}
	client := &http.Client{Transport: tr, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) > o.MaxRedirects {
			return fmt.Errorf("Too many redirects (limit: %d)", o.MaxRedirects)
		}
		for _, v := range via {
			if v.URL.String() == req.URL.String() {
				return errors.New("Redirect loop detected")
			}
		}
		if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
			return errors.New("Invalid URL: must be http or https")
		}
		return checkLiteralHost(req.URL.Hostname(), o.Addrs)
	}}
	return withSchema(&Tool{Name: "web_fetch", Label: "Web Fetch",
		Description: "Fetch a URL and return its readable content (HTML → markdown or text). Internal network addresses are refused.",
		Timeout:     o.Timeout + 10*time.Second,
		Execute: func(ctx context.Context, call Call) (Result, error) {
			var a struct {
				URL         string   `json:"url"`
				ExtractMode string   `json:"extractMode"`
				MaxChars    *float64 `json:"maxChars"`
			}
			if err := decodeArgs(call.Args, &a); err != nil {
				return Result{}, err
			}
			maxChars := o.MaxChars
			if a.MaxChars != nil {
				maxChars = max(100, int(*a.MaxChars))
			}
			mode := "markdown"
			if a.ExtractMode == "text" {
				mode = "text"
			}
			target := strings.TrimSpace(a.URL)
			// The original's key: a repeat of the same URL, mode and size is answered
			// from the cache (marked cached) until it expires; failures are not kept.
			key := strings.ToLower(fmt.Sprintf("fetch:%s:%s:%d", target, mode, maxChars))
			if o.CacheTTL > 0 {
				if p, ok := cache.get(key, o.Now()); ok {
					p.Cached = true
					return JSONResult(p), nil
				}
			}
			payload, err := o.fetch(ctx, client, target, mode, maxChars)
			if err != nil {
				return Result{}, err
			}
			if o.CacheTTL > 0 {
				cache.put(key, payload, o.Now().Add(o.CacheTTL))
			}
			return JSONResult(payload), nil
		}})
}

// FetchResult is web_fetch's payload, in the original's field names.
type FetchResult struct {
	URL         string `json:"url"`
	FinalURL    string `json:"finalUrl"`
	Status      int    `json:"status"`
	ContentType string `json:"contentType"`
	Title       string `json:"title,omitempty"`
	ExtractMode string `json:"extractMode"`
	Extractor   string `json:"extractor"`
	Truncated   bool   `json:"truncated"`
	Length      int    `json:"length"`
	FetchedAt   string `json:"fetchedAt"`
	TookMs      int64  `json:"tookMs"`
	Text        string `json:"text"`
	Cached      bool   `json:"cached,omitempty"` // answered from the cache
}

func (o *WebFetchOptions) fetch(ctx context.Context, client *http.Client, raw, mode string, maxChars int) (FetchResult, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return FetchResult{}, errors.New("Invalid URL: must be http or https")
	}
	if err := checkLiteralHost(u.Hostname(), o.Addrs); err != nil {
		return FetchResult{}, fmt.Errorf("web_fetch refused: %w", err)
	}
	start := o.Now()
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return FetchResult{}, err
	}
	req.Header.Set("Accept", "*/*")
	req.Header.Set("User-Agent", o.UserAgent)
	req.Header.Set("Accept-Language", "en-US,en;q=0.9")
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, ErrBlockedAddress) {
			return FetchResult{}, fmt.Errorf("web_fetch refused: %w", unwrapURLError(err))
		}
		return FetchResult{}, fmt.Errorf("Web fetch failed: %w", unwrapURLError(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, o.MaxBytes+1))
	if err != nil {
		return FetchResult{}, fmt.Errorf("Web fetch failed: %w", err)
	}
	clipped := int64(len(body)) > o.MaxBytes
	if clipped {
		body = body[:o.MaxBytes]
	}
	ct := resp.Header.Get("Content-Type")
	if ct == "" {
		ct = "application/octet-stream"
	}
	mt, _, _ := mime.ParseMediaType(ct)
	final := resp.Request.URL
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		detail := string(body)
		if mt == "text/html" || looksLikeHTML(detail) {
			if t, _, err := renderHTML(body, final, "text"); err == nil {
				detail = t
			}
		}
		detail, _ = truncateRunes(strings.TrimSpace(detail), fetchErrorMaxChars)
		if detail == "" {
			detail = http.StatusText(resp.StatusCode)
		}
		return FetchResult{}, fmt.Errorf("Web fetch failed (%d): %s", resp.StatusCode, detail)
	}
	text, title, extractor := "", "", "raw"
	switch {
	case mt == "text/html" || mt == "application/xhtml+xml":
		text, title, err = renderHTML(body, final, mode)
		if err != nil {
			return FetchResult{}, err
		}
		extractor = "readability"
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		var v any
		if json.Unmarshal(body, &v) == nil {
			b, _ := json.MarshalIndent(v, "", "  ")
			text, extractor = string(b), "json"
		} else {
			text = string(body)
		}
	case strings.HasPrefix(mt, "text/") || mt == "application/xml" || strings.HasSuffix(mt, "+xml") || (utf8.Valid(body) && !bytes.ContainsRune(body, 0)):
		text = strings.ToValidUTF8(string(body), "\uFFFD")
	default:
		return FetchResult{}, fmt.Errorf("Web fetch failed: %s content is not text", mt)
	}
	text, truncated := truncateRunes(text, maxChars)
	return FetchResult{URL: raw, FinalURL: final.String(), Status: resp.StatusCode, ContentType: ct, Title: title, ExtractMode: mode,
		Extractor: extractor, Truncated: truncated || clipped, Length: utf8.RuneCountInString(text),
		FetchedAt: o.Now().UTC().Format("2006-01-02T15:04:05.000Z"), TookMs: o.Now().Sub(start).Milliseconds(), Text: text}, nil
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func looksLikeHTML(s string) bool {
	h := strings.ToLower(strings.TrimSpace(s))
	if len(h) > 256 {
		h = h[:256]
	}
	return strings.HasPrefix(h, "<!doctype html") || strings.HasPrefix(h, "<html")
}

func truncateRunes(s string, n int) (string, bool) {
	if utf8.RuneCountInString(s) <= n {
		return s, false
	}
	i := 0
	for k := range s {
		if i == n {
			return s[:k], true
		}
		i++
	}
	return s, false
}

// renderHTML extracts the readable part of a page and renders it as markdown or text.
func renderHTML(body []byte, page *url.URL, mode string) (text, title string, err error) {
	art, err := readability.FromReader(bytes.NewReader(body), page)
	if err != nil || art.Node == nil {
		return "", "", errors.New("Web fetch extraction failed: Readability returned no content.")
	}
	title = art.Title()
	if mode == "text" {
		var b strings.Builder
		if err := art.RenderText(&b); err != nil {
			return "", "", fmt.Errorf("Web fetch extraction failed: %w", err)
		}
		text = collapseBlankLines(b.String())
	} else {
		text = htmlToMarkdown(art.Node)
	}
	if strings.TrimSpace(text) == "" {
		return "", "", errors.New("Web fetch extraction failed: Readability returned no content.")
	}
	return strings.TrimSpace(text), title, nil
}
