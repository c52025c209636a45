package approvals

import (
	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/execapprove"
)

// The approvals file has two Go shapes: execapprove.File (the file on disk, encoding/json)
// and protocol.ExecApprovalsFile (the wire, generated from the schema). These convert
// field by field, so a field added to one and not the other fails to compile here
// rather than vanishing silently.

func optStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optInt(n int64) *int64 {
	if n == 0 {
		return nil
	}
	return &n
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func defaultsToWire(d execapprove.Defaults) protocol.ExecApprovalsDefaults {
	return protocol.ExecApprovalsDefaults{Security: optStr(string(d.Security)), Ask: optStr(string(d.Ask)),
		AskFallback: optStr(string(d.AskFallback)), AutoAllowSkills: d.AutoAllowSkills}
}

func defaultsFromWire(d protocol.ExecApprovalsDefaults) execapprove.Defaults {
	return execapprove.Defaults{Security: execapprove.Security(str(d.Security)), Ask: execapprove.Ask(str(d.Ask)),
		AskFallback: execapprove.Security(str(d.AskFallback)), AutoAllowSkills: d.AutoAllowSkills}
}

// FileToWire converts the file to its wire form.
func FileToWire(f execapprove.File) protocol.ExecApprovalsFile {
	out := protocol.ExecApprovalsFile{Version: int64(f.Version)}
	if f.Socket != nil {
		out.Socket = &protocol.ExecApprovalsFileSocket{Path: optStr(f.Socket.Path), Token: optStr(f.Socket.Token)}
	}
	if f.Defaults != nil {
		d := defaultsToWire(*f.Defaults)
		out.Defaults = &d
	}
	if len(f.Agents) > 0 {
		out.Agents = make(map[string]protocol.ExecApprovalsAgent, len(f.Agents))
		for id, a := range f.Agents {
			d := defaultsToWire(a.Defaults)
			wa := protocol.ExecApprovalsAgent{Security: d.Security, Ask: d.Ask, AskFallback: d.AskFallback, AutoAllowSkills: d.AutoAllowSkills}
			for _, e := range a.Allowlist {
				wa.Allowlist = append(wa.Allowlist, protocol.ExecApprovalsAllowlistEntry{ID: optStr(e.ID), Pattern: e.Pattern,
					LastUsedAt: optInt(e.LastUsedAt), LastUsedCommand: optStr(e.LastUsedCommand), LastResolvedPath: optStr(e.LastResolvedPath)})
			}
			out.Agents[id] = wa
		}
	}
	return out
}

// FileFromWire converts a wire file to the file's Go form (not normalized).
func FileFromWire(f protocol.ExecApprovalsFile) execapprove.File {
	out := execapprove.File{Version: int(f.Version)}
	if f.Socket != nil {
		out.Socket = &execapprove.Socket{Path: str(f.Socket.Path), Token: str(f.Socket.Token)}
	}
	if f.Defaults != nil {
		d := defaultsFromWire(*f.Defaults)
		out.Defaults = &d
	}
	if len(f.Agents) > 0 {
		out.Agents = make(map[string]execapprove.Agent, len(f.Agents))
		for id, a := range f.Agents {
			ea := execapprove.Agent{Defaults: defaultsFromWire(protocol.ExecApprovalsDefaults{Security: a.Security, Ask: a.Ask,
				AskFallback: a.AskFallback, AutoAllowSkills: a.AutoAllowSkills})}
			for _, e := range a.Allowlist {
				var used int64
				if e.LastUsedAt != nil {
					used = *e.LastUsedAt
				}
				ea.Allowlist = append(ea.Allowlist, execapprove.AllowlistEntry{ID: str(e.ID), Pattern: e.Pattern, LastUsedAt: used,
					LastUsedCommand: str(e.LastUsedCommand), LastResolvedPath: str(e.LastResolvedPath)})
			}
			out.Agents[id] = ea
		}
	}
	return out
}

// Broadcaster sends an event to every client allowed to see it (the transport filters
// by the event's manifest scope: operator.approvals or operator.admin).
type Broadcaster interface {
	Broadcast(ev protocol.Event) int64
}

// Events adapts a broadcaster to the manager's events. Out returns the current
// broadcaster (the running server, which changes across in-process restarts), or nil
// between servers: the events are then dropped, as they are droppable.
type Events struct {
	Out func() Broadcaster
}

var _ execapprove.Broadcaster = Events{}

// RequestedEvent is the wire form of a pending approval.
func RequestedEvent(r execapprove.Record) *protocol.ExecApprovalRequestedEvent {
	q := r.Request
	return &protocol.ExecApprovalRequestedEvent{ID: r.ID, CreatedAtMs: r.CreatedAtMs, ExpiresAtMs: r.ExpiresAtMs,
		Request: protocol.ExecApprovalRequestedEventRequest{Command: q.Command, Cwd: q.Cwd, Host: q.Host, Security: q.Security,
			Ask: q.Ask, AgentID: q.AgentID, ResolvedPath: q.ResolvedPath, SessionKey: q.SessionKey}}
}

// ApprovalRequested broadcasts exec.approval.requested.
func (e Events) ApprovalRequested(r execapprove.Record) {
	if e.Out == nil {
		return
	}
	if out := e.Out(); out != nil {
		out.Broadcast(RequestedEvent(r))
	}
}

// ApprovalResolved broadcasts exec.approval.resolved.
func (e Events) ApprovalResolved(r execapprove.Resolved) {
	if e.Out == nil {
		return
	}
	if out := e.Out(); out != nil {
		out.Broadcast(&protocol.ExecApprovalResolvedEvent{ID: r.ID, Decision: protocol.ExecApprovalDecision(r.Decision),
			ResolvedBy: optStr(r.ResolvedBy), Ts: r.Ts})
	}
}
