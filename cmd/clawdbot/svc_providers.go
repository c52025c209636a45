package main

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"

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
	reg     *providers.Registry
	dedupe  *dedupe.Store
	handler *messaging.Handler
}

// buildProviders builds the registry from config and environment and starts the
// providers in the background: Telegram only when a bot token is configured (and
// telegram.enabled is not false), WhatsApp always (it connects only when linked).
// Nothing here waits for the network.
func buildProviders(ctx context.Context, s *services) (component, error) {
	cfg := s.file.Config
	c := &providersComponent{}
	// The handler exists before the providers so their state changes can refresh health.
	changed := func() {
		if c.handler != nil {
			c.handler.Changed()
		}
	}

	waCfg := whatsapp.Config{StateDir: s.paths.StateDir, Inbound: &s.inbound, Logger: s.log, OnChange: changed}
	if w := cfg.Whatsapp; w != nil {
		waCfg.AllowFrom = w.AllowFrom
		if w.MediaMaxMb != nil {
			waCfg.MediaMaxMB = *w.MediaMaxMb
		}
	}
	wa := whatsapp.New(waCfg)

	var tg providers.Provider = providers.Unconfigured{Channel: providers.Telegram, Hint: "set telegram.botToken or " + telegram.EnvToken}
	var tgp *telegram.Provider
	tcfg := cfg.Telegram
	token := ""
	if tcfg != nil && tcfg.BotToken != nil {
		token = strings.TrimSpace(*tcfg.BotToken)
	}
	if token == "" && s.env != nil {
		if v, ok := s.env(telegram.EnvToken); ok {
			token = strings.TrimSpace(v)
		}
	}
	enabled := tcfg == nil || tcfg.Enabled == nil || *tcfg.Enabled
	if token != "" && enabled {
		tc := telegram.Config{Token: token, Inbound: &s.inbound, Logger: s.log, OnChange: changed}
		if tcfg != nil {
			tc.AllowFrom = tcfg.AllowFrom
			if tcfg.APIBaseURL != nil {
				tc.APIBaseURL = *tcfg.APIBaseURL
			}
			if tcfg.Mode != nil {
				tc.Mode = string(*tcfg.Mode)
			}
			if tcfg.Proxy != nil && *tcfg.Proxy != "" {
				if pu, err := url.Parse(*tcfg.Proxy); err != nil || pu.Host == "" {
					s.log.Error("telegram.proxy is not a URL; calling the Bot API directly", "proxy", *tcfg.Proxy)
				} else {
					tc.HTTPClient = &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(pu)}}
				}
			}
		}
		if p, err := telegram.New(tc); err != nil {
			// A bad token or base URL must not keep the gateway down: Telegram sends
			// fail with the reason and status shows it unconfigured.
			s.log.Error("telegram provider not started", "err", err)
			tg = providers.Unconfigured{Channel: providers.Telegram, Hint: err.Error()}
		} else {
			tg, tgp = p, p
		}
	}

	d, err := dedupe.Open(ctx, dedupe.Options{Path: filepath.Join(s.paths.StateDir, sendDedupeFile)})
	if err != nil {
		return nil, err
	}
	c.dedupe = d
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

func (c *providersComponent) attach(srv *gateway.Server) error { return c.handler.Attach(srv) }

func (c *providersComponent) close(ctx context.Context) error {
	return errors.Join(c.reg.Stop(ctx), c.dedupe.Close())
}
