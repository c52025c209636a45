package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Cron is what the cron tool needs: the cron methods run in process with wire params
// (server/cron's *Service satisfies it with Call).
type Cron interface {
	Call(ctx context.Context, method string, params json.RawMessage) (json.RawMessage, error)
}

// Waker queues a note for the main session and optionally runs the heartbeat now
// (server/heartbeat's *Runner satisfies it).
type Waker interface {
	Wake(mode, text string) bool
}

// CronOptions configure the cron tool.
type CronOptions struct {
	Cron  Cron
	Waker Waker
	// AgentID is the running agent; jobs added without agentId belong to it.
	AgentID string
}

// CronTool lets the agent program the scheduler: status, list, add, update, remove, run,
// runs, and wake (the original's actions and argument shapes).
func CronTool(o CronOptions) (*Tool, error) {
	if o.Cron == nil || o.Waker == nil {
		return nil, errors.New("tools: cron needs the cron service and a waker")
	}
	return withSchema(&Tool{Name: "cron", Label: "Cron",
		Description: "Manage Gateway cron jobs (status/list/add/update/remove/run/runs) and send wake events. " +
			"Use `jobId` as the canonical identifier; `id` is accepted for compatibility. " +
			"Schedules: {kind:\"at\", atMs or at (ISO time)} for reminders, {kind:\"every\", everyMs}, {kind:\"cron\", expr, tz}. " +
			"Main-session jobs take payload {kind:\"systemEvent\", text}; isolated jobs {kind:\"agentTurn\", message, to, channel}.",
		Execute: func(ctx context.Context, call Call) (Result, error) {
			var a struct {
				Action          string          `json:"action"`
				IncludeDisabled bool            `json:"includeDisabled"`
				Job             json.RawMessage `json:"job"`
				JobID           string          `json:"jobId"`
				ID              string          `json:"id"`
				Patch           json.RawMessage `json:"patch"`
				Text            string          `json:"text"`
				Mode            string          `json:"mode"`
			}
			if err := decodeArgs(call.Args, &a); err != nil {
				return Result{}, err
			}
			id := strings.TrimSpace(a.JobID)
			if id == "" {
				id = strings.TrimSpace(a.ID)
			}
			callJSON := func(method string, params any) (Result, error) {
				b, err := json.Marshal(params)
				if err != nil {
					return Result{}, err
				}
				out, err := o.Cron.Call(ctx, method, b)
				if err != nil {
					return Result{}, err
				}
				var v any
				if err := json.Unmarshal(out, &v); err != nil {
					return Result{}, err
				}
				return JSONResult(v), nil
			}
			needID := func() error {
				if id == "" {
					return errors.New("jobId required (id accepted for backward compatibility)")
				}
				return nil
			}
			switch a.Action {
			case "status":
				return callJSON("cron.status", map[string]any{})
			case "list":
				return callJSON("cron.list", map[string]any{"includeDisabled": a.IncludeDisabled})
			case "add":
				job, err := normalizeCronJob(a.Job, true)
				if err != nil {
					return Result{}, err
				}
				if _, ok := job["agentId"]; !ok && o.AgentID != "" {
					job["agentId"] = o.AgentID
				}
				return callJSON("cron.add", job)
			case "update":
				if err := needID(); err != nil {
					return Result{}, err
				}
				patch, err := normalizeCronJob(a.Patch, false)
				if err != nil {
					return Result{}, fmt.Errorf("patch required: %w", err)
				}
				return callJSON("cron.update", map[string]any{"id": id, "patch": patch})
			case "remove", "run", "runs":
				if err := needID(); err != nil {
					return Result{}, err
				}
				return callJSON("cron."+a.Action, map[string]any{"id": id})
			case "wake":
				if strings.TrimSpace(a.Text) == "" {
					return Result{}, errors.New("text required")
				}
				mode := a.Mode
				if mode != "now" {
					mode = "next-heartbeat"
				}
				return JSONResult(map[string]any{"ok": o.Waker.Wake(mode, a.Text)}), nil
			}
			return Result{}, fmt.Errorf("Unknown action: %s", a.Action)
		}})
}

// normalizeCronJob applies the original's leniency to a job or patch the model wrote:
// a {data:…} or {job:…} wrapper, a schedule without kind, "at" as an ISO time or digits,
// the legacy payload key provider for channel, and (add only) sessionTarget and wakeMode
// defaults. The result is still validated by the wire schema.
func normalizeCronJob(raw json.RawMessage, isAdd bool) (map[string]any, error) {
	var m map[string]any
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil || m == nil {
		if isAdd {
			return nil, errors.New("job required")
		}
		return nil, errors.New("an object")
	}
	for _, k := range []string{"data", "job"} {
		if inner, ok := m[k].(map[string]any); ok {
			m = inner
			break
		}
	}
	if s, ok := m["schedule"].(map[string]any); ok {
		if _, has := s["kind"]; !has {
			switch {
			case s["atMs"] != nil || s["at"] != nil:
				s["kind"] = "at"
			case s["everyMs"] != nil:
				s["kind"] = "every"
			case s["expr"] != nil:
				s["kind"] = "cron"
			}
		}
		if _, isNum := s["atMs"].(float64); !isNum {
			str, _ := s["atMs"].(string)
			if str == "" {
				str, _ = s["at"].(string)
			}
			if str != "" {
				ms, err := parseAbsoluteTimeMs(str)
				if err != nil {
					return nil, err
				}
				s["atMs"] = ms
			}
		}
		delete(s, "at")
	}
	if p, ok := m["payload"].(map[string]any); ok {
		if prov, ok := p["provider"].(string); ok {
			if ch, _ := p["channel"].(string); strings.TrimSpace(ch) == "" && strings.TrimSpace(prov) != "" {
				p["channel"] = strings.ToLower(strings.TrimSpace(prov))
			}
			delete(p, "provider")
		}
	}
	if isAdd {
		if _, ok := m["wakeMode"]; !ok {
			m["wakeMode"] = "next-heartbeat"
		}
		if _, ok := m["sessionTarget"]; !ok {
			if p, ok := m["payload"].(map[string]any); ok {
				switch p["kind"] {
				case "systemEvent":
					m["sessionTarget"] = "main"
				case "agentTurn":
					m["sessionTarget"] = "isolated"
				}
			}
		}
	}
	return m, nil
}

var (
	isoZone     = regexp.MustCompile(`(?i)(Z|[+-]\d{2}:?\d{2})$`)
	isoDate     = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	isoDateTime = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T`)
	digits      = regexp.MustCompile(`^\d+$`)
)

// parseAbsoluteTimeMs reads epoch milliseconds or an ISO time; a time without a zone is
// UTC (as the original reads it).
func parseAbsoluteTimeMs(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if digits.MatchString(s) {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
			return n, nil
		}
	}
	switch {
	case isoZone.MatchString(s):
	case isoDate.MatchString(s):
		s += "T00:00:00Z"
	case isoDateTime.MatchString(s):
		s += "Z"
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixMilli(), nil
		}
	}
	return 0, fmt.Errorf("schedule.at: cannot read %q as a time (use ISO 8601, e.g. 2026-06-01T09:00:00+02:00)", s)
}
