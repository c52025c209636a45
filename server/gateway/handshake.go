package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/clawgate/gateway/server/token"

	"github.com/lxzan/gws"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/auth"
	"github.com/clawgate/gateway/server/presence"
	"github.com/clawgate/gateway/tools/protogen/runtime/wire"
)

// events adapts gws callbacks to the server.
type events struct{ s *Server }

func connOf(ws *gws.Conn) *Conn {
	v, _ := ws.Session().Load("conn")
	c, _ := v.(*Conn)
	return c
}

func (e *events) OnOpen(ws *gws.Conn) {
	c := connOf(ws)
	s := e.s
	s.mu.Lock()
	s.all[c] = struct{}{}
	s.mu.Unlock()
	c.timer = time.AfterFunc(s.opts.HandshakeTimeout, func() {
		if !c.ready.Load() {
			s.sampler.Log(slog.LevelDebug, "handshake timeout", "conn", c.id, "remote", c.remote)
			c.closeWith(closeNormal, "")
		}
	})
	// v3 clients sign this nonce; v2 clients hand unknown events to a generic callback.
	c.nonce = token.UUID()
	ch := &protocol.ConnectChallengeEvent{Nonce: c.nonce, Ts: s.opts.Now().UnixMilli()}
	// Through the outbox: a shallow call on the read goroutine, whose stack lives as
	// long as the connection.
	c.out.push(c, opText, appendEvent(nil, ch, -1, nil))
}

func (e *events) OnClose(ws *gws.Conn, err error) {
	c := connOf(ws)
	s := e.s
	c.closed.Store(true)
	close(c.done)
	if c.timer != nil {
		c.timer.Stop()
	}
	s.mu.Lock()
	delete(s.all, c)
	s.mu.Unlock()
	s.nodeLeft(c)
	if s.hub.remove(c) && c.presenceKey != "" && !s.closing.Load() {
		if _, ok := s.presence.MarkDisconnected(c.presenceKey); ok {
			s.broadcastPresenceSoon()
		}
	}
	if c.ready.Load() {
		s.log.Debug("connection closed", "conn", c.id, "err", err)
	} else {
		s.sampler.Log(slog.LevelDebug, "connection closed before the handshake", "conn", c.id, "remote", c.remote, "err", err)
	}
}

func (e *events) OnPing(ws *gws.Conn, payload []byte) {
	connOf(ws).enqueueControl(opPong, payload)
	e.alive(connOf(ws))
}

func (e *events) OnPong(ws *gws.Conn, _ []byte) { e.alive(connOf(ws)) }

// alive extends the read deadline: a client that sends nothing at all (not even a pong
// to our pings) for three tick intervals is gone.
func (e *events) alive(c *Conn) {
	if c.ready.Load() {
		_ = c.ws.SetReadDeadline(time.Now().Add(3 * e.s.opts.TickInterval))
	}
}

func (e *events) OnMessage(ws *gws.Conn, msg *gws.Message) {
	c := connOf(ws)
	// Our own copy: decoded params alias it, and handlers may keep them.
	data := bytes.Clone(msg.Bytes())
	_ = msg.Close()
	if c.closed.Load() {
		return
	}
	if !c.ready.Load() {
		// The handshake runs deep (auth, snapshot encoding); on a goroutine of its own
		// it cannot grow the stack of the read goroutine, which lives as long as the
		// connection. The read loop waits, so frames stay strictly ordered.
		done := make(chan struct{})
		go func() {
			defer close(done)
			e.s.handshake(c, data)
		}()
		<-done
		return
	}
	e.alive(c)
	e.s.request(c, data)
}

// handshakeFail answers the connect request (when there is one) and closes.
func (s *Server) handshakeFail(c *Conn, id string, perr *Error, code uint16, reason string) {
	if id != "" && perr != nil {
		_ = c.writeSync(appendRes(nil, id, nil, shape(perr)))
	}
	s.sampler.Log(slog.LevelInfo, "handshake refused", "conn", c.id, "remote", c.remote, "reason", reason)
	c.closeNow(code, reason)
}

// handshake runs steps 1–7 of §2.2 with the v3 checks of §11, in that order:
// frame → protocol → params → role → device → shared auth → pairing.
func (s *Server) handshake(c *Conn, data []byte) {
	d := &c.dec
	d.Reset(data)
	err := d.Skip()
	if err == nil {
		err = d.End()
	}
	if err != nil {
		if id, refused := refusedJSON(data); refused {
			// JSON the decoder refuses on purpose (too deep, a lone surrogate, invalid
			// UTF-8): the client is told why instead of being dropped in silence.
			s.handshakeFail(c, id, Invalid("invalid request frame: %v", err), closePolicy, "invalid handshake")
			return
		}
		c.closeNow(closeNormal, "") // not JSON (§2.2 row 1)
		return
	}
	var req protocol.RequestFrame
	d.Reset(data)
	d.BorrowRaw = true
	if err := req.DecodeJSON(d, nil); err != nil {
		s.handshakeFail(c, "", nil, closePolicy, "invalid handshake")
		return
	}
	if req.Method != "connect" {
		s.handshakeFail(c, req.ID, Invalid("invalid handshake: first request must be connect"), closePolicy, "invalid handshake")
		return
	}
	// Negotiate before validating: each version has its own ConnectParams (§11).
	minP, maxP, v2Client, ok := sniffRange(req.Params)
	v := 0
	if ok {
		v = int(min(maxP, protocol.MaxProtocol))
		if v > 2 && minP <= 2 && v2Client {
			// A protocol-2 client that also offers 3 (clients of the 2026.1.5 era send
			// maxProtocol 3 with the v2 client block): it gets the version its params
			// are written in instead of a schema error about client.name.
			v = 2
		}
		if int64(v) < max(minP, protocol.MinProtocol) {
			s.handshakeFail(c, req.ID, &Error{Code: CodeInvalidRequest, Message: "protocol mismatch",
				Details: map[string]any{"expectedProtocol": protocol.MaxProtocol, "minProtocol": protocol.MinProtocol, "maxProtocol": protocol.MaxProtocol}},
				closeProtocolError, "protocol mismatch")
			return
		}
	} else {
		v = protocol.MaxProtocol // let the schema explain what is wrong
	}
	p, err := protocol.DecodeParams(d, "connect", v, req.Params)
	if err != nil {
		// INVALID_REQUEST "invalid connect params: <path>: <what>", details {path}.
		var perr *Error
		if !errors.As(err, &perr) {
			perr = Invalid("invalid connect params: %v", err)
		}
		reason := "invalid handshake"
		if v >= 3 {
			reason = perr.Message
		}
		s.handshakeFail(c, req.ID, perr, closePolicy, reason)
		return
	}
	c.proto = v
	var hello *protocol.HelloOk
	var perr *Error
	var reason string
	switch cp := p.(type) {
	case *protocol.ConnectParamsV2:
		hello, perr, reason = s.acceptV2(c, cp)
	case *protocol.ConnectParams:
		hello, perr, reason = s.acceptV3(c, cp)
	default:
		perr, reason = Unavailable("unexpected connect params %T", p), "internal error"
	}
	if perr != nil {
		code := uint16(closePolicy)
		s.handshakeFail(c, req.ID, perr, code, reason)
		return
	}
	c.timer.Stop()
	c.ready.Store(true)
	// hello-ok is queued and the connection joins the hub in one step, so hello-ok is
	// the first frame after the challenge and no broadcast made after the client saw
	// hello-ok can miss it.
	// A role node is invokable once it has hello-ok: it joins the live registry first
	// (invocations wait for hello-ok to be queued, see wsNode).
	s.nodeJoined(c)
	s.trim.connects.Add(1)
	frame := s.helloFrame(req.ID, hello)
	s.hub.join(c, frame)
	s.bufs.put(frame)
	c.nodeReady()
	_ = c.ws.SetReadDeadline(time.Now().Add(3 * s.opts.TickInterval))
	s.log.Debug("client connected", "conn", c.id, "protocol", v, "role", c.role, "mode", c.clientMode, "remote", c.remote)
	// A connect refreshes health and the refresh is broadcast (§2.2) — at most once per
	// MinRefreshInterval, so a connect storm is not an O(n²) broadcast storm.
	s.health.Nudge()
	// Nothing of the handshake stays reachable from a long-lived connection.
	c.dec.Reset(nil)
	c.timer = nil
}

// sleep waits d (the throttle's answer delay) on the handshake goroutine, or until
// the connection closes.
func (c *Conn) sleep(d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-c.done:
	}
}

// refusedJSON tells JSON that the strict decoder refuses on purpose — nesting deeper
// than wire.MaxDepth, a lone surrogate escape, invalid UTF-8 in a string (binary
// frames are not UTF-8 checked by the WebSocket layer) — from input that is not JSON
// at all: the first is answered with INVALID_REQUEST, the second ignored (§2.5) or
// closed on before the handshake (§2.2 row 1). encoding/json accepts all three (it
// replaces bad text with U+FFFD and nests up to 10 000 deep), which is what the
// original's JSON.parse does too. id is the frame's top-level string "id", or
// "invalid" when there is none.
func refusedJSON(data []byte) (id string, refused bool) {
	if !json.Valid(data) {
		return "", false
	}
	var top map[string]json.RawMessage
	id = "invalid"
	if json.Unmarshal(data, &top) == nil {
		var v string
		if raw, ok := top["id"]; ok && json.Unmarshal(raw, &v) == nil && v != "" && utf8.ValidString(v) && !strings.ContainsRune(v, utf8.RuneError) {
			id = v
		}
	}
	return id, true
}

// sniffRange reads minProtocol/maxProtocol out of connect params without validating
// the rest, so the version is chosen before the version's schema is applied. v2Client
// reports a protocol-2 client block: client.name present and client.id absent.
func sniffRange(params []byte) (minP, maxP int64, v2Client, ok bool) {
	var d wire.Decoder
	d.Reset(params)
	if d.BeginObject() != nil {
		return 0, 0, false, false
	}
	var haveMin, haveMax bool
	for {
		k, more, err := d.NextKey()
		if err != nil {
			return 0, 0, false, false
		}
		if !more {
			break
		}
		switch string(k) {
		case "minProtocol":
			if minP, err = d.Int(); err != nil {
				return 0, 0, false, false
			}
			haveMin = true
		case "maxProtocol":
			if maxP, err = d.Int(); err != nil {
				return 0, 0, false, false
			}
			haveMax = true
		case "client":
			if v2Client, err = sniffV2Client(&d); err != nil {
				return 0, 0, false, false
			}
		default:
			if d.Skip() != nil {
				return 0, 0, false, false
			}
		}
	}
	return minP, maxP, v2Client, haveMin && haveMax && minP >= 1 && maxP >= 1
}

// sniffV2Client reads the client value: true when it is an object with "name" and no
// "id". Anything else is skipped and left for the schema to judge.
func sniffV2Client(d *wire.Decoder) (bool, error) {
	if d.BeginObject() != nil {
		return false, d.Skip() // not an object: the schema explains (BeginObject did not move)
	}
	var name, id bool
	for {
		k, more, err := d.NextKey()
		if err != nil {
			return false, err
		}
		if !more {
			break
		}
		switch string(k) {
		case "name":
			name = true
		case "id":
			id = true
		}
		if err := d.Skip(); err != nil {
			return false, err
		}
	}
	return name && !id, nil
}

func (s *Server) acceptV2(c *Conn, p *protocol.ConnectParamsV2) (*protocol.HelloOk, *Error, string) {
	var token, password *string
	if p.Auth != nil {
		token, password = p.Auth.Token, p.Auth.Password
	}
	if !s.opts.Secrets.HasSecret() && !c.local {
		// Without a shared secret only a local direct client is trusted (as v3 does
		// for clients without a device): protocol 2 has no device identity, so
		// anything else — a proxy's client, a rebinding page — is refused.
		s.sampler.Log(slog.LevelWarn, "v2 client refused: not local and no shared secret configured", "conn", c.id, "remote", c.remote, "host", c.host)
		return nil, Invalid("unauthorized"), "unauthorized"
	}
	if s.opts.Secrets.HasSecret() {
		a := s.throttle.Begin()
		ok, _ := s.opts.Secrets.Check(token, password)
		c.sleep(a.Done(ok))
		if !ok {
			return nil, Invalid("unauthorized"), "unauthorized"
		}
	}
	c.role, c.scopes = "operator", []string{auth.ScopeAdmin}
	c.clientID, c.clientMode = p.Client.Name, p.Client.Mode
	if p.Client.Mode != "cli" {
		key := c.id
		if p.Client.InstanceID != nil {
			key = *p.Client.InstanceID
		}
		c.presenceKey = strings.ToLower(strings.TrimSpace(key))
		s.presence.Upsert(presence.Update{
			Key: c.presenceKey, Host: &p.Client.Name, IP: remoteIP(c), Version: &p.Client.Version,
			Platform: &p.Client.Platform, DeviceFamily: p.Client.DeviceFamily, ModelIdentifier: p.Client.ModelIdentifier,
			Mode: &p.Client.Mode, InstanceID: p.Client.InstanceID, Reason: new("connect"),
		})
	}
	return s.hello(c, nil), nil, ""
}

func (s *Server) acceptV3(c *Conn, p *protocol.ConnectParams) (*protocol.HelloOk, *Error, string) {
	role := "operator"
	if p.Role != nil {
		role = *p.Role
	}
	if role != "operator" && role != "node" {
		return nil, Invalid("invalid role"), "invalid role"
	}
	var token, password *string
	if p.Auth != nil {
		token, password = p.Auth.Token, p.Auth.Password
	}
	tok := ""
	if token != nil {
		tok = *token
	}
	if p.Device != nil {
		err := auth.VerifyDevice(auth.DeviceProof{
			Device: *p.Device, ClientID: string(p.Client.ID), ClientMode: string(p.Client.Mode), Role: role,
			RequestedScopes: p.Scopes, Token: tok, ChallengeNonce: c.nonce, Local: c.local, Now: s.opts.Now(),
		})
		if err != nil {
			msg := err.Error()
			if ae, ok := err.(*auth.Error); ok {
				msg = ae.Message
			}
			return nil, Invalid("%s", msg), msg
		}
	}
	scopes := auth.DefaultScopes(role, p.Scopes)
	// The throttle decides before the comparison whether the answer may leave at once
	// (see auth.Throttle): with a secret configured every check goes through it.
	var att auth.Attempt
	throttled := s.opts.Secrets.HasSecret()
	if throttled {
		att = s.throttle.Begin()
	}
	ok, why := s.opts.Secrets.Check(token, password)
	// A valid device token authenticates on its own (§11), and is handed back as is
	// instead of being rotated on every connect: two processes sharing an identity, or
	// a hello-ok lost in transit, must not lock the device out.
	deviceToken := p.Device != nil && s.opts.Devices != nil && tok != "" && s.opts.Devices.VerifyToken(p.Device.ID, role, tok)
	if !ok && deviceToken {
		ok = true
	}
	if throttled {
		c.sleep(att.Done(ok))
	}
	if !ok {
		return nil, Invalid("%s", why), why
	}
	if p.Device == nil && !(s.opts.Secrets.HasSecret() || c.local) {
		return nil, &Error{Code: CodeNotPaired, Message: "device identity required"}, "device identity required"
	}
	// A browser Control UI without a device identity from another machine is on plain
	// HTTP (a secure context would have given it one): its token crossed the network in
	// clear, so it is refused unless gateway.controlUi.allowInsecureAuth says otherwise.
	if p.Device == nil && p.Client.ID == protocol.ClientIDClawdbotControlUI && !c.local && !s.opts.AllowInsecureControlUI {
		const msg = "control ui requires HTTPS or localhost (secure context)"
		return nil, Invalid(msg), msg
	}
	c.role, c.scopes, c.clientID, c.clientMode = role, scopes, string(p.Client.ID), string(p.Client.Mode)
	c.displayName = p.Client.GetDisplayName()
	var helloAuth *protocol.HelloOkAuth
	if p.Device != nil {
		c.deviceID = p.Device.ID
		if s.opts.Devices != nil {
			dec, err := s.opts.Devices.Authorize(auth.Device{
				DeviceID: p.Device.ID, PublicKey: p.Device.PublicKey, DisplayName: p.Client.GetDisplayName(),
				Platform: p.Client.Platform, ClientID: c.clientID, ClientMode: c.clientMode, Role: role,
				RemoteIP: remoteHost(c), Scopes: scopes,
			}, c.local)
			if err != nil {
				return nil, Unavailable("device pairing: %v", err), "pairing unavailable"
			}
			switch {
			case dec.Pending != nil:
				if dec.Created {
					s.hub.broadcast(dec.Pending, nil)
				}
				return nil, &Error{Code: CodeNotPaired, Message: "pairing required", Details: map[string]string{"requestId": dec.Pending.RequestID}}, "pairing required"
			case dec.AutoApproved:
				s.hub.broadcast(&protocol.DevicePairResolvedEvent{RequestID: dec.RequestID, DeviceID: c.deviceID, Decision: protocol.PairingDecisionApproved, Ts: s.opts.Now().UnixMilli()}, nil)
			}
			if deviceToken {
				helloAuth = &protocol.HelloOkAuth{DeviceToken: tok, Role: role, Scopes: scopes}
			} else {
				dt, issued, err := s.opts.Devices.IssueToken(c.deviceID, role, scopes)
				if err != nil {
					return nil, Unavailable("device token: %v", err), "device token unavailable"
				}
				helloAuth = &protocol.HelloOkAuth{DeviceToken: dt, Role: role, Scopes: scopes, IssuedAtMs: &issued}
			}
		}
	}
	if c.clientMode != "cli" {
		key := c.id
		switch {
		case c.deviceID != "":
			key = c.deviceID
		case p.Client.InstanceID != nil:
			key = *p.Client.InstanceID
		}
		c.presenceKey = strings.ToLower(strings.TrimSpace(key))
		host := c.clientID
		if p.Client.DisplayName != nil {
			host = *p.Client.DisplayName
		}
		var devID *string
		if c.deviceID != "" {
			devID = &c.deviceID
		}
		s.presence.Upsert(presence.Update{
			Key: c.presenceKey, Host: &host, IP: remoteIP(c), Version: &p.Client.Version, Platform: &p.Client.Platform,
			DeviceFamily: p.Client.DeviceFamily, ModelIdentifier: p.Client.ModelIdentifier, Mode: &c.clientMode,
			InstanceID: p.Client.InstanceID, DeviceID: devID, Reason: new("connect"), Roles: []string{role}, Scopes: scopes,
		})
	}
	if role == "node" {
		c.liveNode = nodeFromConnect(c, p)
	}
	return s.hello(c, helloAuth), nil, ""
}

func (s *Server) hello(c *Conn, a *protocol.HelloOkAuth) *protocol.HelloOk {
	sum, hv, _ := s.health.Current()
	host, _ := os.Hostname()
	h := &protocol.HelloOk{
		Protocol: int64(c.proto),
		Server:   protocol.HelloOkServer{Version: s.opts.Version, ConnID: c.id},
		Features: protocol.HelloOkFeatures{Methods: protocol.AdvertisedMethods(c.proto), Events: protocol.EventNames(c.proto)},
		Snapshot: protocol.Snapshot{
			// Presence (list and version) is filled in by helloFrame.
			Health:       sum,
			StateVersion: protocol.StateVersion{Health: hv},
			UptimeMs:     s.uptimeMs(),
		},
		Policy: protocol.Policy{MaxPayload: int64(s.opts.MaxPayload), MaxBufferedBytes: int64(s.opts.MaxBufferedBytes), TickIntervalMs: s.opts.TickInterval.Milliseconds()},
		Auth:   a,
	}
	if host != "" {
		h.Server.Host = &host
	}
	if s.opts.Commit != "" {
		h.Server.Commit = &s.opts.Commit
	}
	if s.opts.ConfigPath != "" {
		h.Snapshot.ConfigPath = &s.opts.ConfigPath
	}
	if s.opts.StateDir != "" {
		h.Snapshot.StateDir = &s.opts.StateDir
	}
	if u := s.canvasHostURL(c); u != "" {
		h.CanvasHostURL = &u
	}
	if c.proto >= 3 {
		h.Snapshot.SessionDefaults = &protocol.SessionDefaults{DefaultAgentID: "main", MainKey: s.opts.MainKey, MainSessionKey: "agent:main:" + s.opts.MainKey, Scope: &s.opts.SessionScope}
	}
	return h
}

func remoteIP(c *Conn) *string {
	if host := remoteHost(c); host != "" {
		return &host
	}
	return nil
}

// remoteHost is the peer's IP, or "" for a loopback peer.
func remoteHost(c *Conn) string {
	host, _, err := net.SplitHostPort(c.remote)
	if err != nil || auth.IsLoopback(c.remote) {
		return ""
	}
	return host
}
