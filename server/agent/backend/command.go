package backend

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

const (
	defaultMaxOutputBytes = 1 << 20
	stderrTailBytes       = 4 << 10
	defaultFlushInterval  = 50 * time.Millisecond
	defaultKillGrace      = 2 * time.Second
	// pipeGrace is how long stdout may stay open (held by a grandchild) after
	// the program itself exited.
	pipeGrace = time.Second
	// PromptPlaceholder in Args is replaced by the prompt text.
	PromptPlaceholder = "{prompt}"
)

// CommandOptions configures a backend that runs a local program per turn.
type CommandOptions struct {
	Program string
	// Args are passed to Program; an arg equal to "{prompt}" is replaced by the prompt.
	Args []string
	// Env is added to (and overrides) the gateway's environment.
	Env map[string]string
	// Dir is the working directory ("" = the gateway's).
	Dir string
	// MaxOutputBytes bounds stdout (default 1 MiB); over it the process is killed.
	MaxOutputBytes int
	// KillGrace is the wait between SIGTERM and SIGKILL on cancellation (default 2 s).
	KillGrace time.Duration
	// FlushInterval is how long a partial stdout line is held before it is
	// delivered anyway (default 50 ms).
	FlushInterval time.Duration
	// Logger defaults to a discarding logger.
	Logger *slog.Logger
}

// Command is a Backend that runs a program with the prompt on stdin (and in
// place of a "{prompt}" arg) and streams its stdout as the assistant's text.
type Command struct {
	opts CommandOptions
	log  *slog.Logger
}

// ExitError is a program that exited unsuccessfully.
type ExitError struct {
	Code   int    // exit status; -1 when killed by a signal
	Stderr string // the last 4 KiB of stderr
}

func (e *ExitError) Error() string {
	msg := strings.TrimSpace(e.Stderr)
	if msg == "" {
		return fmt.Sprintf("command: exit status %d", e.Code)
	}
	return fmt.Sprintf("command: exit status %d: %s", e.Code, msg)
}

// NewCommand returns a command backend.
func NewCommand(opts CommandOptions) (*Command, error) {
	if opts.Program == "" {
		return nil, errors.New("command: Program is required")
	}
	if opts.MaxOutputBytes <= 0 {
		opts.MaxOutputBytes = defaultMaxOutputBytes
	}
	if opts.KillGrace <= 0 {
		opts.KillGrace = defaultKillGrace
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = defaultFlushInterval
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Command{opts: opts, log: log}, nil
}

type readResult struct {
	data []byte
	err  error
}

// Run starts the program and streams its stdout until it exits.
func (c *Command) Run(ctx context.Context, req Request, onDelta func(Delta)) (Result, error) {
	if onDelta == nil {
		onDelta = func(Delta) {}
	}
	ctx, cancel := withTimeout(ctx, req.Timeout)
	defer cancel()
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("command: %w", err)
	}

	prompt := BuildPrompt(req.Messages)
	args := make([]string, len(c.opts.Args))
	for i, a := range c.opts.Args {
		if a == PromptPlaceholder {
			a = prompt
		}
		args[i] = a
	}
	cmd := exec.Command(c.opts.Program, args...)
	cmd.Dir = c.opts.Dir
	if len(c.opts.Env) > 0 {
		env := os.Environ()
		for k, v := range c.opts.Env {
			env = append(env, k+"="+v)
		}
		cmd.Env = env
	}
	cmd.Stdin = strings.NewReader(prompt)
	stderr := &tailBuffer{max: stderrTailBytes}
	cmd.Stderr = stderr
	cmd.WaitDelay = pipeGrace
	setProcessGroup(cmd)

	pr, pw, err := os.Pipe()
	if err != nil {
		return Result{}, fmt.Errorf("command: stdout pipe: %w", err)
	}
	defer pr.Close()
	cmd.Stdout = pw
	if err := cmd.Start(); err != nil {
		pw.Close()
		return Result{}, fmt.Errorf("command: start %s: %w", c.opts.Program, err)
	}
	pw.Close()
	c.log.DebugContext(ctx, "command started", "program", c.opts.Program, "pid", cmd.Process.Pid)

	done := make(chan struct{})
	defer close(done)
	chunks := make(chan readResult, 4)
	go func() {
		for {
			buf := make([]byte, 32<<10)
			n, err := pr.Read(buf)
			if n > 0 {
				select {
				case chunks <- readResult{data: buf[:n]}:
				case <-done:
					return
				}
			}
			if err != nil {
				select {
				case chunks <- readResult{err: err}:
				case <-done:
				}
				return
			}
		}
	}()
	waitc := make(chan error, 1)
	go func() { waitc <- cmd.Wait() }()

	var (
		text      strings.Builder
		pending   []byte
		total     int
		flush     *time.Timer
		flushC    <-chan time.Time
		killC     <-chan time.Time
		graceC    <-chan time.Time
		stdoutEOF bool
		exited    bool
		waitErr   error
		runErr    error // set when we decided to kill the process
	)
	emit := func(b []byte) {
		if len(b) > 0 {
			s := string(b)
			text.WriteString(s)
			onDelta(Delta{Text: s})
		}
	}
	stopFlush := func() {
		if flush != nil {
			flush.Stop()
			flush, flushC = nil, nil
		}
	}
	defer stopFlush()
	ctxDone := ctx.Done()

	for !(stdoutEOF && exited) {
		select {
		case r := <-chunks:
			if r.err != nil {
				stdoutEOF = true
				emit(pending)
				pending = nil
				stopFlush()
				continue
			}
			if runErr != nil {
				continue // killing: drop further output
			}
			total += len(r.data)
			if total > c.opts.MaxOutputBytes {
				runErr = fmt.Errorf("command: output exceeds %d bytes", c.opts.MaxOutputBytes)
				killGroup(cmd, true)
				stopFlush()
				continue
			}
			pending = append(pending, r.data...)
			if i := lastNewline(pending); i >= 0 {
				emit(pending[:i+1])
				pending = append([]byte(nil), pending[i+1:]...)
				stopFlush()
			}
			if len(pending) > 0 && flush == nil {
				flush = time.NewTimer(c.opts.FlushInterval)
				flushC = flush.C
			}
		case <-flushC:
			flush, flushC = nil, nil
			n := completeUTF8(pending)
			emit(pending[:n])
			pending = append([]byte(nil), pending[n:]...)
		case <-ctxDone:
			ctxDone = nil
			if runErr == nil {
				runErr = fmt.Errorf("command: %w", ctx.Err())
			}
			killGroup(cmd, false)
			kt := time.NewTimer(c.opts.KillGrace)
			defer kt.Stop()
			killC = kt.C
		case <-killC:
			killC = nil
			killGroup(cmd, true)
		case waitErr = <-waitc:
			exited = true
			if runErr != nil {
				killGroup(cmd, true) // leftovers of a cancelled run
			}
			if !stdoutEOF {
				gt := time.NewTimer(pipeGrace)
				defer gt.Stop()
				graceC = gt.C
			}
		case <-graceC:
			graceC = nil
			pr.Close() // a grandchild still holds stdout; stop reading
		}
	}

	if runErr != nil {
		return Result{Text: text.String()}, runErr
	}
	res := Result{Text: text.String(), FinishReason: "stop"}
	if waitErr != nil {
		var ee *exec.ExitError
		if errors.As(waitErr, &ee) {
			return res, &ExitError{Code: ee.ExitCode(), Stderr: stderr.String()}
		}
		if !errors.Is(waitErr, exec.ErrWaitDelay) {
			return res, fmt.Errorf("command: wait: %w", waitErr)
		}
	}
	c.log.DebugContext(ctx, "command done", "program", c.opts.Program, "chars", text.Len())
	return res, nil
}

func lastNewline(b []byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == '\n' {
			return i
		}
	}
	return -1
}

// completeUTF8 returns the length of b without a trailing incomplete UTF-8
// sequence, so a flushed partial line never splits a character.
func completeUTF8(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return i
			}
			break
		}
	}
	return len(b)
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
