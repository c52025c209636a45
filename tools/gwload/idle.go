package main

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"
)

// runIdle opens -conns connections (handshaken), waits for the connect-time traffic to
// drain, holds them idle for -hold seconds and reports the server's VmRSS growth per
// connection (RSS at the end of the hold minus RSS before the first dial).
func runIdle(ctx context.Context, cfg config, nofile uint64) (result, error) {
	N := cfg.conns
	if N <= 0 || cfg.hold <= 0 {
		return nil, fmt.Errorf("-conns and -hold must be > 0")
	}
	if cfg.pid <= 0 {
		return nil, fmt.Errorf("idle needs -pid of the server")
	}
	if need := uint64(N) + 64; nofile > 0 && nofile < need {
		return result{"conns": N}, fmt.Errorf("RLIMIT_NOFILE is %d, need at least %d for %d connections", nofile, need, N)
	}
	prof := newServerProfile(cfg)
	var msBefore map[string]any
	if prof != nil {
		msBefore, _ = prof.memstats("free")
	}
	before, err := rssKiB(cfg.pid)
	if err != nil {
		return nil, err
	}
	var frames, lastFrame atomic.Int64
	base := time.Now()
	onFrame := func(int) frameFunc {
		return func(_ []byte, now time.Time) {
			frames.Add(1)
			lastFrame.Store(int64(now.Sub(base)))
		}
	}
	t0 := time.Now()
	conns, err := dialAll(ctx, &cfg, N, cfg.dialPar, onFrame)
	connectDur := time.Since(t0)
	r := result{"conns": N, "connected": len(conns), "rss_before_kib": before, "connect_s": round3(connectDur.Seconds())}
	if err != nil {
		closeAll(conns)
		return r, fmt.Errorf("connecting: %w", err)
	}
	afterConnect, _ := rssKiB(cfg.pid)
	// Connect storms make the gateway broadcast health events; wait for quiet (500 ms
	// without a frame, at most 30 s) so the hold measures idle connections.
	s0 := time.Now()
	for time.Since(s0) < 30*time.Second && ctx.Err() == nil {
		if time.Duration(int64(time.Since(base))-lastFrame.Load()) > 500*time.Millisecond {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	r["settle_s"] = round3(time.Since(s0).Seconds())
	r["frames_during_connect"] = frames.Load()
	framesHold := frames.Load()
	hold := time.Duration(cfg.hold * float64(time.Second))
	peak := afterConnect
	end := time.Now().Add(hold)
	var last int64
	for time.Now().Before(end) && ctx.Err() == nil {
		if v, err := rssKiB(cfg.pid); err == nil {
			last = v
			peak = max(peak, v)
		}
		time.Sleep(min(250*time.Millisecond, time.Until(end)))
	}
	if v, err := rssKiB(cfg.pid); err == nil {
		last = v
		peak = max(peak, v)
	}
	alive := 0
	for _, c := range conns {
		select {
		case <-c.done:
		default:
			alive++
		}
	}
	if prof != nil {
		// Server-side breakdown (gwserve only): live heap and stacks before/after a GC.
		// rss_after_free_kib: RSS once every free page went back to the OS, i.e. what
		// the connections themselves hold, without garbage left by the connect storm.
		after, _ := prof.memstats("")
		afterFree, _ := prof.memstats("free")
		r["server_memstats_before"] = msBefore
		r["server_memstats_after"] = after
		r["server_memstats_after_free"] = afterFree
		if v, err := rssKiB(cfg.pid); err == nil {
			r["rss_after_free_kib"] = v
			r["rss_per_conn_after_free_kib"] = round3(float64(v-before) / float64(len(conns)))
		}
		prof.heap(r)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	r["rss_after_connect_kib"] = afterConnect
	r["rss_after_kib"] = last
	r["rss_peak_kib"] = peak
	r["rss_per_conn_kib"] = round3(float64(last-before) / float64(len(conns)))
	r["alive_after_hold"] = alive
	r["frames_during_hold"] = frames.Load() - framesHold
	r["hold_s"] = cfg.hold
	r["client_heap_mib"] = round3(float64(ms.HeapInuse) / (1 << 20))
	closeAll(conns)
	if alive != len(conns) {
		return r, fmt.Errorf("%d of %d connections closed during the hold", len(conns)-alive, len(conns))
	}
	return r, ctx.Err()
}
