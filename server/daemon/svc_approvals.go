package daemon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/clawgate/gateway/server/approvals"
	"github.com/clawgate/gateway/server/execapprove"
	"github.com/clawgate/gateway/server/gateway"
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
	c.manager = execapprove.NewManager(execapprove.ManagerOptions{Events: approvals.Events{Out: c.current}})
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
