package providers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
)

// Provider is one messaging network the gateway owns. Implementations are safe for
// concurrent use. Start must not block on the network (start-up never waits for
// WhatsApp or Telegram); Stop releases connections and goroutines.
type Provider interface {
	// Name is the channel name (WhatsApp, Telegram).
	Name() string
	// Start begins receiving (long polling, WhatsApp socket) in the background.
	Start(ctx context.Context) error
	// Stop ends everything Start began and waits for it.
	Stop(ctx context.Context) error
	// Send delivers one message. A provider that cannot deliver right now (not
	// configured, not linked) fails fast with one of the errors below.
	Send(ctx context.Context, m Outbound) (Sent, error)
	// Status reports the provider's state; probe asks it to check the network
	// (Telegram getMe) within ctx's deadline instead of reporting cached state.
	Status(ctx context.Context, probe bool) Status
}

// Poller is implemented by providers that can send polls (WhatsApp).
type Poller interface {
	SendPoll(ctx context.Context, p Poll) (Sent, error)
}

// Poll is one poll to send.
type Poll struct {
	To            string
	Question      string
	Options       []string
	MaxSelections int
	AccountID     string
}

// Status is a provider's state, common to both networks; fields that do not apply to
// a network stay zero.
type Status struct {
	Configured bool
	Running    bool // receiving updates (telegram) / the socket loop runs (whatsapp)
	Connected  bool // whatsapp: the WebSocket is open
	Linked     bool // whatsapp: credentials are stored
	// LinkedAt is when the credentials were stored (zero when unknown or not linked).
	LinkedAt time.Time
	// ConnState is a short word for the connection: connected, connecting,
	// disconnected, logged-out, not-linked, stopped.
	ConnState string
	LastError string
	SelfID    string // whatsapp own JID / telegram bot id
	SelfE164  string
	Username  string // telegram bot username (no @)
	Mode      string // telegram: polling or webhook
	// Probe is the raw result of a network probe (Telegram getMe), nil when not probed.
	Probe json.RawMessage
}

// Errors a provider or the registry returns; the messaging handler maps them to wire
// codes (unknown channel and bad input → INVALID_REQUEST, not linked → NOT_LINKED,
// everything else → UNAVAILABLE).
var (
	// ErrNotLinked: WhatsApp has no stored credentials (run `clawdbot login`).
	ErrNotLinked = errors.New("whatsapp: not linked (run `clawdbot login` to link a device)")
	// ErrNotConnected: linked, but the socket is down right now.
	ErrNotConnected = errors.New("not connected")
)

// UnknownChannelError is a channel name no provider serves.
type UnknownChannelError struct{ Channel string }

func (e *UnknownChannelError) Error() string {
	return fmt.Sprintf("unknown channel %q (supported: whatsapp, telegram)", e.Channel)
}

// NotConfiguredError is a known channel without configuration (e.g. no bot token).
type NotConfiguredError struct {
	Channel string
	Hint    string
}

func (e *NotConfiguredError) Error() string {
	if e.Hint != "" {
		return e.Channel + ": not configured (" + e.Hint + ")"
	}
	return e.Channel + ": not configured"
}

// InputError marks a failure caused by the request itself (bad recipient, media too
// large, chat not found): retrying the same request cannot succeed.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// Input wraps err as an InputError.
func Input(err error) error { return &InputError{Err: err} }

// Inputf is Input(fmt.Errorf(...)).
func Inputf(format string, args ...any) error { return &InputError{Err: fmt.Errorf(format, args...)} }

// NormalizeChannel lower-cases and trims a channel name; "" means WhatsApp (the
// original's default).
func NormalizeChannel(ch string) string {
	ch = strings.ToLower(strings.TrimSpace(ch))
	if ch == "" {
		return WhatsApp
	}
	return ch
}

// Registry routes sends to providers by channel name. It implements Sender, which the
// agent runtime uses for replies. Unlike the original, an unknown channel is an error,
// never silently WhatsApp.
type Registry struct {
	log *slog.Logger
	mu  sync.RWMutex
	ps  map[string]Provider
}

// NewRegistry returns a registry over ps (by Name; a later one with the same name wins).
func NewRegistry(log *slog.Logger, ps ...Provider) *Registry {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Registry{log: log, ps: map[string]Provider{}}
	for _, p := range ps {
		r.ps[p.Name()] = p
	}
	return r
}

// Provider returns the provider serving channel (normalised).
func (r *Registry) Provider(channel string) (Provider, error) {
	ch := NormalizeChannel(channel)
	r.mu.RLock()
	p, ok := r.ps[ch]
	r.mu.RUnlock()
	if !ok {
		return nil, &UnknownChannelError{Channel: ch}
	}
	return p, nil
}

// Names lists the channels, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.ps))
	for n := range r.ps {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Replace puts p in place of the provider with the same name and returns the one it
// replaced (nil if none): a config reload swaps a provider without touching the
// others or the registry that the agent runtime and the send handler hold.
func (r *Registry) Replace(p Provider) Provider {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.ps[p.Name()]
	r.ps[p.Name()] = p
	return old
}

// Send implements Sender.
func (r *Registry) Send(ctx context.Context, channel string, m Outbound) (Sent, error) {
	p, err := r.Provider(channel)
	if err != nil {
		return Sent{}, err
	}
	m.To = strings.TrimSpace(m.To)
	if m.To == "" {
		return Sent{}, Inputf("%s: empty recipient", p.Name())
	}
	if strings.TrimSpace(m.Text) == "" && strings.TrimSpace(m.MediaURL) == "" && strings.TrimSpace(m.MediaPath) == "" {
		return Sent{}, Inputf("%s: nothing to send (empty message and no media)", p.Name())
	}
	start := time.Now()
	s, err := p.Send(ctx, m)
	if err != nil {
		r.log.Warn("send failed", "channel", p.Name(), "to", m.To, "err", err)
		return Sent{}, err
	}
	r.log.Info("sent", "channel", p.Name(), "to", m.To, "messageId", s.MessageID, "ms", time.Since(start).Milliseconds())
	return s, nil
}

// SendPoll routes a poll; channels whose provider cannot send polls get an InputError.
func (r *Registry) SendPoll(ctx context.Context, channel string, p Poll) (Sent, error) {
	pr, err := r.Provider(channel)
	if err != nil {
		return Sent{}, err
	}
	pl, ok := pr.(Poller)
	if !ok {
		return Sent{}, Inputf("unsupported poll channel: %s (polls are sent through whatsapp only)", pr.Name())
	}
	return pl.SendPoll(ctx, p)
}

// Start starts every provider. A provider that fails to start is logged and left
// stopped (its status shows the error); start-up never fails for a network.
func (r *Registry) Start(ctx context.Context) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, n := range r.namesLocked() {
		if err := r.ps[n].Start(ctx); err != nil {
			r.log.Warn("provider did not start", "channel", n, "err", err)
		}
	}
}

// Stop stops every provider.
func (r *Registry) Stop(ctx context.Context) error {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var errs []error
	for _, n := range r.namesLocked() {
		if err := r.ps[n].Stop(ctx); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", n, err))
		}
	}
	return errors.Join(errs...)
}

func (r *Registry) namesLocked() []string {
	out := make([]string, 0, len(r.ps))
	for n := range r.ps {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Unconfigured is a Provider for a known channel that has no configuration: every send
// fails fast with NotConfiguredError and its status says configured=false.
type Unconfigured struct {
	Channel string
	Hint    string
}

func (u Unconfigured) Name() string                { return u.Channel }
func (u Unconfigured) Start(context.Context) error { return nil }
func (u Unconfigured) Stop(context.Context) error  { return nil }
func (u Unconfigured) Status(context.Context, bool) Status {
	return Status{ConnState: "not-configured"}
}
func (u Unconfigured) Send(context.Context, Outbound) (Sent, error) {
	return Sent{}, &NotConfiguredError{Channel: u.Channel, Hint: u.Hint}
}

// React routes a reaction; channels whose provider cannot react get an InputError.
func (r *Registry) React(ctx context.Context, channel string, re Reaction) error {
	pr, err := r.Provider(channel)
	if err != nil {
		return err
	}
	rc, ok := pr.(Reactor)
	if !ok {
		return Inputf("%s: reactions are not supported", pr.Name())
	}
	return rc.React(ctx, re)
}

// DeleteMessage routes a deletion; channels whose provider cannot delete get an
// InputError.
func (r *Registry) DeleteMessage(ctx context.Context, channel string, m MessageRef) error {
	pr, err := r.Provider(channel)
	if err != nil {
		return err
	}
	d, ok := pr.(Deleter)
	if !ok {
		return Inputf("%s: deleting messages is not supported", pr.Name())
	}
	return d.DeleteMessage(ctx, m)
}
