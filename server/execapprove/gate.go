package execapprove

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Hosts a command can run on.
const (
	HostGateway = "gateway"
	HostNode    = "node"
)

// DefaultApprovalTimeout is how long a person has to answer (the original's 120 s).
const DefaultApprovalTimeout = 120 * time.Second

// ApprovalRequest is what a person is asked about, in the shape of the original's
// exec.approval.request params.
type ApprovalRequest struct {
	ID           string        `json:"id,omitempty"`
	Command      string        `json:"command"`
	Cwd          string        `json:"cwd,omitempty"`
	Host         string        `json:"host,omitempty"`
	Security     Security      `json:"security,omitempty"`
	Ask          Ask           `json:"ask,omitempty"`
	AgentID      string        `json:"agentId,omitempty"`
	ResolvedPath string        `json:"resolvedPath,omitempty"`
	SessionKey   string        `json:"sessionKey,omitempty"`
	Timeout      time.Duration `json:"-"`
}

// Asker asks a person to approve a command and waits. It returns the decision, or ""
// when nobody answered within req.Timeout; an error when the request could not be made
// or ctx ended (the command then does not run either).
type Asker interface {
	Ask(ctx context.Context, req ApprovalRequest) (Decision, error)
}

// Request is a command that wants to run.
type Request struct {
	// Command is the shell command line (exec). Argv, when set, is analysed instead as one
	// simple command (node system.run) and Command is only shown to the person.
	Command string
	Argv    []string
	Cwd     string
	// PATH of the command's environment, for resolving executables.
	PATH string
	// Host is HostGateway or HostNode; NodeID names the node.
	Host   string
	NodeID string
	// AgentID selects the agent's entry in the approvals file ("" = main).
	AgentID    string
	SessionKey string
	// Security and Ask are the configured (or requested) modes; the file can only make
	// them stricter. Empty: allowlist and on-miss (the original's gateway defaults).
	Security Security
	Ask      Ask
	// Allowlist replaces the file's allowlist when non-nil (a node's own allowlist).
	Allowlist []AllowlistEntry
	// SafeBins overrides DefaultSafeBins when non-nil (tools.exec.safeBins).
	SafeBins []string
}

// Approval is a positive outcome.
type Approval struct {
	// Decision is the person's answer, or "" when nobody had to be asked (or nobody
	// answered and askFallback allowed it).
	Decision   Decision
	Asked      bool
	ApprovalID string
	Security   Security
	Ask        Ask
	// Matches are the allowlist entries that allowed the command.
	Matches      []AllowlistEntry
	ResolvedPath string
}

// DeniedError is a command that must not run, with the reason in the original's words
// (security=deny, allowlist-miss, user-denied, approval-timeout, …).
type DeniedError struct {
	Host       string
	Reason     string
	ApprovalID string
	Command    string
}

func (e *DeniedError) Error() string {
	if e.ApprovalID != "" {
		return fmt.Sprintf("exec denied (%s id=%s, %s): %s", e.Host, e.ApprovalID, e.Reason, e.Command)
	}
	return fmt.Sprintf("exec denied: host=%s %s", e.Host, e.Reason)
}

// IsDenied reports whether err is a denial.
func IsDenied(err error) bool {
	var d *DeniedError
	return errors.As(err, &d)
}

// GateOptions configure a Gate.
type GateOptions struct {
	Store *Store
	Asker Asker
	// Timeout is how long a person has to answer (default DefaultApprovalTimeout).
	Timeout time.Duration
	// Home expands ~ in patterns and commands (default: the user's home).
	Home   string
	Now    func() time.Time
	NewID  func() string
	Logger *slog.Logger
}

// Gate decides, asks and records. It is safe for concurrent use.
type Gate struct{ o GateOptions }

// NewGate returns a gate.
func NewGate(o GateOptions) (*Gate, error) {
	if o.Store == nil {
		return nil, errors.New("execapprove: gate needs a store")
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultApprovalTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.NewID == nil {
		o.NewID = newUUID
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Gate{o: o}, nil
}

// Store returns the gate's store.
func (g *Gate) Store() *Store { return g.o.Store }

// Check decides whether req may run, asking a person when the modes say so. It returns
// an Approval, a *DeniedError, or another error (approvals file unreadable, the asker
// failed, ctx ended); in every error case the command must not run.
func (g *Gate) Check(ctx context.Context, req Request) (Approval, error) {
	host := req.Host
	if host == "" {
		host = HostGateway
	}
	sec := req.Security
	if sec == "" {
		sec = SecurityAllowlist
	}
	ask := req.Ask
	if ask == "" {
		ask = AskOnMiss
	}
	shown := req.Command
	if shown == "" {
		shown = strings.Join(req.Argv, " ")
	}
	snap, err := g.o.Store.Ensure()
	if err != nil {
		return Approval{}, err
	}
	res := Resolve(snap.File, req.AgentID, Overrides{Security: sec, Ask: ask})
	hostSec := MinSecurity(sec, res.Agent.Security)
	hostAsk := MaxAsk(ask, res.Agent.Ask)
	if hostSec == SecurityDeny {
		return Approval{}, &DeniedError{Host: host, Reason: "security=deny", Command: shown}
	}
	allow := res.Allowlist
	if req.Allowlist != nil {
		allow = req.Allowlist
	}
	lk := &Lookup{Cwd: req.Cwd, PATH: req.PATH, Home: g.o.Home}
	var an Analysis
	if len(req.Argv) > 0 {
		an = lk.AnalyzeArgv(req.Argv)
	} else {
		an = lk.AnalyzeShell(req.Command)
	}
	ev := lk.Evaluate(an, allow, SafeBinSet(req.SafeBins))
	satisfied := hostSec == SecurityAllowlist && an.OK && ev.Satisfied
	out := Approval{Security: hostSec, Ask: hostAsk, Matches: ev.Matches}
	if len(an.Segments) > 0 && an.Segments[0].Resolution != nil {
		out.ResolvedPath = an.Segments[0].Resolution.ResolvedPath
	}

	if RequiresApproval(hostAsk, hostSec, an.OK, satisfied) {
		if g.o.Asker == nil {
			return Approval{}, &DeniedError{Host: host, Reason: "approval required but no approver is connected", Command: shown}
		}
		id := g.o.NewID()
		out.ApprovalID, out.Asked = id, true
		dec, err := g.o.Asker.Ask(ctx, ApprovalRequest{ID: id, Command: shown, Cwd: req.Cwd, Host: host, Security: hostSec,
			Ask: hostAsk, AgentID: req.AgentID, ResolvedPath: out.ResolvedPath, SessionKey: req.SessionKey, Timeout: g.o.Timeout})
		if err != nil {
			if ctx.Err() != nil {
				return Approval{}, fmt.Errorf("exec approval %s: %w", id, context.Cause(ctx))
			}
			return Approval{}, &DeniedError{Host: host, Reason: "approval-request-failed: " + err.Error(), ApprovalID: id, Command: shown}
		}
		out.Decision = dec
		switch dec {
		case Deny:
			return Approval{}, &DeniedError{Host: host, Reason: "user-denied", ApprovalID: id, Command: shown}
		case AllowOnce:
		case AllowAlways:
			if hostSec == SecurityAllowlist && host == HostGateway && req.Allowlist == nil {
				if err := g.persistAlways(req.AgentID, an); err != nil {
					g.o.Logger.Warn("exec approvals: allow-always not saved", "error", err)
				}
			}
		default: // nobody answered in time
			switch res.Agent.AskFallback {
			case SecurityFull:
			case SecurityAllowlist:
				if !satisfied {
					return Approval{}, &DeniedError{Host: host, Reason: "approval-timeout (allowlist-miss)", ApprovalID: id, Command: shown}
				}
			default:
				return Approval{}, &DeniedError{Host: host, Reason: "approval-timeout", ApprovalID: id, Command: shown}
			}
		}
	} else if hostSec == SecurityAllowlist && !satisfied {
		reason := "allowlist miss"
		if !an.OK && an.Reason != "" {
			reason = "allowlist miss (" + an.Reason + ")"
		}
		return Approval{}, &DeniedError{Host: host, Reason: reason, Command: shown}
	}
	if len(ev.Matches) > 0 && host == HostGateway && req.Allowlist == nil {
		if err := g.recordUse(req.AgentID, ev.Matches, shown, out.ResolvedPath); err != nil {
			g.o.Logger.Warn("exec approvals: allowlist use not recorded", "error", err)
		}
	}
	return out, nil
}

// persistAlways adds every segment's resolved executable to the agent's allowlist.
func (g *Gate) persistAlways(agentID string, an Analysis) error {
	var patterns []string
	for _, s := range an.Segments {
		if s.Resolution != nil && s.Resolution.ResolvedPath != "" {
			patterns = append(patterns, s.Resolution.ResolvedPath)
		}
	}
	if len(patterns) == 0 {
		return nil
	}
	if agentID == "" {
		agentID = DefaultAgentID
	}
	now := g.o.Now().UnixMilli()
	return g.o.Store.Update(func(f *File) {
		a := f.Agents[agentID]
		for _, p := range patterns {
			dup := false
			for _, e := range a.Allowlist {
				if e.Pattern == p {
					dup = true
					break
				}
			}
			if !dup {
				a.Allowlist = append(a.Allowlist, AllowlistEntry{ID: newUUID(), Pattern: p, LastUsedAt: now})
			}
		}
		if f.Agents == nil {
			f.Agents = map[string]Agent{}
		}
		f.Agents[agentID] = a
	})
}

// recordUse stamps the matched entries of the agent with this use.
func (g *Gate) recordUse(agentID string, matches []AllowlistEntry, command, resolved string) error {
	if agentID == "" {
		agentID = DefaultAgentID
	}
	now := g.o.Now().UnixMilli()
	used := map[string]bool{}
	for _, m := range matches {
		used[m.Pattern] = true
	}
	return g.o.Store.Update(func(f *File) {
		a, ok := f.Agents[agentID]
		if !ok {
			return // matched through the "*" agent: nothing of this agent's to stamp
		}
		for i := range a.Allowlist {
			if used[a.Allowlist[i].Pattern] {
				a.Allowlist[i].LastUsedAt = now
				a.Allowlist[i].LastUsedCommand = command
				a.Allowlist[i].LastResolvedPath = resolved
			}
		}
		f.Agents[agentID] = a
	})
}
