package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// latencies summarises durations in nanoseconds as milliseconds.
func latencies(ns []int64, prefix string, r result) {
	r[prefix+"samples"] = len(ns)
	if len(ns) == 0 {
		return
	}
	slices.Sort(ns)
	pick := func(q float64) float64 {
		i := int(math.Ceil(q*float64(len(ns)))) - 1
		i = min(max(i, 0), len(ns)-1)
		return ms(ns[i])
	}
	r[prefix+"p50_ms"] = pick(0.50)
	r[prefix+"p90_ms"] = pick(0.90)
	r[prefix+"p99_ms"] = pick(0.99)
	r[prefix+"max_ms"] = ms(ns[len(ns)-1])
}

func ms(ns int64) float64 { return round3(float64(ns) / 1e6) }

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// rssKiB reads VmRSS of pid from /proc.
func rssKiB(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			v = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB"))
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// dialAll opens n connections with at most par in flight; it stops at the first
// failure or when ctx ends and returns what it opened plus the error.
func dialAll(ctx context.Context, cfg *config, n, par int, onFrame func(i int) frameFunc) ([]*conn, error) {
	conns := make([]*conn, n)
	par = max(1, min(par, n))
	var (
		mu      sync.Mutex
		wg      sync.WaitGroup
		firstEr error
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	for w := 0; w < par; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				c, err := dial(ctx, cfg, onFrame(i))
				if err != nil {
					mu.Lock()
					if firstEr == nil {
						firstEr = fmt.Errorf("connection %d: %w", i, err)
					}
					mu.Unlock()
					cancel()
					continue
				}
				conns[i] = c
			}
		}()
	}
feed:
	for i := 0; i < n; i++ {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstEr == nil && ctx.Err() != nil {
		firstEr = ctx.Err()
	}
	return slices.DeleteFunc(conns, func(c *conn) bool { return c == nil }), firstEr
}

// closeAll closes every connection and waits (bounded) for their read loops to end.
func closeAll(conns []*conn) {
	for _, c := range conns {
		c.close()
	}
	deadline := time.After(5 * time.Second)
	for _, c := range conns {
		select {
		case <-c.done:
		case <-deadline:
			return
		}
	}
}

// serverProfile drives gwserve's /prof/start and /prof/stop so the server's CPU
// profile covers exactly the measured phase. A nil *serverProfile does nothing.
type serverProfile struct{ base, out string }

func newServerProfile(c config) *serverProfile {
	if c.serverProf == "" || c.serverOut == "" {
		return nil
	}
	return &serverProfile{base: strings.TrimRight(c.serverProf, "/"), out: c.serverOut}
}

func (p *serverProfile) start() error {
	if p == nil {
		return nil
	}
	return p.call("/prof/start?file=" + url.QueryEscape(p.out))
}

func (p *serverProfile) stop(r result) {
	if p == nil {
		return
	}
	if err := p.call("/prof/stop"); err != nil {
		r["server_profile_error"] = err.Error()
		return
	}
	r["server_profile"] = p.out
}

// memstats fetches gwserve's runtime.MemStats summary; how is "", "gc" (after a GC)
// or "free" (after debug.FreeOSMemory).
func (p *serverProfile) memstats(how string) (map[string]any, error) {
	q := "/prof/memstats"
	if how != "" {
		q += "?" + how + "=1"
	}
	cl := &http.Client{Timeout: 10 * time.Second}
	resp, err := cl.Get(p.base + q)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var m map[string]any
	return m, json.NewDecoder(resp.Body).Decode(&m)
}

// heap makes gwserve write a heap profile (after a GC) to p.out.
func (p *serverProfile) heap(r result) {
	if err := p.call("/prof/heap?file=" + url.QueryEscape(p.out)); err != nil {
		r["server_profile_error"] = err.Error()
		return
	}
	r["server_heap_profile"] = p.out
}

func (p *serverProfile) call(path string) error {
	cl := &http.Client{Timeout: 5 * time.Second}
	resp, err := cl.Get(p.base + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", path, resp.Status)
	}
	return nil
}
