package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	genconfig "github.com/clawgate/gateway/gen/go/config"

	"github.com/clawgate/gateway/server/auth"
	"github.com/clawgate/gateway/server/canvas"
	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/controlui"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/hooks"
	"github.com/clawgate/gateway/server/openaihttp"
	"github.com/clawgate/gateway/server/reload"
	"github.com/clawgate/gateway/server/toolshttp"
)

// httpSurfaces are the non-WebSocket HTTP parts: webhooks, the OpenAI-compatible
// endpoints and the Control UI on the gateway port (mounted on every new server), and
// the canvas host on its own port for the whole process.
type httpSurfaces struct {
	s     *services
	log   *slog.Logger
	hooks *hooks.Handler
	ui    *controlui.Handler // nil when gateway.controlUi.enabled=false

	// endpoints is gateway.http.endpoints of the config the next server starts with
	// (a change restarts the gateway; reconfigure records it before the restart).
	endpointsMu sync.Mutex
	endpoints   *genconfig.ConfigGatewayHttpEndpoints
	openai      atomic.Pointer[openaihttp.Handler] // the running server's
	toolsInvoke atomic.Pointer[toolshttp.Handler]  // the running server's POST /tools/invoke

	canvas      *canvas.Host // nil when disabled
	canvasOnce  sync.Once
	canvasSrv   *http.Server
	canvasPort  int
	canvasDone  chan struct{}
	stopWatcher context.CancelFunc
}

// lateRunner forwards to services.runner, which the agent runtime sets when it is
// built; until then (or without one) hooks answer 503.
type lateRunner struct{ s *services }

func (l lateRunner) Wake(ctx context.Context, text, mode string) error {
	if l.s.runner == nil {
		return hooks.ErrUnavailable
	}
	return l.s.runner.Wake(ctx, text, mode)
}

func (l lateRunner) StartAgent(ctx context.Context, r hooks.AgentRequest) (string, error) {
	if l.s.runner == nil {
		return "", hooks.ErrUnavailable
	}
	return l.s.runner.StartAgent(ctx, r)
}

func newHTTPSurfaces(ctx context.Context, s *services) (component, error) {
	cfg := &s.file.Config
	hcfg, err := hooks.Resolve(cfg.Hooks)
	if err != nil {
		return nil, err
	}
	h := &httpSurfaces{s: s, log: s.log.With("component", "http")}
	h.endpoints = httpEndpoints(s.file)
	h.hooks = hooks.NewHandler(hcfg, hooks.Options{Runner: lateRunner{s}, Logger: h.log})
	features := s.file.Features(s.env)
	if features.ControlUI {
		base := ""
		if g := cfg.Gateway; g != nil && g.ControlUI != nil {
			base = g.ControlUI.BasePath
		}
		h.ui = controlui.New(controlui.Options{BasePath: base})
	}
	if features.CanvasHost {
		root, err := canvasRoot(s)
		if err != nil {
			return nil, err
		}
		// startCanvas listens on the gateway's resolved host; on loopback the canvas
		// serves loopback host names only (DNS rebinding).
		loopback := true
		if res, err := config.Resolve(cfg, s.env, config.Flags{}); err == nil {
			loopback = auth.IsLoopback(res.Host)
		}
		host, err := canvas.New(canvas.Options{Root: root, LiveReload: features.CanvasLiveReload, LoopbackOnly: loopback, Logger: s.log.With("component", "canvas")})
		if err != nil {
			return nil, err
		}
		h.canvas = host
	}
	// hooks.* is hot: a valid edit of the config file applies to the next request.
	wctx, cancel := context.WithCancel(context.Background())
	h.stopWatcher = cancel
	go reload.Watch(wctx, s.paths.ConfigPath, 200*time.Millisecond, 300*time.Millisecond, h.reloadHooks)
	return h, nil
}

func canvasRoot(s *services) (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("canvas root: %w", err)
	}
	if c := s.file.Config.CanvasHost; c != nil && c.Root != "" {
		return config.ExpandHome(c.Root, home), nil
	}
	return filepath.Join(home, "clawd", "canvas"), nil
}

func (h *httpSurfaces) reloadHooks() {
	f, err := config.Load(h.s.paths.ConfigPath)
	if err != nil || !f.Exists {
		return // the gateway's own reloader reports invalid and vanished files
	}
	h.applyHooks(f)
}

func (h *httpSurfaces) applyHooks(f *config.File) {
	next, err := hooks.Resolve(f.Config.Hooks)
	if err != nil {
		h.log.Warn("hooks config not applied; the running one stays", "err", err)
		return
	}
	if cur := h.hooks.Config(); cur.Path != next.Path || cur.Enabled != next.Enabled || cur.Token != next.Token || cur.MaxBodyBytes != next.MaxBodyBytes || len(cur.Mappings) != len(next.Mappings) {
		h.log.Info("hooks config reloaded", "enabled", next.Enabled, "path", next.Path)
	}
	h.hooks.SetConfig(next)
}

// httpEndpoints is gateway.http.endpoints of f (nil when unset).
func httpEndpoints(f *config.File) *genconfig.ConfigGatewayHttpEndpoints {
	if g := f.Config.Gateway; g != nil && g.Http != nil {
		return g.Http.Endpoints
	}
	return nil
}

// reconfigure takes a config the gateway now runs on (config.apply, the reload
// watcher): hooks.* applies at once rather than on the hooks' own watcher's next look;
// gateway.http.endpoints is recorded for the next server (changing it restarts the
// gateway, as in the original).
func (h *httpSurfaces) reconfigure(_ context.Context, next *config.File) {
	if next != nil && next.Exists {
		h.applyHooks(next)
	}
	h.endpointsMu.Lock()
	h.endpoints = httpEndpoints(next)
	h.endpointsMu.Unlock()
}

// openAIHandler builds the OpenAI-compatible endpoints of srv: its shared secret and
// guessing brake, the agent runtime, and gateway.http.endpoints.
func (h *httpSurfaces) openAIHandler(srv *gateway.Server) *openaihttp.Handler {
	h.endpointsMu.Lock()
	ep := h.endpoints
	h.endpointsMu.Unlock()
	o := srv.Options()
	opts := openaihttp.Options{Secrets: o.Secrets, Throttle: o.AuthThrottle, Logger: h.log}
	// The runtime itself, not s.runner: the scheduler wraps that for hooks' wake.
	if h.s.rt != nil {
		opts.Runner = h.s.rt
	}
	if ep != nil {
		opts.ChatCompletions = ep.ChatCompletions != nil && ep.ChatCompletions.Enabled
		if r := ep.Responses; r != nil {
			opts.Responses = r.Enabled
			opts.ResponsesMaxBodyBytes = int64(r.MaxBodyBytes)
			opts.ResponsesImages, opts.ResponsesFiles = responsesInputLimits(r)
		}
	}
	return openaihttp.New(opts)
}

// toolsInvokeHandler builds POST /tools/invoke for srv: its shared secret and guessing
// brake, and the agent runtime's tool sets (always on behind auth, as in the original).
func (h *httpSurfaces) toolsInvokeHandler(srv *gateway.Server) *toolshttp.Handler {
	o := srv.Options()
	opts := toolshttp.Options{Secrets: o.Secrets, Throttle: o.AuthThrottle, Logger: h.log}
	if h.s.rt != nil {
		opts.Tools = h.s.rt
	}
	return toolshttp.New(opts)
}

// ServeHTTP is the gateway port's HTTP routing (§10): hooks, the OpenAI-compatible
// endpoints when enabled, then the Control UI, then 404.
func (h *httpSurfaces) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.hooks.Claims(r) {
		h.hooks.ServeHTTP(w, r)
		return
	}
	if ti := h.toolsInvoke.Load(); ti != nil && ti.Claims(r) {
		ti.ServeHTTP(w, r)
		return
	}
	if oa := h.openai.Load(); oa != nil && oa.Claims(r) {
		oa.ServeHTTP(w, r)
		return
	}
	if h.ui != nil {
		h.ui.ServeHTTP(w, r)
		return
	}
	http.Error(w, "Not Found", http.StatusNotFound)
}

func (h *httpSurfaces) attach(srv *gateway.Server, _ *methods) error {
	h.openai.Store(h.openAIHandler(srv))
	h.toolsInvoke.Store(h.toolsInvokeHandler(srv))
	srv.HandleHTTP("/", h)
	if h.canvas == nil {
		return nil
	}
	// The canvas port derives from the effective gateway port, which is known (and in
	// CLAWDBOT_GATEWAY_PORT) once the first server is built.
	h.canvasOnce.Do(h.startCanvas)
	if h.canvasPort > 0 {
		srv.SetCanvasHostPort(h.canvasPort)
	}
	return nil
}

// canvasWriteTimeout bounds writing one canvas response.
const canvasWriteTimeout = 2 * time.Minute

// startCanvas binds the canvas port. A busy port is a warning, not a failure: the
// gateway is still useful without the canvas, and hello-ok then advertises none.
func (h *httpSurfaces) startCanvas() {
	res, err := config.Resolve(&h.s.file.Config, h.s.env, config.Flags{})
	if err != nil {
		h.log.Warn("canvas host not started", "err", err)
		return
	}
	addr := net.JoinHostPort(res.Host, strconv.Itoa(res.CanvasPort))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		h.log.Warn("canvas host not started", "addr", addr, "err", err)
		return
	}
	h.canvasPort = ln.Addr().(*net.TCPAddr).Port
	// The gateway port's timeouts, but a longer write timeout: canvas assets may be
	// large and go to phones over Wi-Fi. Live-reload sockets leave the server when
	// upgraded.
	h.canvasSrv = &http.Server{Handler: h.canvas, ReadHeaderTimeout: gateway.DefaultHTTPReadHeaderTimeout, ReadTimeout: gateway.DefaultHTTPReadTimeout,
		WriteTimeout: canvasWriteTimeout, IdleTimeout: gateway.DefaultHTTPIdleTimeout, ErrorLog: slog.NewLogLogger(h.log.Handler(), slog.LevelWarn)}
	h.canvasDone = make(chan struct{})
	h.log.Info("canvas host listening", "url", "http://"+ln.Addr().String()+canvas.FilesPrefix, "root", h.canvas.Root())
	go func() {
		defer close(h.canvasDone)
		if err := h.canvasSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			h.log.Warn("canvas host stopped", "err", err)
		}
	}()
}

func (h *httpSurfaces) close(ctx context.Context) error {
	h.stopWatcher()
	var errs []error
	if h.canvasSrv != nil {
		if err := h.canvasSrv.Shutdown(ctx); err != nil {
			_ = h.canvasSrv.Close()
		}
		<-h.canvasDone
	}
	if h.canvas != nil {
		errs = append(errs, h.canvas.Close())
	}
	return errors.Join(errs...)
}

// responsesInputLimits are gateway.http.endpoints.responses.images and files over the
// original's defaults.
func responsesInputLimits(r *genconfig.ConfigGatewayHttpEndpointsResponses) (images, files openaihttp.InputLimits) {
	images, files = openaihttp.DefaultImageLimits(), openaihttp.DefaultFileLimits()
	apply := func(l *openaihttp.InputLimits, allowURL *bool, mimes []string, maxBytes, maxRedirects, timeoutMs *int) {
		if allowURL != nil {
			l.AllowURL = *allowURL
		}
		if len(mimes) > 0 {
			l.AllowedMimes = nil
			for _, m := range mimes {
				if m = strings.ToLower(strings.TrimSpace(m)); m != "" {
					l.AllowedMimes = append(l.AllowedMimes, m)
				}
			}
		}
		if maxBytes != nil && *maxBytes > 0 {
			l.MaxBytes = int64(*maxBytes)
		}
		if maxRedirects != nil && *maxRedirects >= 0 {
			l.MaxRedirects = *maxRedirects
		}
		if timeoutMs != nil && *timeoutMs > 0 {
			l.Timeout = time.Duration(*timeoutMs) * time.Millisecond
		}
	}
	if i := r.Images; i != nil {
		apply(&images, i.AllowURL, i.AllowedMimes, i.MaxBytes, i.MaxRedirects, i.TimeoutMs)
	}
	if f := r.Files; f != nil {
		apply(&files, f.AllowURL, f.AllowedMimes, f.MaxBytes, f.MaxRedirects, f.TimeoutMs)
		if f.MaxChars != nil && *f.MaxChars > 0 {
			files.MaxChars = *f.MaxChars
		}
	}
	return images, files
}
