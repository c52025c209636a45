package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	genconfig "github.com/clawgate/gateway/gen/go/config"
	"github.com/clawgate/gateway/server/config"

	"github.com/clawgate/gateway/server/access"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/grouphistory"
	"github.com/clawgate/gateway/server/media"
	"github.com/clawgate/gateway/server/messaging"
	"github.com/clawgate/gateway/server/pairing"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/providers/dedupe"
	"github.com/clawgate/gateway/server/providers/telegram"
	"github.com/clawgate/gateway/server/providers/whatsapp"
)

// sendDedupeFile is the idempotency store for send/poll under the state dir.
const sendDedupeFile = "send-dedupe.db"

// providersComponent owns the messaging providers (WhatsApp, Telegram), the registry
// the agent runtime sends through (services.sender), the send idempotency store and
// the messaging method group.
type providersComponent struct {
	s       *services
	reg     *providers.Registry
	dedupe  *dedupe.Store
	handler *messaging.Handler
	wa      *whatsapp.Provider
	tgKey   string // the Telegram settings the running provider was built from
	// pairing is the channel pairing store (<state>/credentials): approvals written by
	// `clawdbot pairing approve` are read on every message, so they apply at once.
	pairing *pairing.Store
	// media and transcribe serve received media (tools.media.audio applies at start).
	media      *media.Store
	transcribe *media.Transcriber
}

// buildProviders builds the registry from config and environment and starts the
// providers in the background: Telegram only when a bot token is configured (and
// telegram.enabled is not false), WhatsApp always (it connects only when linked).
// Nothing here waits for the network.
func buildProviders(ctx context.Context, s *services) (component, error) {
	cfg := s.file.Config
	c := &providersComponent{s: s}
	// The handler exists before the providers so their state changes can refresh health.
	changed := func() {
		if c.handler != nil {
			c.handler.Changed()
		}
	}

	ps, err := pairingStore(s)
	if err != nil {
		return nil, err
	}
	c.pairing = ps
	// Received media: stored under <state>/media, voice notes transcribed when
	// tools.media.audio names an endpoint.
	ms, err := mediaStore(s)
	if err != nil {
		return nil, err
	}
	tr, err := transcriber(s, &cfg)
	if err != nil {
		return nil, err
	}
	waCfg := whatsapp.Config{StateDir: s.paths.StateDir, Inbound: &s.inbound, Logger: s.log, OnChange: changed, Pairing: ps,
		MediaStore: ms, Transcriber: tr, Ack: whatsappAck(s.file)}
	w := whatsappSection(&cfg)
	wac := whatsappAccess(w)
	waCfg.Access = &wac
	waCfg.History = historyBuffer(nil)
	if w != nil {
		waCfg.History = historyBuffer(w.HistoryLimit)
		if w.MediaMaxMb > 0 {
			waCfg.MediaMaxMB = w.MediaMaxMb
		}
		if w.TextChunkLimit != nil {
			waCfg.ChunkLimit = *w.TextChunkLimit
		}
	}
	wa := whatsapp.New(waCfg)

	c.media, c.transcribe = ms, tr
	tg, tgp := buildTelegram(s, telegramSection(&cfg), ps, changed, ms, tr)
	c.tgKey = telegramKey(s, telegramSection(&cfg))
	c.wa = wa

	d, err := dedupe.Open(ctx, dedupe.Options{Path: filepath.Join(s.paths.StateDir, sendDedupeFile)})
	if err != nil {
		return nil, err
	}
	c.dedupe = d
	s.sendDedupe = d
	c.reg = providers.NewRegistry(s.log, wa, tg)
	c.handler = messaging.New(messaging.Options{Registry: c.reg, Dedupe: d, WebLogin: wa, Logger: s.log})
	s.sender = c.reg

	if err := wa.Start(ctx); err != nil {
		// A broken device store must not stop the gateway: sends fail with the
		// error and status shows it.
		s.log.Error("whatsapp provider did not start", "err", err)
	}
	if tgp != nil {
		_ = tgp.Start(ctx)
	}
	return c, nil
}

func (c *providersComponent) attach(srv *gateway.Server, mux *methods) error {
	mux.SetMessaging(c.handler)
	return c.handler.Attach(srv)
}

func (c *providersComponent) close(ctx context.Context) error {
	return errors.Join(c.reg.Stop(ctx), c.dedupe.Close())
}

// whatsappSection is channels.whatsapp (nil when absent).
func whatsappSection(c *genconfig.ClawdbotConfig) *genconfig.ConfigChannelsWhatsapp {
	if c.Channels == nil {
		return nil
	}
	return c.Channels.Whatsapp
}

// telegramSection is channels.telegram (nil when absent) with the served account
// merged in: accounts.default, else the only account when the top level has no
// token (the original's top level is the default account's base). One bot runs;
// other accounts are not served.
func telegramSection(c *genconfig.ClawdbotConfig) *genconfig.ConfigChannelsTelegram {
	if c.Channels == nil || c.Channels.Telegram == nil {
		return nil
	}
	base := *c.Channels.Telegram
	acct, ok := base.Accounts["default"]
	if !ok && len(base.Accounts) == 1 && base.BotToken == nil && base.TokenFile == nil {
		for _, a := range base.Accounts {
			acct, ok = a, true
		}
	}
	if !ok {
		return &base
	}
	if acct.BotToken != nil {
		base.BotToken, base.TokenFile = acct.BotToken, nil
	} else if acct.TokenFile != nil {
		base.BotToken, base.TokenFile = nil, acct.TokenFile
	}
	if acct.AllowFrom != nil {
		base.AllowFrom = acct.AllowFrom
	}
	if acct.DmPolicy != "" {
		base.DmPolicy = genconfig.ConfigChannelsTelegramDmPolicy(acct.DmPolicy)
	}
	if acct.Enabled != nil {
		base.Enabled = acct.Enabled
	}
	if acct.GroupPolicy != "" {
		base.GroupPolicy = genconfig.ConfigChannelsTelegramGroupPolicy(acct.GroupPolicy)
	}
	if acct.GroupAllowFrom != nil {
		base.GroupAllowFrom = acct.GroupAllowFrom
	}
	if acct.Groups != nil {
		base.Groups = genconfig.ConfigChannelsTelegramGroups(acct.Groups)
	}
	if acct.StreamMode != "" {
		base.StreamMode = genconfig.ConfigChannelsTelegramStreamMode(acct.StreamMode)
	}
	if acct.TextChunkLimit != nil {
		base.TextChunkLimit = acct.TextChunkLimit
	}
	if acct.HistoryLimit != nil {
		base.HistoryLimit = acct.HistoryLimit
	}
	return &base
}

// buildTelegram builds the Telegram provider from channels.telegram.* and TELEGRAM_BOT_TOKEN:
// an Unconfigured stand-in when there is no token or it is disabled, or when the
// settings are unusable (a bad token or base URL must not keep the gateway down:
// sends fail with the reason and status shows it). tgp is nil unless it can start.
func buildTelegram(s *services, tcfg *genconfig.ConfigChannelsTelegram, ps *pairing.Store, changed func(), ms *media.Store, tr *media.Transcriber) (tg providers.Provider, tgp *telegram.Provider) {
	tg = providers.Unconfigured{Channel: providers.Telegram, Hint: "set channels.telegram.botToken or " + telegram.EnvToken}
	token := telegramToken(s, tcfg)
	enabled := tcfg == nil || tcfg.Enabled == nil || *tcfg.Enabled
	if token == "" || !enabled {
		return tg, nil
	}
	ac := telegramAccess(tcfg)
	tc := telegram.Config{Token: token, Inbound: &s.inbound, Logger: s.log, OnChange: changed,
		Access: &ac, Pairing: ps, History: historyBuffer(nil), MediaStore: ms, Transcriber: tr, Ack: telegramAck(&s.file.Config)}
	if tcfg != nil {
		if tcfg.MediaMaxMb != nil {
			// Whole megabytes; a fraction rounds up so a configured cap never refuses
			// less than asked.
			tc.MediaMaxMB = int(math.Ceil(*tcfg.MediaMaxMb))
		}
		tc.History = historyBuffer(tcfg.HistoryLimit)
		tc.StreamMode = string(tcfg.StreamMode)
		if tcfg.TextChunkLimit != nil {
			tc.ChunkLimit = *tcfg.TextChunkLimit
		}
		if tcfg.APIBaseURL != nil {
			tc.APIBaseURL = *tcfg.APIBaseURL
		}
		if tcfg.Proxy != nil && *tcfg.Proxy != "" {
			if pu, err := url.Parse(*tcfg.Proxy); err != nil || pu.Host == "" {
				s.log.Error("telegram.proxy is not a URL; calling the Bot API directly", "proxy", *tcfg.Proxy)
			} else {
				tc.HTTPClient = &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(pu)}}
			}
		}
	}
	p, err := telegram.New(tc)
	if err != nil {
		s.log.Error("telegram provider not started", "err", err)
		return providers.Unconfigured{Channel: providers.Telegram, Hint: err.Error()}, nil
	}
	return p, p
}

// telegramToken is channels.telegram.botToken, else the content of
// channels.telegram.tokenFile, else $TELEGRAM_BOT_TOKEN (the original's order).
func telegramToken(s *services, tcfg *genconfig.ConfigChannelsTelegram) string {
	if tcfg != nil && tcfg.BotToken != nil {
		if t := strings.TrimSpace(*tcfg.BotToken); t != "" {
			return t
		}
	}
	if tcfg != nil && tcfg.TokenFile != nil && strings.TrimSpace(*tcfg.TokenFile) != "" {
		b, err := readSmallFile(*tcfg.TokenFile, 4096)
		if err != nil {
			s.log.Error("channels.telegram.tokenFile unreadable", "err", err)
			return ""
		}
		return strings.TrimSpace(string(b))
	}
	if s.env != nil {
		if v, ok := s.env(telegram.EnvToken); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// telegramKey identifies the Telegram settings for change detection (the token
// included, so it never leaves this process).
func telegramKey(s *services, tcfg *genconfig.ConfigChannelsTelegram) string {
	b, _ := json.Marshal(tcfg)
	return telegramToken(s, tcfg) + "\x00" + string(b)
}

// reconfigure applies a reloaded config: a changed channels.telegram replaces the
// Telegram provider (the old one stops polling first, so only one poller ever runs for
// a bot); the WhatsApp access settings (dmPolicy, allowFrom, groupPolicy,
// groupAllowFrom, groups) apply to the next message. whatsapp mediaMaxMb,
// textChunkLimit and historyLimit need a restart.
func (c *providersComponent) reconfigure(ctx context.Context, next *config.File) {
	if err := c.wa.SetAccess(whatsappAccess(whatsappSection(&next.Config))); err != nil {
		c.s.log.Error("channels.whatsapp access settings not applied (the previous ones stay)", "err", err)
	}
	key := telegramKey(c.s, telegramSection(&next.Config))
	if key == c.tgKey {
		return
	}
	c.tgKey = key
	tg, tgp := buildTelegram(c.s, telegramSection(&next.Config), c.pairing, func() {
		if c.handler != nil {
			c.handler.Changed()
		}
	}, c.media, c.transcribe)
	old := c.reg.Replace(tg)
	if old != nil {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if err := old.Stop(sctx); err != nil {
			c.s.log.Warn("stopping the previous telegram provider", "err", err)
		}
		cancel()
	}
	if tgp != nil {
		_ = tgp.Start(context.Background())
	}
	c.handler.Changed()
	c.s.log.Info("telegram settings reloaded", "configured", tgp != nil)
}

// readSmallFile reads a regular file of at most limit bytes (a token file).
func readSmallFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, limit)
	}
	return b, nil
}

// idStrings renders an allowFrom list of strings and numbers (the original
// accepts Telegram ids as either) as strings.
func idStrings(in []any) []string {
	out := make([]string, 0, len(in))
	for _, v := range in {
		switch t := v.(type) {
		case string:
			out = append(out, t)
		case float64:
			out = append(out, strconv.FormatFloat(t, 'f', -1, 64))
		}
	}
	return out
}

// pairingStore opens the channel pairing store where the original keeps it:
// $CLAWDBOT_OAUTH_DIR, else <state dir>/credentials (the CLI uses the same rule).
func pairingStore(s *services) (*pairing.Store, error) {
	getenv := func(k string) string {
		if s.env == nil {
			return ""
		}
		v, _ := s.env(k)
		return v
	}
	st, err := pairing.New(pairing.Options{Dir: pairing.CredentialsDir(s.paths.StateDir, getenv)})
	if err != nil {
		return nil, fmt.Errorf("pairing store: %w", err)
	}
	return st, nil
}

// historyBuffer is the group history of channels.<id>.historyLimit: unset, the
// original's default (grouphistory.DefaultLimit entries per group); 0 keeps none.
func historyBuffer(limit *int) *grouphistory.Buffer {
	if limit == nil {
		return grouphistory.New(0, 0)
	}
	if *limit <= 0 {
		return nil
	}
	return grouphistory.New(*limit, 0)
}

// telegramAccess is the access configuration of channels.telegram (dmPolicy, allowFrom,
// groupPolicy, groupAllowFrom, groups). Unset policies take the original's defaults
// in access.Config: dmPolicy pairing, groupPolicy allowlist.
func telegramAccess(t *genconfig.ConfigChannelsTelegram) access.Config {
	if t == nil {
		return access.Config{}
	}
	a := access.Account{
		DMPolicy:    access.DMPolicy(t.DmPolicy),
		AllowFrom:   idStrings(t.AllowFrom),
		GroupPolicy: access.GroupPolicy(t.GroupPolicy),
	}
	if t.GroupAllowFrom != nil {
		a.GroupAllowFrom = idStrings(t.GroupAllowFrom)
	}
	if len(t.Groups) > 0 {
		a.Groups = map[string]access.Group{}
		for id, g := range t.Groups {
			ag := access.Group{Enabled: g.Enabled, RequireMention: g.RequireMention}
			if g.AllowFrom != nil {
				ag.AllowFrom = idStrings(g.AllowFrom)
			}
			a.Groups[id] = ag
		}
	}
	return access.Config{Account: a}
}

// whatsappAccess is the access configuration of channels.whatsapp.
func whatsappAccess(w *genconfig.ConfigChannelsWhatsapp) access.Config {
	if w == nil {
		return access.Config{}
	}
	a := access.Account{
		DMPolicy:       access.DMPolicy(w.DmPolicy),
		AllowFrom:      w.AllowFrom,
		GroupPolicy:    access.GroupPolicy(w.GroupPolicy),
		GroupAllowFrom: w.GroupAllowFrom,
	}
	if len(w.Groups) > 0 {
		a.Groups = map[string]access.Group{}
		for id, g := range w.Groups {
			a.Groups[id] = access.Group{RequireMention: g.RequireMention}
		}
	}
	return access.Config{Account: a}
}
