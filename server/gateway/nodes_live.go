package gateway

import (
	"errors"
	"fmt"
	"strings"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/nodes/live"
	"github.com/clawgate/gateway/server/presence"
)

// Live nodes: v3 role-node sockets join the live registry (Options.LiveNodes) next to
// the bridge's nodes; node.invoke reaches either. The registry outlives this server
// (in-process restarts): the serving instance installs itself as its observer, which
// turns node connects, disconnects and beacons into presence updates (§5.2).

// wsNode is a role-node connection as the registry sees it.
type wsNode struct{ c *Conn }

func (w wsNode) SendInvoke(r live.Request) error {
	// The node registers just before its hello-ok is queued; nothing may precede it.
	select {
	case <-w.c.joined:
	case <-w.c.done:
	}
	if w.c.closed.Load() {
		return errors.New("connection closed")
	}
	ev := &protocol.NodeInvokeRequestEvent{ID: r.ID, NodeID: r.NodeID, Command: r.Command, ParamsJSON: r.ParamsJSON}
	if r.TimeoutMs > 0 {
		t := r.TimeoutMs
		ev.TimeoutMs = &t
	}
	if r.IdempotencyKey != "" {
		k := r.IdempotencyKey
		ev.IdempotencyKey = &k
	}
	w.c.sendEvent(ev)
	return nil
}

// SendEvent implements live.EventConn (chat streams a node subscribed to, the wake
// words sent on connect). Like an invoke, nothing may precede the hello-ok.
func (w wsNode) SendEvent(ev protocol.Event) error {
	select {
	case <-w.c.joined:
	case <-w.c.done:
	}
	if w.c.closed.Load() {
		return errors.New("connection closed")
	}
	w.c.sendEvent(ev)
	return nil
}

func (w wsNode) Close(reason string) { w.c.closeWith(closePolicy, reason) }

// nodeFromConnect records what a role-node connect says about the node; it joins the
// registry once hello-ok is queued (nodeJoined).
func nodeFromConnect(c *Conn, p *protocol.ConnectParams) *live.Node {
	id := c.deviceID
	if id == "" {
		id = string(p.Client.ID)
	}
	return &live.Node{
		NodeID: id, Transport: live.TransportWS, DisplayName: p.Client.GetDisplayName(), Platform: p.Client.Platform,
		Version: p.Client.Version, DeviceFamily: p.Client.GetDeviceFamily(), ModelIdentifier: p.Client.GetModelIdentifier(),
		RemoteIP: remoteHost(c), Caps: p.Caps, Commands: p.Commands, Permissions: p.Permissions,
	}
}

// nodeJoined registers a handshaken role-node connection.
func (s *Server) nodeJoined(c *Conn) {
	if c.liveNode == nil || s.opts.LiveNodes == nil {
		return
	}
	c.joined = make(chan struct{})
	h, err := s.opts.LiveNodes.Register(*c.liveNode, wsNode{c})
	if err != nil {
		s.log.Warn("node registration failed", "conn", c.id, "err", err)
		close(c.joined)
		c.joined = nil
		c.closeWith(closePolicy, "node registration failed")
		return
	}
	c.nodeMu.Lock()
	c.nodeReg, c.nodeOn = h, true
	closed := c.closed.Load()
	c.nodeMu.Unlock()
	if closed {
		s.nodeLeft(c)
	}
}

// nodeReady releases invocations that waited for the node's hello-ok.
func (c *Conn) nodeReady() {
	if c.joined != nil {
		close(c.joined)
	}
}

// nodeLeft unregisters a closed role-node connection: its pending invokes fail now.
func (s *Server) nodeLeft(c *Conn) {
	c.nodeMu.Lock()
	h, on := c.nodeReg, c.nodeOn
	c.nodeOn = false
	c.nodeMu.Unlock()
	if on {
		s.opts.LiveNodes.Unregister(h)
	}
}

func (c *Conn) nodeHandle() (live.Handle, bool) {
	c.nodeMu.Lock()
	defer c.nodeMu.Unlock()
	return c.nodeReg, c.nodeOn
}

// nodeObserver is the server's view of registry changes.
type nodeObserver struct{ s *Server }

func (o *nodeObserver) NodeChanged(ch live.Change) {
	s := o.s
	if s.closing.Load() {
		return
	}
	n := ch.Node
	host := n.DisplayName
	if host == "" {
		host = n.NodeID
	}
	ver := n.Version
	if ver == "" {
		ver = "unknown"
	}
	mode := "remote"
	var zero int64
	text := "Node: " + host
	if n.RemoteIP != "" {
		text += " (" + n.RemoteIP + ")"
	}
	text += fmt.Sprintf(" · app %s · last input 0s ago · mode %s · reason %s", ver, mode, ch.Reason)
	u := presence.Update{
		Key: strings.ToLower(strings.TrimSpace(n.NodeID)), Host: &host, Version: &ver, Mode: &mode, Reason: &ch.Reason,
		Text: &text, InstanceID: &n.NodeID, LastInputSeconds: &zero,
	}
	if n.RemoteIP != "" {
		u.IP = &n.RemoteIP
	}
	if n.Platform != "" {
		u.Platform = &n.Platform
	}
	if n.DeviceFamily != "" {
		u.DeviceFamily = &n.DeviceFamily
	}
	if n.ModelIdentifier != "" {
		u.ModelIdentifier = &n.ModelIdentifier
	}
	s.presence.Upsert(u)
	s.broadcastPresence()
}

func (o *nodeObserver) NodeEvent(nodeID, event string, payloadJSON *string) {
	// The registry also hands node events to the daemon's node-events component
	// (agent.request, voice.transcript, chat.subscribe, exec.*); here they are logged.
	n := 0
	if payloadJSON != nil {
		n = len(*payloadJSON)
	}
	o.s.log.Debug("node event", "node", nodeID, "event", event, "bytes", n)
}

// watchNodes installs this server as the registry's observer (until Shutdown).
func (s *Server) watchNodes() {
	if s.opts.LiveNodes != nil {
		s.nodeObs = &nodeObserver{s: s}
		s.opts.LiveNodes.SetObserver(s.nodeObs)
	}
}

func (s *Server) unwatchNodes() {
	if s.opts.LiveNodes != nil && s.nodeObs != nil {
		s.opts.LiveNodes.ClearObserver(s.nodeObs)
	}
}
