package gatewayclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lxzan/gws"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/tools/protogen/runtime/wire"
)

// Close code the client uses when the gateway stops ticking (as the reference client).
const closeTickTimeout = 4000

// conn is one WebSocket connection: from dial through handshake to close. A Client
// replaces it on every reconnect.
type conn struct {
	c  *Client
	ws *gws.Conn

	connectID  string
	challenge  chan string      // connect.challenge nonce, before hello
	helloCh    chan helloResult // outcome of the handshake
	proto      int              // negotiated version; written before established is set
	maxPayload int              // hello-ok.policy.maxPayload: the largest frame the gateway reads

	established atomic.Bool

	mu        sync.Mutex
	pending   map[string]*pending
	closed    bool
	abandoned bool   // the handshake gave up on this conn (guarded by Client.mu)
	closeWhy  string // close code and reason, for errors and logs

	lastSeq           int64 // read goroutine only
	restartExpectedMs atomic.Int64
	watchdog          Timer // set at establish (read goroutine), stopped at close
	tickInterval      time.Duration

	done chan struct{} // closed when the read loop has returned
}

type helloResult struct {
	hello *protocol.HelloOk
	err   error
}

type response struct {
	frame *protocol.ResponseFrame
	err   error
}

// pending is a request waiting for its res.
type pending struct {
	method string
	ch     chan response // capacity 1: the (first) response
	agent  *AgentRun     // set for agent requests: a second res (the final) may follow
	acked  bool          // agent: the accepted res was delivered
}

// connectVariant is what one handshake attempt offers.
type connectVariant struct {
	maxProto       int
	useDeviceToken bool
}

// connect dials and handshakes, trying the fallbacks Options allow: without the stored
// device token when the gateway refuses it, and with protocol 2 when a protocol-2
// gateway refuses protocol-3 params.
func (c *Client) connect(ctx context.Context) (*conn, error) {
	ctx, cancel := context.WithTimeout(ctx, c.o.HandshakeTimeout)
	defer cancel()
	v := connectVariant{maxProto: c.o.MaxProtocol, useDeviceToken: true}
	for {
		cn, usedDeviceToken, err := c.connectOnce(ctx, v)
		if err == nil {
			return cn, nil
		}
		var pe *ProtocolError
		if !errors.As(err, &pe) || pe.Method != "connect" {
			return nil, err
		}
		switch {
		case usedDeviceToken && strings.HasPrefix(pe.Message, "unauthorized"):
			// The stored device token was revoked or belongs to another gateway.
			c.log.Info("gateway refused the stored device token; forgetting it", "err", pe.Message)
			_ = c.o.DeviceTokenStore.DeleteDeviceToken(c.o.Device.ID, c.o.Role)
			v.useDeviceToken = false
			if c.o.Token == "" && c.o.Password == "" {
				return nil, err
			}
		case v.maxProto >= 3 && c.o.MinProtocol <= 2 &&
			(strings.HasPrefix(pe.Message, "invalid connect params") || pe.Message == "protocol mismatch"):
			c.log.Info("gateway refused protocol 3; retrying with protocol 2", "err", pe.Message)
			v.maxProto = 2
		default:
			return nil, err
		}
	}
}

// connectOnce dials one socket and runs the handshake on it.
func (c *Client) connectOnce(ctx context.Context, v connectVariant) (_ *conn, usedDeviceToken bool, err error) {
	cn, err := c.dialConn(ctx)
	if err != nil {
		return nil, false, err
	}
	defer func() {
		if err != nil {
			c.mu.Lock()
			cn.abandoned = true
			c.mu.Unlock()
			cn.kill(1000, "")
		}
	}()
	nonce := ""
	if v.maxProto >= 3 {
		t := time.NewTimer(c.o.ChallengeTimeout)
		select {
		case nonce = <-cn.challenge:
		case <-t.C:
		case <-cn.done:
		case <-ctx.Done():
		}
		t.Stop()
	}
	frame, usedDeviceToken, err := c.connectFrame(cn, v, nonce)
	if err != nil {
		return nil, false, err
	}
	if err := cn.ws.WriteMessage(gws.OpcodeText, frame); err != nil {
		return nil, usedDeviceToken, fmt.Errorf("gatewayclient: sending connect: %w", err)
	}
	select {
	case r := <-cn.helloCh:
		if r.err != nil {
			return nil, usedDeviceToken, r.err
		}
		c.log.Debug("connected", "protocol", r.hello.Protocol, "conn_id", r.hello.Server.ConnID)
		return cn, usedDeviceToken, nil
	case <-ctx.Done():
		return nil, usedDeviceToken, fmt.Errorf("gatewayclient: handshake with %s: %w", c.url, ctx.Err())
	}
}

// dialConn opens the WebSocket and starts its read loop.
func (c *Client) dialConn(ctx context.Context) (*conn, error) {
	u, err := url.Parse(c.url)
	if err != nil {
		return nil, err
	}
	host := u.Host
	if u.Port() == "" {
		if u.Scheme == "wss" {
			host = net.JoinHostPort(u.Hostname(), "443")
		} else {
			host = net.JoinHostPort(u.Hostname(), "80")
		}
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, fmt.Errorf("gatewayclient: dialing %s: %w", c.url, err)
	}
	if u.Scheme == "wss" {
		cfg := &tls.Config{}
		if c.o.TLSConfig != nil {
			cfg = c.o.TLSConfig.Clone()
		}
		if cfg.ServerName == "" {
			cfg.ServerName = u.Hostname()
		}
		tc := tls.Client(nc, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = nc.Close()
			return nil, fmt.Errorf("gatewayclient: TLS with %s: %w", c.url, err)
		}
		nc = tc
	}
	cn := &conn{
		c:         c,
		connectID: c.newID(),
		challenge: make(chan string, 1),
		helloCh:   make(chan helloResult, 1),
		pending:   map[string]*pending{},
		done:      make(chan struct{}),
	}
	cn.restartExpectedMs.Store(-1)
	stop := context.AfterFunc(ctx, func() { _ = nc.Close() })
	hdr := c.o.Header.Clone()
	ws, _, err := gws.NewClientFromConn(cn, &gws.ClientOption{
		Addr:               c.url,
		RequestHeader:      hdr,
		ReadMaxPayloadSize: c.o.MaxPayload,
		// Requests are checked against the gateway's maxPayload before they are written;
		// gws would otherwise close the connection on an oversized write.
		WriteMaxPayloadSize: 1 << 30,
		HandshakeTimeout:    c.o.HandshakeTimeout,
		Logger:              gwsLogger{c},
	}, nc)
	if !stop() {
		if err == nil {
			_ = ws.NetConn().Close()
		}
		return nil, fmt.Errorf("gatewayclient: upgrading %s: %w", c.url, ctx.Err())
	}
	if err != nil {
		return nil, fmt.Errorf("gatewayclient: upgrading %s: %w", c.url, err)
	}
	cn.ws = ws
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		_ = nc.Close()
		return nil, closedErr("connect")
	}
	c.live[cn] = struct{}{}
	c.mu.Unlock()
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		ws.ReadLoop()
		close(cn.done)
	}()
	return cn, nil
}

type gwsLogger struct{ c *Client }

func (l gwsLogger) Error(v ...any) { l.c.log.Debug("gws", "err", fmt.Sprint(v...)) }

// connectFrame builds the connect request for this attempt.
func (c *Client) connectFrame(cn *conn, v connectVariant, nonce string) ([]byte, bool, error) {
	o := &c.o
	token := o.Token
	usedDeviceToken := false
	if v.maxProto >= 3 && o.Device != nil && v.useDeviceToken {
		t, ok, err := o.DeviceTokenStore.LoadDeviceToken(o.Device.ID, o.Role)
		if err != nil {
			c.log.Warn("reading the device token failed; using the shared token", "err", err)
		} else if ok {
			token, usedDeviceToken = t.Token, true
		}
	}
	var auth *protocol.ConnectAuth
	if token != "" || o.Password != "" {
		auth = &protocol.ConnectAuth{}
		if token != "" {
			auth.Token = &token
		}
		if o.Password != "" {
			auth.Password = &o.Password
		}
	}
	ci := &o.Client
	var params protocol.Payload
	if v.maxProto >= 3 {
		p := &protocol.ConnectParams{
			MinProtocol: int64(o.MinProtocol),
			MaxProtocol: int64(v.maxProto),
			Client: protocol.ConnectClient{
				ID: ci.ID, Mode: protocol.ClientMode(ci.Mode), Platform: ci.Platform, Version: ci.Version,
				DisplayName: wire.Opt(ci.DisplayName), InstanceID: wire.Opt(ci.InstanceID),
				DeviceFamily: wire.Opt(ci.DeviceFamily), ModelIdentifier: wire.Opt(ci.ModelIdentifier),
			},
			Caps:      o.Caps,
			Auth:      auth,
			Locale:    wire.Opt(o.Locale),
			UserAgent: wire.Opt(o.UserAgent),
			Scopes:    o.Scopes,
		}
		if o.Role != "operator" {
			p.Role = &o.Role
		}
		if d := o.Device; d != nil {
			signedAt := c.clock.Now().UnixMilli()
			payload := signaturePayload(d.ID, string(ci.ID), ci.Mode, o.Role, o.Scopes, signedAt, token, nonce)
			p.Device = &protocol.ConnectDevice{
				ID: d.ID, PublicKey: d.publicKeyString(), Signature: d.sign(payload), SignedAt: signedAt, Nonce: wire.Opt(nonce),
			}
		}
		params = p
	} else {
		params = &protocol.ConnectParamsV2{
			MinProtocol: int64(o.MinProtocol),
			MaxProtocol: int64(v.maxProto),
			Client: protocol.ConnectClientV2{
				Name: ci.Name, Mode: ci.Mode, Platform: ci.Platform, Version: ci.Version,
				InstanceID: wire.Opt(ci.InstanceID), DeviceFamily: wire.Opt(ci.DeviceFamily), ModelIdentifier: wire.Opt(ci.ModelIdentifier),
			},
			Caps:      o.Caps,
			Auth:      auth,
			Locale:    wire.Opt(o.Locale),
			UserAgent: wire.Opt(o.UserAgent),
		}
	}
	b, err := appendRequest(nil, cn.connectID, "connect", params, 3)
	return b, usedDeviceToken, err
}

// establish makes a handshaken conn the client's current one. It runs on the read
// goroutine, before the next frame is read, so no event can overtake the snapshot.
func (c *Client) establish(cn *conn, hello *protocol.HelloOk) error {
	c.mu.Lock()
	if c.closed || cn.abandoned {
		c.mu.Unlock()
		return closedErr("connect")
	}
	reconnect := c.connects > 0
	c.connects++
	cn.proto = int(hello.Protocol)
	cn.maxPayload = int(hello.Policy.MaxPayload)
	cn.established.Store(true)
	c.cur = cn
	c.hello = hello
	c.rejected = nil
	c.signalLocked()
	c.mu.Unlock()

	c.resetState(&hello.Snapshot)
	if ms := hello.Policy.TickIntervalMs; ms > 0 {
		cn.tickInterval = time.Duration(ms) * time.Millisecond
		cn.mu.Lock()
		if !cn.closed {
			cn.watchdog = c.clock.AfterFunc(2*cn.tickInterval, cn.tickTimeout)
		}
		cn.mu.Unlock()
	}
	if a := hello.Auth; a != nil && c.o.Device != nil && a.DeviceToken != "" {
		role := a.Role
		if role == "" {
			role = c.o.Role
		}
		var issued int64
		if a.IssuedAtMs != nil {
			issued = *a.IssuedAtMs
		}
		if issued == 0 {
			issued = c.clock.Now().UnixMilli()
		}
		err := c.o.DeviceTokenStore.StoreDeviceToken(c.o.Device.ID, DeviceToken{Token: a.DeviceToken, Role: role, Scopes: a.Scopes, UpdatedAtMs: issued})
		if err != nil {
			c.log.Warn("storing the device token failed", "err", err)
		}
	}
	if reconnect {
		c.log.Info("reconnected to gateway", "conn_id", hello.Server.ConnID)
		c.publish(Event{Name: EventGap, Gap: &Gap{Reason: GapReconnect}})
	}
	return nil
}

// tickTimeout is the watchdog: no tick for two intervals means the link is dead.
func (cn *conn) tickTimeout() {
	cn.c.log.Warn("no tick from the gateway; closing the connection", "interval", cn.tickInterval)
	cn.kill(closeTickTimeout, "tick timeout")
}

func (cn *conn) resetWatchdog() {
	cn.mu.Lock()
	if cn.watchdog != nil && !cn.closed {
		cn.watchdog.Reset(2 * cn.tickInterval)
	}
	cn.mu.Unlock()
}

// kill closes the socket with a close frame, without waiting on a stuck peer.
func (cn *conn) kill(code uint16, reason string) {
	_ = cn.ws.SetWriteDeadline(time.Now().Add(time.Second))
	_ = cn.ws.WriteClose(code, []byte(reason))
	_ = cn.ws.NetConn().Close()
}

func (cn *conn) closeReason() string {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	return cn.closeWhy
}

// send registers a pending request and writes its frame. It reports false when the
// frame certainly did not reach the gateway (the connection was already gone, or the
// write failed, which leaves at most a partial frame the gateway cannot act on), so
// the caller may send it again on the next connection.
func (cn *conn) send(id string, p *pending, frame []byte) bool {
	cn.mu.Lock()
	if cn.closed {
		cn.mu.Unlock()
		return false
	}
	cn.pending[id] = p
	cn.mu.Unlock()
	if err := cn.ws.WriteMessage(gws.OpcodeText, frame); err != nil {
		cn.forget(id)
		return false
	}
	return true
}

func (cn *conn) forget(id string) {
	cn.mu.Lock()
	delete(cn.pending, id)
	cn.mu.Unlock()
}

// gws event handler: one read goroutine per conn calls these in order.

func (cn *conn) OnOpen(*gws.Conn)              {}
func (cn *conn) OnPong(*gws.Conn, []byte)      {}
func (cn *conn) OnPing(ws *gws.Conn, p []byte) { _ = ws.WritePong(p) }

func (cn *conn) OnClose(_ *gws.Conn, err error) {
	c := cn.c
	why := describeClose(err)
	cn.mu.Lock()
	cn.closed = true
	cn.closeWhy = why
	pend := cn.pending
	cn.pending = nil
	if cn.watchdog != nil {
		cn.watchdog.Stop()
	}
	cn.mu.Unlock()

	c.mu.Lock()
	closing := c.closed
	delete(c.live, cn)
	if c.cur == cn {
		c.cur = nil
		c.signalLocked()
	}
	c.mu.Unlock()

	for _, p := range pend {
		var e *ProtocolError
		if closing {
			e = closedErr(p.method)
		} else {
			e = disconnected(p.method, why, nil)
		}
		if p.agent != nil && p.acked {
			p.agent.finish(nil, e)
			continue
		}
		p.ch <- response{err: e}
	}
	if !cn.established.Load() {
		err := fmt.Errorf("gatewayclient: gateway closed the connection during the handshake (%s)", why)
		select {
		case cn.helloCh <- helloResult{err: err}:
		default:
		}
	}
}

func describeClose(err error) string {
	var ce *gws.CloseError
	if errors.As(err, &ce) {
		if len(ce.Reason) > 0 {
			return fmt.Sprintf("close %d %s", ce.Code, ce.Reason)
		}
		return fmt.Sprintf("close %d", ce.Code)
	}
	if err == nil || err.Error() == "" {
		return "connection closed"
	}
	return err.Error()
}

func (cn *conn) OnMessage(_ *gws.Conn, msg *gws.Message) {
	b := bytes.Clone(msg.Bytes())
	_ = msg.Close()
	c := cn.c
	if h := c.o.hooks; h != nil && h.frame != nil && !h.frame(b) {
		return
	}
	var d wire.Decoder
	d.Reset(b)
	d.BorrowRaw = true // b is ours alone
	switch frameType(b) {
	case "res":
		var res protocol.ResponseFrame
		if err := res.DecodeJSON(&d, nil); err != nil {
			c.log.Warn("ignoring a malformed res frame", "err", err)
			return
		}
		if !cn.established.Load() {
			if res.ID == cn.connectID {
				cn.handshakeResponse(&res)
			}
			return
		}
		cn.route(&res)
	case "event":
		var ev protocol.EventFrame
		if err := ev.DecodeJSON(&d, nil); err != nil {
			c.log.Warn("ignoring a malformed event frame", "err", err)
			return
		}
		if !cn.established.Load() {
			if ev.Event == "connect.challenge" {
				var ch protocol.ConnectChallengeEvent
				if err := ch.UnmarshalJSON(ev.Payload); err == nil {
					select {
					case cn.challenge <- ch.Nonce:
					default:
					}
				}
			}
			return
		}
		c.handleEvent(cn, &ev)
	default:
		c.log.Warn("ignoring a frame that is neither res nor event")
	}
}

// frameType reads the frame's "type" without decoding the rest.
func frameType(b []byte) string {
	// The gateway writes "type" first; look there before scanning.
	switch {
	case bytes.HasPrefix(b, []byte(`{"type":"res"`)):
		return "res"
	case bytes.HasPrefix(b, []byte(`{"type":"event"`)):
		return "event"
	}
	d := wire.NewDecoder(b)
	if d.BeginObject() != nil {
		return ""
	}
	for {
		k, more, err := d.NextKey()
		if err != nil || !more {
			return ""
		}
		if string(k) == "type" {
			s, _ := d.String()
			return s
		}
		if d.Skip() != nil {
			return ""
		}
	}
}

// handshakeResponse handles the res to connect, on the read goroutine.
func (cn *conn) handshakeResponse(res *protocol.ResponseFrame) {
	c := cn.c
	var r helloResult
	if !res.Ok {
		r.err = fromShape("connect", res.Error, res.Payload)
	} else {
		h := new(protocol.HelloOk)
		var d wire.Decoder
		d.Reset(res.Payload)
		d.BorrowRaw = true
		if err := h.DecodeJSON(&d, nil); err != nil {
			r.err = &DecodeError{Method: "connect", Err: err}
		} else if err := c.establish(cn, h); err != nil {
			r.err = err
		} else {
			r.hello = h
		}
	}
	select {
	case cn.helloCh <- r:
	default:
	}
}

// route hands a res to its caller.
func (cn *conn) route(res *protocol.ResponseFrame) {
	cn.mu.Lock()
	p := cn.pending[res.ID]
	if p == nil {
		cn.mu.Unlock()
		return // the caller gave up
	}
	if p.agent != nil && !p.acked && res.Ok && isAccepted(res.Payload) {
		p.acked = true
		cn.mu.Unlock()
		p.ch <- response{frame: res}
		return
	}
	delete(cn.pending, res.ID)
	cn.mu.Unlock()
	if p.agent != nil && p.acked {
		p.agent.finish(res, nil)
		return
	}
	p.ch <- response{frame: res}
}

// isAccepted reports whether an agent res payload has status "accepted".
func isAccepted(payload []byte) bool {
	d := wire.NewDecoder(payload)
	if d.BeginObject() != nil {
		return false
	}
	for {
		k, more, err := d.NextKey()
		if err != nil || !more {
			return false
		}
		if string(k) == "status" {
			s, err := d.String()
			return err == nil && s == string(protocol.AgentResultStatusAccepted)
		}
		if d.Skip() != nil {
			return false
		}
	}
}

// handleEvent runs on the read goroutine: seq bookkeeping, client state, subscribers.
func (c *Client) handleEvent(cn *conn, ev *protocol.EventFrame) {
	var gap *Gap
	var seq int64
	if ev.Seq != nil {
		seq = *ev.Seq
		if cn.lastSeq > 0 {
			if seq <= cn.lastSeq {
				c.log.Debug("dropping an event with an old seq", "seq", seq, "last", cn.lastSeq, "event", ev.Event)
				return
			}
			if seq > cn.lastSeq+1 {
				gap = &Gap{Reason: GapSeq, Expected: cn.lastSeq + 1, Received: seq, Missed: seq - cn.lastSeq - 1}
			}
		}
		cn.lastSeq = seq
	}
	switch ev.Event {
	case "tick":
		cn.resetWatchdog()
	case "presence":
		var p protocol.PresenceEvent
		if err := p.UnmarshalJSON(ev.Payload); err != nil {
			c.log.Warn("presence event does not decode; state not updated", "err", err)
		} else {
			c.applyPresence(p.Presence, ev.StateVersion)
		}
	case "health":
		h := new(protocol.HealthSummary)
		if err := h.UnmarshalJSON(ev.Payload); err != nil {
			c.log.Warn("health event does not decode; state not updated", "err", err)
		} else {
			c.applyHealth(h, ev.StateVersion)
		}
	case "shutdown":
		var s protocol.ShutdownEvent
		if err := s.UnmarshalJSON(ev.Payload); err == nil && s.RestartExpectedMs != nil && *s.RestartExpectedMs > 0 {
			cn.restartExpectedMs.Store(*s.RestartExpectedMs)
		}
		c.log.Info("gateway is shutting down", "reason", s.Reason, "restart_expected_ms", s.RestartExpectedMs)
		// New calls wait for the next connection instead of going out on this one.
		c.mu.Lock()
		if c.cur == cn {
			c.cur = nil
			c.signalLocked()
		}
		c.mu.Unlock()
	case "agent":
		c.routeAgentEvent(ev.Payload)
	}
	c.publish(Event{Name: ev.Event, Seq: seq, Payload: ev.Payload, StateVersion: ev.StateVersion})
	if gap != nil {
		c.log.Info("events missed; refreshing presence and health", "expected", gap.Expected, "received", gap.Received)
		c.startRefresh(*gap)
	}
}

// startRefresh refetches presence and health after a seq gap, in the background (the
// read goroutine must keep reading to receive the answers). Gaps seen while a refresh
// runs are merged into one more refresh.
func (c *Client) startRefresh(g Gap) {
	c.refreshMu.Lock()
	defer c.refreshMu.Unlock()
	if c.refreshing {
		if c.nextGap == nil {
			c.nextGap = &g
		} else {
			c.nextGap.Received = g.Received
			c.nextGap.Missed += g.Missed
		}
		return
	}
	c.refreshing = true
	c.wg.Add(1) // the caller's read goroutine is counted, so the group is not at zero
	go c.refresh(g)
}

func (c *Client) refresh(g Gap) {
	defer c.wg.Done()
	for {
		g.Err = c.refetch()
		if c.ctx.Err() != nil {
			c.refreshMu.Lock()
			c.refreshing = false
			c.refreshMu.Unlock()
			return
		}
		notice := g
		c.publish(Event{Name: EventGap, Gap: &notice})
		c.refreshMu.Lock()
		if c.nextGap == nil {
			c.refreshing = false
			c.refreshMu.Unlock()
			return
		}
		g = *c.nextGap
		c.nextGap = nil
		c.refreshMu.Unlock()
	}
}

// refetch asks for system-presence and health and stores the answers.
func (c *Client) refetch() error {
	ctx, cancel := context.WithTimeout(c.ctx, c.o.HandshakeTimeout)
	defer cancel()
	var list []protocol.PresenceEntry
	havePresence := false
	var errs []error
	if c.o.Role != "node" { // nodes may not read presence
		if p, err := c.SystemPresence(ctx, nil); err != nil {
			errs = append(errs, fmt.Errorf("system-presence: %w", err))
		} else {
			list, havePresence = *p, true
		}
	}
	h, err := c.Health(ctx, nil)
	if err != nil {
		errs = append(errs, fmt.Errorf("health: %w", err))
	}
	c.applyRefetch(list, havePresence, h)
	return errors.Join(errs...)
}
