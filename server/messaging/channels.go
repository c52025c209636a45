package messaging

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/providers"
)

// LogoutFunc logs one account of a channel out (accountID already resolved: never
// empty) and reports the outcome; channel and accountId are filled in by the handler.
type LogoutFunc func(ctx context.Context, accountID string) (protocol.ChannelsLogoutResult, error)

// channelUI is how clients label a channel (the original's catalog entries).
type channelUI struct{ id, label, detail, image string }

// channelCatalog lists the channels this gateway serves, in the original's order.
var channelCatalog = []channelUI{
	{providers.Telegram, "Telegram", "Telegram Bot", "paperplane"},
	{providers.WhatsApp, "WhatsApp", "WhatsApp Web", "message"},
}

// ChannelsStatus serves "channels.status": per channel its accounts (configuration
// facts and runtime state, probed when asked), the default account's summary, the
// labels clients show, and the protocol 2 whatsapp/telegram objects of the default
// accounts.
func (h *Handler) ChannelsStatus(ctx context.Context, _ *gateway.Conn, p *protocol.ChannelsStatusParams) (*protocol.ChannelsStatusResult, error) {
	probe := p.GetProbe()
	if probe {
		d := DefaultProbeTimeout
		if p.TimeoutMs != nil && *p.TimeoutMs > 0 {
			d = max(time.Duration(*p.TimeoutMs)*time.Millisecond, time.Second) // the original's floor
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	res := &protocol.ChannelsStatusResult{
		Ts:           h.now().UnixMilli(),
		ChannelOrder: []string{}, ChannelLabels: map[string]string{}, ChannelDetailLabels: map[string]string{},
		ChannelSystemImages: map[string]string{}, ChannelMeta: []protocol.ChannelUiMeta{},
		Channels: map[string]json.RawMessage{}, ChannelAccounts: map[string][]protocol.ChannelAccountSnapshot{},
		ChannelDefaultAccountID: map[string]string{},
	}
	// The default accounts' states (probed once) also make the protocol 2 objects.
	defStates := map[string]providers.Status{}
	for _, ui := range channelCatalog {
		pr, err := h.reg.Provider(ui.id)
		if err != nil {
			continue
		}
		res.ChannelOrder = append(res.ChannelOrder, ui.id)
		res.ChannelLabels[ui.id], res.ChannelDetailLabels[ui.id], res.ChannelSystemImages[ui.id] = ui.label, ui.detail, ui.image
		img := ui.image
		res.ChannelMeta = append(res.ChannelMeta, protocol.ChannelUiMeta{ID: ui.id, Label: ui.label, DetailLabel: ui.detail, SystemImage: &img})
		ids, def := providers.Accounts(pr)
		res.ChannelDefaultAccountID[ui.id] = def
		snaps := make([]protocol.ChannelAccountSnapshot, 0, len(ids))
		var defSnap *protocol.ChannelAccountSnapshot
		var defState providers.Status
		for _, id := range ids {
			ap, _, err := providers.AccountOf(pr, id)
			if err != nil {
				continue
			}
			meta := providers.AccountMeta{Enabled: true}
			if ml, ok := pr.(providers.AccountMetaLister); ok {
				if m, ok := ml.AccountMeta(id); ok {
					meta = m
				}
			}
			st := ap.Status(ctx, probe && meta.Enabled)
			snap := accountSnapshot(ui.id, id, meta, st, probe && meta.Enabled, h.now())
			snaps = append(snaps, snap)
			if id == def {
				defSnap, defState = &snaps[len(snaps)-1], st
			}
		}
		res.ChannelAccounts[ui.id] = snaps
		res.Channels[ui.id] = h.channelSummary(ui.id, defSnap, defState)
		defStates[ui.id] = defState
	}
	res.Whatsapp, res.Telegram = h.v2Statuses(defStates[providers.WhatsApp], defStates[providers.Telegram], probe)
	return res, nil
}

func bptr(b bool) *bool { return &b }

// accountSnapshot is one account's entry in channelAccounts.
func accountSnapshot(ch, id string, meta providers.AccountMeta, st providers.Status, probed bool, now time.Time) protocol.ChannelAccountSnapshot {
	s := protocol.ChannelAccountSnapshot{AccountID: id, Enabled: bptr(meta.Enabled), Running: bptr(st.Running), LastError: opt(st.LastError)}
	if meta.Name != "" {
		s.Name = &meta.Name
	}
	switch ch {
	case providers.Telegram:
		s.Configured = bptr(st.Configured)
		src := protocol.ChannelAccountSnapshotTokenSource(meta.TokenSource)
		if src == "" {
			src = "none"
			if st.Configured {
				src = "config"
			}
		}
		s.TokenSource = &src
		mode := "polling"
		s.Mode = &mode
		if probed && len(st.Probe) > 0 {
			s.Probe = st.Probe
			at := now.UnixMilli()
			s.LastProbeAt = &at
		}
	case providers.WhatsApp:
		s.Configured = bptr(true)
		s.Linked, s.Connected = bptr(st.Linked), bptr(st.Connected)
	}
	if meta.DMPolicy != "" {
		s.DmPolicy = &meta.DMPolicy
	}
	s.AllowFrom = meta.AllowFrom
	return s
}

// channelSummary is a channel's entry in channels: its default account's state in
// the original's per-channel summary shape.
func (h *Handler) channelSummary(ch string, s *protocol.ChannelAccountSnapshot, st providers.Status) json.RawMessage {
	if s == nil {
		b, _ := json.Marshal(map[string]any{"configured": false})
		return b
	}
	var m map[string]any
	switch ch {
	case providers.Telegram:
		m = map[string]any{"configured": s.GetConfigured(), "tokenSource": "none", "running": s.GetRunning(), "mode": nil,
			"lastStartAt": nil, "lastStopAt": nil, "lastError": s.LastError, "lastProbeAt": s.LastProbeAt}
		if s.TokenSource != nil {
			m["tokenSource"] = *s.TokenSource
		}
		if s.GetConfigured() {
			m["mode"] = s.Mode
		}
		if len(s.Probe) > 0 {
			m["probe"] = s.Probe
		}
	case providers.WhatsApp:
		var age *int64
		if st.Linked && !st.LinkedAt.IsZero() {
			a := max(h.now().Sub(st.LinkedAt).Milliseconds(), 0)
			age = &a
		}
		self := map[string]any{"e164": opt(st.SelfE164), "jid": opt(st.SelfID)}
		m = map[string]any{"configured": st.Linked, "linked": st.Linked, "authAgeMs": age, "self": self, "running": st.Running,
			"connected": st.Connected, "lastConnectedAt": nil, "lastDisconnect": nil, "lastMessageAt": nil, "lastEventAt": nil,
			"lastError": s.LastError}
	default:
		m = map[string]any{"configured": s.GetConfigured()}
	}
	b, _ := json.Marshal(m)
	return b
}

// ChannelsLogout serves "channels.logout": stops and logs out one account of a
// channel (params.accountId, else the channel's default account). WhatsApp unlinks
// the device and deletes that account's credentials; other channels use
// Options.Logouts.
func (h *Handler) ChannelsLogout(ctx context.Context, _ *gateway.Conn, p *protocol.ChannelsLogoutParams) (*protocol.ChannelsLogoutResult, error) {
	ch := strings.ToLower(strings.TrimSpace(p.Channel))
	pr, err := h.reg.Provider(ch)
	if err != nil || ch == "" {
		return nil, gateway.Invalid("invalid channels.logout channel")
	}
	acct := strings.TrimSpace(p.GetAccountID())
	if acct == "" {
		_, acct = providers.Accounts(pr)
	}
	acct = providers.NormalizeAccountID(acct)
	var res protocol.ChannelsLogoutResult
	if f := h.outs[ch]; f != nil {
		res, err = f(ctx, acct)
	} else if ch == providers.WhatsApp {
		var web WebLogin
		if web, err = h.webLogin(acct); err != nil {
			return nil, err
		}
		var cleared bool
		cleared, err = web.Logout(ctx)
		res = protocol.ChannelsLogoutResult{Cleared: cleared, LoggedOut: bptr(cleared)}
	} else {
		return nil, gateway.Invalid("channel %s does not support logout", ch)
	}
	h.Changed()
	if err != nil {
		return nil, WireError(err)
	}
	res.Channel, res.AccountID = ch, acct
	return &res, nil
}
