package providers

import (
	"context"
	"log/slog"
	"strings"
	"sync"
)

// AllowList decides which senders reach the agent (whatsapp.allowFrom,
// telegram.allowFrom). Entries are normalised with the network's normaliser, so
// "+1 555-123" and "+1555123" match. "*" allows everyone.
//
// An empty list allows everyone, as the original gateway does (it filters only when
// allowFrom has entries); the provider logs a warning at start so an open bot is a
// visible choice. WhatsApp additionally always admits the linked account itself
// (self-chat), which the provider handles.
type AllowList struct {
	all     bool
	entries map[string]bool
	norm    func(string) string
}

// NewAllowList builds a list; norm may be nil (exact, trimmed, case-insensitive match).
func NewAllowList(entries []string, norm func(string) string) *AllowList {
	if norm == nil {
		norm = func(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
	}
	a := &AllowList{entries: map[string]bool{}, norm: norm}
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e == "*" {
			a.all = true
			continue
		}
		if n := norm(e); n != "" {
			a.entries[n] = true
		}
	}
	if len(a.entries) == 0 {
		a.all = true
	}
	return a
}

// Open reports whether everyone is allowed (empty list or "*").
func (a *AllowList) Open() bool { return a.all }

// Allows reports whether any of the sender's identities is on the list.
func (a *AllowList) Allows(ids ...string) bool {
	if a.all {
		return true
	}
	for _, id := range ids {
		if id == "" {
			continue
		}
		if a.entries[a.norm(id)] {
			return true
		}
	}
	return false
}

// Gate forwards messages from allowed senders to an Inbound and logs the rest.
type Gate struct {
	Allow *AllowList
	Next  Inbound
	Log   *slog.Logger

	mu sync.RWMutex // guards Allow once the gate is in use (SetAllow)
}

// SetAllow replaces the allow list (a config reload); messages already being delivered
// finish under the old one.
func (g *Gate) SetAllow(a *AllowList) {
	g.mu.Lock()
	g.Allow = a
	g.mu.Unlock()
}

// Deliver hands m to Next when one of ids is allowed; otherwise it is logged and
// dropped. It reports whether m was forwarded.
func (g *Gate) Deliver(ctx context.Context, m Message, ids ...string) bool {
	if len(ids) == 0 {
		ids = []string{m.From}
	}
	g.mu.RLock()
	allow := g.Allow
	g.mu.RUnlock()
	if !allow.Allows(ids...) {
		if g.Log != nil {
			g.Log.Info("inbound message ignored: sender not in allowFrom", "channel", m.Channel, "from", m.From, "chat", m.ChatID)
		}
		return false
	}
	if g.Log != nil {
		g.Log.Info("inbound message", "channel", m.Channel, "from", m.From, "chat", m.ChatID, "chars", len(m.Text))
	}
	if g.Next != nil {
		g.Next.Inbound(ctx, m)
	}
	return true
}
