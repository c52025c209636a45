package gateway

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
)

// twoStage is an agent group implemented outside the core, as the agent runtime is.
type twoStage struct {
	protocol.UnimplementedAgentHandler[*Conn]
	conns chan *Conn
}

func (a *twoStage) Agent(ctx context.Context, c *Conn, p *protocol.AgentParams) (*protocol.AgentResult, error) {
	at := int64(1)
	if err := Ack(ctx, &protocol.AgentResult{RunID: p.IdempotencyKey, Status: protocol.AgentResultStatusAccepted, AcceptedAt: &at}); err != nil {
		return nil, err
	}
	a.conns <- c
	c.SendEvent(&protocol.TickEvent{Ts: 7})
	done := "completed"
	return &protocol.AgentResult{RunID: p.IdempotencyKey, Status: protocol.AgentResultStatusOk, Summary: &done}, nil
}

func TestRegisterAndTwoStageResponse(t *testing.T) {
	impl := &twoStage{conns: make(chan *Conn, 1)}
	g := startGateway(t, Options{}, func(s *Server) {
		if err := s.Register(impl); err != nil {
			t.Fatal(err)
		}
		if err := s.Register(struct{}{}); err == nil {
			t.Error("Register accepted a value that implements no group")
		}
	})
	c := dial(t, g.url)
	c.handshake(v3Connect(nil))
	ch := c.requestMulti("agent", map[string]any{"message": "hi", "idempotencyKey": "run-1"})
	var statuses []string
	for len(statuses) < 2 {
		select {
		case f := <-ch:
			var r struct{ Status, RunID string }
			if !f.OK || json.Unmarshal(f.Payload, &r) != nil || r.RunID != "run-1" {
				t.Fatalf("bad response %s", f.raw)
			}
			statuses = append(statuses, r.Status)
		case <-time.After(10 * time.Second):
			t.Fatalf("got %v, want two responses", statuses)
		}
	}
	if statuses[0] != "accepted" || statuses[1] != "ok" {
		t.Fatalf("responses %v, want [accepted ok]", statuses)
	}
	if f := c.nextEvent("tick"); f.Seq != nil {
		t.Errorf("targeted event carries a seq: %s", f.raw)
	}
	conn := <-impl.conns
	_ = c.ws.WriteClose(1000, nil)
	select {
	case <-conn.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Done not closed after the client left")
	}
	// Unregistered groups still answer honestly.
	c2 := dial(t, g.url)
	c2.handshake(v3Connect(nil))
	if f := c2.call("sessions.list", map[string]any{}); f.OK {
		t.Fatalf("sessions.list answered ok without an implementation: %s", f.raw)
	}
}

func TestHealthSourceContributes(t *testing.T) {
	g := startGateway(t, Options{}, func(s *Server) {
		s.AddHealthSource(func(ctx context.Context, sum *protocol.HealthSummary) {
			sum.Telegram.Configured = true
		})
	})
	c := dial(t, g.url)
	c.handshake(v3Connect(nil))
	f := c.call("health", map[string]any{"probe": true})
	if !f.OK {
		t.Fatal(f.Error)
	}
	var raw struct{ Telegram struct{ Configured bool } }
	_ = json.Unmarshal(f.Payload, &raw)
	if !raw.Telegram.Configured {
		t.Fatalf("health source not applied: %s", f.Payload)
	}
}
