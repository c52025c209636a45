package cron

import (
	"strings"
	"time"

	robfig "github.com/robfig/cron/v3"
)

// exprParser accepts what the original's croner accepts in practice: five fields
// (minute hour day-of-month month day-of-week), or six with seconds first, and the
// @-descriptors (@daily, @hourly, @every 5m …). Day-of-month and day-of-week combine
// with OR when both are restricted, as in Vixie cron and croner's default.
var exprParser = robfig.NewParser(robfig.SecondOptional | robfig.Minute | robfig.Hour |
	robfig.Dom | robfig.Month | robfig.Dow | robfig.Descriptor)

// parseCron parses expr for evaluation in tz ("" = def). A CRON_TZ=/TZ= prefix in the
// expression is rejected: the zone belongs in tz, where the wire and the store keep it.
func parseCron(expr, tz string, def *time.Location) (robfig.Schedule, *time.Location, error) {
	e := strings.TrimSpace(expr)
	if e == "" {
		return nil, nil, invalid("schedule.expr is required")
	}
	if strings.HasPrefix(e, "CRON_TZ=") || strings.HasPrefix(e, "TZ=") {
		return nil, nil, invalid("schedule.expr: put the time zone in schedule.tz, not in the expression")
	}
	loc := def
	if tz = strings.TrimSpace(tz); tz != "" {
		l, err := time.LoadLocation(tz)
		if err != nil {
			return nil, nil, invalid("schedule.tz %q: %v", tz, err)
		}
		loc = l
	}
	if loc == nil {
		loc = time.Local
	}
	s, err := exprParser.Parse(e)
	if err != nil {
		return nil, nil, invalid("schedule.expr %q: %v", e, err)
	}
	return s, loc, nil
}

func validateSchedule(s Schedule) error {
	switch s.Kind {
	case KindAt:
		if s.AtMs <= 0 {
			return invalid("schedule.atMs must be a positive epoch time in milliseconds")
		}
	case KindEvery:
		if s.EveryMs < 1 {
			return invalid("schedule.everyMs must be at least 1")
		}
		if s.AnchorMs != nil && *s.AnchorMs < 0 {
			return invalid("schedule.anchorMs must not be negative")
		}
	case KindCron:
		if _, _, err := parseCron(s.Expr, s.Tz, time.UTC); err != nil {
			return err
		}
	default:
		return invalid("unknown schedule kind %q", s.Kind)
	}
	return nil
}

// NextRun is the first run of s strictly after now (for "at": AtMs when it is still
// ahead), or false when there is none. def is the zone of a cron expression without tz.
func NextRun(s Schedule, now time.Time, def *time.Location) (time.Time, bool) {
	nowMs := ms(now)
	switch s.Kind {
	case KindAt:
		if s.AtMs > nowMs {
			return time.UnixMilli(s.AtMs), true
		}
		return time.Time{}, false
	case KindEvery:
		every := max(s.EveryMs, 1)
		anchor := nowMs
		if s.AnchorMs != nil {
			anchor = max(*s.AnchorMs, 0)
		}
		if nowMs < anchor {
			return time.UnixMilli(anchor), true
		}
		steps := max((nowMs-anchor+every-1)/every, 1)
		next := anchor + steps*every
		if next <= nowMs { // now sits exactly on a slot: the next one
			next += every
		}
		return time.UnixMilli(next), true
	case KindCron:
		sched, loc, err := parseCron(s.Expr, s.Tz, def)
		if err != nil {
			return time.Time{}, false
		}
		next := nextCron(sched, now.In(loc))
		if next.IsZero() {
			return time.Time{}, false
		}
		return next, true
	}
	return time.Time{}, false
}

// nextCron is robfig's Next with the two daylight-saving rules of Vixie cron for jobs at
// fixed hours (not every hour): a wall time skipped by a spring-forward gap runs at the
// moment of the jump instead of not at all that day, and a wall time repeated by a
// fall-back runs only the first time. Jobs that run every hour keep robfig's plain
// elapsed-time behaviour.
func nextCron(sched robfig.Schedule, now time.Time) time.Time {
	next := sched.Next(now)
	spec, ok := sched.(*robfig.SpecSchedule)
	if !ok || next.IsZero() || spec.Hour&allHours == allHours {
		return next
	}
	// Spring forward: a transition between now and next whose gap the schedule matches.
	t := now
	for i := 0; i < 4; i++ {
		_, end := t.ZoneBounds()
		if end.IsZero() || !end.Before(next) {
			break
		}
		_, before := end.Add(-time.Second).Zone()
		_, after := end.Zone()
		if after > before && end.After(now) {
			// Evaluate the schedule on the old offset's clock across the gap.
			old := time.FixedZone("", before)
			gapEnd := end.Add(time.Duration(after-before) * time.Second)
			if m := sched.Next(end.Add(-time.Second).In(old)); !m.IsZero() && m.Before(gapEnd) {
				return end.In(now.Location())
			}
		}
		t = end
	}
	// Fall back: next repeats a wall time already passed an offset-difference earlier.
	_, offNext := next.Zone()
	_, offEarlier := next.Add(-3 * time.Hour).Zone()
	if offEarlier > offNext {
		first := next.Add(-time.Duration(offEarlier-offNext) * time.Second)
		if sameWall(first, next) && first.After(now) {
			return first
		}
		if sameWall(first, next) {
			return nextCron(sched, next)
		}
	}
	return next
}

const allHours = 1<<24 - 1

func sameWall(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd && a.Hour() == b.Hour() && a.Minute() == b.Minute() && a.Second() == b.Second()
}
