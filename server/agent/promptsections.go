package agent

import (
	"os"
	goruntime "runtime"
	"slices"
	"strings"
	"time"

	"github.com/clawgate/gateway/server/agent/tools"
)

// runtimeSections are the parts of the system prompt that depend on the run rather
// than on the workspace files, appended after them as the original does: the tools
// this run may call, how to narrate them, the user's time zone, how replies reach
// people, heartbeat acknowledgements, and a one-line runtime summary (agent, host,
// model, channel, thinking). Sub-agent runs get only the tools and the runtime line,
// as the original's minimal prompt mode.
type runtimeSections struct {
	AgentID      string
	Model        string // the model this run uses (provider/model)
	DefaultModel string // the agent's configured primary
	Channel      string // where the run's reply goes ("" for none)
	Thinking     string // the effective thinking level
	Location     *time.Location
	Subagent     bool
	Tools        *tools.Set
	Host         string
	// ModelAliases are agents.defaults.models' aliases ("- alias: provider/model").
	ModelAliases []string
	// Owners are the numbers/ids the channel's allowFrom names (inbound runs).
	Owners []string
	// Voice is the spoken-replies guidance (tts.Speaker.PromptHint; "" = none).
	Voice string
	// Channel features of the run's channel account (Options.ChannelPrompt).
	ChannelPrompt
}

// ChannelPrompt is what the system prompt says about the run's channel account.
type ChannelPrompt struct {
	// Capabilities are named in the runtime line ("capabilities=inlineButtons"):
	// channels.<id>.capabilities, and "inlineButtons" where Telegram buttons are on.
	Capabilities []string
	// Reactions is how freely the agent should react ("minimal", "extensive"; ""
	// adds no Reactions section): channels.telegram.reactionLevel.
	Reactions string
	// ChannelLabel names the channel in the Reactions section ("Telegram").
	ChannelLabel string
}

// inlineButtons reports whether the capabilities name inline buttons.
func (c ChannelPrompt) inlineButtons() bool {
	return slices.ContainsFunc(c.Capabilities, func(s string) bool { return strings.EqualFold(strings.TrimSpace(s), "inlineButtons") })
}

func (s runtimeSections) String() string {
	var b strings.Builder
	section := func(title string, lines ...string) {
		b.WriteString("\n\n## " + title + "\n")
		b.WriteString(strings.Join(lines, "\n"))
	}
	if s.Tools != nil {
		names := s.Tools.Names()
		lines := []string{"These are the tools this run may call (the gateway's policy picked them); names are case-sensitive:"}
		for _, d := range s.Tools.Defs() {
			lines = append(lines, "- "+d.Name+": "+firstSentence(d.Description))
		}
		lines = append(lines, "TOOLS.md is guidance on using tools; it does not decide which tools exist.")
		if slices.Contains(names, "sessions_spawn") {
			lines = append(lines, "For long or complex work, start a sub-agent with sessions_spawn: it works on its own and reports back here when done.")
		}
		section("Tooling", lines...)
		section("Tool Call Style",
			"Call routine, low-risk tools without announcing them.",
			"Explain briefly only where it helps: multi-step or hard work, sensitive actions such as deletions, or when asked.")
	}
	section("Clawdbot CLI Quick Reference",
		"The clawdbot command has fixed subcommands; never make one up.",
		"The gateway service is managed with:",
		"- clawdbot gateway status",
		"- clawdbot gateway start",
		"- clawdbot gateway stop",
		"- clawdbot gateway restart",
		"When in doubt, ask the user to run `clawdbot help` (or `clawdbot gateway --help`) and paste what it prints.")
	if !s.Subagent && s.Tools != nil && slices.Contains(s.Tools.Names(), "gateway") {
		section("Clawdbot Self-Update",
			"Updating (update.run) is allowed ONLY when the user explicitly asks for it.",
			"Do not run config.apply, config.patch or update.run unless the user explicitly asked for an update or a config change; when that is not clear, ask first.",
			"gateway tool actions: config.get, config.schema, config.patch (merge a partial change), config.apply (check and write the whole config, then restart if needed), update.run (update, then restart), restart.",
			"Once the gateway is back from a restart, the session that asked for it is told.")
	}
	if !s.Subagent {
		zone := "UTC"
		if s.Location != nil {
			zone = s.Location.String()
		}
		if zone == "Local" {
			zone = localZoneName()
		}
		if len(s.ModelAliases) > 0 {
			section("Model Aliases", append([]string{"When you name a model (a session's model override, a sub-agent's), prefer these aliases; provider/model works too."}, s.ModelAliases...)...)
		}
		if len(s.Owners) > 0 {
			section("User Identity", "Owner numbers: "+strings.Join(s.Owners, ", ")+". Treat messages from these numbers as the user.")
		}
		section("Current Date & Time", "Time zone: "+zone)
		msg := []string{
			"- A reply in this session goes back automatically to the chat the message came from.",
			"- To write into another session, use sessions_send.",
			"- Never send channel messages with exec or curl: the gateway does all the routing.",
		}
		if s.Tools != nil && slices.Contains(s.Tools.Names(), "message") {
			// The silent-reply rule for message-tool sends is in "Silent Replies".
			msg = append(msg, "- Use the message tool for messages you start yourself and for channel actions (reactions, polls).")
			if s.inlineButtons() {
				msg = append(msg, "- Inline buttons work here: send with buttons=[[{text, callback_data}]]; a press comes back to you as a message whose text is its callback_data.")
			} else if s.Channel == "telegram" {
				msg = append(msg, `- Inline buttons are off for telegram; if you need them, ask for telegram.capabilities.inlineButtons ("dm", "group", "all" or "allowlist").`)
			}
		}
		section("Messaging", msg...)
		if s.Voice != "" {
			section("Voice (TTS)", s.Voice)
		}
		switch s.Reactions {
		case "minimal":
			section("Reactions",
				"Reactions are on for "+s.ChannelLabel+" in MINIMAL mode: react only when it truly adds something.",
				"- to acknowledge an important request or a confirmation",
				"- to show real feeling (humour, thanks), and sparingly",
				"- not to routine messages, nor to your own replies",
				"As a rule, at most one reaction every 5 to 10 exchanges.")
		case "extensive":
			section("Reactions",
				"Reactions are on for "+s.ChannelLabel+" in EXTENSIVE mode: react freely.",
				"- acknowledge messages with a fitting emoji",
				"- show sentiment and personality",
				"- react to interesting, funny or notable content",
				"- confirm understanding or agreement",
				"As a rule, react whenever it feels natural.")
		}
		section("Heartbeats",
			"A heartbeat poll is a message asking you to check HEARTBEAT.md or the latest system notes.",
			"When nothing needs attention, answer exactly: HEARTBEAT_OK",
			"The gateway drops a reply that starts or ends with HEARTBEAT_OK, so never include it when something does need attention: write the alert instead.")
	}
	section("Runtime", s.runtimeLine())
	return strings.TrimPrefix(b.String(), "\n\n")
}

// runtimeLine is the original's "Runtime: agent=… | host=… | …" summary.
func (s runtimeSections) runtimeLine() string {
	var parts []string
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, k+"="+v)
		}
	}
	add("agent", s.AgentID)
	add("host", s.Host)
	parts = append(parts, "os="+goruntime.GOOS+" ("+goruntime.GOARCH+")")
	add("model", s.Model)
	add("default_model", s.DefaultModel)
	if s.Channel != "" {
		add("channel", s.Channel)
		caps := "none"
		if len(s.Capabilities) > 0 {
			caps = strings.Join(s.Capabilities, ",")
		}
		add("capabilities", caps)
	}
	parts = append(parts, "thinking="+orDefault(s.Thinking, "off"))
	return "Runtime: " + strings.Join(parts, " | ")
}

// firstSentence is a tool description's first sentence (or line), for the listing.
func firstSentence(d string) string {
	d = strings.TrimSpace(d)
	if i := strings.IndexByte(d, '\n'); i >= 0 {
		d = d[:i]
	}
	if i := strings.Index(d, ". "); i >= 0 {
		d = d[:i+1]
	}
	const max = 200
	if r := []rune(d); len(r) > max {
		d = string(r[:max-1]) + "…"
	}
	return d
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// localZoneName is the host's IANA zone when the environment names it, else its
// abbreviation.
func localZoneName() string {
	if tz := os.Getenv("TZ"); tz != "" && !strings.HasPrefix(tz, ":") {
		return tz
	}
	if p, err := os.Readlink("/etc/localtime"); err == nil {
		if i := strings.Index(p, "zoneinfo/"); i >= 0 {
			return p[i+len("zoneinfo/"):]
		}
	}
	name, _ := time.Now().Zone()
	return name
}

// hostName is the machine's name for the runtime line ("" when unknown).
func hostName() string {
	h, _ := os.Hostname()
	return h
}

// sessionAgentID is the agent a session key belongs to ("agent:<id>:…"; "main" for
// keys of another shape).
func sessionAgentID(key string) string {
	if rest, ok := strings.CutPrefix(key, "agent:"); ok {
		if id, _, ok := strings.Cut(rest, ":"); ok && id != "" {
			return id
		}
	}
	return "main"
}

// channelPrompt is Options.ChannelPrompt for r's channel (none without a channel).
func (rt *Runtime) channelPrompt(r *Run) ChannelPrompt {
	if rt.opts.ChannelPrompt == nil || r.channel == "" {
		return ChannelPrompt{}
	}
	return rt.opts.ChannelPrompt(r.channel, r.req.AccountID)
}

// voiceHint is the Voice (TTS) section's text while replies may be spoken.
func (rt *Runtime) voiceHint() string {
	if rt.opts.Speech == nil {
		return ""
	}
	return rt.opts.Speech.PromptHint()
}
