// Package cron is the gateway's job scheduler: jobs that wake the main session with a
// system event or run an isolated agent turn and deliver its answer, on a one-shot ("at"),
// fixed-interval ("every") or cron-expression schedule in a time zone.
//
// The job model and the store file are the original's (cron/jobs.json, version 1), so a
// state directory written by the original loads here and the other way round. Time comes
// from one injectable clock (server/clock); cron expressions are parsed and evaluated by
// github.com/robfig/cron/v3, never by hand.
package cron

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Schedule kinds.
const (
	KindAt    = "at"
	KindEvery = "every"
	KindCron  = "cron"
)

// Payload kinds and session targets.
const (
	PayloadSystemEvent = "systemEvent"
	PayloadAgentTurn   = "agentTurn"
	TargetMain         = "main"
	TargetIsolated     = "isolated"
	WakeNow            = "now"
	WakeNextHeartbeat  = "next-heartbeat"
)

// Run statuses.
const (
	StatusOK      = "ok"
	StatusError   = "error"
	StatusSkipped = "skipped"
)

// Schedule says when a job runs: kind "at" (AtMs), "every" (EveryMs from AnchorMs) or
// "cron" (Expr evaluated in Tz, the host's zone when empty).
type Schedule struct {
	Kind     string `json:"kind"`
	AtMs     int64  `json:"atMs,omitempty"`
	EveryMs  int64  `json:"everyMs,omitempty"`
	AnchorMs *int64 `json:"anchorMs,omitempty"`
	Expr     string `json:"expr,omitempty"`
	Tz       string `json:"tz,omitempty"`
}

// Payload is what a run does: a systemEvent (Text into the main session) or an agentTurn
// (Message as an isolated turn, with its own model, thinking and timeout, and delivery).
type Payload struct {
	Kind              string `json:"kind"`
	Text              string `json:"text,omitempty"`
	Message           string `json:"message,omitempty"`
	Model             string `json:"model,omitempty"`
	Thinking          string `json:"thinking,omitempty"`
	TimeoutSeconds    int64  `json:"timeoutSeconds,omitempty"`
	Deliver           *bool  `json:"deliver,omitempty"`
	Channel           string `json:"channel,omitempty"`
	To                string `json:"to,omitempty"`
	BestEffortDeliver *bool  `json:"bestEffortDeliver,omitempty"`
}

// UnmarshalJSON reads a payload, migrating the original's legacy `provider` key into
// `channel` (lower-cased) as its loader does.
func (p *Payload) UnmarshalJSON(b []byte) error {
	type plain Payload
	var v struct {
		plain
		Provider string `json:"provider"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*p = Payload(v.plain)
	if strings.TrimSpace(p.Channel) == "" && strings.TrimSpace(v.Provider) != "" {
		p.Channel = v.Provider
	}
	p.Channel = strings.ToLower(strings.TrimSpace(p.Channel))
	return nil
}

// Isolation says what an isolated run posts back into the main session.
type Isolation struct {
	PostToMainPrefix   string `json:"postToMainPrefix,omitempty"`
	PostToMainMode     string `json:"postToMainMode,omitempty"`
	PostToMainMaxChars *int64 `json:"postToMainMaxChars,omitempty"`
}

// State is the scheduler's bookkeeping for a job, persisted with it.
type State struct {
	NextRunAtMs    *int64 `json:"nextRunAtMs,omitempty"`
	RunningAtMs    *int64 `json:"runningAtMs,omitempty"`
	LastRunAtMs    *int64 `json:"lastRunAtMs,omitempty"`
	LastStatus     string `json:"lastStatus,omitempty"`
	LastError      string `json:"lastError,omitempty"`
	LastDurationMs *int64 `json:"lastDurationMs,omitempty"`
}

// Job is one scheduled job, in the original's shape.
type Job struct {
	ID             string     `json:"id"`
	AgentID        string     `json:"agentId,omitempty"`
	Name           string     `json:"name"`
	Description    string     `json:"description,omitempty"`
	Enabled        bool       `json:"enabled"`
	DeleteAfterRun *bool      `json:"deleteAfterRun,omitempty"`
	CreatedAtMs    int64      `json:"createdAtMs"`
	UpdatedAtMs    int64      `json:"updatedAtMs"`
	Schedule       Schedule   `json:"schedule"`
	SessionTarget  string     `json:"sessionTarget"`
	WakeMode       string     `json:"wakeMode"`
	Payload        Payload    `json:"payload"`
	Isolation      *Isolation `json:"isolation,omitempty"`
	State          State      `json:"state"`
}

// Clone returns a deep copy (callers get copies; the service keeps the originals).
func (j *Job) Clone() Job {
	b, _ := json.Marshal(j)
	var c Job
	_ = json.Unmarshal(b, &c)
	return c
}

// Create is the input of Add: a job without id, timestamps and state. SessionTarget and
// WakeMode may be empty: they default as the original's normalizer does (main for a
// systemEvent, isolated for an agentTurn; next-heartbeat).
type Create struct {
	AgentID        string
	Name           string
	Description    string
	Enabled        *bool
	DeleteAfterRun *bool
	Schedule       Schedule
	SessionTarget  string
	WakeMode       string
	Payload        Payload
	Isolation      *Isolation
}

// PayloadPatch changes a payload: same kind merges field by field, another kind replaces
// it (and must then be complete).
type PayloadPatch struct {
	Kind              string
	Text              *string
	Message           *string
	Model             *string
	Thinking          *string
	TimeoutSeconds    *int64
	Deliver           *bool
	Channel           *string
	To                *string
	BestEffortDeliver *bool
}

// Patch is the input of Update: nil fields are left alone. AgentID set to a pointer to ""
// clears it.
type Patch struct {
	Name           *string
	AgentID        *string
	Description    *string
	Enabled        *bool
	DeleteAfterRun *bool
	Schedule       *Schedule
	SessionTarget  *string
	WakeMode       *string
	Payload        *PayloadPatch
	Isolation      *Isolation
}

// Errors of the job model. The method layer maps ErrInvalid and ErrNotFound to
// INVALID_REQUEST and ErrLimit to UNAVAILABLE.
var (
	ErrInvalid  = errors.New("invalid cron job")
	ErrNotFound = errors.New("unknown cron job id")
	ErrLimit    = errors.New("cron job limit reached")
)

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// MaxNameChars bounds a job's name (runes); longer names are rejected.
const MaxNameChars = 200

// MaxPayloadChars bounds a payload's text or message (runes).
const MaxPayloadChars = 20000

func validateJob(j *Job) error {
	if strings.TrimSpace(j.Name) == "" {
		return invalid("name is required")
	}
	if utf8.RuneCountInString(j.Name) > MaxNameChars {
		return invalid("name longer than %d characters", MaxNameChars)
	}
	if err := validateSchedule(j.Schedule); err != nil {
		return err
	}
	switch j.Payload.Kind {
	case PayloadSystemEvent:
		if strings.TrimSpace(j.Payload.Text) == "" {
			return invalid(`payload.kind="systemEvent" requires text`)
		}
		if utf8.RuneCountInString(j.Payload.Text) > MaxPayloadChars {
			return invalid("payload text longer than %d characters", MaxPayloadChars)
		}
	case PayloadAgentTurn:
		if strings.TrimSpace(j.Payload.Message) == "" {
			return invalid(`payload.kind="agentTurn" requires message`)
		}
		if utf8.RuneCountInString(j.Payload.Message) > MaxPayloadChars {
			return invalid("payload message longer than %d characters", MaxPayloadChars)
		}
		if j.Payload.TimeoutSeconds < 0 {
			return invalid("payload.timeoutSeconds must be positive")
		}
	default:
		return invalid("unknown payload kind %q", j.Payload.Kind)
	}
	switch j.SessionTarget {
	case TargetMain:
		if j.Payload.Kind != PayloadSystemEvent {
			return invalid(`main cron jobs require payload.kind="systemEvent"`)
		}
	case TargetIsolated:
		if j.Payload.Kind != PayloadAgentTurn {
			return invalid(`isolated cron jobs require payload.kind="agentTurn"`)
		}
	default:
		return invalid("unknown sessionTarget %q", j.SessionTarget)
	}
	if j.WakeMode != WakeNow && j.WakeMode != WakeNextHeartbeat {
		return invalid("unknown wakeMode %q", j.WakeMode)
	}
	if iso := j.Isolation; iso != nil && iso.PostToMainMode != "" && iso.PostToMainMode != "summary" && iso.PostToMainMode != "full" {
		return invalid("unknown isolation.postToMainMode %q", iso.PostToMainMode)
	}
	return nil
}

// inferName is the original's name for a job stored without one: the payload's first
// line (60 characters at most), else a description of the schedule.
func inferName(j *Job) string {
	text := j.Payload.Text
	if j.Payload.Kind == PayloadAgentTurn {
		text = j.Payload.Message
	}
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return truncate(l, 60)
		}
	}
	switch j.Schedule.Kind {
	case KindCron:
		return "Cron: " + truncate(j.Schedule.Expr, 52)
	case KindEvery:
		return fmt.Sprintf("Every: %dms", j.Schedule.EveryMs)
	case KindAt:
		return "One-shot"
	}
	return "Cron job"
}

func truncate(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return strings.TrimRight(string(r[:max-1]), " \t") + "…"
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func ptr[T any](v T) *T { return &v }
