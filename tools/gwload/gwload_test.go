package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lxzan/gws"

	"github.com/clawgate/gateway/server/core"
	"github.com/clawgate/gateway/server/gateway"
)

func TestCheckLoopback(t *testing.T) {
	for _, u := range []string{"ws://127.0.0.1:1", "ws://127.8.9.10:80/x", "ws://[::1]:5", "ws://localhost:9", "http://127.0.0.1:3"} {
		if err := checkLoopback(u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	for _, u := range []string{"", "ws://10.0.0.1:1", "ws://example.com:80", "wss://127.0.0.1:1", "ws://0.0.0.0:1", "ws://[::]:1", "ftp://127.0.0.1"} {
		if err := checkLoopback(u); err == nil {
			t.Errorf("%s: accepted", u)
		}
	}
}

func TestNumericID(t *testing.T) {
	b := []byte(`{"type":"res","id":"1234","ok":true}`)
	n, rest, ok := numericID(b, len(pfxRes))
	if !ok || n != 1234 || !strings.HasPrefix(string(rest), `,"ok":true`) {
		t.Fatalf("got %d %q %v", n, rest, ok)
	}
	for _, s := range []string{`{"type":"res","id":"x1"}`, `{"type":"res","id":"12`, `{"type":"res","id":""}`} {
		if _, _, ok := numericID([]byte(s), len(pfxRes)); ok {
			t.Errorf("%s: accepted", s)
		}
	}
}

func TestLatencies(t *testing.T) {
	var ns []int64
	for i := 100; i >= 1; i-- {
		ns = append(ns, int64(i)*1e6)
	}
	r := result{}
	latencies(ns, "", r)
	if r["p50_ms"] != 50.0 || r["p99_ms"] != 99.0 || r["max_ms"] != 100.0 {
		t.Fatalf("got %v", r)
	}
}

// startGateway runs the real gateway in-process on a loopback port.
func startGateway(t *testing.T) string {
	t.Helper()
	s, err := gateway.New(gateway.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	core.Serve(s)
	ln, err := gateway.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx, "test over", 0)
		<-done
	})
	return "ws://" + ln.Addr().String()
}

type echoHandler struct{ gws.BuiltinEventHandler }

func (echoHandler) OnMessage(c *gws.Conn, m *gws.Message) {
	_ = c.WriteMessage(m.Opcode, m.Bytes())
	_ = m.Close()
}

func startEcho(t *testing.T) string {
	up := gws.NewUpgrader(echoHandler{}, nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := up.Upgrade(w, r); err == nil {
			go c.ReadLoop()
		}
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

func testConfig(url string) config {
	return config{url: url, target: "gateway", proto: 3, timeout: 20 * time.Second, dialPar: 4,
		conns: 3, requests: 20, inflight: 4, method: "health",
		dialers: 2, duration: 300 * time.Millisecond,
		subscribers: 5, events: 4, rate: 200, echoBytes: 200, hold: 0.2, settle: 10 * time.Millisecond}
}

func TestModesAgainstGateway(t *testing.T) {
	url := startGateway(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, proto := range []int{2, 3} {
		c := testConfig(url)
		c.proto = proto
		r, err := runRequest(ctx, c)
		if err != nil || r["total"] != int64(60) || r["errors"] != int64(0) {
			t.Fatalf("request v%d: %v %v", proto, r, err)
		}
		r, err = runHandshake(ctx, c)
		if err != nil || r["errors"] != int64(0) || r["handshakes"].(int) == 0 {
			t.Fatalf("handshake v%d: %v %v", proto, r, err)
		}
	}
	c := testConfig(url)
	c.method, c.params = "system-event", `{"text":"x"}`
	if r, err := runRequest(ctx, c); err != nil || r["errors"] != int64(0) {
		t.Fatalf("request with params: %v %v", r, err)
	}
	c.method, c.params = "no.such.method", ""
	if r, err := runRequest(ctx, c); err != nil || r["error_responses"] != int64(60) {
		t.Fatalf("unknown method should answer errors: %v %v", r, err)
	}
	r, err := runFanout(ctx, testConfig(url))
	if err != nil || r["lost"] != int64(0) || r["received"] != int64(20) {
		t.Fatalf("fanout: %v %v", r, err)
	}
	c = testConfig(url)
	c.pid = os.Getpid()
	if r, err := runIdle(ctx, c, raiseNofile()); err != nil || r["alive_after_hold"] != 3 {
		t.Fatalf("idle: %v %v", r, err)
	}
	c.startNs = time.Now().UnixNano()
	if r, err := runHello(ctx, c); err != nil || r["first_hello_ms"] == nil || r["rss_idle_kib"] == nil {
		t.Fatalf("hello: %v %v", r, err)
	}
}

func TestRequestAgainstEcho(t *testing.T) {
	c := testConfig(startEcho(t))
	c.target = "echo"
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := runRequest(ctx, c)
	if err != nil || r["total"] != int64(60) || r["errors"] != int64(0) {
		t.Fatalf("%v %v", r, err)
	}
}

func TestReport(t *testing.T) {
	f := t.TempDir() + "/r.jsonl"
	lines := `{"label":"request_gateway","rps":700}
{"label":"request_echo","rps":1000}
{"label":"handshake","handshakes_per_s":2500}
{"label":"startup","rss_idle_kib":10240,"first_hello_ms":5}
{"label":"fanout1","p99_ms":30,"lost":0}
{"label":"fanout2","p99_ms":9.5,"lost":2}
{"label":"fanout3","p99_ms":12.25,"lost":0}
`
	if err := os.WriteFile(f, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := report(&b, f); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.Contains(out, "fan-out lost, all runs") || !strings.Contains(out, "  2  ") {
		t.Errorf("fan-out loss not summed:\n%s", out)
	}
	for _, want := range []string{"700 / 1000 = 0.70", "2500", "MISS", "(no result)", "10.0", "12.25"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}
