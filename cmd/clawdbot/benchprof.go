//go:build benchprof

package main

// Built only with -tags benchprof (tools/agentbench -profile): serves net/http/pprof on
// the loopback address in CLAWDBOT_BENCH_PPROF so a benchmark can CPU-profile the real
// gateway binary, and expvar's /debug/vars (runtime.MemStats: bytes allocated and GC
// cycles per turn, read cheaply while a benchmark runs). Never in a normal build.

import (
	_ "expvar"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
)

func init() {
	addr := os.Getenv("CLAWDBOT_BENCH_PPROF")
	if addr == "" {
		return
	}
	if h, _, err := net.SplitHostPort(addr); err != nil || !net.ParseIP(h).IsLoopback() {
		return
	}
	go func() { _ = http.ListenAndServe(addr, nil) }()
}
