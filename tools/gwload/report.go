package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
)

// report prints the bench-e2e table from the labelled result lines bench.sh wrote:
// startup, idle, request_gateway, request_echo, handshake, fanout, fanout_echo.
func report(w io.Writer, path string) error {
	if path == "" {
		return fmt.Errorf("-results is required")
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	runs := map[string]map[string]any{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) != nil {
			continue
		}
		if l, ok := m["label"].(string); ok {
			runs[l] = m
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	num := func(label, key string) (float64, bool) {
		v, ok := runs[label][key].(float64)
		return v, ok
	}
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "metric\tmeasured\ttarget\tresult\n")
	row := func(metric, measured, target string, pass, known bool) {
		res := "MISS"
		switch {
		case !known:
			res, measured = "n/a", "(no result)"
		case pass:
			res = "ok"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", metric, measured, target, res)
	}
	info := func(metric, measured string) { fmt.Fprintf(tw, "%s\t%s\t\t\n", metric, measured) }
	errOf := func(label string) {
		if e, ok := runs[label]["error"].(string); ok {
			info("  "+label+" error", e)
		}
	}

	gw, ok1 := num("request_gateway", "rps")
	ec, ok2 := num("request_echo", "rps")
	ratio := 0.0
	if ok2 && ec > 0 {
		ratio = gw / ec
	}
	row("health rps, gateway / echo", fmt.Sprintf("%.0f / %.0f = %.2f", gw, ec, ratio), "≥ 0.60", ratio >= 0.6, ok1 && ok2)
	if p, ok := num("request_gateway", "p99_ms"); ok {
		pe, _ := num("request_echo", "p99_ms")
		ev, _ := num("request_gateway", "events_received")
		info("  p99 ms gateway / echo; events to clients", fmt.Sprintf("%.1f / %.1f; %.0f", p, pe, ev))
	}
	errOf("request_gateway")
	errOf("request_echo")

	hs, ok := num("handshake", "handshakes_per_s")
	row("handshakes/s (8 dialers)", fmt.Sprintf("%.0f", hs), "≥ 3000", hs >= 3000, ok)
	if p, ok := num("handshake", "p99_ms"); ok {
		e, _ := num("handshake", "errors")
		info("  handshake p99 ms; errors", fmt.Sprintf("%.2f; %.0f", p, e))
	}
	errOf("handshake")

	// Fan-out runs three times (fanout1..3, fanout_echo1..3); the median run by p99 counts.
	fan := func(prefix string) (string, map[string]any) {
		var ps []float64
		byP := map[float64]string{}
		for i := 1; i <= 9; i++ {
			l := fmt.Sprintf("%s%d", prefix, i)
			if p, ok := num(l, "p99_ms"); ok {
				ps = append(ps, p)
				byP[p] = l
			}
		}
		if p, ok := num(prefix, "p99_ms"); ok { // a single unnumbered run
			ps = append(ps, p)
			byP[p] = prefix
		}
		if len(ps) == 0 {
			return "", nil
		}
		slices.Sort(ps)
		l := byP[ps[(len(ps)-1)/2]]
		return l, runs[l]
	}
	fl, fr := fan("fanout")
	fp, ok1 := num(fl, "p99_ms")
	var lost float64
	for l, m := range runs {
		if strings.HasPrefix(l, "fanout") && !strings.HasPrefix(l, "fanout_echo") {
			v, _ := m["lost"].(float64)
			lost += v
		}
	}
	row("fan-out p99 ms (1000 subs × 100 ev), median run", fmt.Sprintf("%.2f", fp), "≤ 10", fp <= 10, ok1)
	row("fan-out lost, all runs", fmt.Sprintf("%.0f", lost), "0", lost == 0, fr != nil)
	if p50, ok := num(fl, "p50_ms"); ok {
		mx, _ := num(fl, "max_ms")
		info("  fan-out p50 / max ms (median run)", fmt.Sprintf("%.2f / %.2f", p50, mx))
	}
	if el, _ := fan("fanout_echo"); el != "" {
		p, _ := num(el, "p99_ms")
		p50, _ := num(el, "p50_ms")
		info("  bare gws broadcast p50 / p99 ms (median run)", fmt.Sprintf("%.2f / %.2f", p50, p))
	}
	for l := range runs {
		if strings.HasPrefix(l, "fanout") {
			errOf(l)
		}
	}

	bp, ok := num("bigfanout", "p99_ms")
	bl, _ := num("bigfanout", "lost")
	bs, _ := num("bigfanout", "subscribers")
	row(fmt.Sprintf("fan-out p99 ms (%.0f subs × 100 ev)", bs), fmt.Sprintf("%.2f (lost %.0f)", bp, bl), "≤ 250, 0 lost", bp <= 250 && bl == 0, ok)
	if p50, ok := num("bigfanout", "p50_ms"); ok {
		d, _ := num("bigfanout", "duration_s")
		info("  p50 ms; run duration s", fmt.Sprintf("%.2f; %.2f", p50, d))
	}
	errOf("bigfanout")

	pc, ok := num("idle", "rss_per_conn_kib")
	n, _ := num("idle", "conns")
	row(fmt.Sprintf("RSS per idle conn KiB (%.0f conns)", n), fmt.Sprintf("%.2f", pc), "≤ 12 (at 10000)", pc <= 12 && n >= 10000, ok)
	if c, ok := num("idle", "connect_s"); ok {
		fr, _ := num("idle", "frames_during_connect")
		info("  time to connect them s; frames they received", fmt.Sprintf("%.1f; %.0f", c, fr))
	}
	if pc, ok := num("idle_echo", "rss_per_conn_kib"); ok {
		info("  bare gws RSS per idle conn KiB", fmt.Sprintf("%.2f", pc))
	}
	errOf("idle")

	rss, ok := num("startup", "rss_idle_kib")
	row("idle process RSS MiB", fmt.Sprintf("%.1f", rss/1024), "≤ 30", rss/1024 <= 30, ok)
	fh, ok := num("startup", "first_hello_ms")
	row("first hello-ok after start ms", fmt.Sprintf("%.1f", fh), "≤ 100", fh <= 100, ok)
	errOf("startup")
	info("machine", fmt.Sprintf("%d CPUs, %s/%s; client and server share them", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH))
	return tw.Flush()
}
