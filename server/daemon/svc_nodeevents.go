package daemon

import (
	"context"
	"fmt"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/nodeevents"
	"github.com/clawgate/gateway/server/nodes/live"
	"github.com/clawgate/gateway/server/sessions"
)

// nodeEventsService acts on node events (node.event over the WebSocket, event frames
// over the bridge): agent turns for agent.request and voice.transcript, chat streams
// for chat.subscribe, system notes and a heartbeat for exec.*. It needs the agent
// runtime; without one node events are only logged.
type nodeEventsService struct {
	h    *nodeevents.Handler
	reg  *live.Registry
	stop context.CancelFunc
}

func buildNodeEvents(ctx context.Context, s *services) (component, error) {
	var reg *live.Registry
	var sched *scheduleComponent
	for _, c := range s.list {
		switch c := c.(type) {
		case *nodesService:
			reg = c.reg
		case *scheduleComponent:
			sched = c
		}
	}
	if reg == nil || s.rt == nil {
		return nil, nil
	}
	rt := s.rt
	base, stop := context.WithCancel(context.Background())
	o := nodeevents.Options{
		Agent: rt, MainKey: rt.MainSessionKey, Send: reg.SendEvent, Logger: s.log,
		Note: func(ctx context.Context, key, text string) error {
			if _, _, err := rt.Store().Append(ctx, key, sessions.Message{Role: "system", Text: "System note: " + text}); err != nil {
				return fmt.Errorf("append note: %w", err)
			}
			return nil
		},
	}
	if sched != nil && sched.hb != nil {
		o.Heartbeat = func(reason string) {
			if sched.hbActive.Load() {
				sched.hb.RequestNow(reason)
			}
		}
	}
	h, err := nodeevents.New(base, o)
	if err != nil {
		stop()
		return nil, err
	}
	reg.SetEventHandler(h.Handle)
	reg.SetDisconnectHandler(h.Forget)
	c := &nodeEventsService{h: h, reg: reg, stop: stop}
	s.nodeEvents = c
	return c, nil
}

// forward hands an agent runtime event to the nodes subscribed to its session
// (nil-safe: no component, no forwarding).
func (c *nodeEventsService) forward(ev protocol.Event) {
	if c != nil {
		c.h.Forward(ev)
	}
}

func (c *nodeEventsService) attach(*gateway.Server, *methods) error { return nil }

func (c *nodeEventsService) close(context.Context) error {
	c.reg.SetEventHandler(nil)
	c.reg.SetDisconnectHandler(nil)
	c.stop()
	return nil
}
