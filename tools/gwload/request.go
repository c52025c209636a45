package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lxzan/gws"
)

// reqConn is one connection of the request mode: ids are the request's index, so a
// response is matched to its send time without a map.
type reqConn struct {
	c      *conn
	sent   []atomic.Int64 // send time (ns since base), 0 = not sent
	lat    []int64        // filled by the read goroutine only
	sem    chan struct{}
	got    atomic.Int64 // responses (ok or not)
	bad    atomic.Int64 // ok:false responses
	events atomic.Int64 // events received meanwhile
	done   chan struct{}
	once   sync.Once
}

func runRequest(ctx context.Context, cfg config) (result, error) {
	if cfg.conns <= 0 || cfg.requests <= 0 || cfg.inflight <= 0 {
		return nil, fmt.Errorf("-conns, -requests and -inflight must be > 0")
	}
	if int64(cfg.conns)*int64(cfg.requests) > 50_000_000 {
		return nil, fmt.Errorf("-conns × -requests is capped at 50M")
	}
	if cfg.params != "" && !json.Valid([]byte(cfg.params)) {
		return nil, fmt.Errorf("-params is not valid JSON")
	}
	methodJSON, _ := json.Marshal(cfg.method)
	base := time.Now()
	rcs := make([]*reqConn, cfg.conns)
	for i := range rcs {
		rcs[i] = &reqConn{sent: make([]atomic.Int64, cfg.requests), lat: make([]int64, 0, cfg.requests), sem: make(chan struct{}, cfg.inflight), done: make(chan struct{})}
	}
	M := int64(cfg.requests)
	echo := cfg.target == "echo"
	onFrame := func(i int) frameFunc {
		rc := rcs[i]
		return func(b []byte, now time.Time) {
			var n int
			var rest []byte
			var ok bool
			switch {
			case !echo && bytes.HasPrefix(b, pfxRes):
				n, rest, ok = numericID(b, len(pfxRes))
			case echo && bytes.HasPrefix(b, pfxReq):
				n, rest, ok = numericID(b, len(pfxReq))
			case bytes.HasPrefix(b, pfxEvent):
				rc.events.Add(1)
				return
			}
			if !ok || n >= len(rc.sent) {
				return
			}
			t := rc.sent[n].Swap(0)
			if t == 0 {
				return // duplicate or unknown
			}
			rc.lat = append(rc.lat, int64(now.Sub(base))-t)
			if !echo && !bytes.HasPrefix(rest, []byte(`,"ok":true`)) {
				rc.bad.Add(1)
			}
			<-rc.sem
			if rc.got.Add(1) == M {
				rc.once.Do(func() { close(rc.done) })
			}
		}
	}
	conns, err := dialAll(ctx, &cfg, cfg.conns, cfg.dialPar, onFrame)
	if err != nil {
		closeAll(conns)
		return result{"connected": len(conns)}, fmt.Errorf("connecting: %w", err)
	}
	for i, c := range conns {
		rcs[i].c = c
	}
	// Let the connect-time broadcasts (health events after each connect) drain.
	time.Sleep(200 * time.Millisecond)

	prof := newServerProfile(cfg)
	if err := prof.start(); err != nil {
		closeAll(conns)
		return nil, fmt.Errorf("server profile: %w", err)
	}
	var writeErrs atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for _, rc := range rcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 0, 128+len(cfg.params))
			for n := 0; n < cfg.requests; n++ {
				select {
				case rc.sem <- struct{}{}:
				case <-ctx.Done():
					return
				case <-rc.c.done:
					return
				}
				buf = append(buf[:0], `{"type":"req","id":"`...)
				buf = itoa(buf, n)
				buf = append(buf, `","method":`...)
				buf = append(buf, methodJSON...)
				if cfg.params != "" {
					buf = append(buf, `,"params":`...)
					buf = append(buf, cfg.params...)
				}
				buf = append(buf, '}')
				rc.sent[n].Store(max(int64(time.Since(base)), 1))
				if err := rc.c.ws.WriteMessage(gws.OpcodeText, buf); err != nil {
					writeErrs.Add(1)
					return
				}
			}
			select {
			case <-rc.done:
			case <-ctx.Done():
			case <-rc.c.done:
			}
		}()
	}
	wg.Wait()
	dur := time.Since(start)
	r := result{}
	prof.stop(r)
	closeAll(conns)

	var total, bad, events int64
	var all []int64
	for _, rc := range rcs {
		total += rc.got.Load()
		bad += rc.bad.Load()
		events += rc.events.Load()
		all = append(all, rc.lat...)
	}
	expected := int64(cfg.conns) * M
	missing := expected - total
	r["conns"] = cfg.conns
	r["requests_per_conn"] = cfg.requests
	r["inflight"] = cfg.inflight
	r["method"] = cfg.method
	r["total"] = total
	r["errors"] = bad + missing
	r["error_responses"] = bad
	r["missing"] = missing
	r["write_errors"] = writeErrs.Load()
	r["events_received"] = events
	r["duration_s"] = round3(dur.Seconds())
	r["rps"] = round3(float64(total) / dur.Seconds())
	latencies(all, "", r)
	if missing > 0 {
		return r, fmt.Errorf("%d of %d requests unanswered (ctx: %v)", missing, expected, ctx.Err())
	}
	return r, nil
}
