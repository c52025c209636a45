// Package canvas is the canvas host (§10.3): a small HTTP server that serves the files
// under canvasHost.root at /__clawdbot__/canvas/ for node apps to display, and reloads
// connected pages when a file changes (a WebSocket at /__clawdbot/ws that says
// "reload").
//
// Files are opened through an os.Root, so no request path — "..", percent-encoded
// dots, or a symlink inside the root pointing outside it — can read anything outside
// the root: the kernel-level resolution refuses to leave it.
package canvas

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/lxzan/gws"

	"github.com/clawgate/gateway/server/auth"
)

// URL paths (§10.3).
const (
	// FilesPrefix is where the root's files are served.
	FilesPrefix = "/__clawdbot__/canvas/"
	// ReloadPath is the live-reload WebSocket.
	ReloadPath = "/__clawdbot/ws"
)

// Limits and timings.
const (
	// DefaultDebounce is how long the watcher waits after the last change before
	// telling pages to reload, so a burst of writes (an editor's save, a build) is one
	// reload.
	DefaultDebounce = 75 * time.Millisecond
	// MaxInjectBytes bounds the HTML files read into memory to add the live-reload
	// script; larger HTML is served as is.
	MaxInjectBytes = 8 << 20
	// MaxWatchedDirs bounds the directories the watcher follows.
	MaxWatchedDirs = 4096
	// MaxReloadClients bounds the live-reload sockets.
	MaxReloadClients = 256
	// MaxReloadClientsPerAddr bounds the live-reload sockets of one address
	// (auth.AddrKey), so one peer cannot take them all.
	MaxReloadClientsPerAddr = 16
)

// Options configure a Host.
type Options struct {
	// Root is the directory served; it is created with a starter index.html when
	// missing or empty.
	Root string
	// LiveReload injects the reload script and watches Root.
	LiveReload bool
	// Debounce is the quiet period before a reload (DefaultDebounce when 0).
	Debounce time.Duration
	// LoopbackOnly serves only requests addressed to a loopback host name (set when
	// the canvas listens on loopback): a page on a rebinding domain that resolves to
	// 127.0.0.1 still names its own domain in Host and is refused.
	LoopbackOnly bool
	Logger       *slog.Logger
}

// Host serves one canvas root.
type Host struct {
	opts     Options
	root     *os.Root
	log      *slog.Logger
	upgrader *gws.Upgrader
	watcher  *watcher

	mu      sync.Mutex
	clients map[*gws.Conn]string // reload socket → its address key
	perAddr map[string]int
	closed  bool
}

// New prepares the root (creating it with a starter page if needed) and, with live
// reload, starts watching it. Close stops the watcher and the reload sockets.
func New(o Options) (*Host, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Debounce <= 0 {
		o.Debounce = DefaultDebounce
	}
	if o.Root == "" {
		return nil, errors.New("canvas: no root directory")
	}
	abs, err := filepath.Abs(o.Root)
	if err != nil {
		return nil, fmt.Errorf("canvas root: %w", err)
	}
	o.Root = abs
	if err := ensureRoot(abs); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("canvas root: %w", err)
	}
	h := &Host{opts: o, root: root, log: o.Logger, clients: map[*gws.Conn]string{}, perAddr: map[string]int{}}
	h.upgrader = gws.NewUpgrader(reloadEvents{h}, &gws.ServerOption{ReadMaxPayloadSize: 1024, Recovery: gws.Recovery})
	if o.LiveReload {
		w, err := watch(abs, o.Debounce, h.broadcastReload, o.Logger)
		if err != nil {
			_ = root.Close()
			return nil, err
		}
		h.watcher = w
	}
	return h, nil
}

// Root is the absolute directory served.
func (h *Host) Root() string { return h.opts.Root }

// Clients is the number of pages connected for live reload.
func (h *Host) Clients() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}

// Close stops watching and disconnects the reload sockets.
func (h *Host) Close() error {
	h.mu.Lock()
	h.closed = true
	conns := make([]*gws.Conn, 0, len(h.clients))
	for c := range h.clients {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		_ = c.WriteClose(1001, []byte("canvas host stopping"))
	}
	var err error
	if h.watcher != nil {
		err = h.watcher.close()
	}
	return errors.Join(err, h.root.Close())
}

const starterPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Clawdbot canvas</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; min-height: 100vh; display: grid; place-items: center; background: #0f1117; color: #e6e6e6; }
  main { max-width: 32rem; padding: 2rem; }
  code { background: #1d2130; padding: .1em .35em; border-radius: 4px; }
</style>
</head>
<body>
<main>
  <h1>Canvas</h1>
  <p>This page is served by the Clawdbot gateway's canvas host. Put your own files in
  this directory; pages open here reload when a file changes.</p>
</main>
</body>
</html>
`

// ensureRoot creates dir, and a starter index.html when dir has no entries.
func ensureRoot(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("canvas root: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("canvas root: %w", err)
	}
	if len(entries) > 0 {
		return nil
	}
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte(starterPage), 0o644); err != nil {
		return fmt.Errorf("canvas starter page: %w", err)
	}
	return nil
}

func (h *Host) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.opts.LoopbackOnly && !auth.IsLoopbackHost(r.Host) {
		http.Error(w, "host not allowed", http.StatusForbidden)
		return
	}
	switch {
	case r.URL.Path == ReloadPath:
		h.serveReload(w, r)
	case r.URL.Path == strings.TrimSuffix(FilesPrefix, "/"):
		http.Redirect(w, r, FilesPrefix, http.StatusMovedPermanently)
	case strings.HasPrefix(r.URL.Path, FilesPrefix):
		h.serveFile(w, r, strings.TrimPrefix(r.URL.Path, FilesPrefix))
	default:
		http.NotFound(w, r)
	}
}

func (h *Host) serveReload(w http.ResponseWriter, r *http.Request) {
	if !h.opts.LiveReload {
		http.NotFound(w, r)
		return
	}
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		http.Error(w, "upgrade required", http.StatusUpgradeRequired)
		return
	}
	// Only pages of the canvas itself (or native apps, which send no Origin) may
	// subscribe: a page from any other origin could otherwise take every slot and
	// lock the real page out.
	if o := r.Header.Get("Origin"); o != "" && !sameOrigin(o, r.Host) {
		http.Error(w, "origin not allowed", http.StatusForbidden)
		return
	}
	key := auth.AddrKey(r.RemoteAddr)
	h.mu.Lock()
	full := h.closed || len(h.clients) >= MaxReloadClients || h.perAddr[key] >= MaxReloadClientsPerAddr
	if !full {
		h.perAddr[key]++ // reserved before the upgrade, so concurrent upgrades cannot overshoot
	}
	h.mu.Unlock()
	if full {
		http.Error(w, "too many live-reload clients", http.StatusServiceUnavailable)
		return
	}
	c, err := h.upgrader.Upgrade(w, r)
	h.mu.Lock()
	if err != nil {
		h.releaseLocked(key)
		h.mu.Unlock()
		return
	}
	h.clients[c] = key
	h.mu.Unlock()
	go c.ReadLoop()
}

func (h *Host) releaseLocked(key string) {
	if h.perAddr[key]--; h.perAddr[key] <= 0 {
		delete(h.perAddr, key)
	}
}

// sameOrigin reports whether a browser Origin is the canvas host itself (the scheme
// is not compared: behind a TLS proxy the page is https while Host is the same).
func sameOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	return strings.EqualFold(u.Host, host)
}

func (h *Host) broadcastReload() {
	h.mu.Lock()
	conns := make([]*gws.Conn, 0, len(h.clients))
	for c := range h.clients {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	h.log.Debug("canvas changed; reloading pages", "pages", len(conns))
	for _, c := range conns {
		c.WriteAsync(gws.OpcodeText, []byte("reload"), nil)
	}
}

// reloadEvents tracks the reload sockets; pages never send anything that matters.
type reloadEvents struct{ h *Host }

func (e reloadEvents) OnOpen(*gws.Conn)                      {}
func (e reloadEvents) OnPing(c *gws.Conn, p []byte)          { _ = c.WritePong(p) }
func (e reloadEvents) OnPong(*gws.Conn, []byte)              {}
func (e reloadEvents) OnMessage(_ *gws.Conn, m *gws.Message) { _ = m.Close() }
func (e reloadEvents) OnClose(c *gws.Conn, _ error) {
	e.h.mu.Lock()
	if key, ok := e.h.clients[c]; ok {
		delete(e.h.clients, c)
		e.h.releaseLocked(key)
	}
	e.h.mu.Unlock()
}

// cleanRel turns the URL path below the prefix into a root-relative file name, or
// reports it unusable. Any ".." segment is refused outright (after percent-decoding,
// which net/http has done), as are NUL bytes and backslashes; os.Root then refuses
// anything that would still leave the root, symlinks included.
func cleanRel(p string) (string, bool) {
	if strings.ContainsAny(p, "\x00\\") {
		return "", false
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." {
			return "", false
		}
	}
	c := path.Clean("/" + p)
	c = strings.TrimPrefix(c, "/")
	if c == "" {
		c = "."
	}
	return c, true
}

func (h *Host) serveFile(w http.ResponseWriter, r *http.Request, rel string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name, ok := cleanRel(rel)
	if !ok {
		http.NotFound(w, r)
		return
	}
	// Opened without blocking, then checked on the descriptor: a FIFO (or device) in
	// the root is refused at once instead of pinning a thread in open(2).
	f, err := h.root.OpenFile(name, os.O_RDONLY|openNonBlock, 0)
	if err != nil {
		h.notFound(w, r, name, err)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		h.notFound(w, r, name, err)
		return
	}
	if st.IsDir() {
		if !strings.HasSuffix(r.URL.Path, "/") {
			http.Redirect(w, r, r.URL.Path+"/", http.StatusMovedPermanently)
			return
		}
		_ = f.Close()
		name = path.Join(name, "index.html")
		if f, err = h.root.OpenFile(name, os.O_RDONLY|openNonBlock, 0); err != nil {
			h.notFound(w, r, name, err)
			return
		}
		defer f.Close()
		if st, err = f.Stat(); err != nil || st.IsDir() {
			http.NotFound(w, r)
			return
		}
	}
	if !st.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	ext := strings.ToLower(path.Ext(name))
	if ct := mime.TypeByExtension(ext); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	if h.opts.LiveReload && (ext == ".html" || ext == ".htm") && st.Size() <= MaxInjectBytes {
		b, err := io.ReadAll(io.LimitReader(f, MaxInjectBytes+1))
		if err != nil {
			http.Error(w, "read error", http.StatusInternalServerError)
			return
		}
		http.ServeContent(w, r, name, st.ModTime(), bytes.NewReader(injectReload(b)))
		return
	}
	http.ServeContent(w, r, name, st.ModTime(), f)
}

func (h *Host) notFound(w http.ResponseWriter, r *http.Request, name string, err error) {
	if !errors.Is(err, fs.ErrNotExist) {
		// Escapes through symlinks land here ("path escapes from parent").
		h.log.Debug("canvas file refused", "path", name, "err", err)
	}
	http.NotFound(w, r)
}

// reloadScript reconnects with backoff, so pages survive a gateway restart.
const reloadScript = `<script>(()=>{let d=250;const go=()=>{const s=new WebSocket((location.protocol==="https:"?"wss://":"ws://")+location.host+"` + ReloadPath + `");s.onopen=()=>{d=250};s.onmessage=e=>{if(e.data==="reload")location.reload()};s.onclose=()=>{setTimeout(go,d);d=Math.min(d*2,5000)}};go()})();</script>`

// injectReload puts the script before the last </body>, or at the end.
func injectReload(b []byte) []byte {
	i := bytes.LastIndex(bytes.ToLower(b), []byte("</body>"))
	if i < 0 {
		return append(b, reloadScript...)
	}
	out := make([]byte, 0, len(b)+len(reloadScript))
	out = append(out, b[:i]...)
	out = append(out, reloadScript...)
	return append(out, b[i:]...)
}
