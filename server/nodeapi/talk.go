package nodeapi

import (
	"context"
	"errors"
	"strings"

	"github.com/clawgate/gateway/gen/go/protocol"
)

// ErrTalkNoMobileNode is the cause of talk.mode's answer to a webchat client while no
// iOS or Android node is connected: the phone does the talking.
var ErrTalkNoMobileNode = errors.New("talk disabled: no connected iOS/Android nodes")

// TalkMode passes a client's talk mode on to every client (talk.mode event) and
// answers with what it sent.
func (h *Handler[C]) TalkMode(ctx context.Context, c C, p *protocol.TalkModeParams) (*protocol.TalkModeResult, error) {
	if isWebchat(c) && !h.mobileNodeConnected() {
		return nil, protocol.ErrorCodeUnavailable.Errorf("%v", ErrTalkNoMobileNode)
	}
	ev := &protocol.TalkModeEvent{Enabled: p.Enabled, Phase: p.Phase, Ts: h.opts.Now().UnixMilli()}
	h.out.Broadcast(ev)
	return &protocol.TalkModeResult{Enabled: ev.Enabled, Phase: ev.Phase, Ts: ev.Ts}, nil
}

// isWebchat: a webchat client (mode "webchat" or the webchat UI's client id).
func isWebchat[C Conn](c C) bool {
	return strings.EqualFold(strings.TrimSpace(c.ClientMode()), "webchat") ||
		strings.EqualFold(strings.TrimSpace(c.ClientID()), "webchat-ui")
}

// mobileNodeConnected: a connected node's platform starts with ios, ipados or android.
func (h *Handler[C]) mobileNodeConnected() bool {
	if h.opts.Live == nil {
		return false
	}
	for _, n := range h.opts.Live.List() {
		p := strings.ToLower(strings.TrimSpace(n.Platform))
		if strings.HasPrefix(p, "ios") || strings.HasPrefix(p, "ipados") || strings.HasPrefix(p, "android") {
			return true
		}
	}
	return false
}
