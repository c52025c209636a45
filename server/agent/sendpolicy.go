package agent

import (
	"strings"

	"github.com/clawgate/gateway/server/sessions"
)

// SendPolicy is session.sendPolicy: whether the agent may answer in a session, by
// rules on the session's channel, chat type and key (the first deny wins, else any
// matching allow, else Default). A session's own sendPolicy (sessions.patch) overrides
// it. Denied: chat.send and agent are refused ("send blocked by session policy") and
// channel messages get no run (gateway commands such as /status still answer).
type SendPolicy struct {
	Default string // allow (default) | deny
	Rules   []SendPolicyRule
}

// SendPolicyRule matches sessions; an empty field matches anything.
type SendPolicyRule struct {
	Action    string // allow (default) | deny
	Channel   string // whatsapp, telegram, …
	ChatType  string // direct | group | channel
	KeyPrefix string // e.g. "agent:main:telegram:group:"
}

func normPolicy(s string) string {
	switch s = strings.ToLower(strings.TrimSpace(s)); s {
	case "allow", "deny":
		return s
	}
	return ""
}

// normChatType is the original's reading of chat types ("dm" is direct).
func normChatType(s string) string {
	switch s = strings.ToLower(strings.TrimSpace(s)); s {
	case "direct", "dm":
		return "direct"
	case "group", "channel":
		return s
	}
	return ""
}

// Decide is "allow" or "deny" for session key on channel with chatType; override is
// the session's own sendPolicy. A nil policy allows.
func (p *SendPolicy) Decide(override, key, channel, chatType string) string {
	if o := normPolicy(override); o != "" {
		return o
	}
	if p == nil {
		return "allow"
	}
	channel = strings.ToLower(strings.TrimSpace(channel))
	chatType = normChatType(chatType)
	if chatType == "" {
		switch {
		case strings.Contains(key, ":group:"):
			chatType = "group"
		case strings.Contains(key, ":channel:"):
			chatType = "channel"
		}
	}
	allowed := false
	for _, r := range p.Rules {
		if c := strings.ToLower(strings.TrimSpace(r.Channel)); c != "" && c != channel {
			continue
		}
		if t := normChatType(r.ChatType); t != "" && t != chatType {
			continue
		}
		if pre := strings.ToLower(strings.TrimSpace(r.KeyPrefix)); pre != "" && !strings.HasPrefix(key, pre) {
			continue
		}
		if normPolicy(r.Action) == "deny" {
			return "deny"
		}
		allowed = true
	}
	if allowed {
		return "allow"
	}
	if d := normPolicy(p.Default); d != "" {
		return d
	}
	return "allow"
}

// sendDenied applies the live session.sendPolicy and the session's override to a run
// in session ss: the run's own channel when it came from one, else the session's last.
func (rt *Runtime) sendDenied(ss sessions.Session, key, channel string) bool {
	switch channel {
	case "", "last", "webchat":
		channel = ss.LastChannel
	}
	var p *SendPolicy
	if rt.opts.SendPolicy != nil {
		p = rt.opts.SendPolicy()
	}
	return p.Decide(ss.SendPolicy, key, channel, ss.ChatType) == "deny"
}
