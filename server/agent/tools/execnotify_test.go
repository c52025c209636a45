//go:build unix

package tools

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/execapprove"
)

type noteSink chan [2]string

func (n noteSink) notify(_ context.Context, key, text string) { n <- [2]string{key, text} }

func (n noteSink) next(t *testing.T) [2]string {
	t.Helper()
	select {
	case v := <-n:
		return v
	case <-time.After(20 * time.Second):
		t.Fatal("no notice")
		return [2]string{}
	}
}

// TestExecNotifyOnExit: a command that moved to the background announces its exit
// (status, code, output tail on one line) to its session when NotifyOnExit is set, and
// says nothing when it is not; a command that finishes in the foreground is never
// announced.
func TestExecNotifyOnExit(t *testing.T) {
	for _, tc := range []struct {
		name    string
		notify  bool
		command string
		want    string
	}{
		{"completed", true, "echo line one; echo line two", ") :: line one line two"},
		{"failed", true, "echo bad; exit 4", ", code 4) :: bad"},
		{"off", false, "echo quiet", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newExecFixture(t)
			sec := fullAccess(t, f)
			sink := make(noteSink, 4)
			tl := f.tool(t, ExecOptions{Gate: f.gate(t, nil, time.Second), Security: sec, Ask: execapprove.AskOff, SessionKey: "agent:main:main",
				NotifyOnExit: tc.notify, Notify: sink.notify})
			// Foreground: finishes before the yield, no notice.
			if _, err := execCall(context.Background(), tl, map[string]any{"command": "echo fg"}, nil); err != nil {
				t.Fatal(err)
			}
			r, err := execCall(context.Background(), tl, map[string]any{"command": "sleep 0.3; " + tc.command, "background": true}, nil)
			if err != nil {
				t.Fatal(err)
			}
			id := r.Details.(map[string]any)["sessionId"].(string)
			if tc.want == "" {
				select {
				case n := <-sink:
					t.Fatalf("notice with notifyOnExit off: %v", n)
				case <-time.After(1500 * time.Millisecond):
				}
				return
			}
			n := sink.next(t)
			status := "completed"
			if strings.Contains(tc.want, "code 4") {
				status = "failed"
			}
			if n[0] != "agent:main:main" || !strings.HasPrefix(n[1], "Exec "+status+" ("+id) || !strings.HasSuffix(n[1], tc.want) {
				t.Fatalf("notice %q", n)
			}
			select {
			case extra := <-sink:
				t.Fatalf("second notice %v (the foreground command is not announced)", extra)
			case <-time.After(300 * time.Millisecond):
			}
		})
	}
}

// TestExecApprovalRunningNotice: a command a person approved that is still running
// after ApprovalRunningNotice is announced with the approval id; an allowlisted one
// that needed nobody, or a notice of 0, is not.
func TestExecApprovalRunningNotice(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ask    execapprove.Ask
		notice time.Duration
		want   bool
	}{
		{"approved", execapprove.AskAlways, 100 * time.Millisecond, true},
		{"no notice", execapprove.AskAlways, 0, false},
		{"not asked", execapprove.AskOff, 100 * time.Millisecond, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newExecFixture(t)
			sec := fullAccess(t, f)
			sink := make(noteSink, 4)
			asker := &fixedAsker{d: execapprove.AllowOnce}
			tl := f.tool(t, ExecOptions{Gate: f.gate(t, asker, 5*time.Second), Security: sec, Ask: tc.ask, SessionKey: "s1",
				ApprovalRunningNotice: tc.notice, Notify: sink.notify})
			if _, err := execCall(context.Background(), tl, map[string]any{"command": "sleep 1", "yieldMs": 10}, nil); err != nil {
				t.Fatal(err)
			}
			if !tc.want {
				select {
				case n := <-sink:
					t.Fatalf("notice %v", n)
				case <-time.After(1500 * time.Millisecond):
				}
				return
			}
			n := sink.next(t)
			if n[0] != "s1" || !strings.HasPrefix(n[1], "Exec running (gateway id=") || !strings.HasSuffix(n[1], ", >1s): sleep 1") {
				t.Fatalf("notice %q", n)
			}
		})
	}
}

// TestProcessCleanupTTL: a finished background session stays listable for the run's
// CleanupTTL (clamped to at least MinCleanupTTL), then is pruned.
func TestProcessCleanupTTL(t *testing.T) {
	now := time.Now()
	clock := func() time.Time { return now }
	for _, tc := range []struct {
		name string
		ttl  time.Duration
		keep time.Duration // still listed after this
		gone time.Duration // pruned after this
	}{
		{"default", 0, 29 * time.Minute, 31 * time.Minute},
		{"two minutes", 2 * time.Minute, 90 * time.Second, 3 * time.Minute},
		{"clamped up", time.Second, 50 * time.Second, 61 * time.Second},
		{"clamped down", 10 * time.Hour, 170 * time.Minute, 181 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now = time.Now()
			f := newExecFixture(t)
			f.procs = NewProcesses(ProcessOptions{Now: clock})
			t.Cleanup(f.procs.Close)
			sec := fullAccess(t, f)
			tl := f.tool(t, ExecOptions{Gate: f.gate(t, nil, time.Second), Security: sec, Ask: execapprove.AskOff, CleanupTTL: tc.ttl})
			r, err := execCall(context.Background(), tl, map[string]any{"command": "sleep 0.2", "background": true}, nil)
			if err != nil {
				t.Fatal(err)
			}
			id := r.Details.(map[string]any)["sessionId"].(string)
			p, _ := f.procs.get(id, "")
			if p == nil {
				t.Fatal("no such process")
			}
			<-p.done
			listed := func(after time.Duration) bool {
				f.procs.mu.Lock()
				defer f.procs.mu.Unlock()
				now = p.endedAt.Add(after)
				f.procs.pruneLocked()
				_, ok := f.procs.finished[id]
				return ok
			}
			if !listed(tc.keep) {
				t.Fatalf("pruned after %s", tc.keep)
			}
			if listed(tc.gone) {
				t.Fatalf("still listed after %s", tc.gone)
			}
		})
	}
}

// TestExecElevated: the elevated mode of a call from the run's gate and the call's
// elevated parameter: full runs without the approvals gate, ask/on keep the gate but
// force the gateway host, an elevated call nobody allowed is refused naming the gate.
func TestExecElevated(t *testing.T) {
	tr, fa := true, false
	for _, tc := range []struct {
		name    string
		el      Elevated
		param   *bool
		host    string
		wantErr string
		wantRun bool
	}{
		{"full default", Elevated{Enabled: true, Allowed: true, Level: "full"}, nil, "", "", true},
		{"full asked for", Elevated{Enabled: true, Allowed: true, Level: "full"}, &tr, "", "", true},
		{"full but call says no", Elevated{Enabled: true, Allowed: true, Level: "full"}, &fa, "", "exec denied", false},
		{"on keeps approvals", Elevated{Enabled: true, Allowed: true, Level: "on"}, &tr, "", "exec denied", false},
		{"on forces the gateway host", Elevated{Enabled: true, Allowed: true, Level: "on"}, nil, "node", "exec denied", false},
		{"not allowed", Elevated{Enabled: true, Level: "full"}, &tr, "", "Failing gates: allowFrom", false},
		{"disabled", Elevated{}, &tr, "", "Failing gates: enabled", false},
		{"not allowed, no param", Elevated{Enabled: true}, nil, "", "exec denied", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newExecFixture(t)
			// Nothing allowlisted and the person asked says no: only a run that skips
			// the gate can start the command.
			asker := &fixedAsker{d: execapprove.Deny}
			tl := f.tool(t, ExecOptions{Gate: f.gate(t, asker, time.Second), Security: execapprove.SecurityAllowlist, Ask: execapprove.AskAlways,
				Host: tc.host, Elevated: tc.el, SessionKey: "s"})
			args := map[string]any{"command": "echo ran-it"}
			if tc.param != nil {
				args["elevated"] = *tc.param
			}
			r, err := execCall(context.Background(), tl, args, nil)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !strings.Contains(text(r), "ran-it") {
				t.Fatalf("%q %v", text(r), err)
			}
		})
	}
}
