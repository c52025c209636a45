package agent

import (
	"context"
	"strings"

	"github.com/clawgate/gateway/server/agent/llm"
	"github.com/clawgate/gateway/server/agent/loop"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/tts"
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

// surfaceNote is a note for the chat surface. block marks what the original sends as a
// block reply (the reasoning block), which messages.tts.mode "all" speaks; tool
// summaries are tool results, never spoken.
type surfaceNote struct {
	text  string
	block bool
}

// surface queues a note for the run's chat surface; notes go out in order, before
// the run's reply (flushSurface).
func (rt *Runtime) surface(r *Run, text string) { rt.queueSurface(r, surfaceNote{text: text}) }

// surfaceBlock queues a block reply (see surfaceNote).
func (rt *Runtime) surfaceBlock(r *Run, text string) {
	rt.queueSurface(r, surfaceNote{text: text, block: true})
}

func (rt *Runtime) queueSurface(r *Run, n surfaceNote) {
	if rt.opts.Sender == nil || r.channel == "" || strings.TrimSpace(n.text) == "" {
		return
	}
	r.mu.Lock()
	if r.surfaceQ == nil {
		r.surfaceQ, r.surfaceDone = make(chan surfaceNote, MaxSurfaceQueue), make(chan struct{})
		go rt.surfaceLoop(r, r.surfaceQ, r.surfaceDone)
	}
	q := r.surfaceQ
	r.mu.Unlock()
	select {
	case q <- n:
	default:
		rt.log.Warn("agent: verbose note dropped: too many waiting", "run", r.ID, "limit", MaxSurfaceQueue)
	}
}

func (rt *Runtime) surfaceLoop(r *Run, q chan surfaceNote, done chan struct{}) {
	defer close(done)
	for n := range q {
		text, voice := n.text, ""
		asVoice := false
		if n.block && rt.opts.Speech != nil {
			// messages.tts.mode decides whether a block reply is spoken ("all") or
			// not ("final", the default); the speaker also drops its [[tts:…]] tags.
			sp := rt.opts.Speech.Apply(rt.base, tts.Reply{Text: n.text, Channel: r.channel, Kind: "block", InboundAudio: r.req.InboundAudio})
			text, voice, asVoice = sp.Text, sp.AudioPath, sp.Voice
		}
		ctx, cancel := context.WithTimeout(rt.base, rt.opts.DeliverTimeout)
		base := providers.Outbound{To: r.to, AccountID: r.req.AccountID}
		var err error
		if voice != "" {
			// The voice note carries the text, as a spoken final reply.
			_, err = providers.SendWithMedia(ctx, rt.opts.Sender, r.channel, base, text, []providers.Outbound{{MediaPath: voice, AudioAsVoice: asVoice}}, rt.log.With("run", r.ID))
		} else {
			base.Text = text
			_, err = rt.opts.Sender.Send(ctx, r.channel, base)
		}
		if err != nil {
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
