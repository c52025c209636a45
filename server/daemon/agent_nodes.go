package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/clawgate/gateway/server/agent/tools"
	"github.com/clawgate/gateway/server/approvals"
	"github.com/clawgate/gateway/server/execapprove"
	"github.com/clawgate/gateway/server/nodes"
	"github.com/clawgate/gateway/server/nodes/live"
)

// errAgentPairing refuses pairing decisions from the agent: approving a device grants
// it a token to this gateway, which stays an operator's call (node.pair.approve).
var errAgentPairing = errors.New("pairing requests are approved or rejected by an operator (node.pair.approve / node.pair.reject), not by the agent")

// agentNodes is the nodes, canvas and exec (host=node) tools' view of the gateway's
// node registry: the connected nodes and node.invoke, under the same command allowlist
// as any client's node.invoke.
type agentNodes struct {
	reg   *live.Registry
	store *nodes.Store
}

func (a agentNodes) List(ctx context.Context) ([]tools.NodeInfo, error) {
	var out []tools.NodeInfo
	for _, n := range a.reg.List() {
		info := tools.NodeInfo{NodeID: n.NodeID, DisplayName: n.DisplayName, Platform: n.Platform, RemoteIP: n.RemoteIP,
			Caps: n.Caps, Commands: n.Commands, Connected: true}
		if a.store != nil {
			_, info.Paired = a.store.Paired(n.NodeID)
		}
		out = append(out, info)
	}
	return out, nil
}

func (a agentNodes) Describe(ctx context.Context, nodeID string) (json.RawMessage, error) {
	n, ok := a.reg.Get(nodeID)
	if !ok {
		return nil, fmt.Errorf("node %s is not connected", nodeID)
	}
	return json.Marshal(map[string]any{"nodeId": n.NodeID, "displayName": n.DisplayName, "platform": n.Platform, "version": n.Version,
		"deviceFamily": n.DeviceFamily, "modelIdentifier": n.ModelIdentifier, "remoteIp": n.RemoteIP, "caps": n.Caps,
		"commands": n.Commands, "permissions": n.Permissions, "connectedAtMs": n.ConnectedAt.UnixMilli(), "connected": true})
}

func (a agentNodes) PairList(ctx context.Context) (json.RawMessage, error) {
	if a.store == nil {
		return json.RawMessage(`{"pending":[],"paired":[]}`), nil
	}
	return json.Marshal(a.store.List())
}

func (a agentNodes) PairApprove(context.Context, string) (json.RawMessage, error) {
	return nil, errAgentPairing
}

func (a agentNodes) PairReject(context.Context, string) (json.RawMessage, error) {
	return nil, errAgentPairing
}

func (a agentNodes) Invoke(ctx context.Context, req tools.InvokeRequest) (json.RawMessage, error) {
	ip := live.InvokeParams{NodeID: strings.TrimSpace(req.NodeID), Command: strings.TrimSpace(req.Command), IdempotencyKey: req.IdempotencyKey}
	if req.Params != nil {
		b, err := json.Marshal(req.Params)
		if err != nil {
			return nil, err
		}
		ip.Params = b
	}
	if req.Timeout > 0 {
		d := req.Timeout
		ip.Timeout = &d
	} else {
		d := 30 * time.Second
		ip.Timeout = &d
	}
	res, err := a.reg.Invoke(ctx, ip)
	if err != nil {
		return nil, err
	}
	if res.PayloadJSON == nil || *res.PayloadJSON == "" {
		return json.RawMessage(`{}`), nil
	}
	raw := []byte(*res.PayloadJSON)
	if !json.Valid(raw) {
		return json.Marshal(map[string]string{"payloadJSON": *res.PayloadJSON})
	}
	return raw, nil
}

// NodeApprovalsFile reads a node's own exec approvals (system.execApprovals.get), so
// the agent's node system.run is judged against the node's policy as well as ours.
func (a agentNodes) NodeApprovalsFile(ctx context.Context, nodeID string) (*execapprove.File, error) {
	return approvals.NodeFile(ctx, a.reg, nodeID, 5*time.Second)
}
