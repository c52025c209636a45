package daemon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/clawgate/gateway/server/approvals"
	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/execapprove"
	"github.com/clawgate/gateway/server/execforward"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/providers"
)

// approvalsService owns the exec approvals of the process: the pending approvals
// (execapprove.Manager, shared by the wire methods and the agent's exec gate, which
// uses s.approvals as its Asker) and the approvals file (~/.clawdbot/exec-approvals.json,
// in the user's home as the original places it, whatever the state dir). Both outlive
// in-process restarts; the events go to whichever server is current.
type approvalsService struct {
	manager *execapprove.Manager
	store   *execapprove.Store
	s       *services
	// forward is approvals.exec of the running config (execforward; reconfigure).
	forward atomic.Pointer[execforward.Config]
}

func buildApprovals(ctx context.Context, s *services) (component, error) {
	home := s.home
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return nil, fmt.Errorf("exec approvals: %w", err)
		}
		home = h
	}
	c := &approvalsService{
		store: execapprove.NewStore(execapprove.DefaultPath(home), filepath.Join(home, execapprove.DefaultSocketRel)),
		s:     s,
	}
	c.forward.Store(forwardConfig(s.file))
	fw := execforward.New(execforward.Options{Config: c.forward.Load, SessionTarget: c.sessionTarget,
		Sender: s.sender, Logger: s.log.With("subsystem", "exec-approvals")})
	c.manager = execapprove.NewManager(execapprove.ManagerOptions{Events: teeBroadcaster{approvals.Events{Out: c.current}, fw}})
	s.approvals = c.manager
	s.approvalsStore = c.store
	return c, nil
}

// current is the running server as the events' broadcaster (nil between servers).
func (c *approvalsService) current() approvals.Broadcaster {
	if srv := c.s.server(); srv != nil {
		return srv
	}
	return nil
}

func (c *approvalsService) attach(srv *gateway.Server, mux *methods) error {
	o := approvals.Options{Manager: c.manager, Store: c.store}
	if reg := c.s.liveNodes(); reg != nil {
		o.Nodes = reg
	}
	mux.SetApprovals(approvals.New[*gateway.Conn](o))
	return nil
}

func (c *approvalsService) close(ctx context.Context) error { return nil }

// reconfigure applies a reloaded approvals.exec to the next approval.
func (c *approvalsService) reconfigure(_ context.Context, next *config.File) {
	c.forward.Store(forwardConfig(next))
}

// sessionTarget is where session key's replies go (its last channel and recipient),
// read from the agent runtime's store (nil before the runtime exists).
func (c *approvalsService) sessionTarget(ctx context.Context, key string) (execforward.Target, bool) {
	rt := c.s.rt
	if rt == nil {
		return execforward.Target{}, false
	}
	ss, err := rt.Store().Get(ctx, key)
	if err != nil || ss.LastChannel == "" || ss.LastChannel == "webchat" || ss.LastTo == "" {
		return execforward.Target{}, false
	}
	return execforward.Target{Channel: ss.LastChannel, Outbound: providers.Outbound{To: ss.LastTo, AccountID: ss.LastAccountID}}, true
}

// forwardConfig is approvals.exec of f (nil: off).
func forwardConfig(f *config.File) *execforward.Config {
	if f == nil || f.Config.Approvals == nil || f.Config.Approvals.Exec == nil {
		return nil
	}
	e := f.Config.Approvals.Exec
	c := &execforward.Config{Enabled: e.Enabled != nil && *e.Enabled, AgentFilter: e.AgentFilter, SessionFilter: e.SessionFilter}
	if e.Mode != nil {
		c.Mode = string(*e.Mode)
	}
	for _, t := range e.Targets {
		tg := execforward.Target{Channel: strings.ToLower(strings.TrimSpace(t.Channel)), Outbound: providers.Outbound{To: strings.TrimSpace(t.To)}}
		if t.AccountID != nil {
			tg.AccountID = *t.AccountID
		}
		c.Targets = append(c.Targets, tg)
	}
	return c
}

// teeBroadcaster hands approval events to several broadcasters (the clients, the chats).
type teeBroadcaster []execapprove.Broadcaster

func (t teeBroadcaster) ApprovalRequested(r execapprove.Record) {
	for _, b := range t {
		b.ApprovalRequested(r)
	}
}

func (t teeBroadcaster) ApprovalResolved(r execapprove.Resolved) {
	for _, b := range t {
		b.ApprovalResolved(r)
	}
}
