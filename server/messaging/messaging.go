// Package messaging serves the gateway's messaging methods — send, poll,
// providers.status (v3 channels.status) and the WhatsApp login methods — over the
// provider registry, with idempotent sends, and contributes provider state to health.
package messaging

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/providers/dedupe"
	"github.com/clawgate/gateway/server/providers/whatsapp"
)

// Timeouts.
const (
	// DeliveryTimeout bounds one send or poll. Delivery runs detached from the request:
	// a client that disconnects mid-send still gets the remembered result on retry.
	DeliveryTimeout = 2 * time.Minute
	// DefaultProbeTimeout bounds a status probe when the caller gives no timeoutMs.
	DefaultProbeTimeout = 10 * time.Second
)

// WebLogin is the WhatsApp login surface (implemented by *whatsapp.Provider).
type WebLogin interface {
	LoginStart(ctx context.Context, force bool, timeout time.Duration) (whatsapp.LoginQR, error)
	LoginWait(ctx context.Context, timeout time.Duration) (connected bool, message string, err error)
	Logout(ctx context.Context) (cleared bool, err error)
}

// Options configure a Handler.
type Options struct {
	Registry *providers.Registry
	// Dedupe remembers send/poll results (required: sends are idempotent).
	Dedupe *dedupe.Store
	// WebLogin serves web.login.* and web.logout; nil answers UNAVAILABLE.
	WebLogin WebLogin
	// Logouts log one account of a channel out (channels.logout), by channel id.
	// WhatsApp needs none: its accounts' providers unlink themselves.
	Logouts map[string]LogoutFunc
	Logger  *slog.Logger
	Now     func() time.Time
}

// Handler implements protocol.MessagingHandler[*gateway.Conn].
type Handler struct {
	reg   *providers.Registry
	dedup *dedupe.Store
	web   WebLogin
	outs  map[string]LogoutFunc
	log   *slog.Logger
	now   func() time.Time
	srv   atomic.Pointer[gateway.Server]
}

var _ protocol.MessagingHandler[*gateway.Conn] = (*Handler)(nil)

// New builds a handler.
func New(o Options) *Handler {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Handler{reg: o.Registry, dedup: o.Dedupe, web: o.WebLogin, outs: o.Logouts, log: o.Logger, now: o.Now}
}

// Attach adds the health source to a (new) gateway server and keeps it for health
// refreshes; call before Serve. After an in-process restart the new server is attached
// again. The methods are served by handing h to the server's Mux (SetMessaging).
func (h *Handler) Attach(srv *gateway.Server) error {
	srv.AddHealthSource(h.health)
	h.srv.Store(srv)
	return nil
}

// Changed asks the current server to refresh health (providers call it when their
// link or connection state changes).
func (h *Handler) Changed() {
	if s := h.srv.Load(); s != nil {
		s.RefreshHealth()
	}
}

// WireError maps provider errors to wire errors: bad input and unknown channels are
// INVALID_REQUEST, an unlinked WhatsApp is NOT_LINKED, a down connection is a retryable
// UNAVAILABLE, anything else UNAVAILABLE.
func WireError(err error) error {
	var ge *gateway.Error
	var uc *providers.UnknownChannelError
	var ie *providers.InputError
	var nc *providers.NotConfiguredError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ge):
		return ge
	case errors.As(err, &uc), errors.As(err, &ie):
		return gateway.Invalid("%s", err.Error())
	case errors.Is(err, dedupe.ErrOutcomeUnknown):
		return &gateway.Error{Code: gateway.CodeUnavailable, Message: "send outcome unknown: the gateway stopped while delivering this idempotencyKey; it may have been delivered and is not sent again (use a new key to send)"}
	case errors.Is(err, providers.ErrNotLinked):
		return &gateway.Error{Code: gateway.CodeNotLinked, Message: err.Error()}
	case errors.Is(err, providers.ErrNotConnected):
		return &gateway.Error{Code: gateway.CodeUnavailable, Message: err.Error(), Retryable: true}
	case errors.As(err, &nc):
		return gateway.Unavailable("%s", err.Error())
	}
	return gateway.Unavailable("%s", err.Error())
}

// Send serves "send".
func (h *Handler) Send(ctx context.Context, _ *gateway.Conn, p *protocol.SendParams) (*protocol.SendResult, error) {
	ch := providers.NormalizeChannel(p.GetChannel())
	if _, err := h.reg.Provider(ch); err != nil {
		return nil, WireError(err)
	}
	key := p.IdempotencyKey
	media := []string{}
	if u := strings.TrimSpace(p.GetMediaURL()); u != "" {
		media = append(media, u)
	}
	for _, u := range p.MediaUrls {
		if u = strings.TrimSpace(u); u != "" && (len(media) == 0 || u != media[0]) {
			media = append(media, u)
		}
	}
	out := providers.Outbound{
		To:          strings.TrimSpace(p.To),
		Text:        strings.TrimSpace(p.Message),
		GifPlayback: p.GetGifPlayback(),
		AccountID:   p.GetAccountID(),
	}
	raw, replay, err := h.dedup.Do(ctx, "send:"+key, func(context.Context) (json.RawMessage, error) {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), DeliveryTimeout)
		defer cancel()
		first, err := h.deliver(dctx, ch, out, media)
		if err != nil {
			return nil, err
		}
		res := &protocol.SendResult{RunID: key, MessageID: first.MessageID, Provider: ch, Channel: &ch}
		if first.ChatID != "" {
			res.ChatID = &first.ChatID
		}
		if first.ToJID != "" {
			res.ToJID = &first.ToJID
		}
		return res.MarshalJSON()
	})
	if err != nil {
		return nil, WireError(err)
	}
	var res protocol.SendResult
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, gateway.Unavailable("send: stored result unreadable: %v", err)
	}
	if replay {
		h.log.Info("send deduplicated", "idempotencyKey", key, "channel", ch)
	}
	return &res, nil
}

// deliver sends the text with the first media, then each further media alone; the
// receipt is the first message's.
func (h *Handler) deliver(ctx context.Context, ch string, out providers.Outbound, media []string) (providers.Sent, error) {
	if len(media) == 0 {
		return h.reg.Send(ctx, ch, out)
	}
	var first providers.Sent
	for i, u := range media {
		m := out
		m.MediaURL = u
		if i > 0 {
			m.Text = ""
		}
		s, err := h.reg.Send(ctx, ch, m)
		if err != nil {
			if i > 0 {
				return providers.Sent{}, fmt.Errorf("media %d of %d: %w", i+1, len(media), err)
			}
			return providers.Sent{}, err
		}
		if i == 0 {
			first = s
		}
	}
	return first, nil
}

// Poll serves "poll" (WhatsApp only; other channels get INVALID_REQUEST).
func (h *Handler) Poll(ctx context.Context, _ *gateway.Conn, p *protocol.PollParams) (*protocol.PollResult, error) {
	ch := providers.NormalizeChannel(p.GetChannel())
	pr, err := h.reg.Provider(ch)
	if err != nil {
		return nil, WireError(err)
	}
	if _, ok := pr.(providers.Poller); !ok {
		return nil, gateway.Invalid("unsupported poll channel: %s (polls are sent through whatsapp only)", ch)
	}
	key := p.IdempotencyKey
	poll := providers.Poll{To: strings.TrimSpace(p.To), Question: strings.TrimSpace(p.Question), Options: p.Options, AccountID: p.GetAccountID()}
	if p.MaxSelections != nil {
		poll.MaxSelections = int(*p.MaxSelections)
	}
	raw, _, err := h.dedup.Do(ctx, "poll:"+key, func(context.Context) (json.RawMessage, error) {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), DeliveryTimeout)
		defer cancel()
		s, err := h.reg.SendPoll(dctx, ch, poll)
		if err != nil {
			return nil, err
		}
		res := &protocol.PollResult{RunID: key, MessageID: s.MessageID, Provider: ch, Channel: &ch}
		if s.ToJID != "" {
			res.ToJID = &s.ToJID
		}
		return res.MarshalJSON()
	})
	if err != nil {
		return nil, WireError(err)
	}
	var res protocol.PollResult
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, gateway.Unavailable("poll: stored result unreadable: %v", err)
	}
	return &res, nil
}

// ProvidersStatus serves "providers.status".
func (h *Handler) ProvidersStatus(ctx context.Context, _ *gateway.Conn, p *protocol.ProvidersStatusParams) (*protocol.ProvidersStatusResult, error) {
	wa, tg := h.statuses(ctx, p.GetProbe(), p.TimeoutMs)
	return &protocol.ProvidersStatusResult{Ts: h.now().UnixMilli(), Whatsapp: wa, Telegram: tg}, nil
}

func (h *Handler) status(ctx context.Context, ch string, probe bool) providers.Status {
	pr, err := h.reg.Provider(ch)
	if err != nil {
		return providers.Status{}
	}
	return pr.Status(ctx, probe)
}

func (h *Handler) statuses(ctx context.Context, probe bool, timeoutMs *int64) (protocol.WhatsAppStatus, protocol.TelegramStatus) {
	if probe {
		d := DefaultProbeTimeout
		if timeoutMs != nil && *timeoutMs > 0 {
			d = time.Duration(*timeoutMs) * time.Millisecond
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	return h.v2Statuses(h.status(ctx, providers.WhatsApp, probe), h.status(ctx, providers.Telegram, probe), probe)
}

// v2Statuses are the protocol 2 whatsapp and telegram objects of two states (the
// default accounts').
func (h *Handler) v2Statuses(ws, ts providers.Status, probe bool) (protocol.WhatsAppStatus, protocol.TelegramStatus) {
	wa := protocol.WhatsAppStatus{Configured: ws.Configured, Linked: ws.Linked, Connected: ws.Connected, LastError: opt(ws.LastError)}
	if ws.Linked && !ws.LinkedAt.IsZero() {
		age := max(h.now().Sub(ws.LinkedAt).Milliseconds(), 0)
		wa.AuthAgeMs = &age
	}
	if ws.SelfID != "" {
		wa.Self = &protocol.WhatsAppStatusSelf{JID: opt(ws.SelfID), E164: opt(ws.SelfE164)}
	}
	tg := protocol.TelegramStatus{Configured: ts.Configured, Running: ts.Running, LastError: opt(ts.LastError), BotUsername: opt(ts.Username)}
	if ts.Configured {
		mode := protocol.TelegramStatusModePolling
		tg.Mode = &mode
	}
	if probe && len(ts.Probe) > 0 {
		tg.Probe = ts.Probe
	}
	return wa, tg
}

// health fills web and telegram in the health snapshot from cached state (no network
// calls inside the health refresh).
func (h *Handler) health(ctx context.Context, sum *protocol.HealthSummary) {
	ws := h.status(ctx, providers.WhatsApp, false)
	sum.Web.Linked = ws.Linked
	sum.Web.AuthAgeMs = nil
	if ws.Linked && !ws.LinkedAt.IsZero() {
		age := max(h.now().Sub(ws.LinkedAt).Milliseconds(), 0)
		sum.Web.AuthAgeMs = &age
	}
	if ws.ConnState != "" {
		sum.Web.Connect = &protocol.HealthSummaryWebConnect{Ok: ws.Connected, Status: opt(ws.ConnState), Error: opt(ws.LastError)}
	}
	ts := h.status(ctx, providers.Telegram, false)
	sum.Telegram.Configured = ts.Configured
	if ts.Configured {
		pr := map[string]any{"ok": ts.Running && ts.LastError == ""}
		if ts.Username != "" {
			pr["bot"] = map[string]any{"username": ts.Username}
		}
		if ts.LastError != "" {
			pr["error"] = ts.LastError
		}
		sum.Telegram.Probe, _ = json.Marshal(pr)
	}
	if (ws.Linked && !ws.Connected) || (ts.Configured && ts.LastError != "") {
		sum.Ok = false
	}
	h.healthAccounts(ctx, sum)
}

// healthAccounts lists every account of each channel under the protocol 3 health
// channels (the gateway adds the default account's entry from the v2 fields).
func (h *Handler) healthAccounts(ctx context.Context, sum *protocol.HealthSummary) {
	if sum.Channels == nil {
		sum.Channels = map[string]protocol.ChannelHealth{}
	}
	for _, ch := range []string{providers.WhatsApp, providers.Telegram} {
		pr, err := h.reg.Provider(ch)
		if err != nil {
			continue
		}
		ids, def := providers.Accounts(pr)
		accts := make(map[string]protocol.ChannelAccountHealth, len(ids))
		for _, id := range ids {
			ap, _, err := providers.AccountOf(pr, id)
			if err != nil {
				continue
			}
			st := ap.Status(ctx, false)
			a := protocol.ChannelAccountHealth{AccountID: id, Configured: st.Configured}
			if ch == providers.WhatsApp {
				a.Configured, a.Linked = st.Linked, &st.Linked
				if st.Linked && !st.LinkedAt.IsZero() {
					age := max(h.now().Sub(st.LinkedAt).Milliseconds(), 0)
					a.AuthAgeMs = &age
				}
			}
			accts[id] = a
		}
		sum.Channels[ch] = protocol.ChannelHealth{AccountID: def, Accounts: accts}
	}
}

// webLogin is the WhatsApp login surface of one account ("" = the default account):
// the account's provider when it offers one, else Options.WebLogin for the default
// account.
func (h *Handler) webLogin(accountID string) (WebLogin, error) {
	if h.reg != nil {
		if p, err := h.reg.Provider(providers.WhatsApp); err == nil {
			a, _, err := providers.AccountOf(p, accountID)
			if err != nil {
				if h.web == nil || strings.TrimSpace(accountID) != "" {
					return nil, gateway.Invalid("%s", err.Error())
				}
			} else if wl, ok := a.(WebLogin); ok {
				return wl, nil
			}
		}
	}
	if h.web != nil && providers.NormalizeAccountID(accountID) == providers.DefaultAccountID {
		return h.web, nil
	}
	if h.web != nil {
		return nil, gateway.Invalid("whatsapp: unknown account %q", providers.NormalizeAccountID(accountID))
	}
	return nil, gateway.Unavailable("whatsapp provider is not running")
}

// WebLoginStart serves "web.login.start" for params.accountId's number.
func (h *Handler) WebLoginStart(ctx context.Context, _ *gateway.Conn, p *protocol.WebLoginStartParams) (*protocol.WebLoginStartResult, error) {
	web, err := h.webLogin(p.GetAccountID())
	if err != nil {
		return nil, err
	}
	qr, err := web.LoginStart(ctx, p.GetForce(), ms(p.TimeoutMs))
	h.Changed()
	if err != nil {
		return nil, WireError(err)
	}
	return &protocol.WebLoginStartResult{Message: qr.Message, QRDataURL: opt(qr.DataURL), QRText: opt(qr.Code)}, nil
}

// WebLoginWait serves "web.login.wait" for params.accountId's number.
func (h *Handler) WebLoginWait(ctx context.Context, _ *gateway.Conn, p *protocol.WebLoginWaitParams) (*protocol.WebLoginWaitResult, error) {
	web, err := h.webLogin(p.GetAccountID())
	if err != nil {
		return nil, err
	}
	ok, msg, err := web.LoginWait(ctx, ms(p.TimeoutMs))
	h.Changed()
	if err != nil {
		return nil, WireError(err)
	}
	return &protocol.WebLoginWaitResult{Connected: ok, Message: msg}, nil
}

// WebLogout serves "web.logout" for params.accountId's number.
func (h *Handler) WebLogout(ctx context.Context, _ *gateway.Conn, p *protocol.WebLogoutParams) (*protocol.WebLogoutResult, error) {
	web, err := h.webLogin(p.GetAccountID())
	if err != nil {
		return nil, err
	}
	cleared, err := web.Logout(ctx)
	h.Changed()
	if err != nil {
		return nil, WireError(err)
	}
	return &protocol.WebLogoutResult{Cleared: cleared}, nil
}

func ms(p *int64) time.Duration {
	if p == nil || *p <= 0 {
		return 0
	}
	return time.Duration(*p) * time.Millisecond
}

func opt(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
