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
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	genconfig "github.com/clawgate/gateway/gen/go/config"
	"github.com/clawgate/gateway/gen/go/protocol"
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
	"github.com/clawgate/gateway/server/routing"
)

// sendDedupeFile is the idempotency store for send/poll under the state dir.
const sendDedupeFile = "send-dedupe.db"

// providersComponent owns the messaging providers (WhatsApp, Telegram), the registry
// the agent runtime sends through (services.sender), the send idempotency store and
// the messaging method group. Each channel is an AccountSet: one provider per
// configured account (channels.<id>.accounts), the default account when none is.
type providersComponent struct {
	s       *services
	reg     *providers.Registry
	dedupe  *dedupe.Store
	handler *messaging.Handler
	wa      *providers.AccountSet
	// tg is the Telegram account set built at start-up (a reload may replace it in
	// the registry; start starts this one).
	tg *providers.AccountSet
	// waAccounts are the WhatsApp accounts' providers, by account id (enabled ones).
	waAccounts map[string]*whatsapp.Provider
	// waKeys are the settings each WhatsApp account's provider was built from (see
	// whatsappKey); tgKeys the same for the Telegram bots (see telegramKeys).
	waKeys map[string]string
	tgKeys map[string]string
	// tgMu serialises Telegram rebuilds (reload) and logouts.
	tgMu sync.Mutex
	// pairing is the channel pairing store (<state>/credentials): approvals written by
	// `clawdbot pairing approve` are read on every message, so they apply at once.
	pairing *pairing.Store
	// media and understand serve received media (tools.media and tools.links apply
	// at start).
	media      *media.Store
	understand *understander
}

// buildProviders builds the registry from config and environment: a Telegram bot per
// account with a token (unless disabled), a WhatsApp device per account. They start
// (in the background, connecting WhatsApp only when linked) in start, after the agent
// runtime is built. Nothing here waits for the network.
func buildProviders(ctx context.Context, s *services) (component, error) {
	cfg := s.file.Config
	c := &providersComponent{s: s}
	ps, err := pairingStore(s)
	if err != nil {
		return nil, err
	}
	c.pairing = ps
	// Received media: stored under <state>/media, then described, transcribed and
	// its links summarised as tools.media and tools.links say.
	ms, err := mediaStore(s)
	if err != nil {
		return nil, err
	}
	ur, err := mediaUnderstanding(s, &cfg)
	if err != nil {
		return nil, err
	}
	c.media = ms
	c.understand = &understander{agent: func() agentView {
		a, _ := s.inbound.current().(agentView)
		return a
	}}
	c.understand.set(ur)
	c.wa, c.waAccounts, c.waKeys = c.buildWhatsApp(s.file)
	tg := c.buildTelegram(&cfg)
	_, c.tgKeys = telegramKeys(telegramAccounts(s, &cfg))

	d, err := dedupe.Open(ctx, dedupe.Options{Path: filepath.Join(s.paths.StateDir, sendDedupeFile)})
	if err != nil {
		return nil, err
	}
	c.dedupe = d
	s.sendDedupe = d
	c.reg = providers.NewRegistry(s.log, c.wa, tg)
	c.handler = messaging.New(messaging.Options{Registry: c.reg, Dedupe: d, Logger: s.log,
		Logouts: map[string]messaging.LogoutFunc{providers.Telegram: c.logoutTelegram}})
	s.sender = c.reg
	c.tg = tg
	return c, nil
}

// start connects the providers (startServices calls it once every component is
// built, so the agent runtime already takes their messages).
func (c *providersComponent) start(ctx context.Context) {
	for id, wa := range c.waAccounts {
		if err := wa.Start(ctx); err != nil {
			// A broken device store must not stop the gateway: sends fail with the
			// error and status shows it.
			c.s.log.Error("whatsapp provider did not start", "account", id, "err", err)
		}
	}
	_ = c.tg.Start(ctx) // each bot logs its own failure
}

// stopIntake stops the providers (Telegram polling, WhatsApp connections) ahead of
// the other components' close; the send dedupe store stays open until close.
func (c *providersComponent) stopIntake(ctx context.Context) error {
	return c.reg.Stop(ctx)
}

// changed refreshes health after a provider's state changed.
func (c *providersComponent) changed() {
	if c.handler != nil {
		c.handler.Changed()
	}
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

// accountIDs is the original's account list of a channel: the configured account keys
// and the accounts bindings name, normalised and sorted; the default account alone
// when there are none.
func accountIDs(configured []string, c *genconfig.ClawdbotConfig, channel string) []string {
	seen := map[string]bool{}
	var ids []string
	for _, k := range append(configured, routing.BoundAccountIDs(c, channel)...) {
		if strings.TrimSpace(k) == "" {
			continue
		}
		id := routing.NormalizeAccountID(k)
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return []string{routing.DefaultAccountID}
	}
	slices.Sort(ids)
	return ids
}

// defaultAccount is "default" when listed, else the first account (the original's
// rule); bound, when set and listed, wins (Telegram: the default agent's account).
func defaultAccount(ids []string, bound string) string {
	if bound != "" && slices.Contains(ids, bound) {
		return bound
	}
	if slices.Contains(ids, routing.DefaultAccountID) {
		return routing.DefaultAccountID
	}
	return ids[0]
}

// waAccount is one WhatsApp account's settings: the account's own over the channel's.
type waAccount struct {
	id, name, authDir string
	enabled           bool
	section           genconfig.ConfigChannelsWhatsapp // the channel's settings with the account's on top
}

// whatsappAccounts resolves channels.whatsapp.accounts as the original: every account
// inherits the channel-level settings it does not set. Auth dirs: accounts.<id>.authDir,
// else <state>/whatsapp for the default account (where a single-account gateway keeps
// its device), else the original's <credentials>/whatsapp/<id>.
func (c *providersComponent) whatsappAccounts(cfg *genconfig.ClawdbotConfig) (def string, out []waAccount) {
	w := whatsappSection(cfg)
	var keys []string
	if w != nil {
		for k := range w.Accounts {
			keys = append(keys, k)
		}
	}
	ids := accountIDs(keys, cfg, providers.WhatsApp)
	def = defaultAccount(ids, "")
	for _, id := range ids {
		a := waAccount{id: id, enabled: true}
		if w != nil {
			a.section = *w
			a.section.Accounts = nil
			for k, v := range w.Accounts {
				if routing.NormalizeAccountID(k) != id {
					continue
				}
				if v.Enabled != nil {
					a.enabled = *v.Enabled
				}
				if v.Name != nil {
					a.name = strings.TrimSpace(*v.Name)
				}
				if v.AuthDir != nil && strings.TrimSpace(*v.AuthDir) != "" {
					a.authDir = expandHome(strings.TrimSpace(*v.AuthDir))
				}
				if v.DmPolicy != "" {
					a.section.DmPolicy = genconfig.ConfigChannelsWhatsappDmPolicy(v.DmPolicy)
				}
				if v.AllowFrom != nil {
					a.section.AllowFrom = v.AllowFrom
				}
				if v.GroupAllowFrom != nil {
					a.section.GroupAllowFrom = v.GroupAllowFrom
				}
				if v.GroupPolicy != "" {
					a.section.GroupPolicy = genconfig.ConfigChannelsWhatsappGroupPolicy(v.GroupPolicy)
				}
				if v.Groups != nil {
					a.section.Groups = genconfig.ConfigChannelsWhatsappGroups{}
					for g, gv := range v.Groups {
						e := a.section.Groups[g]
						e.RequireMention = gv.RequireMention
						if gv.Tools != nil {
							e.Tools = &genconfig.ConfigChannelsWhatsappGroupsValueTools{Allow: gv.Tools.Allow, Deny: gv.Tools.Deny}
						}
						a.section.Groups[g] = e
					}
				}
				if v.TextChunkLimit != nil {
					a.section.TextChunkLimit = v.TextChunkLimit
				}
				if v.MediaMaxMb != nil {
					a.section.MediaMaxMb = *v.MediaMaxMb
				}
				if v.HistoryLimit != nil {
					a.section.HistoryLimit = v.HistoryLimit
				}
				if v.MessagePrefix != nil {
					a.section.MessagePrefix = v.MessagePrefix
				}
				if v.Markdown != nil && v.Markdown.Tables != nil {
					m := genconfig.ConfigChannelsWhatsappMarkdownTables(*v.Markdown.Tables)
					a.section.Markdown = &genconfig.ConfigChannelsWhatsappMarkdown{Tables: &m}
				}
				if v.ChunkMode != nil {
					m := genconfig.ConfigChannelsWhatsappChunkMode(*v.ChunkMode)
					a.section.ChunkMode = &m
				}
			}
		}
		if a.authDir == "" && id != routing.DefaultAccountID {
			a.authDir = filepath.Join(c.credentialsDir(), "whatsapp", id)
		}
		if a.section.HistoryLimit == nil && cfg.Messages != nil && cfg.Messages.GroupChat != nil {
			// The original's order: the account's, the channel's, then messages.groupChat.
			a.section.HistoryLimit = cfg.Messages.GroupChat.HistoryLimit
		}
		out = append(out, a)
	}
	return def, out
}

// credentialsDir is the original's OAuth dir: $CLAWDBOT_OAUTH_DIR, else
// <state>/credentials.
func (c *providersComponent) credentialsDir() string {
	return pairing.CredentialsDir(c.s.paths.StateDir, func(k string) string {
		if c.s.env == nil {
			return ""
		}
		v, _ := c.s.env(k)
		return v
	})
}

func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return p
}

// buildWhatsApp builds a provider per enabled WhatsApp account of f (a disabled one
// is listed but not started), and the accounts' keys (whatsappKey).
func (c *providersComponent) buildWhatsApp(f *config.File) (*providers.AccountSet, map[string]*whatsapp.Provider, map[string]string) {
	def, accts := c.whatsappAccounts(&f.Config)
	set := map[string]providers.Provider{}
	meta := map[string]providers.AccountMeta{}
	started := map[string]*whatsapp.Provider{}
	keys := map[string]string{}
	for _, a := range accts {
		meta[a.id], keys[a.id] = whatsappMeta(a), whatsappKey(a, whatsappReconnect(&f.Config))
		var p *whatsapp.Provider
		set[a.id], p = c.buildWhatsAppAccount(f, a)
		if p != nil {
			started[a.id] = p
		}
	}
	s := providers.NewAccountSet(providers.WhatsApp, def, set)
	s.SetMeta(meta)
	return s, started, keys
}

// buildWhatsAppAccount builds account a's provider with f's ack settings; a disabled
// account is an Unconfigured stand-in (and no *whatsapp.Provider).
func (c *providersComponent) buildWhatsAppAccount(f *config.File, a waAccount) (providers.Provider, *whatsapp.Provider) {
	if !a.enabled {
		return providers.Unconfigured{Channel: providers.WhatsApp, Hint: "channels.whatsapp.accounts." + a.id + ".enabled is false"}, nil
	}
	sec := a.section
	ac := whatsappAccess(&sec, f.Config.Commands)
	wc := whatsapp.Config{AccountID: a.id, StateDir: c.s.paths.StateDir, AuthDir: a.authDir, Inbound: &c.s.inbound, Logger: c.s.log,
		OnChange: c.changed, Pairing: c.pairing, Access: &ac, History: historyBuffer(sec.HistoryLimit), MentionPatterns: c.s.mentions.patterns,
		MessagePrefix: c.s.mentions.whatsappPrefix,
		MediaStore:    c.media, Understand: c.understand, Ack: whatsappAck(f, a.id), Debounce: whatsappDebounce(f, a.id), Clock: c.s.clock,
		Reconnect: whatsappReconnect(&f.Config)}
	if sec.MediaMaxMb > 0 {
		wc.MediaMaxMB = sec.MediaMaxMb
	}
	if sec.TextChunkLimit != nil {
		wc.ChunkLimit = *sec.TextChunkLimit
	}
	if sec.ChunkMode != nil {
		wc.ChunkMode = string(*sec.ChunkMode)
	}
	if sec.Markdown != nil && sec.Markdown.Tables != nil {
		wc.TableMode = string(*sec.Markdown.Tables)
	}
	p := whatsapp.New(wc)
	return p, p
}

// whatsappMeta is what channels.status shows of a WhatsApp account's config.
func whatsappMeta(a waAccount) providers.AccountMeta {
	sec := a.section
	ac := whatsappAccess(&sec, nil)
	m := providers.AccountMeta{Name: a.name, Enabled: a.enabled, DMPolicy: string(ac.DMPolicy), AllowFrom: ac.AllowFrom}
	if m.DMPolicy == "" {
		m.DMPolicy = string(access.DMPairing)
	}
	return m
}

// whatsappKey identifies the settings a WhatsApp account's provider is built with and
// cannot change while it runs (device store, enabled, media cap, chunk limit and mode,
// table mode, group history, the reconnect policy rc): a reload that changes them restarts that account
// (a web.reconnect change restarts every account, as the original restarts the
// channel on web.*). Access and ack settings are not part of it: they apply to the
// running provider.
func whatsappKey(a waAccount, rc whatsapp.ReconnectPolicy) string {
	j, _ := json.Marshal([]any{a.authDir, a.enabled, a.section.MediaMaxMb, a.section.TextChunkLimit, a.section.HistoryLimit, a.section.ChunkMode, a.section.Markdown,
		rc.Initial, rc.Max, rc.Factor, rc.Jitter, rc.MaxAttempts})
	return string(j)
}

// whatsappReconnect is web.reconnect over whatsapp.DefaultReconnect, key by key, and
// clamped as the original does.
func whatsappReconnect(cfg *genconfig.ClawdbotConfig) whatsapp.ReconnectPolicy {
	rc := whatsapp.DefaultReconnect()
	if cfg.Web == nil || cfg.Web.Reconnect == nil {
		return rc
	}
	w := cfg.Web.Reconnect
	ms := func(v float64) time.Duration {
		if v >= float64(math.MaxInt64)/float64(time.Millisecond) {
			return math.MaxInt64 // beyond ~292 years: as long as a Duration goes
		}
		return time.Duration(v * float64(time.Millisecond))
	}
	if w.InitialMs != nil {
		rc.Initial = ms(*w.InitialMs)
	}
	if w.MaxMs != nil {
		rc.Max = ms(*w.MaxMs)
	}
	if w.Factor != nil {
		rc.Factor = *w.Factor
	}
	if w.Jitter != nil {
		rc.Jitter = *w.Jitter
	}
	if w.MaxAttempts != nil {
		rc.MaxAttempts = *w.MaxAttempts
	}
	return rc.Normalize()
}

// tgAccount is one Telegram account: its merged settings and token.
type tgAccount struct {
	id, name, token, source string
	enabled                 bool
	section                 genconfig.ConfigChannelsTelegram // the channel's settings with the account's on top
}

// telegramAccounts resolves channels.telegram.accounts as the original: the account
// keys and bound accounts (else "default"), each inheriting the channel-level settings
// it does not set; the default account is the default agent's bound account, else
// "default", else the first. Unlike the original, a channel-level token (or
// TELEGRAM_BOT_TOKEN) also serves the "default" account when other accounts are
// configured, instead of being ignored.
func telegramAccounts(s *services, cfg *genconfig.ClawdbotConfig) (def string, out []tgAccount) {
	var t genconfig.ConfigChannelsTelegram
	if cfg.Channels != nil && cfg.Channels.Telegram != nil {
		t = *cfg.Channels.Telegram
	}
	var keys []string
	for k := range t.Accounts {
		keys = append(keys, k)
	}
	ids := accountIDs(keys, cfg, providers.Telegram)
	if !slices.Contains(ids, routing.DefaultAccountID) {
		if tok, _ := telegramToken(s, t, routing.DefaultAccountID); tok != "" {
			ids = append(ids, routing.DefaultAccountID)
			slices.Sort(ids)
		}
	}
	def = defaultAccount(ids, routing.DefaultAgentBoundAccountID(cfg, providers.Telegram))
	for _, id := range ids {
		a := tgAccount{id: id, section: telegramAccountSection(t, id)}
		if a.section.HistoryLimit == nil && cfg.Messages != nil && cfg.Messages.GroupChat != nil {
			// The original's order: the account's, the channel's, then messages.groupChat.
			a.section.HistoryLimit = cfg.Messages.GroupChat.HistoryLimit
		}
		a.enabled = (t.Enabled == nil || *t.Enabled) && (a.section.Enabled == nil || *a.section.Enabled)
		// The account's name, else the channel's (the original merges the channel's
		// settings under every account's).
		if acct, ok := accountEntry(t.Accounts, id); ok && acct.Name != nil {
			a.name = strings.TrimSpace(*acct.Name)
		} else if t.Name != nil {
			a.name = strings.TrimSpace(*t.Name)
		}
		a.token, a.source = telegramToken(s, t, id)
		out = append(out, a)
	}
	return def, out
}

// sameShape converts v to T, a generated type of the same JSON shape (a channel
// key's account twin).
func sameShape[T any](v any) T {
	var out T
	b, err := json.Marshal(v)
	if err == nil {
		err = json.Unmarshal(b, &out)
	}
	if err != nil {
		panic("daemon: sameShape: " + err.Error()) // the generated types have one schema
	}
	return out
}

// overlay sets *dst to src when the account sets it (src != nil): the original's
// account-over-channel merge of one key.
func overlay[T any](dst **T, src *T) {
	if src != nil {
		*dst = src
	}
}

// accountEntry is accounts[id] (e.g. channels.telegram.accounts.<id>), the key matched
// as is, else normalised. Generic over the map so the generated, anonymous value type
// follows the schema as keys are implemented.
func accountEntry[M ~map[string]V, V any](accounts M, id string) (V, bool) {
	if a, ok := accounts[id]; ok {
		return a, true
	}
	for k, a := range accounts {
		if routing.NormalizeAccountID(k) == id {
			return a, true
		}
	}
	var zero V
	return zero, false
}

// telegramAccountSection is the channel-level settings with account id's on top (the
// original's merge: every key the account sets wins).
func telegramAccountSection(t genconfig.ConfigChannelsTelegram, id string) genconfig.ConfigChannelsTelegram {
	base := t
	base.Accounts = nil
	acct, ok := accountEntry(t.Accounts, id)
	if !ok {
		return base
	}
	overlay(&base.BotToken, acct.BotToken)
	overlay(&base.TokenFile, acct.TokenFile)
	if acct.AllowFrom != nil {
		base.AllowFrom = acct.AllowFrom
	}
	if acct.DmPolicy != "" {
		base.DmPolicy = genconfig.ConfigChannelsTelegramDmPolicy(acct.DmPolicy)
	}
	overlay(&base.Enabled, acct.Enabled)
	if acct.GroupPolicy != "" {
		base.GroupPolicy = genconfig.ConfigChannelsTelegramGroupPolicy(acct.GroupPolicy)
	}
	if acct.GroupAllowFrom != nil {
		base.GroupAllowFrom = acct.GroupAllowFrom
	}
	if acct.Groups != nil {
		// Same shape, distinct generated types (nested ones differ by name): convert
		// through JSON.
		base.Groups = sameShape[genconfig.ConfigChannelsTelegramGroups](acct.Groups)
	}
	if acct.StreamMode != "" {
		base.StreamMode = genconfig.ConfigChannelsTelegramStreamMode(acct.StreamMode)
	}
	if acct.ReplyToMode != nil {
		base.ReplyToMode = (*genconfig.ConfigChannelsTelegramReplyToMode)(acct.ReplyToMode)
	}
	if acct.DraftChunk != nil {
		base.DraftChunk = sameShape[*genconfig.ConfigChannelsTelegramDraftChunk](acct.DraftChunk)
	}
	overlay(&base.TextChunkLimit, acct.TextChunkLimit)
	overlay(&base.HistoryLimit, acct.HistoryLimit)
	overlay(&base.MediaMaxMb, acct.MediaMaxMb)
	overlay(&base.Proxy, acct.Proxy)
	overlay(&base.WebhookURL, acct.WebhookURL)
	overlay(&base.WebhookSecret, acct.WebhookSecret)
	overlay(&base.WebhookPath, acct.WebhookPath)
	overlay(&base.LinkPreview, acct.LinkPreview)
	if acct.ChunkMode != nil {
		base.ChunkMode = (*genconfig.ConfigChannelsTelegramChunkMode)(acct.ChunkMode)
	}
	if acct.Commands != nil {
		base.Commands = (*genconfig.ConfigChannelsTelegramCommands)(acct.Commands)
	}
	if acct.CustomCommands != nil {
		base.CustomCommands = make([]genconfig.ConfigChannelsTelegramCustomCommandsElem, len(acct.CustomCommands))
		for i, c := range acct.CustomCommands {
			base.CustomCommands[i] = genconfig.ConfigChannelsTelegramCustomCommandsElem(c)
		}
	}
	overlay(&base.TimeoutSeconds, acct.TimeoutSeconds)
	if acct.Retry != nil {
		base.Retry = (*genconfig.ConfigChannelsTelegramRetry)(acct.Retry)
	}
	if acct.Markdown != nil && acct.Markdown.Tables != nil {
		m := genconfig.ConfigChannelsTelegramMarkdownTables(*acct.Markdown.Tables)
		base.Markdown = &genconfig.ConfigChannelsTelegramMarkdown{Tables: &m}
	}
	if acct.ReactionNotifications != nil {
		base.ReactionNotifications = (*genconfig.ConfigChannelsTelegramReactionNotifications)(acct.ReactionNotifications)
	}
	if acct.ReactionLevel != nil {
		base.ReactionLevel = (*genconfig.ConfigChannelsTelegramReactionLevel)(acct.ReactionLevel)
	}
	if acct.Capabilities != nil {
		base.Capabilities = acct.Capabilities
	}
	overlay(&base.DmHistoryLimit, acct.DmHistoryLimit)
	if acct.Dms != nil {
		base.Dms = sameShape[genconfig.ConfigChannelsTelegramDms](acct.Dms)
	}
	return base
}

// telegramInlineButtons is the scope of capabilities.inlineButtons as the original
// reads it: an object's inlineButtons ("allowlist" when unset or unknown), a list
// naming "inlineButtons" (any case) "all" and one that does not "off", nothing
// "allowlist".
func telegramInlineButtons(caps any) string {
	switch c := caps.(type) {
	case []any:
		for _, e := range c {
			if s, ok := e.(string); ok && strings.EqualFold(strings.TrimSpace(s), "inlineButtons") {
				return telegram.ButtonsAll
			}
		}
		return telegram.ButtonsOff
	case map[string]any:
		if s, ok := c["inlineButtons"].(string); ok {
			switch v := strings.ToLower(strings.TrimSpace(s)); v {
			case telegram.ButtonsOff, telegram.ButtonsDM, telegram.ButtonsGroup, telegram.ButtonsAll, telegram.ButtonsAllowlist:
				return v
			}
		}
	}
	return telegram.ButtonsAllowlist
}

// buildTelegram builds a bot per account: an Unconfigured stand-in for an account
// without a token, disabled, or with unusable settings (a bad token or base URL must
// not keep the gateway down: sends fail with the reason and status shows it).
func (c *providersComponent) buildTelegram(cfg *genconfig.ClawdbotConfig) *providers.AccountSet {
	def, accts := telegramAccounts(c.s, cfg)
	set := map[string]providers.Provider{}
	meta := map[string]providers.AccountMeta{}
	for _, a := range accts {
		sec := a.section
		ac := telegramAccess(&sec, cfg.Commands)
		meta[a.id] = telegramMeta(a, ac)
		set[a.id] = c.buildBot(cfg, a, &ac)
	}
	s := providers.NewAccountSet(providers.Telegram, def, set)
	s.SetMeta(meta)
	return s
}

// buildBot builds account a's bot with cfg's ack settings (messages.*).
func (c *providersComponent) buildBot(cfg *genconfig.ClawdbotConfig, a tgAccount, ac *access.Config) providers.Provider {
	s, tcfg := c.s, a.section
	hint := "set channels.telegram.botToken or " + telegram.EnvToken
	if a.id != routing.DefaultAccountID {
		hint = "set channels.telegram.accounts." + a.id + ".botToken"
	}
	if a.token == "" || !a.enabled {
		if !a.enabled {
			hint = "account " + a.id + " is disabled"
		}
		return providers.Unconfigured{Channel: providers.Telegram, Hint: hint}
	}
	tc := telegram.Config{AccountID: a.id, Token: a.token, Inbound: &s.inbound, Logger: s.log, OnChange: c.changed,
		Access: ac, Pairing: c.pairing, History: historyBuffer(tcfg.HistoryLimit), StreamMode: string(tcfg.StreamMode), MentionPatterns: s.mentions.patterns,
		MediaStore: c.media, Understand: c.understand, Ack: telegramAck(cfg), Debounce: telegramDebounce(cfg), Clock: s.clock}
	if tcfg.MediaMaxMb != nil {
		// Whole megabytes; a fraction rounds up so a configured cap never refuses
		// less than asked.
		tc.MediaMaxMB = int(math.Ceil(*tcfg.MediaMaxMb))
	}
	if tcfg.TextChunkLimit != nil {
		tc.ChunkLimit = *tcfg.TextChunkLimit
	}
	if dc := tcfg.DraftChunk; dc != nil {
		// As the original: sizes below 1 are 1 (tgstream caps the maximum at the
		// chunk limit); an unset size keeps tgstream's default.
		if dc.MinChars != nil {
			tc.DraftMin = max(*dc.MinChars, 1)
		}
		if dc.MaxChars != nil {
			tc.DraftMax = max(*dc.MaxChars, 1)
		}
		if dc.BreakPreference != nil {
			tc.DraftBreak = string(*dc.BreakPreference)
		}
	}
	if tcfg.ChunkMode != nil {
		tc.ChunkMode = string(*tcfg.ChunkMode)
	}
	if tcfg.Markdown != nil && tcfg.Markdown.Tables != nil {
		tc.Tables = string(*tcfg.Markdown.Tables)
	}
	if tcfg.ReplyToMode != nil {
		tc.ReplyToMode = string(*tcfg.ReplyToMode)
	}
	tc.Commands = telegramCommands(cfg, tcfg)
	tc.Events = &s.inbound
	tc.OnMigrate = c.telegramMigrate(a.id)
	if tcfg.ReactionNotifications != nil {
		tc.ReactionNotifications = string(*tcfg.ReactionNotifications)
	}
	tc.InlineButtons = telegramInlineButtons(tcfg.Capabilities)
	if nativeSkillsOn(cfg) {
		tc.Commands.Skills = c.s.skillMenu
	}
	tc.GroupPrompts = telegramGroupPrompts(tcfg.Groups)
	if tcfg.APIBaseURL != nil {
		tc.APIBaseURL = *tcfg.APIBaseURL
	}
	tc.NoLinkPreview = tcfg.LinkPreview != nil && !*tcfg.LinkPreview
	if tcfg.TimeoutSeconds != nil && *tcfg.TimeoutSeconds > 0 {
		tc.RequestTimeout = time.Duration(*tcfg.TimeoutSeconds) * time.Second
	}
	tc.Retry = telegramRetry(tcfg.Retry)
	if tcfg.WebhookURL != nil && strings.TrimSpace(*tcfg.WebhookURL) != "" {
		tc.WebhookURL = strings.TrimSpace(*tcfg.WebhookURL)
		if tcfg.WebhookSecret != nil {
			tc.WebhookSecret = *tcfg.WebhookSecret
		}
		if tcfg.WebhookPath != nil {
			tc.WebhookPath = strings.TrimSpace(*tcfg.WebhookPath)
		}
		if v, ok := s.env(EnvTelegramWebhookListen); ok && strings.TrimSpace(v) != "" {
			tc.WebhookListen = strings.TrimSpace(v)
		}
	}
	if tcfg.Proxy != nil && *tcfg.Proxy != "" {
		if pu, err := url.Parse(*tcfg.Proxy); err != nil || pu.Host == "" {
			s.log.Error("telegram.proxy is not a URL; calling the Bot API directly", "proxy", *tcfg.Proxy)
		} else {
			tc.HTTPClient = &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(pu)}}
		}
	}
	p, err := telegram.New(tc)
	if err != nil {
		s.log.Error("telegram provider not started", "account", a.id, "err", err)
		return providers.Unconfigured{Channel: providers.Telegram, Hint: err.Error()}
	}
	return p
}

// telegramGroupPrompts are the groups' systemPrompt (trimmed) by group key; a group
// entry without one maps to "" so it does not fall back to "*"'s. A forum topic's
// key is "<group>:topic:<thread>" (access.TopicSep).
func telegramGroupPrompts(groups genconfig.ConfigChannelsTelegramGroups) map[string]string {
	out := map[string]string{}
	for id, g := range groups {
		p := ""
		if g.SystemPrompt != nil {
			p = strings.TrimSpace(*g.SystemPrompt)
		}
		out[id] = p
		// A forum topic's run gets its group's prompt and then its own, as in the
		// original.
		for tid, tc := range g.Topics {
			parts := []string{}
			if p != "" {
				parts = append(parts, p)
			}
			if tc.SystemPrompt != nil && strings.TrimSpace(*tc.SystemPrompt) != "" {
				parts = append(parts, strings.TrimSpace(*tc.SystemPrompt))
			}
			out[id+access.TopicSep+tid] = strings.Join(parts, "\n\n")
		}
	}
	return out
}

// telegramCommands is the bot's command menu: native commands on unless
// channels.telegram(.accounts.<id>).commands.native, else commands.native, is false
// ("auto" and unset are on for Telegram, as in the original), then customCommands.
// An explicit false clears a menu an earlier run registered.
func telegramCommands(cfg *genconfig.ClawdbotConfig, t genconfig.ConfigChannelsTelegram) telegram.Commands {
	var setting any
	if cfg.Commands != nil {
		setting = cfg.Commands.Native
	}
	if t.Commands != nil && t.Commands.Native != nil {
		setting = t.Commands.Native
	}
	off := setting == false
	c := telegram.Commands{Native: !off, Clear: off}
	for _, x := range t.CustomCommands {
		var bc telegram.BotCommand
		if x.Command != nil {
			bc.Command = *x.Command
		}
		if x.Description != nil {
			bc.Description = *x.Description
		}
		c.Custom = append(c.Custom, bc)
	}
	return c
}

// EnvTelegramWebhookListen overrides where Telegram webhook mode listens (the
// original always binds 0.0.0.0:8787; set e.g. 127.0.0.1:8787 behind a local proxy).
const EnvTelegramWebhookListen = "CLAWDBOT_TELEGRAM_WEBHOOK_LISTEN"

// telegramToken is account id's bot token and where it came from, in the original's
// order: the account's tokenFile, its botToken, then for the default account only the
// channel-level tokenFile, botToken and $TELEGRAM_BOT_TOKEN.
func telegramToken(s *services, t genconfig.ConfigChannelsTelegram, id string) (token, source string) {
	readFile := func(path, key string) (string, bool) {
		b, err := readSmallFile(path, 4096)
		if err != nil {
			s.log.Error(key+" unreadable", "err", err)
			return "", false
		}
		return strings.TrimSpace(string(b)), true
	}
	if acct, ok := accountEntry(t.Accounts, id); ok {
		if acct.TokenFile != nil && strings.TrimSpace(*acct.TokenFile) != "" {
			if tok, ok := readFile(*acct.TokenFile, "channels.telegram.accounts."+id+".tokenFile"); ok && tok != "" {
				return tok, "tokenFile"
			}
			return "", "none"
		}
		if acct.BotToken != nil && strings.TrimSpace(*acct.BotToken) != "" {
			return strings.TrimSpace(*acct.BotToken), "config"
		}
	}
	if id != routing.DefaultAccountID {
		return "", "none"
	}
	if t.TokenFile != nil && strings.TrimSpace(*t.TokenFile) != "" {
		if tok, ok := readFile(*t.TokenFile, "channels.telegram.tokenFile"); ok && tok != "" {
			return tok, "tokenFile"
		}
		return "", "none"
	}
	if t.BotToken != nil && strings.TrimSpace(*t.BotToken) != "" {
		return strings.TrimSpace(*t.BotToken), "config"
	}
	if s.env != nil {
		if v, ok := s.env(telegram.EnvToken); ok && strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v), "env"
		}
	}
	return "", "none"
}

// telegramKeys identify the Telegram accounts' settings for change detection (tokens
// included, so they never leave this process); def is passed through.
func telegramKeys(def string, accts []tgAccount) (string, map[string]string) {
	per := map[string]string{}
	for _, a := range accts {
		j, _ := json.Marshal(a.section)
		per[a.id] = fmt.Sprintf("%s\x00%s\x00%v\x00%s", a.token, a.name, a.enabled, j)
	}
	return def, per
}

// accountStopTimeout bounds stopping one provider account on a reload.
const accountStopTimeout = 10 * time.Second

// stopAccount stops a provider taken out of service by a reload (nil: nothing).
func (c *providersComponent) stopAccount(ctx context.Context, channel, id string, p providers.Provider) {
	if p == nil {
		return
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), accountStopTimeout)
	defer cancel()
	if err := p.Stop(sctx); err != nil {
		c.s.log.Warn("stopping a previous provider account", "channel", channel, "account", id, "err", err)
	}
}

// reconfigure applies a reloaded config to the channels, account by account, as the
// original restarts a channel rather than the gateway: an account added to
// channels.<id>.accounts starts, a removed one stops, one whose build-time settings
// changed (a Telegram account's token or any of its settings; a WhatsApp account's
// authDir, enabled, mediaMaxMb, textChunkLimit or historyLimit) restarts, stopping
// first so only one poller or device connection ever runs for it; the others keep
// running and take the new access settings (WhatsApp), ack settings
// (messages.ackReaction*, channels.whatsapp.ackReaction, sendReadReceipts) and inbound
// debounce window (messages.inbound, channels.whatsapp.debounceMs) for their next
// message. It returns the channels where it started, stopped or restarted a running
// account (not a placeholder for an unconfigured one): the reload's report of
// restarted components (reload.Applied).
func (c *providersComponent) reconfigureChannels(ctx context.Context, next *config.File) []string {
	if ur, err := mediaUnderstanding(c.s, &next.Config); err != nil {
		c.s.log.Warn("tools.media / tools.links not applied", "err", err)
	} else {
		c.understand.set(ur)
	}
	var restarted []string
	if c.reconfigureWhatsApp(ctx, next) {
		restarted = append(restarted, providers.WhatsApp)
	}
	if c.reconfigureTelegram(ctx, next) {
		restarted = append(restarted, providers.Telegram)
	}
	return restarted
}

// runs says p is a provider that runs (not a placeholder for an unconfigured or
// disabled account): replacing one, or replacing something by one, is a restart.
func runs(p providers.Provider) bool {
	_, placeholder := p.(providers.Unconfigured)
	return p != nil && !placeholder
}

// reconfigureWhatsApp reports whether a running account started, stopped or
// restarted.
func (c *providersComponent) reconfigureWhatsApp(ctx context.Context, next *config.File) (restartedAny bool) {
	def, accts := c.whatsappAccounts(&next.Config)
	want := map[string]bool{}
	for _, a := range accts {
		want[a.id] = true
	}
	var added, removed, restarted []string
	for _, id := range c.wa.AccountIDs() {
		if want[id] {
			continue
		}
		old := c.wa.RemoveAccount(id)
		restartedAny = restartedAny || runs(old)
		c.stopAccount(ctx, providers.WhatsApp, id, old)
		delete(c.waAccounts, id)
		delete(c.waKeys, id)
		removed = append(removed, id)
	}
	meta := map[string]providers.AccountMeta{}
	for _, a := range accts {
		meta[a.id] = whatsappMeta(a)
		key := whatsappKey(a, whatsappReconnect(&next.Config))
		if old, ok := c.waKeys[a.id]; ok && old == key {
			if p := c.waAccounts[a.id]; p != nil {
				sec := a.section
				if err := p.SetAccess(whatsappAccess(&sec, next.Config.Commands)); err != nil {
					c.s.log.Error("channels.whatsapp access settings not applied (the previous ones stay)", "account", a.id, "err", err)
				}
				p.SetAck(whatsappAck(next, a.id))
				p.SetDebounce(whatsappDebounce(next, a.id))
			}
			continue
		}
		_, had := c.waKeys[a.id]
		prov, p := c.buildWhatsAppAccount(next, a)
		// The old provider stops before the new one opens the same device store.
		old := c.wa.ReplaceAccount(a.id, prov)
		restartedAny = restartedAny || runs(old) || runs(prov)
		c.stopAccount(ctx, providers.WhatsApp, a.id, old)
		delete(c.waAccounts, a.id)
		c.waKeys[a.id] = key
		if p != nil {
			c.waAccounts[a.id] = p
			if err := p.Start(ctx); err != nil {
				c.s.log.Error("whatsapp provider did not start", "account", a.id, "err", err)
			}
		}
		if had {
			restarted = append(restarted, a.id)
		} else {
			added = append(added, a.id)
		}
	}
	c.wa.SetMeta(meta)
	c.wa.SetDefault(def)
	if len(added)+len(removed)+len(restarted) > 0 {
		c.changed()
		// accounts are those (re)started: added or restarted.
		c.s.log.Info("whatsapp settings reloaded", "accounts", slices.Sorted(slices.Values(append(added, restarted...))), "added", added, "removed", removed)
	}
	return restartedAny
}

// reconfigureTelegram reports whether a running account started, stopped or
// restarted.
func (c *providersComponent) reconfigureTelegram(ctx context.Context, next *config.File) (restartedAny bool) {
	c.tgMu.Lock()
	defer c.tgMu.Unlock()
	def, tas := telegramAccounts(c.s, &next.Config)
	_, per := telegramKeys(def, tas)
	want := map[string]bool{}
	for _, a := range tas {
		want[a.id] = true
	}
	var added, removed, restarted []string
	// Removed accounts stop first: an account renamed in the file reuses its bot
	// token, and Telegram allows one poller per bot.
	for _, id := range c.tg.AccountIDs() {
		if want[id] {
			continue
		}
		old := c.tg.RemoveAccount(id)
		restartedAny = restartedAny || runs(old)
		c.stopAccount(ctx, providers.Telegram, id, old)
		removed = append(removed, id)
	}
	ack, window := telegramAck(&next.Config), telegramDebounce(&next.Config)
	meta := map[string]providers.AccountMeta{}
	for _, a := range tas {
		sec := a.section
		ac := telegramAccess(&sec, next.Config.Commands)
		meta[a.id] = telegramMeta(a, ac)
		old, had := c.tgKeys[a.id]
		if had && old == per[a.id] {
			if p, err := c.tg.Account(a.id); err == nil {
				if bot, ok := p.(*telegram.Provider); ok {
					bot.SetAck(ack)
					bot.SetDebounce(window)
				}
			}
			continue
		}
		bot := c.buildBot(&next.Config, a, &ac)
		prev := c.tg.ReplaceAccount(a.id, bot)
		restartedAny = restartedAny || runs(prev) || runs(bot)
		c.stopAccount(ctx, providers.Telegram, a.id, prev)
		_ = bot.Start(context.WithoutCancel(ctx)) // the bot logs its own failure
		if had {
			restarted = append(restarted, a.id)
		} else {
			added = append(added, a.id)
		}
	}
	c.tg.SetMeta(meta)
	c.tg.SetDefault(def)
	c.tgKeys = per
	if len(added)+len(removed)+len(restarted) > 0 {
		c.changed()
		// accounts are those (re)started: added or restarted.
		c.s.log.Info("telegram settings reloaded", "accounts", slices.Sorted(slices.Values(append(added, restarted...))), "added", added, "removed", removed)
	}
	return restartedAny
}

// telegramMeta is what channels.status shows of an account's config.
func telegramMeta(a tgAccount, ac access.Config) providers.AccountMeta {
	dm := string(ac.DMPolicy)
	if dm == "" {
		dm = string(access.DMPairing)
	}
	return providers.AccountMeta{Name: a.name, Enabled: a.enabled, TokenSource: a.source, DMPolicy: dm, AllowFrom: ac.AllowFrom}
}

// logoutTelegram serves channels.logout for a Telegram account as the original: the
// bot stops, and its botToken is removed from the config file (the channel-level one
// too for the default account); cleared says a token was removed, loggedOut that no
// token is left from any source, envToken that TELEGRAM_BOT_TOKEN is set. The bot
// does not restart unless a token remains (the reload that follows the file change
// rebuilds the accounts).
func (c *providersComponent) logoutTelegram(ctx context.Context, id string) (protocol.ChannelsLogoutResult, error) {
	c.tgMu.Lock()
	defer c.tgMu.Unlock()
	pr, err := c.reg.Provider(providers.Telegram)
	if err != nil {
		return protocol.ChannelsLogoutResult{}, err
	}
	set, ok := pr.(*providers.AccountSet)
	if !ok {
		return protocol.ChannelsLogoutResult{}, errors.New("telegram: accounts unavailable")
	}
	bot, err := set.Account(id)
	if err != nil {
		return protocol.ChannelsLogoutResult{}, providers.Input(err)
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	err = bot.Stop(sctx)
	cancel()
	if err != nil {
		return protocol.ChannelsLogoutResult{}, err
	}
	set.ReplaceAccount(id, providers.Unconfigured{Channel: providers.Telegram, Hint: "logged out (channels.logout)"})

	envSet := false
	if c.s.env != nil {
		v, ok := c.s.env(telegram.EnvToken)
		envSet = ok && strings.TrimSpace(v) != ""
	}
	cleared, next, err := c.removeTelegramToken(id)
	if err != nil {
		return protocol.ChannelsLogoutResult{}, err
	}
	loggedOut := true
	if next != nil {
		var t genconfig.ConfigChannelsTelegram
		if next.Config.Channels != nil && next.Config.Channels.Telegram != nil {
			t = *next.Config.Channels.Telegram
		}
		_, src := telegramToken(c.s, t, id)
		loggedOut = src == "none"
	} else if id == routing.DefaultAccountID && envSet {
		loggedOut = false
	}
	return protocol.ChannelsLogoutResult{Cleared: cleared, EnvToken: &envSet, LoggedOut: &loggedOut}, nil
}

// removeTelegramToken deletes account id's botToken from the config file (for the
// default account also channels.telegram.botToken) through a merge patch of the file
// as written. cleared reports whether a token was there; next is the file after the
// change (nil when there is no config file).
func (c *providersComponent) removeTelegramToken(id string) (cleared bool, next *config.File, err error) {
	path := c.s.paths.ConfigPath
	if path == "" {
		return false, nil, nil
	}
	cur, err := config.Load(path)
	if err != nil {
		return false, nil, fmt.Errorf("read config: %w", err)
	}
	if !cur.Exists {
		return false, cur, nil
	}
	var t genconfig.ConfigChannelsTelegram
	if cur.Config.Channels != nil && cur.Config.Channels.Telegram != nil {
		t = *cur.Config.Channels.Telegram
	}
	patch := map[string]any{}
	if id == routing.DefaultAccountID && t.BotToken != nil {
		cleared = cleared || strings.TrimSpace(*t.BotToken) != ""
		patch["botToken"] = nil
	}
	for k, a := range t.Accounts {
		if routing.NormalizeAccountID(k) != id || a.BotToken == nil {
			continue
		}
		cleared = cleared || strings.TrimSpace(*a.BotToken) != ""
		patch["accounts"] = map[string]any{k: map[string]any{"botToken": nil}}
	}
	if len(patch) == 0 {
		return false, cur, nil
	}
	raw, _ := json.Marshal(map[string]any{"channels": map[string]any{"telegram": patch}})
	out, err := config.PatchFile(cur, raw)
	if err != nil {
		return false, nil, fmt.Errorf("remove telegram token: %w", err)
	}
	if err := config.Save(path, out); err != nil {
		return false, nil, fmt.Errorf("write config: %w", err)
	}
	next, err = config.Load(path)
	if err != nil {
		return cleared, nil, fmt.Errorf("re-read config: %w", err)
	}
	return cleared, next, nil
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
func telegramAccess(t *genconfig.ConfigChannelsTelegram, cmds *genconfig.ConfigCommands) access.Config {
	if t == nil {
		return access.Config{CommandsBypassAccess: commandsBypassAccess(cmds)}
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
			// A forum topic's entry: its settings over its group's (a disabled
			// group stays disabled in all its topics).
			for tid, tc := range g.Topics {
				at := ag
				if tc.Enabled != nil && (ag.Enabled == nil || *ag.Enabled) {
					at.Enabled = tc.Enabled
				}
				if tc.RequireMention != nil {
					at.RequireMention = tc.RequireMention
				}
				if tc.AllowFrom != nil {
					at.AllowFrom = idStrings(tc.AllowFrom)
				}
				a.Groups[id+access.TopicSep+tid] = at
			}
		}
	}
	return access.Config{Account: a, CommandsBypassAccess: commandsBypassAccess(cmds)}
}

// whatsappAccess is the access configuration of channels.whatsapp.
func whatsappAccess(w *genconfig.ConfigChannelsWhatsapp, cmds *genconfig.ConfigCommands) access.Config {
	if w == nil {
		return access.Config{CommandsBypassAccess: commandsBypassAccess(cmds)}
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
	return access.Config{Account: a, CommandsBypassAccess: commandsBypassAccess(cmds)}
}

// commandsBypassAccess is commands.useAccessGroups false: chat commands skip the
// channels' allow lists (default true: they apply).
func commandsBypassAccess(c *genconfig.ConfigCommands) bool {
	return c != nil && c.UseAccessGroups != nil && !*c.UseAccessGroups
}

// telegramRetry is channels.telegram.retry over the original's defaults.
func telegramRetry(r *genconfig.ConfigChannelsTelegramRetry) telegram.RetryPolicy {
	p := telegram.DefaultRetry()
	if r == nil {
		return p
	}
	if r.Attempts != nil && *r.Attempts >= 1 {
		p.Attempts = *r.Attempts
	}
	if r.MinDelayMs != nil && *r.MinDelayMs >= 0 {
		p.MinDelay = time.Duration(*r.MinDelayMs) * time.Millisecond
	}
	if r.MaxDelayMs != nil && *r.MaxDelayMs >= 0 {
		p.MaxDelay = time.Duration(*r.MaxDelayMs) * time.Millisecond
	}
	if r.Jitter != nil {
		p.Jitter = *r.Jitter
	}
	return p
}
