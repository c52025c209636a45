// Package controlui serves the Control UI (§10.2): a single-page app, embedded in the
// binary, that talks to the gateway over the same WebSocket protocol as every other
// client (v3, client id clawdbot-control-ui). assets/ holds the bundle built from ui/
// (TypeScript and Lit, bundled by esbuild; see ui/README.md). It is committed so a Go
// build needs no Node; `make -f buf-like.mk ui-check` keeps it in step with its source.
//
// The static files are public; the UI authenticates on the WebSocket connect with the
// token the user enters once (kept in the browser's localStorage).
package controlui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/clawgate/gateway/gen/js"
)

//go:embed assets
var embedded embed.FS

// Assets are the UI's files (index.html at the top).
func Assets() fs.FS {
	sub, err := fs.Sub(embedded, "assets")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}

// BasePathGlobal is the browser global the injected script sets, so the app knows
// where it is mounted.
const BasePathGlobal = "__CLAWDBOT_CONTROL_UI_BASE_PATH__"

// NormalizeBasePath gives a base path a leading slash and no trailing slash; "" and
// "/" mean the root ("").
func NormalizeBasePath(p string) string {
	p = strings.TrimSpace(p)
	if p == "" || p == "/" {
		return ""
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return strings.TrimRight(path.Clean(p), "/")
}

// Handler serves the UI.
type Handler struct {
	base    string
	files   fs.FS
	index   []byte // index.html with the base path injected; nil when missing
	csp     string
	modTime time.Time
}

// Options configure a Handler.
type Options struct {
	// BasePath is gateway.controlUi.basePath (normalised here).
	BasePath string
	// Files overrides the embedded assets (tests).
	Files fs.FS
}

// New prepares the handler; index.html is rendered once.
func New(o Options) *Handler {
	h := &Handler{base: NormalizeBasePath(o.BasePath), files: o.Files, modTime: time.Now()}
	if h.files == nil {
		h.files = Assets()
	}
	script := fmt.Sprintf("window.%s=%s;", BasePathGlobal, jsString(h.base))
	sum := sha256.Sum256([]byte(script))
	// The UI only ever talks to its own origin: scripts from here (plus the one
	// injected line, by hash), the WebSocket to the same host, and no framing.
	h.csp = "default-src 'self'; script-src 'self' 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; " +
		"style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'none'"
	if raw, err := fs.ReadFile(h.files, "index.html"); err == nil {
		inject := "<base href=\"" + html.EscapeString(h.base) + "/\">\n<script>" + script + "</script>\n"
		if i := bytes.Index(raw, []byte("<head>")); i >= 0 {
			i += len("<head>")
			h.index = append(append(append([]byte{}, raw[:i]...), "\n"+inject...), raw[i:]...)
		} else {
			h.index = append([]byte(inject), raw...)
		}
	}
	return h
}

// BasePath is the normalised base path ("" for the root).
func (h *Handler) BasePath() string { return h.base }

func jsString(s string) string {
	b, _ := json.Marshal(s)
	// Keep "</script>" and friends out of the inline script.
	return strings.NewReplacer("<", `\u003c`, ">", `\u003e`, "&", `\u0026`).Replace(string(b))
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-cache")
	// Anything but GET/HEAD that reached the UI is refused, wherever it points (§10.2):
	// unknown POSTs get 405, not 404.
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	var rel string
	if h.base == "" {
		if p == "/ui" || strings.HasPrefix(p, "/ui/") {
			http.Error(w, "Not Found", http.StatusNotFound)
			return
		}
		rel = strings.TrimPrefix(p, "/")
	} else {
		switch {
		case p == h.base:
			http.Redirect(w, r, h.base+"/", http.StatusFound)
			return
		case strings.HasPrefix(p, h.base+"/"):
			rel = strings.TrimPrefix(p, h.base+"/")
		default:
			http.Error(w, "Not Found", http.StatusNotFound)
			return
		}
	}
	if h.index == nil {
		http.Error(w, "Control UI assets are missing from this build", http.StatusServiceUnavailable)
		return
	}
	h.security(w)
	rel = path.Clean("/" + rel)[1:]
	if rel != "" && rel != "index.html" && fs.ValidPath(rel) {
		if b, err := h.read(rel); err == nil {
			if ct := mime.TypeByExtension(path.Ext(rel)); ct != "" {
				w.Header().Set("Content-Type", ct)
			}
			http.ServeContent(w, r, rel, h.modTime, bytes.NewReader(b))
			return
		}
	}
	// The SPA fallback: any other path is the app, which routes on the client.
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	http.ServeContent(w, r, "index.html", h.modTime, bytes.NewReader(h.index))
}

// read returns a file of the UI, or the protocol constants generated from the schema
// (protocol.js; the bundle has them built in, the path stays for other pages).
func (h *Handler) read(rel string) ([]byte, error) {
	if rel == "protocol.js" {
		return js.ProtocolJS, nil
	}
	return fs.ReadFile(h.files, rel)
}

func (h *Handler) security(w http.ResponseWriter) {
	w.Header().Set("Content-Security-Policy", h.csp)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Referrer-Policy", "no-referrer")
}
