package tools

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/clawgate/gateway/server/agent/llm"
	"github.com/clawgate/gateway/server/gatewaytest"
)

const browserTestPage = `<!doctype html><html><head><title>Browser Test</title></head><body>
<h1>Greeter</h1>
<p>Say hello to the gateway.</p>
<a href="/other">Other page</a>
<label for="name">Your name</label> <input id="name" type="text" placeholder="name">
<button id="go" onclick="document.getElementById('out').textContent = 'Hello, ' + document.getElementById('name').value + '!'">Greet</button>
<p id="out">Nobody greeted yet</p>
<div style="display:none"><button>Hidden button</button></div>
</body></html>`

// browserTool returns the browser tool on a fresh headless chromium that the test
// stops when it ends.
func browserTool(t *testing.T, o BrowserOptions) (*Tool, *Browser) {
	t.Helper()
	o.ExecPath = gatewaytest.Chromium(t)
	o.NoSandbox = true // CI runs as root
	o.MediaDir = t.TempDir()
	b := NewBrowser(o)
	t.Cleanup(func() { _ = b.Close() })
	return mustTool(BrowserTool(b)), b
}

// TestBrowserOpenSnapshotActScreenshot drives a real page end to end: the snapshot
// shows the page text and refs for the link, the input and the button; typing into the
// input and clicking the button changes the page, which the next snapshot shows; the
// screenshot is a PNG image part saved under the media folder.
func TestBrowserOpenSnapshotActScreenshot(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if r.URL.Path == "/other" {
			_, _ = w.Write([]byte(`<!doctype html><title>Other</title><p>The other page</p>`))
			return
		}
		_, _ = w.Write([]byte(browserTestPage))
	}))
	defer srv.Close()
	tl, b := browserTool(t, BrowserOptions{Addrs: loopbackOnly(), MaxTabs: 2})

	must := func(args map[string]any) Result {
		t.Helper()
		r, err := run(t, tl, args)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return r
	}
	r := must(map[string]any{"action": "status"})
	if st := r.Details.(BrowserStatus); st.Running {
		t.Fatalf("status before first use: %+v (the browser starts lazily)", st)
	}
	r = must(map[string]any{"action": "open", "targetUrl": srv.URL + "/"})
	tab := r.Details.(BrowserTab)
	if tab.Title != "Browser Test" || tab.TargetID == "" || !tab.Current {
		t.Fatalf("open: %+v", tab)
	}

	snap := text(must(map[string]any{"action": "snapshot"}))
	for _, want := range []string{
		"# Greeter", "Say hello to the gateway.",
		`link "Other page" href="/other" [ref=e1]`,
		`textbox "Your name" value="" [ref=e2]`,
		`button "Greet" [ref=e3]`,
		"Nobody greeted yet",
	} {
		if !strings.Contains(snap, want) {
			t.Fatalf("snapshot lacks %q:\n%s", want, snap)
		}
	}
	if strings.Contains(snap, "Hidden button") {
		t.Fatalf("snapshot shows a hidden element:\n%s", snap)
	}

	must(map[string]any{"action": "act", "request": map[string]any{"kind": "type", "ref": "e2", "text": "Ada"}})
	must(map[string]any{"action": "act", "request": map[string]any{"kind": "click", "ref": "e3"}})
	snap = text(must(map[string]any{"action": "snapshot", "targetId": tab.TargetID}))
	if !strings.Contains(snap, "Hello, Ada!") || !strings.Contains(snap, `value="Ada"`) || strings.Contains(snap, "Nobody greeted yet") {
		t.Fatalf("snapshot after type+click:\n%s", snap)
	}
	// A stale or unknown ref is a clear error, not a 30 s wait.
	if _, err := run(t, tl, map[string]any{"action": "act", "request": map[string]any{"kind": "click", "ref": "e99"}}); err == nil || !strings.Contains(err.Error(), "take a new snapshot") {
		t.Fatalf("unknown ref: %v", err)
	}

	r = must(map[string]any{"action": "screenshot"})
	if len(r.Content) != 2 || r.Content[1].Type != llm.PartImage || r.Content[1].MimeType != "image/png" {
		t.Fatalf("screenshot content: %+v", r.Content)
	}
	png, err := base64.StdEncoding.DecodeString(r.Content[1].Data)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("screenshot is not a PNG (%v)", err)
	}
	path, _ := r.Details.(map[string]any)["path"].(string)
	if saved, err := os.ReadFile(path); err != nil || !bytes.Equal(saved, png) || r.Content[0].Text != "MEDIA:"+path {
		t.Fatalf("saved screenshot %q: %v", path, err)
	}

	// navigate stays in the tab; open adds tabs up to the limit.
	r = must(map[string]any{"action": "navigate", "targetUrl": srv.URL + "/other"})
	if got := r.Details.(BrowserTab); got.TargetID != tab.TargetID || got.Title != "Other" {
		t.Fatalf("navigate: %+v", got)
	}
	second := must(map[string]any{"action": "open", "targetUrl": srv.URL + "/"}).Details.(BrowserTab)
	if _, err := run(t, tl, map[string]any{"action": "open", "targetUrl": srv.URL + "/"}); err == nil || !strings.Contains(err.Error(), "tab limit") {
		t.Fatalf("third tab with maxTabs 2: %v", err)
	}
	must(map[string]any{"action": "act", "request": map[string]any{"kind": "press", "key": "Tab"}})
	must(map[string]any{"action": "close", "targetId": second.TargetID})
	tabs := must(map[string]any{"action": "tabs"}).Details.(map[string]any)["tabs"].([]BrowserTab)
	if len(tabs) != 1 || tabs[0].TargetID != tab.TargetID || !tabs[0].Current {
		t.Fatalf("tabs after close: %+v", tabs)
	}

	// A browser that dies by itself is forgotten and the next use starts a new one.
	_ = b.lock(context.Background())
	bctx := b.browserCtx
	b.unlock()
	proc := chromedp.FromContext(bctx).Browser.Process()
	if proc == nil {
		t.Fatal("no browser process")
	}
	if err := proc.Kill(); err != nil {
		t.Fatal(err)
	}
	// Returns when the process has exited (or chromedp already ended the context).
	wctx, cancel := context.WithTimeout(bctx, 15*time.Second)
	defer cancel()
	_ = chromedp.WaitClosed(wctx)
	if st := must(map[string]any{"action": "status"}).Details.(BrowserStatus); st.Running || st.Tabs != 0 {
		t.Fatalf("status after the browser died: %+v", st)
	}
	r = must(map[string]any{"action": "open", "targetUrl": srv.URL + "/"})
	if st := must(map[string]any{"action": "status"}).Details.(BrowserStatus); !st.Running || st.Tabs != 1 {
		t.Fatalf("status after restart: %+v", st)
	}

	must(map[string]any{"action": "stop"})
	if st := must(map[string]any{"action": "status"}).Details.(BrowserStatus); st.Running || st.Tabs != 0 {
		t.Fatalf("status after stop: %+v", st)
	}
}

// TestBrowserRefusesInternalAddresses: with the default guard, open and navigate
// refuse loopback, private and link-local targets (literal or by name) before any
// browser starts, as web_fetch does; non-http schemes are refused too.
func TestBrowserRefusesInternalAddresses(t *testing.T) {
	lookup := func(_ context.Context, host string) ([]string, error) {
		if host == "intranet.example" {
			return []string{"10.1.2.3"}, nil
		}
		return nil, errors.New("no such host")
	}
	b := NewBrowser(BrowserOptions{LookupHost: lookup})
	t.Cleanup(func() { _ = b.Close() })
	tl := mustTool(BrowserTool(b))
	for _, u := range []string{"http://127.0.0.1:8080/", "http://localhost/", "http://169.254.169.254/latest/meta-data", "http://intranet.example/", "http://[::1]/"} {
		for _, action := range []string{"open", "navigate"} {
			_, err := run(t, tl, map[string]any{"action": action, "targetUrl": u})
			if err == nil || !errors.Is(err, ErrBlockedAddress) {
				t.Fatalf("%s %s: %v, want a refusal", action, u, err)
			}
		}
	}
	for _, u := range []string{"file:///etc/passwd", "javascript:alert(1)", "chrome://settings"} {
		if _, err := run(t, tl, map[string]any{"action": "open", "targetUrl": u}); err == nil || !strings.Contains(err.Error(), "must be http or https") {
			t.Fatalf("open %s: %v", u, err)
		}
	}
	if b.running() {
		t.Fatal("a refused URL started the browser")
	}
}

// TestBrowserAttachesToCDPURL: with browser.cdpUrl the tool drives a Chrome it did not
// start, and stop detaches (closing its tabs) while that Chrome keeps running.
func TestBrowserAttachesToCDPURL(t *testing.T) {
	chromium := gatewaytest.Chromium(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(browserTestPage))
	}))
	defer srv.Close()
	cmd := exec.Command(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=0",
		"--user-data-dir="+t.TempDir(), "about:blank")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	// Chrome announces its endpoint on stderr: "DevTools listening on ws://...".
	wsURL := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if _, u, ok := strings.Cut(sc.Text(), "DevTools listening on "); ok {
				wsURL <- strings.TrimSpace(u)
			}
		}
		_ = cmd.Wait()
		close(exited)
	}()
	var endpoint string
	select {
	case endpoint = <-wsURL:
	case <-exited:
		t.Fatal("chromium exited before announcing its DevTools endpoint")
	case <-time.After(30 * time.Second):
		t.Fatal("chromium did not announce its DevTools endpoint")
	}

	b := NewBrowser(BrowserOptions{CDPURL: endpoint, Addrs: loopbackOnly()})
	t.Cleanup(func() { _ = b.Close() })
	tl := mustTool(BrowserTool(b))
	if _, err := run(t, tl, map[string]any{"action": "open", "targetUrl": srv.URL + "/"}); err != nil {
		t.Fatal(err)
	}
	r, err := run(t, tl, map[string]any{"action": "snapshot"})
	if err != nil || !strings.Contains(text(r), `button "Greet" [ref=e3]`) {
		t.Fatalf("snapshot over cdpUrl: %v\n%s", err, text(r))
	}
	if _, err := run(t, tl, map[string]any{"action": "stop"}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
		t.Fatal("stop killed the Chrome it attached to")
	default:
	}
	// Still serving: a new attach works.
	if _, err := run(t, tl, map[string]any{"action": "open", "targetUrl": srv.URL + "/"}); err != nil {
		t.Fatalf("re-attach after stop: %v", err)
	}
}

// TestBrowserGuardsWhereThePageGoes: a redirect or a click that lands on an internal
// address (localhost is not on the test's 127.0.0.1 allow list) is refused after the
// fact: open fails and keeps no tab; snapshot and screenshot of a tab that moved there
// fail and leave it on about:blank. A long page's snapshot is cut at maxChars.
func TestBrowserGuardsWhereThePageGoes(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		internal := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) + "/secret"
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, internal, http.StatusFound)
		case "/jump":
			_, _ = w.Write([]byte(`<!doctype html><a href="` + internal + `">go inside</a>`))
		case "/secret":
			_, _ = w.Write([]byte(`<!doctype html><p>internal secret</p>`))
		case "/long":
			_, _ = w.Write([]byte(`<!doctype html><body>` + strings.Repeat("<p>lorem ipsum dolor sit amet</p>", 2000) + `</body>`))
		}
	}))
	defer srv.Close()
	tl, b := browserTool(t, BrowserOptions{Addrs: loopbackOnly()})

	if _, err := run(t, tl, map[string]any{"action": "open", "targetUrl": srv.URL + "/redirect"}); err == nil || !errors.Is(err, ErrBlockedAddress) {
		t.Fatalf("open of a redirect to localhost: %v", err)
	}
	r, err := run(t, tl, map[string]any{"action": "tabs"})
	if err != nil || len(r.Details.(map[string]any)["tabs"].([]BrowserTab)) != 0 {
		t.Fatalf("tabs after a refused open: %v %v", r.Details, err)
	}

	if _, err := run(t, tl, map[string]any{"action": "open", "targetUrl": srv.URL + "/jump"}); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, tl, map[string]any{"action": "snapshot"}); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, tl, map[string]any{"action": "act", "request": map[string]any{"kind": "click", "ref": "e1"}}); err != nil {
		t.Fatal(err)
	}
	// The click navigates; wait until the internal page is shown (its <p>), then
	// neither snapshot nor screenshot may read it.
	_ = b.lock(context.Background())
	tab := b.tabs[0]
	b.unlock()
	wctx, cancel := context.WithTimeout(tab.ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(wctx, chromedp.WaitReady(chromedp.CSS("p"))); err != nil {
		t.Fatalf("the click did not reach the internal page: %v", err)
	}
	for _, action := range []string{"screenshot", "snapshot"} {
		if err := chromedp.Do(wctx, chromedp.Navigate(strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)+"/secret")); err != nil {
			t.Fatal(err)
		}
		r, err := run(t, tl, map[string]any{"action": action})
		if err == nil || !errors.Is(err, ErrBlockedAddress) || strings.Contains(text(r), "internal secret") {
			t.Fatalf("%s of the internal page: %v\n%s", action, err, text(r))
		}
	}
	tabs, _ := run(t, tl, map[string]any{"action": "tabs"})
	if got := tabs.Details.(map[string]any)["tabs"].([]BrowserTab); len(got) != 1 || got[0].URL != "about:blank" {
		t.Fatalf("tab after the refused page: %+v", got)
	}

	if _, err := run(t, tl, map[string]any{"action": "navigate", "targetUrl": srv.URL + "/long"}); err != nil {
		t.Fatal(err)
	}
	r, err = run(t, tl, map[string]any{"action": "snapshot", "maxChars": 600})
	if err != nil {
		t.Fatal(err)
	}
	if d := r.Details.(BrowserSnapshot); !d.Truncated || len(text(r)) > 1000 || !strings.Contains(text(r), "(truncated") {
		t.Fatalf("long page snapshot (%d chars, %+v):\n%s", len(text(r)), d, text(r))
	}
}
