package backend

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// waitLimit bounds how long a test waits for the backend.
const waitLimit = 5 * time.Second

// script writes a bash script to a temp dir and returns a Command running it
// via bash (running bash directly avoids ETXTBSY on freshly written files).
func script(t *testing.T, body string, mod func(*CommandOptions)) *Command {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not available")
	}
	path := filepath.Join(t.TempDir(), "run.sh")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := CommandOptions{Program: bash, Args: []string{path}}
	if mod != nil {
		mod(&opts)
	}
	c, err := NewCommand(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type runOut struct {
	res Result
	err error
}

func runAsync(c *Command, ctx context.Context, req Request, onDelta func(Delta)) <-chan runOut {
	ch := make(chan runOut, 1)
	go func() {
		res, err := c.Run(ctx, req, onDelta)
		ch <- runOut{res, err}
	}()
	return ch
}

func waitRun(t *testing.T, ch <-chan runOut) runOut {
	t.Helper()
	select {
	case o := <-ch:
		return o
	case <-time.After(waitLimit):
		t.Fatal("Run did not return")
		return runOut{}
	}
}

var userQ = Request{Messages: []Message{{Role: "user", Content: "q"}}}

// TestCommandStreams: the script prints a partial line, then waits for a gate
// file that the test creates only after it has received that first delta.
func TestCommandStreams(t *testing.T) {
	gate := filepath.Join(t.TempDir(), "gate")
	c := script(t, `printf 'first '
for i in $(seq 1 500); do [ -e "$GATE" ] && break; sleep 0.01; done
[ -e "$GATE" ] || { echo "gate never opened" >&2; exit 9; }
printf 'second\nthird\n'
`, func(o *CommandOptions) { o.Env = map[string]string{"GATE": gate} })

	deltas := make(chan string, 10)
	ch := runAsync(c, context.Background(), userQ, func(d Delta) { deltas <- d.Text })
	select {
	case d := <-deltas:
		if d != "first " {
			t.Fatalf("first delta = %q", d)
		}
	case <-time.After(waitLimit):
		t.Fatal("partial line was not flushed while the script was running")
	}
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	o := waitRun(t, ch)
	if o.err != nil {
		t.Fatalf("Run: %v", o.err)
	}
	if o.res.Text != "first second\nthird\n" || o.res.FinishReason != "stop" {
		t.Fatalf("result = %+v", o.res)
	}
	close(deltas)
	all := "first "
	for d := range deltas {
		all += d
	}
	if all != o.res.Text {
		t.Fatalf("deltas joined = %q", all)
	}
}

func TestCommandPrompt(t *testing.T) {
	msgs := []Message{
		{Role: "system", Content: "be brief"},
		{Role: "user", Content: "hello"},
		{Role: "assistant", Content: "hi"},
		{Role: "user", Content: "what's 2+2?"},
	}
	wantPrompt := "system: be brief\n\nuser: hello\n\nassistant: hi\n\nwhat's 2+2?"
	tests := []struct {
		name string
		args []string
		msgs []Message
		want string
	}{
		{"placeholder and stdin", []string{"-p", "{prompt}"}, msgs, "args=[-p][" + wantPrompt + "]\nstdin=[" + wantPrompt + "]"},
		{"stdin only", []string{"--flag"}, msgs, "args=[--flag]\nstdin=[" + wantPrompt + "]"},
		{"single message", []string{"{prompt}"}, []Message{{Role: "user", Content: "solo"}}, "args=[solo]\nstdin=[solo]"},
		{"placeholder must be the whole arg", []string{"x{prompt}"}, []Message{{Role: "user", Content: "solo"}}, "args=[x{prompt}]\nstdin=[solo]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := script(t, `printf 'args='; for a in "$@"; do printf '[%s]' "$a"; done; printf '\nstdin=['; cat; printf ']'`,
				func(o *CommandOptions) { o.Args = append(o.Args, tc.args...) })
			res, err := c.Run(context.Background(), Request{Messages: tc.msgs}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Text != tc.want {
				t.Fatalf("output = %q\nwant     %q", res.Text, tc.want)
			}
		})
	}
}

func TestCommandEnvAndDir(t *testing.T) {
	dir := t.TempDir()
	c := script(t, `printf '%s|%s' "$FOO" "$PWD"`, func(o *CommandOptions) {
		o.Env = map[string]string{"FOO": "bar"}
		o.Dir = dir
	})
	res, err := c.Run(context.Background(), userQ, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Text != "bar|"+dir {
		t.Fatalf("output = %q", res.Text)
	}
}

func TestCommandExitErrors(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantCode   int
		wantStderr func(string) bool
	}{
		{"exit 3 with stderr", "echo partial; echo 'bad thing' >&2; exit 3", 3,
			func(s string) bool { return s == "bad thing\n" }},
		{"stderr tail is bounded", "head -c 10000 /dev/zero | tr '\\0' 'e' >&2; printf 'END' >&2; exit 1", 1,
			func(s string) bool { return len(s) == stderrTailBytes && strings.HasSuffix(s, "eeeEND") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := script(t, tc.body, nil)
			_, err := c.Run(context.Background(), userQ, nil)
			var ee *ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("err = %v, want *ExitError", err)
			}
			if ee.Code != tc.wantCode || !tc.wantStderr(ee.Stderr) {
				t.Fatalf("ExitError{%d, %.80q}", ee.Code, ee.Stderr)
			}
		})
	}
}

// TestCommandCancelKillsGroup: the script starts a background child and waits;
// cancellation must end both the script and the child.
func TestCommandCancelKillsGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	c := script(t, `sleep 30 &
echo $! > "$PIDFILE"
echo started
wait
`, func(o *CommandOptions) { o.Env = map[string]string{"PIDFILE": pidFile} })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	o := waitRun(t, runAsync(c, ctx, userQ, func(Delta) { cancel() }))
	if !errors.Is(o.err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", o.err)
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Fatalf("cancellation took %s", el)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(waitLimit)
	for processAlive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("child sleep (pid %d) survived cancellation", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// processAlive reports whether pid exists and is not a zombie.
func processAlive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	if i := strings.LastIndexByte(string(stat), ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z'
	}
	return true
}

func TestCommandTermIgnoredGetsKilled(t *testing.T) {
	c := script(t, `trap '' TERM; echo started; while :; do sleep 0.05; done`,
		func(o *CommandOptions) { o.KillGrace = 200 * time.Millisecond })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := waitRun(t, runAsync(c, ctx, userQ, func(Delta) { cancel() }))
	if !errors.Is(o.err, context.Canceled) {
		t.Fatalf("err = %v", o.err)
	}
}

func TestCommandTimeout(t *testing.T) {
	c := script(t, `sleep 30`, nil)
	o := waitRun(t, runAsync(c, context.Background(), Request{Timeout: 100 * time.Millisecond}, nil))
	if !errors.Is(o.err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", o.err)
	}
}

func TestCommandOutputLimit(t *testing.T) {
	c := script(t, `while :; do echo xxxxxxxxxxxxxxxxxxxxxxxx; done`,
		func(o *CommandOptions) { o.MaxOutputBytes = 1000 })
	o := waitRun(t, runAsync(c, context.Background(), userQ, nil))
	if o.err == nil || !strings.Contains(o.err.Error(), "output exceeds 1000 bytes") {
		t.Fatalf("err = %v", o.err)
	}
	if len(o.res.Text) > 1000 {
		t.Fatalf("kept %d bytes", len(o.res.Text))
	}
}

func TestCompleteUTF8(t *testing.T) {
	euro := []byte("€") // 3 bytes
	tests := []struct {
		in   []byte
		want int
	}{
		{[]byte("abc"), 3},
		{append([]byte("a"), euro...), 4},
		{append([]byte("a"), euro[:2]...), 1},
		{append([]byte("a"), euro[:1]...), 1},
		{nil, 0},
	}
	for _, tc := range tests {
		if got := completeUTF8(tc.in); got != tc.want {
			t.Errorf("completeUTF8(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestNewCommandRequiresProgram(t *testing.T) {
	if _, err := NewCommand(CommandOptions{}); err == nil {
		t.Fatal("want error for empty Program")
	}
}
