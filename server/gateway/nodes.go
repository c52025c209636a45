package gateway

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/nodes"
)

// The node pairing methods run on the pairing store. Live node connections (the v2
// bridge, v3 role-node sockets) and node.invoke come with the nodes capability; until
// then nodes are listed as paired but not connected, and invoking one says so.

func (h *handlers) nodeStore() (*nodes.Store, error) {
	if h.s.opts.Nodes == nil {
		return nil, Unavailable("node pairing is not configured (no state dir)")
	}
	return h.s.opts.Nodes, nil
}

// nodeErr maps the store's errors to protocol errors.
func nodeErr(err error) error {
	var ne *nodes.Error
	if errors.As(err, &ne) {
		return &Error{Code: ne.Code, Message: ne.Message}
	}
	return err
}

func (h *handlers) NodePairRequest(ctx context.Context, c *Conn, p *protocol.NodePairRequestParams) (*protocol.NodePairRequestResult, error) {
	st, err := h.nodeStore()
	if err != nil {
		return nil, err
	}
	req, created, err := st.Request(*p, deref(remoteIP(c)))
	if err != nil {
		return nil, nodeErr(err)
	}
	if created {
		h.s.hub.broadcast(&req, nil)
	}
	return &protocol.NodePairRequestResult{Request: req, Created: created}, nil
}

func (h *handlers) NodePairList(ctx context.Context, c *Conn, p *protocol.NodePairListParams) (*protocol.NodePairListResult, error) {
	st, err := h.nodeStore()
	if err != nil {
		return nil, err
	}
	r := st.List()
	return &r, nil
}

func (h *handlers) NodePairApprove(ctx context.Context, c *Conn, p *protocol.NodePairApproveParams) (*protocol.NodePairApproveResult, error) {
	st, err := h.nodeStore()
	if err != nil {
		return nil, err
	}
	node, token, err := st.Approve(p.RequestID)
	if err != nil {
		return nil, nodeErr(err)
	}
	h.s.hub.broadcast(&protocol.NodePairResolvedEvent{RequestID: p.RequestID, NodeID: node.NodeID, Decision: protocol.PairingDecisionApproved, Ts: h.s.opts.Now().UnixMilli()}, nil)
	return &protocol.NodePairApproveResult{RequestID: p.RequestID, Node: node, Token: token}, nil
}

func (h *handlers) NodePairReject(ctx context.Context, c *Conn, p *protocol.NodePairRejectParams) (*protocol.NodePairRejectResult, error) {
	st, err := h.nodeStore()
	if err != nil {
		return nil, err
	}
	id, err := st.Reject(p.RequestID)
	if err != nil {
		return nil, nodeErr(err)
	}
	h.s.hub.broadcast(&protocol.NodePairResolvedEvent{RequestID: p.RequestID, NodeID: id, Decision: protocol.PairingDecisionRejected, Ts: h.s.opts.Now().UnixMilli()}, nil)
	return &protocol.NodePairRejectResult{RequestID: p.RequestID, NodeID: id}, nil
}

func (h *handlers) NodePairVerify(ctx context.Context, c *Conn, p *protocol.NodePairVerifyParams) (*protocol.NodePairVerifyResult, error) {
	st, err := h.nodeStore()
	if err != nil {
		return nil, err
	}
	node, ok := st.Verify(p.NodeID, p.Token)
	if !ok {
		return &protocol.NodePairVerifyResult{Ok: false}, nil
	}
	return &protocol.NodePairVerifyResult{Ok: true, Node: &node}, nil
}

func (h *handlers) NodeRename(ctx context.Context, c *Conn, p *protocol.NodeRenameParams) (*protocol.NodeRenameResult, error) {
	st, err := h.nodeStore()
	if err != nil {
		return nil, err
	}
	r, err := st.Rename(p.NodeID, p.DisplayName)
	if err != nil {
		return nil, nodeErr(err)
	}
	return &r, nil
}

func nodeInfo(n protocol.PairedNode) protocol.NodeInfo {
	return protocol.NodeInfo{
		NodeID: n.NodeID, DisplayName: n.DisplayName, Platform: n.Platform, Version: n.Version,
		DeviceFamily: n.DeviceFamily, ModelIdentifier: n.ModelIdentifier, RemoteIP: n.RemoteIP,
		Caps: sortedSet(n.Caps), Commands: sortedSet(n.Commands), Permissions: n.Permissions, Paired: true,
	}
}

func sortedSet(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	out = slices.Compact(out)
	if out == nil {
		out = []string{}
	}
	return out
}

func (h *handlers) NodeList(ctx context.Context, c *Conn, p *protocol.NodeListParams) (*protocol.NodeListResult, error) {
	st, err := h.nodeStore()
	if err != nil {
		return nil, err
	}
	paired := st.List().Paired
	out := make([]protocol.NodeInfo, 0, len(paired))
	for _, n := range paired {
		out = append(out, nodeInfo(n))
	}
	// Display name (case-insensitive), then node id.
	sort.SliceStable(out, func(i, j int) bool {
		a, b := strings.ToLower(deref(out[i].DisplayName)), strings.ToLower(deref(out[j].DisplayName))
		if a != b {
			return a < b
		}
		return out[i].NodeID < out[j].NodeID
	})
	return &protocol.NodeListResult{Ts: h.s.opts.Now().UnixMilli(), Nodes: out}, nil
}

func (h *handlers) NodeDescribe(ctx context.Context, c *Conn, p *protocol.NodeDescribeParams) (*protocol.NodeDescribeResult, error) {
	st, err := h.nodeStore()
	if err != nil {
		return nil, err
	}
	id := strings.TrimSpace(p.NodeID)
	if id == "" {
		return nil, Invalid("nodeId required")
	}
	n, ok := st.Paired(id)
	if !ok {
		return nil, Invalid("unknown nodeId")
	}
	i := nodeInfo(n)
	return &protocol.NodeDescribeResult{
		NodeID: i.NodeID, DisplayName: i.DisplayName, Platform: i.Platform, Version: i.Version, DeviceFamily: i.DeviceFamily,
		ModelIdentifier: i.ModelIdentifier, RemoteIP: i.RemoteIP, Caps: i.Caps, Commands: i.Commands, Permissions: i.Permissions,
		Paired: true, Ts: h.s.opts.Now().UnixMilli(),
	}, nil
}

func (h *handlers) NodeInvoke(ctx context.Context, c *Conn, p *protocol.NodeInvokeParams) (*protocol.NodeInvokeResult, error) {
	return nil, &protocol.ErrNotImplemented{Method: "node.invoke"}
}

func (h *handlers) NodeInvokeResult(ctx context.Context, c *Conn, p *protocol.NodeInvokeResultParams) (*protocol.NodeInvokeResultResult, error) {
	return nil, &protocol.ErrNotImplemented{Method: "node.invoke.result"}
}

func (h *handlers) NodeEvent(ctx context.Context, c *Conn, p *protocol.NodeEventParams) (*protocol.NodeEventResult, error) {
	return nil, &protocol.ErrNotImplemented{Method: "node.event"}
}
