package tools

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"
)

// Process limits.
const (
	// DefaultMaxOutputChars bounds the output kept per process (the tail is kept).
	DefaultMaxOutputChars = 200_000
	// DefaultPendingMaxOutputChars bounds unread output per stream for process poll.
	DefaultPendingMaxOutputChars = 30_000
	// DefaultTailChars is the tail shown in running results and listings.
	DefaultTailChars = 2000
	// DefaultFinishedTTL is how long finished background sessions stay listable.
	DefaultFinishedTTL = 30 * time.Minute
	// DefaultMaxProcesses bounds processes started through exec that are still running.
	DefaultMaxProcesses = 32
	// DefaultMaxFinished bounds finished sessions kept for poll/log.
	DefaultMaxFinished = 200
	// killWait is how long a killed process may take to exit before its pipes are closed.
	killWait = 2 * time.Second
)

// ProcessOptions configure a Processes registry.
type ProcessOptions struct {
	MaxOutputChars        int
	PendingMaxOutputChars int
	FinishedTTL           time.Duration
	MaxProcesses          int
	MaxFinished           int
	Now                   func() time.Time
}

// Processes owns the commands exec started: running ones (foreground and background)
// and finished background ones, for the process tool. One registry is shared by the
// runs of an agent; Close kills everything still running (gateway shutdown).
type Processes struct {
	o        ProcessOptions
	mu       sync.Mutex
	running  map[string]*proc
	finished map[string]*proc
	closed   bool
}

// NewProcesses returns a registry.
func NewProcesses(o ProcessOptions) *Processes {
	if o.MaxOutputChars <= 0 {
		o.MaxOutputChars = DefaultMaxOutputChars
	}
	if o.PendingMaxOutputChars <= 0 {
		o.PendingMaxOutputChars = DefaultPendingMaxOutputChars
	}
	if o.FinishedTTL <= 0 {
		o.FinishedTTL = DefaultFinishedTTL
	}
	if o.MaxProcesses <= 0 {
		o.MaxProcesses = DefaultMaxProcesses
	}
	if o.MaxFinished <= 0 {
		o.MaxFinished = DefaultMaxFinished
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Processes{o: o, running: map[string]*proc{}, finished: map[string]*proc{}}
}

// proc is one started command.
type proc struct {
	reg       *Processes
	id        string
	command   string
	scopeKey  string
	cwd       string
	startedAt time.Time
	cmd       *exec.Cmd
	stdin     io.WriteCloser
	done      chan struct{}

	mu           sync.Mutex
	aggregated   []byte
	totalOutput  int64
	truncated    bool
	pendingOut   []byte
	pendingErr   []byte
	backgrounded bool
	exited       bool
	exitCode     int
	exitSignal   string
	timedOut     bool
	killed       bool
	endedAt      time.Time
	onOutput     func()
	// ttl is how long this finished background session stays (0 = the registry's).
	ttl time.Duration
	// onExit, when set, is told when a backgrounded command exits (notifyOnExit).
	onExit func(id string, code int, sig, output string)
}

type procWriter struct {
	p      *proc
	stderr bool
}

func (w procWriter) Write(b []byte) (int, error) {
	w.p.append(b, w.stderr)
	return len(b), nil
}

func keepTail(buf []byte, add []byte, max int) ([]byte, bool) {
	buf = append(buf, add...)
	if len(buf) <= max {
		return buf, false
	}
	cut := len(buf) - max
	out := make([]byte, max, max+max/4)
	copy(out, buf[cut:])
	return out, true
}

func (p *proc) append(b []byte, stderr bool) {
	p.mu.Lock()
	var t bool
	p.totalOutput += int64(len(b))
	p.aggregated, t = keepTail(p.aggregated, b, p.reg.o.MaxOutputChars)
	p.truncated = p.truncated || t
	if stderr {
		p.pendingErr, t = keepTail(p.pendingErr, b, p.reg.o.PendingMaxOutputChars)
	} else {
		p.pendingOut, t = keepTail(p.pendingOut, b, p.reg.o.PendingMaxOutputChars)
	}
	p.truncated = p.truncated || t
	cb := p.onOutput
	p.mu.Unlock()
	if cb != nil {
		cb()
	}
}

// cleanOutput makes process output safe to show: valid UTF-8, no control characters
// other than tab and newlines.
func cleanOutput(b []byte) string {
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || r == '\r' || !unicode.IsControl(r) {
			return r
		}
		return -1
	}, s)
}

func tailString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[len(s)-n:]
	for len(s) > 0 && s[0]&0xC0 == 0x80 { // don't start inside a UTF-8 sequence
		s = s[1:]
	}
	return s
}

func (p *proc) snapshot() (agg string, tail string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	agg = cleanOutput(p.aggregated)
	return agg, tailString(agg, DefaultTailChars)
}

func (p *proc) status() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case !p.exited:
		return "running"
	case p.killed:
		return "killed"
	case p.exitCode == 0 && p.exitSignal == "" && !p.timedOut:
		return "completed"
	default:
		return "failed"
	}
}

// kill ends the process group.
func (p *proc) kill() {
	p.mu.Lock()
	if !p.exited {
		p.killed = true
	}
	p.mu.Unlock()
	killProcessGroup(p.cmd)
}

var errTooManyProcesses = errors.New("too many running exec sessions")

// start launches command through the shell. setup, when set, configures the proc (its
// output callback) before the process starts, so no early output can slip past it.
func (r *Processes) start(command, cwd string, env []string, scopeKey string, setup func(*proc)) (*proc, error) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, errors.New("exec: shutting down")
	}
	if len(r.running) >= r.o.MaxProcesses {
		r.mu.Unlock()
		return nil, fmt.Errorf("%w (limit %d); kill finished work with the process tool", errTooManyProcesses, r.o.MaxProcesses)
	}
	id := r.newID()
	r.mu.Unlock()

	name, args := shellCommand(command)
	cmd := exec.Command(name, args...)
	cmd.Dir = cwd
	cmd.Env = env
	setProcessGroup(cmd)
	p := &proc{reg: r, id: id, command: command, scopeKey: scopeKey, cwd: cwd, cmd: cmd, done: make(chan struct{})}
	cmd.Stdout = procWriter{p, false}
	cmd.Stderr = procWriter{p, true}
	cmd.WaitDelay = killWait
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	p.stdin = stdin
	p.startedAt = r.o.Now()
	if setup != nil {
		setup(p)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("exec: start: %w", err)
	}
	r.mu.Lock()
	r.running[id] = p
	r.mu.Unlock()
	go p.wait()
	return p, nil
}

func (p *proc) wait() {
	err := p.cmd.Wait()
	p.mu.Lock()
	p.exited = true
	p.endedAt = p.reg.o.Now()
	if ps := p.cmd.ProcessState; ps != nil {
		p.exitCode = ps.ExitCode()
		p.exitSignal = exitSignal(ps)
	} else if err != nil {
		p.exitCode = -1
	}
	bg := p.backgrounded
	onExit, code, sig := p.onExit, p.exitCode, p.exitSignal
	p.mu.Unlock()
	if bg && onExit != nil {
		agg, _ := p.snapshot()
		onExit(p.id, code, sig, agg)
	}
	// A killed shell can leave children holding the pipes; make sure the group is gone.
	killProcessGroup(p.cmd)
	r := p.reg
	r.mu.Lock()
	delete(r.running, p.id)
	if bg {
		r.finished[p.id] = p
		r.pruneLocked()
	}
	r.mu.Unlock()
	close(p.done)
}

func (r *Processes) newID() string {
	for {
		id := randHex(4)
		if _, ok := r.running[id]; ok {
			continue
		}
		if _, ok := r.finished[id]; ok {
			continue
		}
		return id
	}
}

// pruneLocked drops finished sessions past their TTL and beyond MaxFinished.
func (r *Processes) pruneLocked() {
	now := r.o.Now()
	var list []*proc
	for id, p := range r.finished {
		ttl := r.o.FinishedTTL
		if p.ttl > 0 {
			ttl = p.ttl
		}
		if p.endedAt.Before(now.Add(-ttl)) {
			delete(r.finished, id)
			continue
		}
		list = append(list, p)
	}
	if len(list) > r.o.MaxFinished {
		sort.Slice(list, func(i, j int) bool { return list[i].endedAt.Before(list[j].endedAt) })
		for _, p := range list[:len(list)-r.o.MaxFinished] {
			delete(r.finished, p.id)
		}
	}
}

// Close kills every running process and waits briefly for them to go.
func (r *Processes) Close() {
	r.mu.Lock()
	r.closed = true
	var ps []*proc
	for _, p := range r.running {
		ps = append(ps, p)
	}
	r.mu.Unlock()
	for _, p := range ps {
		p.kill()
	}
	for _, p := range ps {
		select {
		case <-p.done:
		case <-time.After(killWait + time.Second):
		}
	}
}

func (r *Processes) get(id, scope string) (running, finished *proc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pruneLocked()
	if p, ok := r.running[id]; ok && (scope == "" || p.scopeKey == scope) {
		running = p
	}
	if p, ok := r.finished[id]; ok && (scope == "" || p.scopeKey == scope) {
		finished = p
	}
	return running, finished
}

// ProcessTool returns the process tool for the sessions of scope ("" = all).
func ProcessTool(r *Processes, scope string) (*Tool, error) {
	return withSchema(&Tool{Name: "process", Label: "process",
		Description: "Manage background exec sessions: list, poll (new output), log (output lines), write (stdin), kill, clear, remove.",
		Execute: func(ctx context.Context, call Call) (Result, error) {
			var a struct {
				Action    string   `json:"action"`
				SessionID string   `json:"sessionId"`
				Data      *string  `json:"data"`
				EOF       bool     `json:"eof"`
				Offset    *float64 `json:"offset"`
				Limit     *float64 `json:"limit"`
			}
			if err := decodeArgs(call.Args, &a); err != nil {
				return Result{}, err
			}
			return r.action(a.Action, a.SessionID, a.Data, a.EOF, a.Offset, a.Limit, scope), nil
		}})
}

func failed(text string) Result {
	return Result{Content: TextResult(text, nil).Content, Details: map[string]any{"status": "failed"}}
}

func exitLabel(code int, sig string) string {
	if sig != "" {
		return "signal " + sig
	}
	return fmt.Sprintf("code %d", code)
}

func (r *Processes) action(action, id string, data *string, eof bool, offset, limit *float64, scope string) Result {
	now := r.o.Now()
	if action == "list" {
		r.mu.Lock()
		r.pruneLocked()
		var ps []*proc
		for _, p := range r.running {
			p.mu.Lock()
			bg := p.backgrounded
			p.mu.Unlock()
			if bg && (scope == "" || p.scopeKey == scope) {
				ps = append(ps, p)
			}
		}
		for _, p := range r.finished {
			if scope == "" || p.scopeKey == scope {
				ps = append(ps, p)
			}
		}
		r.mu.Unlock()
		sort.Slice(ps, func(i, j int) bool { return ps[i].startedAt.After(ps[j].startedAt) })
		var lines []string
		rows := []map[string]any{}
		for _, p := range ps {
			_, tail := p.snapshot()
			st := p.status()
			p.mu.Lock()
			end := now
			if p.exited {
				end = p.endedAt
			}
			row := map[string]any{"sessionId": p.id, "status": st, "startedAt": p.startedAt.UnixMilli(), "runtimeMs": end.Sub(p.startedAt).Milliseconds(),
				"cwd": p.cwd, "command": p.command, "tail": tail, "truncated": p.truncated}
			if p.exited {
				row["endedAt"] = p.endedAt.UnixMilli()
				row["exitCode"] = p.exitCode
				if p.exitSignal != "" {
					row["exitSignal"] = p.exitSignal
				}
			} else if p.cmd.Process != nil {
				row["pid"] = p.cmd.Process.Pid
			}
			p.mu.Unlock()
			rows = append(rows, row)
			lines = append(lines, fmt.Sprintf("%s %-9s %s :: %s", p.id, st, formatDuration(end.Sub(p.startedAt)), truncateMiddle(p.command, 120)))
		}
		text := strings.Join(lines, "\n")
		if text == "" {
			text = "No running or recent sessions."
		}
		return TextResult(text, map[string]any{"status": "completed", "sessions": rows})
	}
	if id == "" {
		return failed("sessionId is required for this action.")
	}
	run, fin := r.get(id, scope)
	switch action {
	case "poll":
		p := run
		if p == nil {
			p = fin
		}
		if p == nil {
			return failed("No session found for " + id)
		}
		p.mu.Lock()
		if !p.backgrounded {
			p.mu.Unlock()
			return failed(fmt.Sprintf("Session %s is not backgrounded.", id))
		}
		out, errOut := cleanOutput(p.pendingOut), cleanOutput(p.pendingErr)
		p.pendingOut, p.pendingErr = nil, nil
		exited, code, sig := p.exited, p.exitCode, p.exitSignal
		p.mu.Unlock()
		agg, _ := p.snapshot()
		var parts []string
		for _, s := range []string{strings.TrimRight(out, " \t\r\n"), strings.TrimRight(errOut, " \t\r\n")} {
			if s != "" {
				parts = append(parts, s)
			}
		}
		text := strings.TrimSpace(strings.Join(parts, "\n"))
		if text == "" {
			text = "(no new output)"
		}
		st := "running"
		if exited {
			text += "\n\nProcess exited with " + exitLabel(code, sig) + "."
			st = p.status()
		} else {
			text += "\n\nProcess still running."
		}
		d := map[string]any{"status": st, "sessionId": id, "aggregated": agg}
		if exited {
			d["exitCode"] = code
		}
		return TextResult(text, d)
	case "log":
		p := run
		if p == nil {
			p = fin
		}
		if p == nil {
			return failed("No session found for " + id)
		}
		p.mu.Lock()
		bg := p.backgrounded
		p.mu.Unlock()
		if !bg {
			return failed(fmt.Sprintf("Session %s is not backgrounded.", id))
		}
		agg, _ := p.snapshot()
		slice, total := sliceLines(agg, offset, limit)
		st := p.status()
		if slice == "" {
			slice = "(no output yet)"
		}
		p.mu.Lock()
		d := map[string]any{"status": st, "sessionId": id, "total": total, "totalLines": total, "totalChars": len(agg), "truncated": p.truncated}
		p.mu.Unlock()
		return TextResult(slice, d)
	case "write":
		if run == nil {
			return failed("No active session found for " + id)
		}
		run.mu.Lock()
		bg := run.backgrounded
		run.mu.Unlock()
		if !bg {
			return failed(fmt.Sprintf("Session %s is not backgrounded.", id))
		}
		payload := ""
		if data != nil {
			payload = *data
		}
		if _, err := io.WriteString(run.stdin, payload); err != nil {
			return failed(fmt.Sprintf("Session %s stdin is not writable.", id))
		}
		if eof {
			_ = run.stdin.Close()
		}
		suffix := ""
		if eof {
			suffix = " (stdin closed)"
		}
		return TextResult(fmt.Sprintf("Wrote %d bytes to session %s%s.", len(payload), id, suffix), map[string]any{"status": "running", "sessionId": id})
	case "kill":
		if run == nil {
			return failed("No active session found for " + id)
		}
		run.mu.Lock()
		bg := run.backgrounded
		run.mu.Unlock()
		if !bg {
			return failed(fmt.Sprintf("Session %s is not backgrounded.", id))
		}
		run.kill()
		select {
		case <-run.done:
		case <-time.After(killWait + time.Second):
		}
		return TextResult("Killed session "+id+".", map[string]any{"status": "failed", "name": id})
	case "clear":
		if fin == nil {
			return failed("No finished session found for " + id)
		}
		r.mu.Lock()
		delete(r.finished, id)
		r.mu.Unlock()
		return TextResult("Cleared session "+id+".", map[string]any{"status": "completed"})
	case "remove":
		if run != nil {
			run.kill()
			select {
			case <-run.done:
			case <-time.After(killWait + time.Second):
			}
		}
		r.mu.Lock()
		_, had := r.finished[id]
		delete(r.finished, id)
		r.mu.Unlock()
		if run == nil && !had {
			return failed("No session found for " + id)
		}
		return TextResult("Removed session "+id+".", map[string]any{"status": "completed"})
	}
	return failed("Unknown action " + action)
}

// sliceLines returns lines [offset, offset+limit) of text; with only a limit, the last
// limit lines (the original's log paging).
func sliceLines(text string, offset, limit *float64) (string, int) {
	if text == "" {
		return "", 0
	}
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	total := len(lines)
	start := 0
	if offset != nil {
		start = max(0, int(*offset))
	}
	if limit != nil && offset == nil {
		start = max(total-max(0, int(*limit)), 0)
	}
	end := total
	if limit != nil {
		end = min(total, start+max(0, int(*limit)))
	}
	if start > total {
		start = total
	}
	if end < start {
		end = start
	}
	return strings.Join(lines[start:end], "\n"), total
}

func formatDuration(d time.Duration) string {
	s := int(d.Seconds())
	if s < 60 {
		return fmt.Sprintf("%ds", s)
	}
	if s < 3600 {
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	}
	return fmt.Sprintf("%dh%02dm", s/3600, (s%3600)/60)
}

func truncateMiddle(s string, n int) string {
	if len(s) <= n {
		return s
	}
	half := (n - 1) / 2
	return s[:half] + "…" + s[len(s)-half:]
}

// environ returns env (KEY=VALUE pairs) as a map, later entries winning.
func environ(env []string) map[string]string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			m[k] = v
		}
	}
	return m
}
