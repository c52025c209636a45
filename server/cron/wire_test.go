package cron

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/clawgate/gateway/clients/go/gatewayclient"
	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/gatewaytest"
)

type broadcastSink struct {
	srv *gateway.Server
	c   chan Event
}

func (b *broadcastSink) CronEvent(e Event) {
	b.srv.Broadcast(WireEvent(e))
	b.c <- e
}

// TestOverTheWire: a job added over a real WebSocket runs at its slot (fake clock),
// delivers, is announced by `cron` events and appears in cron.runs.
func TestOverTheWire(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, err := gateway.New(gateway.Options{StateDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	sink := &broadcastSink{srv: srv}
	e := newEnv(t, func(o *Options) { o.Events = sink })
	sink.c = e.ev
	srv.Mux().SetCron(NewHandlers[*gateway.Conn](e.svc))
	gw := gatewaytest.Start(t, srv)
	if err := e.svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	cl, err := gatewayclient.Dial(ctx, gw.URL, gatewayclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	events, stop := cl.Subscribe("cron")
	defer stop()

	var job protocol.CronJob
	if err := cl.Call(ctx, "cron.add", json.RawMessage(`{"name":"Rain check","schedule":{"kind":"every","everyMs":600000},
		"payload":{"kind":"agentTurn","message":"Will it rain?","channel":"telegram","to":"42"}}`), &job); err != nil {
		t.Fatal(err)
	}
	// Bad params are refused by the schema before the handler.
	var ignored json.RawMessage
	if err := cl.Call(ctx, "cron.add", json.RawMessage(`{"name":"x","schedule":{"kind":"hourly"},"payload":{"kind":"systemEvent","text":"t"}}`), &ignored); err == nil {
		t.Fatal("bad schedule accepted")
	}
	e.clk.Advance(10 * time.Minute)
	ev := e.waitFinished(t, job.ID)
	if ev.Status != StatusOK || len(e.del.sent) != 1 || e.del.sent[0].To != "42" {
		t.Fatalf("event %+v sent %+v", ev, e.del.sent)
	}
	seen := map[string]bool{}
	for !seen["finished"] {
		select {
		case we := <-events:
			var p protocol.CronEvent
			if err := json.Unmarshal(we.Payload, &p); err != nil {
				t.Fatalf("event %s: %v", we.Payload, err)
			}
			if p.JobID == job.ID {
				seen[string(p.Action)] = true
			}
		case <-ctx.Done():
			t.Fatalf("cron events seen: %v", seen)
		}
	}
	if !seen["added"] || !seen["started"] {
		t.Fatalf("cron events seen: %v", seen)
	}
	var runs protocol.CronRunsResult
	if err := cl.Call(ctx, "cron.runs", map[string]any{"jobId": job.ID}, &runs); err != nil {
		t.Fatal(err)
	}
	if len(runs.Entries) != 1 || runs.Entries[0].GetSummary() != "done" {
		t.Fatalf("runs %+v", runs.Entries)
	}
	var st protocol.CronStatusResult
	if err := cl.Call(ctx, "cron.status", nil, &st); err != nil || !st.Enabled || st.Jobs != 1 {
		t.Fatalf("status %+v %v", st, err)
	}
}
