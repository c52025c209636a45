package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/lxzan/gws"
)

// Regression tests for issue 15 (hardening): each replays an attack on the real
// binary over loopback (127.0.0.2, 127.0.0.3, … are local addresses too). They run
// against a binary built from older code with CLAWGATE_TEST_BINARY=<path>, which is
// how "fails before the fix" was checked.

// wsDial opens a WebSocket to the gateway from the loopback address src ("" for the
// default) with extra request headers ("Host" sets the Host header).
func wsDial(port int, src string, hdr http.Header) (*gws.Conn, *recorder, *http.Response, error) {
	rec := &recorder{frames: make(chan string, 1000), closed: make(chan error, 1)}
	opt := &gws.ClientOption{Addr: fmt.Sprintf("ws://127.0.0.1:%d", port), RequestHeader: hdr}
	if src != "" {
		opt.NewDialer = func() (gws.Dialer, error) {
			return &net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}, nil
		}
	}
	ws, resp, err := gws.NewClient(rec, opt)
	if err != nil {
		return nil, nil, resp, err
	}
	go ws.ReadLoop()
	return ws, rec, resp, nil
}

// connectFrame is a connect request (id "c") of protocol v with the given auth.
func connectFrame(v int, auth map[string]any) []byte {
	client := map[string]any{"id": "cli", "version": "1", "platform": "linux", "mode": "cli"}
	if v == 2 {
		client = map[string]any{"name": "cli", "version": "1", "platform": "linux", "mode": "cli"}
	}
	params := map[string]any{"minProtocol": v, "maxProtocol": v, "client": client}
	if auth != nil {
		params["auth"] = auth
	}
	b, _ := json.Marshal(map[string]any{"type": "req", "id": "c", "method": "connect", "params": params})
	return b
}

// okOf is a response frame's top-level ok.
func okOf(frame string) bool {
	var f struct{ OK bool }
	_ = json.Unmarshal([]byte(frame), &f)
	return f.OK
}

func reqFrame(id, method string, params any) []byte {
	m := map[string]any{"type": "req", "id": id, "method": method}
	if params != nil {
		m["params"] = params
	}
	b, _ := json.Marshal(m)
	return b
}

// TestDNSRebindingAttack (issue 15 #1) replays the attack: a page on a rebinding
// domain sends its own Host and a matching Origin to the gateway's port, which has no
// token (what `clawdbot setup` leaves). Nothing is served to it — HTTP, v2 or v3 —
// and config.set cannot switch the agent to the command backend without a secret.
func TestDNSRebindingAttack(t *testing.T) {
	home, port := t.TempDir(), freePort(t)
	writeConfig(t, home, `{"gateway": {"mode": "local"}}`)
	p := startOn(t, home, port, "CLAWDBOT_BRIDGE_ENABLED=0")
	host := fmt.Sprintf("rebind.attacker.example:%d", port)
	hdr := http.Header{"Host": {host}, "Origin": {"http://" + host}}

	req, _ := http.NewRequest("GET", fmt.Sprintf("http://127.0.0.1:%d/", port), nil)
	req.Host = host
	req.Header.Set("Origin", "http://"+host)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("GET / from the rebinding page: %d %.100s, want 403", resp.StatusCode, body)
	}
	shell := `{"gateway": {"mode": "local"}, "agent": {"backend": "command", "command": {"program": "/bin/sh", "args": ["-c", "touch pwned"]}}}`
	for _, v := range []int{2, 3} {
		ws, rec, resp, err := wsDial(port, "", hdr)
		if err == nil {
			// Upgraded: carry the attack on, to show what the page would get.
			_ = ws.WriteMessage(gws.OpcodeText, connectFrame(v, nil))
			f := waitFor(t, rec.frames, `"id":"c"`)
			msg := fmt.Sprintf("v%d: the rebinding page was upgraded; connect ok=%v", v, okOf(f))
			if okOf(f) {
				_ = ws.WriteMessage(gws.OpcodeText, reqFrame("set", "config.set", map[string]any{"raw": shell}))
				msg += fmt.Sprintf("; config.set of a shell backend: %.200s", waitFor(t, rec.frames, `"id":"set"`))
			}
			_ = ws.NetConn().Close()
			t.Fatal(msg)
		}
		if resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("v%d upgrade from the rebinding page: %v, want 403", v, err)
		}
	}
	// A v2 client that is not local direct (behind a proxy) gets nothing without a
	// secret either.
	ws, rec, _, err := wsDial(port, "", http.Header{"X-Forwarded-For": {"203.0.113.5"}})
	if err != nil {
		t.Fatal(err)
	}
	_ = ws.WriteMessage(gws.OpcodeText, connectFrame(2, nil))
	if f := waitFor(t, rec.frames, `"id":"c"`); okOf(f) || !strings.Contains(f, `"unauthorized"`) {
		t.Fatalf("proxied v2 connect without a secret: %s", f)
	}
	_ = ws.NetConn().Close()

	// The last step of the attack: make the gateway run a shell. Even a local client
	// cannot, without a secret.
	before, _ := os.ReadFile(filepath.Join(home, "clawdbot.json"))
	cws, crec := p.client(t)
	// With the current file's hash, so the exec guard (not the lost-update one) answers.
	sum := sha256.Sum256(before)
	_ = cws.WriteMessage(gws.OpcodeText, reqFrame("set", "config.set", map[string]any{"raw": shell, "baseHash": hex.EncodeToString(sum[:])}))
	f := waitFor(t, crec.frames, `"id":"set"`)
	if okOf(f) || !strings.Contains(f, `"INVALID_REQUEST"`) || !strings.Contains(f, "config.set cannot change agents.defaults.cliBackends, agents.defaults.model.primary") {
		t.Fatalf("config.set of a command backend without a secret: %s", f)
	}
	if after, _ := os.ReadFile(filepath.Join(home, "clawdbot.json")); !bytes.Equal(before, after) {
		t.Fatalf("the refused config.set changed the file: %s", after)
	}
	// Loopback names are still served.
	req, _ = http.NewRequest("GET", fmt.Sprintf("http://127.0.0.1:%d/", port), nil)
	req.Host = fmt.Sprintf("localhost:%d", port)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode == http.StatusForbidden {
		t.Fatalf("GET / as localhost: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
}

// rssKB is the resident set size of pid in KiB.
func rssKB(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return n
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// threads is the number of OS threads of pid.
func threads(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "Threads:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(rest))
			return n
		}
	}
	return 0
}

// rawUpgrade opens a WebSocket by hand (no handshake frames sent).
func rawUpgrade(t *testing.T, port int) net.Conn {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: "+addr+"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	var hdr []byte
	one := make([]byte, 1)
	for !bytes.HasSuffix(hdr, []byte("\r\n\r\n")) {
		if _, err := c.Read(one); err != nil {
			t.Fatalf("upgrade: %v", err)
		}
		hdr = append(hdr, one[0])
	}
	if !bytes.Contains(hdr, []byte(" 101 ")) {
		t.Fatalf("upgrade refused: %s", hdr)
	}
	return c
}

// TestPingFloodMemoryBounded (issue 15 #2): an unauthenticated socket that floods
// pings and never reads is closed, and the gateway's memory stays bounded (the issue
// measured +669 MB in 3 s). The bound is generous: this is not a benchmark.
func TestPingFloodMemoryBounded(t *testing.T) {
	p := startProc(t)
	pid := p.cmd.Process.Pid
	base := rssKB(t, pid)
	c := rawUpgrade(t, p.port)
	var batch []byte
	for i := 0; i < 1000; i++ {
		batch = append(batch, 0x89, 0x80|125, 1, 2, 3, 4)
		batch = append(batch, bytes.Repeat([]byte{'p' ^ 1}, 125)...)
	}
	done := make(chan error, 1)
	go func() {
		for {
			if _, err := c.Write(batch); err != nil {
				done <- err
				return
			}
		}
	}()
	const bound = 200 << 10 // KiB over the start
	deadline := time.Now().Add(30 * time.Second)
	peak := base
	for {
		select {
		case err := <-done:
			t.Logf("flood ended (%v); RSS %d MiB at start, peak %d MiB", err, base>>10, peak>>10)
			return
		case <-time.After(50 * time.Millisecond):
		}
		rss := rssKB(t, pid)
		peak = max(peak, rss)
		if rss-base > bound {
			_ = c.Close()
			t.Fatalf("RSS grew from %d MiB to %d MiB under a ping flood", base>>10, rss>>10)
		}
		if time.Now().After(deadline) {
			_ = c.Close()
			t.Fatalf("a socket flooding pings without reading is still open after 30 s (RSS %d → %d MiB)", base>>10, rss>>10)
		}
	}
}

// TestBridgeExposure (issue 15 #3): the bridge listens where the gateway does
// (loopback), refuses long lines before auth, limits unauthenticated connections per
// address, and one address cannot fill the pending pairing list.
func TestBridgeExposure(t *testing.T) {
	home, port, bport := t.TempDir(), freePort(t), freePort(t)
	writeConfig(t, home, `{"gateway": {"mode": "local"}}`)
	p := startOn(t, home, port, "CLAWDBOT_BRIDGE_PORT="+strconv.Itoa(bport))
	p.waitOutput(t, "bridge listening")
	if !strings.Contains(p.out.String(), fmt.Sprintf("127.0.0.1:%d", bport)) {
		t.Fatalf("bridge not on loopback:\n%s", p.out.String())
	}
	if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.2:%d", bport), 2*time.Second); err == nil {
		c.Close()
		t.Fatal("the bridge accepts connections on an address other than gateway.bind's (every interface)")
	}
	dialFrom := func(src string) net.Conn {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
		c, err := d.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", bport))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	// nextError reads lines until an error frame and returns its message ("" at EOF).
	nextError := func(c net.Conn) string {
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		sc := bufio.NewScanner(c)
		for sc.Scan() {
			var f struct{ Type, Message string }
			if json.Unmarshal(sc.Bytes(), &f) == nil && f.Type == "error" {
				return f.Message
			}
		}
		return ""
	}
	// An almost-endless line before auth.
	long := dialFrom("127.0.0.2")
	go func() { _, _ = long.Write(bytes.Repeat([]byte("x"), 1<<20)) }()
	if msg := nextError(long); msg != "frame too large (max 65536 bytes)" {
		t.Fatalf("long line before auth: %q", msg)
	}
	// Idle unauthenticated connections from one address.
	for i := 0; i < 4; i++ {
		dialFrom("127.0.0.3")
	}
	time.Sleep(200 * time.Millisecond)
	if msg := nextError(dialFrom("127.0.0.3")); msg != "too many unauthenticated bridge connections from this address" {
		t.Fatalf("fifth idle connection from one address: %q", msg)
	}
	// ~100 pairing requests from one address, then a real node from another.
	pairRequest := func(src, node string) string {
		for try := 0; ; try++ {
			c := dialFrom(src)
			_, _ = fmt.Fprintf(c, `{"type":"pair-request","nodeId":%q}`+"\n"+`{"type":"ping","id":"p"}`+"\n", node)
			msg := nextError(c)
			c.Close()
			switch {
			case msg == "not authenticated": // the ping's answer: the request was taken
				return ""
			case try < 100 && (msg == "too many unauthenticated bridge connections from this address" || msg == "too many pairing requests waiting; retry later"):
				// The previous connections' closes are still being processed.
				time.Sleep(20 * time.Millisecond)
			default:
				return msg
			}
		}
	}
	stored := 0
	for i := 0; i < 100; i++ {
		switch msg := pairRequest("127.0.0.4", fmt.Sprintf("flood-%d", i)); msg {
		case "":
			stored++
		case "too many pending pairing requests from this address":
		default:
			t.Fatalf("flood request %d: %q", i, msg)
		}
	}
	if stored != 10 {
		t.Fatalf("%d pairing requests stored from one address, want its share (10)", stored)
	}
	if msg := pairRequest("127.0.0.5", "real-node"); msg != "" {
		t.Fatalf("a real node is locked out of pairing: %q", msg)
	}
}

// TestConfigVanishKeepsAuthAndFIFODoesNotBlock (issue 15 #4): deleting the config
// file keeps the running config (auth stays on); a FIFO at the config path neither
// blocks the reloader nor the start.
func TestConfigVanishKeepsAuthAndFIFODoesNotBlock(t *testing.T) {
	home, port := t.TempDir(), freePort(t)
	path := filepath.Join(home, "clawdbot.json")
	writeConfig(t, home, `{"gateway": {"mode": "local", "auth": {"token": "vanish-secret"}}}`)
	p := startOn(t, home, port, "CLAWDBOT_BRIDGE_ENABLED=0")
	connect := func(auth map[string]any) string {
		t.Helper()
		for i := 0; ; i++ {
			ws, rec, _, err := wsDial(port, "", nil)
			if err != nil {
				if i > 100 {
					t.Fatal(err)
				}
				time.Sleep(50 * time.Millisecond)
				continue
			}
			defer ws.NetConn().Close()
			_ = ws.WriteMessage(gws.OpcodeText, connectFrame(3, auth))
			return waitFor(t, rec.frames, `"id":"c"`)
		}
	}
	if f := connect(nil); okOf(f) {
		t.Fatalf("connect without the token: %s", f)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2500 * time.Millisecond) // poll + debounce, and a restart if one were made
	if f := connect(nil); okOf(f) {
		t.Fatalf("after deleting the config, connect without a token: %s\n%s", f, p.out.String())
	}
	p.waitOutput(t, "the config file is gone; the running config stays")
	// A FIFO at the config path: refused at once, the reloader carries on.
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	p.waitOutput(t, "not a regular file")
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	writeConfig(t, home, `{"gateway": {"mode": "local", "auth": {"token": "vanish-secret"}, "reload": {"debounceMs": 250}}}`)
	p.waitOutput(t, "changed=[gateway.reload]")
	if f := connect(map[string]any{"token": "vanish-secret"}); !okOf(f) {
		t.Fatalf("connect with the token: %s", f)
	}
	// And at start: a clear error, at once.
	fifoHome := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(fifoHome, "clawdbot.json"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "gateway", "--allow-unconfigured", "--port", strconv.Itoa(freePort(t)))
	cmd.Env = gatewayEnv(fifoHome, "CLAWDBOT_BRIDGE_ENABLED=0")
	out := &syncBuf{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(out.String(), "not a regular file") {
			t.Fatalf("start on a FIFO: %v %s", err, out)
		}
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
		t.Fatalf("start on a FIFO config blocked: %s", out)
	}
}

// TestGuessingIsSlowedGloballyAndTheRealCLIGetsIn (issue 15 #5): guessers on 100
// loopback addresses — 127.0.0.1 among them, the real CLI's address — get only the
// global budget of quick answers; every other guess costs its sender the full delay,
// and the real CLI with the right token still connects during the attack.
func TestGuessingIsSlowedGloballyAndTheRealCLIGetsIn(t *testing.T) {
	const (
		right = "the-right-token-0123456789"
		delay = 2 * time.Second // auth.DefaultThrottleDelay
		burst = 10              // auth.DefaultThrottleBurst
		rate  = 1.0             // auth.DefaultThrottleRate, per second
	)
	home, port := t.TempDir(), freePort(t)
	writeConfig(t, home, `{"gateway": {"mode": "local", "auth": {"token": "`+right+`"}}}`)
	startOn(t, home, port, "CLAWDBOT_BRIDGE_ENABLED=0")
	var fast, total atomic.Int64
	guess := func(src string) {
		ws, rec, _, err := wsDial(port, src, nil)
		if err != nil {
			return
		}
		defer ws.NetConn().Close()
		start := time.Now()
		_ = ws.WriteMessage(gws.OpcodeText, connectFrame(3, map[string]any{"token": "guess-" + src}))
		deadline := time.After(15 * time.Second)
		for {
			select {
			case f := <-rec.frames:
				if strings.Contains(f, `"id":"c"`) {
					if okOf(f) {
						t.Errorf("a wrong token was accepted: %.200s", f)
					}
					total.Add(1)
					if time.Since(start) < delay {
						fast.Add(1)
					}
					return
				}
			case <-deadline:
				t.Errorf("guess from %s not answered", src)
				return
			}
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	attackStart := time.Now()
	for i := 2; i <= 100; i++ {
		wg.Add(1)
		go func(src string) {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				guess(src)
			}
		}(fmt.Sprintf("127.0.0.%d", i))
	}
	// The real CLI's own address fails more than the old per-address allowance (5).
	for i := 0; i < 6; i++ {
		guess("127.0.0.1")
	}
	cmd := exec.Command(binary, "gateway", "call", "health", "--url", fmt.Sprintf("ws://127.0.0.1:%d", port), "--json")
	cmd.Env = append(gatewayEnv(t.TempDir()), "CLAWDBOT_GATEWAY_TOKEN="+right)
	out, err := cmd.CombinedOutput()
	close(stop)
	wg.Wait()
	elapsed := time.Since(attackStart)
	if err != nil {
		t.Errorf("the real CLI with the right token during the attack: %v\n%s", err, out)
	}
	allowed := int64(burst + rate*elapsed.Seconds() + 3)
	t.Logf("%d guesses in %v (%.0f/s) from 100 addresses; %d answered sooner than %v (budget %d)", total.Load(), elapsed.Round(time.Millisecond),
		float64(total.Load())/elapsed.Seconds(), fast.Load(), delay, allowed)
	if fast.Load() > allowed {
		t.Fatalf("%d of %d guesses were answered sooner than %v; the global budget allows %d", fast.Load(), total.Load(), delay, allowed)
	}
}

// TestHTTPConnectionCap (issue 15 #6): connections past the cap are closed at once;
// WebSockets and the CLI still work after the idle ones are gone.
func TestHTTPConnectionCap(t *testing.T) {
	p := startProc(t)
	addr := fmt.Sprintf("127.0.0.1:%d", p.port)
	var idle []net.Conn
	for i := 0; i < 512; i++ { // gateway.DefaultMaxHTTPConns
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		idle = append(idle, c)
	}
	defer func() {
		for _, c := range idle {
			c.Close()
		}
	}()
	time.Sleep(300 * time.Millisecond)
	over, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer over.Close()
	_ = over.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := over.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("connection 513: read %v, want EOF (closed at once)", err)
	}
	for _, c := range idle {
		c.Close()
	}
	idle = nil
	time.Sleep(300 * time.Millisecond)
	p.client(t)
}

// TestHooksGuessingAndDuplicateKeys (issue 15 #7): /hooks shares the brake on
// guessing, and refuses duplicate JSON keys like the WebSocket.
func TestHooksGuessingAndDuplicateKeys(t *testing.T) {
	const delay = 2 * time.Second
	home, port := t.TempDir(), freePort(t)
	writeConfig(t, home, `{"gateway": {"mode": "local"}, "hooks": {"enabled": true, "token": "hook-right-token"}}`)
	startOn(t, home, port, "CLAWDBOT_BRIDGE_ENABLED=0")
	post := func(src, token, body string) (int, string, time.Duration) {
		tr := &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}).DialContext}
		defer tr.CloseIdleConnections()
		req, _ := http.NewRequest("POST", fmt.Sprintf("http://127.0.0.1:%d/hooks/wake", port), strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		start := time.Now()
		resp, err := (&http.Client{Transport: tr, Timeout: 20 * time.Second}).Do(req)
		if err != nil {
			t.Errorf("POST from %s: %v", src, err)
			return 0, "", 0
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(b), time.Since(start)
	}
	var fast atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for i := 10; i < 40; i++ {
		wg.Add(1)
		go func(src string) {
			defer wg.Done()
			code, _, el := post(src, "guess", `{"text":"x"}`)
			if code != http.StatusUnauthorized {
				t.Errorf("wrong token from %s: %d", src, code)
			}
			if el < delay {
				fast.Add(1)
			}
		}(fmt.Sprintf("127.0.0.%d", i))
	}
	wg.Wait()
	if allowed := int64(10 + time.Since(start).Seconds() + 3); fast.Load() > allowed {
		t.Fatalf("%d of 30 wrong hook tokens answered sooner than %v; the budget allows %d", fast.Load(), delay, allowed)
	}
	code, body, _ := post("127.0.0.1", "hook-right-token", `{"text":"a","text":"b"}`)
	if code != http.StatusBadRequest || !strings.Contains(body, `duplicate property \"text\"`) {
		t.Fatalf("duplicate keys: %d %s", code, body)
	}
	if code, body, _ := post("127.0.0.1", "hook-right-token", `{"text":"hello"}`); code == http.StatusUnauthorized {
		t.Fatalf("the right hook token during the attack: %d %s", code, body)
	}
}

// TestAcceptedRunsDoNotBlockTheConnection (issue 15 #8): with 70 agent runs accepted
// on one connection, health and the client's own chat.abort are answered while the
// runs are still going (before the first run's final answer).
func TestAcceptedRunsDoNotBlockTheConnection(t *testing.T) {
	model := sseModel(t, 3*time.Second)
	cfg := fmt.Sprintf(`{"agent": {"backend": "openai", "maxConcurrent": 100, "openai": {"baseUrl": %q, "model": "m"}}}`, model.URL+"/v1")
	p := startProcConfig(t, cfg)
	ws, rec := p.client(t)
	for i := 0; i < 70; i++ {
		_ = ws.WriteMessage(gws.OpcodeText, reqFrame(fmt.Sprintf("run-%d", i), "agent", map[string]any{
			"message": "hi", "sessionKey": fmt.Sprintf("s-%d", i), "idempotencyKey": fmt.Sprintf("k-%d", i)}))
	}
	_ = ws.WriteMessage(gws.OpcodeText, reqFrame("h", "health", nil))
	_ = ws.WriteMessage(gws.OpcodeText, reqFrame("abort", "chat.abort", map[string]any{"sessionKey": "s-0"}))
	pending := map[string]bool{"h": true, "abort": true}
	deadline := time.After(30 * time.Second)
	for len(pending) > 0 {
		select {
		case f := <-rec.frames:
			var fr struct {
				ID      string
				OK      bool
				Payload struct{ Status string }
			}
			_ = json.Unmarshal([]byte(f), &fr)
			if strings.HasPrefix(fr.ID, "run-") && fr.Payload.Status != "accepted" {
				t.Fatalf("a run finished (%s) before health and chat.abort were answered: %s", fr.ID, f)
			}
			if pending[fr.ID] {
				if !fr.OK {
					t.Fatalf("%s: %s", fr.ID, f)
				}
				delete(pending, fr.ID)
			}
		case <-deadline:
			t.Fatalf("not answered: %v", pending)
		}
	}
}

// TestRefusedFramesAreAnswered (issue 15 #9): a frame with a valid id that nests too
// deep, holds a lone surrogate or (binary) invalid UTF-8 gets INVALID_REQUEST.
func TestRefusedFramesAreAnswered(t *testing.T) {
	p := startProc(t)
	ws, rec := p.client(t)
	for _, tc := range []struct {
		op    gws.Opcode
		frame string
		id    string
	}{
		{gws.OpcodeText, `{"type":"req","id":"deep","method":"health","params":{"x":` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}}`, "deep"},
		{gws.OpcodeText, `{"type":"req","id":"sur","method":"health","params":{"x":"\ud800"}}`, "sur"},
		{gws.OpcodeBinary, "{\"type\":\"req\",\"id\":\"utf\",\"method\":\"health\",\"params\":{\"x\":\"\xff\"}}", "utf"},
	} {
		_ = ws.WriteMessage(tc.op, []byte(tc.frame))
		f := waitFor(t, rec.frames, `"id":"`+tc.id+`"`)
		if !strings.Contains(f, `"INVALID_REQUEST"`) || !strings.Contains(f, "invalid request frame") {
			t.Fatalf("%s: %s", tc.id, f)
		}
	}
}

// TestCanvasFIFOAndReloadOrigin (issue 15 #10): GETs of a FIFO in the canvas root
// are refused at once without a thread each; live-reload sockets check Origin.
func TestCanvasFIFOAndReloadOrigin(t *testing.T) {
	root := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(root, "pipe.html"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if err := os.WriteFile(filepath.Join(root, "index.html"), []byte("<html><body>hi</body></html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	cport := freePort(t)
	p := startProcConfig(t, fmt.Sprintf(`{"canvasHost": {"root": %q, "port": %d}}`, root, cport))
	p.waitOutput(t, "canvas host listening")
	before := threads(t, p.cmd.Process.Pid)
	client := &http.Client{Timeout: 3 * time.Second}
	var wg sync.WaitGroup
	var blocked atomic.Int64
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/__clawdbot__/canvas/pipe.html", cport))
			if err != nil {
				blocked.Add(1)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET of a FIFO: %d", resp.StatusCode)
			}
		}()
	}
	wg.Wait()
	after := threads(t, p.cmd.Process.Pid)
	if blocked.Load() > 0 || after > before+50 {
		t.Fatalf("%d GETs of a FIFO blocked; threads %d → %d", blocked.Load(), before, after)
	}
	_, resp, err := gws.NewClient(&gws.BuiltinEventHandler{}, &gws.ClientOption{
		Addr: fmt.Sprintf("ws://127.0.0.1:%d/__clawdbot/ws", cport), RequestHeader: http.Header{"Origin": {"https://evil.example"}}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("live-reload socket from a foreign origin: %v %v, want 403", err, resp)
	}
	ws, _, err := gws.NewClient(&gws.BuiltinEventHandler{}, &gws.ClientOption{
		Addr: fmt.Sprintf("ws://127.0.0.1:%d/__clawdbot/ws", cport), RequestHeader: http.Header{"Origin": {fmt.Sprintf("http://127.0.0.1:%d", cport)}}})
	if err != nil {
		t.Fatalf("live-reload socket from the canvas page: %v", err)
	}
	_ = ws.NetConn().Close()
}

// TestSecretsAtRestAreNarrowed (issue 15 #11): a hand-made state dir (0755) and a
// config holding a token (0644) are narrowed at start, and the log says so.
func TestSecretsAtRestAreNarrowed(t *testing.T) {
	home, port := t.TempDir(), freePort(t)
	writeConfig(t, home, `{"gateway": {"mode": "local", "auth": {"token": "at-rest-secret"}}}`)
	state := filepath.Join(home, "state")
	if err := os.MkdirAll(state, 0o755); err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(state, 0o755)
	_ = os.Chmod(filepath.Join(home, "clawdbot.json"), 0o644)
	p := startOn(t, home, port, "CLAWDBOT_BRIDGE_ENABLED=0")
	p.waitOutput(t, "narrowed permissions")
	for path, want := range map[string]os.FileMode{state: 0o700, filepath.Join(home, "clawdbot.json"): 0o600} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s: %v, want %v", path, st.Mode().Perm(), want)
		}
	}
}

// TestFailedHandshakeFloodKeepsLogHistory (issue 15 #12): thousands of refused
// handshakes are counted, not logged one by one, so the rotating log keeps its
// history.
func TestFailedHandshakeFloodKeepsLogHistory(t *testing.T) {
	home, port := t.TempDir(), freePort(t)
	writeConfig(t, home, `{"gateway": {"mode": "local"}, "logging": {"maxFileBytes": 65536, "maxFiles": 1}}`)
	p := startOn(t, home, port, "CLAWDBOT_BRIDGE_ENABLED=0")
	logPath := filepath.Join(home, "state", "logs", "gateway.log")
	readLogs := func() string {
		a, _ := os.ReadFile(logPath + ".1")
		b, _ := os.ReadFile(logPath)
		return string(a) + string(b)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(readLogs(), "gateway listening") {
		if time.Now().After(deadline) {
			t.Fatal("no start line in the log")
		}
		time.Sleep(20 * time.Millisecond)
	}
	var wg sync.WaitGroup
	var refused atomic.Int64
	for w := 0; w < 20; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				ws, rec, _, err := wsDial(port, "", nil)
				if err != nil {
					continue
				}
				_ = ws.WriteMessage(gws.OpcodeText, reqFrame("x", "health", nil))
				select {
				case <-rec.closed:
					refused.Add(1)
				case <-time.After(5 * time.Second):
				}
				_ = ws.NetConn().Close()
			}
		}()
	}
	wg.Wait()
	if refused.Load() < 1500 {
		t.Fatalf("only %d handshakes refused", refused.Load())
	}
	if logs := readLogs(); !strings.Contains(logs, "gateway listening") {
		t.Fatalf("%d refused handshakes pushed the start of the log out (%d bytes kept)", refused.Load(), len(logs))
	}
	p.waitOutput(t, "handshake refused (repeated)")
}
