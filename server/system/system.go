package gateway

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/logs"
	"github.com/clawgate/gateway/server/presence"
)

// handlers serves the method groups of the gateway core: system, devices, nodes and
// config. Every other group is handed to the Mux by the package that serves it; a
// group nobody serves answers "not implemented" through the generated Unimplemented
// handler, so the gap is explicit on the wire and in the code.
type handlers struct {
	s *Server
}

var (
	_ protocol.SystemHandler[*Conn]  = (*handlers)(nil)
	_ protocol.DevicesHandler[*Conn] = (*handlers)(nil)
	_ protocol.NodesHandler[*Conn]   = (*handlers)(nil)
	_ protocol.ConfigHandler[*Conn]  = (*handlers)(nil)
)

// serveBuiltin hands the core groups to the Mux, keeping any the caller set already.
func (s *Server) serveBuiltin() {
	h := &handlers{s: s}
	if s.methods.System() == nil {
		s.methods.SetSystem(h)
	}
	if s.methods.Devices() == nil {
		s.methods.SetDevices(h)
	}
	if s.methods.Nodes() == nil {
		s.methods.SetNodes(h)
	}
	if s.methods.Config() == nil {
		s.methods.SetConfig(h)
	}
}

// Mux is the method table requests are dispatched through: Options.Mux, or the one
// New made. Set a group's implementation on it before Serve.
func (s *Server) Mux() *protocol.Mux[*Conn] { return s.methods }

func (h *handlers) Health(ctx context.Context, c *Conn, p *protocol.HealthParams) (*protocol.HealthSummary, error) {
	force := p.Probe != nil && *p.Probe
	sum, err := h.s.health.Get(ctx, force)
	if err != nil {
		return nil, Unavailable("health refresh failed: %v", err)
	}
	// The cached snapshot may be up to a minute old; these two are free to read live.
	conns, up := int64(h.s.hub.len()), h.s.uptimeMs()
	sum.Connections, sum.UptimeMs = &conns, &up
	return &sum, nil
}

func (h *handlers) Status(ctx context.Context, c *Conn, p *protocol.StatusParams) (*protocol.StatusResult, error) {
	sum, _, _ := h.s.health.Current()
	recent := make([]protocol.SessionStatus, 0, len(sum.Sessions.Recent))
	for _, r := range sum.Sessions.Recent {
		kind := protocol.SessionKindDirect
		switch {
		case strings.Contains(r.Key, ":group:"):
			kind = protocol.SessionKindGroup
		case r.Key == "global":
			kind = protocol.SessionKindGlobal
		}
		recent = append(recent, protocol.SessionStatus{Key: r.Key, Kind: kind, Age: r.Age, UpdatedAt: r.UpdatedAt})
	}
	return &protocol.StatusResult{
		Web:                protocol.StatusResultWeb{Linked: sum.Web.Linked, AuthAgeMs: sum.Web.AuthAgeMs},
		HeartbeatSeconds:   sum.HeartbeatSeconds,
		ProviderSummary:    providerSummary(&sum),
		QueuedSystemEvents: []string{},
		Sessions: protocol.StatusResultSessions{
			Path:     sum.Sessions.Path,
			Count:    sum.Sessions.Count,
			Defaults: protocol.SessionModelDefaults{},
			Recent:   recent,
		},
	}, nil
}

// providerSummary is status's one line per provider, from the (throttled) health
// snapshot the providers fill in.
func providerSummary(sum *protocol.HealthSummary) []string {
	web := "WhatsApp: not linked"
	if sum.Web.Linked {
		web = "WhatsApp: linked"
		if sum.Web.AuthAgeMs != nil {
			web += fmt.Sprintf(" (auth age %s)", (time.Duration(*sum.Web.AuthAgeMs) * time.Millisecond).Round(time.Minute))
		}
	}
	tg := "Telegram: not configured"
	if sum.Telegram.Configured {
		tg = "Telegram: configured"
	}
	return []string{web, tg}
}

func (h *handlers) SystemPresence(ctx context.Context, c *Conn, p *protocol.SystemPresenceParams) (*protocol.SystemPresenceResult, error) {
	list := protocol.SystemPresenceResult(h.s.presence.List())
	return &list, nil
}

func (h *handlers) SystemEvent(ctx context.Context, c *Conn, p *protocol.SystemEventParams) (*protocol.SystemEventResult, error) {
	text := strings.TrimSpace(p.Text)
	if text == "" {
		return nil, Invalid("text required")
	}
	h.s.changePresence(func() {
		h.s.presence.Beacon(presence.Beacon{
			Text: text, InstanceID: nonEmpty(p.InstanceID), Host: nonEmpty(p.Host), IP: nonEmpty(p.IP), Mode: nonEmpty(p.Mode),
			Version: nonEmpty(p.Version), Platform: nonEmpty(p.Platform), DeviceFamily: nonEmpty(p.DeviceFamily),
			ModelIdentifier: nonEmpty(p.ModelIdentifier), Reason: nonEmpty(p.Reason), LastInputSeconds: p.LastInputSeconds,
		})
	})
	return &protocol.SystemEventResult{Ok: true}, nil
}

func (h *handlers) LogsTail(ctx context.Context, c *Conn, p *protocol.LogsTailParams) (*protocol.LogsTailResult, error) {
	if h.s.opts.LogFile == "" {
		return nil, Unavailable("no log file configured")
	}
	limit, maxBytes := 0, 0
	if p.Limit != nil {
		limit = int(*p.Limit)
	}
	if p.MaxBytes != nil {
		maxBytes = int(*p.MaxBytes)
	}
	r, err := logs.Tail(h.s.opts.LogFile, p.Cursor, limit, maxBytes)
	if err != nil {
		return nil, Unavailable("%v", err)
	}
	out := &protocol.LogsTailResult{File: r.File, Cursor: r.Cursor, Size: r.Size, Lines: r.Lines}
	if r.Truncated {
		out.Truncated = new(true)
	}
	if r.Reset {
		out.Reset = new(true)
	}
	return out, nil
}

func (h *handlers) devices() (*Error, bool) {
	if h.s.opts.Devices == nil {
		return Unavailable("device pairing is not configured (no state dir)"), false
	}
	return nil, true
}

func (h *handlers) DevicePairList(ctx context.Context, c *Conn, p *protocol.DevicePairListParams) (*protocol.DevicePairListResult, error) {
	if e, ok := h.devices(); !ok {
		return nil, e
	}
	r := h.s.opts.Devices.List()
	return &r, nil
}

func (h *handlers) DevicePairApprove(ctx context.Context, c *Conn, p *protocol.DevicePairApproveParams) (*protocol.DevicePairApproveResult, error) {
	if e, ok := h.devices(); !ok {
		return nil, e
	}
	dev, err := h.s.opts.Devices.Approve(p.RequestID)
	if err != nil {
		return nil, err
	}
	h.s.hub.broadcast(&protocol.DevicePairResolvedEvent{RequestID: p.RequestID, DeviceID: dev.DeviceID, Decision: protocol.PairingDecisionApproved, Ts: h.s.opts.Now().UnixMilli()}, nil)
	return &protocol.DevicePairApproveResult{RequestID: p.RequestID, Device: dev}, nil
}

func (h *handlers) DevicePairReject(ctx context.Context, c *Conn, p *protocol.DevicePairRejectParams) (*protocol.DevicePairRejectResult, error) {
	if e, ok := h.devices(); !ok {
		return nil, e
	}
	id, err := h.s.opts.Devices.Reject(p.RequestID)
	if err != nil {
		return nil, err
	}
	h.s.hub.broadcast(&protocol.DevicePairResolvedEvent{RequestID: p.RequestID, DeviceID: id, Decision: protocol.PairingDecisionRejected, Ts: h.s.opts.Now().UnixMilli()}, nil)
	return &protocol.DevicePairRejectResult{RequestID: p.RequestID, DeviceID: id}, nil
}

func (h *handlers) DeviceTokenRotate(ctx context.Context, c *Conn, p *protocol.DeviceTokenRotateParams) (*protocol.DeviceTokenRotateResult, error) {
	if e, ok := h.devices(); !ok {
		return nil, e
	}
	tok, issued, err := h.s.opts.Devices.RotateToken(p.DeviceID, p.Role)
	if err != nil {
		return nil, err
	}
	return &protocol.DeviceTokenRotateResult{DeviceID: p.DeviceID, Role: p.Role, Token: tok, IssuedAtMs: issued}, nil
}

func (h *handlers) DeviceTokenRevoke(ctx context.Context, c *Conn, p *protocol.DeviceTokenRevokeParams) (*protocol.DeviceTokenRevokeResult, error) {
	if e, ok := h.devices(); !ok {
		return nil, e
	}
	revoked, err := h.s.opts.Devices.RevokeToken(p.DeviceID, p.Role)
	if err != nil {
		return nil, err
	}
	return &protocol.DeviceTokenRevokeResult{DeviceID: p.DeviceID, Role: p.Role, Revoked: revoked}, nil
}

func nonEmpty(p *string) *string {
	if p == nil || strings.TrimSpace(*p) == "" {
		return nil
	}
	return p
}

func osHostname() (string, error) { return os.Hostname() }
