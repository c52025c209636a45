package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// runHandshake: -dialers loops, each dial → (v3: challenge) → connect → hello-ok →
// close, for -duration. Against -target echo a handshake is the bare WS upgrade.
func runHandshake(ctx context.Context, cfg config) (result, error) {
	if cfg.dialers <= 0 || cfg.duration <= 0 {
		return nil, fmt.Errorf("-dialers and -duration must be > 0")
	}
	prof := newServerProfile(cfg)
	if err := prof.start(); err != nil {
		return nil, fmt.Errorf("server profile: %w", err)
	}
	stop := time.Now().Add(cfg.duration)
	dctx, cancel := context.WithDeadline(ctx, stop.Add(10*time.Second))
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		lat      []int64
		errs     atomic.Int64
		firstErr atomic.Value
	)
	start := time.Now()
	for d := 0; d < cfg.dialers; d++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]int64, 0, 4096)
			for time.Now().Before(stop) && dctx.Err() == nil {
				t0 := time.Now()
				c, err := dial(dctx, &cfg, nil)
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					time.Sleep(5 * time.Millisecond) // do not spin on a refused port
					continue
				}
				local = append(local, int64(time.Since(t0)))
				c.close()
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	dur := time.Since(start)
	r := result{}
	prof.stop(r)
	r["dialers"] = cfg.dialers
	r["handshakes"] = len(lat)
	r["errors"] = errs.Load()
	if v := firstErr.Load(); v != nil {
		r["first_error"] = v
	}
	r["duration_s"] = round3(dur.Seconds())
	r["handshakes_per_s"] = round3(float64(len(lat)) / dur.Seconds())
	latencies(lat, "", r)
	return r, nil
}

// runHello is the start-up probe: it dials until the first hello-ok (1 ms between
// attempts) and reports the time since the server process started, read from
// -start-ns or -start-file (unix ns, written by the launcher just before exec).
func runHello(ctx context.Context, cfg config) (result, error) {
	attempts := 0
	for {
		attempts++
		actx, cancel := context.WithTimeout(ctx, 2*time.Second)
		c, err := dial(actx, &cfg, nil)
		cancel()
		if err == nil {
			at := time.Now().UnixNano()
			r := result{"attempts": attempts}
			pid := cfg.pid
			if cfg.pidFile != "" {
				if b, err := os.ReadFile(cfg.pidFile); err == nil {
					pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
				}
			}
			if pid > 0 {
				if kib, err := rssKiB(pid); err == nil {
					r["rss_at_first_hello_kib"] = kib
				}
			}
			c.close()
			if pid > 0 {
				time.Sleep(cfg.settle)
				if kib, err := rssKiB(pid); err == nil {
					r["rss_idle_kib"] = kib
				}
			}
			startNs := cfg.startNs
			if cfg.startFile != "" {
				b, err := os.ReadFile(cfg.startFile)
				if err != nil {
					return r, err
				}
				if startNs, err = strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err != nil {
					return r, fmt.Errorf("start file: %w", err)
				}
			}
			if startNs > 0 {
				r["first_hello_ms"] = round3(float64(at-startNs) / 1e6)
			}
			return r, nil
		}
		if ctx.Err() != nil {
			return result{"attempts": attempts}, fmt.Errorf("no hello-ok before timeout: %w", err)
		}
		time.Sleep(time.Millisecond)
	}
}
