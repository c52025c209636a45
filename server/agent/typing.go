package agent

import (
	"strings"
	"time"

	"github.com/clawgate/gateway/server/providers"
)

// Typing modes of channel replies (session.typingMode, agents.defaults.typingMode).
const (
	TypingNever   = "never"   // no indicator
	TypingInstant = "instant" // from the start of the run
	TypingMessage = "message" // from the first text of the reply (or tool call)
	// TypingThinking starts on the first reasoning delta in the original. The model
	// layer here does not stream reasoning, so it starts as "message" does: on the
	// first text or tool call (docs/DIFFERENCES.md).
	TypingThinking = "thinking"
)

// typing resolves how a delivered run shows its typing indicator: the reply stream's
// providers.Outbound.Typing and TypingInterval. Heartbeats never type; an unset mode
// is instant in direct chats and for group messages that addressed the bot, and
// "message" for other group messages (a group answering every message should not
// look busy before the agent has something to say).
func (rt *Runtime) typing(r *Run) (string, time.Duration) {
	var mode string
	var interval time.Duration
	if rt.opts.Typing != nil {
		mode, interval = rt.opts.Typing()
	}
	switch {
	case r.req.Source == "heartbeat":
		mode = TypingNever
	case mode == "" && r.req.Group && !r.req.Mentioned:
		mode = TypingMessage
	case mode == "":
		mode = TypingInstant
	}
	switch mode {
	case TypingNever:
		return providers.TypingNever, interval
	case TypingMessage, TypingThinking:
		return providers.TypingDeferred, interval
	}
	return providers.TypingInstant, interval
}

// startTyping starts a deferred typing indicator once the run has something to show:
// text (not a silent reply in the making, nor only MEDIA: lines) or a tool call
// (text is then ""). Other streams ignore it (providers.StreamTyping).
func (rt *Runtime) startTyping(r *Run, stream providers.ReplyStream, text string, tool bool) {
	if stream == nil {
		return
	}
	if !tool {
		t := strings.TrimSpace(text)
		if t == "" || strings.HasPrefix(SilentReplyToken, t) {
			return
		}
	}
	providers.StreamTyping(stream)
}
