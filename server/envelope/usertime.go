package envelope

import (
	"fmt"
	"strings"
	"time"
)

// Time formats of agents.defaults.timeFormat.
const (
	TimeFormat12   = "12"
	TimeFormat24   = "24"
	TimeFormatAuto = "auto"
)

// ResolveTimeFormat is agents.defaults.timeFormat resolved to "12" or "24". The
// original detects "auto" from the host's locale; a Go process has none to read, so
// "auto" (and unset) is 12-hour, what the original shows on a typical en-US host.
func ResolveTimeFormat(pref string) string {
	if pref == TimeFormat24 {
		return TimeFormat24
	}
	return TimeFormat12
}

// UserTime formats t in loc as the original's user time line does:
// "Monday, March 2nd, 2026 — 9:30 AM" (12) or "Monday, March 2nd, 2026 — 09:30" (24).
func UserTime(t time.Time, loc *time.Location, format string) string {
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	clock := t.Format("3:04 PM")
	if ResolveTimeFormat(format) == TimeFormat24 {
		clock = t.Format("15:04")
	}
	return fmt.Sprintf("%s, %s %d%s, %d — %s", t.Weekday(), t.Month(), t.Day(), ordinal(t.Day()), t.Year(), clock)
}

// ZoneName is loc's IANA name, or for the host's zone (which Go names "Local") the
// zone's abbreviation at t.
func ZoneName(loc *time.Location, t time.Time) string {
	if loc == nil {
		return "UTC"
	}
	if n := loc.String(); n != "Local" && strings.TrimSpace(n) != "" {
		return n
	}
	abbr, _ := t.In(loc).Zone()
	return abbr
}

func ordinal(day int) string {
	if day >= 11 && day <= 13 {
		return "th"
	}
	switch day % 10 {
	case 1:
		return "st"
	case 2:
		return "nd"
	case 3:
		return "rd"
	}
	return "th"
}
