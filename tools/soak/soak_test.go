// Package soak is the gateway's soak run: the real binary for a bounded time at about
// half its measured capacity, with a mix of connects/disconnects, Telegram sends
// (through a test Bot API server it starts), agent and chat runs (through a streaming
// model server it starts), inbound Telegram messages the agent answers, and the events
// all of that broadcasts to a set of subscribers. It samples the gateway's RSS and
// passes when there were 0 errors and the RSS at the end is within 10 % of the RSS
// after warm-up. It prints one JSON result line (prefix "SOAK ").
//
//	make -f buf-like.mk soak              # 10 minutes
//	make -f buf-like.mk soak SOAK=30s     # CI-sized
//
// Without CLAWGATE_SOAK (a Go duration) the test is skipped, so `go test ./...` does
// not run it.
package soak

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
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

const (
	outChat     = 100 // chat the soak's sends go to
	inboundUser = 777 // allow-listed sender whose messages the agent answers
	subscribers = 20  // long-lived clients that receive every broadcast
	sessions    = 16  // agent/chat runs rotate over these session keys
	workers     = 16  // concurrent operations at most
)

type result struct {
	Soak            string           `json:"soak"`
	Pass            bool             `json:"pass"`
	DurationS       float64          `json:"duration_s"`
	CapacityOpsPerS float64          `json:"capacity_ops_per_s"`
	TargetOpsPerS   float64          `json:"target_ops_per_s"`
	AchievedOpsPerS float64          `json:"achieved_ops_per_s"`
	Ops             map[string]int64 `json:"ops"`
	Errors          int64            `json:"errors"`
	ErrorSamples    []string         `json:"error_samples,omitempty"`
	EventsReceived  int64            `json:"events_received"`
	InboundPushed   int64            `json:"inbound_pushed"`
	InboundAnswered int64            `json:"inbound_answered"`
	RSSWarmKiB      int64            `json:"rss_after_warmup_kib"`
	RSSEndKiB       int64            `json:"rss_end_kib"`
	RSSMaxKiB       int64            `json:"rss_max_kib"`
	RSSGrowthPct    float64          `json:"rss_growth_pct"`
}

type soak struct {
	t      *testing.T
	url    string
	bot    *tgtest.Server
	ops    sync.Map // name → *atomic.Int64
	errs   atomic.Int64
	events atomic.Int64
	seq    atomic.Int64
	mu     sync.Mutex
	sample []string
}

func (s *soak) count(name string) {
	v, _ := s.ops.LoadOrStore(name, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
}

func (s *soak) fail(what string, err error) {
	s.errs.Add(1)
	s.mu.Lock()
	if len(s.sample) < 10 {
		s.sample = append(s.sample, fmt.Sprintf("%s: %v", what, err))
	}
	s.mu.Unlock()
}

func (s *soak) dial(ctx context.Context) (*gatewayclient.Client, error) {
	return gatewayclient.Dial(ctx, s.url, gatewayclient.Options{
		Client:    gatewayclient.ClientInfo{ID: protocol.ClientIDCli, Version: "1", Platform: "linux", Mode: "cli"},
		Reconnect: gatewayclient.ReconnectPolicy{Disabled: true},
	})
}

// op runs one operation of the mix on c (or on a fresh connection for "connect").
func (s *soak) op(ctx context.Context, c *gatewayclient.Client, rng *rand.Rand) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	n := s.seq.Add(1)
	key := fmt.Sprintf("soak-%d", n)
	session := fmt.Sprintf("soak-%d", rng.IntN(sessions))
	switch r := rng.IntN(100); {
	case r < 20: // connect, one call, disconnect
		nc, err := s.dial(ctx)
		if err != nil {
			s.fail("connect", err)
			return
		}
		if _, err := nc.Calls.Status(ctx, nil); err != nil {
			s.fail("status on a new connection", err)
		}
		_ = nc.Close()
		s.count("connect")
	case r < 50: // idempotent Telegram send
		ch := "telegram"
		if err := c.Call(ctx, "send", &protocol.SendParams{To: strconv.Itoa(outChat), Message: "soak " + key, Channel: &ch, IdempotencyKey: key}, nil); err != nil {
			s.fail("send", err)
			return
		}
		s.count("send")
	case r < 70: // agent run to the end
		run, err := c.Agent(ctx, &protocol.AgentParams{Message: "hello " + key, SessionKey: &session, IdempotencyKey: key})
		if err == nil {
			_, err = run.Wait(ctx)
		}
		if err != nil {
			s.fail("agent", err)
			return
		}
		s.count("agent")
	case r < 85: // chat.send, then agent.wait
		var res protocol.ChatSendResult
		err := c.Call(ctx, "chat.send", &protocol.ChatSendParams{SessionKey: session, Message: "chat " + key, IdempotencyKey: key}, &res)
		if err == nil {
			wait := int64(25000)
			var done protocol.AgentWaitResult
			err = c.Call(ctx, "agent.wait", &protocol.AgentWaitParams{RunID: key, TimeoutMs: &wait}, &done)
			if err == nil && done.Status != protocol.AgentWaitResultStatusOk {
				err = fmt.Errorf("run %s: %s", key, done.Status)
			}
		}
		if err != nil {
			s.fail("chat", err)
			return
		}
		s.count("chat")
	case r < 95: // reads
		limit := int64(20)
		if err := c.Call(ctx, "chat.history", &protocol.ChatHistoryParams{SessionKey: session, Limit: &limit}, nil); err != nil {
			s.fail("chat.history", err)
			return
		}
		s.count("history")
	default: // a system event broadcast to everyone
		if err := c.Call(ctx, "system-event", map[string]any{"text": "soak " + key}, nil); err != nil {
			s.fail("system-event", err)
			return
		}
		s.count("event")
	}
}

// drive runs operations on `workers` clients until ctx ends, at most rate ops/s
// (0 = as fast as they go), and returns the number done.
func (s *soak) drive(ctx context.Context, rate float64, seed uint64) int64 {
	var done atomic.Int64
	var tokens chan struct{}
	if rate > 0 {
		tokens = make(chan struct{}, workers)
		go func() {
			tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
					select {
					case tokens <- struct{}{}:
					default: // workers are behind: the rate is a ceiling, not a debt
					}
				}
			}
		}()
	}
	var wg sync.WaitGroup
	for w := range workers {
		c, err := s.dial(ctx)
		if err != nil {
			s.fail("worker connect", err)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			for ctx.Err() == nil {
				if tokens != nil {
					select {
					case <-tokens:
					case <-ctx.Done():
						return
					}
				}
				s.op(context.WithoutCancel(ctx), c, rng)
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	return done.Load()
}

func rssKiB(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, errors.New("no VmRSS")
}

func median(v []int64) int64 {
	v = slices.Clone(v)
	slices.Sort(v)
	return v[len(v)/2]
}

func TestSoak(t *testing.T) {
	total, err := time.ParseDuration(os.Getenv("CLAWGATE_SOAK"))
	if err != nil || total <= 0 {
		t.Skip("set CLAWGATE_SOAK=<duration> (make -f buf-like.mk soak)")
	}
	// Phases: calibration (full speed) and warm-up, then the measured run at half
	// capacity. RSS "after warm-up" and "at the end" are medians of 5 samples.
	calib := min(max(total/20, 5*time.Second), 30*time.Second)
	warm := min(max(total/10, 5*time.Second), time.Minute)

	dir := t.TempDir()
	bin := filepath.Join(dir, "clawdbot")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/clawdbot").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	bot := tgtest.New(t, tgtest.DefaultToken)
	bot.AddChat(outChat)
	model := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Messages []struct{ Role, Content string }
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body.Messages) == 0 {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		for _, part := range []string{"re: ", body.Messages[len(body.Messages)-1].Content} {
			b, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"index": 0, "delta": map[string]string{"content": part}}}})
			fmt.Fprintf(w, "data: %s\n\n", b)
			w.(http.Flusher).Flush()
			time.Sleep(2 * time.Millisecond)
		}
		fmt.Fprint(w, "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
	}))
	defer model.Close()

	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`{
  telegram: { botToken: %q, apiBaseUrl: %q, allowFrom: ["%d"] },
  agent: { backend: "openai", timeoutSeconds: 60, openai: { baseUrl: %q, model: "m" } },
}`, tgtest.DefaultToken, bot.URL(), inboundUser, model.URL+"/v1")
	if err := os.WriteFile(filepath.Join(home, "clawdbot.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin, "gateway", "--allow-unconfigured", "--port", strconv.Itoa(port))
	cmd.Env = append(os.Environ(), "HOME="+home, "CLAWDBOT_STATE_DIR="+filepath.Join(home, "state"), "CLAWDBOT_CONFIG_PATH="+filepath.Join(home, "clawdbot.json"))
	logf, err := os.Create(filepath.Join(dir, "gateway.out"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() }()

	s := &soak{t: t, url: fmt.Sprintf("ws://127.0.0.1:%d", port), bot: bot}
	ctx := t.Context()
	var first *gatewayclient.Client
	for i := 0; i < 200; i++ {
		if first, err = s.dial(ctx); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("gateway did not come up: %v", err)
	}
	first.Close()

	// Subscribers: every broadcast (presence from the connect churn, agent and chat
	// events, system events, ticks) reaches them.
	subCtx, subStop := context.WithCancel(ctx)
	defer subStop()
	var subs []*gatewayclient.Client
	for range subscribers {
		c, err := s.dial(ctx)
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, c)
		for _, name := range []string{"agent", "chat", "presence", "tick", "health"} {
			evs, cancel := c.Subscribe(name)
			go func() {
				defer cancel()
				for {
					select {
					case <-evs:
						s.events.Add(1)
					case <-subCtx.Done():
						return
					}
				}
			}()
		}
	}

	// Inbound: an allow-listed user writes every 2 s; the agent answers in chat 777.
	var pushed atomic.Int64
	go func() {
		tick := time.NewTicker(2 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-subCtx.Done():
				return
			case <-tick.C:
				bot.PushUpdate(inboundUser, inboundUser, fmt.Sprintf("inbound %d", pushed.Add(1)))
			}
		}
	}()

	// RSS sampler.
	var rssMu sync.Mutex
	var rss []int64
	var rssAt []time.Duration
	start := time.Now()
	go func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-subCtx.Done():
				return
			case <-tick.C:
				if v, err := rssKiB(cmd.Process.Pid); err == nil {
					rssMu.Lock()
					rss, rssAt = append(rss, v), append(rssAt, time.Since(start))
					rssMu.Unlock()
				}
			}
		}
	}()

	seed := uint64(time.Now().UnixNano())
	cctx, ccancel := context.WithTimeout(ctx, calib)
	n := s.drive(cctx, 0, seed)
	ccancel()
	capacity := float64(n) / calib.Seconds()
	target := capacity / 2
	t.Logf("capacity %.0f ops/s over %s (%d ops); running at %.0f ops/s", capacity, calib, n, target)
	calibErrs := s.errs.Load()

	rest := total - calib
	rctx, rcancel := context.WithTimeout(ctx, rest)
	runStart := time.Now()
	runOps := s.drive(rctx, target, seed+1)
	rcancel()
	runTime := time.Since(runStart)

	subStop()
	for _, c := range subs {
		c.Close()
	}
	// Let the last inbound message be answered.
	want := pushed.Load()
	deadline := time.Now().Add(30 * time.Second)
	answered := func() int64 {
		var n int64
		for _, m := range bot.Sent() {
			if m.ChatID == strconv.Itoa(inboundUser) {
				n++
			}
		}
		return n
	}
	for answered() < want && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}

	rssMu.Lock()
	warmEnd := calib + warm
	var warmS, endS []int64
	var maxRSS int64
	for i, v := range rss {
		maxRSS = max(maxRSS, v)
		if rssAt[i] >= warmEnd && len(warmS) < 5 {
			warmS = append(warmS, v)
		}
	}
	if len(rss) >= 5 {
		endS = rss[len(rss)-5:]
	}
	rssMu.Unlock()
	res := result{Soak: total.String(), DurationS: total.Seconds(), CapacityOpsPerS: capacity, TargetOpsPerS: target,
		AchievedOpsPerS: float64(runOps) / runTime.Seconds(), Ops: map[string]int64{},
		Errors: s.errs.Load(), EventsReceived: s.events.Load(), InboundPushed: want, InboundAnswered: answered(), RSSMaxKiB: maxRSS}
	s.ops.Range(func(k, v any) bool { res.Ops[k.(string)] = v.(*atomic.Int64).Load(); return true })
	s.mu.Lock()
	res.ErrorSamples = s.sample
	s.mu.Unlock()
	if len(warmS) > 0 && len(endS) > 0 {
		res.RSSWarmKiB, res.RSSEndKiB = median(warmS), median(endS)
		res.RSSGrowthPct = 100 * float64(res.RSSEndKiB-res.RSSWarmKiB) / float64(res.RSSWarmKiB)
	}
	res.Pass = res.Errors == 0 && res.RSSWarmKiB > 0 && res.RSSGrowthPct <= 10 && res.InboundAnswered >= res.InboundPushed
	b, _ := json.Marshal(res)
	fmt.Println("SOAK " + string(b))

	// The gateway still exits cleanly after the run.
	if err := cmd.Process.Signal(syscall.SIGTERM); err == nil {
		if err := cmd.Wait(); err != nil {
			t.Errorf("gateway exit after the soak: %v", err)
		}
	}
	switch {
	case res.Errors > 0:
		t.Errorf("%d errors (%d during calibration): %s", res.Errors, calibErrs, strings.Join(res.ErrorSamples, "; "))
	case res.RSSWarmKiB == 0:
		t.Errorf("run too short to sample RSS after warm-up (%s calibration + %s warm-up)", calib, warm)
	case res.RSSGrowthPct > 10:
		t.Errorf("RSS grew %.1f%% (%d → %d KiB)", res.RSSGrowthPct, res.RSSWarmKiB, res.RSSEndKiB)
	case res.InboundAnswered < res.InboundPushed:
		t.Errorf("inbound: %d pushed, %d answered", res.InboundPushed, res.InboundAnswered)
	}
	if t.Failed() {
		t.Logf("gateway output: %s", filepath.Join(dir, "gateway.out"))
	}
}
