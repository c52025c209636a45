//go:build unix

package cron

import (
	"bufio"
	"context"
	"log/slog"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/clock"
)

// TestKill9BetweenSlotAndDelivery kills (SIGKILL) a process whose job is in the middle of
// its run, then starts the service again on the same store: the slot is not run twice.
func TestKill9BetweenSlotAndDelivery(t *testing.T) {
	if os.Getenv("CRON_KILL_CHILD") != "" {
		killChild()
		return
	}
	dir := t.TempDir()
	p := StorePath(dir)
	slot := t0.Add(time.Minute).UnixMilli()
	f := StoreFile{Version: 1, Jobs: []Job{{ID: "remind", Name: "r", Enabled: true, CreatedAtMs: t0.UnixMilli(), UpdatedAtMs: t0.UnixMilli(),
		Schedule: Schedule{Kind: KindAt, AtMs: slot}, SessionTarget: TargetIsolated, WakeMode: WakeNextHeartbeat,
		Payload: Payload{Kind: PayloadAgentTurn, Message: "m", To: "42"}, State: State{NextRunAtMs: ptr(slot)}}}}
	if err := SaveStore(p, f); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9BetweenSlotAndDelivery$")
	cmd.Env = append(os.Environ(), "CRON_KILL_CHILD="+p)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	entered := false
	for sc.Scan() {
		if sc.Text() == "entered" {
			entered = true
			break
		}
	}
	if !entered {
		_ = cmd.Process.Kill()
		t.Fatal("child never started the run")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	e := newEnvAt(t, time.UnixMilli(slot).Add(time.Second), func(o *Options) { o.StorePath = p; o.Disabled = true })
	ctx := context.Background()
	if err := e.svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if ran := e.svc.RunDue(ctx); len(ran) != 0 || e.run.turnCount() != 0 || len(e.del.sent) != 0 {
		t.Fatalf("slot ran again after kill -9: %v", ran)
	}
	j, _ := e.svc.Get(ctx, "remind")
	if j.State.LastStatus != StatusError || j.Enabled {
		t.Fatalf("state after restart: %+v", j)
	}
}

// killChild runs the service on the store named by CRON_KILL_CHILD until the job's turn
// has started, says "entered" and waits to be killed.
func killChild() {
	p := os.Getenv("CRON_KILL_CHILD")
	clk := clock.NewFake(t0.Add(2 * time.Minute))
	r := &fakeRunner{gate: make(chan struct{}), entered: make(chan string, 1)}
	svc, err := New(Options{StorePath: p, Clock: clk, Runner: r, Deliverer: &fakeDeliverer{}, Disabled: true,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		os.Exit(3)
	}
	if err := svc.Start(context.Background()); err != nil {
		os.Exit(4)
	}
	go svc.RunDue(context.Background())
	<-r.entered
	os.Stdout.WriteString("entered\n")
	time.Sleep(time.Minute) // killed long before; a sleeping timer keeps the deadlock detector quiet
}
