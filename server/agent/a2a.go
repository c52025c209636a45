package agent

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"github.com/clawgate/gateway/server/providers"
)

// Agent-to-agent conversation after sessions_send (the original's A2A flow): the
// target's reply goes back to the requester and the two agents answer each other for
// up to session.agentToAgent.maxPingPongTurns turns (either ends it with REPLY_SKIP);
// then the target agent may post a summary to its own chat (ANNOUNCE_SKIP: silence).
const (
	DefaultPingPongTurns = 5
	MaxPingPongTurns     = 5
	ReplySkipToken       = "REPLY_SKIP"
	AnnounceSkipToken    = "ANNOUNCE_SKIP"
	// a2aStepTimeout bounds one step of the conversation (the original's announce
	// timeout, 30 s by default).
	a2aStepTimeout = 30 * time.Second
	// a2aFirstReplyWait bounds the wait for the target's first reply when
	// sessions_send did not wait for it.
	a2aFirstReplyWait = 60 * time.Second
)

// pingPongTurns is the live session.agentToAgent.maxPingPongTurns, clamped to
// [0, MaxPingPongTurns].
func (rt *Runtime) pingPongTurns() int {
	n := DefaultPingPongTurns
	if rt.opts.PingPongTurns != nil {
		n = rt.opts.PingPongTurns()
	}
	return min(max(n, 0), MaxPingPongTurns)
}

// a2aFlow is one sessions_send's follow-up conversation.
type a2aFlow struct {
	requester, requesterChannel string
	target, message             string
	first                       *Run   // the target's first run, when its reply is not known yet
	reply                       string // the target's first reply
}

// startA2A runs f in the background (it ends with the runtime).
func (rt *Runtime) startA2A(f a2aFlow) {
	rt.wg.Add(1)
	go func() {
		defer rt.wg.Done()
		rt.runA2A(rt.base, f)
	}()
}

// a2aStep runs one message on a session and returns its reply ("" when it failed).
func (rt *Runtime) a2aStep(ctx context.Context, key, message, extra string) string {
	r, _, err := rt.Start(ctx, Request{RunID: "a2a:" + rand.Text(), SessionKey: key, Message: message, ExtraSystemPrompt: extra, Source: "sessions_send"})
	if err != nil {
		rt.log.Warn("agent: agent-to-agent step not started", "session", key, "err", err)
		return ""
	}
	t := time.NewTimer(a2aStepTimeout)
	defer t.Stop()
	select {
	case <-r.Done():
	case <-t.C:
		return ""
	case <-ctx.Done():
		return ""
	}
	if out := r.Outcome(); out.Status == StatusOK {
		return out.Text
	}
	return ""
}

func (rt *Runtime) runA2A(ctx context.Context, f a2aFlow) {
	first := f.reply
	if first == "" && f.first != nil {
		t := time.NewTimer(a2aFirstReplyWait)
		select {
		case <-f.first.Done():
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
		if out := f.first.Outcome(); out.Status == StatusOK {
			first = out.Text
		}
	}
	if strings.TrimSpace(first) == "" {
		return
	}
	targetChannel := "unknown"
	ss, err := rt.opts.Store.Get(ctx, f.target)
	if err == nil && ss.LastChannel != "" {
		targetChannel = ss.LastChannel
	}
	latest := first
	if turns := rt.pingPongTurns(); turns > 0 && f.requester != "" && f.requester != f.target {
		cur, next, incoming := f.requester, f.target, first
		for turn := 1; turn <= turns; turn++ {
			role := "Agent 1 (requester)"
			if cur == f.target {
				role = "Agent 2 (target)"
			}
			lines := []string{"Agent-to-agent reply step:", "Current agent: " + role + ".", fmt.Sprintf("Turn %d of %d.", turn, turns),
				"Agent 1 (requester) session: " + f.requester + "."}
			if f.requesterChannel != "" {
				lines = append(lines, "Agent 1 (requester) channel: "+f.requesterChannel+".")
			}
			lines = append(lines, "Agent 2 (target) session: "+f.target+".", "Agent 2 (target) channel: "+targetChannel+".",
				`If you want to stop the ping-pong, reply exactly "`+ReplySkipToken+`".`)
			out := rt.a2aStep(ctx, cur, incoming, strings.Join(lines, "\n"))
			if strings.TrimSpace(out) == "" || strings.TrimSpace(out) == ReplySkipToken {
				break
			}
			latest, incoming = out, out
			cur, next = next, cur
		}
	}
	lines := []string{"Agent-to-agent announce step:"}
	if f.requester != "" {
		lines = append(lines, "Agent 1 (requester) session: "+f.requester+".")
	}
	if f.requesterChannel != "" {
		lines = append(lines, "Agent 1 (requester) channel: "+f.requesterChannel+".")
	}
	lines = append(lines, "Agent 2 (target) session: "+f.target+".", "Agent 2 (target) channel: "+targetChannel+".",
		"Original request: "+f.message, "Round 1 reply: "+first, "Latest reply: "+latest,
		`If you want to remain silent, reply exactly "`+AnnounceSkipToken+`".`,
		"Any other reply will be posted to the target channel.", "After this reply, the agent-to-agent conversation is over.")
	announce := strings.TrimSpace(rt.a2aStep(ctx, f.target, "Agent-to-agent announce step.", strings.Join(lines, "\n")))
	if announce == "" || announce == AnnounceSkipToken || err != nil || ss.LastTo == "" ||
		(ss.LastChannel != providers.Telegram && ss.LastChannel != providers.WhatsApp) || rt.opts.Sender == nil {
		return
	}
	sctx, cancel := context.WithTimeout(ctx, rt.opts.DeliverTimeout)
	defer cancel()
	if _, err := rt.opts.Sender.Send(sctx, ss.LastChannel, providers.Outbound{To: ss.LastTo, Text: announce, AccountID: ss.LastAccountID}); err != nil {
		rt.log.Warn("agent: agent-to-agent announce not delivered", "session", f.target, "channel", ss.LastChannel, "err", err)
	}
}
