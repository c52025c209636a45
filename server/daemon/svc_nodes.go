package daemon

import (
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/agent"
	"github.com/clawgate/gateway/server/bridge"
	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/core"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/nodes/live"
	"github.com/clawgate/gateway/server/persona"
	"github.com/clawgate/gateway/server/voicewake"
)

// nodesService owns the live node registry and the v2 TCP bridge. Both are built
// once per process and outlive in-process restarts: bridge nodes stay connected while
// the gateway restarts (role-node WebSockets are closed with the old server and
// unregister); the bridge's pairing broadcasts go to whichever server is current, and
// the current server installs itself as the registry's observer (presence).
type nodesService struct {
	reg *live.Registry
	br  *bridge.Server
	// methods is the bridge's method table for the current server (set on attach).
	methods atomic.Pointer[protocol.Mux[*bridge.Caller]]
	s       *services
}

func buildNodes(ctx context.Context, s *services) (component, error) {
	c := &nodesService{reg: live.New(live.Options{Logger: s.log, Allow: nodePolicy(s.file)}), s: s}
	// A node that connects gets the current wake words at once (the original's
	// voicewake.changed after hello-ok), so it never listens for stale ones.
	stateDir, reg, log := s.paths.StateDir, c.reg, s.log
	c.reg.SetConnectHandler(func(nodeID string) {
		ev := &protocol.VoicewakeChangedEvent{Triggers: voicewake.Load(stateDir).Triggers}
		if err := reg.SendEvent(nodeID, ev); err != nil && !errors.Is(err, live.ErrNoEvents) {
			log.Debug("voicewake snapshot not sent", "node", nodeID, "err", err)
		}
	})
	if s.nodeStore == nil {
		return c, nil
	}
	if !s.file.Features(s.env).Bridge {
		s.log.Info("bridge disabled (bridge.enabled / CLAWDBOT_BRIDGE_ENABLED)")
		return c, nil
	}
	res, err := config.Resolve(&s.file.Config, s.env, s.flags)
	if err != nil {
		c.reg.Close()
		return nil, err
	}
	// The bridge listens where the gateway does (gateway.bind / --bind, loopback by
	// default) unless bridge.bind says otherwise.
	host := res.Host
	if b := s.file.Config.Bridge; b != nil && b.Bind != nil {
		h, ok := bridge.BindHost(string(*b.Bind), config.TailnetIPv4)
		if !ok {
			s.log.Warn("bridge not started: bridge.bind is tailnet but this machine has no tailnet address")
			return c, nil
		}
		host = h
	}
	addr := net.JoinHostPort(host, strconv.Itoa(res.BridgePort))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		// Nodes are an add-on: the gateway still runs, as in the original.
		s.log.Warn("bridge not started", "addr", addr, "err", err)
		return c, nil
	}
	name, _ := os.Hostname()
	br, err := bridge.New(bridge.Options{
		Store: s.nodeStore, Live: c.reg, ServerName: name, Logger: s.log,
		Methods: c.methods.Load,
		Broadcast: func(ev protocol.Event) {
			if srv := s.server(); srv != nil {
				srv.Broadcast(ev)
			}
		},
	})
	if err != nil {
		_ = ln.Close()
		c.reg.Close()
		return nil, err
	}
	c.br = br
	go func() {
		if err := br.Serve(ln); err != nil {
			s.log.Error("bridge stopped", "err", err)
		}
	}()
	return c, nil
}

// attach gives the bridge's node req frames the new server's method table.
func (c *nodesService) attach(srv *gateway.Server, _ *methods) error {
	m := core.BridgeMethods(srv)
	if rt := c.s.rt; rt != nil {
		// The agent's chat and sessions groups, for the apps' chat over the bridge.
		b := agent.NewBridgeHandlers(rt)
		m.SetChat(b)
		m.SetSessions(b)
	}
	if c.s.persona != nil {
		m.SetAgents(persona.NewHandler[*bridge.Caller](c.s.persona)) // models.list
	}
	c.methods.Store(m)
	return nil
}

func (c *nodesService) close(ctx context.Context) error {
	var err error
	if c.br != nil {
		err = c.br.Close(ctx)
	}
	c.reg.Close()
	return err
}

// liveNodes is the process's live node registry (nil when the nodes service is absent).
func (s *services) liveNodes() *live.Registry {
	for _, c := range s.list {
		if n, ok := c.(*nodesService); ok {
			return n.reg
		}
	}
	return nil
}

// nodePolicy is gateway.nodes.allowCommands (added to the platform defaults) and
// denyCommands (removed, deny wins).
func nodePolicy(f *config.File) *live.Policy {
	p := live.DefaultPolicy()
	if n := f.Config.Gateway; n != nil && n.Nodes != nil {
		for _, c := range n.Nodes.AllowCommands {
			if c = strings.TrimSpace(c); c != "" {
				p.Extra = append(p.Extra, c)
			}
		}
		for _, c := range n.Nodes.DenyCommands {
			if c = strings.TrimSpace(c); c != "" {
				p.Deny = append(p.Deny, c)
			}
		}
	}
	return p
}

// reconfigure applies a reloaded gateway.nodes policy to the connected nodes at once.
func (c *nodesService) reconfigure(_ context.Context, next *config.File) {
	c.reg.SetPolicy(nodePolicy(next))
}
