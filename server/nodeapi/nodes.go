package nodeapi

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/nodes"
	"github.com/clawgate/gateway/server/nodes/live"
	"github.com/clawgate/gateway/tools/protogen/runtime/rpc"
)

// The node pairing methods run on the pairing store; node.list and node.describe add
// the live registry's connected nodes (nodes_live.go, which also serves node.invoke).

func (h *Handler[C]) nodeStore() (*nodes.Store, error) {
	if h.opts.Store == nil {
		return nil, protocol.ErrorCodeUnavailable.Errorf("%v", ErrNotConfigured)
	}
	return h.opts.Store, nil
}

// nodeErr maps the store's errors to protocol errors.
func nodeErr(err error) error {
	var ne *nodes.Error
	if errors.As(err, &ne) {
		return &rpc.Error{Code: ne.Code, Message: ne.Message, Err: err}
	}
	return err
}

func (h *Handler[C]) NodePairRequest(ctx context.Context, c C, p *protocol.NodePairRequestParams) (*protocol.NodePairRequestResult, error) {
	st, err := h.nodeStore()
	if err != nil {
		return nil, err
	}
	req, created, err := st.Request(*p, c.RemoteHost())
	if err != nil {
		return nil, nodeErr(err)
	}
	if created {
		h.out.Broadcast(&req)
	}
	return &protocol.NodePairRequestResult{Request: req, Created: created}, nil
}

func (h *Handler[C]) NodePairList(ctx context.Context, c C, p *protocol.NodePairListParams) (*protocol.NodePairListResult, error) {
	st, err := h.nodeStore()
	if err != nil {
		return nil, err
	}
	r := st.List()
	return &r, nil
}

func (h *Handler[C]) NodePairApprove(ctx context.Context, c C, p *protocol.NodePairApproveParams) (*protocol.NodePairApproveResult, error) {
	st, err := h.nodeStore()
	if err != nil {
		return nil, err
	}
	node, token, err := st.Approve(p.RequestID)
	if err != nil {
		return nil, nodeErr(err)
	}
	h.out.Broadcast(&protocol.NodePairResolvedEvent{RequestID: p.RequestID, NodeID: node.NodeID, Decision: protocol.PairingDecisionApproved, Ts: h.opts.Now().UnixMilli()})
	return &protocol.NodePairApproveResult{RequestID: p.RequestID, Node: node, Token: token}, nil
}

func (h *Handler[C]) NodePairReject(ctx context.Context, c C, p *protocol.NodePairRejectParams) (*protocol.NodePairRejectResult, error) {
	st, err := h.nodeStore()
	if err != nil {
		return nil, err
	}
	id, err := st.Reject(p.RequestID)
	if err != nil {
		return nil, nodeErr(err)
	}
	h.out.Broadcast(&protocol.NodePairResolvedEvent{RequestID: p.RequestID, NodeID: id, Decision: protocol.PairingDecisionRejected, Ts: h.opts.Now().UnixMilli()})
	return &protocol.NodePairRejectResult{RequestID: p.RequestID, NodeID: id}, nil
}

func (h *Handler[C]) NodePairVerify(ctx context.Context, c C, p *protocol.NodePairVerifyParams) (*protocol.NodePairVerifyResult, error) {
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

func (h *Handler[C]) NodeRename(ctx context.Context, c C, p *protocol.NodeRenameParams) (*protocol.NodeRenameResult, error) {
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

// mergeLive lays a connected node's live data over its paired record (live preferred).
func mergeLive(i protocol.NodeInfo, n live.Node) protocol.NodeInfo {
	set := func(dst **string, v string) {
		if v != "" {
			*dst = &v
		}
	}
	i.NodeID = n.NodeID
	set(&i.DisplayName, n.DisplayName)
	set(&i.Platform, n.Platform)
	set(&i.Version, n.Version)
	set(&i.DeviceFamily, n.DeviceFamily)
	set(&i.ModelIdentifier, n.ModelIdentifier)
	set(&i.RemoteIP, n.RemoteIP)
	if len(n.Caps) > 0 {
		i.Caps = sortedSet(n.Caps)
	}
	if len(n.Commands) > 0 {
		i.Commands = sortedSet(n.Commands)
	}
	if len(n.Permissions) > 0 {
		i.Permissions = n.Permissions
	}
	if i.Caps == nil {
		i.Caps = []string{}
	}
	if i.Commands == nil {
		i.Commands = []string{}
	}
	i.Connected = true
	return i
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

// knownNodes is the union of paired and connected nodes, by node id.
func (h *Handler[C]) knownNodes() map[string]protocol.NodeInfo {
	out := map[string]protocol.NodeInfo{}
	if st := h.opts.Store; st != nil {
		for _, n := range st.List().Paired {
			out[n.NodeID] = nodeInfo(n)
		}
	}
	if reg := h.opts.Live; reg != nil {
		for _, n := range reg.List() {
			out[n.NodeID] = mergeLive(out[n.NodeID], n)
		}
	}
	return out
}

func (h *Handler[C]) NodeList(ctx context.Context, c C, p *protocol.NodeListParams) (*protocol.NodeListResult, error) {
	if h.opts.Store == nil && h.opts.Live == nil {
		_, err := h.nodeStore()
		return nil, err
	}
	all := h.knownNodes()
	out := make([]protocol.NodeInfo, 0, len(all))
	for _, n := range all {
		out = append(out, n)
	}
	// Connected first, then display name (case-insensitive), then node id (§3.8).
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Connected != out[j].Connected {
			return out[i].Connected
		}
		a, b := strings.ToLower(out[i].GetDisplayName()), strings.ToLower(out[j].GetDisplayName())
		if a != b {
			return a < b
		}
		return out[i].NodeID < out[j].NodeID
	})
	return &protocol.NodeListResult{Ts: h.opts.Now().UnixMilli(), Nodes: out}, nil
}

func (h *Handler[C]) NodeDescribe(ctx context.Context, c C, p *protocol.NodeDescribeParams) (*protocol.NodeDescribeResult, error) {
	if h.opts.Store == nil && h.opts.Live == nil {
		_, err := h.nodeStore()
		return nil, err
	}
	id := strings.TrimSpace(p.NodeID)
	if id == "" {
		return nil, protocol.ErrorCodeInvalidRequest.Errorf("nodeId required")
	}
	var i protocol.NodeInfo
	found := false
	if st := h.opts.Store; st != nil {
		if n, ok := st.Paired(id); ok {
			i, found = nodeInfo(n), true
		}
	}
	if reg := h.opts.Live; reg != nil {
		if n, ok := reg.Get(id); ok {
			i, found = mergeLive(i, n), true
		}
	}
	if !found {
		return nil, protocol.ErrorCodeInvalidRequest.Errorf("unknown nodeId")
	}
	return &protocol.NodeDescribeResult{
		NodeID: i.NodeID, DisplayName: i.DisplayName, Platform: i.Platform, Version: i.Version, DeviceFamily: i.DeviceFamily,
		ModelIdentifier: i.ModelIdentifier, RemoteIP: i.RemoteIP, Caps: i.Caps, Commands: i.Commands, Permissions: i.Permissions,
		Paired: i.Paired, Connected: i.Connected, Ts: h.opts.Now().UnixMilli(),
	}, nil
}
