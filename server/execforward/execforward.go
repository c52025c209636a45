// Package execforward tells chats about exec approvals (approvals.exec): when the
// agent's exec tool waits for a person, the prompt goes to the chat the session lives
// in (mode "session"), to configured targets ("targets") or both, so the owner can
// answer from a phone with /approve <id> allow-once|allow-always|deny; the outcome
// (resolved or expired) follows to the same chats. Off unless approvals.exec.enabled.
package execforward

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/clawgate/gateway/server/agents"
	"github.com/clawgate/gateway/server/execapprove"
	"github.com/clawgate/gateway/server/providers"
)

// SendTimeout bounds one delivery of a prompt or an outcome.
const SendTimeout = 30 * time.Second

// Config is approvals.exec.
type Config struct {
	Enabled       bool
	Mode          string   // session (default) | targets | both
	AgentFilter   []string // only these agents' approvals (empty: all)
	SessionFilter []string // only session keys containing or matching one (empty: all)
	Targets       []Target // used by modes targets and both
}

// Target is where a prompt goes.
type Target struct {
	Channel string
	providers.Outbound
}

// Options configure a Forwarder.
type Options struct {
	// Config is the live approvals.exec (nil: off).
	Config func() *Config
	// SessionTarget is where a session's replies go (its last channel and recipient);
	// ok false when it has none.
	SessionTarget func(ctx context.Context, key string) (Target, bool)
	Sender        providers.Sender
	Now           func() time.Time
	// AfterFunc schedules the expiry notice (time.AfterFunc when nil).
	AfterFunc func(d time.Duration, f func()) (stop func() bool)
	Logger    *slog.Logger
}

// Forwarder is an execapprove.Broadcaster that delivers approval prompts to chats.
type Forwarder struct {
	o       Options
	mu      sync.Mutex
	pending map[string]*pending
}

// pending is a forwarded approval: its chats get the prompt, then the outcome, in
// that order, from one goroutine reading msgs.
type pending struct {
	msgs chan string
	stop func() bool
}

var _ execapprove.Broadcaster = (*Forwarder)(nil)

// New returns a forwarder.
func New(o Options) *Forwarder {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.AfterFunc == nil {
		o.AfterFunc = func(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Forwarder{o: o, pending: map[string]*pending{}}
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// matchSession is the original's filter: a substring, or a regular expression.
func matchSession(key string, patterns []string) bool {
	for _, p := range patterns {
		if strings.Contains(key, p) {
			return true
		}
		if re, err := regexp.Compile(p); err == nil && re.MatchString(key) {
			return true
		}
	}
	return false
}

// forwarded reports whether c forwards r.
func forwarded(c *Config, r execapprove.Record) bool {
	if c == nil || !c.Enabled {
		return false
	}
	key := str(r.Request.SessionKey)
	if len(c.AgentFilter) > 0 {
		id := str(r.Request.AgentID)
		if id == "" && key != "" {
			id = agents.SessionAgentID(key, "")
		}
		if id == "" || !slices.Contains(c.AgentFilter, id) {
			return false
		}
	}
	if len(c.SessionFilter) > 0 && (key == "" || !matchSession(key, c.SessionFilter)) {
		return false
	}
	return true
}

// PromptText is the message a chat gets for a pending approval (the original's).
func PromptText(r execapprove.Record, now time.Time) string {
	lines := []string{"🔒 Exec approval required", "ID: " + r.ID, "Command: " + r.Request.Command}
	for _, l := range []struct{ label, v string }{
		{"CWD", str(r.Request.Cwd)}, {"Host", str(r.Request.Host)}, {"Agent", str(r.Request.AgentID)},
		{"Security", str(r.Request.Security)}, {"Ask", str(r.Request.Ask)},
	} {
		if l.v != "" {
			lines = append(lines, l.label+": "+l.v)
		}
	}
	left := max(0, time.UnixMilli(r.ExpiresAtMs).Sub(now).Round(time.Second))
	lines = append(lines, fmt.Sprintf("Expires in: %ds", int(left/time.Second)),
		"Reply with: /approve <id> allow-once|allow-always|deny")
	return strings.Join(lines, "\n")
}

// ResolvedText is the outcome message.
func ResolvedText(r execapprove.Resolved) string {
	label := "denied"
	switch r.Decision {
	case execapprove.AllowOnce:
		label = "allowed once"
	case execapprove.AllowAlways:
		label = "allowed always"
	}
	by := ""
	if r.ResolvedBy != "" {
		by = " Resolved by " + r.ResolvedBy + "."
	}
	return "✅ Exec approval " + label + "." + by + " ID: " + r.ID
}

// ApprovalRequested sends the prompt to the approval's chats and schedules the
// expiry notice. The chats are looked up here (one session read), the messages go out
// in the background: a Broadcaster must not block on a channel.
func (f *Forwarder) ApprovalRequested(r execapprove.Record) {
	var c *Config
	if f.o.Config != nil {
		c = f.o.Config()
	}
	left := time.UnixMilli(r.ExpiresAtMs).Sub(f.o.Now())
	if !forwarded(c, r) || left <= 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), SendTimeout)
	targets := f.targets(ctx, c, r)
	cancel()
	if len(targets) == 0 {
		return
	}
	p := &pending{msgs: make(chan string, 2)}
	p.msgs <- PromptText(r, f.o.Now())
	// The timer only finds the entry once it is published below, with its stop set.
	p.stop = f.o.AfterFunc(left, func() {
		if q := f.take(r.ID); q != nil {
			q.msgs <- "⏱️ Exec approval expired. ID: " + r.ID
			close(q.msgs)
		}
	})
	f.mu.Lock()
	f.pending[r.ID] = p
	f.mu.Unlock()
	go func() {
		for text := range p.msgs {
			f.send(targets, text)
		}
	}()
}

// targets are the chats of r: the session's (modes session, both) and the configured
// ones (targets, both), each once.
func (f *Forwarder) targets(ctx context.Context, c *Config, r execapprove.Record) []Target {
	mode := c.Mode
	if mode == "" {
		mode = "session"
	}
	var out []Target
	seen := map[string]bool{}
	add := func(t Target) {
		k := strings.Join([]string{t.Channel, t.To, t.AccountID}, "\x00")
		if t.To == "" || seen[k] {
			return
		}
		seen[k] = true
		out = append(out, t)
	}
	if (mode == "session" || mode == "both") && f.o.SessionTarget != nil {
		if key := str(r.Request.SessionKey); key != "" {
			if t, ok := f.o.SessionTarget(ctx, key); ok {
				add(t)
			}
		}
	}
	if mode == "targets" || mode == "both" {
		for _, t := range c.Targets {
			add(t)
		}
	}
	return out
}

// take removes and returns a pending approval's entry.
func (f *Forwarder) take(id string) *pending {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.pending[id]
	delete(f.pending, id)
	return p
}

// ApprovalResolved tells the chats that got the prompt how it ended.
func (f *Forwarder) ApprovalResolved(r execapprove.Resolved) {
	p := f.take(r.ID)
	if p == nil {
		return
	}
	p.stop()
	p.msgs <- ResolvedText(r)
	close(p.msgs)
}

func (f *Forwarder) send(targets []Target, text string) {
	ctx, cancel := context.WithTimeout(context.Background(), SendTimeout)
	defer cancel()
	f.sendCtx(ctx, targets, text)
}

func (f *Forwarder) sendCtx(ctx context.Context, targets []Target, text string) {
	if f.o.Sender == nil {
		return
	}
	for _, t := range targets {
		m := t.Outbound
		m.Text = text
		if _, err := f.o.Sender.Send(ctx, t.Channel, m); err != nil {
			f.o.Logger.Warn("exec approvals: forwarding to a chat failed", "channel", t.Channel, "to", t.To, "err", err)
		}
	}
}
