package controlui

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func get(t *testing.T, h http.Handler, method, target string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	res := rec.Result()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestNormalizeBasePath(t *testing.T) {
	for in, want := range map[string]string{"": "", "/": "", " /ui/ ": "/ui", "ctl": "/ctl", "/a/b/": "/a/b", "//x//": "/x"} {
		if got := NormalizeBasePath(in); got != want {
			t.Errorf("NormalizeBasePath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRootMode(t *testing.T) {
	h := New(Options{})
	for _, tc := range []struct {
		method, path string
		status       int
		contains     string
	}{
		{"GET", "/", 200, `window.__CLAWDBOT_CONTROL_UI_BASE_PATH__="";`},
		{"GET", "/index.html", 200, `<base href="/">`},
		{"GET", "/some/client/route", 200, `<script type="module" src="app.js">`},
		{"GET", "/app.js", 200, `clawdbot-control-ui`}, // the bundle carries the client id
		{"HEAD", "/style.css", 200, ""},
		{"GET", "/ui", 404, ""},
		{"GET", "/ui/x", 404, ""},
		{"POST", "/", 405, ""},
		{"POST", "/anything/else", 405, ""},
		{"PUT", "/app.js", 405, ""},
		{"GET", "/../../etc/passwd", 200, "<html"}, // cleaned, then the SPA
	} {
		res, body := get(t, h, tc.method, tc.path)
		if res.StatusCode != tc.status {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, res.StatusCode, tc.status)
			continue
		}
		if res.Header.Get("Cache-Control") != "no-cache" {
			t.Errorf("%s %s: Cache-Control %q", tc.method, tc.path, res.Header.Get("Cache-Control"))
		}
		if tc.status == 405 && res.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("Allow %q", res.Header.Get("Allow"))
		}
		if tc.contains != "" && !strings.Contains(body, tc.contains) {
			t.Errorf("%s %s: body lacks %q", tc.method, tc.path, tc.contains)
		}
	}
	res, _ := get(t, h, "GET", "/app.js")
	if ct := res.Header.Get("Content-Type"); !strings.Contains(ct, "javascript") {
		t.Errorf("app.js content-type %q", ct)
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("csp %q", csp)
	}
}

func TestBasePath(t *testing.T) {
	h := New(Options{BasePath: "/control/"})
	res, _ := get(t, h, "GET", "/control")
	if res.StatusCode != 302 || res.Header.Get("Location") != "/control/" {
		t.Fatalf("exact base: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	res, body := get(t, h, "GET", "/control/")
	if res.StatusCode != 200 || !strings.Contains(body, `window.__CLAWDBOT_CONTROL_UI_BASE_PATH__="/control";`) || !strings.Contains(body, `<base href="/control/">`) {
		t.Fatalf("base index: %d %s", res.StatusCode, body)
	}
	if res, _ := get(t, h, "GET", "/control/gateway.js"); res.StatusCode != 200 {
		t.Fatalf("asset under base: %d", res.StatusCode)
	}
	if res, _ := get(t, h, "GET", "/elsewhere"); res.StatusCode != 404 {
		t.Fatalf("outside base: %d", res.StatusCode)
	}
	if res, _ := get(t, h, "POST", "/elsewhere"); res.StatusCode != 405 {
		t.Fatalf("POST outside base: %d", res.StatusCode)
	}
	// A hostile base path cannot break out of the inline script.
	h = New(Options{BasePath: `/x</script><script>alert(1)`})
	_, body = get(t, h, "GET", h.BasePath()+"/")
	if strings.Contains(body, "</script><script>alert") {
		t.Fatalf("base path not escaped: %s", body)
	}
}

func TestMissingAssets(t *testing.T) {
	h := New(Options{Files: fstest.MapFS{"app.js": {Data: []byte("x")}}})
	if res, _ := get(t, h, "GET", "/"); res.StatusCode != 503 {
		t.Fatalf("missing index: %d", res.StatusCode)
	}
}
