// Command gwload is a load generator for the gateway protocol (v2 and v3 handshakes)
// and, for comparison, for a bare gws echo server (tools/echoserver). It runs one mode,
// prints ONE JSON line of results on stdout and exits; every mode is bounded in count
// and in time (-timeout is a hard stop).
//
//	gwload -mode request   -url ws://127.0.0.1:PORT -conns 100 -requests 1000 -inflight 8
//	gwload -mode handshake -url ws://127.0.0.1:PORT -dialers 8 -duration 5s
//	gwload -mode fanout    -url ws://127.0.0.1:PORT -subscribers 1000 -events 100 -rate 100
//	gwload -mode idle      -url ws://127.0.0.1:PORT -conns 5000 -hold 5 -pid PID
//	gwload -mode hello     -url ws://127.0.0.1:PORT -start-file F   (startup probe)
//	gwload -mode freeport                                            (prints a free loopback port)
//	gwload -mode report    -results FILE                              (table of labelled result lines)
//
// Only loopback targets are accepted (127.0.0.0/8, ::1, localhost).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"runtime/pprof"
	"strings"
	"time"
)

type config struct {
	mode     string
	url      string
	target   string // gateway | echo
	proto    int
	token    string
	timeout  time.Duration
	dialPar  int
	clientMd string // client.mode override

	// request
	conns    int
	requests int
	inflight int
	method   string
	params   string

	// handshake
	dialers  int
	duration time.Duration

	// fanout
	subscribers int
	events      int
	rate        float64
	echoBytes   int

	// idle
	hold float64
	pid  int

	// hello
	startFile string
	startNs   int64
	pidFile   string
	settle    time.Duration

	// report
	results string
	label   string

	// profiling
	cpuprofile string
	serverProf string // base URL of a gwserve control endpoint (tools/gwload/gwserve)
	serverOut  string // where gwserve writes the server CPU profile for the measured phase
}

// result is the one JSON line a run prints; modes add their own fields.
type result map[string]any

func main() {
	var c config
	flag.StringVar(&c.mode, "mode", "request", "request | handshake | fanout | idle | hello | freeport | report")
	flag.StringVar(&c.url, "url", "", "ws://127.0.0.1:PORT (loopback only)")
	flag.StringVar(&c.target, "target", "gateway", "gateway | echo (echo: no handshake, the echoed req frame counts as the response)")
	flag.IntVar(&c.proto, "protocol", 3, "2 | 3: connect handshake version (v3 as client id \"test\", mode \"test\", no device)")
	flag.StringVar(&c.token, "token", "", "auth.token sent in connect")
	flag.DurationVar(&c.timeout, "timeout", 60*time.Second, "overall hard stop")
	flag.IntVar(&c.dialPar, "dial-parallel", 32, "connections opened concurrently while setting up a mode")
	flag.StringVar(&c.clientMd, "client-mode", "", "client.mode to send (default: v2 \"cli\", v3 \"test\")")
	flag.IntVar(&c.conns, "conns", 100, "request/idle: connections")
	flag.IntVar(&c.requests, "requests", 1000, "request: requests per connection")
	flag.IntVar(&c.inflight, "inflight", 8, "request: outstanding requests per connection")
	flag.StringVar(&c.method, "method", "health", "request: method")
	flag.StringVar(&c.params, "params", "", "request: params JSON (omitted when empty)")
	flag.IntVar(&c.dialers, "dialers", 8, "handshake: concurrent dialers")
	flag.DurationVar(&c.duration, "duration", 5*time.Second, "handshake: how long to dial")
	flag.IntVar(&c.subscribers, "subscribers", 1000, "fanout: subscriber connections")
	flag.IntVar(&c.events, "events", 100, "fanout: system-event requests the publisher sends")
	flag.Float64Var(&c.rate, "rate", 100, "fanout: events per second")
	flag.IntVar(&c.echoBytes, "echo-frame-bytes", 470, "fanout -target echo: pad the published frame to this size (≈ a gateway presence frame with a fresh presence list)")
	flag.Float64Var(&c.hold, "hold", 5, "idle: seconds to hold the connections idle")
	flag.IntVar(&c.pid, "pid", 0, "idle/hello: server pid whose VmRSS is sampled")
	flag.StringVar(&c.startFile, "start-file", "", "hello: file holding the server's start time in unix ns (read after the first hello-ok)")
	flag.Int64Var(&c.startNs, "start-ns", 0, "hello: the server's start time in unix ns (alternative to -start-file)")
	flag.StringVar(&c.pidFile, "pid-file", "", "hello: file holding the server pid (read after the first hello-ok; alternative to -pid)")
	flag.DurationVar(&c.settle, "settle", 500*time.Millisecond, "hello: wait this long after the probe before sampling the idle RSS")
	flag.StringVar(&c.results, "results", "", "report: JSON-lines file of earlier runs (with -label) to summarise as a table")
	flag.StringVar(&c.label, "label", "", "copied into the result line as \"label\"")
	flag.StringVar(&c.cpuprofile, "cpuprofile", "", "write gwload's own CPU profile here")
	flag.StringVar(&c.serverProf, "server-prof", "", "gwserve control URL (http://127.0.0.1:P): profile the server for exactly the measured phase")
	flag.StringVar(&c.serverOut, "server-prof-out", "", "file gwserve writes the phase's server CPU profile to")
	flag.Parse()

	if c.mode == "report" {
		if err := report(os.Stdout, c.results); err != nil {
			fmt.Fprintln(os.Stderr, "gwload report:", err)
			os.Exit(1)
		}
		return
	}
	res, err := run(c)
	if res == nil {
		res = result{}
	}
	res["mode"] = c.mode
	if c.label != "" {
		res["label"] = c.label
	}
	if err != nil {
		res["error"] = err.Error()
	}
	emit(res)
	if err != nil {
		os.Exit(1)
	}
}

func emit(r result) {
	b, err := json.Marshal(r)
	if err != nil {
		b = []byte(fmt.Sprintf(`{"error":%q}`, err.Error()))
	}
	os.Stdout.Write(append(b, '\n'))
}

func run(c config) (result, error) {
	if c.mode == "freeport" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		port := ln.Addr().(*net.TCPAddr).Port
		_ = ln.Close()
		return result{"port": port}, nil
	}
	if err := checkLoopback(c.url); err != nil {
		return nil, err
	}
	if c.target != "gateway" && c.target != "echo" {
		return nil, fmt.Errorf("-target must be gateway or echo")
	}
	if c.proto != 2 && c.proto != 3 {
		return nil, fmt.Errorf("-protocol must be 2 or 3")
	}
	if c.timeout <= 0 {
		return nil, fmt.Errorf("-timeout must be > 0")
	}
	if c.serverProf != "" {
		if err := checkLoopback(c.serverProf); err != nil {
			return nil, fmt.Errorf("-server-prof: %w", err)
		}
	}
	nofile := raiseNofile()
	if c.cpuprofile != "" {
		f, err := os.Create(c.cpuprofile)
		if err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
		defer func() { pprof.StopCPUProfile(); _ = f.Close() }()
	}
	// Hard stop: the context ends at -timeout; if a mode does not return within a
	// grace period after that, the process exits on its own.
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	hard := time.AfterFunc(c.timeout+5*time.Second, func() {
		emit(result{"mode": c.mode, "error": "hard timeout: mode did not stop"})
		os.Exit(3)
	})
	defer hard.Stop()

	var res result
	var err error
	switch c.mode {
	case "request":
		res, err = runRequest(ctx, c)
	case "handshake":
		res, err = runHandshake(ctx, c)
	case "fanout":
		res, err = runFanout(ctx, c)
	case "idle":
		res, err = runIdle(ctx, c, nofile)
	case "hello":
		res, err = runHello(ctx, c)
	default:
		return nil, fmt.Errorf("unknown -mode %q", c.mode)
	}
	if res != nil {
		res["target"] = c.target
		res["url"] = c.url
		if c.target == "gateway" {
			res["protocol"] = c.proto
		}
		res["nofile"] = nofile
	}
	return res, err
}

// checkLoopback refuses anything but ws:// or http:// to 127.0.0.0/8, ::1 or localhost.
func checkLoopback(raw string) error {
	if raw == "" {
		return errors.New("-url is required")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("bad url %q: %w", raw, err)
	}
	switch u.Scheme {
	case "ws", "http":
	default:
		return fmt.Errorf("url %q: only ws:// (or http:// for -server-prof) on loopback is allowed", raw)
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("refusing non-loopback target %q (only 127.0.0.0/8, ::1, localhost)", host)
	}
	return nil
}
