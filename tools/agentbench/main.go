// Command agentbench measures the gateway's own cost per agent step out of process
// (issue 18 item 5): it starts the real gateway binary pinned to one core
// (taskset -c -gw-cpu, GOMAXPROCS=1) with a config whose model is a zero-latency fake
// OpenAI-compatible streaming server run here, and drives chat turns over loopback
// WebSockets. Run it pinned to the other core: `make -f buf-like.mk bench-agent`.
//
// Reported (one JSON line per phase):
//   - first_delta overhead: chat.send → first streamed chat delta, minus the model's
//     own time to its first byte (the fake model stamps request arrival and first byte);
//     split into ack (chat.send → its answer, which waits for the prompt's synced
//     commit) and ack_to_first_delta overhead (the answer → the first delta, minus the
//     model's time: the model step itself);
//   - tool round trip overhead: the model's end of the step asking for a read tool call
//     → arrival of the next model request (stream decode, tool, transcript commit,
//     request build; the model's time is not in it at all);
//   - turns/s with -sessions turns in flight, each on its own session.
//
// Bounded: -turns per phase and a hard -timeout; loopback only.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/lxzan/gws"
)

func main() {
	gwBin := flag.String("gateway", "", "clawdbot binary")
	gwCPU := flag.String("gw-cpu", "0", "taskset CPU list for the gateway (empty: no pinning)")
	latTurns := flag.Int("latency-turns", 300, "turns per latency phase (one at a time)")
	tpTurns := flag.Int("turns", 2000, "turns per throughput phase")
	sessions := flag.Int("sessions", 16, "turns in flight in the throughput phases")
	timeout := flag.Duration("timeout", 150*time.Second, "hard stop")
	proto := flag.Int("protocol", 3, "client protocol (3: chat.send answered once the run starts; 2: at its end)")
	profile := flag.String("profile", "", "write a CPU profile of the gateway during the text throughput phase here (needs a gateway built with -tags benchprof)")
	flag.Parse()
	if *gwBin == "" {
		fmt.Fprintln(os.Stderr, "agentbench: -gateway is required")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if *proto != 2 && *proto != 3 {
		fmt.Fprintln(os.Stderr, "agentbench: -protocol is 2 or 3")
		os.Exit(2)
	}
	if err := run(ctx, *gwBin, *gwCPU, *profile, *proto, *latTurns, *tpTurns, *sessions); err != nil {
		fmt.Fprintln(os.Stderr, "agentbench:", err)
		os.Exit(1)
	}
}

// modelReq is what the fake model records per request.
type modelReq struct {
	recv, first, end time.Time
	tool             bool // the request carries a tool result (second step)
}

type fakeModel struct {
	mu   sync.Mutex
	reqs map[string][]modelReq // by turn id
	tool atomic.Bool
}

var turnRe = regexp.MustCompile(`turn-[a-z0-9]+`)

func (m *fakeModel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	recv := time.Now()
	body, _ := io.ReadAll(r.Body)
	id := string(turnRe.Find(body))
	hasTool := bytes.Contains(body, []byte(`"role":"tool"`))
	w.Header().Set("Content-Type", "text/event-stream")
	fl := w.(http.Flusher)
	var first time.Time
	if m.tool.Load() && !hasTool {
		first = time.Now()
		fmt.Fprintf(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c%s\",\"type\":\"function\",\"function\":{\"name\":\"read\",\"arguments\":\"{\\\"path\\\":\\\"f.txt\\\"}\"}}]},\"finish_reason\":null}]}\n\n", id)
		fl.Flush()
		io.WriteString(w, `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}`+"\n\n")
	} else {
		first = time.Now()
		io.WriteString(w, `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"ok "},"finish_reason":null}]}`+"\n\n")
		fl.Flush()
		io.WriteString(w, `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"done"},"finish_reason":null}]}`+"\n\n")
		io.WriteString(w, `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`+"\n\n")
	}
	io.WriteString(w, `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18}}`+"\n\ndata: [DONE]\n\n")
	fl.Flush()
	end := time.Now()
	m.mu.Lock()
	m.reqs[id] = append(m.reqs[id], modelReq{recv: recv, first: first, end: end, tool: hasTool})
	m.mu.Unlock()
}

func run(ctx context.Context, gwBin, gwCPU, profile string, proto, latTurns, tpTurns, sessions int) error {
	model := &fakeModel{reqs: map[string][]modelReq{}}
	ml, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go http.Serve(ml, model)
	dir, err := os.MkdirTemp("", "agentbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ws := filepath.Join(dir, "ws")
	for _, d := range []string{ws, filepath.Join(dir, "state"), filepath.Join(dir, "home")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(ws, "f.txt"), []byte("x\n"), 0o600); err != nil {
		return err
	}
	cfg := fmt.Sprintf(`{
  agents: {defaults: {workspace: %q, maxConcurrent: %d, model: {primary: "fake/m1", fallbacks: []}}},
  models: {providers: {fake: {baseUrl: "http://%s/v1", api: "openai-completions", apiKey: "k1", models: []}}},
}`, ws, sessions, ml.Addr())
	cfgPath := filepath.Join(dir, "clawdbot.json")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return err
	}
	pl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	port := pl.Addr().(*net.TCPAddr).Port
	pl.Close()
	pprofAddr := ""
	if profile != "" {
		ql, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		pprofAddr = ql.Addr().String()
		ql.Close()
	}
	args := []string{gwBin, "gateway", "--allow-unconfigured", "--port", strconv.Itoa(port)}
	if gwCPU != "" {
		args = append([]string{"taskset", "-c", gwCPU}, args...)
	}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1", "HOME="+filepath.Join(dir, "home"),
		"CLAWDBOT_STATE_DIR="+filepath.Join(dir, "state"), "CLAWDBOT_CONFIG_PATH="+cfgPath)
	if pprofAddr != "" {
		cmd.Env = append(cmd.Env, "CLAWDBOT_BENCH_PPROF="+pprofAddr)
	}
	logf, _ := os.Create(filepath.Join(dir, "gateway.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}()
	url := fmt.Sprintf("ws://127.0.0.1:%d", port)
	var c *client
	for i := 0; ; i++ {
		c, err = dial(url, proto)
		if err == nil {
			break
		}
		if i > 300 || ctx.Err() != nil {
			logb, _ := os.ReadFile(filepath.Join(dir, "gateway.log"))
			return fmt.Errorf("gateway did not start: %v\n%s", err, logb)
		}
		time.Sleep(50 * time.Millisecond)
	}
	defer c.conn.NetConn().Close()
	// Warm up: a few turns of each kind.
	for _, tool := range []bool{false, true} {
		model.tool.Store(tool)
		if _, err := c.phase(ctx, "warm", 20, 1); err != nil {
			return err
		}
	}
	for _, tool := range []bool{false, true} {
		model.tool.Store(tool)
		kind := map[bool]string{false: "text", true: "tool"}[tool]
		res, err := c.phase(ctx, kind+"-lat", latTurns, 1)
		if err != nil {
			return err
		}
		emit(kind+"_latency", res, model, latTurns, 1)
		var profDone chan error
		if profile != "" && !tool {
			profDone = make(chan error, 1)
			go func() { profDone <- fetchProfile(pprofAddr, profile) }()
			time.Sleep(100 * time.Millisecond)
		}
		gw0, self0 := procCPU(cmd.Process.Pid), selfCPU()
		res, err = c.phase(ctx, kind+"-tp", tpTurns, sessions)
		gwCPU, selfCPUd := procCPU(cmd.Process.Pid)-gw0, selfCPU()-self0
		if profDone != nil {
			if perr := <-profDone; perr != nil {
				fmt.Fprintln(os.Stderr, "agentbench: profile:", perr)
			}
		}
		if err != nil {
			return err
		}
		emit(kind+"_throughput", res, model, tpTurns, sessions,
			"gateway_cpu_util", gwCPU.Seconds()/res.elapsed.Seconds(), "client_cpu_util", selfCPUd.Seconds()/res.elapsed.Seconds())
	}
	return nil
}

type turnResult struct {
	id           string
	sent, firstD time.Time
	acked        time.Time // the chat.send answer (after the prompt's synced commit)
	final        time.Time
}

type phaseResult struct {
	turns   []turnResult
	elapsed time.Duration
}

func emit(label string, pr phaseResult, m *fakeModel, n, inflight int, extra ...any) {
	var first, tool, turn, modelFirst, ack, afterAck []float64
	m.mu.Lock()
	for _, t := range pr.turns {
		reqs := m.reqs[t.id]
		var last modelReq
		for i, r := range reqs {
			if i > 0 && r.tool {
				tool = append(tool, us(r.recv.Sub(reqs[i-1].end)))
			}
			last = r
		}
		if len(reqs) > 0 {
			mt := last.first.Sub(last.recv)
			if len(reqs) > 1 { // every model step before the first delta is model time too
				for _, r := range reqs[:len(reqs)-1] {
					mt += r.end.Sub(r.recv)
				}
			}
			modelFirst = append(modelFirst, us(mt))
			first = append(first, us(t.firstD.Sub(t.sent)-mt))
			afterAck = append(afterAck, us(t.firstD.Sub(t.acked)-mt))
		}
		turn = append(turn, us(t.final.Sub(t.sent)))
		ack = append(ack, us(t.acked.Sub(t.sent)))
	}
	m.mu.Unlock()
	out := map[string]any{"label": label, "turns": n, "inflight": inflight,
		"turns_per_s":             float64(n) / pr.elapsed.Seconds(),
		"first_delta_overhead_us": pcts(first), "model_to_first_byte_us": pcts(modelFirst),
		"turn_us": pcts(turn), "ack_us": pcts(ack), "ack_to_first_delta_overhead_us": pcts(afterAck)}
	if len(tool) > 0 {
		out["tool_round_trip_overhead_us"] = pcts(tool)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		out[extra[i].(string)] = extra[i+1]
	}
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
}

func us(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }

func pcts(v []float64) map[string]float64 {
	if len(v) == 0 {
		return nil
	}
	slices.Sort(v)
	p := func(q int) float64 { return float64(int(v[min(len(v)*q/100, len(v)-1)]*10)) / 10 }
	return map[string]float64{"p50": p(50), "p99": p(99), "max": v[len(v)-1]}
}

// client is one "cli" WebSocket connection (protocol -protocol); chat events are routed to waiting turns.
type client struct {
	gws.BuiltinEventHandler
	conn   *gws.Conn
	mu     sync.Mutex
	res    map[string]chan []byte
	runs   map[string]*runWait
	nextID atomic.Int64
	seq    atomic.Int64
}

type runWait struct {
	firstD time.Time
	done   chan string
}

func dial(url string, proto int) (*client, error) {
	c := &client{res: map[string]chan []byte{}, runs: map[string]*runWait{}}
	conn, _, err := gws.NewClient(c, &gws.ClientOption{Addr: url})
	if err != nil {
		return nil, err
	}
	c.conn = conn
	go conn.ReadLoop()
	// Protocol 3 (the current clients: Control UI, TUI, apps) answers chat.send once the
	// run is started — after the prompt's synced commit; protocol 2 answers at the end.
	p := map[string]any{"minProtocol": proto, "maxProtocol": proto,
		"client": map[string]any{"id": "cli", "version": "1.0.0", "platform": "linux", "mode": "cli"}}
	if proto == 2 {
		p["client"] = map[string]any{"name": "agentbench", "version": "1.0.0", "platform": "linux", "mode": "cli"}
	}
	b, err := c.call("connect", p)
	if err != nil {
		return nil, err
	}
	if !bytes.Contains(b, []byte(`"ok":true`)) {
		return nil, fmt.Errorf("connect refused: %s", b)
	}
	return c, nil
}

func (c *client) call(method string, params any) ([]byte, error) {
	id := strconv.FormatInt(c.nextID.Add(1), 10)
	ch := make(chan []byte, 1)
	c.mu.Lock()
	c.res[id] = ch
	c.mu.Unlock()
	b, _ := json.Marshal(map[string]any{"type": "req", "id": id, "method": method, "params": params})
	if err := c.conn.WriteMessage(gws.OpcodeText, b); err != nil {
		return nil, err
	}
	select {
	case r := <-ch:
		return r, nil
	case <-time.After(20 * time.Second):
		return nil, fmt.Errorf("%s: no response", method)
	}
}

func (c *client) OnMessage(_ *gws.Conn, m *gws.Message) {
	defer m.Close()
	now := time.Now()
	b := m.Bytes()
	var f struct {
		Type, ID, Event string
		Payload         struct{ RunID, State string }
	}
	if bytes.HasPrefix(b, []byte(`{"type":"res"`)) || bytes.Contains(b[:min(len(b), 40)], []byte(`"res"`)) {
		_ = json.Unmarshal(b, &f)
	} else if bytes.Contains(b, []byte(`"event":"chat"`)) {
		_ = json.Unmarshal(b, &f)
	} else {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if f.Type == "res" {
		if ch := c.res[f.ID]; ch != nil {
			delete(c.res, f.ID)
			ch <- append([]byte(nil), b...)
		}
		return
	}
	if f.Event != "chat" {
		return
	}
	w := c.runs[f.Payload.RunID]
	if w == nil {
		return
	}
	if f.Payload.State == "delta" {
		if w.firstD.IsZero() {
			w.firstD = now
		}
		return
	}
	delete(c.runs, f.Payload.RunID)
	w.done <- f.Payload.State
}

func (c *client) phase(ctx context.Context, name string, n, inflight int) (phaseResult, error) {
	results := make([]turnResult, n)
	var next atomic.Int64
	errs := make(chan error, inflight)
	start := time.Now()
	var wg sync.WaitGroup
	for range inflight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				id := fmt.Sprintf("turn-%s%d", name[:3], c.seq.Add(1))
				w := &runWait{done: make(chan string, 1)}
				c.mu.Lock()
				c.runs[id] = w
				c.mu.Unlock()
				sent := time.Now()
				r, err := c.call("chat.send", map[string]any{"sessionKey": "s-" + id, "message": "go " + id, "idempotencyKey": id})
				acked := time.Now()
				if err == nil && !bytes.Contains(r, []byte(`"ok":true`)) {
					err = fmt.Errorf("chat.send: %s", r)
				}
				if err != nil {
					errs <- err
					return
				}
				select {
				case st := <-w.done:
					if st != "final" {
						errs <- fmt.Errorf("run %s ended %s", id, st)
						return
					}
				case <-time.After(20 * time.Second):
					errs <- fmt.Errorf("run %s: no final", id)
					return
				}
				c.mu.Lock()
				fd := w.firstD
				c.mu.Unlock()
				results[i] = turnResult{id: id, sent: sent, acked: acked, firstD: fd, final: time.Now()}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	select {
	case err := <-errs:
		return phaseResult{}, err
	default:
	}
	if ctx.Err() != nil {
		return phaseResult{}, ctx.Err()
	}
	return phaseResult{turns: results, elapsed: el}, nil
}

// fetchProfile takes a 3 s CPU profile of the gateway (the text throughput phase lasts
// longer than that at any rate seen so far).
func fetchProfile(addr, path string) error {
	resp, err := http.Get("http://" + addr + "/debug/pprof/profile?seconds=3")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	return os.WriteFile(path, b, 0o600)
}

// procCPU is a process's user+system CPU time from /proc (0 when unreadable); the
// gateway's share of its core during a phase tells whether it was the bottleneck.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+s) * 10 * time.Millisecond // USER_HZ = 100 on Linux
}

// selfCPU is this process's CPU time (load generator + fake model).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
