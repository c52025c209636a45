package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	genconfig "github.com/clawgate/gateway/gen/go/config"
	"github.com/clawgate/gateway/server/config"

	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/messaging"
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

	waCfg := whatsapp.Config{StateDir: s.paths.StateDir, Inbound: &s.inbound, Logger: s.log, OnChange: changed}
	if w := whatsappSection(&cfg); w != nil {
		waCfg.AllowFrom = dmAllowFrom(s, "whatsapp", string(w.DmPolicy), w.AllowFrom, whatsappNobody)
		if w.MediaMaxMb > 0 {
			waCfg.MediaMaxMB = w.MediaMaxMb
		}
	}
	wa := whatsapp.New(waCfg)

	tg, tgp := buildTelegram(s, telegramSection(&cfg), changed)
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
	return &base
}

// buildTelegram builds the Telegram provider from channels.telegram.* and TELEGRAM_BOT_TOKEN:
// an Unconfigured stand-in when there is no token or it is disabled, or when the
// settings are unusable (a bad token or base URL must not keep the gateway down:
// sends fail with the reason and status shows it). tgp is nil unless it can start.
func buildTelegram(s *services, tcfg *genconfig.ConfigChannelsTelegram, changed func()) (tg providers.Provider, tgp *telegram.Provider) {
	tg = providers.Unconfigured{Channel: providers.Telegram, Hint: "set channels.telegram.botToken or " + telegram.EnvToken}
	token := telegramToken(s, tcfg)
	enabled := tcfg == nil || tcfg.Enabled == nil || *tcfg.Enabled
	if token == "" || !enabled {
		return tg, nil
	}
	tc := telegram.Config{Token: token, Inbound: &s.inbound, Logger: s.log, OnChange: changed}
	if tcfg != nil {
		tc.AllowFrom = dmAllowFrom(s, "telegram", string(tcfg.DmPolicy), idStrings(tcfg.AllowFrom), telegramNobody)
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

// reconfigure applies a reloaded config: a changed telegram.* replaces the Telegram
// provider (the old one stops polling first, so only one poller ever runs for a bot);
// whatsapp.allowFrom applies to the next message. whatsapp.mediaMaxMb needs a restart.
func (c *providersComponent) reconfigure(ctx context.Context, next *config.File) {
	if w := whatsappSection(&next.Config); w != nil {
		c.wa.SetAllowFrom(dmAllowFrom(c.s, "whatsapp", string(w.DmPolicy), w.AllowFrom, whatsappNobody))
	} else {
		c.wa.SetAllowFrom(nil)
	}
	key := telegramKey(c.s, telegramSection(&next.Config))
	if key == c.tgKey {
		return
	}
	c.tgKey = key
	tg, tgp := buildTelegram(c.s, telegramSection(&next.Config), func() {
		if c.handler != nil {
			c.handler.Changed()
		}
	})
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

// Allow-list entries no real sender has (the providers' lists treat an empty list as
// "everyone"), for the dmPolicy values that must admit nobody.
const (
	whatsappNobody = "+000000000000000" // country code 0 does not exist
	telegramNobody = "0"
)

// dmAllowFrom applies channels.<channel>.dmPolicy to its allowFrom:
//
//	unset      allowFrom as it is (empty = everyone: this gateway's earlier behaviour)
//	open       everyone
//	allowlist  allowFrom only (empty = nobody)
//	pairing    as allowlist: pairing codes are not implemented yet, so unknown senders
//	           are ignored rather than let in
//	disabled   nobody
func dmAllowFrom(s *services, channel, policy string, allow []string, nobody string) []string {
	switch policy {
	case "open":
		return []string{"*"}
	case "disabled":
		return []string{nobody}
	case "allowlist", "pairing":
		if policy == "pairing" && s != nil && s.log != nil {
			s.log.Warn("dmPolicy pairing: pairing codes are not implemented yet; only allowFrom senders reach the agent", "channel", channel)
		}
		if len(allow) == 0 {
			return []string{nobody}
		}
	}
	return allow
}
