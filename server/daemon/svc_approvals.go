package daemon

import (
	"context"

	"github.com/clawgate/gateway/server/execapprove"
)

// buildApprovals creates the exec approvals manager the agent's exec gate asks
// through (services.approvals). The approvals wire side (methods, events) is built on
// top of it.
func buildApprovals(ctx context.Context, s *services) (component, error) {
	s.approvals = execapprove.NewManager(execapprove.ManagerOptions{})
	return nil, nil
}
