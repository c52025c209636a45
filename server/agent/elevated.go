package agent

import (
	"context"
	"fmt"
	"strings"

	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/sessions"
)

// elevatedRuntimeHint follows /elevated answers: this gateway has no sandbox.
const elevatedRuntimeHint = "⚙️ Runtime is direct; sandboxing does not apply."

// parseElevated recognises /elevated (or /elev) as a whole message, with an optional
// level after a space or ":" and a Telegram "@bot" suffix on the name.
func parseElevated(text string) (arg string, ok bool) {
	t := strings.TrimSpace(text)
	if !strings.HasPrefix(t, "/") {
		return "", false
	}
	name, rest, _ := strings.Cut(t[1:], " ")
	name, rest2, colon := strings.Cut(name, ":")
	if colon {
		rest = rest2 + " " + rest
	}
	name, _, _ = strings.Cut(name, "@")
	switch strings.ToLower(name) {
	case "elevated", "elev":
		return strings.TrimSpace(rest), true
	}
	return "", false
}

// normalizeElevatedLevel maps the original's spellings of a level; ok false for others.
func normalizeElevatedLevel(v string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "off", "false", "no", "0":
		return "off", true
	case "full", "auto", "auto-approve", "autoapprove":
		return "full", true
	case "ask", "prompt", "approval", "approve":
		return "ask", true
	case "on", "true", "yes", "1":
		return "on", true
	}
	return "", false
}

// elevatedEvent is the system note a level change leaves in the session.
func elevatedEvent(level string) string {
	switch level {
	case "full":
		return "Elevated FULL — exec runs on host with auto-approval."
	case "ask", "on":
		return "Elevated ASK — exec runs on host; approvals may still apply."
	}
	return "Elevated OFF — exec stays in sandbox."
}

// elevatedCommand answers /elevated from an inbound message: the sender must pass the
// elevated gate (tools.elevated.enabled and allowFrom); the level is stored on the
// session (off explicitly, so it overrides a default that is on) and a system note
// records the change, as in the original.
func (rt *Runtime) elevatedCommand(ctx context.Context, m providers.Message, key, ch, arg string) (string, error) {
	var enabled, allowed bool
	var failures []string
	def := ""
	if mc := rt.modelConfig(); mc != nil && mc.Engine != nil && mc.Engine.Elevated != nil {
		enabled, allowed, failures = mc.Engine.Elevated(key, ch, SenderInfo{ID: m.From, Name: m.SenderName, Username: m.SenderUsername})
		def = mc.Engine.ElevatedDefault
	}
	if !enabled || !allowed {
		lines := []string{"elevated is not available right now (runtime=direct)."}
		if len(failures) > 0 {
			lines = append(lines, "Failing gates: "+strings.Join(failures, ", "))
		} else {
			lines = append(lines, "Fix-it keys: tools.elevated.enabled, tools.elevated.allowFrom.<provider>, agents.list[].tools.elevated.*")
		}
		return strings.Join(lines, "\n"), nil
	}
	ss, err := rt.opts.Store.Ensure(ctx, key)
	if err != nil {
		return "", err
	}
	if arg == "" {
		cur := ss.ElevatedLevel
		if cur == "" {
			cur = def
		}
		if cur == "" {
			cur = "on"
		}
		return fmt.Sprintf("Current elevated level: %s.\nOptions: on, off, ask, full.\n%s", cur, elevatedRuntimeHint), nil
	}
	level, ok := normalizeElevatedLevel(arg)
	if !ok {
		return fmt.Sprintf("Unrecognized elevated level %q. Valid levels: off, on, ask, full.", arg), nil
	}
	prev := ss.ElevatedLevel
	if _, err := rt.opts.Store.Patch(ctx, key, func(s *sessions.Session) error {
		s.ElevatedLevel = level
		return nil
	}); err != nil {
		return "", err
	}
	if level != prev {
		if _, _, err := rt.opts.Store.Append(ctx, key, sessions.Message{Role: "system", Text: "System note: " + elevatedEvent(level)}); err != nil {
			rt.log.Warn("agent: elevated note not recorded", "session", key, "err", err)
		}
	}
	ack := "⚙️ Elevated mode set to ask (approvals may still apply)."
	switch level {
	case "off":
		ack = "⚙️ Elevated mode disabled."
	case "full":
		ack = "⚙️ Elevated mode set to full (auto-approve)."
	}
	return ack + "\n" + elevatedRuntimeHint, nil
}
