package gatewayclient

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
)

// ClientInfo describes this program to the gateway (connect.client). Empty fields get
// defaults: ID "gateway-client", Name = ID, Version "dev", Platform runtime.GOOS, Mode
// "backend".
type ClientInfo struct {
	// ID is the protocol-3 client id, one of the protocol.ClientID values.
	ID protocol.ClientID
	// Name is the protocol-2 free-text client name (it becomes the presence host).
	Name string
	// DisplayName is shown in presence instead of the client id (protocol 3).
	DisplayName string
	Version     string
	Platform    string
	// Mode is the client mode: for protocol 3 one of the protocol.ClientMode values
	// (webchat, cli, ui, backend, node, probe, test); "cli" clients are not tracked in
	// presence.
	Mode            string
	InstanceID      string // stable identity of this install: the presence key without a device
	DeviceFamily    string
	ModelIdentifier string
}

// Options configure Dial. The zero value connects with protocol 3 and no credentials.
type Options struct {
	// Token is the shared gateway token (auth.token); Password the gateway password.
	Token    string
	Password string

	Client ClientInfo

	// MinProtocol and MaxProtocol bound the protocol version (default 3..3; 2 is
	// supported). With MaxProtocol 3 and MinProtocol 2 the client offers 3 and falls
	// back to 2 when the gateway only speaks 2.
	MinProtocol int
	MaxProtocol int

	// Role is "operator" (default) or "node"; Scopes are the requested operator scopes
	// (empty: the gateway grants operator.admin). Protocol 3 only.
	Role   string
	Scopes []string
	Caps   []string

	Locale    string
	UserAgent string // default "clawgate-gatewayclient/<Client.Version>"

	// Device, when set, signs every protocol-3 connect with this identity. The gateway
	// then issues a device token, which is kept in DeviceTokenStore and sent as
	// auth.token on the next connects (falling back to Token if the gateway refuses it).
	Device *DeviceIdentity
	// DeviceTokenStore keeps device tokens; nil with a Device means an in-memory store.
	DeviceTokenStore DeviceTokenStore

	// Logger receives connection life-cycle messages; nil discards them.
	Logger *slog.Logger

	Reconnect ReconnectPolicy
	Clock     Clock

	// HandshakeTimeout bounds each connection attempt of the reconnect loop, from TCP
	// dial to hello-ok (default 10 s). Dial's first attempt is bounded by its context
	// and by this.
	HandshakeTimeout time.Duration
	// ChallengeTimeout is how long a protocol-3 connect waits for connect.challenge
	// before connecting without a nonce (default 750 ms, as the reference client).
	ChallengeTimeout time.Duration
	// EventBuffer is the channel capacity of each subscription (default 256).
	EventBuffer int
	// MaxPayload caps one inbound frame (default 64 MiB).
	MaxPayload int

	// Header is added to the WebSocket upgrade request.
	Header http.Header
	// TLSConfig is used for wss:// URLs.
	TLSConfig *tls.Config

	hooks *testHooks
}

// testHooks let the package's tests interfere with the read path.
type testHooks struct {
	// frame sees every inbound frame before it is handled; false drops it.
	frame func(b []byte) bool
}

func (o *Options) normalize() error {
	if o.MaxProtocol == 0 {
		o.MaxProtocol = protocol.MaxProtocol
	}
	if o.MinProtocol == 0 {
		o.MinProtocol = min(o.MaxProtocol, protocol.MaxProtocol)
	}
	if o.MinProtocol > o.MaxProtocol {
		return fmt.Errorf("gatewayclient: MinProtocol %d > MaxProtocol %d", o.MinProtocol, o.MaxProtocol)
	}
	if o.MaxProtocol < protocol.MinProtocol || o.MinProtocol > protocol.MaxProtocol {
		return fmt.Errorf("gatewayclient: protocol range %d..%d not supported (this client speaks %d..%d)",
			o.MinProtocol, o.MaxProtocol, protocol.MinProtocol, protocol.MaxProtocol)
	}
	o.MaxProtocol = min(o.MaxProtocol, protocol.MaxProtocol)
	o.MinProtocol = max(o.MinProtocol, protocol.MinProtocol)
	ci := &o.Client
	if ci.ID == "" {
		ci.ID = protocol.ClientIDGatewayClient
	}
	if ci.Name == "" {
		ci.Name = string(ci.ID)
	}
	if ci.Version == "" {
		ci.Version = "dev"
	}
	if ci.Platform == "" {
		ci.Platform = runtime.GOOS
	}
	if ci.Mode == "" {
		ci.Mode = string(protocol.ClientModeBackend)
	}
	if o.UserAgent == "" {
		o.UserAgent = "clawgate-gatewayclient/" + ci.Version
	}
	if o.Role == "" {
		o.Role = "operator"
	}
	if o.Device != nil && o.DeviceTokenStore == nil {
		o.DeviceTokenStore = NewMemoryTokenStore()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.Reconnect = o.Reconnect.withDefaults()
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	if o.HandshakeTimeout <= 0 {
		o.HandshakeTimeout = 10 * time.Second
	}
	if o.ChallengeTimeout <= 0 {
		o.ChallengeTimeout = 750 * time.Millisecond
	}
	if o.EventBuffer <= 0 {
		o.EventBuffer = 256
	}
	if o.MaxPayload <= 0 {
		o.MaxPayload = 64 << 20
	}
	return nil
}

// Client is a connection to a gateway that stays up: it reconnects after failures,
// watches the gateway's tick, keeps presence and health current and routes events to
// subscribers. Its methods are safe for concurrent use.
//
// The embedded protocol.Calls offers one typed method per wire method
// (c.Health, c.Send, c.NodeInvoke, …); Call is the untyped escape hatch.
type Client struct {
	protocol.Calls

	url   string
	o     Options
	log   *slog.Logger
	clock Clock

	idPrefix string
	nextID   atomic.Uint64

	ctx    context.Context // ends at Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // supervisor, read loops, refreshes

	mu       sync.Mutex
	cur      *conn              // nil while disconnected
	live     map[*conn]struct{} // every open socket, handshaken or not (Close kills them)
	hello    *protocol.HelloOk
	connects int           // successful handshakes
	rejected error         // the gateway refused the last reconnect (auth, pairing …)
	changed  chan struct{} // closed and replaced whenever cur, rejected or closed change
	closed   bool

	stMu sync.RWMutex
	st   state

	subMu      sync.Mutex
	subs       map[*subscription]struct{}
	runs       map[string]*AgentRun // by runId
	subsClosed bool

	refreshMu  sync.Mutex
	refreshing bool
	nextGap    *Gap // gaps seen while a refresh ran, merged
}

// caller adapts *Client to protocol.Caller for the embedded typed calls.
type caller Client

func (tc *caller) Call(ctx context.Context, method string, params protocol.Payload, result protocol.Decodable) error {
	c := (*Client)(tc)
	var p any
	if params != nil {
		p = params
	}
	var r any
	if result != nil {
		r = result
	}
	return c.call(ctx, method, p, r)
}

// Dial connects to the gateway at rawURL (ws://host:port, wss://…; http(s) schemes and
// a bare host:port are accepted too), performs the handshake and returns the client
// once hello-ok has arrived. The first connection is not retried: Dial returns the
// error (a *ProtocolError when the gateway refused the connect). Later disconnects are
// repaired in the background according to Options.Reconnect.
func Dial(ctx context.Context, rawURL string, o Options) (*Client, error) {
	u, err := normalizeURL(rawURL)
	if err != nil {
		return nil, err
	}
	if err := o.normalize(); err != nil {
		return nil, err
	}
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	c := &Client{
		url:      u,
		o:        o,
		log:      o.Logger.With("gateway", u),
		clock:    o.Clock,
		idPrefix: hex.EncodeToString(rnd[:]) + "-",
		changed:  make(chan struct{}),
		live:     map[*conn]struct{}{},
		subs:     map[*subscription]struct{}{},
		runs:     map[string]*AgentRun{},
	}
	c.Calls = protocol.Calls{Caller: (*caller)(c)}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	cn, err := c.connect(ctx)
	if err != nil {
		c.cancel()
		c.wg.Wait()
		return nil, err
	}
	c.wg.Add(1)
	go c.supervise(cn)
	return c, nil
}

func normalizeURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if !strings.Contains(raw, "://") {
		raw = "ws://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("gatewayclient: bad gateway URL: %w", err)
	}
	switch u.Scheme {
	case "ws", "wss":
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	default:
		return "", fmt.Errorf("gatewayclient: bad gateway URL %q: scheme must be ws or wss", raw)
	}
	if u.Host == "" {
		return "", fmt.Errorf("gatewayclient: bad gateway URL %q: no host", raw)
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return u.String(), nil
}

// Hello returns the hello-ok of the current (or last) connection, snapshot included.
// Do not modify it.
func (c *Client) Hello() *protocol.HelloOk {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hello
}

// Connected reports whether the client has a live connection right now.
func (c *Client) Connected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cur != nil
}

// Close ends the connection and every background activity: reconnecting, the watchdog,
// gap refreshes. Calls in flight fail with ErrClosed, subscription channels and agent
// run event channels are closed. It returns once every goroutine the client started
// has finished.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.cur = nil
	c.signalLocked()
	live := make([]*conn, 0, len(c.live))
	for cn := range c.live {
		live = append(live, cn)
	}
	c.mu.Unlock()
	c.cancel()
	for _, cn := range live {
		cn.kill(1000, "client closing")
	}
	c.wg.Wait()
	c.subMu.Lock()
	c.subsClosed = true
	for s := range c.subs {
		close(s.ch)
	}
	clear(c.subs)
	runs := make([]*AgentRun, 0, len(c.runs))
	for _, r := range c.runs {
		runs = append(runs, r)
	}
	c.subMu.Unlock()
	for _, r := range runs {
		r.finish(nil, closedErr("agent"))
	}
	return nil
}

// signalLocked wakes everyone waiting for a state change; c.mu must be held.
func (c *Client) signalLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// waitConn returns the live connection, waiting for a reconnect if there is none.
func (c *Client) waitConn(ctx context.Context, method string) (*conn, error) {
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return nil, closedErr(method)
		}
		if cn := c.cur; cn != nil {
			c.mu.Unlock()
			return cn, nil
		}
		if c.o.Reconnect.Disabled {
			c.mu.Unlock()
			return nil, disconnected(method, "reconnect disabled", nil)
		}
		if c.rejected != nil {
			err := c.rejected
			c.mu.Unlock()
			return nil, err
		}
		ch := c.changed
		c.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, disconnected(method, "still reconnecting", ctx.Err())
		}
	}
}

// supervise repairs the connection until Close.
func (c *Client) supervise(cn *conn) {
	defer c.wg.Done()
	for {
		select {
		case <-cn.done:
		case <-c.ctx.Done():
			return
		}
		if c.o.Reconnect.Disabled || c.ctx.Err() != nil {
			return
		}
		delay := c.o.Reconnect.backoff(0)
		if ms := cn.restartExpectedMs.Load(); ms > 0 {
			delay = jitter(time.Duration(ms)*time.Millisecond, 0.1)
		}
		c.log.Info("disconnected from gateway; reconnecting", "in", delay, "reason", cn.closeReason())
		for attempt := 1; ; attempt++ {
			if !c.sleep(delay) {
				return
			}
			next, err := c.connect(c.ctx)
			if err == nil {
				cn = next
				break
			}
			if c.ctx.Err() != nil {
				return
			}
			var pe *ProtocolError
			c.mu.Lock()
			if errors.As(err, &pe) && pe.Method == "connect" {
				c.rejected = err
			} else {
				c.rejected = nil
			}
			c.signalLocked()
			c.mu.Unlock()
			delay = c.o.Reconnect.backoff(attempt)
			c.log.Warn("reconnect failed", "attempt", attempt, "err", err, "retry_in", delay)
		}
	}
}

// sleep waits d on the client's clock; false means the client was closed.
func (c *Client) sleep(d time.Duration) bool {
	ch := make(chan struct{})
	t := c.clock.AfterFunc(d, func() { close(ch) })
	select {
	case <-ch:
		return true
	case <-c.ctx.Done():
		t.Stop()
		return false
	}
}

func (c *Client) newID() string {
	return c.idPrefix + uitoa(c.nextID.Add(1))
}

func uitoa(n uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return string(b[i:])
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = io.ReadFull(rand.Reader, b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}
