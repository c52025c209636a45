package agent

import (
	"testing"
	"time"

	"github.com/clawgate/gateway/server/providers"
)

// TestTypingResolution: how a delivered run's reply stream types. Unset, direct chats
// and group messages that addressed the bot type at once and other group messages
// once text comes; a configured mode wins; heartbeats never type; the interval is
// passed on.
func TestTypingResolution(t *testing.T) {
	for _, tc := range []struct {
		name             string
		mode             string
		req              Request
		want             string
		noConfigCallback bool
	}{
		{"direct, unset", "", Request{}, providers.TypingInstant, false},
		{"no config at all", "", Request{}, providers.TypingInstant, true},
		{"group mention, unset", "", Request{Group: true, Mentioned: true}, providers.TypingInstant, false},
		{"group without mention, unset", "", Request{Group: true}, providers.TypingDeferred, false},
		{"group without mention, no config", "", Request{Group: true}, providers.TypingDeferred, true},
		{"group without mention, instant", TypingInstant, Request{Group: true}, providers.TypingInstant, false},
		{"direct, never", TypingNever, Request{}, providers.TypingNever, false},
		{"direct, message", TypingMessage, Request{}, providers.TypingDeferred, false},
		{"direct, thinking", TypingThinking, Request{}, providers.TypingDeferred, false},
		{"heartbeat, instant", TypingInstant, Request{Source: "heartbeat"}, providers.TypingNever, false},
	} {
		rt := &Runtime{}
		if !tc.noConfigCallback {
			rt.opts.Typing = func() (string, time.Duration) { return tc.mode, 3 * time.Second }
		}
		got, iv := rt.typing(&Run{req: tc.req})
		wantIv := 3 * time.Second
		if tc.noConfigCallback {
			wantIv = 0
		}
		if got != tc.want || iv != wantIv {
			t.Errorf("%s: %q %v, want %q %v", tc.name, got, iv, tc.want, wantIv)
		}
	}
}

// recTypingStream records StartTyping calls.
type recTypingStream struct {
	providers.ReplyStream
	started int
}

func (s *recTypingStream) StartTyping() { s.started++ }

// TestStartTypingOnRenderableText: a deferred indicator starts on text the reply will
// show or on a tool call, not on blank text or what may become the silent reply.
func TestStartTypingOnRenderableText(t *testing.T) {
	rt := &Runtime{}
	for _, tc := range []struct {
		text  string
		tool  bool
		start bool
	}{
		{"Hello", false, true},
		{"  \n", false, false},
		{"NO_", false, false},
		{"NO_REPLY", false, false},
		{"No problem", false, true},
		{"", true, true},
	} {
		s := &recTypingStream{}
		rt.startTyping(&Run{}, s, tc.text, tc.tool)
		if (s.started > 0) != tc.start {
			t.Errorf("%q tool=%v: started %v, want %v", tc.text, tc.tool, s.started > 0, tc.start)
		}
	}
}
