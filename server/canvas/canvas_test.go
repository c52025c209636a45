package canvas

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lxzan/gws"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newHost(t *testing.T, root string, live bool) (*Host, *httptest.Server) {
	t.Helper()
	h, err := New(Options{Root: root, LiveReload: live, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		_ = h.Close()
	})
	return h, srv
}

func TestStarterPage(t *testing.T) {
	root := filepath.Join(t.TempDir(), "clawd", "canvas")
	_, srv := newHost(t, root, false)
	if _, err := os.Stat(filepath.Join(root, "index.html")); err != nil {
		t.Fatalf("starter page not created: %v", err)
	}
	res, err := http.Get(srv.URL + FilesPrefix)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(b), "<h1>Canvas</h1>") || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("%d %q %q", res.StatusCode, res.Header.Get("Cache-Control"), b)
	}
	if strings.Contains(string(b), ReloadPath) {
		t.Fatal("reload script injected with live reload off")
	}
	// A non-empty root is left alone.
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "app.js"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	h, err := New(Options{Root: other, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if _, err := os.Stat(filepath.Join(other, "index.html")); !os.IsNotExist(err) {
		t.Fatal("starter page written into a non-empty root")
	}
}

// rawGet sends the request line exactly as given, so the client library cannot clean
// or re-encode the path.
func rawGet(t *testing.T, srv *httptest.Server, target string) (int, string) {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, "GET "+target+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res.StatusCode, string(b)
}

func TestTraversalRefused(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "root")
	if err := os.MkdirAll(filepath.Join(root, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	const secret = "TOP-SECRET-OUTSIDE-ROOT"
	if err := os.WriteFile(filepath.Join(base, "secret.txt"), []byte(secret), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(base, "outdir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(base, "outdir", "index.html"), []byte(secret), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "sub", "ok.txt"), []byte("inside"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Symlinks: one escaping to a file, one to a directory, one staying inside.
	must(t, os.Symlink(filepath.Join(base, "secret.txt"), filepath.Join(root, "link.txt")))
	must(t, os.Symlink(filepath.Join(base, "outdir"), filepath.Join(root, "linkdir")))
	must(t, os.Symlink("../secret.txt", filepath.Join(root, "sub", "rel.txt")))
	must(t, os.Symlink("sub/ok.txt", filepath.Join(root, "inner.txt")))
	_, srv := newHost(t, root, true)

	for _, target := range []string{
		FilesPrefix + "../secret.txt",
		FilesPrefix + "sub/../../secret.txt",
		FilesPrefix + "%2e%2e/secret.txt",
		FilesPrefix + "%2E%2E%2Fsecret.txt",
		FilesPrefix + "sub%2f..%2f..%2fsecret.txt",
		FilesPrefix + "..%5csecret.txt",
		FilesPrefix + "%252e%252e/secret.txt",
		FilesPrefix + "link.txt",
		FilesPrefix + "linkdir/",
		FilesPrefix + "linkdir/index.html",
		FilesPrefix + "sub/rel.txt",
		FilesPrefix + "sub/ok.txt%00",
		"/__clawdbot__/canvas/../../secret.txt",
		"/__clawdbot__/../secret.txt",
	} {
		status, body := rawGet(t, srv, target)
		if strings.Contains(body, secret) || status == 200 {
			t.Errorf("GET %s: %d %q — escaped the root", target, status, body)
		}
	}
	// Inside the root, symlinks that stay inside work.
	for _, target := range []string{FilesPrefix + "sub/ok.txt", FilesPrefix + "inner.txt", FilesPrefix + "sub/./ok.txt"} {
		if status, body := rawGet(t, srv, target); status != 200 || body != "inside" {
			t.Errorf("GET %s: %d %q", target, status, body)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestMethodsAndRoutes(t *testing.T) {
	root := t.TempDir()
	must(t, os.WriteFile(filepath.Join(root, "page.html"), []byte("<html><body><p>hi</p></body></html>"), 0o644))
	must(t, os.MkdirAll(filepath.Join(root, "d"), 0o755))
	_, srv := newHost(t, root, true)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"POST", FilesPrefix + "page.html", 405},
		{"DELETE", FilesPrefix + "page.html", 405},
		{"HEAD", FilesPrefix + "page.html", 200},
		{"GET", FilesPrefix + "missing.html", 404},
		{"GET", FilesPrefix + "d/", 404}, // directory without index.html
		{"GET", "/__clawdbot__/canvas", 301},
		{"GET", FilesPrefix + "d", 301},
		{"GET", "/elsewhere", 404},
		{"GET", ReloadPath, 426},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		res, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tc.status {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, res.StatusCode, tc.status)
		}
	}
	res, err := http.Get(srv.URL + FilesPrefix + "page.html")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(b), "<p>hi</p><script>") || !strings.HasSuffix(string(b), "</script></body></html>") {
		t.Fatalf("script not injected before </body>: %s", b)
	}
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("content-type %q", res.Header.Get("Content-Type"))
	}
}

type reloadClient struct {
	got chan string
}

func (c *reloadClient) OnOpen(*gws.Conn)             {}
func (c *reloadClient) OnClose(*gws.Conn, error)     { close(c.got) }
func (c *reloadClient) OnPing(w *gws.Conn, p []byte) { _ = w.WritePong(p) }
func (c *reloadClient) OnPong(*gws.Conn, []byte)     {}
func (c *reloadClient) OnMessage(_ *gws.Conn, m *gws.Message) {
	c.got <- m.Data.String()
	_ = m.Close()
}

// The watcher reports a change (debounced into one "reload"), including in a
// directory created after start, and ignores dotfiles.
func TestLiveReloadSocket(t *testing.T) {
	root := t.TempDir()
	h, srv := newHost(t, root, true)
	rc := &reloadClient{got: make(chan string, 16)}
	ws, _, err := gws.NewClient(rc, &gws.ClientOption{Addr: "ws" + strings.TrimPrefix(srv.URL, "http") + ReloadPath})
	if err != nil {
		t.Fatal(err)
	}
	go ws.ReadLoop()
	defer ws.NetConn().Close()
	waitFor(t, func() bool { return h.Clients() == 1 })

	expect := func(what string) {
		t.Helper()
		select {
		case m := <-rc.got:
			if m != "reload" {
				t.Fatalf("%s: got %q", what, m)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: no reload", what)
		}
	}
	must(t, os.WriteFile(filepath.Join(root, ".swp"), []byte("x"), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "a.html"), []byte("1"), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "b.css"), []byte("2"), 0o644))
	expect("burst")
	must(t, os.MkdirAll(filepath.Join(root, "new"), 0o755))
	expect("mkdir")
	// Wait until the new directory is watched, then change a file in it.
	waitFor(t, func() bool {
		for _, p := range h.watcher.w.WatchList() {
			if p == filepath.Join(root, "new") {
				return true
			}
		}
		return false
	})
	must(t, os.WriteFile(filepath.Join(root, "new", "x.js"), []byte("3"), 0o644))
	expect("file in new dir")
	select {
	case m := <-rc.got:
		t.Fatalf("extra message %q", m)
	case <-time.After(3 * DefaultDebounce):
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCleanRel(t *testing.T) {
	for in, want := range map[string]string{"": ".", "a/b": "a/b", "a//b/": "a/b", "./a": "a", "a/./b": "a/b"} {
		if got, ok := cleanRel(in); !ok || got != want {
			t.Errorf("cleanRel(%q) = %q %v", in, got, ok)
		}
	}
	for _, in := range []string{"..", "a/../b", "a\\b", "a\x00"} {
		if _, ok := cleanRel(in); ok {
			t.Errorf("cleanRel(%q) accepted", in)
		}
	}
}

// TestReloadSocketOriginAndHost (issue 15 #10): only the canvas's own pages (or
// native apps without an Origin) may open live-reload sockets, one address may hold
// only its share, and a loopback-only host refuses rebinding host names.
func TestReloadSocketOriginAndHost(t *testing.T) {
	h, err := New(Options{Root: t.TempDir(), LiveReload: true, LoopbackOnly: true, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); _ = h.Close() })
	wsURL := "ws://" + strings.TrimPrefix(srv.URL, "http://") + ReloadPath
	own := "http://" + strings.TrimPrefix(srv.URL, "http://")
	try := func(hdr http.Header) (*gws.Conn, int) {
		c, res, err := gws.NewClient(&gws.BuiltinEventHandler{}, &gws.ClientOption{Addr: wsURL, RequestHeader: hdr})
		if err != nil {
			if res == nil {
				t.Fatalf("dial: %v", err)
			}
			return nil, res.StatusCode
		}
		go c.ReadLoop()
		t.Cleanup(func() { _ = c.NetConn().Close() })
		return c, 101
	}
	if _, code := try(http.Header{"Origin": {"https://evil.example"}}); code != http.StatusForbidden {
		t.Fatalf("foreign origin: %d, want 403", code)
	}
	if _, code := try(http.Header{"Host": {"rebind.attacker.example"}, "Origin": {"http://rebind.attacker.example"}}); code != http.StatusForbidden {
		t.Fatalf("rebinding host: %d, want 403", code)
	}
	if _, code := try(http.Header{"Origin": {own}}); code != 101 {
		t.Fatalf("own page: %d", code)
	}
	for i := 1; i < MaxReloadClientsPerAddr; i++ {
		if _, code := try(nil); code != 101 {
			t.Fatalf("native client %d: %d", i, code)
		}
	}
	if _, code := try(nil); code != http.StatusServiceUnavailable {
		t.Fatalf("over the per-address share: %d, want 503", code)
	}
	// Files too are refused under a foreign host name.
	req, _ := http.NewRequest("GET", srv.URL+FilesPrefix, nil)
	req.Host = "rebind.attacker.example"
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("file under a rebinding host: %d", res.StatusCode)
	}
}
