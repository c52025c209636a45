package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/lxzan/gws"

	"github.com/clawgate/gateway/clients/go/gatewayclient"
	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// loadClient is a raw WebSocket client that sends one request at a time (agent runs
// wait for their final answer) and records what became of each.
type loadClient struct {
	w        int
	ws       *gws.Conn
	rec      *recorder
	answered atomic.Int64
	// Filled by run:
	sent       []string
	unanswered []string // sent, then the connection closed before the (final) answer
	shutdown   bool     // a shutdown event arrived before the close
	closeCode  uint16
}

// run drives requests until the connection closes (or 20 s pass).
func (lc *loadClient) run(t *testing.T) {
	methods := []string{"status", "agent", "health", "chat.history", "agent"}
	deadline := time.After(20 * time.Second)
	for i := 0; ; i++ {
		id := fmt.Sprintf("c%d-%d", lc.w, i)
		method := methods[(lc.w+i)%len(methods)]
		var params any = map[string]any{}
		switch method {
		case "agent":
			params = map[string]any{"message": "hi " + id, "sessionKey": fmt.Sprintf("load-%d", lc.w), "idempotencyKey": id}
		case "chat.history":
			params = map[string]any{"sessionKey": fmt.Sprintf("load-%d", lc.w)}
		}
		b, _ := json.Marshal(map[string]any{"type": "req", "id": id, "method": method, "params": params})
		if !lc.shutdown {
			if err := lc.ws.WriteMessage(gws.OpcodeText, b); err == nil {
				lc.sent = append(lc.sent, id)
			}
		}
		// Wait for this request's final answer, or the close.
		for {
			select {
			case f := <-lc.rec.frames:
				if strings.Contains(f, `"event":"shutdown"`) {
					lc.shutdown = true
					continue
				}
				if !strings.Contains(f, `"id":"`+id+`"`) || strings.Contains(f, `"status":"accepted"`) {
					continue
				}
				lc.answered.Add(1)
			case err := <-lc.rec.closed:
				if ce, ok := err.(*gws.CloseError); ok {
					lc.closeCode = ce.Code
				}
				if n := len(lc.sent); n > 0 && lc.sent[n-1] == id {
					lc.unanswered = append(lc.unanswered, id)
				}
				// Frames that were read before the close.
				for {
					select {
					case f := <-lc.rec.frames:
						if strings.Contains(f, `"event":"shutdown"`) {
							lc.shutdown = true
						}
						// The answer was read before the close but select picked the
						// close first (it chooses at random among ready cases): it was
						// answered.
						if len(lc.unanswered) > 0 && strings.Contains(f, `"id":"`+id+`"`) && !strings.Contains(f, `"status":"accepted"`) {
							lc.unanswered = lc.unanswered[:0]
							lc.answered.Add(1)
						}
					default:
						return
					}
				}
			case <-deadline:
				t.Errorf("client %d: connection not closed within 20 s", lc.w)
				return
			}
			break
		}
	}
}

// TestSIGTERMUnderLoad: clients with requests in flight (agent runs streaming from a
// slow model among them) all get the shutdown event and a 1012 close, every request
// they sent was answered or its connection closed, and the process exits 0.
func TestSIGTERMUnderLoad(t *testing.T) {
	model := sseModel(t, 20*time.Millisecond)
	home := t.TempDir()
	writeConfig(t, home, fmt.Sprintf(`{ agent: { backend: "openai", openai: { baseUrl: %q, model: "m" } } }`, model.URL+"/v1"))
	p := startOn(t, home, freePort(t))
	const n = 8
	clients := make([]*loadClient, n)
	var wg sync.WaitGroup
	for w := range n {
		ws, rec := p.client(t)
		clients[w] = &loadClient{w: w, ws: ws, rec: rec}
		wg.Add(1)
		go func() { defer wg.Done(); clients[w].run(t) }()
	}
	// SIGTERM once every client has had a few answers: requests are in flight.
	deadline := time.Now().Add(15 * time.Second)
	for w := 0; w < n; {
		if clients[w].answered.Load() >= 3 {
			w++
			continue
		}
		if time.Now().After(deadline) {
			t.Fatalf("client %d got no answers:\n%s", w, p.out)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	exited := make(chan error, 1)
	go func() { exited <- p.cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, p.out)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("gateway did not exit after SIGTERM\n%s", p.out)
	}
	var sent, answered, cut int
	for _, lc := range clients {
		if !lc.shutdown || lc.closeCode != 1012 {
			t.Errorf("client %d: shutdown event %v, close code %d (want the event and 1012)", lc.w, lc.shutdown, lc.closeCode)
		}
		sent += len(lc.sent)
		answered += int(lc.answered.Load())
		cut += len(lc.unanswered)
		// Each client has at most one request in flight: everything else was answered.
		if int(lc.answered.Load())+len(lc.unanswered) != len(lc.sent) {
			t.Errorf("client %d: sent %d, answered %d, cut by the close %d", lc.w, len(lc.sent), lc.answered.Load(), len(lc.unanswered))
		}
	}
	t.Logf("%d clients: %d requests sent, %d answered, %d in flight when the connection closed", n, sent, answered, cut)
}

// TestSIGUSR1UnderLoad: Go clients keep calling (sends with idempotency keys, agent
// runs, status) through an in-process restart. Every call returns — its answer or an
// error the client reports (a retryable disconnect); retried with the same params it
// succeeds after the reconnect; no send is delivered twice and none is lost.
func TestSIGUSR1UnderLoad(t *testing.T) {
	bot := tgtest.New(t, tgtest.DefaultToken)
	bot.AddChat(crashChat)
	model := sseModel(t, 10*time.Millisecond)
	home := t.TempDir()
	writeConfig(t, home, fmt.Sprintf(`{
  telegram: { botToken: %q, apiBaseUrl: %q },
  agent: { backend: "openai", openai: { baseUrl: %q, model: "m" } },
}`, tgtest.DefaultToken, bot.URL(), model.URL+"/v1"))
	p := startOn(t, home, freePort(t))
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	const n = 4
	var (
		restarted atomic.Bool
		mu        sync.Mutex
		errs      []string // errors the clients reported (each then retried)
		bad       []string // errors that are not a retryable disconnect / shutdown
		sentKeys  []string
		after     [n]atomic.Int64 // successful calls after the restart, per client
	)
	// call runs f until it succeeds; every failure must be one the client reports as
	// retryable. Each attempt is bounded: a call that never returns fails the test.
	call := func(w int, what string, f func(context.Context) error) {
		for attempt := 0; ; attempt++ {
			actx, acancel := context.WithTimeout(ctx, 15*time.Second)
			err := f(actx)
			acancel()
			if err == nil {
				if restarted.Load() {
					after[w].Add(1)
				}
				return
			}
			mu.Lock()
			errs = append(errs, fmt.Sprintf("%s: %v", what, err))
			var pe *gatewayclient.ProtocolError
			if !errors.As(err, &pe) || !pe.Retryable || errors.Is(err, context.DeadlineExceeded) || attempt > 20 {
				bad = append(bad, fmt.Sprintf("%s: %v", what, err))
				mu.Unlock()
				return
			}
			mu.Unlock()
		}
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range n {
		c := goClient(ctx, t, p.port, true)
		defer c.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			ch := "telegram"
			session := fmt.Sprintf("usr1-%d", w)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				key := fmt.Sprintf("u%d-%d", w, i)
				switch i % 3 {
				case 0:
					sp := &protocol.SendParams{To: strconv.Itoa(crashChat), Message: "msg " + key, Channel: &ch, IdempotencyKey: key}
					call(w, "send "+key, func(ctx context.Context) error { return c.Call(ctx, "send", sp, nil) })
					mu.Lock()
					sentKeys = append(sentKeys, key)
					mu.Unlock()
				case 1:
					ap := &protocol.AgentParams{Message: "hi " + key, SessionKey: &session, IdempotencyKey: key}
					call(w, "agent "+key, func(ctx context.Context) error {
						run, err := c.Agent(ctx, ap)
						if err != nil {
							return err
						}
						_, err = run.Wait(ctx)
						return err
					})
				default:
					call(w, "status", func(ctx context.Context) error { _, err := c.Calls.Status(ctx, nil); return err })
				}
			}
		}()
	}
	waitCount := func(what string, ok func() bool) {
		deadline := time.Now().Add(20 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("%s\n%s", what, p.out)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitCount("no sends before the restart", func() bool { return len(bot.Sent()) >= 8 })
	restarted.Store(true)
	if err := p.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	waitCount("clients did not make progress after the restart", func() bool {
		for w := range n {
			if after[w].Load() < 6 {
				return false
			}
		}
		return true
	})
	close(stop)
	wg.Wait()
	if len(bad) > 0 {
		t.Fatalf("calls failed in a way the client did not report as retryable:\n%s", strings.Join(bad, "\n"))
	}
	count := map[string]int{}
	for _, s := range bot.Sent() {
		count[s.Text]++
	}
	for _, key := range sentKeys {
		if count["msg "+key] != 1 {
			t.Errorf("send %s delivered %d times", key, count["msg "+key])
		}
	}
	if len(count) != len(sentKeys) {
		t.Errorf("%d distinct deliveries for %d sends", len(count), len(sentKeys))
	}
	if p.cmd.ProcessState != nil {
		t.Fatal("process exited")
	}
	t.Logf("%d sends, %d client-reported errors (all retryable, all retried ok)", len(sentKeys), len(errs))
}

// TestInvalidConfigMidRun: an invalid file written while clients work is logged and
// ignored — the gateway keeps its running config (agent and Telegram keep working,
// nobody is disconnected) and config.get shows the file's issues.
func TestInvalidConfigMidRun(t *testing.T) {
	bot := tgtest.New(t, tgtest.DefaultToken)
	bot.AddChat(crashChat)
	model := sseModel(t, time.Millisecond)
	home := t.TempDir()
	writeConfig(t, home, fmt.Sprintf(`{
  gateway: { reload: { mode: "hybrid", debounceMs: 50 } },
  telegram: { botToken: %q, apiBaseUrl: %q },
  agent: { backend: "openai", openai: { baseUrl: %q, model: "m" } },
}`, tgtest.DefaultToken, bot.URL(), model.URL+"/v1"))
	p := startOn(t, home, freePort(t))
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	c := goClient(ctx, t, p.port, false)
	defer c.Close()
	conn := c.Hello().Server.ConnID

	var wg sync.WaitGroup
	stop := make(chan struct{})
	var calls, failures atomic.Int64
	wg.Add(1)
	go func() { // load while the file changes
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := c.Calls.Status(ctx, nil); err != nil {
				failures.Add(1)
			}
			calls.Add(1)
		}
	}()
	path := filepath.Join(home, "clawdbot.json")
	if err := os.WriteFile(path+".tmp", []byte(`{ gateway: { port: "not a port" }, agent: { backend: "nope" } }`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatal(err)
	}
	p.waitOutput(t, "config reload skipped: the new file is invalid")
	var got protocol.ConfigGetResult
	if err := c.Call(ctx, "config.get", nil, &got); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, is := range got.Issues {
		paths = append(paths, is.Path)
	}
	if got.Valid || !strings.Contains(strings.Join(paths, ","), "gateway.port") || !strings.Contains(strings.Join(paths, ","), "agents.defaults.backend") { // agent.backend, migrated
		t.Fatalf("config.get: valid=%v issues=%+v", got.Valid, got.Issues)
	}
	// health says so, once the refresh the bad edit asked for has run.
	probe := true
	h, err := c.Calls.Health(ctx, &protocol.HealthParams{Probe: &probe})
	if err != nil {
		t.Fatal(err)
	}
	if h.Config == nil || h.Config.Ok || !strings.Contains(h.Config.GetError(), "/gateway/port") || h.Config.Path != path {
		t.Fatalf("health config: %+v", h.Config)
	}
	if n := strings.Count(p.out.String(), "config reload skipped"); n != 1 {
		t.Fatalf("want one error line for the bad edit, got %d:\n%s", n, p.out)
	}
	// The running config still serves: the agent answers, Telegram delivers.
	s := "cfg"
	run, err := c.Agent(ctx, &protocol.AgentParams{Message: "still there?", SessionKey: &s})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := run.Wait(ctx); err != nil || res.Status != protocol.AgentResultStatusOk {
		t.Fatalf("agent after the bad edit: %v %+v", err, res)
	}
	ch := "telegram"
	if err := c.Call(ctx, "send", &protocol.SendParams{To: strconv.Itoa(crashChat), Message: "still delivering", Channel: &ch}, nil); err != nil {
		t.Fatalf("send after the bad edit: %v", err)
	}
	close(stop)
	wg.Wait()
	if failures.Load() > 0 || c.Hello().Server.ConnID != conn {
		t.Fatalf("%d of %d calls failed; conn %s → %s", failures.Load(), calls.Load(), conn, c.Hello().Server.ConnID)
	}
	// A good file again: health is back to ok.
	if err := os.WriteFile(path+".tmp", []byte(`{ gateway: { reload: { mode: "hot", debounceMs: 50 } }, diagnostics: { enabled: true } }`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatal(err)
	}
	p.waitOutput(t, "reloaded config:")
	h, err = c.Calls.Health(ctx, &protocol.HealthParams{Probe: &probe})
	if err != nil || h.Config == nil || !h.Config.Ok || len(h.Config.Unimplemented) != 1 || h.Config.Unimplemented[0] != "diagnostics" {
		t.Fatalf("health config after the fix: %+v %v", h.Config, err)
	}
}
