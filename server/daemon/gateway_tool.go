package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/agent/tools"
	"github.com/clawgate/gateway/server/configapi"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/sessions"
	"github.com/clawgate/gateway/server/update"
)

// gatewayToolBackend is the agent's gateway tool's view of the running gateway: the
// config group of the server now running (the one the wire's config.* methods use),
// update.run, and the in-process restart SIGUSR1 and /restart use. Run sets it up
// once per process; the config group changes with every in-process restart.
type gatewayToolBackend struct {
	cfg    *wizardConfig
	update *update.Handler[*gateway.Conn]
	// restart schedules the in-process restart and queues the notice (run.go).
	restart func(delay time.Duration, reason string, n *configapi.Notice)
	now     func() time.Time
}

var _ tools.GatewayBackend = (*gatewayToolBackend)(nil)

// Call runs method through the handler the wire uses. The tool is no connection: the
// handlers get a nil one (config.get then never shows the Talk key, as to any caller
// below operator.admin).
func (b *gatewayToolBackend) Call(ctx context.Context, method string, params json.RawMessage) (json.RawMessage, error) {
	h := b.cfg.cur.Load()
	if h == nil && method != "update.run" {
		return nil, errNoConfigGroup
	}
	var out any
	var err error
	switch method {
	case "config.get":
		out, err = h.ConfigGet(ctx, nil, &protocol.ConfigGetParams{})
	case "config.schema":
		out, err = h.ConfigSchema(ctx, nil, &protocol.ConfigSchemaParams{})
	case "config.apply":
		var p protocol.ConfigApplyParams
		if err := json.Unmarshal(params, &p); err != nil {
			return nil, fmt.Errorf("config.apply params: %w", err)
		}
		out, err = h.ConfigApply(ctx, nil, &p)
	case "config.patch":
		var p protocol.ConfigPatchParams
		if err := json.Unmarshal(params, &p); err != nil {
			return nil, fmt.Errorf("config.patch params: %w", err)
		}
		out, err = h.ConfigPatch(ctx, nil, &p)
	case "update.run":
		var p protocol.UpdateRunParams
		if err := json.Unmarshal(params, &p); err != nil {
			return nil, fmt.Errorf("update.run params: %w", err)
		}
		out, err = b.update.UpdateRun(ctx, nil, &p)
	default:
		return nil, fmt.Errorf("gateway tool: no method %q", method)
	}
	if err != nil {
		return nil, err
	}
	return json.Marshal(out)
}

// Restart schedules the in-process restart with the notice for after it.
func (b *gatewayToolBackend) Restart(ctx context.Context, r tools.GatewayRestart) error {
	if b.restart == nil {
		return fmt.Errorf("the gateway cannot restart itself here")
	}
	var n *configapi.Notice
	if r.SessionKey != "" || r.Note != "" {
		n = &configapi.Notice{Kind: "gateway.restart", Ts: b.now(), SessionKey: r.SessionKey, Note: r.Note}
	}
	b.restart(r.Delay, r.Reason, n)
	return nil
}

// tellRestarted records the restart notice (config.apply's or the gateway tool's) as
// a system note in its session once the gateway is back, as the original's restart
// sentinel tells the session; the agent sees it on its next turn.
func (s *services) tellRestarted(ctx context.Context, kind string, n *configapi.Notice) {
	rt := s.rt
	if rt == nil || n.SessionKey == "" {
		return
	}
	text := "System note: the gateway restarted (" + kind + ")."
	if n.Note != "" {
		text += " " + n.Note
	}
	if _, _, err := rt.Store().Append(ctx, n.SessionKey, sessions.Message{Role: "system", Text: text}); err != nil {
		s.log.Warn("restart notice not recorded", "session", n.SessionKey, "err", err)
	}
}
