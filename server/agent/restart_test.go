package agent

import (
	"context"
	"testing"

	"github.com/clawgate/gateway/server/sessions"
)

// TestRetryAfterRestart: the finished-run cache lives in memory, the transcript on
// disk. A client retrying a run id after the gateway restarted (crash or not) gets the
// earlier outcome when the run had ended ok, and a run whose prompt was committed but
// which never finished is run once on its committed prompt — never a second prompt.
func TestRetryAfterRestart(t *testing.T) {
	dir := t.TempDir()
	up := newUpstream(t)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()

	e := newEnv(t, envOpts{dir: dir, up: up})
	r, _, err := e.rt.Start(ctx, Request{RunID: "done-1", SessionKey: "agent:main:s", Message: "first"})
	if err != nil {
		t.Fatal(err)
	}
	<-r.Done()
	if out := r.Outcome(); out.Status != StatusOK {
		t.Fatalf("first run: %+v", out)
	}
	// A prompt committed by a run that the crash interrupted.
	if _, _, err := e.store.Append(ctx, "agent:main:s", sessions.Message{Role: "user", Text: "second", RunID: "cut-2"}); err != nil {
		t.Fatal(err)
	}
	e.stop()
	before := up.requests.Load()

	e = newEnv(t, envOpts{dir: dir, up: up})
	r, dup, err := e.rt.Start(ctx, Request{RunID: "done-1", SessionKey: "agent:main:s", Message: "first"})
	if err != nil {
		t.Fatal(err)
	}
	if !dup || !r.Finished() || r.Outcome().Status != StatusOK || r.Outcome().Text != "echo: first" {
		t.Fatalf("retry of a finished run: dup=%v finished=%v outcome=%+v", dup, r.Finished(), r.Outcome())
	}
	if n := up.requests.Load(); n != before {
		t.Fatalf("finished run ran again (%d upstream requests)", n-before)
	}
	r, dup, err = e.rt.Start(ctx, Request{RunID: "cut-2", SessionKey: "agent:main:s", Message: "second"})
	if err != nil || dup {
		t.Fatalf("resume: dup=%v err=%v", dup, err)
	}
	<-r.Done()
	if out := r.Outcome(); out.Status != StatusOK || out.Text != "echo: second" {
		t.Fatalf("resumed run: %+v", out)
	}
	hist, err := e.store.History(ctx, "agent:main:s", 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range hist {
		got = append(got, m.Role+":"+m.Text)
	}
	want := []string{"user:first", "assistant:echo: first", "user:second", "assistant:echo: second"}
	if len(got) != len(want) {
		t.Fatalf("history %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("history %q, want %q", got, want)
		}
	}
}
