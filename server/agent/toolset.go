package agent

import (
	"context"
	"errors"

	"github.com/clawgate/gateway/server/agent/tools"
)

// ErrNoTools is ToolSet on an agent without a tool loop (a CLI backend, or no engine).
var ErrNoTools = errors.New("agent: this agent configuration has no tools")

// ToolSet builds the tool set a run on sessionKey would get — the same tools, tool
// policy (tools.profile / allow / deny) and exec approvals gate — for a direct
// invocation outside a run (POST /tools/invoke). channel and accountID are the
// optional message-channel hints; callID names the invocation as a run id would.
// cleanup must be called when the invocation is done.
func (rt *Runtime) ToolSet(ctx context.Context, callID, sessionKey, channel, accountID string) (*tools.Set, func(), error) {
	mc := rt.modelConfig()
	if mc == nil || mc.Engine == nil || mc.Engine.Tools == nil {
		return nil, nil, ErrNoTools
	}
	if sessionKey == "" {
		sessionKey = rt.MainSessionKey()
	}
	set, cleanup, err := mc.Engine.Tools(ctx, RunInfo{RunID: callID, SessionKey: sessionKey, Channel: channel, AccountID: accountID,
		Sessions: rt.SessionsAPI(), MainKey: rt.MainSessionKey()})
	if err != nil {
		return nil, nil, err
	}
	if cleanup == nil {
		cleanup = func() {}
	}
	return set, cleanup, nil
}
