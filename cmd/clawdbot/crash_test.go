package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/clawgate/gateway/clients/go/gatewayclient"
	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// crashChat is the Telegram chat the crash test sends to.
const crashChat = 100

// ledger is what the gateway acknowledged, as the clients saw it.
type ledger struct {
	mu      sync.Mutex
	sends   map[string]int64    // idempotency key → messageId of the acked send
	sendTo  map[string]string   // idempotency key → text (for the retry)
	paired  map[string]bool     // node ids whose approval was acked
	prompts map[string][]string // session → "user: …" lines acked (agent accepted / chat.send started)
	replies map[string][]string // session → "assistant: …" lines of runs that ended ok
	// unacked are sends that were in flight when the process died: maybe delivered,
	// maybe not, never acknowledged.
	unacked map[string]string
	acks    atomic.Int64
}

func newLedger() *ledger {
	return &ledger{sends: map[string]int64{}, sendTo: map[string]string{}, paired: map[string]bool{},
		prompts: map[string][]string{}, replies: map[string][]string{}, unacked: map[string]string{}}
}

func (l *ledger) add(f func()) {
	l.mu.Lock()
	f()
	l.mu.Unlock()
	l.acks.Add(1)
}

// loadRound drives the load until the process dies; errors seen while the process
// was still meant to be alive are returned (there must be none).
type loadRound struct {
	round  int
	led    *ledger
	killed atomic.Bool
	mu     sync.Mutex
	errs   []string
}

func (lr *loadRound) fail(what string, err error) bool {
	if lr.killed.Load() {
		return true // expected: the process is gone
	}
	lr.mu.Lock()
	lr.errs = append(lr.errs, fmt.Sprintf("%s: %v", what, err))
	lr.mu.Unlock()
	return true
}

func (lr *loadRound) sender(ctx context.Context, c *gatewayclient.Client, w int) {
	ch := "telegram"
	for i := 0; ctx.Err() == nil; i++ {
		key := fmt.Sprintf("r%d-s%d-%d", lr.round, w, i)
		text := "msg " + key
		var res protocol.SendResult
		if err := c.Call(ctx, "send", &protocol.SendParams{To: strconv.Itoa(crashChat), Message: text, Channel: &ch, IdempotencyKey: key}, &res); err != nil {
			if lr.killed.Load() {
				lr.led.mu.Lock()
				lr.led.unacked[key] = text
				lr.led.mu.Unlock()
			}
			lr.fail("send "+key, err)
			return
		}
		id, _ := strconv.ParseInt(res.MessageID, 10, 64)
		lr.led.add(func() { lr.led.sends[key], lr.led.sendTo[key] = id, text })
	}
}

func (lr *loadRound) pairer(ctx context.Context, c *gatewayclient.Client, w int) {
	for i := 0; ctx.Err() == nil; i++ {
		node := fmt.Sprintf("r%d-n%d-%d", lr.round, w, i)
		var req protocol.NodePairRequestResult
		if err := c.Call(ctx, "node.pair.request", &protocol.NodePairRequestParams{NodeID: node}, &req); err != nil {
			lr.fail("node.pair.request "+node, err)
			return
		}
		if err := c.Call(ctx, "node.pair.approve", &protocol.NodePairApproveParams{RequestID: req.Request.RequestID}, nil); err != nil {
			lr.fail("node.pair.approve "+node, err)
			return
		}
		lr.led.add(func() { lr.led.paired[node] = true })
	}
}

func (lr *loadRound) agent(ctx context.Context, c *gatewayclient.Client, w int) {
	session := fmt.Sprintf("crash-r%d-a%d", lr.round, w)
	for i := 0; ctx.Err() == nil; i++ {
		text := fmt.Sprintf("agent r%d w%d i%d", lr.round, w, i)
		run, err := c.Agent(ctx, &protocol.AgentParams{Message: text, SessionKey: &session, IdempotencyKey: fmt.Sprintf("r%d-a%d-%d", lr.round, w, i)})
		if err != nil {
			lr.fail("agent "+text, err)
			return
		}
		lr.led.add(func() { lr.led.prompts[session] = append(lr.led.prompts[session], "user: "+text) })
		res, err := run.Wait(ctx)
		if err != nil {
			lr.fail("agent wait "+text, err)
			return
		}
		if res.Status != protocol.AgentResultStatusOk {
			lr.fail("agent "+text, fmt.Errorf("status %s", res.Status))
			return
		}
		lr.led.add(func() { lr.led.replies[session] = append(lr.led.replies[session], "assistant: re: "+text) })
	}
}

func (lr *loadRound) chat(ctx context.Context, c *gatewayclient.Client, w int) {
	session := fmt.Sprintf("crash-r%d-c%d", lr.round, w)
	wait := int64(15000)
	for i := 0; ctx.Err() == nil; i++ {
		text := fmt.Sprintf("chat r%d w%d i%d", lr.round, w, i)
		key := fmt.Sprintf("r%d-c%d-%d", lr.round, w, i)
		var res protocol.ChatSendResult
		if err := c.Call(ctx, "chat.send", &protocol.ChatSendParams{SessionKey: session, Message: text, IdempotencyKey: key}, &res); err != nil {
			lr.fail("chat.send "+text, err)
			return
		}
		lr.led.add(func() { lr.led.prompts[session] = append(lr.led.prompts[session], "user: "+text) })
		var done protocol.AgentWaitResult
		if err := c.Call(ctx, "agent.wait", &protocol.AgentWaitParams{RunID: key, TimeoutMs: &wait}, &done); err != nil {
			lr.fail("agent.wait "+key, err)
			return
		}
		if done.Status != protocol.AgentWaitResultStatusOk {
			lr.fail("chat run "+key, fmt.Errorf("status %s", done.Status))
			return
		}
		lr.led.add(func() { lr.led.replies[session] = append(lr.led.replies[session], "assistant: re: "+text) })
	}
}

// TestKill9Durability runs the real binary with Telegram (a test Bot API server) and an
// agent backend (a streaming model server), drives sends with idempotency keys, node
// pairings and agent/chat runs concurrently, kills the process with SIGKILL at a
// random point (seeded; the seed is logged), restarts it on the same state dir and
// checks that everything acknowledged before the kill is there and nothing is
// duplicated: every acked send replays its result on retry without a second delivery,
// every acked pairing is paired, every acked prompt and every reply of a run that
// ended ok is in chat.history exactly once.
//
// CLAWGATE_CRASH_ROUNDS (default 3) sets the number of kill points;
// CLAWGATE_CRASH_SEED replays a run.
func TestKill9Durability(t *testing.T) {
	rounds := 3
	if v, err := strconv.Atoi(os.Getenv("CLAWGATE_CRASH_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	seed := uint64(time.Now().UnixNano())
	if v, err := strconv.ParseUint(os.Getenv("CLAWGATE_CRASH_SEED"), 10, 64); err == nil {
		seed = v
	}
	t.Logf("seed %d (replay with CLAWGATE_CRASH_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0x5eed))

	bot := tgtest.New(t, tgtest.DefaultToken)
	bot.AddChat(crashChat)
	model := sseModel(t, 3*time.Millisecond)
	home := t.TempDir()
	writeConfig(t, home, fmt.Sprintf(`{
  telegram: { botToken: %q, apiBaseUrl: %q },
  agent: { backend: "openai", timeoutSeconds: 30, openai: { baseUrl: %q, model: "m" } },
}`, tgtest.DefaultToken, bot.URL(), model.URL+"/v1"))
	led := newLedger()

	for round := 0; round <= rounds; round++ {
		p := startOn(t, home, freePort(t))
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		vc := goClient(ctx, t, p.port, false)
		verifyLedger(ctx, t, vc, bot, led)
		vc.Close()
		if round == rounds {
			cancel()
			// Clean stop at the end: SIGTERM still exits 0 on the crashed-into state.
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
			if err := p.cmd.Wait(); err != nil {
				t.Fatalf("final SIGTERM: %v\n%s", err, p.out)
			}
			break
		}

		lr := &loadRound{round: round, led: led}
		target := led.acks.Load() + 10 + int64(rng.IntN(60))
		var wg sync.WaitGroup
		var clients []*gatewayclient.Client
		start := func(f func(context.Context, *gatewayclient.Client, int), w int) {
			c := goClient(ctx, t, p.port, false)
			clients = append(clients, c)
			wg.Add(1)
			go func() { defer wg.Done(); f(ctx, c, w) }()
		}
		for w := range 2 {
			start(lr.sender, w)
			start(lr.agent, w)
		}
		start(lr.pairer, 0)
		start(lr.chat, 0)

		for led.acks.Load() < target && ctx.Err() == nil && !failed(lr) {
			time.Sleep(2 * time.Millisecond)
		}
		if ctx.Err() != nil {
			t.Fatalf("round %d: only %d acks of %d before the deadline\n%s", round, led.acks.Load(), target, p.out)
		}
		lr.killed.Store(true)
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = p.cmd.Wait()
		wg.Wait()
		for _, c := range clients {
			c.Close()
		}
		cancel()
		if len(lr.errs) > 0 {
			t.Fatalf("round %d: errors before the kill:\n%s\n%s", round, strings.Join(lr.errs, "\n"), p.out)
		}
		led.mu.Lock()
		t.Logf("round %d: SIGKILL after %d acks (sends %d, paired %d, sessions %d; %d Bot API deliveries)",
			round, led.acks.Load(), len(led.sends), len(led.paired), len(led.prompts), len(bot.Sent()))
		led.mu.Unlock()
	}
}

func failed(lr *loadRound) bool {
	lr.mu.Lock()
	defer lr.mu.Unlock()
	return len(lr.errs) > 0
}

// verifyLedger checks the restarted gateway against everything acknowledged so far.
func verifyLedger(ctx context.Context, t *testing.T, c *gatewayclient.Client, bot *tgtest.Server, led *ledger) {
	t.Helper()
	led.mu.Lock()
	defer led.mu.Unlock()
	// Sends: a retry of an acked key replays the first result...
	ch := "telegram"
	for key, id := range led.sends {
		var res protocol.SendResult
		if err := c.Call(ctx, "send", &protocol.SendParams{To: strconv.Itoa(crashChat), Message: led.sendTo[key], Channel: &ch, IdempotencyKey: key}, &res); err != nil {
			t.Fatalf("retry of acked send %s: %v", key, err)
		}
		if res.MessageID != strconv.FormatInt(id, 10) {
			t.Fatalf("retry of acked send %s: messageId %s, acked %d", key, res.MessageID, id)
		}
	}
	// A retry of a send that was in flight at the kill is never a second delivery: it
	// is sent now if it had not started, or answered from the stored result, or
	// refused as "outcome unknown" if the kill came mid-delivery.
	for key, text := range led.unacked {
		var res protocol.SendResult
		err := c.Call(ctx, "send", &protocol.SendParams{To: strconv.Itoa(crashChat), Message: text, Channel: &ch, IdempotencyKey: key}, &res)
		if err != nil && !strings.Contains(err.Error(), "send outcome unknown") {
			t.Fatalf("retry of the send in flight at the kill %s: %v", key, err)
		}
		t.Logf("send in flight at the kill %s: retry → %v", key, map[bool]string{true: "outcome unknown", false: "messageId " + res.MessageID}[err != nil])
	}
	// ...and the Bot API saw each acked message exactly once, and no message twice.
	count := map[string]int{}
	for _, s := range bot.Sent() {
		count[s.Text]++
	}
	for text, n := range count {
		if n > 1 {
			t.Errorf("delivered %d times: %q", n, text)
		}
	}
	for key, text := range led.sendTo {
		if count[text] != 1 {
			t.Errorf("acked send %s delivered %d times", key, count[text])
		}
	}
	// Pairings: every acked approval is paired (and no longer pending).
	var list protocol.NodePairListResult
	if err := c.Call(ctx, "node.pair.list", nil, &list); err != nil {
		t.Fatal(err)
	}
	paired := map[string]bool{}
	for _, n := range list.Paired {
		if paired[n.NodeID] {
			t.Errorf("node %s paired twice", n.NodeID)
		}
		paired[n.NodeID] = true
	}
	for _, r := range list.Pending {
		if led.paired[r.NodeID] {
			t.Errorf("approved node %s still pending", r.NodeID)
		}
	}
	for node := range led.paired {
		if !paired[node] {
			t.Errorf("acked pairing of %s lost", node)
		}
	}
	// Transcripts: every acked prompt and ok reply is there once, in order.
	for session, prompts := range led.prompts {
		hist, err := historyTexts(ctx, c, session)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		for _, line := range hist {
			seen[line]++
			if seen[line] > 1 {
				t.Errorf("%s: duplicated %q", session, line)
			}
		}
		for _, want := range slices.Concat(prompts, led.replies[session]) {
			if seen[want] == 0 {
				t.Errorf("%s: acked %q missing; history %q", session, want, hist)
			}
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

var _ = errors.Is

// TestAgentRetryAfterKill9: a client that saw its agent run accepted (or finished) and
// then lost the gateway to a crash retries with the same idempotency key, as the Go
// client's docs tell it to. The restarted gateway must not run it a second time nor
// write the prompt twice.
func TestAgentRetryAfterKill9(t *testing.T) {
	model := sseModel(t, time.Millisecond)
	home := t.TempDir()
	writeConfig(t, home, fmt.Sprintf(`{ agent: { backend: "openai", openai: { baseUrl: %q, model: "m" } } }`, model.URL+"/v1"))
	p := startOn(t, home, freePort(t))
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	c := goClient(ctx, t, p.port, false)
	session := "retry"
	params := protocol.AgentParams{Message: "hello once", SessionKey: &session, IdempotencyKey: "retry-key-1"}
	run, err := c.Agent(ctx, &params)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := run.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	c.Close()
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	_ = p.cmd.Wait()

	p = startOn(t, home, freePort(t))
	c = goClient(ctx, t, p.port, false)
	defer c.Close()
	again := params
	run, err = c.Agent(ctx, &again)
	if err != nil {
		t.Fatal(err)
	}
	res, err := run.Wait(ctx)
	if err != nil {
		t.Fatalf("retried run: %v", err)
	}
	if res.Status != protocol.AgentResultStatusOk {
		t.Fatalf("retried run status %s", res.Status)
	}
	hist, err := historyTexts(ctx, c, session)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"user: hello once", "assistant: re: hello once"}; !slices.Equal(hist, want) {
		t.Fatalf("history after retry = %q, want %q", hist, want)
	}
}
