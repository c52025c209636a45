// Package system serves the system method group: health, status, the presence list,
// system-event beacons and logs.tail. It talks to the transport through the small
// Gateway interface, so it never imports server/gateway; it is generic over the
// transport's connection type, which it does not look at.
package system

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/logs"
	"github.com/clawgate/gateway/server/presence"
)

// Gateway is what the system group needs from the transport.
type Gateway interface {
	// Health is the (throttled) health snapshot; probe forces a refresh.
	Health(ctx context.Context, probe bool) (protocol.HealthSummary, error)
	// CurrentHealth is the last snapshot, never refreshed.
	CurrentHealth() protocol.HealthSummary
	// Presence is the presence store (read only here).
	Presence() *presence.Store
	// ChangePresence applies a change to the store and broadcasts the list.
	ChangePresence(change func(*presence.Store))
}

// Options configure the group.
type Options struct {
	// LogFile is the JSONL log file logs.tail reads; "" makes logs.tail unavailable.
	LogFile string
}

// ErrNoLogFile is returned by logs.tail when no log file is configured.
var ErrNoLogFile = errors.New("no log file configured")

// Handler serves the system group over connections of type C.
type Handler[C any] struct {
	gw   Gateway
	opts Options
}

var _ protocol.SystemHandler[struct{}] = (*Handler[struct{}])(nil)

// New returns the system group.
func New[C any](gw Gateway, o Options) *Handler[C] { return &Handler[C]{gw: gw, opts: o} }

func (h *Handler[C]) Health(ctx context.Context, c C, p *protocol.HealthParams) (*protocol.HealthSummary, error) {
	sum, err := h.gw.Health(ctx, p.GetProbe())
	if err != nil {
		return nil, protocol.ErrorCodeUnavailable.Errorf("health refresh failed: %v", err)
	}
	return &sum, nil
}

func (h *Handler[C]) Status(ctx context.Context, c C, p *protocol.StatusParams) (*protocol.StatusResult, error) {
	sum := h.gw.CurrentHealth()
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
	lines := providerSummary(&sum)
	res := &protocol.StatusResult{
		Web:                protocol.StatusResultWeb{Linked: sum.Web.Linked, AuthAgeMs: sum.Web.AuthAgeMs},
		HeartbeatSeconds:   sum.HeartbeatSeconds,
		ProviderSummary:    lines,
		QueuedSystemEvents: []string{},
		Sessions: protocol.StatusResultSessions{
			Path:     sum.Sessions.Path,
			Count:    sum.Sessions.Count,
			Defaults: protocol.SessionModelDefaults{},
			Recent:   recent,
		},
		// The protocol-3 fields, from the same snapshot.
		LinkChannel:    &protocol.StatusResultLinkChannel{ID: "whatsapp", Label: "WhatsApp", Linked: sum.Web.Linked, AuthAgeMs: sum.Web.AuthAgeMs},
		ChannelSummary: lines,
	}
	agentID := "main"
	if id := sum.DefaultAgentID; id != nil {
		agentID = *id
	}
	res.Heartbeat = &protocol.StatusResultHeartbeat{DefaultAgentID: agentID, Agents: []protocol.HeartbeatStatus{}}
	for _, a := range sum.Agents {
		res.Heartbeat.Agents = append(res.Heartbeat.Agents, protocol.HeartbeatStatus{AgentID: a.AgentID, Enabled: a.Heartbeat.Enabled, Every: a.Heartbeat.Every, EveryMs: a.Heartbeat.EveryMs})
	}
	if len(res.Heartbeat.Agents) == 0 {
		res.Heartbeat.Agents = append(res.Heartbeat.Agents, protocol.HeartbeatStatus{AgentID: agentID, Every: "disabled"})
	}
	for i := range recent {
		recent[i].AgentID = &agentID
	}
	res.Sessions.Paths = []string{sum.Sessions.Path}
	res.Sessions.ByAgent = []protocol.AgentSessionsStatus{{AgentID: agentID, Path: sum.Sessions.Path, Count: sum.Sessions.Count, Recent: recent}}
	return res, nil
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

func (h *Handler[C]) SystemPresence(ctx context.Context, c C, p *protocol.SystemPresenceParams) (*protocol.SystemPresenceResult, error) {
	list := protocol.SystemPresenceResult(h.gw.Presence().List())
	return &list, nil
}

func (h *Handler[C]) SystemEvent(ctx context.Context, c C, p *protocol.SystemEventParams) (*protocol.SystemEventResult, error) {
	text := strings.TrimSpace(p.Text)
	if text == "" {
		return nil, protocol.ErrorCodeInvalidRequest.Errorf("text required")
	}
	h.gw.ChangePresence(func(st *presence.Store) {
		st.Beacon(presence.Beacon{
			Text: text, InstanceID: nonBlank(p.InstanceID), Host: nonBlank(p.Host), IP: nonBlank(p.IP), Mode: nonBlank(p.Mode),
			Version: nonBlank(p.Version), Platform: nonBlank(p.Platform), DeviceFamily: nonBlank(p.DeviceFamily),
			ModelIdentifier: nonBlank(p.ModelIdentifier), Reason: nonBlank(p.Reason), LastInputSeconds: p.LastInputSeconds,
		})
	})
	return &protocol.SystemEventResult{Ok: true}, nil
}

func (h *Handler[C]) LogsTail(ctx context.Context, c C, p *protocol.LogsTailParams) (*protocol.LogsTailResult, error) {
	if h.opts.LogFile == "" {
		return nil, unavailable(ErrNoLogFile)
	}
	r, err := logs.Tail(h.opts.LogFile, p.Cursor, int(p.GetLimit()), int(p.GetMaxBytes()))
	if err != nil {
		return nil, unavailable(err)
	}
	// The file stays our JSONL; the answer speaks the original's clients' line shape.
	out := &protocol.LogsTailResult{File: r.File, Cursor: r.Cursor, Size: r.Size, Lines: logs.ClientLines(r.Lines)}
	if r.Truncated {
		out.Truncated = new(true)
	}
	if r.Reset {
		out.Reset = new(true)
	}
	return out, nil
}

// unavailable maps a domain error to the wire's UNAVAILABLE with its text.
func unavailable(err error) error {
	e := protocol.ErrorCodeUnavailable.Errorf("%v", err)
	e.Err = err
	return e
}

// nonBlank is p, or nil when it holds only white space.
func nonBlank(p *string) *string {
	if p == nil || strings.TrimSpace(*p) == "" {
		return nil
	}
	return p
}
