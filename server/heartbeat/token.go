// Package heartbeat runs the agent's periodic check-in: every 30 minutes by default the
// agent reads HEARTBEAT.md and either answers HEARTBEAT_OK (nothing to say: the answer
// is suppressed) or says something, which is delivered to the last chat route or the
// configured target. It also owns the queue of system events ("wake" notes, cron
// reminders) that the next heartbeat hands to the agent, and the last heartbeat event
// (last-heartbeat) and the global switch (set-heartbeats).
//
// Time comes from one injectable clock (server/clock): the interval, active hours and
// the busy retry are all decided on it, so tests move time instead of sleeping.
package heartbeat

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Facts of the original.
const (
	// Token is the agent's "nothing to report" answer.
	Token = "HEARTBEAT_OK"
	// DefaultPrompt is the heartbeat prompt when none is configured.
	DefaultPrompt = "Read HEARTBEAT.md if it exists (workspace context). Follow it strictly. " +
		"Do not infer or repeat old tasks from prior chats. If nothing needs attention, reply HEARTBEAT_OK."
	// DefaultEvery is the default interval.
	DefaultEvery = 30 * time.Minute
	// DefaultAckMaxChars is how much text may accompany the token and still count as a
	// plain acknowledgement (suppressed).
	DefaultAckMaxChars = 300
	// FileName is the workspace file the prompt refers to.
	FileName = "HEARTBEAT.md"
)

// Mode selects the stripping rules: in ModeHeartbeat a short remainder next to the
// token (at most ackMaxChars) is suppressed too; in ModeMessage only a bare token is.
type Mode int

const (
	ModeMessage Mode = iota
	ModeHeartbeat
)

// StripResult is what StripToken decided.
type StripResult struct {
	// ShouldSkip: nothing to deliver.
	ShouldSkip bool
	// Text is what remains to deliver (whitespace collapsed when the token was stripped).
	Text string
	// DidStrip: the token was found at an edge and removed.
	DidStrip bool
}

var (
	htmlTag     = regexp.MustCompile(`<[^>]*>`)
	nbsp        = regexp.MustCompile(`(?i)&nbsp;`)
	leadMarkup  = regexp.MustCompile(`^[*` + "`" + `~_]+`)
	trailMarkup = regexp.MustCompile(`[*` + "`" + `~_]+$`)
	spaces      = regexp.MustCompile(`\s+`)
)

// stripEdges removes the token repeatedly from the start and the end of text (never from
// the middle).
func stripEdges(raw string) (string, bool) {
	text := strings.TrimSpace(raw)
	if text == "" || !strings.Contains(text, Token) {
		return text, false
	}
	did := false
	for {
		t := strings.TrimSpace(text)
		if strings.HasPrefix(t, Token) {
			text = strings.TrimLeftFunc(t[len(Token):], isSpace)
			did = true
			continue
		}
		if strings.HasSuffix(t, Token) {
			text = strings.TrimRightFunc(t[:len(t)-len(Token)], isSpace)
			did = true
			continue
		}
		break
	}
	return strings.TrimSpace(spaces.ReplaceAllString(text, " ")), did
}

func isSpace(r rune) bool { return strings.ContainsRune(" \t\n\r\v\f\u00a0\u2028\u2029\ufeff", r) }

// StripToken applies the original's HEARTBEAT_OK rules to one reply text: empty text is
// skipped; the token counts only at the start or end (also wrapped in HTML tags or
// Markdown emphasis); with the token alone nothing is delivered; in ModeHeartbeat a
// remainder of at most ackMaxChars characters is an acknowledgement and suppressed too.
// ackMaxChars < 0 means DefaultAckMaxChars.
func StripToken(raw string, mode Mode, ackMaxChars int) StripResult {
	trimmed := strings.TrimSpace(raw)
	if trimmed == "" {
		return StripResult{ShouldSkip: true}
	}
	if ackMaxChars < 0 {
		ackMaxChars = DefaultAckMaxChars
	}
	norm := htmlTag.ReplaceAllString(trimmed, " ")
	norm = nbsp.ReplaceAllString(norm, " ")
	norm = leadMarkup.ReplaceAllString(norm, "")
	norm = trailMarkup.ReplaceAllString(norm, "")
	if !strings.Contains(trimmed, Token) && !strings.Contains(norm, Token) {
		return StripResult{Text: trimmed}
	}
	// The original's choice: the plain text's result when it stripped something and
	// left text, else the markup-normalised text's.
	text, did := stripEdges(trimmed)
	if !did || text == "" {
		text, did = stripEdges(norm)
	}
	if !did {
		return StripResult{Text: trimmed}
	}
	if text == "" {
		return StripResult{ShouldSkip: true, DidStrip: true}
	}
	// The original measures UTF-16 code units; runes differ only outside the BMP.
	if mode == ModeHeartbeat && utf8.RuneCountInString(text) <= ackMaxChars {
		return StripResult{ShouldSkip: true, DidStrip: true}
	}
	return StripResult{Text: text, DidStrip: true}
}

var mdHeader = regexp.MustCompile(`^#+(\s|$)`)

// EffectivelyEmpty reports whether a HEARTBEAT.md has no task in it: only blank lines
// and Markdown headers. (A missing file is not empty: the agent still runs.)
func EffectivelyEmpty(content string) bool {
	for _, l := range strings.Split(content, "\n") {
		t := strings.TrimSpace(l)
		if t == "" || mdHeader.MatchString(t) {
			continue
		}
		return false
	}
	return true
}

// ActiveHours limits heartbeats to a daily window [Start, End) in a time zone. Start and
// End are "HH:MM" (End may be "24:00"); a window whose end is before its start crosses
// midnight. Timezone: an IANA name, "local" (the host's) or "" / "user" (the user's).
type ActiveHours struct {
	Start    string
	End      string
	Timezone string
}

var hhmm = regexp.MustCompile(`^([01]\d|2[0-3]|24):([0-5]\d)$`)

func parseHHMM(s string, allow24 bool) (int, bool) {
	m := hhmm.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	h := int(m[1][0]-'0')*10 + int(m[1][1]-'0')
	mi := int(m[2][0]-'0')*10 + int(m[2][1]-'0')
	if h == 24 {
		if !allow24 || mi != 0 {
			return 0, false
		}
		return 24 * 60, true
	}
	return h*60 + mi, true
}

// Contains reports whether t falls inside the window. An unparseable or empty window
// (start == end) is always open, as the original treats it; an unknown zone falls back to
// user.
func (a ActiveHours) Contains(t time.Time, user *time.Location) bool {
	start, ok1 := parseHHMM(a.Start, false)
	end, ok2 := parseHHMM(a.End, true)
	if !ok1 || !ok2 || start == end {
		return true
	}
	loc := user
	switch tz := strings.TrimSpace(a.Timezone); tz {
	case "", "user":
	case "local":
		loc = time.Local
	default:
		if l, err := time.LoadLocation(tz); err == nil {
			loc = l
		}
	}
	if loc == nil {
		loc = time.Local
	}
	lt := t.In(loc)
	cur := lt.Hour()*60 + lt.Minute()
	if end > start {
		return cur >= start && cur < end
	}
	return cur >= start || cur < end
}
