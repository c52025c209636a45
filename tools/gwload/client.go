package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/lxzan/gws"
)

// frameFunc receives every frame after the handshake, on the connection's read
// goroutine, with the time it was read. b is only valid during the call.
type frameFunc func(b []byte, now time.Time)

// conn is one client connection. Frames are classified with byte-prefix checks rather
// than a JSON decoder: the client shares the CPU with the server and must stay cheap.
type conn struct {
	ws      *gws.Conn
	cfg     *config
	onFrame frameFunc

	ready     atomic.Bool
	challenge chan struct{} // one value when connect.challenge arrives (v3)
	hello     chan error    // one value: nil on hello-ok, the error otherwise
	done      chan struct{} // closed by OnClose
	closeErr  error
}

const connectID = "gwload-connect"

var (
	pfxChallenge = []byte(`{"type":"event","event":"connect.challenge"`)
	pfxRes       = []byte(`{"type":"res","id":"`)
	pfxReq       = []byte(`{"type":"req","id":"`)
	pfxEvent     = []byte(`{"type":"event","event":"`)
	okTrue       = []byte(`"ok":true`)
)

// dial opens a WebSocket and, for the gateway, completes the connect handshake: v3
// waits for connect.challenge first, v2 sends connect right away. It returns once
// hello-ok has arrived (or, for -target echo, once the upgrade is done).
func dial(ctx context.Context, cfg *config, onFrame frameFunc) (*conn, error) {
	c := &conn{cfg: cfg, onFrame: onFrame, challenge: make(chan struct{}, 1), hello: make(chan error, 1), done: make(chan struct{})}
	dl, ok := ctx.Deadline()
	hsTimeout := 10 * time.Second
	if ok && time.Until(dl) < hsTimeout {
		hsTimeout = max(time.Until(dl), time.Millisecond)
	}
	ws, _, err := gws.NewClient(c, &gws.ClientOption{
		Addr:               cfg.url,
		ReadMaxPayloadSize: 16 << 20,
		HandshakeTimeout:   hsTimeout,
		NewDialer:          func() (gws.Dialer, error) { return &net.Dialer{Timeout: hsTimeout}, nil },
	})
	if err != nil {
		return nil, err
	}
	c.ws = ws
	if cfg.target == "echo" {
		c.ready.Store(true)
		go ws.ReadLoop()
		return c, nil
	}
	go ws.ReadLoop()
	fail := func(err error) (*conn, error) {
		c.abort()
		return nil, err
	}
	if cfg.proto >= 3 {
		select {
		case <-c.challenge:
		case <-c.done:
			return fail(fmt.Errorf("closed before connect.challenge: %v", c.closeErr))
		case <-ctx.Done():
			return fail(fmt.Errorf("waiting for connect.challenge: %w", ctx.Err()))
		}
	}
	if err := ws.WriteMessage(gws.OpcodeText, connectFrame(cfg)); err != nil {
		return fail(fmt.Errorf("write connect: %w", err))
	}
	select {
	case err := <-c.hello:
		if err != nil {
			return fail(err)
		}
		return c, nil
	case <-c.done:
		select { // hello and close may land together
		case err := <-c.hello:
			if err == nil {
				return c, nil
			}
			return nil, err
		default:
		}
		return nil, fmt.Errorf("closed before hello-ok: %v", c.closeErr)
	case <-ctx.Done():
		return fail(fmt.Errorf("waiting for hello-ok: %w", ctx.Err()))
	}
}

func connectFrame(cfg *config) []byte {
	mode := cfg.clientMd
	client := map[string]any{"version": "gwload/1", "platform": "linux"}
	if cfg.proto >= 3 {
		if mode == "" {
			mode = "test"
		}
		client["id"] = "test"
	} else {
		if mode == "" {
			mode = "cli"
		}
		client["name"] = "gwload"
	}
	client["mode"] = mode
	params := map[string]any{"minProtocol": cfg.proto, "maxProtocol": cfg.proto, "client": client}
	if cfg.token != "" {
		params["auth"] = map[string]any{"token": cfg.token}
	}
	b, _ := json.Marshal(map[string]any{"type": "req", "id": connectID, "method": "connect", "params": params})
	return b
}

// close sends a normal close frame and drops the socket.
func (c *conn) close() { _ = c.ws.WriteClose(1000, nil) }

// abort drops the socket without a close frame.
func (c *conn) abort() { _ = c.ws.NetConn().Close() }

func (c *conn) OnOpen(*gws.Conn)              {}
func (c *conn) OnPing(ws *gws.Conn, p []byte) { _ = ws.WritePong(p) }
func (c *conn) OnPong(*gws.Conn, []byte)      {}
func (c *conn) OnClose(_ *gws.Conn, err error) {
	var ce *gws.CloseError
	if errors.As(err, &ce) {
		err = fmt.Errorf("close %d %q", ce.Code, ce.Reason)
	}
	c.closeErr = err
	close(c.done)
}

func (c *conn) OnMessage(_ *gws.Conn, m *gws.Message) {
	now := time.Now()
	b := m.Bytes()
	if c.ready.Load() {
		if c.onFrame != nil {
			c.onFrame(b, now)
		}
		_ = m.Close()
		return
	}
	switch {
	case bytes.HasPrefix(b, pfxChallenge):
		select {
		case c.challenge <- struct{}{}:
		default:
		}
	case bytes.HasPrefix(b, pfxRes):
		id, rest, ok := frameID(b, len(pfxRes))
		if !ok || id != connectID {
			break
		}
		if bytes.HasPrefix(rest, []byte(`,"ok":true`)) {
			c.ready.Store(true) // later frames go to onFrame
			c.hello <- nil
			break
		}
		var f struct {
			Error struct{ Code, Message string }
		}
		_ = json.Unmarshal(bytes.Clone(b), &f)
		c.hello <- fmt.Errorf("connect refused: %s %s", f.Error.Code, f.Error.Message)
	}
	_ = m.Close()
}

// frameID reads the string id that starts at b[off] (just after `"id":"`) and returns
// it with the bytes after its closing quote. Ids gwload sends never contain escapes.
func frameID(b []byte, off int) (string, []byte, bool) {
	end := bytes.IndexByte(b[off:], '"')
	if end < 0 {
		return "", nil, false
	}
	return string(b[off : off+end]), b[off+end+1:], true
}

// numericID parses a decimal id at b[off:] up to its closing quote without allocating.
func numericID(b []byte, off int) (n int, rest []byte, ok bool) {
	i := off
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		n = n*10 + int(b[i]-'0')
		i++
	}
	if i == off || i >= len(b) || b[i] != '"' {
		return 0, nil, false
	}
	return n, b[i+1:], true
}

func itoa(b []byte, n int) []byte { return strconv.AppendInt(b, int64(n), 10) }
