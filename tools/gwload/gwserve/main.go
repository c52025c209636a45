// Command gwserve runs the gateway (server/gateway, wired like `clawdbot gateway
// --allow-unconfigured` with default config: auth none, device store in -state) with
// profiling hooks on a second loopback port, for tools/gwload. It exists so the server
// can be profiled without touching server/ or cmd/:
//
//	gwserve -addr 127.0.0.1:0 -ctl 127.0.0.1:0 -state DIR -print-addr
//
// prints the gateway address and then the control address. Control endpoints:
// /prof/start?file=F and /prof/stop (a CPU profile of exactly one measured phase,
// driven by gwload -server-prof), /prof/heap?file=F (heap profile after a GC),
// /prof/memstats[?gc=1|?free=1] (runtime.MemStats summary; free=1 first returns all
// free memory to the OS, which separates live per-connection memory from garbage), and
// net/http/pprof under /debug/pprof/. Loopback only; exits after -lifetime.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	rpprof "runtime/pprof"
	"sync"
	"syscall"
	"time"

	"github.com/clawgate/gateway/server/auth"
	"github.com/clawgate/gateway/server/core"
	"github.com/clawgate/gateway/server/gateway"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "gateway listen address (loopback only)")
	ctl := flag.String("ctl", "127.0.0.1:0", "control/pprof listen address (loopback only)")
	state := flag.String("state", "", "state dir (device store); required")
	printAddr := flag.Bool("print-addr", false, "print the gateway address, then the control address, on stdout")
	lifetime := flag.Duration("lifetime", 10*time.Minute, "exit after this long")
	verbose := flag.Bool("verbose", false, "gateway logs at info level on stderr (default: warnings)")
	memRate := flag.Int("memprofilerate", 0, "runtime.MemProfileRate (0 keeps the default; 1 records every allocation)")
	flag.Parse()
	start := time.Now()
	if *memRate > 0 {
		runtime.MemProfileRate = *memRate
	}
	for _, a := range []string{*addr, *ctl} {
		host, _, err := net.SplitHostPort(a)
		if ip := net.ParseIP(host); err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
			log.Fatalf("gwserve: refusing non-loopback address %q", a)
		}
	}
	if *state == "" {
		log.Fatal("gwserve: -state is required")
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	devices, err := auth.OpenStore(auth.StoreOptions{Dir: *state})
	if err != nil {
		log.Fatalf("gwserve: device store: %v", err)
	}
	ln, err := gateway.Listen(*addr)
	if err != nil {
		log.Fatalf("gwserve: %v", err)
	}
	srv, err := gateway.New(gateway.Options{
		Secrets:      auth.Secrets{Mode: auth.ModeNone},
		Devices:      devices,
		Version:      "gwserve",
		StateDir:     *state,
		ProcessStart: start,
		Logger:       logger,
	})
	if err != nil {
		log.Fatalf("gwserve: %v", err)
	}
	core.Serve(srv)
	cln, err := net.Listen("tcp", *ctl)
	if err != nil {
		log.Fatalf("gwserve: %v", err)
	}
	if *printAddr {
		fmt.Println(ln.Addr().String())
		fmt.Println(cln.Addr().String())
	}
	go func() { _ = http.Serve(cln, controlMux()) }()

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *lifetime)
	defer cancel()
	select {
	case err := <-served:
		if err != nil {
			log.Fatalf("gwserve: %v", err)
		}
		return
	case <-ctx.Done():
	}
	sctx, c := context.WithTimeout(context.Background(), 5*time.Second)
	defer c()
	_ = srv.Shutdown(sctx, "gwserve stopping", 0)
	<-served
}

func controlMux() *http.ServeMux {
	var (
		mu  sync.Mutex
		cpu *os.File
	)
	mux := http.NewServeMux()
	mux.HandleFunc("/prof/start", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if cpu != nil {
			http.Error(w, "already profiling", http.StatusConflict)
			return
		}
		f, err := os.Create(r.URL.Query().Get("file"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if err := rpprof.StartCPUProfile(f); err != nil {
			_ = f.Close()
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		cpu = f
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("/prof/stop", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if cpu == nil {
			http.Error(w, "not profiling", http.StatusConflict)
			return
		}
		rpprof.StopCPUProfile()
		err := cpu.Close()
		cpu = nil
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("/prof/heap", func(w http.ResponseWriter, r *http.Request) {
		runtime.GC()
		f, err := os.Create(r.URL.Query().Get("file"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		err = errors.Join(rpprof.Lookup("heap").WriteTo(f, 0), f.Close())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("/prof/memstats", func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Query().Get("free") != "":
			debug.FreeOSMemory() // GC and return every free page to the OS
		case r.URL.Query().Get("gc") != "":
			runtime.GC()
		}
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"heap_inuse": m.HeapInuse, "heap_alloc": m.HeapAlloc, "heap_idle": m.HeapIdle, "heap_released": m.HeapReleased,
			"stack_inuse": m.StackInuse, "sys": m.Sys, "num_gc": m.NumGC, "goroutines": runtime.NumGoroutine(),
			"mspan_inuse": m.MSpanInuse, "gc_sys": m.GCSys, "other_sys": m.OtherSys,
		})
	})
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	return mux
}
