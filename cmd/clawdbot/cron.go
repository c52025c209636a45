package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/clawgate/gateway/clients/go/gatewayclient"
)

// `clawdbot cron …`: the scheduler over the gateway's cron.* methods, with the
// original's commands and flags (status, list, add, edit, rm, enable, disable, run,
// runs). Exit codes as every helper: 0 ok, 1 the gateway said no, 2 usage, 3 no gateway.

// cronRunWait is how long `cron run` waits: the gateway answers when the run has ended,
// and a run is bounded by its timeout (10 minutes by default).
const cronRunWait = 11 * time.Minute

func newCronCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "cron", Short: "Manage scheduled jobs (reminders, briefings, recurring checks)"}
	cmd.AddCommand(
		cronSimpleCmd(g, "status", "Show the scheduler's state", cobra.NoArgs, func(_ *cobra.Command, _ []string) (string, any, error) {
			return "cron.status", map[string]any{}, nil
		}),
		newCronListCmd(g), newCronAddCmd(g), newCronEditCmd(g),
		cronSimpleCmd(g, "rm <id>", "Remove a job", cobra.ExactArgs(1), func(_ *cobra.Command, a []string) (string, any, error) {
			return "cron.remove", map[string]any{"id": a[0]}, nil
		}),
		cronSimpleCmd(g, "enable <id>", "Enable a job", cobra.ExactArgs(1), func(_ *cobra.Command, a []string) (string, any, error) {
			return "cron.update", map[string]any{"id": a[0], "patch": map[string]any{"enabled": true}}, nil
		}),
		cronSimpleCmd(g, "disable <id>", "Disable a job", cobra.ExactArgs(1), func(_ *cobra.Command, a []string) (string, any, error) {
			return "cron.update", map[string]any{"id": a[0], "patch": map[string]any{"enabled": false}}, nil
		}),
		newCronRunCmd(g), newCronRunsCmd(g),
	)
	return cmd
}

// cronCall sends one method and prints its result (JSON with --json, else a summary).
func cronCall(cmd *cobra.Command, g *globalFlags, h *helperFlags, method string, params any, human func(json.RawMessage) string) error {
	return h.withClient(cmd.Context(), g, func(ctx context.Context, c *gatewayclient.Client) error {
		var raw json.RawMessage
		if err := c.Call(ctx, method, params, &raw); err != nil {
			return err
		}
		var hf func() string
		if human != nil {
			hf = func() string { return human(raw) }
		}
		return printResult(cmd.OutOrStdout(), h.json, raw, hf)
	})
}

func cronSimpleCmd(g *globalFlags, use, short string, args cobra.PositionalArgs, build func(*cobra.Command, []string) (string, any, error)) *cobra.Command {
	h := &helperFlags{}
	cmd := &cobra.Command{Use: use, Short: short, Args: args,
		RunE: func(cmd *cobra.Command, a []string) error {
			method, params, err := build(cmd, a)
			if err != nil {
				return &exitError{exitUsage, err}
			}
			return cronCall(cmd, g, h, method, params, nil)
		}}
	h.register(cmd)
	return cmd
}

func newCronListCmd(g *globalFlags) *cobra.Command {
	h := &helperFlags{}
	var all bool
	cmd := &cobra.Command{Use: "list", Short: "List jobs (enabled ones unless --all)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cronCall(cmd, g, h, "cron.list", map[string]any{"includeDisabled": all}, func(raw json.RawMessage) string {
				var r struct {
					Jobs []struct {
						ID       string          `json:"id"`
						Name     string          `json:"name"`
						Enabled  bool            `json:"enabled"`
						Schedule json.RawMessage `json:"schedule"`
						State    struct {
							NextRunAtMs *int64 `json:"nextRunAtMs"`
							LastStatus  string `json:"lastStatus"`
						} `json:"state"`
					} `json:"jobs"`
				}
				_ = json.Unmarshal(raw, &r)
				if len(r.Jobs) == 0 {
					return "no cron jobs"
				}
				var b strings.Builder
				for i, j := range r.Jobs {
					next := "-"
					if j.State.NextRunAtMs != nil {
						next = time.UnixMilli(*j.State.NextRunAtMs).Format(time.RFC3339)
					}
					state := "enabled"
					if !j.Enabled {
						state = "disabled"
					}
					if i > 0 {
						b.WriteByte('\n')
					}
					fmt.Fprintf(&b, "%s  %s  %s  next %s  last %s  %s", j.ID, j.Name, state, next, orDash(&j.State.LastStatus), j.Schedule)
				}
				return b.String()
			})
		}}
	cmd.Flags().BoolVar(&all, "all", false, "include disabled jobs")
	h.register(cmd)
	return cmd
}

// cronJobFlags are the flags add and edit share.
type cronJobFlags struct {
	name, description, agent, session, wake string
	at, every, cronExpr, tz                 string
	systemEvent, message, thinking, model   string
	timeoutSeconds                          int
	deliver, bestEffort                     bool
	channel, to                             string
	postPrefix, postMode                    string
	postMaxChars                            int
	deleteAfterRun, disabled                bool
	// edit only
	enable, disable, keepAfterRun, clearAgent, noDeliver, noBestEffort bool
}

func (f *cronJobFlags) register(fl *pflag.FlagSet, edit bool) {
	fl.StringVar(&f.name, "name", "", "job name")
	fl.StringVar(&f.description, "description", "", "description")
	fl.StringVar(&f.agent, "agent", "", "agent id for this job")
	fl.StringVar(&f.session, "session", "", "session target (main|isolated; default from the payload)")
	fl.StringVar(&f.wake, "wake", "", "wake mode (now|next-heartbeat)")
	fl.StringVar(&f.at, "at", "", "run once at a time (ISO 8601) or after a duration (+20m)")
	fl.StringVar(&f.every, "every", "", "run every duration (10m, 1h, 1d)")
	fl.StringVar(&f.cronExpr, "cron", "", "cron expression (5 fields, or 6 with seconds)")
	fl.StringVar(&f.tz, "tz", "", "time zone of the cron expression (IANA)")
	fl.StringVar(&f.systemEvent, "system-event", "", "system event text (main session)")
	fl.StringVar(&f.message, "message", "", "agent message (isolated session)")
	fl.StringVar(&f.thinking, "thinking", "", "thinking level for agent jobs")
	fl.StringVar(&f.model, "model", "", "model override for agent jobs (provider/model or alias)")
	fl.IntVar(&f.timeoutSeconds, "timeout-seconds", 0, "run timeout for agent jobs")
	fl.BoolVar(&f.deliver, "deliver", false, "deliver the agent's answer")
	fl.StringVar(&f.channel, "channel", "", "delivery channel (telegram, whatsapp, … or last)")
	fl.StringVar(&f.to, "to", "", "delivery recipient")
	fl.BoolVar(&f.bestEffort, "best-effort-deliver", false, "do not fail the job when delivery fails")
	fl.StringVar(&f.postPrefix, "post-prefix", "", "prefix of the note posted to the main session")
	fl.StringVar(&f.postMode, "post-mode", "", "what isolated jobs post to the main session (summary|full)")
	fl.IntVar(&f.postMaxChars, "post-max-chars", 0, "max characters with --post-mode=full")
	fl.BoolVar(&f.deleteAfterRun, "delete-after-run", false, "delete a one-shot job after it succeeds")
	if edit {
		fl.BoolVar(&f.enable, "enable", false, "enable the job")
		fl.BoolVar(&f.disable, "disable", false, "disable the job")
		fl.BoolVar(&f.keepAfterRun, "keep-after-run", false, "keep a one-shot job after it succeeds")
		fl.BoolVar(&f.clearAgent, "clear-agent", false, "use the default agent")
		fl.BoolVar(&f.noDeliver, "no-deliver", false, "do not deliver")
		fl.BoolVar(&f.noBestEffort, "no-best-effort-deliver", false, "fail the job when delivery fails")
	} else {
		fl.BoolVar(&f.disabled, "disabled", false, "create the job disabled")
	}
}

// parseCronDuration reads 500ms, 10s, 20m, 1h, 1d (a bare number is minutes, as the
// original's default unit).
func parseCronDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "+"))
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		s = strconv.FormatFloat(n, 'f', -1, 64) + "m"
	}
	if strings.HasSuffix(s, "d") {
		n, err := strconv.ParseFloat(strings.TrimSuffix(s, "d"), 64)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		return time.Duration(n * float64(24*time.Hour)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("invalid duration %q (use 10m, 1h, 1d)", s)
	}
	return d, nil
}

// parseCronAt reads an absolute time (ISO 8601; without a zone it is UTC) or a duration
// from now.
func parseCronAt(s string, now time.Time) (int64, error) {
	s = strings.TrimSpace(s)
	if d, err := parseCronDuration(s); err == nil {
		return now.Add(d).UnixMilli(), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixMilli(), nil
		}
	}
	return 0, fmt.Errorf("--at: cannot read %q (use ISO 8601 like 2026-06-01T09:00:00+02:00, or +20m)", s)
}

// schedule is the schedule the flags describe (nil when none is given).
func (f *cronJobFlags) schedule(now time.Time) (map[string]any, error) {
	n := 0
	for _, v := range []string{f.at, f.every, f.cronExpr} {
		if strings.TrimSpace(v) != "" {
			n++
		}
	}
	if n > 1 {
		return nil, errors.New("choose one schedule: --at, --every or --cron")
	}
	switch {
	case f.at != "":
		ms, err := parseCronAt(f.at, now)
		if err != nil {
			return nil, err
		}
		return map[string]any{"kind": "at", "atMs": ms}, nil
	case f.every != "":
		d, err := parseCronDuration(f.every)
		if err != nil {
			return nil, err
		}
		return map[string]any{"kind": "every", "everyMs": d.Milliseconds()}, nil
	case f.cronExpr != "":
		s := map[string]any{"kind": "cron", "expr": f.cronExpr}
		if f.tz != "" {
			s["tz"] = f.tz
		}
		return s, nil
	}
	return nil, nil
}

func (f *cronJobFlags) isolation(changed func(string) bool) map[string]any {
	iso := map[string]any{}
	if changed("post-prefix") {
		iso["postToMainPrefix"] = f.postPrefix
	}
	if changed("post-mode") {
		iso["postToMainMode"] = f.postMode
	}
	if changed("post-max-chars") {
		iso["postToMainMaxChars"] = f.postMaxChars
	}
	if len(iso) == 0 {
		return nil
	}
	return iso
}

// agentPayloadFields are the agentTurn fields the flags set.
func (f *cronJobFlags) agentPayloadFields(p map[string]any, changed func(string) bool) {
	if changed("thinking") {
		p["thinking"] = f.thinking
	}
	if changed("model") {
		p["model"] = f.model
	}
	if changed("timeout-seconds") {
		p["timeoutSeconds"] = f.timeoutSeconds
	}
	if changed("deliver") {
		p["deliver"] = f.deliver
	}
	if f.noDeliver {
		p["deliver"] = false
	}
	if changed("channel") {
		p["channel"] = f.channel
	}
	if changed("to") {
		p["to"] = f.to
	}
	if changed("best-effort-deliver") {
		p["bestEffortDeliver"] = f.bestEffort
	}
	if f.noBestEffort {
		p["bestEffortDeliver"] = false
	}
}

// addParams maps add's flags to cron.add params.
func (f *cronJobFlags) addParams(changed func(string) bool, now time.Time) (map[string]any, error) {
	if strings.TrimSpace(f.name) == "" {
		return nil, errors.New("--name is required")
	}
	sched, err := f.schedule(now)
	if err != nil {
		return nil, err
	}
	if sched == nil {
		return nil, errors.New("a schedule is required: --at, --every or --cron")
	}
	if (f.systemEvent == "") == (f.message == "") {
		return nil, errors.New("choose one payload: --system-event or --message")
	}
	p := map[string]any{"name": f.name, "schedule": sched}
	if f.systemEvent != "" {
		p["payload"] = map[string]any{"kind": "systemEvent", "text": f.systemEvent}
	} else {
		pl := map[string]any{"kind": "agentTurn", "message": f.message}
		f.agentPayloadFields(pl, changed)
		p["payload"] = pl
	}
	if f.description != "" {
		p["description"] = f.description
	}
	if f.agent != "" {
		p["agentId"] = f.agent
	}
	if f.session != "" {
		p["sessionTarget"] = f.session
	}
	if f.wake != "" {
		p["wakeMode"] = f.wake
	}
	if f.disabled {
		p["enabled"] = false
	}
	if f.deleteAfterRun {
		p["deleteAfterRun"] = true
	}
	if iso := f.isolation(changed); iso != nil {
		p["isolation"] = iso
	}
	return p, nil
}

// editPatch maps edit's flags to a cron.update patch (only what was given).
func (f *cronJobFlags) editPatch(changed func(string) bool, now time.Time) (map[string]any, error) {
	if f.enable && f.disable {
		return nil, errors.New("--enable and --disable exclude each other")
	}
	if f.deleteAfterRun && f.keepAfterRun {
		return nil, errors.New("--delete-after-run and --keep-after-run exclude each other")
	}
	if f.systemEvent != "" && f.message != "" {
		return nil, errors.New("choose one payload: --system-event or --message")
	}
	patch := map[string]any{}
	sched, err := f.schedule(now)
	if err != nil {
		return nil, err
	}
	if sched != nil {
		patch["schedule"] = sched
	} else if changed("tz") {
		return nil, errors.New("--tz needs --cron")
	}
	for flag, key := range map[string]string{"name": "name", "description": "description", "session": "sessionTarget", "wake": "wakeMode", "agent": "agentId"} {
		if changed(flag) {
			patch[key] = map[string]string{"name": f.name, "description": f.description, "session": f.session, "wake": f.wake, "agent": f.agent}[flag]
		}
	}
	if f.clearAgent {
		patch["agentId"] = ""
	}
	if f.enable {
		patch["enabled"] = true
	}
	if f.disable {
		patch["enabled"] = false
	}
	if f.deleteAfterRun {
		patch["deleteAfterRun"] = true
	}
	if f.keepAfterRun {
		patch["deleteAfterRun"] = false
	}
	switch {
	case f.systemEvent != "":
		patch["payload"] = map[string]any{"kind": "systemEvent", "text": f.systemEvent}
	default:
		pl := map[string]any{"kind": "agentTurn"}
		if f.message != "" {
			pl["message"] = f.message
		}
		f.agentPayloadFields(pl, changed)
		if len(pl) > 1 {
			patch["payload"] = pl
		}
	}
	if iso := f.isolation(changed); iso != nil {
		patch["isolation"] = iso
	}
	if len(patch) == 0 {
		return nil, errors.New("nothing to change")
	}
	return patch, nil
}

func newCronAddCmd(g *globalFlags) *cobra.Command {
	h := &helperFlags{}
	f := &cronJobFlags{}
	cmd := &cobra.Command{Use: "add", Short: "Add a job", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := f.addParams(cmd.Flags().Changed, time.Now())
			if err != nil {
				return &exitError{exitUsage, err}
			}
			return cronCall(cmd, g, h, "cron.add", p, func(raw json.RawMessage) string {
				var j struct {
					ID string `json:"id"`
				}
				_ = json.Unmarshal(raw, &j)
				return "added cron job " + j.ID
			})
		}}
	f.register(cmd.Flags(), false)
	h.register(cmd)
	return cmd
}

func newCronEditCmd(g *globalFlags) *cobra.Command {
	h := &helperFlags{}
	f := &cronJobFlags{}
	cmd := &cobra.Command{Use: "edit <id>", Short: "Change a job (only the given flags)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			patch, err := f.editPatch(cmd.Flags().Changed, time.Now())
			if err != nil {
				return &exitError{exitUsage, err}
			}
			return cronCall(cmd, g, h, "cron.update", map[string]any{"id": a[0], "patch": patch}, func(json.RawMessage) string {
				return "updated cron job " + a[0]
			})
		}}
	f.register(cmd.Flags(), true)
	h.register(cmd)
	return cmd
}

func newCronRunCmd(g *globalFlags) *cobra.Command {
	h := &helperFlags{}
	var force bool
	cmd := &cobra.Command{Use: "run <id>", Short: "Run a job now (when due, or with --force) and wait for it", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			if !cmd.Flags().Changed("timeout") {
				h.timeout = max(h.timeout, cronRunWait)
			}
			p := map[string]any{"id": a[0]}
			if force {
				p["mode"] = "force"
			}
			return cronCall(cmd, g, h, "cron.run", p, nil)
		}}
	cmd.Flags().BoolVar(&force, "force", false, "run even if not due")
	h.register(cmd)
	return cmd
}

func newCronRunsCmd(g *globalFlags) *cobra.Command {
	h := &helperFlags{}
	var id string
	var limit int
	cmd := &cobra.Command{Use: "runs --id <id>", Short: "Show a job's run history", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(id) == "" {
				return &exitError{exitUsage, errors.New("--id is required")}
			}
			if limit < 1 || limit > 5000 {
				return &exitError{exitUsage, errors.New("--limit must be between 1 and 5000")}
			}
			return cronCall(cmd, g, h, "cron.runs", map[string]any{"id": id, "limit": limit}, nil)
		}}
	cmd.Flags().StringVar(&id, "id", "", "job id")
	cmd.Flags().IntVar(&limit, "limit", 50, "max entries")
	h.register(cmd)
	return cmd
}
