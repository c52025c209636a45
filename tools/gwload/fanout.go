package main

import (
	"bytes"
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/lxzan/gws"
)

// The publisher's system-event text carries the event index; the presence event that
// follows lists the publisher's row (newest first) with that text.
var fanoutMarker = []byte(`"text":"gwload-ev `)

var pfxPresence = []byte(`{"type":"event","event":"presence"`)

// runFanout: -subscribers v2 "cli" clients (no presence rows of their own) and one
// publisher that sends -events system-event requests at -rate/s. Each makes the
// gateway broadcast a presence event to everyone; every subscriber records when it
// read each one. Latency = subscriber read time − publisher send time.
func runFanout(ctx context.Context, cfg config) (result, error) {
	echo := cfg.target == "echo" // an echoserver -broadcast: no handshake, frames come back as sent
	N, E := cfg.subscribers, cfg.events
	if N <= 0 || E <= 0 || cfg.rate <= 0 {
		return nil, fmt.Errorf("-subscribers, -events and -rate must be > 0")
	}
	if int64(N)*int64(E) > 20_000_000 {
		return nil, fmt.Errorf("-subscribers × -events is capped at 20M")
	}
	// Subscribers and publisher speak v2 with mode "cli" whatever -protocol says.
	sub := cfg
	sub.proto, sub.clientMd = 2, "cli"

	base := time.Now()
	sendAt := make([]atomic.Int64, E) // ns since base
	recv := make([][]int64, N)        // per subscriber, per event: ns since base (0 = not yet)
	for i := range recv {
		recv[i] = make([]int64, E)
	}
	var received, dup, frames, presenceBytes atomic.Int64
	var lastFrame atomic.Int64
	expected := int64(N) * int64(E)
	all := make(chan struct{})
	onFrame := func(i int) frameFunc {
		row := recv[i]
		return func(b []byte, now time.Time) {
			t := int64(now.Sub(base))
			frames.Add(1)
			lastFrame.Store(t)
			if !echo && !bytes.HasPrefix(b, pfxPresence) {
				return
			}
			presenceBytes.Add(int64(len(b)))
			k := bytes.Index(b, fanoutMarker)
			if k < 0 {
				return
			}
			n, _, ok := numericID(b, k+len(fanoutMarker))
			if !ok || n >= E {
				return
			}
			if row[n] != 0 {
				dup.Add(1) // a later presence event repeating the same row
				return
			}
			row[n] = t
			if received.Add(1) == expected {
				close(all)
			}
		}
	}
	conns, err := dialAll(ctx, &sub, N, cfg.dialPar, onFrame)
	if err != nil {
		closeAll(conns)
		return result{"connected": len(conns)}, fmt.Errorf("connecting subscribers: %w", err)
	}
	var pubBad, pubGot atomic.Int64
	pub, err := dial(ctx, &sub, func(b []byte, _ time.Time) {
		if bytes.HasPrefix(b, pfxRes) {
			pubGot.Add(1)
			if _, rest, ok := frameID(b, len(pfxRes)); !ok || !bytes.HasPrefix(rest, okTrueComma) {
				pubBad.Add(1)
			}
		}
	})
	if err != nil {
		closeAll(conns)
		return nil, fmt.Errorf("connecting publisher: %w", err)
	}
	// Wait for the connect storm (a health event to everyone per connect) to drain:
	// 300 ms without a frame, at most 20 s.
	settleStart := time.Now()
	for time.Since(settleStart) < 20*time.Second && ctx.Err() == nil {
		if time.Duration(int64(time.Since(base))-lastFrame.Load()) > 300*time.Millisecond {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	settle := time.Since(settleStart)
	framesBefore := frames.Load()

	prof := newServerProfile(cfg)
	if err := prof.start(); err != nil {
		closeAll(append(conns, pub))
		return nil, fmt.Errorf("server profile: %w", err)
	}
	interval := time.Duration(float64(time.Second) / cfg.rate)
	start := time.Now()
	var writeErr error
	buf := make([]byte, 0, 256)
	for n := 0; n < E && ctx.Err() == nil; n++ {
		if d := time.Until(start.Add(time.Duration(n) * interval)); d > 0 {
			time.Sleep(d)
		}
		buf = append(buf[:0], `{"type":"req","id":"e`...)
		buf = itoa(buf, n)
		buf = append(buf, `","method":"system-event","params":{"text":"gwload-ev `...)
		buf = itoa(buf, n)
		buf = append(buf, `","instanceId":"gwload-publisher","reason":"gwload"`...)
		if echo && len(buf) < cfg.echoBytes-2 {
			// Pad to about the size of the gateway's presence frame.
			buf = append(buf, `,"pad":"`...)
			buf = append(buf, bytes.Repeat([]byte{'x'}, max(0, cfg.echoBytes-len(buf)-3))...)
			buf = append(buf, '"')
		}
		buf = append(buf, "}}"...)
		sendAt[n].Store(int64(time.Since(base)))
		if writeErr = pub.ws.WriteMessage(gws.OpcodeText, buf); writeErr != nil {
			break
		}
	}
	sendDur := time.Since(start)
	// Drain: until everything arrived, or 5 s after the last send.
	select {
	case <-all:
	case <-time.After(5 * time.Second):
	case <-ctx.Done():
	}
	total := time.Since(start)
	r := result{}
	prof.stop(r)
	closeAll(append(conns, pub)) // read loops end: recv rows are stable after this

	lat := make([]int64, 0, expected)
	lastPerEvent := make([]int64, E) // time until the last subscriber had event n
	var got int64
	for _, row := range recv {
		for n, t := range row {
			s := sendAt[n].Load()
			if t == 0 || s == 0 {
				continue
			}
			got++
			d := t - s
			lat = append(lat, d)
			lastPerEvent[n] = max(lastPerEvent[n], d)
		}
	}
	r["subscribers"] = N
	r["events"] = E
	r["rate"] = cfg.rate
	r["expected"] = expected
	r["received"] = got
	r["lost"] = expected - got
	r["duplicates"] = dup.Load()
	if got+dup.Load() > 0 {
		r["presence_frame_bytes"] = presenceBytes.Load() / (got + dup.Load())
	}
	r["frames_during_run"] = frames.Load() - framesBefore
	r["publisher_responses"] = pubGot.Load()
	r["publisher_errors"] = pubBad.Load()
	r["settle_s"] = round3(settle.Seconds())
	r["send_duration_s"] = round3(sendDur.Seconds())
	r["duration_s"] = round3(total.Seconds())
	latencies(lat, "", r)
	var last []int64
	for _, d := range lastPerEvent {
		if d > 0 {
			last = append(last, d)
		}
	}
	latencies(last, "last_subscriber_", r)
	if writeErr != nil {
		return r, fmt.Errorf("publisher write: %w", writeErr)
	}
	return r, nil
}

var okTrueComma = []byte(`,"ok":true`)
