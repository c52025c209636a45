package cron

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/tools/protogen/runtime/rpc"
)

func decode[T any](t *testing.T, s string) *T {
	t.Helper()
	v := new(T)
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return v
}

func validate(t *testing.T, ref string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err, ok := protocol.Validate(ref, b); !ok || err != nil {
		t.Fatalf("%s rejects %s: %v %v", ref, b, err, ok)
	}
}

func TestHandlers(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, func(o *Options) { o.Disabled = true })
	h := NewHandlers[struct{}](e.svc)
	var c struct{}

	add := decode[protocol.CronAddParams](t, `{"name":"Briefing","schedule":{"kind":"cron","expr":"0 7 * * *","tz":"Europe/Vienna"},
		"payload":{"kind":"agentTurn","message":"Summarize today","channel":"Telegram","to":"42","timeoutSeconds":60},
		"isolation":{"postToMainMode":"full"}}`)
	job, err := h.CronAdd(ctx, c, add)
	if err != nil {
		t.Fatal(err)
	}
	validate(t, "methods/cron.add.json#/$defs/result", job)
	pl, ok := job.Payload.(*protocol.CronPayloadAgentTurn)
	if !ok || pl.GetChannel() != "telegram" || pl.GetTimeoutSeconds() != 60 || job.SessionTarget != protocol.CronSessionTargetIsolated {
		t.Fatalf("job %+v payload %+v", job, job.Payload)
	}
	if job.State.NextRunAtMs == nil || *job.State.NextRunAtMs != time.Date(2026, 6, 2, 5, 0, 0, 0, time.UTC).UnixMilli() { // 07:00 CEST tomorrow
		t.Fatalf("next %v", job.State.NextRunAtMs)
	}

	// Bad input: a clear INVALID_REQUEST, nothing stored.
	bad := decode[protocol.CronAddParams](t, `{"name":"x","schedule":{"kind":"cron","expr":"61 * * * *"},"payload":{"kind":"systemEvent","text":"t"}}`)
	_, err = h.CronAdd(ctx, c, bad)
	var re *rpc.Error
	if !errors.As(err, &re) || re.Code != string(protocol.ErrorCodeInvalidRequest) {
		t.Fatalf("want INVALID_REQUEST, got %v", err)
	}

	list, err := h.CronList(ctx, c, &protocol.CronListParams{})
	if err != nil || len(list.Jobs) != 1 {
		t.Fatal(list, err)
	}
	validate(t, "methods/cron.list.json#/$defs/result", list)

	up := decode[protocol.CronUpdateParams](t, `{"jobId":"`+job.ID+`","patch":{"enabled":false,"payload":{"kind":"agentTurn","model":"openai/gpt-5"}}}`)
	upd, err := h.CronUpdate(ctx, c, up)
	if err != nil {
		t.Fatal(err)
	}
	if upd.Enabled || upd.Payload.(*protocol.CronPayloadAgentTurn).GetModel() != "openai/gpt-5" || upd.Payload.(*protocol.CronPayloadAgentTurn).Message != "Summarize today" {
		t.Fatalf("updated %+v", upd)
	}
	if l, _ := h.CronList(ctx, c, &protocol.CronListParams{}); len(l.Jobs) != 0 {
		t.Fatal("disabled job listed without includeDisabled")
	}
	if _, err := h.CronUpdate(ctx, c, decode[protocol.CronUpdateParams](t, `{"patch":{}}`)); err == nil {
		t.Fatal("missing id accepted")
	}

	// Not due (disabled) without force; forced run delivers and is logged.
	r, err := h.CronRun(ctx, c, decode[protocol.CronRunParams](t, `{"id":"`+job.ID+`"}`))
	if err != nil || r.Ran || r.Reason == nil || *r.Reason != protocol.CronRunResultReasonNotDue {
		t.Fatalf("%+v %v", r, err)
	}
	r, err = h.CronRun(ctx, c, decode[protocol.CronRunParams](t, `{"id":"`+job.ID+`","mode":"force"}`))
	if err != nil || !r.Ran {
		t.Fatalf("%+v %v", r, err)
	}
	if len(e.del.sent) != 1 || e.del.sent[0].Channel != "telegram" || e.del.sent[0].To != "42" {
		t.Fatalf("delivered %+v", e.del.sent)
	}
	runs, err := h.CronRuns(ctx, c, decode[protocol.CronRunsParams](t, `{"id":"`+job.ID+`","limit":10}`))
	if err != nil || len(runs.Entries) != 1 || *runs.Entries[0].Status != protocol.CronRunStatusOk {
		t.Fatalf("%+v %v", runs, err)
	}
	validate(t, "methods/cron.runs.json#/$defs/result", runs)

	st, err := h.CronStatus(ctx, c, &protocol.CronStatusParams{})
	if err != nil || st.Enabled || st.Jobs != 1 || st.NextWakeAtMs != nil {
		t.Fatalf("%+v %v", st, err)
	}
	validate(t, "methods/cron.status.json#/$defs/result", st)

	rm, err := h.CronRemove(ctx, c, decode[protocol.CronRemoveParams](t, `{"id":"`+job.ID+`"}`))
	if err != nil || !rm.Removed {
		t.Fatal(rm, err)
	}
	if rm, _ := h.CronRemove(ctx, c, decode[protocol.CronRemoveParams](t, `{"id":"`+job.ID+`"}`)); rm.Removed {
		t.Fatal("removed twice")
	}

	// Every event the service emitted fits the `cron` event schema.
	n := 0
	for len(e.ev) > 0 {
		validate(t, "events/cron.json#/$defs/payload", WireEvent(<-e.ev))
		n++
	}
	if n < 5 {
		t.Fatalf("events %d", n)
	}
}
