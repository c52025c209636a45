// Package bridge is the v2 node bridge (§9): a TCP server speaking newline-delimited
// JSON on the bridge port, through which nodes pair (pair-request → pair-ok), log in
// (hello → hello-ok) and answer invocations (invoke → invoke-res). Pairing goes
// through the node pairing store; connected nodes join the live registry, which
// node.invoke uses whatever the transport.
package bridge

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/auth"
	"github.com/clawgate/gateway/server/logs"
	"github.com/clawgate/gateway/server/nodes"
	"github.com/clawgate/gateway/server/nodes/live"
	"github.com/clawgate/gateway/tools/protogen/runtime/wire"
)

// Defaults and limits.
const (
	// DefaultMaxLineBytes bounds one frame. The original had no limit; invoke results
	// carry camera snapshots as base64, so it is generous.
	DefaultMaxLineBytes = 8 << 20
	// DefaultMaxPreAuthLineBytes bounds one frame before the node has authenticated:
	// hello and pair-request are small, so an unauthenticated peer cannot make the
	// bridge hold megabytes per connection.
	DefaultMaxPreAuthLineBytes = 64 << 10
	// DefaultMaxConns bounds open bridge connections (authenticated or not).
	DefaultMaxConns = 64
	// DefaultMaxUnauthPerAddr bounds the unauthenticated connections from one address
	// (auth.AddrKey: an IPv4 address or an IPv6 /64), pairing waits included.
	DefaultMaxUnauthPerAddr = 4
	// DefaultMaxPairWaits bounds the connections waiting for a pairing decision, so
	// pair-request holders cannot keep every slot for the whole PairTimeout: the other
	// slots turn over within HandshakeTimeout.
	DefaultMaxPairWaits = 16
	// DefaultHandshakeTimeout is how long a connection may stay unauthenticated
	// without a pairing request in progress.
	DefaultHandshakeTimeout = 10 * time.Second
	// DefaultIdleTimeout closes an authenticated node that sent nothing (not even a
	// ping) for this long.
	DefaultIdleTimeout = 10 * time.Minute
	// DefaultPairTimeout is how long a pair-request waits for a decision (§9: 5 min).
	DefaultPairTimeout = 5 * time.Minute
	// MaxAuthFailures closes a connection after this many refused hellos.
	MaxAuthFailures = 3
	// writeTimeout bounds one write to a node; a node that does not read is dropped.
	writeTimeout = 10 * time.Second
)

// Error codes sent in error frames: the gateway's (the schema's ErrorCode values) and
// the two the bridge protocol adds.
const (
	CodeInvalidRequest = string(protocol.ErrorCodeInvalidRequest)
	CodeUnauthorized   = "UNAUTHORIZED"
	CodeNotPaired      = string(protocol.ErrorCodeNotPaired)
	CodeForbidden      = "FORBIDDEN"
	CodeUnavailable    = string(protocol.ErrorCodeUnavailable)
)

// Options configure a Server.
type Options struct {
	Store *nodes.Store   // required
	Live  *live.Registry // required
	// ServerName is hello-ok's serverName (the machine's display name).
	ServerName    string
	CanvasHostURL string
	// Broadcast sends an event to the gateway's operators (node.pair.requested); it is
	// late-bound because the gateway instance changes on in-process restarts. nil drops.
	Broadcast func(protocol.Event)
	// Methods returns the method table a node's req frames run on for the manifest's
	// bridge methods (§9); late-bound like Broadcast, as each gateway instance brings
	// its own groups. nil (or a nil table, or a group it does not serve) answers
	// UNAVAILABLE.
	Methods func() *protocol.Mux[*Caller]
	// MaxInflightReqs bounds one node's concurrent reqs (default DefaultMaxInflightReqs).
	MaxInflightReqs int
	// MaxQueuedEvents bounds the gateway → node events waiting for one node's socket
	// (default DefaultMaxQueuedEvents); more are dropped.
	MaxQueuedEvents int

	MaxLineBytes        int
	MaxPreAuthLineBytes int
	MaxConns            int
	MaxUnauthPerAddr    int
	MaxPairWaits        int
	HandshakeTimeout    time.Duration
	IdleTimeout         time.Duration
	PairTimeout         time.Duration
	Logger              *slog.Logger
}

// Server is the bridge listener.
type Server struct {
	o       Options
	log     *slog.Logger
	sampler *logs.Sampler // lines any peer can cause at will
	slots   chan struct{}

	mu        sync.Mutex
	ln        []net.Listener
	conns     map[*conn]struct{}
	unauth    map[string]int // unauthenticated connections per address key
	pairWaits int            // connections waiting for a pairing decision
	closing   bool
	wg        sync.WaitGroup
}

// New checks the options and builds a server.
func New(o Options) (*Server, error) {
	if o.Store == nil || o.Live == nil {
		return nil, errors.New("bridge: Store and Live are required")
	}
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = DefaultMaxLineBytes
	}
	if o.MaxPreAuthLineBytes <= 0 {
		o.MaxPreAuthLineBytes = min(DefaultMaxPreAuthLineBytes, o.MaxLineBytes)
	}
	if o.MaxConns <= 0 {
		o.MaxConns = DefaultMaxConns
	}
	if o.MaxQueuedEvents <= 0 {
		o.MaxQueuedEvents = DefaultMaxQueuedEvents
	}
	if o.MaxInflightReqs <= 0 {
		o.MaxInflightReqs = DefaultMaxInflightReqs
	}
	if o.MaxUnauthPerAddr <= 0 {
		o.MaxUnauthPerAddr = DefaultMaxUnauthPerAddr
	}
	if o.MaxPairWaits <= 0 {
		o.MaxPairWaits = DefaultMaxPairWaits
	}
	if o.HandshakeTimeout <= 0 {
		o.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.PairTimeout <= 0 {
		o.PairTimeout = DefaultPairTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.ServerName == "" {
		o.ServerName = "clawdbot"
	}
	return &Server{o: o, log: o.Logger, sampler: logs.NewSampler(o.Logger, logs.SamplerOptions{}), slots: make(chan struct{}, o.MaxConns),
		conns: map[*conn]struct{}{}, unauth: map[string]int{}}, nil
}

// Serve accepts connections on ln until Close. It returns nil after Close.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		_ = ln.Close()
		return nil
	}
	s.ln = append(s.ln, ln)
	s.mu.Unlock()
	s.log.Info("bridge listening", "addr", ln.Addr().String())
	for {
		nc, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closing := s.closing
			s.mu.Unlock()
			if closing {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("bridge: accept: %w", err)
		}
		select {
		case s.slots <- struct{}{}:
		default:
			s.sampler.Log(slog.LevelWarn, "bridge connection refused: too many connections", "remote", nc.RemoteAddr().String(), "max", s.o.MaxConns)
			refuse(nc, "too many bridge connections")
			continue
		}
		if tc, ok := nc.(*net.TCPConn); ok {
			_ = tc.SetNoDelay(true)
			_ = tc.SetKeepAlive(true)
		}
		c := &conn{s: s, nc: nc, remote: nc.RemoteAddr().String(), key: auth.AddrKey(nc.RemoteAddr().String()), done: make(chan struct{}), reqs: make(chan struct{}, s.o.MaxInflightReqs),
			events: make(chan Frame, s.o.MaxQueuedEvents)}
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			_ = nc.Close()
			<-s.slots
			continue
		}
		if s.unauth[c.key] >= s.o.MaxUnauthPerAddr {
			s.mu.Unlock()
			<-s.slots
			s.sampler.Log(slog.LevelWarn, "bridge connection refused: too many unauthenticated connections from one address", "remote", c.remote, "max", s.o.MaxUnauthPerAddr)
			refuse(nc, "too many unauthenticated bridge connections from this address")
			continue
		}
		s.unauth[c.key]++
		c.unauthCounted = true
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			defer func() { <-s.slots }()
			c.run()
			s.mu.Lock()
			delete(s.conns, c)
			s.releaseUnauthLocked(c)
			s.mu.Unlock()
		}()
	}
}

// refuse answers a connection that gets no slot with an error frame and closes it.
func refuse(nc net.Conn, msg string) {
	_ = nc.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = nc.Write(encode(Frame{Type: TypeError, Code: CodeUnavailable, Message: msg}))
	_ = nc.Close()
}

// releaseUnauthLocked stops counting c as unauthenticated (it logged in, or closed).
func (s *Server) releaseUnauthLocked(c *conn) {
	if !c.unauthCounted {
		return
	}
	c.unauthCounted = false
	if s.unauth[c.key]--; s.unauth[c.key] <= 0 {
		delete(s.unauth, c.key)
	}
}

// Close stops the listeners, drops every connection (their nodes unregister, pending
// invokes fail) and waits for the connection goroutines, up to ctx.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	lns := slices.Clone(s.ln)
	var cs []*conn
	for c := range s.conns {
		cs = append(cs, c)
	}
	s.mu.Unlock()
	for _, ln := range lns {
		_ = ln.Close()
	}
	for _, c := range cs {
		c.close()
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Conns is the number of open bridge connections.
func (s *Server) Conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

func (s *Server) broadcast(ev protocol.Event) {
	if s.o.Broadcast != nil {
		s.o.Broadcast(ev)
	}
}

// conn is one node connection.
type conn struct {
	s      *Server
	nc     net.Conn
	remote string
	key    string // auth.AddrKey(remote): what per-address limits count by
	// unauthCounted: c counts in s.unauth (guarded by s.mu).
	unauthCounted bool

	wmu       sync.Mutex // serialises writes
	closeOnce sync.Once
	done      chan struct{}

	// Read-goroutine state, except where noted.
	authFails int
	pairing   atomic.Bool // a pair-request is waiting for its decision
	authMu    sync.Mutex  // guards handle/authed: the pairing goroutine authenticates too
	authed    bool
	reg       live.Handle
	reqs      chan struct{} // one token per running req (serveReq)
	events    chan Frame    // gateway → node events, written once hello-ok is out (pumpEvents)
}

func (c *conn) close() {
	c.closeOnce.Do(func() {
		close(c.done)
		_ = c.nc.Close()
	})
}

// Close implements live.Conn: a newer connection of the same node replaced this one.
func (c *conn) Close(reason string) {
	c.s.log.Info("bridge connection closed", "remote", c.remote, "reason", reason)
	c.close()
}

// SendInvoke implements live.Conn.
func (c *conn) SendInvoke(r live.Request) error {
	return c.write(Frame{Type: TypeInvoke, ID: r.ID, Command: r.Command, ParamsJSON: r.ParamsJSON})
}

func (c *conn) write(f Frame) error {
	b := encode(f)
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.nc.SetWriteDeadline(time.Now().Add(writeTimeout))
	if _, err := c.nc.Write(b); err != nil {
		c.close()
		return fmt.Errorf("bridge write: %w", err)
	}
	return nil
}

func (c *conn) sendError(code, msg string) {
	_ = c.write(Frame{Type: TypeError, Code: code, Message: msg})
}

func (c *conn) isAuthed() bool {
	c.authMu.Lock()
	defer c.authMu.Unlock()
	return c.authed
}

// readDeadline is the deadline for the next line.
func (c *conn) readDeadline(start time.Time) time.Time {
	switch {
	case c.isAuthed():
		return time.Now().Add(c.s.o.IdleTimeout)
	case c.pairing.Load():
		return time.Now().Add(c.s.o.PairTimeout + c.s.o.HandshakeTimeout)
	default:
		return start.Add(c.s.o.HandshakeTimeout)
	}
}

func (c *conn) run() {
	start := time.Now()
	defer func() {
		c.close()
		c.authMu.Lock()
		authed, h := c.authed, c.reg
		c.authMu.Unlock()
		if authed {
			c.s.o.Live.Unregister(h)
		}
	}()
	// The read buffer is small and a line is collected only up to the limit that
	// applies — MaxPreAuthLineBytes until the node has authenticated — so an endless or
	// oversized line is refused as soon as it passes the limit, without buffering it.
	br := bufio.NewReaderSize(c.nc, min(64<<10, c.s.o.MaxLineBytes+2))
	for {
		_ = c.nc.SetReadDeadline(c.readDeadline(start))
		line, err := readLine(br, c.lineLimit)
		if errors.Is(err, errLineTooLong) {
			limit := c.lineLimit()
			c.s.sampler.Log(slog.LevelWarn, "bridge line too long; closing", "remote", c.remote, "max", limit, "authenticated", c.isAuthed())
			c.sendError(CodeInvalidRequest, fmt.Sprintf("frame too large (max %d bytes)", limit))
			c.linger()
			return
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				c.s.sampler.Log(slog.LevelDebug, "bridge read ended", "remote", c.remote, "err", err)
			}
			if len(line) == 0 {
				return
			}
		}
		if len(line) > 0 {
			if !c.handleLine(line) {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

var errLineTooLong = errors.New("line too long")

// Bounds of linger.
const (
	lingerTime  = time.Second
	lingerBytes = 1 << 20
)

// linger lets the error frame reach the node before the close: closing with unread
// input makes the kernel reset the connection, and the peer may lose what we sent.
// It half-closes, then discards input briefly (bounded in time and bytes).
func (c *conn) linger() {
	if tc, ok := c.nc.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
	_ = c.nc.SetReadDeadline(time.Now().Add(lingerTime))
	_, _ = io.CopyN(io.Discard, c.nc, lingerBytes)
}

// lineLimit is the longest line c may send now: MaxPreAuthLineBytes until it has
// authenticated (a pairing may complete while a line is being read).
func (c *conn) lineLimit() int {
	if c.isAuthed() {
		return c.s.o.MaxLineBytes
	}
	return c.s.o.MaxPreAuthLineBytes
}

// readLine returns the next line without its newline; past limit() bytes it fails
// with errLineTooLong without buffering the rest. The line's buffer never grows beyond
// limit()+1 bytes (no append doubling past the limit).
func readLine(br *bufio.Reader, limitFn func() int) ([]byte, error) {
	var buf []byte
	for {
		frag, err := br.ReadSlice('\n')
		limit := limitFn()
		body := len(frag)
		if body > 0 && frag[body-1] == '\n' {
			body--
		}
		if len(buf)+body > limit {
			return nil, errLineTooLong
		}
		if need := len(buf) + len(frag); need > cap(buf) {
			grown := make([]byte, len(buf), min(max(2*cap(buf), need), limit+1))
			copy(grown, buf)
			buf = grown
		}
		buf = append(buf, frag...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		n := len(buf)
		if n > 0 && buf[n-1] == '\n' {
			n--
		}
		return buf[:n], err
	}
}

// handleLine processes one line; false closes the connection.
func (c *conn) handleLine(line []byte) bool {
	f, err := ParseLine(line)
	if errors.Is(err, ErrBlank) {
		return true
	}
	if err != nil {
		c.sendError(CodeInvalidRequest, err.Error())
		return true
	}
	switch f.Type {
	case TypeHello:
		return c.hello(f)
	case TypePairRequest:
		c.pairRequest(f)
		return true
	case TypePong:
		return true
	case TypeInvoke:
		c.sendError(CodeInvalidRequest, "invoke not allowed from node")
		return true
	case TypeRes:
		c.sendError(CodeInvalidRequest, "res not allowed from node")
		return true
	case TypeEvent, TypeReq, TypePing, TypeInvokeRes:
	default:
		c.sendError(CodeInvalidRequest, "unknown type")
		return true
	}
	c.authMu.Lock()
	authed, h := c.authed, c.reg
	c.authMu.Unlock()
	if !authed {
		if f.Type == TypeReq {
			_ = c.write(Frame{Type: TypeRes, ID: f.ID, Ok: new(false), Error: &FrameError{Code: CodeUnauthorized, Message: "not authenticated"}})
		} else {
			c.sendError(CodeUnauthorized, "not authenticated")
		}
		return true
	}
	switch f.Type {
	case TypePing:
		_ = c.write(Frame{Type: TypePong, ID: f.ID})
	case TypeInvokeRes:
		res := live.Result{Ok: f.Ok != nil && *f.Ok, PayloadJSON: f.PayloadJSON}
		if f.Error != nil {
			res.Error = &live.NodeError{Code: f.Error.Code, Message: f.Error.Message}
		}
		if !c.s.o.Live.Resolve(h, f.ID, res) {
			c.s.log.Debug("bridge invoke-res for an unknown id (late or foreign)", "node", h.NodeID(), "id", f.ID)
		}
	case TypeEvent:
		if strings.TrimSpace(f.Event) != "" {
			c.s.o.Live.Event(h, f.Event, f.PayloadJSON)
		}
	case TypeReq:
		switch {
		case f.ID == "" || f.Method == "":
			_ = c.write(Frame{Type: TypeRes, ID: f.ID, Ok: new(false), Error: &FrameError{Code: CodeInvalidRequest, Message: "id and method required"}})
		case !protocol.BridgeAllowed(f.Method): // the manifest's "bridge" methods (§9)
			_ = c.write(Frame{Type: TypeRes, ID: f.ID, Ok: new(false), Error: &FrameError{Code: CodeForbidden, Message: "Method not allowed", Details: map[string]string{"method": f.Method}}})
		case c.s.methods() == nil || protocol.LookupMethod(f.Method) == nil: // no method table, or the manifest's bridgePending
			_ = c.write(Frame{Type: TypeRes, ID: f.ID, Ok: new(false), Error: &FrameError{Code: CodeUnavailable, Message: "method not available over the bridge", Details: map[string]string{"method": f.Method}}})
		default:
			select {
			case c.reqs <- struct{}{}: // bounded per connection: waits when full
			case <-c.done:
				return false
			}
			go c.serveReq(h, f)
		}
	}
	return true
}

func (c *conn) remoteIP() string {
	if auth.IsLoopback(c.remote) {
		return ""
	}
	host, _, err := net.SplitHostPort(c.remote)
	if err != nil {
		return ""
	}
	return host
}

// hello authenticates a paired node with its token (§9).
func (c *conn) hello(f Frame) bool {
	nodeID := strings.TrimSpace(f.NodeID)
	if nodeID == "" {
		c.sendError(CodeInvalidRequest, "nodeId required")
		return true
	}
	if c.isAuthed() {
		c.sendError(CodeInvalidRequest, "already authenticated")
		return true
	}
	st := c.s.o.Store
	if f.Token == "" {
		if _, ok := st.Paired(nodeID); ok {
			c.sendError(CodeUnauthorized, "pairing required")
		} else {
			c.sendError(CodeNotPaired, "pairing required")
		}
		return true
	}
	if _, ok := st.Verify(nodeID, f.Token); !ok {
		c.authFails++
		c.s.sampler.Log(slog.LevelWarn, "bridge hello refused: invalid token", "node", nodeID, "remote", c.remote, "failures", c.authFails)
		c.sendError(CodeUnauthorized, "invalid token")
		return c.authFails < MaxAuthFailures
	}
	return c.login(nodeID, f)
}

// login persists what the node reported, registers it live and sends hello-ok.
func (c *conn) login(nodeID string, f Frame) bool {
	st := c.s.o.Store
	info := nodes.NodeInfo{
		DisplayName: f.DisplayName, Platform: f.Platform, Version: f.Version, DeviceFamily: f.DeviceFamily,
		ModelIdentifier: f.ModelIdentifier, RemoteIP: c.remoteIP(), Caps: f.Caps, Commands: f.Commands, Permissions: f.Permissions,
	}
	if err := st.UpdateFromHello(nodeID, info); err != nil {
		c.sendError(CodeInvalidRequest, errMessage(err))
		return true
	}
	p, ok := st.Paired(nodeID)
	if !ok {
		c.sendError(CodeUnauthorized, "pairing required")
		return true
	}
	n := live.Node{
		NodeID: nodeID, Transport: live.TransportBridge, DisplayName: p.GetDisplayName(), Platform: p.GetPlatform(),
		Version: p.GetVersion(), DeviceFamily: p.GetDeviceFamily(), ModelIdentifier: p.GetModelIdentifier(),
		RemoteIP: c.remoteIP(), Caps: p.Caps, Commands: p.Commands, Permissions: p.Permissions,
	}
	if len(n.Caps) == 0 {
		switch strings.ToLower(n.Platform) {
		case "ios", "ipados", "android":
			n.Caps = []string{"canvas", "camera"}
		}
	}
	c.authMu.Lock()
	h, err := c.s.o.Live.Register(n, c)
	if err != nil {
		c.authMu.Unlock()
		c.sendError(CodeUnavailable, errMessage(err))
		return false
	}
	c.authed, c.reg = true, h
	c.authMu.Unlock()
	c.s.mu.Lock()
	c.s.releaseUnauthLocked(c)
	c.s.mu.Unlock()
	if c.write(Frame{Type: TypeHelloOk, ServerName: c.s.o.ServerName, CanvasHostURL: c.s.o.CanvasHostURL}) != nil {
		return false
	}
	// Counted under the server's lock, so the Add happens before a Close's Wait or is
	// refused once Close began (login may run on the pairing goroutine, which the
	// WaitGroup does not cover).
	c.s.mu.Lock()
	if c.s.closing {
		c.s.mu.Unlock()
		return false
	}
	c.s.wg.Add(1)
	c.s.mu.Unlock()
	go c.pumpEvents()
	return true
}

// pairRequest creates or reuses a pending request and waits (in the background) for
// the operator's decision: pair-ok + hello-ok, or an error frame.
func (c *conn) pairRequest(f Frame) {
	nodeID := strings.TrimSpace(f.NodeID)
	if nodeID == "" {
		c.sendError(CodeInvalidRequest, "nodeId required")
		return
	}
	if c.isAuthed() {
		c.sendError(CodeInvalidRequest, "already authenticated")
		return
	}
	if !c.pairing.CompareAndSwap(false, true) {
		c.sendError(CodeInvalidRequest, "pairing already in progress")
		return
	}
	p := protocol.NodePairRequestParams{
		NodeID: nodeID, DisplayName: wire.Opt(strings.TrimSpace(f.DisplayName)), Platform: wire.Opt(strings.TrimSpace(f.Platform)), Version: wire.Opt(strings.TrimSpace(f.Version)),
		DeviceFamily: wire.Opt(strings.TrimSpace(f.DeviceFamily)), ModelIdentifier: wire.Opt(strings.TrimSpace(f.ModelIdentifier)), Caps: f.Caps, Commands: f.Commands, Silent: f.Silent,
	}
	c.s.mu.Lock()
	if c.s.pairWaits >= c.s.o.MaxPairWaits {
		c.s.mu.Unlock()
		c.pairing.Store(false)
		c.s.sampler.Log(slog.LevelWarn, "bridge pair-request refused: too many pairing requests waiting", "remote", c.remote, "max", c.s.o.MaxPairWaits)
		c.sendError(CodeUnavailable, "too many pairing requests waiting; retry later")
		return
	}
	c.s.pairWaits++
	c.s.mu.Unlock()
	endWait := func() {
		c.s.mu.Lock()
		c.s.pairWaits--
		c.s.mu.Unlock()
	}
	req, created, ch, cancel, err := c.s.o.Store.RequestWatch(p, c.remoteIP(), c.key)
	if err != nil {
		endWait()
		c.pairing.Store(false)
		c.sendError(codeOf(err), errMessage(err))
		return
	}
	if created {
		c.s.broadcast(&req)
	}
	c.s.log.Info("bridge pairing requested", "node", nodeID, "requestId", req.RequestID, "created", created)
	_ = c.nc.SetReadDeadline(time.Now().Add(c.s.o.PairTimeout + c.s.o.HandshakeTimeout))
	go func() {
		defer endWait()
		defer cancel()
		defer c.pairing.Store(false)
		t := time.NewTimer(c.s.o.PairTimeout)
		defer t.Stop()
		select {
		case d, ok := <-ch:
			switch {
			case !ok:
				c.sendError(CodeUnauthorized, "pairing decided before the bridge could wait for it; send pair-request again")
			case !d.Approved:
				c.sendError(CodeUnauthorized, "pairing rejected")
			default:
				if c.write(Frame{Type: TypePairOk, Token: d.Token}) != nil {
					return
				}
				if !c.login(nodeID, f) {
					c.close()
				}
			}
		case <-t.C:
			c.sendError(CodeUnauthorized, "pairing expired")
		case <-c.done:
		}
		if !c.isAuthed() {
			// Back to the handshake clock.
			_ = c.nc.SetReadDeadline(time.Now().Add(c.s.o.HandshakeTimeout))
		}
	}()
}

func codeOf(err error) string {
	var ne *nodes.Error
	if errors.As(err, &ne) {
		return ne.Code
	}
	var le *live.Error
	if errors.As(err, &le) {
		return le.Code
	}
	return CodeUnavailable
}

func errMessage(err error) string {
	var ne *nodes.Error
	if errors.As(err, &ne) {
		return ne.Message
	}
	var le *live.Error
	if errors.As(err, &le) {
		return le.Message
	}
	return err.Error()
}
