//go:build unix

package tools

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/execapprove"
)

type fixedAsker struct {
	mu    sync.Mutex
	d     execapprove.Decision
	asked []execapprove.ApprovalRequest
}

func (a *fixedAsker) Ask(ctx context.Context, req execapprove.ApprovalRequest) (execapprove.Decision, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.asked = append(a.asked, req)
	return a.d, nil
}

type execFixture struct {
	ws    string
	store *execapprove.Store
	procs *Processes
}

func newExecFixture(t *testing.T) *execFixture {
	t.Helper()
	home := t.TempDir()
	f := &execFixture{ws: t.TempDir(), store: execapprove.NewStore(execapprove.DefaultPath(home), filepath.Join(home, ".clawdbot", "s.sock")),
		procs: NewProcesses(ProcessOptions{})}
	t.Cleanup(f.procs.Close)
	return f
}

func (f *execFixture) gate(t *testing.T, asker execapprove.Asker, timeout time.Duration) *execapprove.Gate {
	t.Helper()
	g, err := execapprove.NewGate(execapprove.GateOptions{Store: f.store, Asker: asker, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func (f *execFixture) tool(t *testing.T, o ExecOptions) *Tool {
	t.Helper()
	o.Workspace, o.Processes = f.ws, f.procs
	if o.Environ == nil {
		o.Environ = func() []string { return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + f.ws} }
	}
	return mustTool(ExecTool(o))
}

func execCall(ctx context.Context, tl *Tool, args map[string]any, onUpdate func(Result)) (Result, error) {
	b, _ := json.Marshal(args)
	if err := tl.Validate(b); err != nil {
		return Result{}, err
	}
	return tl.Execute(ctx, Call{ID: "call-1", Args: b, OnUpdate: onUpdate})
}

func lookDir(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed", name)
	}
	return filepath.Dir(p)
}

func TestExecAllowlistedCommandRunsWithoutAsking(t *testing.T) {
	f := newExecFixture(t)
	if err := f.store.Save(execapprove.File{Version: 1, Agents: map[string]execapprove.Agent{
		"main": {Allowlist: []execapprove.AllowlistEntry{{Pattern: filepath.Join(lookDir(t, "echo"), "echo")}}}}}); err != nil {
		t.Fatal(err)
	}
	asker := &fixedAsker{d: execapprove.Deny}
	tl := f.tool(t, ExecOptions{Gate: f.gate(t, asker, time.Second)})
	r, err := execCall(context.Background(), tl, map[string]any{"command": "echo hello"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := r.Details.(map[string]any)
	if text(r) != "hello" || d["status"] != "completed" || d["exitCode"] != 0 || len(asker.asked) != 0 {
		t.Fatalf("%q %+v asked=%d", text(r), d, len(asker.asked))
	}
}

// A command that is not approved never runs: its side effect never appears on disk.
func TestExecNotApprovedNeverRuns(t *testing.T) {
	lookDir(t, "touch")
	cases := map[string]func(t *testing.T, f *execFixture) *execapprove.Gate{
		"denied": func(t *testing.T, f *execFixture) *execapprove.Gate {
			return f.gate(t, &fixedAsker{d: execapprove.Deny}, time.Second)
		},
		"unanswered": func(t *testing.T, f *execFixture) *execapprove.Gate {
			return f.gate(t, execapprove.NewManager(execapprove.ManagerOptions{}), 50*time.Millisecond)
		},
		"no approver": func(t *testing.T, f *execFixture) *execapprove.Gate { return f.gate(t, nil, time.Second) },
		"security deny": func(t *testing.T, f *execFixture) *execapprove.Gate {
			_ = f.store.Save(execapprove.File{Version: 1, Defaults: &execapprove.Defaults{Security: execapprove.SecurityDeny}})
			return f.gate(t, &fixedAsker{d: execapprove.AllowOnce}, time.Second)
		},
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			f := newExecFixture(t)
			tl := f.tool(t, ExecOptions{Gate: mk(t, f)})
			marker := filepath.Join(f.ws, "marker")
			_, err := execCall(context.Background(), tl, map[string]any{"command": "touch " + marker}, nil)
			if !execapprove.IsDenied(err) {
				t.Fatalf("want a denial, got %v", err)
			}
			if _, err := os.Stat(marker); !os.IsNotExist(err) {
				t.Fatalf("denied command ran: %v", err)
			}
			f.procs.mu.Lock()
			n := len(f.procs.running)
			f.procs.mu.Unlock()
			if n != 0 {
				t.Fatalf("%d processes started", n)
			}
		})
	}
}

// A second party approves through the manager; the command runs and its output is the
// tool result.
func TestExecApprovedByAnotherClient(t *testing.T) {
	f := newExecFixture(t)
	events := &approvalEvents{ch: make(chan execapprove.Record, 1)}
	mgr := execapprove.NewManager(execapprove.ManagerOptions{Events: events})
	tl := f.tool(t, ExecOptions{Gate: f.gate(t, mgr, 10*time.Second), AgentID: "main", SessionKey: "main"})
	go func() {
		rec := <-events.ch
		if rec.Request.Command != "echo approved > out.txt && cat out.txt" || *rec.Request.Host != "gateway" {
			t.Errorf("request %+v", rec.Request)
		}
		_ = mgr.Resolve(rec.ID, execapprove.AllowOnce, "second client")
	}()
	r, err := execCall(context.Background(), tl, map[string]any{"command": "echo approved > out.txt && cat out.txt"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if text(r) != "approved" {
		t.Fatalf("%q", text(r))
	}
	if b, _ := os.ReadFile(filepath.Join(f.ws, "out.txt")); string(b) != "approved\n" {
		t.Fatalf("file %q", b)
	}
}

type approvalEvents struct{ ch chan execapprove.Record }

func (e *approvalEvents) ApprovalRequested(r execapprove.Record) { e.ch <- r }
func (e *approvalEvents) ApprovalResolved(execapprove.Resolved)  {}

func fullAccess(t *testing.T, f *execFixture) execapprove.Security {
	t.Helper()
	_ = f.store.Save(execapprove.File{Version: 1, Defaults: &execapprove.Defaults{Security: execapprove.SecurityFull, Ask: execapprove.AskOff}})
	return execapprove.SecurityFull
}

func TestExecEnvironmentIsScrubbed(t *testing.T) {
	f := newExecFixture(t)
	sec := fullAccess(t, f)
	tl := f.tool(t, ExecOptions{Gate: f.gate(t, nil, time.Second), Security: sec, Ask: execapprove.AskOff, PathPrepend: []string{"/opt/extra/bin"},
		Environ: func() []string {
			return []string{"PATH=" + os.Getenv("PATH"), "CLAWDBOT_GATEWAY_TOKEN=gw-secret", "CLAWDBOT_GATEWAY_PASSWORD=pw-secret",
				"OPENAI_API_KEY=sk-secret", "ANTHROPIC_API_KEY=ant-secret", "TELEGRAM_BOT_TOKEN=tg-secret",
				"BRAVE_API_KEY=brave-secret", "PERPLEXITY_API_KEY=pplx-secret", "KEEP_ME=visible"}
		}})
	r, err := execCall(context.Background(), tl, map[string]any{"command": "env", "env": map[string]string{"EXTRA": "1"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := text(r)
	for _, s := range []string{"gw-secret", "pw-secret", "sk-secret", "ant-secret", "tg-secret", "brave-secret", "pplx-secret"} {
		if strings.Contains(out, s) {
			t.Fatalf("secret %s leaked:\n%s", s, out)
		}
	}
	if !strings.Contains(out, "KEEP_ME=visible") || !strings.Contains(out, "EXTRA=1") || !strings.Contains(out, "PATH=/opt/extra/bin:") {
		t.Fatalf("env:\n%s", out)
	}
}

func TestExecFailureAndTimeout(t *testing.T) {
	f := newExecFixture(t)
	sec := fullAccess(t, f)
	tl := f.tool(t, ExecOptions{Gate: f.gate(t, nil, time.Second), Security: sec, Ask: execapprove.AskOff, NoBackground: true})
	r, err := execCall(context.Background(), tl, map[string]any{"command": "echo oops >&2; exit 3"}, nil)
	if err != nil || !r.IsError || text(r) != "oops\n\nCommand exited with code 3" {
		t.Fatalf("%q %v", text(r), err)
	}
	r, err = execCall(context.Background(), tl, map[string]any{"command": "sleep 30", "timeout": 0.2}, nil)
	if err != nil || !r.IsError || !strings.Contains(text(r), "Command timed out after 0.2 seconds") {
		t.Fatalf("%q %v", text(r), err)
	}
	r, _ = execCall(context.Background(), tl, map[string]any{"command": "true", "pty": true, "background": true}, nil)
	if !strings.Contains(text(r), "PTY is not available") || !strings.Contains(text(r), "background execution is disabled") {
		t.Fatalf("warnings %q", text(r))
	}
	if _, err := execCall(context.Background(), tl, map[string]any{"command": "true", "elevated": true}, nil); err == nil {
		t.Fatal("elevated accepted")
	}
	if _, err := execCall(context.Background(), tl, map[string]any{"command": "true", "host": "node"}, nil); err == nil || !strings.Contains(err.Error(), "exec host not allowed") {
		t.Fatalf("host=node: %v", err)
	}
}

// Abort while a command runs in the foreground kills its whole process group: a child it
// started never gets to write its file.
func TestExecAbortKillsProcessGroup(t *testing.T) {
	f := newExecFixture(t)
	sec := fullAccess(t, f)
	tl := f.tool(t, ExecOptions{Gate: f.gate(t, nil, time.Second), Security: sec, Ask: execapprove.AskOff, NoBackground: true})
	late := filepath.Join(f.ws, "late")
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	start := time.Now()
	_, err := execCall(ctx, tl, map[string]any{"command": "echo started; (sleep 0.5; touch " + late + ") & sleep 30"}, func(Result) { once.Do(cancel) })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	if time.Since(start) > 20*time.Second {
		t.Fatal("abort did not end the command")
	}
	time.Sleep(1500 * time.Millisecond) // longer than the child's delay
	if _, err := os.Stat(late); !os.IsNotExist(err) {
		t.Fatal("child of the aborted command survived and ran")
	}
}

func TestExecBackgroundAndProcessTool(t *testing.T) {
	f := newExecFixture(t)
	sec := fullAccess(t, f)
	tl := f.tool(t, ExecOptions{Gate: f.gate(t, nil, time.Second), Security: sec, Ask: execapprove.AskOff})
	ptool := mustTool(ProcessTool(f.procs, ""))
	r, err := execCall(context.Background(), tl, map[string]any{"command": "echo first; read line; echo got $line; sleep 30", "background": true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := r.Details.(map[string]any)
	id, _ := d["sessionId"].(string)
	if d["status"] != "running" || id == "" || !strings.Contains(text(r), "Command still running (session "+id) {
		t.Fatalf("%q %+v", text(r), d)
	}
	call := func(args map[string]any) Result {
		res, err := execCall(context.Background(), ptool, args, nil)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	waitFor := func(cond func() bool) {
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatal("condition not reached")
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	var polled strings.Builder
	waitFor(func() bool {
		polled.WriteString(text(call(map[string]any{"action": "poll", "sessionId": id})))
		return strings.Contains(polled.String(), "first")
	})
	if !strings.Contains(polled.String(), "Process still running.") {
		t.Fatalf("poll %q", polled.String())
	}
	if r := call(map[string]any{"action": "write", "sessionId": id, "data": "hi\n"}); !strings.Contains(text(r), "Wrote 3 bytes") {
		t.Fatalf("write %q", text(r))
	}
	waitFor(func() bool {
		return strings.Contains(text(call(map[string]any{"action": "log", "sessionId": id})), "got hi")
	})
	if l := text(call(map[string]any{"action": "list"})); !strings.Contains(l, id+" running") {
		t.Fatalf("list %q", l)
	}
	if r := call(map[string]any{"action": "kill", "sessionId": id}); text(r) != "Killed session "+id+"." {
		t.Fatalf("kill %q", text(r))
	}
	r = call(map[string]any{"action": "poll", "sessionId": id})
	if !strings.Contains(text(r), "Process exited with signal SIGKILL.") || r.Details.(map[string]any)["status"] != "killed" {
		t.Fatalf("after kill %q %+v", text(r), r.Details)
	}
	if r := call(map[string]any{"action": "log", "sessionId": id, "limit": 1}); text(r) != "got hi" {
		t.Fatalf("log tail %q", text(r))
	}
	if r := call(map[string]any{"action": "poll", "sessionId": "nope"}); text(r) != "No session found for nope" {
		t.Fatalf("unknown %q", text(r))
	}
	if r := call(map[string]any{"action": "clear", "sessionId": id}); !strings.Contains(text(r), "Cleared") {
		t.Fatalf("clear %q", text(r))
	}
	if l := text(call(map[string]any{"action": "list"})); l != "No running or recent sessions." {
		t.Fatalf("list after clear %q", l)
	}
}

func TestExecOutputCapAndProcessLimit(t *testing.T) {
	f := newExecFixture(t)
	f.procs = NewProcesses(ProcessOptions{MaxOutputChars: 1000, MaxProcesses: 1})
	t.Cleanup(f.procs.Close)
	sec := fullAccess(t, f)
	tl := f.tool(t, ExecOptions{Gate: f.gate(t, nil, time.Second), Security: sec, Ask: execapprove.AskOff})
	r, err := execCall(context.Background(), tl, map[string]any{"command": "i=0; while [ $i -lt 500 ]; do echo line-$i; i=$((i+1)); done"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := text(r)
	if len(out) > 1000 || !strings.HasSuffix(out, "line-499") {
		t.Fatalf("cap: %d bytes, tail %q", len(out), out[max(0, len(out)-20):])
	}
	if _, err := execCall(context.Background(), tl, map[string]any{"command": "sleep 30", "background": true}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := execCall(context.Background(), tl, map[string]any{"command": "true"}, nil); !errors.Is(err, errTooManyProcesses) {
		t.Fatalf("over the process limit: %v", err)
	}
}
