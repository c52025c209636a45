package agent

import (
	"context"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/bridge"
)

// BridgeHandlers serve the chat and sessions groups to v2 bridge nodes (the iOS and
// Android apps' chat over the TCP bridge), which the manifest allows chat.send,
// chat.history, chat.abort and sessions.*. As in the original's bridge, chat.send is
// acknowledged at once ({runId, status: "started"}; "in_flight" or the outcome for a
// repeated idempotencyKey) and the node reads the answer with chat.history. Chat
// commands in a node's message run as "node:<id>" with an operator's rights.
type BridgeHandlers struct{ h *Handlers }

// NewBridgeHandlers returns the bridge's chat and sessions groups backed by rt.
func NewBridgeHandlers(rt *Runtime) *BridgeHandlers { return &BridgeHandlers{h: NewHandlers(rt)} }

var (
	_ protocol.ChatHandler[*bridge.Caller]     = (*BridgeHandlers)(nil)
	_ protocol.SessionsHandler[*bridge.Caller] = (*BridgeHandlers)(nil)
)

func (b *BridgeHandlers) ChatSend(ctx context.Context, c *bridge.Caller, p *protocol.ChatSendParams) (*protocol.ChatSendResult, error) {
	return b.h.chatSend(ctx, "node:"+c.NodeID(), ackAtOnce, c.Done(), p)
}

// ackAtOnce makes chatSend acknowledge before the run ends (its protocol-3 answer),
// which is what the original's bridge answered.
const ackAtOnce = 3

func (b *BridgeHandlers) ChatAbort(ctx context.Context, c *bridge.Caller, p *protocol.ChatAbortParams) (*protocol.ChatAbortResult, error) {
	return b.h.chatAbort(3, p) // with runIds, as the original's bridge answered
}

// The methods below do not depend on the caller.

func (b *BridgeHandlers) ChatHistory(ctx context.Context, _ *bridge.Caller, p *protocol.ChatHistoryParams) (*protocol.ChatHistoryResult, error) {
	return b.h.ChatHistory(ctx, nil, p)
}

func (b *BridgeHandlers) ChatInject(ctx context.Context, _ *bridge.Caller, p *protocol.ChatInjectParams) (*protocol.ChatInjectResult, error) {
	return b.h.ChatInject(ctx, nil, p)
}

func (b *BridgeHandlers) SessionsList(ctx context.Context, _ *bridge.Caller, p *protocol.SessionsListParams) (*protocol.SessionsListResult, error) {
	return b.h.SessionsList(ctx, nil, p)
}

func (b *BridgeHandlers) SessionsPatch(ctx context.Context, _ *bridge.Caller, p *protocol.SessionsPatchParams) (*protocol.SessionsPatchResult, error) {
	return b.h.SessionsPatch(ctx, nil, p)
}

func (b *BridgeHandlers) SessionsReset(ctx context.Context, _ *bridge.Caller, p *protocol.SessionsResetParams) (*protocol.SessionsResetResult, error) {
	return b.h.SessionsReset(ctx, nil, p)
}

func (b *BridgeHandlers) SessionsDelete(ctx context.Context, _ *bridge.Caller, p *protocol.SessionsDeleteParams) (*protocol.SessionsDeleteResult, error) {
	return b.h.SessionsDelete(ctx, nil, p)
}

func (b *BridgeHandlers) SessionsCompact(ctx context.Context, _ *bridge.Caller, p *protocol.SessionsCompactParams) (*protocol.SessionsCompactResult, error) {
	return b.h.SessionsCompact(ctx, nil, p)
}

func (b *BridgeHandlers) SessionsPreview(ctx context.Context, _ *bridge.Caller, p *protocol.SessionsPreviewParams) (*protocol.SessionsPreviewResult, error) {
	return b.h.SessionsPreview(ctx, nil, p)
}

func (b *BridgeHandlers) SessionsResolve(ctx context.Context, _ *bridge.Caller, p *protocol.SessionsResolveParams) (*protocol.SessionsResolveResult, error) {
	return b.h.SessionsResolve(ctx, nil, p)
}
