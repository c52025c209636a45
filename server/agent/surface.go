package agent

import (
	"context"
	"strings"

	"github.com/clawgate/gateway/server/agent/llm"
	"github.com/clawgate/gateway/server/agent/loop"
	"github.com/clawgate/gateway/server/providers"
)

// Verbose and reasoning levels (sessions.patch, /verbose, agents.defaults.verboseDefault).
const (
	VerboseOff  = "off"
	VerboseOn   = "on"
	VerboseFull = "full"
)

// MaxSurfaceQueue bounds the verbose and reasoning notes waiting to be delivered for
// one run; past it notes are dropped (and logged) rather than holding up the run.
const MaxSurfaceQueue = 64

// MaxSurfaceOutputChars caps the tool output a verbose "full" note carries.
const MaxSurfaceOutputChars = 2000

// verboseLevel is the level a run uses: the session's, else the configured default
// ("" = off).
func verboseLevel(session, def string) string {
	switch strings.ToLower(session) {
	case VerboseOn, VerboseFull:
		return strings.ToLower(session)
	case VerboseOff:
		return ""
	}
	switch def {
	case VerboseOn, VerboseFull:
		return def
	}
	return ""
}

// surfaceTool sends a tool's summary ("🛠️ exec: ls -la") — and, at verbose full, its
// output — to the chat surface the run answers on, as the original's verbose mode does.
// Runs without a channel (webchat) see tools through the `tool` agent events.
func (rt *Runtime) surfaceTool(r *Run, verbose string, d loop.ToolResultData) {
	if verbose == "" || r.channel == "" {
		return
	}
	line := "🛠️ " + d.Name
	if d.Meta != "" {
		line += ": " + d.Meta
	}
	if d.IsError {
		line += " (failed)"
	}
	if verbose == VerboseFull {
		var out strings.Builder
		for _, p := range d.Result.Content {
			if p.Type == "text" {
				out.WriteString(p.Text)
			}
		}
		text := strings.TrimSpace(out.String())
		if r := []rune(text); len(r) > MaxSurfaceOutputChars {
			text = string(r[:MaxSurfaceOutputChars]) + "…"
		}
		if text == "" {
			text = "(no output)"
		}
		line += "\n```txt\n" + text + "\n```"
	}
	rt.surface(r, line)
}

// formatReasoning is the original's reasoning block.
func formatReasoning(text string) string {
	t := strings.TrimSpace(text)
	if t == "" {
		return ""
	}
	return "Reasoning:\n_" + t + "_"
}

// finalReasoning is the thinking text of the last assistant message of a run.
func finalReasoning(msgs []llm.Message) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role != llm.RoleAssistant {
			continue
		}
		var b strings.Builder
		for _, p := range msgs[i].Content {
			if p.Type == llm.PartThinking && strings.TrimSpace(p.Thinking) != "" {
				if b.Len() > 0 {
					b.WriteString("\n")
				}
				b.WriteString(strings.TrimSpace(p.Thinking))
			}
		}
		return b.String()
	}
	return ""
}

// surface queues a note for the run's chat surface; notes go out in order, before
// the run's reply (flushSurface).
func (rt *Runtime) surface(r *Run, text string) {
	if rt.opts.Sender == nil || r.channel == "" || strings.TrimSpace(text) == "" {
		return
	}
	r.mu.Lock()
	if r.surfaceQ == nil {
		r.surfaceQ, r.surfaceDone = make(chan string, MaxSurfaceQueue), make(chan struct{})
		go rt.surfaceLoop(r, r.surfaceQ, r.surfaceDone)
	}
	q := r.surfaceQ
	r.mu.Unlock()
	select {
	case q <- text:
	default:
		rt.log.Warn("agent: verbose note dropped: too many waiting", "run", r.ID, "limit", MaxSurfaceQueue)
	}
}

func (rt *Runtime) surfaceLoop(r *Run, q chan string, done chan struct{}) {
	defer close(done)
	for text := range q {
		ctx, cancel := context.WithTimeout(rt.base, rt.opts.DeliverTimeout)
		if _, err := rt.opts.Sender.Send(ctx, r.channel, providers.Outbound{To: r.to, Text: text, AccountID: r.req.AccountID}); err != nil {
			rt.log.Warn("agent: verbose note not delivered", "run", r.ID, "channel", r.channel, "err", err)
		}
		cancel()
	}
}

// flushSurface waits until the run's queued notes are delivered.
func (rt *Runtime) flushSurface(r *Run) {
	r.mu.Lock()
	q, done := r.surfaceQ, r.surfaceDone
	r.surfaceQ = nil
	r.mu.Unlock()
	if q == nil {
		return
	}
	close(q)
	<-done
}

// reasoningShown reports whether the session shows the model's reasoning on its chat
// surface (reasoningLevel on or stream; off, the default, keeps it hidden).
func (rt *Runtime) reasoningShown(ctx context.Context, r *Run) bool {
	ss, err := rt.opts.Store.Get(ctx, r.laneKey)
	return err == nil && (ss.ReasoningLevel == "on" || ss.ReasoningLevel == "stream")
}
