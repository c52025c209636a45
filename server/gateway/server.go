// Package gateway is the daemon's control plane: one net/http server on one port that
// upgrades WebSocket requests with gws, runs the per-connection handshake, dispatches
// requests through the generated table, and fans events out to every client.
package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"github.com/clawgate/gateway/server/token"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/lxzan/gws"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/auth"
	"github.com/clawgate/gateway/server/health"
	"github.com/clawgate/gateway/server/logs"
	"github.com/clawgate/gateway/server/nodes"
	"github.com/clawgate/gateway/server/nodes/live"
	"github.com/clawgate/gateway/server/presence"
)

// Defaults of the policy advertised in hello-ok (§2.4).
const (
	DefaultMaxPayload       = 512 * 1024
	DefaultMaxBufferedBytes = 1536 * 1024
	DefaultTickInterval     = 30 * time.Second
	DefaultHandshakeTimeout = 10 * time.Second
	// DefaultMaxInflight bounds the requests one connection may have running at once;
	// past it the connection's reader waits, which pushes back on the client.
	DefaultMaxInflight = 64
	// DefaultMaxAcceptedRuns bounds the accepted two-stage runs (gateway.Ack) one
	// connection may have waiting for their final answer without holding one of its
	// MaxInflight read slots; past it an accepted run keeps its read slot, as before.
	DefaultMaxAcceptedRuns = 256
	// HealthRefreshInterval is how often the health snapshot is refreshed and broadcast.
	HealthRefreshInterval = 60 * time.Second
)

// HTTP limits of the gateway port. WebSocket connections leave the HTTP server when
// they are upgraded (hijacked): none of these apply to them afterwards.
const (
	// DefaultHTTPReadHeaderTimeout bounds reading a request's headers (also the
	// WebSocket upgrade request).
	DefaultHTTPReadHeaderTimeout = 10 * time.Second
	// DefaultHTTPReadTimeout bounds reading a whole request, body included (a
	// trickled body is cut off).
	DefaultHTTPReadTimeout = 30 * time.Second
	// DefaultHTTPWriteTimeout bounds writing a response, from the end of the request
	// headers (there are no streaming routes on the gateway port).
	DefaultHTTPWriteTimeout = 30 * time.Second
	// DefaultHTTPIdleTimeout closes a keep-alive connection idle between requests.
	DefaultHTTPIdleTimeout = 30 * time.Second
	// DefaultMaxHTTPConns bounds HTTP connections open at once (before any upgrade);
	// past it a new connection is closed at once.
	DefaultMaxHTTPConns = 512
)

// Options configure a Server. Zero values take the defaults above.
type Options struct {
	// Addr is host:port to listen on (ignored by Serve, which takes a listener).
	Addr string
	// Secrets is the shared-secret auth (token or password).
	Secrets auth.Secrets
	// Devices stores v3 device identities; nil disables device pairing persistence
	// (an in-memory store under a temp dir is not created implicitly).
	Devices *auth.Store
	// Nodes stores node pairing; nil disables the node.pair.* methods.
	Nodes *nodes.Store
	// LiveNodes is the registry of connected nodes (bridge and role-node sockets); it
	// outlives in-process restarts. nil: node.invoke is unavailable and role-node
	// sockets are not registered.
	LiveNodes *live.Registry

	Version    string // server.version; "dev" when empty
	Commit     string
	StateDir   string
	ConfigPath string
	MainKey    string // session main key, default "main"
	// SessionScope is session.scope for hello-ok's sessionDefaults.scope; default
	// "per-sender" (the original's default).
	SessionScope string

	MaxPayload       int
	MaxBufferedBytes int
	TickInterval     time.Duration
	HandshakeTimeout time.Duration
	MaxInflight      int
	// MaxAcceptedRuns: see DefaultMaxAcceptedRuns.
	MaxAcceptedRuns int

	// HTTP limits (DefaultHTTP* when zero).
	HTTPReadHeaderTimeout time.Duration
	HTTPReadTimeout       time.Duration
	HTTPWriteTimeout      time.Duration
	HTTPIdleTimeout       time.Duration
	MaxHTTPConns          int

	// AuthThrottle slows down guessing of the shared secret (see auth.Throttle). The
	// daemon passes one per process so an in-process restart does not refill it; nil
	// makes one with the defaults.
	AuthThrottle *auth.Throttle

	// ProcessStart is when the process started: uptime keeps counting across
	// in-process restarts.
	ProcessStart time.Time
	Now          func() time.Time
	Logger       *slog.Logger

	// Presence lets an in-process restart keep the presence list and its version
	// (§8.4). When nil the server creates its own.
	Presence *presence.Store
	// HealthVersion continues the health counter of a previous instance (in-process
	// restart), so clients never see it go backwards.
	HealthVersion int64
	// LogFile is the JSONL log file logs.tail reads; "" disables logs.tail.
	LogFile string
	// AllowedOrigins are browser origins (besides the gateway's own) that may open the
	// WebSocket (gateway.controlUi.allowedOrigins).
	AllowedOrigins []string
	// AllowInsecureControlUI lets a Control UI without device identity connect from
	// another machine with only a token or password (gateway.controlUi.allowInsecureAuth).
	AllowInsecureControlUI bool
	// TLS, when set, serves the port over TLS only (gateway.tls): wss:// and https://.
	TLS *tls.Config
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names the client
	// (gateway.trustedProxies): the client's address is then the one shown and used for
	// the local-connection decision (auth.ClientAddr, auth.IsLocalDirectVia).
	TrustedProxies []netip.Prefix
	// CanvasHostPort is the port of the canvas host advertised in
	// hello-ok.canvasHostUrl (§10.3); 0 advertises none.
	CanvasHostPort int

	// TrimInterval is how often the idle memory trim checks the heap (0: the
	// default; negative: off). See trim.go.
	TrimInterval time.Duration
	// PresenceCoalesce is how long disconnect-driven presence broadcasts are merged
	// (0: DefaultPresenceCoalesce; negative: every change is broadcast at once).
	PresenceCoalesce time.Duration

	// Mux routes requests to the method groups. Hand each group's implementation to
	// it (mux.SetAgent(h)) before Serve; nil: a new, empty Mux (see Server.Mux). The
	// gateway serves no group itself: whoever builds the server hands every group to
	// the Mux (server/core has the system, devices, nodes and config groups).
	Mux *protocol.Mux[*Conn]
}

// Server is one gateway instance.
type Server struct {
	opts     Options
	log      *slog.Logger
	upgrader *gws.Upgrader
	hub      hub
	presence *presence.Store
	health   *health.Cache
	methods  *protocol.Mux[*Conn]
	throttle *auth.Throttle
	sampler  *logs.Sampler // lines anyone can cause at will (refusals), rate-limited
	mux      *http.ServeMux
	http     *http.Server
	// httpConns counts the HTTP connections not yet upgraded or closed (MaxHTTPConns).
	httpConns atomic.Int64

	mu       sync.Mutex
	all      map[*Conn]struct{} // every open socket, before and after the handshake
	closing  atomic.Bool
	stop     chan struct{}
	loops    sync.WaitGroup
	requests sync.WaitGroup

	// healthSources are guarded by healthSrcMu: a provider's state change nudges a
	// health refresh at any time, also while a new server's components attach theirs
	// (start-up, in-process restarts).
	healthSrcMu   sync.Mutex
	healthSources []HealthSource
	presenceOut   presenceFanout
	trim          trimState
	bufs          bufPool
	nodeObs       *nodeObserver

	metrics struct {
		dropped atomic.Int64
		slow    atomic.Int64
		writes  atomic.Int64 // socket writes of queued frames (one writev call or WriteTo each), counted as they start
	}
}

// New builds a server; Serve starts it.
func New(o Options) (*Server, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ProcessStart.IsZero() {
		o.ProcessStart = o.Now()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Version == "" {
		o.Version = "dev"
	}
	if o.MainKey == "" {
		o.MainKey = "main"
	}
	if o.SessionScope == "" {
		o.SessionScope = "per-sender"
	}
	if o.MaxPayload <= 0 {
		o.MaxPayload = DefaultMaxPayload
	}
	if o.MaxBufferedBytes <= 0 {
		o.MaxBufferedBytes = DefaultMaxBufferedBytes
	}
	if o.TickInterval <= 0 {
		o.TickInterval = DefaultTickInterval
	}
	if o.HandshakeTimeout <= 0 {
		o.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if o.MaxInflight <= 0 {
		o.MaxInflight = DefaultMaxInflight
	}
	if o.MaxAcceptedRuns <= 0 {
		o.MaxAcceptedRuns = DefaultMaxAcceptedRuns
	}
	if o.HTTPReadHeaderTimeout <= 0 {
		o.HTTPReadHeaderTimeout = DefaultHTTPReadHeaderTimeout
	}
	if o.HTTPReadTimeout <= 0 {
		o.HTTPReadTimeout = DefaultHTTPReadTimeout
	}
	if o.HTTPWriteTimeout <= 0 {
		o.HTTPWriteTimeout = DefaultHTTPWriteTimeout
	}
	if o.HTTPIdleTimeout <= 0 {
		o.HTTPIdleTimeout = DefaultHTTPIdleTimeout
	}
	if o.MaxHTTPConns <= 0 {
		o.MaxHTTPConns = DefaultMaxHTTPConns
	}
	if o.AuthThrottle == nil {
		o.AuthThrottle = auth.NewThrottle(auth.ThrottleOptions{})
	}
	if o.Secrets.Mode == "" {
		o.Secrets.Mode = auth.ModeNone
	}
	s := &Server{opts: o, log: o.Logger, all: map[*Conn]struct{}{}, stop: make(chan struct{}), mux: http.NewServeMux()}
	s.presence = o.Presence
	if s.presence == nil {
		s.presence = presence.New(presence.Options{Now: o.Now, Self: presence.DefaultSelf(o.Version)})
	}
	s.health = health.New(s.buildHealth, health.Options{Now: o.Now, MaxAge: HealthRefreshInterval, OnRefresh: s.onHealth, InitialVersion: o.HealthVersion, Logger: o.Logger})
	s.throttle = o.AuthThrottle
	s.sampler = logs.NewSampler(o.Logger, logs.SamplerOptions{})
	if o.TrimInterval == 0 {
		s.opts.TrimInterval = DefaultTrimInterval
	}
	s.presenceOut.interval = o.PresenceCoalesce
	if o.PresenceCoalesce == 0 {
		s.presenceOut.interval = DefaultPresenceCoalesce
	}
	s.methods = o.Mux
	if s.methods == nil {
		s.methods = protocol.NewMux[*Conn]()
	}
	s.upgrader = gws.NewUpgrader(&events{s: s}, &gws.ServerOption{
		ReadMaxPayloadSize: o.MaxPayload,
		// Control frames are small; a 1 KiB read buffer saves 3 KiB per idle connection.
		ReadBufferSize:   1024,
		CheckUtf8Enabled: true,
		Recovery:         gws.Recovery,
		// Frames of one connection are handled in order by its read goroutine: the
		// handshake must be serial (§12.11); requests after it run concurrently in
		// their own goroutines, bounded per connection.
		ParallelEnabled: false,
		Logger:          gwsLogger{s.log},
	})
	s.watchNodes()
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: o.HTTPReadHeaderTimeout,
		ReadTimeout:       o.HTTPReadTimeout,
		WriteTimeout:      o.HTTPWriteTimeout,
		IdleTimeout:       o.HTTPIdleTimeout,
		ConnState:         s.countHTTPConn,
		ErrorLog:          slog.NewLogLogger(samplerHandler{s.sampler, slog.LevelWarn}, slog.LevelWarn),
	}
	return s, nil
}

// countHTTPConn enforces MaxHTTPConns: a connection over the cap is closed as soon as
// it is accepted (the server then reports it closed, which gives the count back). A
// WebSocket stops counting when it is upgraded.
func (s *Server) countHTTPConn(nc net.Conn, st http.ConnState) {
	switch st {
	case http.StateNew:
		if n := s.httpConns.Add(1); n > int64(s.opts.MaxHTTPConns) {
			s.sampler.Log(slog.LevelWarn, "http connection refused: too many connections", "remote", nc.RemoteAddr().String(), "max", s.opts.MaxHTTPConns)
			_ = nc.Close()
		}
	case http.StateHijacked, http.StateClosed:
		s.httpConns.Add(-1)
	}
}

// HTTPConns is the number of HTTP connections currently counted against MaxHTTPConns.
func (s *Server) HTTPConns() int { return int(s.httpConns.Load()) }

// guardRequest is the DNS-rebinding and cross-site guard in front of everything on the
// port (HTTP routes and WebSocket upgrades, any protocol version). Without a shared
// secret the gateway trusts loopback, so it serves only requests addressed to a
// loopback name: a page on a rebinding domain reaches 127.0.0.1 with its own name in
// Host, and is refused here before any handler or handshake; a browser Origin must
// be a loopback page too (or listed in gateway.controlUi.allowedOrigins). With a
// secret, the secret decides, and only the WebSocket Origin check below applies. It
// returns "" or the reason for a 403.
func (s *Server) guardRequest(r *http.Request) string {
	origin := r.Header.Get("Origin")
	if !s.opts.Secrets.HasSecret() {
		if !auth.IsLoopbackHost(r.Host) {
			return "host not allowed"
		}
		if origin != "" && !auth.IsLoopbackOrigin(origin) && !slices.Contains(s.opts.AllowedOrigins, strings.TrimRight(origin, "/")) {
			return "origin not allowed"
		}
	}
	if r.Header.Get("Upgrade") != "" && !originAllowed(origin, r.Host, s.opts.AllowedOrigins) {
		return "origin not allowed"
	}
	return ""
}

// onHealth broadcasts every completed health refresh (non-droppable, with stateVersion).
func (s *Server) onHealth(sum protocol.HealthSummary, version int64) {
	s.hub.broadcast(&sum, &protocol.StateVersion{Presence: s.presence.Version(), Health: version})
}

// HandleHTTP registers a non-WebSocket HTTP route on the gateway port.
func (s *Server) HandleHTTP(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// ServeHTTP upgrades WebSocket requests on any path (§1) and serves the rest from the mux.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if why := s.guardRequest(r); why != "" {
		s.sampler.Log(slog.LevelWarn, "request refused: "+why, "host", r.Host, "origin", r.Header.Get("Origin"), "remote", r.RemoteAddr, "path", r.URL.Path)
		http.Error(w, why, http.StatusForbidden)
		return
	}
	if r.Header.Get("Upgrade") == "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	if s.closing.Load() {
		http.Error(w, "gateway is shutting down", http.StatusServiceUnavailable)
		return
	}
	ws, err := s.upgrader.Upgrade(w, r)
	if err != nil {
		s.sampler.Log(slog.LevelDebug, "websocket upgrade failed", "remote", r.RemoteAddr, "err", err)
		return
	}
	// The HTTP server's read and write deadlines end with the upgrade: from here the
	// handshake deadline, the slow-consumer policy and the tick read deadline govern.
	_ = ws.NetConn().SetDeadline(time.Time{})
	c := &Conn{
		srv:      s,
		ws:       ws,
		id:       token.UUID(),
		remote:   clientRemote(r, s.opts.TrustedProxies),
		local:    auth.IsLocalDirectVia(r.RemoteAddr, r.Host, r.Header, s.opts.TrustedProxies),
		host:     r.Host,
		origin:   r.Header.Get("Origin"),
		https:    r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https"),
		inflight: make(chan struct{}, s.opts.MaxInflight),
		accepted: make(chan struct{}, s.opts.MaxAcceptedRuns),
		done:     make(chan struct{}),
	}
	if sc, ok := ws.NetConn().(syscall.Conn); ok {
		c.raw, _ = sc.SyscallConn()
	}
	ws.Session().Store("conn", c)
	go ws.ReadLoop()
}

// clientRemote is the connection's remote address: the socket peer, or the client a
// trusted proxy names (with port 0: the proxy hides the client's port).
func clientRemote(r *http.Request, trusted []netip.Prefix) string {
	if len(trusted) == 0 {
		return r.RemoteAddr
	}
	a, ok := auth.ClientAddr(r.RemoteAddr, r.Header, trusted)
	if !ok {
		return r.RemoteAddr
	}
	if peer, ok2 := auth.ClientAddr(r.RemoteAddr, nil, nil); ok2 && peer == a {
		return r.RemoteAddr
	}
	return netip.AddrPortFrom(a, 0).String()
}

// ListenError explains why the gateway could not listen.
type ListenError struct {
	Addr string
	Err  error
}

func (e *ListenError) Error() string {
	if errors.Is(e.Err, syscall.EADDRINUSE) {
		return fmt.Sprintf("another gateway instance is already listening on ws://%s", e.Addr)
	}
	return fmt.Sprintf("failed to bind gateway socket on ws://%s: %v", e.Addr, e.Err)
}

func (e *ListenError) Unwrap() error { return e.Err }

// Listen opens the gateway's TCP listener. The bind is the single-instance lock.
func Listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, &ListenError{Addr: addr, Err: err}
	}
	return ln, nil
}

// Serve runs the server on ln until Shutdown. It returns nil after a clean shutdown.
func (s *Server) Serve(ln net.Listener) error {
	// The first snapshot exists before anyone can connect, so hello-ok always
	// carries a real health summary.
	if _, _, ok := s.health.Current(); !ok {
		if _, err := s.health.Refresh(context.Background()); err != nil {
			s.log.Warn("initial health refresh failed", "err", err)
		}
	}
	// Serve racing a Shutdown (a quick stop during start-up) must not Add to loops
	// while Shutdown waits on it: the closing check and the Add happen under mu,
	// which Shutdown takes as a barrier after setting closing.
	s.mu.Lock()
	if s.closing.Load() {
		s.mu.Unlock()
		_ = ln.Close()
		return nil
	}
	s.loops.Add(1)
	s.mu.Unlock()
	go s.timers()
	scheme := "ws://"
	if s.opts.TLS != nil {
		ln = tls.NewListener(ln, s.opts.TLS)
		scheme = "wss://"
	}
	s.log.Info("gateway listening", "addr", scheme+ln.Addr().String(), "version", s.opts.Version)
	err := s.http.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// timers drives tick events and the periodic health refresh.
func (s *Server) timers() {
	defer s.loops.Done()
	tick := time.NewTicker(s.opts.TickInterval)
	defer tick.Stop()
	hr := time.NewTicker(HealthRefreshInterval)
	defer hr.Stop()
	var trim <-chan time.Time
	if s.opts.TrimInterval > 0 {
		t := time.NewTicker(s.opts.TrimInterval)
		defer t.Stop()
		trim = t.C
	}
	for {
		select {
		case <-s.stop:
			return
		case <-trim:
			s.checkTrim()
		case <-tick.C:
			s.hub.broadcast(&protocol.TickEvent{Ts: s.opts.Now().UnixMilli()}, nil)
			for _, c := range s.hub.snapshot() {
				c.enqueueControl(opPing, nil)
			}
		case <-hr.C:
			go func() {
				if _, err := s.health.Refresh(context.Background()); err != nil {
					s.log.Warn("health refresh failed", "err", err)
				}
			}()
		}
	}
}

// Shutdown tells every client why (shutdown event), closes them with 1012 "service
// restart", and stops the listener. restartExpectedMs > 0 announces an in-process
// restart. It waits for running requests up to ctx's deadline.
func (s *Server) Shutdown(ctx context.Context, reason string, restartExpectedMs int64) error {
	if !s.closing.CompareAndSwap(false, true) {
		return nil
	}
	// Barrier: a request that passed its closing check has done its WaitGroup Add.
	s.mu.Lock()
	s.mu.Unlock()

	ev := &protocol.ShutdownEvent{Reason: reason}
	if restartExpectedMs > 0 {
		ev.RestartExpectedMs = &restartExpectedMs
	}
	s.stopPresence()
	s.hub.broadcast(ev, nil)
	s.unwatchNodes()
	close(s.stop)
	s.mu.Lock()
	conns := make([]*Conn, 0, len(s.all))
	for c := range s.all {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	closed := make([]<-chan struct{}, 0, len(conns))
	for _, c := range conns {
		closed = append(closed, c.closeWith(closeServiceRestart, "service restart"))
	}
	// Let the shutdown event and the close frames reach the clients (bounded).
	fctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	for _, ch := range closed {
		select {
		case <-ch:
		case <-fctx.Done():
		}
	}
	cancel()
	err := s.http.Shutdown(ctx)
	done := make(chan struct{})
	go func() { s.requests.Wait(); s.loops.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		err = errors.Join(err, ctx.Err())
	}
	s.health.Close()
	s.sampler.Flush()
	// Close anything the close frames did not reach in time.
	for _, c := range conns {
		_ = c.ws.NetConn().Close()
	}
	return err
}

// Presence exposes the presence store (in-process restarts hand it to the next server).
func (s *Server) Presence() *presence.Store { return s.presence }

// HealthVersion is the current health counter (hand it to the next instance).
func (s *Server) HealthVersion() int64 { return s.health.Version() }

// Connections is the number of handshaken connections.
func (s *Server) Connections() int { return s.hub.len() }

// Broadcast sends an event to every connection allowed to see it.
func (s *Server) Broadcast(ev protocol.Event) int64 { return s.hub.broadcast(ev, nil) }

// BroadcastAll broadcasts evs in order, with consecutive seqs, exactly as one Broadcast
// per event would; a client that receives several of them gets them in one write.
// Events that arise together (an agent delta and its chat delta) go out this way.
func (s *Server) BroadcastAll(evs ...protocol.Event) {
	switch len(evs) {
	case 0:
	case 1:
		s.hub.broadcast(evs[0], nil)
	default:
		s.hub.broadcastAll(evs)
	}
}

func (s *Server) uptimeMs() int64 { return s.opts.Now().Sub(s.opts.ProcessStart).Milliseconds() }

// buildHealth is the health refresher: the gateway's own view until providers plug in.
func (s *Server) buildHealth(ctx context.Context) (protocol.HealthSummary, error) {
	conns := int64(s.hub.len())
	up := s.uptimeMs()
	sum := protocol.HealthSummary{
		Ok:          true,
		Web:         protocol.HealthSummaryWeb{Linked: false},
		Telegram:    protocol.HealthSummaryTelegram{Configured: false},
		Discord:     &protocol.HealthSummaryDiscord{Configured: false},
		Sessions:    protocol.HealthSummarySessions{Path: sessionsPath(s.opts.StateDir), Recent: []protocol.HealthSummarySessionsRecentItem{}},
		UptimeMs:    &up,
		Connections: &conns,
	}
	s.healthSrcMu.Lock()
	srcs := slices.Clone(s.healthSources)
	s.healthSrcMu.Unlock()
	for _, src := range srcs {
		src(ctx, &sum)
	}
	fillHealthV3(&sum)
	return sum, nil
}

func sessionsPath(stateDir string) string {
	if stateDir == "" {
		return "(none)"
	}
	return stateDir + string(os.PathSeparator) + "sessions.db"
}

type gwsLogger struct{ l *slog.Logger }

func (g gwsLogger) Error(v ...any) { g.l.Error("gws", "err", fmt.Sprint(v...)) }

// samplerHandler routes the HTTP server's own error lines (malformed requests, TLS
// and accept errors — anyone can cause them) through the sampler, under one key.
type samplerHandler struct {
	s     *logs.Sampler
	level slog.Level
}

func (h samplerHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h samplerHandler) Handle(_ context.Context, r slog.Record) error {
	h.s.Log(h.level, "http server error", "err", r.Message)
	return nil
}
func (h samplerHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h samplerHandler) WithGroup(string) slog.Handler      { return h }
