package tools

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/clawgate/gateway/server/agent/llm"
	"github.com/clawgate/gateway/server/execapprove"
)

// Exec defaults (the original's).
const (
	DefaultYieldMs     = 10_000
	MinYieldMs         = 10
	MaxYieldMs         = 120_000
	DefaultExecTimeout = 1800 * time.Second
	// DefaultUpdateInterval spaces partial results of a running command.
	DefaultUpdateInterval = 250 * time.Millisecond
	// execSlack is added to the exec tool's own timeout beyond approval + yield.
	execSlack = 30 * time.Second
)

// GatewaySecretEnv are variables holding the gateway's own secrets; exec never passes
// them (nor the provider keys the gateway reads) to commands.
var GatewaySecretEnv = []string{"CLAWDBOT_GATEWAY_TOKEN", "CLAWDBOT_GATEWAY_PASSWORD", "TELEGRAM_BOT_TOKEN",
	"BRAVE_API_KEY", "PERPLEXITY_API_KEY"} // the last two: web_search's keys

// ScrubbedEnv returns the names exec removes from a command's environment: the gateway's
// secrets, every provider key variable, and extra.
func ScrubbedEnv(extra ...string) []string {
	out := append(append(append([]string(nil), GatewaySecretEnv...), llm.ProviderKeyEnvVars()...), extra...)
	slices.Sort(out)
	return slices.Compact(out)
}

// ExecOptions configure the exec tool.
type ExecOptions struct {
	// Workspace is the default working directory (and the base of relative workdirs).
	Workspace string
	// Gate decides about every command; nil denies all commands.
	Gate *execapprove.Gate
	// Security and Ask are tools.exec.security / ask (defaults allowlist / on-miss).
	Security execapprove.Security
	Ask      execapprove.Ask
	// Host is tools.exec.host: "gateway" (default) or "node"; Node binds host=node.
	Host  string
	Node  string
	Nodes Nodes
	// AgentID and SessionKey identify the run for approvals.
	AgentID    string
	SessionKey string
	ScopeKey   string
	SafeBins   []string
	// PathPrepend is added to the front of PATH.
	PathPrepend []string
	// YieldMs is the default time before a command moves to the background.
	YieldMs int
	// Timeout kills a command (default DefaultExecTimeout).
	Timeout time.Duration
	// NoBackground runs everything in the foreground (the process tool is not allowed).
	NoBackground bool
	// ApprovalTimeout is how long the gate may wait for a person (for the tool timeout).
	ApprovalTimeout time.Duration
	// Processes holds the started commands; required.
	Processes *Processes
	// Environ is the base environment (default os.Environ).
	Environ func() []string
	// ScrubEnv names more variables to remove; KeepEnv exempts names from scrubbing.
	ScrubEnv []string
	KeepEnv  []string
	// UpdateInterval spaces partial results (default DefaultUpdateInterval).
	UpdateInterval time.Duration
	// NotifyOnExit (tools.exec.notifyOnExit) sends a notice through Notify when a
	// command that moved to the background exits.
	NotifyOnExit bool
	// ApprovalRunningNotice (tools.exec.approvalRunningNoticeMs): a command a person
	// approved that still runs after this long is announced through Notify (≤ 0: never).
	ApprovalRunningNotice time.Duration
	// Notify records a notice for the session (a system note and a heartbeat in the
	// daemon); nil drops notices.
	Notify func(ctx context.Context, sessionKey, text string)
	// Elevated is the run's elevated mode (tools.elevated, the session's level): who
	// may run commands elevated, and the level that applies when the call does not say.
	Elevated Elevated
	// MessageProvider is the channel the run answers (for the elevated error's context).
	MessageProvider string
	// CleanupTTL (tools.exec.cleanupMs) is how long this run's finished background
	// commands stay listable for the process tool (0 = the registry's default), clamped
	// to [MinCleanupTTL, MaxCleanupTTL] as the original clamps it.
	CleanupTTL time.Duration
}

// Elevated is the elevated gate of a run: Enabled (tools.elevated.enabled and the
// agent's), Allowed (the sender is in tools.elevated.allowFrom.<channel> and the
// agent's list) and Level, the session's /elevated level or
// agents.defaults.elevatedDefault (off | on | ask | full).
type Elevated struct {
	Enabled, Allowed bool
	Level            string
}

// elevatedMode is the mode of one call: "full" (on the gateway host, no approvals),
// "ask" (on the gateway host, approvals as usual) or "off". An explicit elevated
// parameter asks for it; without one the session's level applies when the sender is
// allowed, as in the original.
func (e Elevated) mode(param *bool) string {
	def := "off"
	switch strings.ToLower(e.Level) {
	case "full":
		def = "full"
	case "ask", "on":
		def = "ask"
	}
	if param != nil {
		if !*param {
			return "off"
		}
		if def == "full" {
			return "full"
		}
		return "ask"
	}
	if e.Enabled && e.Allowed {
		return def
	}
	return "off"
}

// elevatedUnavailable is the original's error for an elevated call nobody allowed.
func (o *ExecOptions) elevatedUnavailable() error {
	gate := "allowFrom (tools.elevated.allowFrom.<provider> / agents.list[].tools.elevated.allowFrom.<provider>)"
	if !o.Elevated.Enabled {
		gate = "enabled (tools.elevated.enabled / agents.list[].tools.elevated.enabled)"
	}
	lines := []string{"elevated is not available right now (runtime=direct).", "Failing gates: " + gate}
	var ctx []string
	if p := strings.TrimSpace(o.MessageProvider); p != "" {
		ctx = append(ctx, "provider="+p)
	}
	if k := strings.TrimSpace(o.SessionKey); k != "" {
		ctx = append(ctx, "session="+k)
	}
	if len(ctx) > 0 {
		lines = append(lines, "Context: "+strings.Join(ctx, " "))
	}
	lines = append(lines, "Fix-it keys:", "- tools.elevated.enabled", "- tools.elevated.allowFrom.<provider>",
		"- agents.list[].tools.elevated.enabled", "- agents.list[].tools.elevated.allowFrom.<provider>")
	return errors.New(strings.Join(lines, "\n"))
}

// Notice limits (the original's).
const (
	// DefaultApprovalRunningNotice is approvalRunningNoticeMs's default.
	DefaultApprovalRunningNotice = 10 * time.Second
	// NotifyTailChars bounds the output quoted in an exit notice.
	NotifyTailChars = 400
	// MinCleanupTTL and MaxCleanupTTL bound cleanupMs.
	MinCleanupTTL = time.Minute
	MaxCleanupTTL = 3 * time.Hour
	// noticeTimeout bounds writing one notice.
	noticeTimeout = 10 * time.Second
)

// notice hands text to Notify off the caller's goroutine (a process exit or a timer).
func (o *ExecOptions) notice(text string) {
	if o.Notify == nil || o.SessionKey == "" {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), noticeTimeout)
		defer cancel()
		o.Notify(ctx, o.SessionKey, text)
	}()
}

// exitNotice is the notice of a background command that exited: status, the first 8
// characters of its session id, exit code or signal, and the tail of its output on one
// line.
func exitNotice(id string, code int, sig string, output string) string {
	status, label := "completed", fmt.Sprintf("code %d", code)
	if sig != "" {
		label = "signal " + sig
	}
	if code != 0 || sig != "" {
		status = "failed"
	}
	if len(id) > 8 {
		id = id[:8]
	}
	out := strings.Join(strings.Fields(tailString(output, NotifyTailChars)), " ")
	if out == "" {
		return fmt.Sprintf("Exec %s (%s, %s)", status, id, label)
	}
	return fmt.Sprintf("Exec %s (%s, %s) :: %s", status, id, label, out)
}

type execArgs struct {
	Command    string            `json:"command"`
	Workdir    string            `json:"workdir"`
	Env        map[string]string `json:"env"`
	YieldMs    *float64          `json:"yieldMs"`
	Background bool              `json:"background"`
	Timeout    *float64          `json:"timeout"`
	Pty        bool              `json:"pty"`
	Elevated   *bool             `json:"elevated"`
	Host       string            `json:"host"`
	Security   string            `json:"security"`
	Ask        string            `json:"ask"`
	Node       string            `json:"node"`
}

// ExecTool returns the exec tool.
func ExecTool(o ExecOptions) (*Tool, error) {
	if o.Processes == nil {
		return nil, errors.New("tools: exec needs a process registry")
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultExecTimeout
	}
	if o.YieldMs <= 0 {
		o.YieldMs = DefaultYieldMs
	}
	o.YieldMs = min(max(o.YieldMs, MinYieldMs), MaxYieldMs)
	if o.Environ == nil {
		o.Environ = os.Environ
	}
	if o.UpdateInterval <= 0 {
		o.UpdateInterval = DefaultUpdateInterval
	}
	if o.ApprovalTimeout <= 0 {
		o.ApprovalTimeout = execapprove.DefaultApprovalTimeout
	}
	if o.Host == "" || o.Host == "sandbox" {
		o.Host = execapprove.HostGateway
	}
	if o.Workspace == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, err
		}
		o.Workspace = wd
	}
	run := time.Duration(o.YieldMs) * time.Millisecond
	if o.NoBackground {
		run = o.Timeout
	}
	return withSchema(&Tool{Name: "exec", Label: "exec",
		Description: "Run a shell command. Commands pass the exec approvals gate (allowlist, or a person approves); long-running commands move to the background after yieldMs and are managed with the process tool.",
		Timeout:     o.ApprovalTimeout + run + execSlack,
		Execute: func(ctx context.Context, call Call) (Result, error) {
			var a execArgs
			if err := decodeArgs(call.Args, &a); err != nil {
				return Result{}, err
			}
			return o.exec(ctx, call, a)
		}})
}

// env builds the command's environment: the base environment without the scrubbed
// names, then the call's variables, then PATH prepends.
func (o *ExecOptions) env(extra map[string]string) []string {
	scrub := ScrubbedEnv(o.ScrubEnv...)
	keep := func(name string) bool {
		for _, k := range o.KeepEnv {
			if strings.EqualFold(k, name) {
				return true
			}
		}
		return false
	}
	var out []string
	for _, kv := range o.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, s := range scrub {
			if strings.EqualFold(s, k) && !keep(k) {
				drop = true
				break
			}
		}
		if !drop {
			out = append(out, kv)
		}
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if k == "" || strings.ContainsAny(k, "=\x00") || strings.ContainsRune(extra[k], 0) {
			continue
		}
		out = setEnv(out, k, extra[k])
	}
	if len(o.PathPrepend) > 0 {
		cur := environ(out)["PATH"]
		var parts []string
		seen := map[string]bool{}
		for _, p := range append(append([]string(nil), o.PathPrepend...), filepath.SplitList(cur)...) {
			if p = strings.TrimSpace(p); p != "" && !seen[p] {
				seen[p] = true
				parts = append(parts, p)
			}
		}
		out = setEnv(out, "PATH", strings.Join(parts, string(os.PathListSeparator)))
	}
	return out
}

func setEnv(env []string, k, v string) []string {
	for i, kv := range env {
		if name, _, _ := strings.Cut(kv, "="); strings.EqualFold(name, k) && (runtime.GOOS == "windows" || name == k) {
			env[i] = k + "=" + v
			return env
		}
	}
	return append(env, k+"="+v)
}

func (o *ExecOptions) workdir(req string, warnings *[]string) string {
	wd := strings.TrimSpace(req)
	if wd == "" {
		return o.Workspace
	}
	if !filepath.IsAbs(wd) {
		wd = filepath.Join(o.Workspace, wd)
	}
	if st, err := os.Stat(wd); err != nil || !st.IsDir() {
		*warnings = append(*warnings, fmt.Sprintf("Warning: workdir %q is unavailable; using %q.", req, o.Workspace))
		return o.Workspace
	}
	return wd
}

func (o *ExecOptions) exec(ctx context.Context, call Call, a execArgs) (Result, error) {
	if strings.TrimSpace(a.Command) == "" {
		return Result{}, errors.New("Provide a command to start.")
	}
	var warnings []string
	elevated := o.Elevated.mode(a.Elevated)
	if elevated != "off" && (!o.Elevated.Enabled || !o.Elevated.Allowed) {
		return Result{}, o.elevatedUnavailable()
	}
	if a.Pty {
		warnings = append(warnings, "Warning: PTY is not available; running without a terminal.")
	}
	host := o.Host
	if elevated != "off" {
		// Elevated runs on the gateway host whatever host is configured or asked for.
		host, a.Host = execapprove.HostGateway, ""
	}
	if req := strings.ToLower(strings.TrimSpace(a.Host)); req != "" {
		if req == "sandbox" {
			req = execapprove.HostGateway
		}
		if req != execapprove.HostGateway && req != execapprove.HostNode {
			return Result{}, fmt.Errorf("unknown exec host %q (gateway or node)", a.Host)
		}
		if req != host {
			return Result{}, fmt.Errorf("exec host not allowed (requested %s; configure tools.exec.host=%s to allow).", req, req)
		}
	}
	sec := o.Security
	if sec == "" {
		sec = execapprove.SecurityAllowlist
	}
	if r := execapprove.ParseSecurity(a.Security); r != "" {
		sec = execapprove.MinSecurity(sec, r)
	}
	ask := o.Ask
	if ask == "" {
		ask = execapprove.AskOnMiss
	}
	if r := execapprove.ParseAsk(a.Ask); r != "" {
		ask = execapprove.MaxAsk(ask, r)
	}
	timeout := o.Timeout
	if a.Timeout != nil && *a.Timeout > 0 {
		timeout = time.Duration(*a.Timeout * float64(time.Second))
	}
	if host == execapprove.HostNode {
		return o.execNode(ctx, a, sec, ask, timeout, warnings)
	}
	workdir := o.workdir(a.Workdir, &warnings)
	env := o.env(a.Env)
	var ap execapprove.Approval
	if elevated != "full" {
		if o.Gate == nil {
			return Result{}, errors.New("exec denied: no exec approvals gate is configured")
		}
		var err error
		ap, err = o.Gate.Check(ctx, execapprove.Request{Command: a.Command, Cwd: workdir, PATH: environ(env)["PATH"],
			Host: execapprove.HostGateway, AgentID: o.AgentID, SessionKey: o.SessionKey, Security: sec, Ask: ask, SafeBins: o.SafeBins})
		if err != nil {
			return Result{}, err
		}
	}
	// elevated "full" runs without the approvals gate (security full, ask off), as the
	// original's auto-approval; only a sender in tools.elevated.allowFrom gets here.
	if ctx.Err() != nil {
		return Result{}, ctx.Err()
	}
	if o.NoBackground && (a.Background || a.YieldMs != nil) {
		warnings = append([]string{"Warning: background execution is disabled; running synchronously."}, warnings...)
	}
	warn := ""
	if len(warnings) > 0 {
		warn = strings.Join(warnings, "\n") + "\n\n"
	}
	// Partial results while the command runs in the foreground, at most one per interval.
	var (
		upMu     sync.Mutex
		lastSent time.Time
	)
	p, err := o.Processes.start(a.Command, workdir, env, o.ScopeKey, func(p *proc) {
		if o.CleanupTTL > 0 {
			p.ttl = min(max(o.CleanupTTL, MinCleanupTTL), MaxCleanupTTL)
		}
		if o.NotifyOnExit {
			p.onExit = func(id string, code int, sig, output string) { o.notice(exitNotice(id, code, sig, output)) }
		}
		p.onOutput = func() {
			upMu.Lock()
			now := time.Now()
			if now.Sub(lastSent) < o.UpdateInterval {
				upMu.Unlock()
				return
			}
			lastSent = now
			upMu.Unlock()
			_, tail := p.snapshot()
			call.Update(Result{Content: []llm.Part{llm.TextPart(warn + tail)}, Details: map[string]any{"status": "running",
				"sessionId": p.id, "pid": p.cmd.Process.Pid, "startedAt": p.startedAt.UnixMilli(), "cwd": p.cwd, "tail": tail}})
		}
	})
	if err != nil {
		return Result{}, err
	}

	if ap.Asked && o.ApprovalRunningNotice > 0 {
		// A command a person approved that runs long is announced (the original's
		// "Exec running" system event), whether or not it is in the background by then.
		secs := max(1, int(o.ApprovalRunningNotice.Round(time.Second)/time.Second))
		t := time.AfterFunc(o.ApprovalRunningNotice, func() {
			select {
			case <-p.done:
			default:
				o.notice(fmt.Sprintf("Exec running (gateway id=%s, session=%s, >%ds): %s", ap.ApprovalID, p.id, secs, a.Command))
			}
		})
		go func() { <-p.done; t.Stop() }()
	}

	var yield <-chan time.Time
	if !o.NoBackground {
		ms := o.YieldMs
		if a.YieldMs != nil {
			ms = min(max(int(*a.YieldMs), MinYieldMs), MaxYieldMs)
		}
		if a.Background {
			ms = 0
		}
		t := time.NewTimer(time.Duration(ms) * time.Millisecond)
		defer t.Stop()
		yield = t.C
	}
	killTimer := time.AfterFunc(timeout, func() {
		p.mu.Lock()
		p.timedOut = !p.exited
		p.mu.Unlock()
		killProcessGroup(p.cmd)
	})
	// The kill timer outlives the call when the command moves to the background.

	select {
	case <-p.done:
		killTimer.Stop()
		return o.finish(p, warn, timeout)
	case <-yield:
		p.mu.Lock()
		p.backgrounded = true
		p.onOutput = nil
		p.mu.Unlock()
		_, tail := p.snapshot()
		return Result{Content: []llm.Part{llm.TextPart(fmt.Sprintf("%sCommand still running (session %s, pid %d). Use process (list/poll/log/write/kill/clear/remove) for follow-up.",
			warn, p.id, p.cmd.Process.Pid))}, Details: map[string]any{"status": "running", "sessionId": p.id, "pid": p.cmd.Process.Pid,
			"startedAt": p.startedAt.UnixMilli(), "cwd": p.cwd, "tail": tail}}, nil
	case <-ctx.Done():
		killTimer.Stop()
		p.kill()
		select {
		case <-p.done:
		case <-time.After(killWait + time.Second):
		}
		return Result{}, fmt.Errorf("exec aborted: %w", context.Cause(ctx))
	}
}

func (o *ExecOptions) finish(p *proc, warn string, timeout time.Duration) (Result, error) {
	agg, _ := p.snapshot()
	agg = strings.TrimSpace(agg)
	p.mu.Lock()
	code, sig, timedOut := p.exitCode, p.exitSignal, p.timedOut
	dur := p.endedAt.Sub(p.startedAt)
	p.mu.Unlock()
	if timedOut || code != 0 || sig != "" {
		var reason string
		switch {
		case timedOut:
			reason = fmt.Sprintf("Command timed out after %s", formatSeconds(timeout))
		case sig != "":
			reason = "Command aborted by signal " + sig
		default:
			reason = fmt.Sprintf("Command exited with code %d", code)
		}
		if agg != "" {
			reason = agg + "\n\n" + reason
		}
		return Result{Content: []llm.Part{llm.TextPart(warn + reason)}, IsError: true, Details: map[string]any{"status": "failed",
			"exitCode": code, "durationMs": dur.Milliseconds(), "aggregated": agg, "cwd": p.cwd, "timedOut": timedOut}}, nil
	}
	text := agg
	if text == "" {
		text = "(no output)"
	}
	return Result{Content: []llm.Part{llm.TextPart(warn + text)}, Details: map[string]any{"status": "completed", "exitCode": code,
		"durationMs": dur.Milliseconds(), "aggregated": agg, "cwd": p.cwd}}, nil
}

func formatSeconds(d time.Duration) string {
	s := d.Seconds()
	if s == float64(int64(s)) {
		return fmt.Sprintf("%d seconds", int64(s))
	}
	return fmt.Sprintf("%g seconds", s)
}

// execNode runs the command on a paired node through system.run, after the same gate.
func (o *ExecOptions) execNode(ctx context.Context, a execArgs, sec execapprove.Security, ask execapprove.Ask, timeout time.Duration, warnings []string) (Result, error) {
	if o.Nodes == nil {
		return Result{}, errors.New("exec host=node requires a paired node (none available). This requires a companion app or node host.")
	}
	if o.Gate == nil {
		return Result{}, errors.New("exec denied: no exec approvals gate is configured")
	}
	bound, requested := strings.TrimSpace(o.Node), strings.TrimSpace(a.Node)
	if bound != "" && requested != "" && bound != requested {
		return Result{}, fmt.Errorf("exec node not allowed (bound to %s)", bound)
	}
	query := bound
	if query == "" {
		query = requested
	}
	nodes, err := o.Nodes.List(ctx)
	if err != nil {
		return Result{}, err
	}
	if len(nodes) == 0 {
		return Result{}, errors.New("exec host=node requires a paired node (none available). This requires a companion app or node host.")
	}
	nodeID, err := ResolveNode(nodes, query, query == "")
	if err != nil {
		if query == "" {
			return Result{}, errors.New("exec host=node requires a node id when multiple nodes are available (set tools.exec.node or exec.node).")
		}
		return Result{}, err
	}
	info := findNode(nodes, nodeID)
	if !slices.Contains(info.Commands, "system.run") {
		return Result{}, errors.New("exec host=node requires a node that supports system.run (companion app or node host).")
	}
	argv := nodeShellArgv(a.Command, info.Platform)
	// The node's own allowlist when it can be read; otherwise nothing is allowlisted and
	// a person is asked.
	allow := []execapprove.AllowlistEntry{}
	if na, ok := o.Nodes.(NodeApprovals); ok {
		if f, err := na.NodeApprovalsFile(ctx, nodeID); err == nil && f != nil {
			allow = execapprove.Resolve(*f, o.AgentID, execapprove.Overrides{Security: execapprove.SecurityAllowlist}).Allowlist
		}
	}
	ap, err := o.Gate.Check(ctx, execapprove.Request{Command: a.Command, Cwd: a.Workdir, Host: execapprove.HostNode, NodeID: nodeID,
		AgentID: o.AgentID, SessionKey: o.SessionKey, Security: sec, Ask: ask, Allowlist: allow, SafeBins: []string{}})
	if err != nil {
		return Result{}, err
	}
	params := map[string]any{"command": argv, "rawCommand": a.Command, "agentId": o.AgentID, "sessionKey": o.SessionKey,
		"approved": ap.Asked && ap.Decision != "", "timeoutMs": timeout.Milliseconds()}
	if a.Workdir != "" {
		params["cwd"] = a.Workdir
	}
	if len(a.Env) > 0 {
		params["env"] = a.Env
	}
	if ap.Decision == execapprove.AllowOnce || ap.Decision == execapprove.AllowAlways {
		params["approvalDecision"] = string(ap.Decision)
	}
	if ap.ApprovalID != "" {
		params["runId"] = ap.ApprovalID
	}
	start := time.Now()
	payload, err := o.Nodes.Invoke(ctx, InvokeRequest{NodeID: nodeID, Command: "system.run", Params: params,
		Timeout: max(10*time.Second, timeout+5*time.Second), IdempotencyKey: newIdempotencyKey()})
	if err != nil {
		return Result{}, err
	}
	var out struct {
		ExitCode *int    `json:"exitCode"`
		TimedOut bool    `json:"timedOut"`
		Success  bool    `json:"success"`
		Stdout   string  `json:"stdout"`
		Stderr   string  `json:"stderr"`
		Error    *string `json:"error"`
	}
	_ = json.Unmarshal(payload, &out)
	errText := ""
	if out.Error != nil {
		errText = *out.Error
	}
	text := out.Stdout
	if text == "" {
		text = out.Stderr
	}
	if text == "" {
		text = errText
	}
	var agg []string
	for _, s := range []string{out.Stdout, out.Stderr, errText} {
		if s != "" {
			agg = append(agg, s)
		}
	}
	st := "failed"
	if out.Success {
		st = "completed"
	}
	warn := ""
	if len(warnings) > 0 {
		warn = strings.Join(warnings, "\n") + "\n\n"
	}
	return Result{Content: []llm.Part{llm.TextPart(warn + text)}, IsError: !out.Success, Details: map[string]any{"status": st,
		"exitCode": out.ExitCode, "durationMs": time.Since(start).Milliseconds(), "aggregated": strings.Join(agg, "\n"), "cwd": a.Workdir}}, nil
}

// nodeShellArgv wraps a shell command line for the node's platform.
func nodeShellArgv(command, platform string) []string {
	p := strings.ToLower(platform)
	if strings.HasPrefix(p, "win") {
		return []string{"cmd.exe", "/d", "/s", "/c", command}
	}
	return []string{"/bin/sh", "-lc", command}
}

func newIdempotencyKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
