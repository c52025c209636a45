package heartbeat

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Spec is one heartbeat block of the config file (agents.defaults.heartbeat or an
// agents.list[].heartbeat override), unparsed; nil fields are unset.
type Spec struct {
	Every            *string
	Target           *string
	To               *string
	AccountID        *string
	Prompt           *string
	ActiveHours      *ActiveHours
	AckMaxChars      *int
	IncludeReasoning *bool
	// Model and Session: heartbeat.model and heartbeat.session.
	Model   *string
	Session *string
}

// AgentSpec is one agents.list entry as far as heartbeats care.
type AgentSpec struct {
	ID        string
	Heartbeat *Spec
	Workspace string
}

var everyRe = regexp.MustCompile(`(?i)^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$`)

// ParseEvery reads a heartbeat interval: a number with ms, s, m, h or d (a bare number is
// minutes, the original's default unit). "0" (or any zero) disables: (0, nil).
func ParseEvery(s string) (time.Duration, error) {
	m := everyRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("heartbeat every %q: use a number with ms, s, m, h or d (e.g. 30m)", s)
	}
	n, _ := strconv.ParseFloat(m[1], 64)
	unit := map[string]time.Duration{"ms": time.Millisecond, "s": time.Second, "m": time.Minute, "": time.Minute,
		"h": time.Hour, "d": 24 * time.Hour}[strings.ToLower(m[2])]
	return time.Duration(n * float64(unit)), nil
}

func merge(d, o *Spec) Spec {
	var s Spec
	if d != nil {
		s = *d
	}
	if o == nil {
		return s
	}
	pick := func(dst **string, v *string) {
		if v != nil {
			*dst = v
		}
	}
	pick(&s.Every, o.Every)
	pick(&s.Target, o.Target)
	pick(&s.To, o.To)
	pick(&s.AccountID, o.AccountID)
	pick(&s.Prompt, o.Prompt)
	pick(&s.Model, o.Model)
	pick(&s.Session, o.Session)
	if o.ActiveHours != nil {
		s.ActiveHours = o.ActiveHours
	}
	if o.AckMaxChars != nil {
		s.AckMaxChars = o.AckMaxChars
	}
	if o.IncludeReasoning != nil {
		s.IncludeReasoning = o.IncludeReasoning
	}
	return s
}

// Resolve turns the config into the runner's per-agent configs, as the original decides
// which agents beat: when any agents.list entry has a heartbeat block, exactly those
// agents (each merged over the defaults); otherwise only the default agent, with the
// defaults. An agent whose every is 0 is left out; one whose every is unreadable too,
// and reported in the joined error (the others still resolve).
func Resolve(defaults *Spec, agents []AgentSpec, defaultAgentID, defaultWorkspace string) ([]Config, error) {
	var chosen []AgentSpec
	for _, a := range agents {
		if a.Heartbeat != nil {
			chosen = append(chosen, a)
		}
	}
	if len(chosen) == 0 {
		ws := defaultWorkspace
		for _, a := range agents {
			if a.ID == defaultAgentID && a.Workspace != "" {
				ws = a.Workspace
			}
		}
		chosen = []AgentSpec{{ID: defaultAgentID, Workspace: ws}}
	}
	var out []Config
	var errs []error
	for _, a := range chosen {
		s := merge(defaults, a.Heartbeat)
		every := DefaultEvery
		if s.Every != nil {
			d, err := ParseEvery(*s.Every)
			if err != nil {
				errs = append(errs, fmt.Errorf("agent %s: %w", a.ID, err))
				continue
			}
			every = d
		}
		if every <= 0 {
			continue
		}
		c := Config{AgentID: a.ID, Every: every, ActiveHours: s.ActiveHours, AckMaxChars: s.AckMaxChars, Workspace: a.Workspace}
		if c.Workspace == "" {
			c.Workspace = defaultWorkspace
		}
		str := func(p *string) string {
			if p == nil {
				return ""
			}
			return strings.TrimSpace(*p)
		}
		c.Target, c.To, c.AccountID, c.Prompt = str(s.Target), str(s.To), str(s.AccountID), str(s.Prompt)
		c.Model, c.Session = str(s.Model), str(s.Session)
		if s.IncludeReasoning != nil {
			c.IncludeReasoning = *s.IncludeReasoning
		}
		out = append(out, c)
	}
	return out, errors.Join(errs...)
}
