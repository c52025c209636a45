// Package sessionreset decides when a session starts over by itself: the original's
// session.reset policy (daily at an hour, or after idle minutes), refined per session
// type (session.resetByType) and per channel (session.resetByChannel), and the words
// that start a new session on request (session.resetTriggers).
//
// A session that is stale when a message arrives gets a new transcript before that
// message is stored, as the original does on its next inbound message; nothing runs on
// a timer. By default a session starts over once a day, at 04:00 local time.
package sessionreset

import (
	"strings"
	"time"

	genconfig "github.com/clawgate/gateway/gen/go/config"
)

// Mode is how a session goes stale.
type Mode string

const (
	// Daily: a session last used before today's reset hour is stale.
	Daily Mode = "daily"
	// Idle: a session unused for IdleMinutes is stale.
	Idle Mode = "idle"
)

// Defaults of the original (src/config/sessions).
const (
	DefaultMode        = Daily
	DefaultAtHour      = 4
	DefaultIdleMinutes = 60
)

// DefaultTriggers start a new session when no session.resetTriggers are configured.
var DefaultTriggers = []string{"/new", "/reset"}

// Type is the kind of a session, which session.resetByType refines.
type Type string

const (
	DM     Type = "dm"
	Group  Type = "group"
	Thread Type = "thread"
)

// Rule is one configured reset object; nil fields are unset.
type Rule struct {
	Mode        *Mode
	AtHour      *int
	IdleMinutes *int
}

// Config is the reset part of the config file, resolved once per load.
type Config struct {
	Base      *Rule
	ByType    map[Type]*Rule
	ByChannel map[string]*Rule // lowercased channel id
	// LegacyIdleMinutes is session.idleMinutes: with no reset rule at all it means
	// idle mode, as in the original's older configs.
	LegacyIdleMinutes *int
	// Triggers are session.resetTriggers (DefaultTriggers when none are configured).
	Triggers []string
}

// Policy is the resolved rule for one session.
type Policy struct {
	Mode   Mode
	AtHour int
	// IdleMinutes > 0 makes a session stale after that long unused; it applies in
	// daily mode too when configured (whichever comes first).
	IdleMinutes int
}

// FromConfig reads session.reset, resetByType, resetByChannel, idleMinutes and
// resetTriggers; a nil config or section gives the defaults.
func FromConfig(c *genconfig.ClawdbotConfig) Config {
	var out Config
	if c == nil || c.Session == nil {
		out.Triggers = DefaultTriggers
		return out
	}
	s := c.Session
	if r := s.Reset; r != nil {
		out.Base = rule((*string)(r.Mode), r.AtHour, r.IdleMinutes)
	}
	if bt := s.ResetByType; bt != nil {
		out.ByType = map[Type]*Rule{}
		if r := bt.Dm; r != nil {
			out.ByType[DM] = rule((*string)(r.Mode), r.AtHour, r.IdleMinutes)
		}
		if r := bt.Group; r != nil {
			out.ByType[Group] = rule((*string)(r.Mode), r.AtHour, r.IdleMinutes)
		}
		if r := bt.Thread; r != nil {
			out.ByType[Thread] = rule((*string)(r.Mode), r.AtHour, r.IdleMinutes)
		}
	}
	if len(s.ResetByChannel) > 0 {
		out.ByChannel = map[string]*Rule{}
		for ch, r := range s.ResetByChannel {
			out.ByChannel[strings.ToLower(strings.TrimSpace(ch))] = rule((*string)(r.Mode), r.AtHour, r.IdleMinutes)
		}
	}
	out.LegacyIdleMinutes = s.IdleMinutes
	for _, t := range s.ResetTriggers {
		if t = strings.TrimSpace(t); t != "" {
			out.Triggers = append(out.Triggers, t)
		}
	}
	if len(out.Triggers) == 0 {
		out.Triggers = DefaultTriggers
	}
	return out
}

func rule(mode *string, atHour, idle *int) *Rule {
	r := &Rule{AtHour: atHour, IdleMinutes: idle}
	if mode != nil {
		m := Mode(*mode)
		r.Mode = &m
	}
	return r
}

// TypeOf classifies a session by its key (the original's markers: ":thread:" or
// ":topic:" for threads, ":group:" or ":channel:" for groups) and its chat type.
func TypeOf(key, chatType string) Type {
	k := strings.ToLower(key)
	switch {
	case strings.Contains(k, ":thread:") || strings.Contains(k, ":topic:"):
		return Thread
	case chatType == "group" || chatType == "channel" || strings.Contains(k, ":group:") || strings.Contains(k, ":channel:"):
		return Group
	}
	return DM
}

// Policy resolves the rule for a session of type t on channel: a resetByChannel entry
// replaces the rest; otherwise resetByType's entry over session.reset, over the
// defaults, key by key.
func (c Config) Policy(t Type, channel string) Policy {
	base, typed := c.Base, c.ByType[t]
	override := false
	if r, ok := c.ByChannel[strings.ToLower(strings.TrimSpace(channel))]; ok && channel != "" {
		base, typed, override = r, nil, true
	}
	explicit := base != nil || (!override && c.ByType != nil)
	legacy := c.LegacyIdleMinutes
	if override {
		legacy = nil
	}
	p := Policy{Mode: DefaultMode, AtHour: DefaultAtHour}
	switch {
	case typed != nil && typed.Mode != nil:
		p.Mode = *typed.Mode
	case base != nil && base.Mode != nil:
		p.Mode = *base.Mode
	case !explicit && legacy != nil:
		p.Mode = Idle
	}
	switch {
	case typed != nil && typed.AtHour != nil:
		p.AtHour = clampHour(*typed.AtHour)
	case base != nil && base.AtHour != nil:
		p.AtHour = clampHour(*base.AtHour)
	}
	var idle *int
	switch {
	case typed != nil && typed.IdleMinutes != nil:
		idle = typed.IdleMinutes
	case base != nil && base.IdleMinutes != nil:
		idle = base.IdleMinutes
	default:
		idle = legacy
	}
	switch {
	case idle != nil:
		p.IdleMinutes = max(*idle, 1)
	case p.Mode == Idle:
		p.IdleMinutes = DefaultIdleMinutes
	}
	return p
}

func clampHour(h int) int { return min(max(h, 0), 23) }

// DailyResetAt is the most recent reset hour at or before now, in now's location.
func DailyResetAt(now time.Time, atHour int) time.Time {
	y, m, d := now.Date()
	at := time.Date(y, m, d, clampHour(atHour), 0, 0, 0, now.Location())
	if now.Before(at) {
		at = time.Date(y, m, d-1, clampHour(atHour), 0, 0, 0, now.Location())
	}
	return at
}

// Stale reports whether a session last updated at updated is due a reset at now, and
// why ("daily" or "idle"; "" when fresh).
func (p Policy) Stale(updated, now time.Time) (bool, string) {
	if p.Mode == Daily && updated.Before(DailyResetAt(now, p.AtHour)) {
		return true, string(Daily)
	}
	if p.IdleMinutes > 0 && now.After(updated.Add(time.Duration(p.IdleMinutes)*time.Minute)) {
		return true, string(Idle)
	}
	return false, ""
}

// MatchTrigger reports whether text asks for a new session by one of triggers: the
// whole message is the trigger, or the trigger and a space and more text (rest, run
// in the new session). Matching ignores case.
func MatchTrigger(text string, triggers []string) (rest string, ok bool) {
	t := strings.TrimSpace(text)
	lower := strings.ToLower(t)
	for _, tr := range triggers {
		trl := strings.ToLower(strings.TrimSpace(tr))
		if trl == "" {
			continue
		}
		if lower == trl {
			return "", true
		}
		if strings.HasPrefix(lower, trl+" ") {
			return strings.TrimSpace(t[len(trl):]), true
		}
	}
	return "", false
}
