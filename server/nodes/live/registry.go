// Package live owns the nodes that are connected right now, whatever their transport
// (the v2 TCP bridge or a v3 role-node WebSocket), and the invocations waiting for
// their answers. It outlives gateway instances: an in-process restart closes the WS
// nodes (they unregister) while bridge nodes stay registered.
package live

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/token"
)

// Transports.
const (
	TransportBridge = "bridge"
	TransportWS     = "ws"
)

// Defaults and limits.
const (
	// DefaultBridgeTimeout and DefaultWSTimeout are the invoke timeouts when the caller
	// gives none (§3.8: 15 s on the bridge; §11: 30 s in v3).
	DefaultBridgeTimeout = 15 * time.Second
	DefaultWSTimeout     = 30 * time.Second
	// MaxInvokeTimeout caps a caller's timeoutMs, so one call cannot pin a pending slot
	// for hours.
	MaxInvokeTimeout = 10 * time.Minute
	// DefaultMaxPending bounds the invocations waiting for a node, across all nodes.
	DefaultMaxPending = 256
	// DefaultIdempotencyTTL and DefaultMaxIdempotency bound the remembered node.invoke
	// results (same numbers as the send/agent dedupe cache, §6).
	DefaultIdempotencyTTL = 5 * time.Minute
	DefaultMaxIdempotency = 1000
	// DefaultBeaconInterval is how often connected nodes are re-announced to presence (§5.2).
	DefaultBeaconInterval = 180 * time.Second
	// MaxParamsBytes bounds the JSON-encoded params sent to a node.
	MaxParamsBytes = 512 * 1024
)

// Error codes (the wire codes of §7): the schema's ErrorCode values.
const (
	CodeInvalidRequest = string(protocol.ErrorCodeInvalidRequest)
	CodeUnavailable    = string(protocol.ErrorCodeUnavailable)
)

// Messages callers and tests match on.
const (
	MsgTimeout         = "invoke timeout"
	MsgDisconnected    = "node disconnected"
	MsgNotAllowed      = "node command not allowed"
	MsgRequired        = "nodeId and command required"
	MsgTooManyPending  = "too many pending node invokes"
	MsgNodeFailed      = "node invoke failed"
	MsgKeyReused       = "idempotencyKey already used for a different node or command"
	MsgRegistryClosing = "node registry closed"
)

// Error is a failure with a wire code; Details is sent as the error's details.
type Error struct {
	Code    string
	Message string
	Details any
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func unavailable(format string, a ...any) *Error {
	return &Error{Code: CodeUnavailable, Message: fmt.Sprintf(format, a...)}
}

// NodeError is what a node reports when a command failed.
type NodeError struct {
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// Request is what is sent to a node for one invocation.
type Request struct {
	ID             string // invocation id (UUID)
	NodeID         string
	Command        string
	ParamsJSON     *string // nil when no params
	TimeoutMs      int64
	IdempotencyKey string
}

// Result is a node's answer.
type Result struct {
	Ok          bool
	PayloadJSON *string
	Error       *NodeError
}

// Conn is one node connection as seen by the registry; each transport implements it.
type Conn interface {
	// SendInvoke queues the request to the node; it must not block on the network.
	SendInvoke(r Request) error
	// Close drops the connection (a newer connection for the same node replaced it).
	Close(reason string)
}

// Node describes a connected node.
type Node struct {
	NodeID          string
	Transport       string
	DisplayName     string
	Platform        string
	Version         string
	DeviceFamily    string
	ModelIdentifier string
	RemoteIP        string
	Caps            []string
	Commands        []string // declared commands, filtered through the allowlist
	Permissions     map[string]bool
	ConnectedAt     time.Time
}

func (n Node) clone() Node {
	n.Caps = slices.Clone(n.Caps)
	n.Commands = slices.Clone(n.Commands)
	n.Permissions = maps.Clone(n.Permissions)
	return n
}

// Change is a presence-relevant event: a node connected, disconnected, or its periodic
// beacon fired. Reason is "node-connected", "node-disconnected", "periodic" (§5.2) or
// "node-commands" (SetPolicy changed what the node may run).
type Change struct {
	Node   Node
	Reason string
}

// Observer receives changes and node events. The gateway instance that is serving
// sets it (presence, broadcasts); it is replaced on in-process restarts.
type Observer interface {
	NodeChanged(Change)
	NodeEvent(nodeID, event string, payloadJSON *string)
}

// Options configure New. Zero values take the defaults.
type Options struct {
	MaxPending     int
	IdempotencyTTL time.Duration
	MaxIdempotency int
	BeaconInterval time.Duration
	// Allow is the command policy; nil uses DefaultPolicy().
	Allow  *Policy
	Now    func() time.Time
	Logger *slog.Logger
}

type session struct {
	id   uint64
	node Node // Commands: the declared ones the current policy allows
	// declared is every command the node declared, so a policy change (config reload)
	// can allow one it hid without the node reconnecting.
	declared []string
	conn     Conn
	gone     chan struct{} // closed on unregister
}

type call struct {
	req  Request
	sess *session
	done chan Result
}

type memo struct {
	nodeID, command string
	done            chan struct{}
	res             Result
	err             error
	cache           bool // false: the outcome is not remembered (retry may run again)
	at              time.Time
}

// Registry owns the connected nodes and their pending invocations. Safe for
// concurrent use.
type Registry struct {
	o   Options
	log *slog.Logger

	mu       sync.Mutex
	nextID   uint64
	nodes    map[string]*session
	pending  map[string]*call // by invocation id
	memos    map[string]*memo // by idempotency key
	observer Observer
	handler  EventHandler        // node-initiated events (SetEventHandler)
	onGone   func(nodeID string) // SetDisconnectHandler
	onJoin   func(nodeID string) // SetConnectHandler
	dupes    int64               // duplicate invocations answered from a shared or remembered run
	policy   *Policy             // the command policy (SetPolicy); starts as Options.Allow
	closed   bool
	stop     chan struct{}
	wg       sync.WaitGroup
}

// New builds a registry and starts its beacon loop (stopped by Close).
func New(o Options) *Registry {
	if o.MaxPending <= 0 {
		o.MaxPending = DefaultMaxPending
	}
	if o.IdempotencyTTL <= 0 {
		o.IdempotencyTTL = DefaultIdempotencyTTL
	}
	if o.MaxIdempotency <= 0 {
		o.MaxIdempotency = DefaultMaxIdempotency
	}
	if o.BeaconInterval <= 0 {
		o.BeaconInterval = DefaultBeaconInterval
	}
	if o.Allow == nil {
		o.Allow = DefaultPolicy()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Registry{o: o, log: o.Logger, policy: o.Allow, nodes: map[string]*session{}, pending: map[string]*call{}, memos: map[string]*memo{}, stop: make(chan struct{})}
	r.wg.Add(1)
	go r.beacons()
	return r
}

// SetObserver installs the observer (nil removes it). It returns the previous one.
func (r *Registry) SetObserver(o Observer) Observer {
	r.mu.Lock()
	defer r.mu.Unlock()
	prev := r.observer
	r.observer = o
	return prev
}

// ClearObserver removes o if it is still the installed observer.
func (r *Registry) ClearObserver(o Observer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.observer == o {
		r.observer = nil
	}
}

func (r *Registry) notify(ch Change) {
	r.mu.Lock()
	o := r.observer
	r.mu.Unlock()
	if o != nil {
		o.NodeChanged(ch)
	}
}

// Policy is the command allowlist in force.
func (r *Registry) Policy() *Policy {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.policy
}

// SetPolicy replaces the command policy (gateway.nodes.allowCommands/denyCommands
// reloaded): connected nodes' allowed commands are recomputed from what they declared
// and each changed node is announced, so node.list and node.invoke follow at once.
// The original filters a node's commands once, at connect.
func (r *Registry) SetPolicy(p *Policy) {
	if p == nil {
		p = DefaultPolicy()
	}
	var changed []Node
	r.mu.Lock()
	r.policy = p
	for _, s := range r.nodes {
		cmds := p.Filter(s.node.Platform, s.node.DeviceFamily, s.declared)
		if !slices.Equal(cmds, s.node.Commands) {
			s.node.Commands = cmds
			changed = append(changed, s.node.clone())
		}
	}
	r.mu.Unlock()
	for _, n := range changed {
		r.notify(Change{Node: n, Reason: "node-commands"})
	}
}

// Handle identifies one registration; Unregister takes it so a stale connection
// cannot remove its replacement.
type Handle struct {
	nodeID string
	id     uint64
}

// Register adds a connected node. An older connection of the same node is closed and
// its pending invocations fail at once. Declared commands are filtered through the
// allowlist for the node's platform.
func (r *Registry) Register(n Node, c Conn) (Handle, error) {
	n.NodeID = strings.TrimSpace(n.NodeID)
	if n.NodeID == "" {
		return Handle{}, &Error{Code: CodeInvalidRequest, Message: "nodeId required"}
	}
	n = n.clone()
	n.Caps = sortedSet(n.Caps)
	declared := sortedSet(n.Commands)
	if n.ConnectedAt.IsZero() {
		n.ConnectedAt = r.o.Now()
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return Handle{}, unavailable(MsgRegistryClosing)
	}
	n.Commands = r.policy.Filter(n.Platform, n.DeviceFamily, declared)
	r.nextID++
	s := &session{id: r.nextID, node: n, declared: declared, conn: c, gone: make(chan struct{})}
	old := r.nodes[n.NodeID]
	r.nodes[n.NodeID] = s
	if old != nil {
		r.dropLocked(old)
	}
	r.mu.Unlock()
	if old != nil {
		old.conn.Close("replaced by a newer connection")
	}
	r.log.Info("node connected", "node", n.NodeID, "transport", n.Transport, "commands", len(n.Commands))
	r.notify(Change{Node: n.clone(), Reason: "node-connected"})
	r.mu.Lock()
	join := r.onJoin
	r.mu.Unlock()
	if join != nil {
		// Off the caller's path: a WebSocket node registers during its handshake, and
		// what the handler sends must follow the hello-ok.
		go join(n.NodeID)
	}
	return Handle{nodeID: n.NodeID, id: s.id}, nil
}

// dropLocked ends a session: its waiters fail at once.
func (r *Registry) dropLocked(s *session) {
	close(s.gone)
	for id, c := range r.pending {
		if c.sess == s {
			delete(r.pending, id)
		}
	}
}

// Unregister removes the registration h (no-op if it was replaced). Pending
// invocations on it fail at once with MsgDisconnected.
func (r *Registry) Unregister(h Handle) {
	r.mu.Lock()
	s := r.nodes[h.nodeID]
	if s == nil || s.id != h.id {
		r.mu.Unlock()
		return
	}
	delete(r.nodes, h.nodeID)
	r.dropLocked(s)
	r.mu.Unlock()
	r.log.Info("node disconnected", "node", h.nodeID, "transport", s.node.Transport)
	r.notify(Change{Node: s.node.clone(), Reason: "node-disconnected"})
	r.mu.Lock()
	gone := r.onGone
	r.mu.Unlock()
	if gone != nil {
		gone(h.nodeID)
	}
}

// Get returns a connected node.
func (r *Registry) Get(nodeID string) (Node, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.nodes[nodeID]
	if s == nil {
		return Node{}, false
	}
	return s.node.clone(), true
}

// List returns the connected nodes by node id.
func (r *Registry) List() []Node {
	r.mu.Lock()
	out := make([]Node, 0, len(r.nodes))
	for _, s := range r.nodes {
		out = append(out, s.node.clone())
	}
	r.mu.Unlock()
	slices.SortFunc(out, func(a, b Node) int { return strings.Compare(a.NodeID, b.NodeID) })
	return out
}

// Pending is the number of invocations waiting for a node.
func (r *Registry) Pending() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pending)
}

// InvokeParams is one node.invoke.
type InvokeParams struct {
	NodeID  string
	Command string
	Params  json.RawMessage // nil or JSON null: no params
	// Timeout: nil uses the transport default; 0 times out at once (§12.7) without
	// sending anything to the node.
	Timeout        *time.Duration
	IdempotencyKey string
}

// Invoke forwards a command to a connected node and waits for its answer, the
// timeout, the node's disconnect (fails at once) or ctx. With an idempotency key, a
// duplicate while the first runs waits for the same outcome, and a duplicate after it
// gets the remembered outcome (for IdempotencyTTL) — the command runs once. Only
// outcomes the node produced are remembered; failures where the node never answered
// (not connected, timeout, disconnect, not allowed) are not, so a retry runs again.
func (r *Registry) Invoke(ctx context.Context, p InvokeParams) (Result, error) {
	p.NodeID, p.Command = strings.TrimSpace(p.NodeID), strings.TrimSpace(p.Command)
	if p.NodeID == "" || p.Command == "" {
		return Result{}, &Error{Code: CodeInvalidRequest, Message: MsgRequired}
	}
	key := p.IdempotencyKey
	if key == "" {
		res, _, err := r.invoke(ctx, p)
		return res, err
	}
	r.mu.Lock()
	r.sweepLocked()
	if m := r.memos[key]; m != nil {
		r.dupes++
		r.mu.Unlock()
		if m.nodeID != p.NodeID || m.command != p.Command {
			return Result{}, &Error{Code: CodeInvalidRequest, Message: MsgKeyReused}
		}
		select {
		case <-m.done:
			return m.res, m.err
		case <-ctx.Done():
			return Result{}, ctx.Err()
		}
	}
	m := &memo{nodeID: p.NodeID, command: p.Command, done: make(chan struct{})}
	r.memos[key] = m
	r.mu.Unlock()

	// The shared run is detached from this caller: a duplicate waiting on it must not
	// fail because the first caller went away. Its timeout still bounds it.
	go func() {
		res, answered, err := r.invoke(context.WithoutCancel(ctx), p)
		// Remembered: the node's answer (ok or its own failure). Forgotten: no answer.
		r.mu.Lock()
		m.cache = answered
		m.res, m.err = res, err
		m.at = r.o.Now()
		if !m.cache && r.memos[key] == m {
			delete(r.memos, key)
		}
		r.mu.Unlock()
		close(m.done)
	}()
	select {
	case <-m.done:
		return m.res, m.err
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}

// sweepLocked drops remembered outcomes older than the TTL, then the oldest past the
// size bound. Running entries are never dropped (they are bounded by MaxPending).
func (r *Registry) sweepLocked() {
	now := r.o.Now()
	var done []string
	for k, m := range r.memos {
		select {
		case <-m.done:
		default:
			continue
		}
		if now.Sub(m.at) > r.o.IdempotencyTTL {
			delete(r.memos, k)
			continue
		}
		done = append(done, k)
	}
	if over := len(r.memos) - r.o.MaxIdempotency; over > 0 {
		slices.SortFunc(done, func(a, b string) int { return r.memos[a].at.Compare(r.memos[b].at) })
		for _, k := range done[:min(over, len(done))] {
			delete(r.memos, k)
		}
	}
}

// Duplicates counts invocations answered by another one's run (same idempotency key).
func (r *Registry) Duplicates() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dupes
}

// Remembered is the number of idempotency entries (running and remembered).
func (r *Registry) Remembered() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sweepLocked()
	return len(r.memos)
}

// invoke runs one invocation; answered tells whether the node produced the outcome.
func (r *Registry) invoke(ctx context.Context, p InvokeParams) (res Result, answered bool, err error) {
	var paramsJSON *string
	if len(p.Params) > 0 && string(p.Params) != "null" {
		if len(p.Params) > MaxParamsBytes {
			return Result{}, false, &Error{Code: CodeInvalidRequest, Message: fmt.Sprintf("params too large (max %d bytes)", MaxParamsBytes)}
		}
		s := string(p.Params)
		paramsJSON = &s
	}
	r.mu.Lock()
	s := r.nodes[p.NodeID]
	if s == nil {
		r.mu.Unlock()
		return Result{}, false, unavailable("node not connected (%s)", p.NodeID)
	}
	if !r.policy.Allowed(s.node.Platform, s.node.DeviceFamily, s.declared, p.Command) {
		r.mu.Unlock()
		return Result{}, false, &Error{Code: CodeInvalidRequest, Message: MsgNotAllowed, Details: map[string]string{"command": p.Command}}
	}
	timeout := DefaultWSTimeout
	if s.node.Transport == TransportBridge {
		timeout = DefaultBridgeTimeout
	}
	if p.Timeout != nil {
		timeout = min(max(*p.Timeout, 0), MaxInvokeTimeout)
	}
	if timeout == 0 {
		r.mu.Unlock()
		return Result{}, false, unavailable(MsgTimeout)
	}
	if len(r.pending) >= r.o.MaxPending {
		r.mu.Unlock()
		return Result{}, false, &Error{Code: CodeUnavailable, Message: MsgTooManyPending}
	}
	c := &call{
		req:  Request{ID: token.UUID(), NodeID: p.NodeID, Command: p.Command, ParamsJSON: paramsJSON, TimeoutMs: timeout.Milliseconds(), IdempotencyKey: p.IdempotencyKey},
		sess: s,
		done: make(chan Result, 1),
	}
	r.pending[c.req.ID] = c
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.pending, c.req.ID)
		r.mu.Unlock()
	}()
	if err := s.conn.SendInvoke(c.req); err != nil {
		return Result{}, false, unavailable("send to node: %v", err)
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case res := <-c.done:
		return res, true, nodeOutcome(res)
	case <-s.gone:
		// The answer may have raced the disconnect.
		select {
		case res := <-c.done:
			return res, true, nodeOutcome(res)
		default:
		}
		return Result{}, false, unavailable(MsgDisconnected)
	case <-t.C:
		return Result{}, false, unavailable(MsgTimeout)
	case <-ctx.Done():
		return Result{}, false, ctx.Err()
	}
}

// nodeOutcome maps a node's ok:false to UNAVAILABLE with details {nodeError} (§3.8).
func nodeOutcome(res Result) error {
	if !res.Ok {
		msg := MsgNodeFailed
		var ne any
		if res.Error != nil {
			if res.Error.Message != "" {
				msg = res.Error.Message
			}
			ne = res.Error
		}
		return &Error{Code: CodeUnavailable, Message: msg, Details: map[string]any{"nodeError": ne}}
	}
	return nil
}

// Resolve delivers a node's answer to the waiting invocation. Only the node the
// request went to, on the same registration, may answer; unknown ids (late answers
// after a timeout) return false.
func (r *Registry) Resolve(h Handle, id string, res Result) bool {
	r.mu.Lock()
	c := r.pending[id]
	if c == nil || c.sess.id != h.id || c.req.NodeID != h.nodeID {
		r.mu.Unlock()
		return false
	}
	delete(r.pending, id)
	r.mu.Unlock()
	c.done <- res
	return true
}

// Event hands a node-initiated event to the observer (node.event, bridge event frames).
func (r *Registry) Event(h Handle, event string, payloadJSON *string) {
	r.mu.Lock()
	o, eh := r.observer, r.handler
	s := r.nodes[h.nodeID]
	r.mu.Unlock()
	if s == nil || s.id != h.id {
		return
	}
	if o != nil {
		o.NodeEvent(h.nodeID, event, payloadJSON)
	}
	if eh != nil {
		eh(h.nodeID, event, payloadJSON)
	}
}

// NodeID is the node of a registration.
func (h Handle) NodeID() string { return h.nodeID }

// beacons re-announces every connected node to presence (§5.2 "periodic").
func (r *Registry) beacons() {
	defer r.wg.Done()
	t := time.NewTicker(r.o.BeaconInterval)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			r.Beacon()
		}
	}
}

// Beacon sends a "periodic" change for every connected node now.
func (r *Registry) Beacon() {
	for _, n := range r.List() {
		r.notify(Change{Node: n, Reason: "periodic"})
	}
}

// Close stops the beacons and closes every node connection; waiting invocations fail.
func (r *Registry) Close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	close(r.stop)
	sessions := slices.Collect(maps.Values(r.nodes))
	r.nodes = map[string]*session{}
	for _, s := range sessions {
		r.dropLocked(s)
	}
	r.mu.Unlock()
	for _, s := range sessions {
		s.conn.Close("gateway stopping")
	}
	r.wg.Wait()
}

func sortedSet(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
