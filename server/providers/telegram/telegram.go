// Package telegram is the Telegram bot provider: telego over net/http against the Bot
// API (or any server at telegram.apiBaseUrl), long polling for inbound updates.
// Webhook mode is not implemented: a configured mode "webhook" is reported in status
// and the provider falls back to long polling (which the Bot API refuses while a
// webhook is set, so we delete it at start).
package telegram

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/mymmrac/telego"
	"github.com/mymmrac/telego/telegoapi"
	tu "github.com/mymmrac/telego/telegoutil"

	"github.com/clawgate/gateway/server/access"
	"github.com/clawgate/gateway/server/chunk"
	"github.com/clawgate/gateway/server/clock"
	"github.com/clawgate/gateway/server/grouphistory"
	"github.com/clawgate/gateway/server/mdtables"
	"github.com/clawgate/gateway/server/media"
	"github.com/clawgate/gateway/server/pairing"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/providers/debounce"
	"github.com/clawgate/gateway/server/providers/telegram/tghtml"
	"github.com/clawgate/gateway/server/providers/telegram/tgstream"
)

// EnvToken is the environment variable read when telegram.botToken is not set.
const EnvToken = "TELEGRAM_BOT_TOKEN"

// Limits of the Bot API we respect.
const (
	// MaxTextChars is the longest text one sendMessage takes; longer text is split.
	MaxTextChars = 4096
	// MaxCaptionChars is the longest media caption; longer text goes in its own message.
	MaxCaptionChars = 1024
	// DefaultPollTimeout is the long-poll wait per getUpdates.
	DefaultPollTimeout = 25 * time.Second
	// DefaultRequestTimeout bounds one API call other than getUpdates.
	DefaultRequestTimeout = 30 * time.Second
	// DefaultDownloadTimeout bounds one inbound file download.
	DefaultDownloadTimeout = 2 * time.Minute
	// DefaultMediaMaxMB is channels.telegram.mediaMaxMb's default (the original's 5 MB):
	// inbound files above it are refused.
	DefaultMediaMaxMB = 5
	// DefaultStopFlushTimeout bounds the late delivery of what a timed-out Stop left
	// held (albums, debounced texts; see Stop): a few media downloads' worth.
	DefaultStopFlushTimeout = 5 * time.Minute
	// maxBackoff caps the wait between failed polls.
	maxBackoff = time.Minute
)

// Config configures the provider.
type Config struct {
	// AccountID is the channels.telegram.accounts key this bot serves ("" =
	// "default"); inbound messages carry it, so replies go out through this bot.
	AccountID  string
	Token      string
	APIBaseURL string // "" = the public Bot API
	AllowFrom  []string
	// WebhookURL, when set, is the public URL Telegram posts updates to
	// (channels.telegram.webhookUrl) instead of the bot long-polling; WebhookListen
	// (DefaultWebhookListen when "") serves WebhookPath (DefaultWebhookPath when "")
	// behind it, and WebhookSecret is checked on every post (webhook.go).
	WebhookURL, WebhookSecret, WebhookPath, WebhookListen string
	// PollTimeout is the getUpdates long-poll wait (DefaultPollTimeout when 0).
	PollTimeout time.Duration
	// HTTPClient makes API calls (a client without timeout is fine: every call has a
	// context deadline).
	HTTPClient *http.Client
	Inbound    providers.Inbound
	// Access, when set, decides who reaches the agent by issue 21's rules (dmPolicy
	// pairing by default, groupPolicy allowlist, mention gating) instead of AllowFrom
	// alone, whose empty list admits everyone. Access.AllowFrom should carry the
	// configured allowFrom; Normalize defaults to this provider's id normaliser.
	Access *access.Config
	// Pairing is the channel pairing store (approvals, pending codes); used with Access.
	Pairing *pairing.Store
	// History keeps unanswered group messages for context (optional, with Access).
	History *grouphistory.Buffer
	// ChunkLimit is channels.telegram.textChunkLimit: replies longer than it are split
	// (chunk.LimitFor: 4000 when 0, at most the Bot API's 4096).
	ChunkLimit int
	// ChunkMode is channels.telegram.chunkMode: chunk.ModeNewline sends each paragraph
	// of a reply as its own message ("" = chunk.ModeLength).
	ChunkMode string
	// Tables is channels.telegram.markdown.tables: how Markdown tables of replies are
	// rewritten before they are rendered (tghtml.ConvertTables; "" = code).
	Tables string
	// StreamMode is channels.telegram.streamMode (tgstream.ParseMode: partial when "").
	StreamMode string
	// DraftMin, DraftMax and DraftBreak are channels.telegram.draftChunk: how the
	// shown reply grows under streamMode "block" (tgstream.Options; 0/"": defaults).
	DraftMin, DraftMax int
	DraftBreak         string
	// ReplyToMode is channels.telegram.replyToMode: whether a reply naming a message
	// (providers.Outbound.ReplyTo, a reply tag) is threaded under it — "off", "first"
	// (the first message of the reply; the default, "" included) or "all".
	ReplyToMode string
	// EditInterval throttles streamed edits (tgstream.DefaultEditInterval when 0).
	EditInterval time.Duration
	// Retry is channels.telegram.retry for sends (DefaultRetry when Attempts is 0).
	Retry RetryPolicy
	// RequestTimeout bounds one attempt of a send (channels.telegram.timeoutSeconds;
	// DefaultRequestTimeout when 0).
	RequestTimeout time.Duration
	// NoLinkPreview sends replies without link previews (channels.telegram.linkPreview
	// false; previews are on by default, as in the original).
	NoLinkPreview bool
	// GroupPrompts are the groups' extra instructions by chat id ("*": any group
	// without its own entry), channels.telegram.groups.<id>.systemPrompt; a group
	// message's run gets its group's.
	GroupPrompts map[string]string
	// Commands is the command menu registered at start (commands.go).
	Commands Commands
	// TypingInterval re-sends "typing" during a run (tgstream.DefaultTypingInterval when 0).
	TypingInterval time.Duration
	Logger         *slog.Logger
	// OnChange is called when the running state or last error changes (health refresh).
	OnChange func()
	// MediaStore keeps inbound photos, voice notes and documents (nil: media is not
	// downloaded; the agent gets the caption or a placeholder).
	MediaStore *media.Store
	// Understand describes and transcribes media and summarises links (tools.media,
	// tools.links; nil: off, voice notes get a placeholder).
	Understand providers.Understander
	// MediaMaxMB is channels.telegram.mediaMaxMb (DefaultMediaMaxMB when 0).
	MediaMaxMB int
	// MediaHTTPClient downloads media sent by URL (media.HTTPClient when nil).
	MediaHTTPClient *http.Client
	// Ack is the ack reaction (messages.ackReaction*; see ack.go).
	Ack AckConfig
	// AlbumWindow is how long an album collects parts after its latest one
	// (DefaultAlbumWindow when 0; see albums.go).
	AlbumWindow time.Duration
	// AlbumMaxParts and AlbumMaxPending bound the album buffer
	// (DefaultAlbumMaxParts, DefaultAlbumMaxPending when 0).
	AlbumMaxParts, AlbumMaxPending int
	// Debounce is the inbound debounce window (messages.inbound; 0: off; see
	// debounce.go), changed live by SetDebounce.
	Debounce time.Duration
	// DebounceMaxParts and DebounceMaxPending bound the debounce buffer
	// (debounce.DefaultMaxParts, debounce.DefaultMaxPending when 0).
	DebounceMaxParts, DebounceMaxPending int
	// StopFlushTimeout bounds the late delivery of what a timed-out Stop left held
	// (DefaultStopFlushTimeout when 0).
	StopFlushTimeout time.Duration
	// Clock times the album and debounce windows (clock.Real when nil; tests inject a
	// fake).
	Clock clock.Clock
	// MentionPatterns names the agent a group message goes to by name (see
	// providers.Guard.MentionPatterns); nil: only explicit mentions and replies count.
	MentionPatterns func(m providers.Message) []*regexp.Regexp
}

// Provider is the Telegram bot. Create with New.
type Provider struct {
	cfg   Config
	bot   *telego.Bot
	log   *slog.Logger
	gate  *providers.Gate
	guard *providers.Guard // set when Config.Access is
	botID int64
	acks  providers.AckTracker // acks to clear after the reply (ack.go)
	// ackCfg is the ack reaction in force (Config.Ack, replaced by SetAck on a reload).
	ackCfg atomic.Pointer[AckConfig]

	mu       sync.Mutex
	running  bool
	lastErr  string
	username string
	hookAddr string // the webhook listener's address while it serves (webhook.go)
	// hookSecret is the webhook's secret token: Config.WebhookSecret, else a random
	// one per run (set by the poller goroutine before it serves; read only there).
	hookSecret string
	cancel     context.CancelFunc
	done       chan struct{}
	albums     *albums // of the running poller
	// debounce is the debounce window in force (Config.Debounce, SetDebounce) and
	// the running poller's buffer (debounce.go).
	debounce debounce.Slot[debounceKey, []*telego.Message]
}

// New validates cfg and builds the bot (no network).
func New(cfg Config) (*Provider, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.PollTimeout <= 0 {
		cfg.PollTimeout = DefaultPollTimeout
	}
	if cfg.AlbumWindow <= 0 {
		cfg.AlbumWindow = DefaultAlbumWindow
	}
	if cfg.AlbumMaxParts <= 0 {
		cfg.AlbumMaxParts = DefaultAlbumMaxParts
	}
	if cfg.AlbumMaxPending <= 0 {
		cfg.AlbumMaxPending = DefaultAlbumMaxPending
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	if cfg.Retry.Attempts <= 0 {
		cfg.Retry = DefaultRetry()
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.StopFlushTimeout <= 0 {
		cfg.StopFlushTimeout = DefaultStopFlushTimeout
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	if cfg.MediaHTTPClient == nil {
		cfg.MediaHTTPClient = media.HTTPClient(DefaultRequestTimeout)
	}
	opts := []telego.BotOption{telego.WithHTTPClient(cfg.HTTPClient), telego.WithDiscardLogger()}
	if cfg.APIBaseURL != "" {
		u, err := url.Parse(cfg.APIBaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("telegram: apiBaseUrl %q is not an http(s) URL", cfg.APIBaseURL)
		}
		opts = append(opts, telego.WithAPIServer(strings.TrimRight(cfg.APIBaseURL, "/")))
	}
	bot, err := telego.NewBot(strings.TrimSpace(cfg.Token), opts...)
	if err != nil {
		return nil, fmt.Errorf("telegram: %w", err)
	}
	cfg.AccountID = providers.NormalizeAccountID(cfg.AccountID)
	log := cfg.Logger.With("channel", providers.Telegram, "account", cfg.AccountID)
	custom, issues := ResolveCustomCommands(cfg.Commands.Custom)
	for _, is := range issues {
		log.Warn("telegram custom command skipped: " + is)
	}
	cfg.Commands.Custom = custom
	p := &Provider{cfg: cfg, bot: bot, log: log}
	p.SetAck(cfg.Ack)
	p.debounce.SetWindow(cfg.Debounce)
	if cfg.MediaMaxMB <= 0 {
		cfg.MediaMaxMB = DefaultMediaMaxMB
	}
	// Admitted messages pass the media stage, which downloads what they carry, then the
	// ack (ack.go: only messages that go on to the agent are acked).
	cfg.Inbound = &ackStage{p: p, next: cfg.Inbound}
	cfg.Inbound = &providers.MediaStage{Channel: providers.Telegram, Store: cfg.MediaStore, Understand: cfg.Understand,
		MaxMB: cfg.MediaMaxMB, Reply: p.replyText, Next: cfg.Inbound, Log: log}
	p.cfg = cfg
	p.botID, _ = strconv.ParseInt(strings.SplitN(strings.TrimSpace(cfg.Token), ":", 2)[0], 10, 64)
	if cfg.Access != nil {
		ac := *cfg.Access
		if ac.Normalize == nil {
			ac.Normalize = normID
		}
		ac.ApprovedInGroups = true // as the original does for Telegram
		if err := ac.Validate(); err != nil {
			return nil, fmt.Errorf("telegram: %w", err)
		}
		p.guard = &providers.Guard{Channel: providers.Telegram, Access: ac, Pairing: cfg.Pairing, History: cfg.History,
			Label: "Telegram", Next: cfg.Inbound, Log: log, Reply: p.replyText, MentionPatterns: cfg.MentionPatterns}
		return p, nil
	}
	allow := providers.NewAllowList(cfg.AllowFrom, normID)
	if allow.Open() {
		log.Warn("telegram.allowFrom is empty or \"*\": every Telegram user can talk to the agent")
	}
	p.gate = &providers.Gate{Allow: allow, Next: cfg.Inbound, Log: log}
	return p, nil
}

// SetAccess replaces the access settings on a config reload (only for a provider
// built with Config.Access).
func (p *Provider) SetAccess(c access.Config) error {
	if p.guard == nil {
		return errors.New("telegram: provider was built without access settings")
	}
	if c.Normalize == nil {
		c.Normalize = normID
	}
	c.ApprovedInGroups = true
	return p.guard.SetAccess(c)
}

// replyText sends a plain text (the pairing code) to a chat.
func (p *Provider) replyText(ctx context.Context, chat, text string) error {
	cid, err := chatID(chat)
	if err != nil {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, DefaultRequestTimeout)
	defer cancel()
	if _, err = p.bot.SendMessage(rctx, &telego.SendMessageParams{ChatID: cid, MessageThreadID: sendThread(chat), Text: text}); err != nil {
		return mapErr(err, chat)
	}
	return nil
}

// normID normalises an allowFrom entry or sender identity: ids as digits, usernames
// lower-case with a leading "@".
func normID(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "telegram:")
	if s == "" {
		return ""
	}
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return s
	}
	return "@" + strings.ToLower(strings.TrimPrefix(s, "@"))
}

// Name implements providers.Provider.
func (p *Provider) Name() string { return providers.Telegram }

// Start begins long polling in the background.
func (p *Provider) Start(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cancel != nil {
		return nil
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p.cancel = cancel
	p.done = make(chan struct{})
	deb := p.newDebouncer()
	p.albums = newAlbums(p.cfg.Clock, p.cfg.AlbumWindow, p.cfg.AlbumMaxParts, p.cfg.AlbumMaxPending, deb.route)
	go p.poll(ctx, p.done, p.albums)
	return nil
}

// Stop ends polling, waits for the poller (an in-flight getUpdates is cancelled) and
// delivers the albums still collecting parts and the texts held by the debounce
// window, with ctx, rather than dropping them. When ctx ends before the poller does
// (it is stuck handing a message on), Stop returns an error and the held messages
// go on once the poller has ended (flushLate).
func (p *Provider) Stop(ctx context.Context) error {
	p.mu.Lock()
	cancel, done, ab, deb := p.cancel, p.done, p.albums, p.debounce.Detach()
	p.cancel, p.done, p.albums = nil, nil, nil
	p.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
	case <-ctx.Done():
		p.flushLate(ctx, done, ab, deb)
		return fmt.Errorf("telegram: poller did not stop: %w", ctx.Err())
	}
	ab.close(ctx) // albums go on through the debouncer, which then delivers the rest
	deb.Close(ctx)
	return nil
}

// flushLate delivers what the album and debounce buffers hold after a Stop that gave
// up waiting for the poller. Their windows ended with the poll context, so only Close
// sends them on; Close waits for the delivery the poller is stuck in, so it runs once
// the poller has ended, with a context of its own (ctx's values, not its end) bounded
// by Config.StopFlushTimeout. The warning says what is held meanwhile, so nothing is
// lost without a trace should the process exit first.
func (p *Provider) flushLate(ctx context.Context, done <-chan struct{}, ab *albums, deb *debounce.Buffer[debounceKey, []*telego.Message]) {
	p.log.Warn("telegram poller did not stop in time; held messages go on once it ends",
		"albums", ab.b.Pending(), "debounced", deb.Pending())
	go func() {
		<-done
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.cfg.StopFlushTimeout)
		defer cancel()
		albums, texts := ab.b.Pending(), deb.Pending()
		ab.close(fctx)
		deb.Close(fctx)
		p.log.Info("telegram poller ended after a timed-out stop; held messages delivered", "albums", albums, "debounced", texts)
	}()
}

func (p *Provider) setState(running bool, lastErr string) {
	p.mu.Lock()
	changed := p.running != running || p.lastErr != lastErr
	p.running, p.lastErr = running, lastErr
	p.mu.Unlock()
	if changed && p.cfg.OnChange != nil {
		p.cfg.OnChange()
	}
}

// poll is the long-polling loop: getMe once, drop a webhook, then getUpdates until ctx
// ends, backing off (1 s doubling to a minute) after errors. A rejected token stops
// the loop: retrying cannot fix it.
func (p *Provider) poll(ctx context.Context, done chan struct{}, ab *albums) {
	defer close(done)
	defer func() { p.setState(false, p.LastError()) }()
	backoff := time.Second
	wait := func() bool {
		t := time.NewTimer(backoff)
		defer t.Stop()
		backoff = min(backoff*2, maxBackoff)
		select {
		case <-t.C:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for {
		if _, err := p.getMe(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			err = mapErr(err, "")
			p.setState(false, err.Error())
			p.log.Warn("telegram getMe failed", "err", err)
			if errors.Is(err, ErrTokenRejected) || !wait() {
				return
			}
			continue
		}
		break
	}
	p.registerCommands(ctx)
	if p.cfg.WebhookURL != "" {
		p.serveWebhook(ctx, ab, wait)
		return
	}
	rctx, cancel := context.WithTimeout(ctx, DefaultRequestTimeout)
	_ = p.bot.DeleteWebhook(rctx, &telego.DeleteWebhookParams{})
	cancel()
	p.setState(true, "")
	p.log.Info("telegram bot polling", "bot", p.Username())
	params := &telego.GetUpdatesParams{Timeout: int(p.cfg.PollTimeout / time.Second)}
	backoff = time.Second
	for ctx.Err() == nil {
		rctx, cancel := context.WithTimeout(ctx, p.cfg.PollTimeout+DefaultRequestTimeout)
		ups, err := p.bot.GetUpdates(rctx, params)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			err = mapErr(err, "")
			p.setState(true, err.Error())
			p.log.Warn("telegram getUpdates failed", "err", err)
			if errors.Is(err, ErrTokenRejected) || !wait() {
				return
			}
			continue
		}
		backoff = time.Second
		if p.LastError() != "" {
			p.setState(true, "")
		}
		for _, u := range ups {
			if u.UpdateID >= params.Offset {
				params.Offset = u.UpdateID + 1
			}
			p.handle(ctx, u, ab)
		}
	}
}

// handle routes an update's message: an album part to the album buffer, anything else
// straight on (after its sender's albums in that chat).
func (p *Provider) handle(ctx context.Context, u telego.Update, ab *albums) {
	m := u.Message
	if m == nil || m.From == nil || m.From.IsBot {
		return
	}
	if m.MediaGroupID != "" {
		ab.add(ctx, m)
		return
	}
	ab.single(ctx, m)
}

// deliver turns one message, or the parts of an album, into one inbound message and
// runs it through the access rules once: the part with the caption (else the first)
// is the message, whose id, entities (mention gating) and sender count, and every
// part's file goes along.
func (p *Provider) deliver(ctx context.Context, parts []*telego.Message) {
	parts = slices.Clone(parts)
	slices.SortStableFunc(parts, func(a, b *telego.Message) int { return cmp.Compare(a.MessageID, b.MessageID) })
	m := parts[0]
	for _, x := range parts {
		if x.Text != "" || x.Caption != "" {
			m = x
			break
		}
	}
	text := m.Text
	if text == "" {
		text = m.Caption
	}
	var files []*providers.InboundMedia
	for _, x := range parts {
		if in := p.inboundMedia(x); in != nil {
			files = append(files, in)
		}
	}
	if text == "" && len(files) > 0 {
		text = albumPlaceholder(files)
	}
	p.emit(ctx, m, text, files, nil)
}

// emit builds the inbound message of m (text its body, files its media) and runs it
// through the access rules. burst, when set, are the texts a debounce window combined
// into m (debounce.go): the message takes the last one's id (the reply target and run
// id) and time, and a mention in any of them counts.
func (p *Provider) emit(ctx context.Context, m *telego.Message, text string, files []*providers.InboundMedia, burst []*telego.Message) {
	if text == "" {
		return
	}
	from := strconv.FormatInt(m.From.ID, 10)
	name := strings.TrimSpace(m.From.FirstName + " " + m.From.LastName)
	msg := providers.Message{
		Channel:        providers.Telegram,
		AccountID:      p.cfg.AccountID,
		From:           from,
		SenderName:     name,
		SenderUsername: m.From.Username,
		ChatID:         groupPeer(m),
		ChatTitle:      m.Chat.Title,
		MessageID:      strconv.Itoa(m.MessageID),
		Text:           text,
		Group:          m.Chat.Type == "group" || m.Chat.Type == "supergroup",
		Time:           time.Unix(m.Date, 0),
		Media:          files,
	}
	if msg.Group {
		msg.SystemPrompt = groupPrompt(p.cfg.GroupPrompts, msg.ChatID)
	}
	if len(burst) > 0 {
		last := burst[len(burst)-1]
		msg.MessageID, msg.Time = strconv.Itoa(last.MessageID), time.Unix(last.Date, 0)
	}
	if p.guard != nil {
		p.admit(ctx, m, msg, text, burst)
		return
	}
	// allowFrom may name the user (id or @username) or the chat (id).
	ids := []string{from, msg.ChatID}
	if m.From.Username != "" {
		ids = append(ids, "@"+m.From.Username)
	}
	p.gate.Deliver(ctx, msg, ids...)
}

// groupPrompt is the extra instructions of group chat: its own entry, else "*"'s
// (the entry is picked as a whole, as the original picks the group's settings). A
// forum topic ("<chat>:topic:<thread>") takes its entry's topic key when there is
// one (the group's prompt and the topic's, joined by the daemon).
func groupPrompt(prompts map[string]string, chat string) string {
	group, topic, isTopic := strings.Cut(chat, access.TopicSep)
	if _, ok := prompts[group]; !ok {
		group = access.Wildcard
	}
	if p, ok := prompts[group+access.TopicSep+topic]; isTopic && ok {
		return p
	}
	return prompts[group]
}

// GeneralTopicID is the thread id of a forum's General topic: a forum message
// without message_thread_id belongs to it.
const GeneralTopicID = 1

// forumThread is the forum topic of a group message (0 when its chat is no forum).
// Only forum supergroups count: in other groups message_thread_id names a reply
// thread, which does not get a session of its own.
func forumThread(m *telego.Message) int {
	if !m.Chat.IsForum || m.Chat.Type != "supergroup" {
		return 0
	}
	if m.MessageThreadID == 0 {
		return GeneralTopicID
	}
	return m.MessageThreadID
}

// groupPeer is where m's conversation lives: its chat id, or for a forum topic
// "<chat>:topic:<thread>" (the original's peer id of a topic), which keys its session,
// group history and settings and addresses the reply to the topic.
func groupPeer(m *telego.Message) string {
	id := strconv.FormatInt(m.Chat.ID, 10)
	if t := forumThread(m); t != 0 {
		return id + access.TopicSep + strconv.Itoa(t)
	}
	return id
}

// splitTopic cuts a recipient "<chat>:topic:<thread>" into the chat and the thread
// (0 when to names no topic).
func splitTopic(to string) (chat string, thread int) {
	chat, t, ok := strings.Cut(to, access.TopicSep)
	if !ok {
		return to, 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(t))
	if err != nil || n <= 0 {
		return to, 0
	}
	return chat, n
}

// sendThread is message_thread_id of a send to recipient to: its topic, except
// General, where Telegram refuses the thread id on sends ("thread not found").
func sendThread(to string) int {
	if _, t := splitTopic(to); t != GeneralTopicID {
		return t
	}
	return 0
}

// inboundMedia describes a message's file (the largest photo size within the cap,
// voice, audio, video, document, sticker); nil when it has none. The download happens
// in the media stage, after the message is admitted.
func (p *Provider) inboundMedia(m *telego.Message) *providers.InboundMedia {
	var (
		kind, id, ct, name string
		size               int64
	)
	switch {
	case len(m.Photo) > 0:
		// Sizes come smallest first: take the largest within the image cap, else the
		// smallest (which the stage then refuses as too large).
		limit := media.MaxBytesFor(media.Image, p.cfg.MediaMaxMB)
		best := m.Photo[0]
		for _, ps := range m.Photo {
			if int64(ps.FileSize) <= limit && ps.FileSize >= best.FileSize {
				best = ps
			}
		}
		kind, id, size = "photo", best.FileID, int64(best.FileSize)
	case m.Voice != nil:
		kind, id, ct, size = "voice", m.Voice.FileID, m.Voice.MimeType, m.Voice.FileSize
	case m.Audio != nil:
		kind, id, ct, name, size = "audio", m.Audio.FileID, m.Audio.MimeType, m.Audio.FileName, m.Audio.FileSize
	case m.Video != nil:
		kind, id, ct, name, size = "video", m.Video.FileID, m.Video.MimeType, m.Video.FileName, m.Video.FileSize
	case m.VideoNote != nil:
		kind, id, size = "video_note", m.VideoNote.FileID, int64(m.VideoNote.FileSize)
	case m.Animation != nil:
		kind, id, ct, name, size = "animation", m.Animation.FileID, m.Animation.MimeType, m.Animation.FileName, m.Animation.FileSize
	case m.Document != nil:
		kind, id, ct, name, size = "document", m.Document.FileID, m.Document.MimeType, m.Document.FileName, m.Document.FileSize
	case m.Sticker != nil:
		kind, id, size = "sticker", m.Sticker.FileID, int64(m.Sticker.FileSize)
	default:
		return nil
	}
	return &providers.InboundMedia{Kind: kind, ContentType: ct, FileName: name, Size: size,
		Open: func(ctx context.Context) (io.ReadCloser, error) { return p.download(ctx, id) }}
}

// download fetches a file: getFile for its path, then GET <api>/file/bot<token>/<path>.
func (p *Provider) download(ctx context.Context, fileID string) (io.ReadCloser, error) {
	rctx, cancel := context.WithTimeout(ctx, DefaultRequestTimeout)
	f, err := p.bot.GetFile(rctx, &telego.GetFileParams{FileID: fileID})
	cancel()
	if err != nil {
		return nil, fmt.Errorf("telegram: getFile: %w", mapErr(err, ""))
	}
	if f.FilePath == "" {
		return nil, errors.New("telegram: getFile returned no file path")
	}
	// The body is read by the media store within its cap; DefaultDownloadTimeout
	// bounds the whole transfer.
	dctx, dcancel := context.WithTimeout(ctx, DefaultDownloadTimeout)
	req, err := http.NewRequestWithContext(dctx, http.MethodGet, p.bot.FileDownloadURL(f.FilePath), nil)
	if err != nil {
		dcancel()
		return nil, fmt.Errorf("telegram: download: %w", err)
	}
	resp, err := p.cfg.HTTPClient.Do(req)
	if err != nil {
		dcancel()
		// The URL carries the token: report the error without it.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("telegram: download: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		dcancel()
		return nil, fmt.Errorf("telegram: download: HTTP %d", resp.StatusCode)
	}
	return &cancelOnClose{ReadCloser: resp.Body, cancel: dcancel}, nil
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// admit runs a message through the access guard: the sender's id and @username
// identify them (in a DM the chat id is the user id, as the original pairs it). A
// mention in any text of a debounced burst counts.
func (p *Provider) admit(ctx context.Context, m *telego.Message, msg providers.Message, text string, burst []*telego.Message) {
	ids := []string{msg.From}
	if m.From.Username != "" {
		ids = append(ids, "@"+m.From.Username)
	}
	tm := accessMessage(m, text)
	mentioned := access.MentionedTelegram(tm, p.Username(), p.botID)
	for _, x := range burst {
		if mentioned {
			break
		}
		mentioned = access.MentionedTelegram(accessMessage(x, cmp.Or(x.Text, x.Caption)), p.Username(), p.botID)
	}
	_, isCmd := access.TelegramCommand(tm, p.Username())
	am := access.Message{
		AccountID:  msg.AccountID,
		Group:      msg.Group,
		GroupID:    msg.ChatID,
		SenderIDs:  ids,
		Mentioned:  mentioned,
		AnyMention: p.Username() != "" && anyAtMention(m, burst),
		Command:    isCmd,
	}
	am.Mentioned = am.Mentioned || p.guard.MentionedByName(msg, am)
	msg.Mentioned = msg.Group && (am.Mentioned || am.Command)
	ctx = providers.WithAckFacts(ctx, providers.AckFacts{Group: msg.Group, Mentioned: am.Mentioned || am.Command})
	p.guard.Admit(ctx, msg, am, "Your Telegram user id: "+msg.From)
}

// accessMessage is what mention gating and command detection read of m: text with
// its entities, and whom it replies to.
// anyAtMention reports whether m or a message of its burst @mentions anyone (a
// "mention" entity): then only a mention of the bot counts, not its name.
func anyAtMention(m *telego.Message, burst []*telego.Message) bool {
	for _, x := range append([]*telego.Message{m}, burst...) {
		for _, e := range accessMessage(x, "").Entities {
			if e.Type == "mention" {
				return true
			}
		}
	}
	return false
}

func accessMessage(m *telego.Message, text string) access.TelegramMessage {
	tm := access.TelegramMessage{Text: text}
	ents := m.Entities
	if m.Text == "" {
		ents = m.CaptionEntities
	}
	for _, e := range ents {
		te := access.TelegramEntity{Type: e.Type, Offset: e.Offset, Length: e.Length}
		if e.User != nil {
			te.UserID = e.User.ID
		}
		tm.Entities = append(tm.Entities, te)
	}
	if r := m.ReplyToMessage; r != nil && r.From != nil {
		tm.ReplyToFromID = r.From.ID
	}
	return tm
}

// LastError is the last API error ("" when the last call worked).
func (p *Provider) LastError() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastErr
}

// Username is the bot's username from the last getMe ("" before).
func (p *Provider) Username() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.username
}

func (p *Provider) getMe(ctx context.Context) (*telego.User, error) {
	rctx, cancel := context.WithTimeout(ctx, DefaultRequestTimeout)
	defer cancel()
	u, err := p.bot.GetMe(rctx)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.username = u.Username
	p.mu.Unlock()
	return u, nil
}

// Probe calls getMe and returns its result.
func (p *Provider) Probe(ctx context.Context) (*telego.User, error) {
	u, err := p.getMe(ctx)
	if err != nil {
		return nil, mapErr(err, "")
	}
	return u, nil
}

// Status implements providers.Provider.
func (p *Provider) Status(ctx context.Context, probe bool) providers.Status {
	st := providers.Status{Configured: true, Mode: "polling"}
	if p.cfg.WebhookURL != "" {
		st.Mode = "webhook"
	}
	if probe {
		start := time.Now()
		u, err := p.Probe(ctx)
		res := map[string]any{"ok": err == nil, "elapsedMs": time.Since(start).Milliseconds()}
		if err != nil {
			res["error"] = err.Error()
		} else {
			res["bot"] = map[string]any{"id": u.ID, "username": u.Username}
		}
		st.Probe, _ = json.Marshal(res)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	st.Running = p.running
	st.LastError = p.lastErr
	st.Username = p.username
	if p.running {
		st.ConnState = "polling"
	} else {
		st.ConnState = "stopped"
	}
	return st
}

// ErrTokenRejected is returned when the Bot API answers 401.
var ErrTokenRejected = errors.New("telegram: bot token rejected (401 Unauthorized); check telegram.botToken / " + EnvToken)

// mapErr turns Bot API errors into clear ones; chat names the recipient for 400s.
func mapErr(err error, chat string) error {
	var ae *telegoapi.Error
	if !errors.As(err, &ae) {
		return fmt.Errorf("telegram: %w", err)
	}
	desc := strings.ToLower(ae.Description)
	switch {
	case ae.ErrorCode == 401:
		return ErrTokenRejected
	case ae.ErrorCode == 400 && strings.Contains(desc, "chat not found"):
		return providers.Inputf("telegram: chat %s not found (the user must start a conversation with the bot first): %w", chat, err)
	case ae.ErrorCode == 403:
		return providers.Inputf("telegram: not allowed to message chat %s (%s): %w", chat, ae.Description, err)
	case ae.ErrorCode == 400:
		return providers.Inputf("telegram: request rejected for chat %s (%s): %w", chat, ae.Description, err)
	case ae.ErrorCode == 429:
		return fmt.Errorf("telegram: rate limited: %w", err)
	}
	return fmt.Errorf("telegram: %w", err)
}

// chatID parses a recipient: a numeric chat id or an @channel username, optionally
// with a forum topic ("<chat>:topic:<thread>", see splitTopic; "group:" before it is
// accepted as the original's internal form).
func chatID(to string) (telego.ChatID, error) {
	to = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(to), "telegram:"))
	to = strings.TrimPrefix(to, "group:")
	to, _ = splitTopic(to)
	if n, err := strconv.ParseInt(to, 10, 64); err == nil {
		return telego.ChatID{ID: n}, nil
	}
	if strings.HasPrefix(to, "@") && len(to) > 1 && !strings.ContainsAny(to, " /") {
		return telego.ChatID{Username: to}, nil
	}
	return telego.ChatID{}, providers.Inputf("telegram: %q is not a chat id (use the numeric id or @channelname)", to)
}

// Send implements providers.Provider: text (split at the chunk limit), or a file with
// the text as caption when it fits, else as a following message. The file is a local
// one (MediaPath, a reply's media the caller vetted) or one downloaded from MediaURL
// (media.Fetch, at most MaxUploadBytes); either is uploaded with the method its
// sniffed type calls for (photo, animation, video, audio, else document).
func (p *Provider) Send(ctx context.Context, m providers.Outbound) (providers.Sent, error) {
	cid, err := chatID(m.To)
	if err != nil {
		return providers.Sent{}, err
	}
	thread := sendThread(m.To)
	text := tghtml.ConvertTables(strings.TrimSpace(m.Text), p.cfg.Tables)
	var first *telego.Message
	replyTo, replyAll := p.replyTo(m.ReplyTo)
	// nextReply is the reply_to of the next message this Send puts out.
	nextReply := func() int64 {
		if first != nil && !replyAll {
			return 0
		}
		return replyTo
	}
	if fp := strings.TrimSpace(m.MediaPath); fp != "" {
		var capt tghtml.Text
		if utf8.RuneCountInString(text) <= MaxCaptionChars {
			capt, text = tghtml.Render(text), ""
		}
		if err = p.withCaption(capt, thread, func(c caption) (err error) {
			c.replyTo = replyTo
			return p.withRetry(ctx, func(ctx context.Context) (err error) {
				first, err = p.sendFile(ctx, cid, fp, c, m.AudioAsVoice)
				return err
			})
		}); err != nil {
			return providers.Sent{}, err
		}
	} else if mu := strings.TrimSpace(m.MediaURL); mu != "" {
		fctx, cancel := context.WithTimeout(ctx, DefaultDownloadTimeout)
		f, err := media.Fetch(fctx, p.cfg.MediaHTTPClient, mu, MaxUploadBytes)
		cancel()
		var blocked *media.BlockedAddressError
		switch {
		case errors.Is(err, media.ErrBadURL):
			return providers.Sent{}, providers.Inputf("telegram: mediaUrl %q is not an http(s) URL", mu)
		case errors.As(err, &blocked), errors.Is(err, media.ErrTooLarge), errors.Is(err, media.ErrFetchStatus), errors.Is(err, media.ErrEmpty):
			return providers.Sent{}, providers.Inputf("telegram: %v", err)
		case err != nil:
			return providers.Sent{}, fmt.Errorf("telegram: %w", err)
		}
		var capt tghtml.Text
		if utf8.RuneCountInString(text) <= MaxCaptionChars {
			capt, text = tghtml.Render(text), ""
		}
		head := f.Data[:min(len(f.Data), 512)]
		if err = p.withCaption(capt, thread, func(c caption) error {
			c.replyTo = replyTo
			return p.withRetry(ctx, func(ctx context.Context) (err error) {
				first, err = p.upload(ctx, cid, f.FileName, bytes.NewReader(f.Data), head, f.Declared, int64(len(f.Data)), c, m.AudioAsVoice)
				return err
			})
		}); err != nil {
			return providers.Sent{}, err
		}
	}
	// Tables are converted above (before the caption's length is judged); "off" keeps
	// Chunks from converting them again.
	for _, c := range tghtml.Chunks(text, chunk.LimitFor(providers.Telegram, p.cfg.ChunkLimit), p.cfg.ChunkMode, mdtables.Off) {
		var msg *telego.Message
		rp := tgstream.ReplyParameters(nextReply())
		send := func(text, parseMode string) error {
			return p.withRetry(ctx, func(ctx context.Context) (err error) {
				msg, err = p.bot.SendMessage(ctx, &telego.SendMessageParams{ChatID: cid, MessageThreadID: thread, Text: text, ParseMode: parseMode,
					LinkPreviewOptions: tgstream.LinkPreview(p.cfg.NoLinkPreview), ReplyParameters: rp})
				return err
			})
		}
		err := send(c.HTML, telego.ModeHTML)
		if tghtml.IsParseError(err) {
			p.log.Warn("telegram refused the reply's HTML; sending it as plain text", "chat", m.To, "err", err)
			err = send(c.Plain, "")
		}
		if err != nil {
			return providers.Sent{}, mapErr(err, m.To)
		}
		if first == nil {
			first = msg
		}
	}
	if first == nil {
		return providers.Sent{}, providers.Inputf("telegram: nothing to send")
	}
	return providers.Sent{MessageID: strconv.Itoa(first.MessageID), ChatID: strconv.FormatInt(first.Chat.ID, 10)}, nil
}

// caption is a media caption as sent: its text and parse mode ("" = plain), the
// forum topic the file goes to (message_thread_id; 0: none) and the message it
// replies to.
type caption struct {
	text, mode string
	thread     int
	replyTo    int64 // the message the file replies to (0: none)
}

// withCaption runs send with c as Telegram HTML, and again with its plain text when
// Telegram cannot parse the HTML (a caption's "can't parse entities").
func (p *Provider) withCaption(c tghtml.Text, thread int, send func(caption) error) error {
	if c.HTML == "" {
		return send(caption{thread: thread})
	}
	err := send(caption{text: c.HTML, mode: telego.ModeHTML, thread: thread})
	if tghtml.IsParseError(err) {
		p.log.Warn("telegram refused the caption's HTML; sending it as plain text", "err", err)
		err = send(caption{text: c.Plain, thread: thread})
	}
	return err
}

// Reply threading modes (channels.telegram.replyToMode).
const (
	ReplyToOff   = "off"
	ReplyToFirst = "first" // the original's default
	ReplyToAll   = "all"
)

// replyTo resolves a reply's ReplyTo under the bot's replyToMode: the message id to
// thread under (0: none — mode off, no id, or not a Telegram message id) and whether
// every message of the reply is threaded (all) or only its first.
func (p *Provider) replyTo(id string) (int64, bool) {
	mode := strings.ToLower(strings.TrimSpace(p.cfg.ReplyToMode))
	if mode == ReplyToOff {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(id), 10, 64)
	if err != nil || n <= 0 {
		return 0, false
	}
	return n, mode == ReplyToAll
}

// MaxUploadBytes is the largest file sent by URL: the gateway downloads it and
// uploads it (the Bot API takes uploads up to 50 MB).
const MaxUploadBytes = 50 << 20

// MaxPhotoBytes is the largest picture sent with sendPhoto; bigger ones go as
// documents (the Bot API refuses photos over 10 MB).
const MaxPhotoBytes = 10 << 20

// ImageMaxBytes is the cap outbound pictures are re-encoded to fit (the original's
// image cap for Telegram sends: 6 MB).
const ImageMaxBytes = 6 << 20

// sendFile uploads a local file (a reply's media, vetted by the caller) with the
// method its sniffed type calls for: GIFs as animations, pictures as photos, video,
// audio, and everything else as a document.
func (p *Provider) sendFile(ctx context.Context, cid telego.ChatID, fp string, caption caption, voice bool) (*telego.Message, error) {
	f, err := os.Open(fp)
	if err != nil {
		return nil, fmt.Errorf("telegram: media file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("telegram: media file: %w", err)
	}
	head := make([]byte, 512)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("telegram: media file: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("telegram: media file: %w", err)
	}
	return p.upload(ctx, cid, filepath.Base(fp), f, head[:n], "", st.Size(), caption, voice)
}

// upload sends a file's content r (head: its first bytes; declared: the type a server
// named, if any) with the method its sniffed type calls for; audio with voice set
// goes as a voice note (sendVoice).
func (p *Provider) upload(ctx context.Context, cid telego.ChatID, name string, r io.Reader, head []byte, declared string, size int64, c caption, voice bool) (*telego.Message, error) {
	ct := media.DetectType(head, declared, name)
	if media.KindOf(ct) == media.Image && ct != "image/gif" && ct != "image/svg+xml" {
		// Pictures go re-encoded within ImageMaxBytes, upright and without their
		// metadata, as the original sends them (providers.PrepareImage).
		data, err := io.ReadAll(io.LimitReader(r, providers.MaxImageSourceBytes+1))
		if err != nil {
			return nil, fmt.Errorf("telegram: read media: %w", err)
		}
		if len(data) > providers.MaxImageSourceBytes {
			return nil, providers.Inputf("telegram: picture %s is over %d bytes", name, providers.MaxImageSourceBytes)
		}
		if data, ct, name, err = providers.PrepareImage(data, ct, name, ImageMaxBytes); err != nil {
			return nil, fmt.Errorf("telegram: %w", err)
		}
		r, size = bytes.NewReader(data), int64(len(data))
	}
	rp := tgstream.ReplyParameters(c.replyTo)
	in := telego.InputFile{File: tu.NameReader(r, name)}
	var msg *telego.Message
	var err error
	switch kind := media.KindOf(ct); {
	case ct == "image/gif":
		msg, err = p.bot.SendAnimation(ctx, &telego.SendAnimationParams{ChatID: cid, Animation: in, Caption: c.text, ParseMode: c.mode, MessageThreadID: c.thread, ReplyParameters: rp})
	case kind == media.Image && size <= MaxPhotoBytes && ct != "image/svg+xml":
		msg, err = p.bot.SendPhoto(ctx, &telego.SendPhotoParams{ChatID: cid, Photo: in, Caption: c.text, ParseMode: c.mode, MessageThreadID: c.thread, ReplyParameters: rp})
	case kind == media.Video:
		msg, err = p.bot.SendVideo(ctx, &telego.SendVideoParams{ChatID: cid, Video: in, Caption: c.text, ParseMode: c.mode, MessageThreadID: c.thread, ReplyParameters: rp})
	case kind == media.Audio && voice:
		msg, err = p.bot.SendVoice(ctx, &telego.SendVoiceParams{ChatID: cid, Voice: in, Caption: c.text, ParseMode: c.mode, MessageThreadID: c.thread, ReplyParameters: rp})
	case kind == media.Audio:
		msg, err = p.bot.SendAudio(ctx, &telego.SendAudioParams{ChatID: cid, Audio: in, Caption: c.text, ParseMode: c.mode, MessageThreadID: c.thread, ReplyParameters: rp})
	default:
		msg, err = p.bot.SendDocument(ctx, &telego.SendDocumentParams{ChatID: cid, Document: in, Caption: c.text, ParseMode: c.mode, MessageThreadID: c.thread, ReplyParameters: rp})
	}
	if err != nil {
		return nil, mapErr(err, strconv.FormatInt(cid.ID, 10))
	}
	return msg, nil
}

// OpenReply implements providers.ReplyStreamer: a typing indicator while the run goes
// (from the start, from StartTyping under providers.TypingDeferred, or none), and
// under streamMode partial the reply sent early and edited in place as it grows
// (block and off: the final reply only, split at ChunkLimit).
func (p *Provider) OpenReply(ctx context.Context, m providers.Outbound) providers.ReplyStream {
	if _, err := chatID(m.To); err != nil {
		return nil // Send reports the bad recipient
	}
	peer := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(m.To), "telegram:"), "group:")
	chat, thread := splitTopic(peer)
	api := tgstream.Telego{Bot: p.bot, NoLinkPreview: p.cfg.NoLinkPreview, Retry: p.withRetry, ThreadID: thread}
	rs := &replyStream{
		p:    p,
		chat: chat,
		s: tgstream.New(api, chat, tgstream.Options{Mode: tgstream.ParseMode(p.cfg.StreamMode), Interval: p.cfg.EditInterval,
			Limit: chunk.LimitFor(providers.Telegram, p.cfg.ChunkLimit), ChunkMode: p.cfg.ChunkMode, Tables: p.cfg.Tables, Logger: p.log,
			DraftMin: p.cfg.DraftMin, DraftMax: p.cfg.DraftMax, DraftBreak: p.cfg.DraftBreak}),
	}
	if m.Typing != providers.TypingNever {
		interval := cmp.Or(m.TypingInterval, p.cfg.TypingInterval)
		rs.startTyping = func() *tgstream.TypingLoop {
			return tgstream.Typing(ctx, api, chat, tgstream.TypingOptions{Interval: interval, Logger: p.log})
		}
	}
	if m.Typing == "" || m.Typing == providers.TypingInstant {
		rs.StartTyping()
	}
	return p.withAckRemoval(peer, rs) // acks are tracked by the inbound ChatID
}

type replyStream struct {
	p    *Provider
	chat string
	s    *tgstream.Stream
	// startTyping starts the indicator (nil: typing never).
	startTyping func() *tgstream.TypingLoop

	mu     sync.Mutex
	typing *tgstream.TypingLoop // nil until started
	ended  bool                 // Finish or Abort: no indicator may start any more
}

// StartTyping implements providers.StreamTyping.
func (r *replyStream) StartTyping() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended || r.typing != nil || r.startTyping == nil {
		return
	}
	r.typing = r.startTyping()
}

// stopTyping ends the indicator for good and waits for its loop.
func (r *replyStream) stopTyping() {
	r.mu.Lock()
	r.ended = true
	t := r.typing
	r.mu.Unlock()
	if t != nil {
		t.Stop()
	}
}

func (r *replyStream) Update(ctx context.Context, text string) { r.s.Update(ctx, text) }

// ReplyTo implements providers.StreamReplyTo under the bot's replyToMode.
func (r *replyStream) ReplyTo(id string) {
	if n, all := r.p.replyTo(id); n != 0 {
		r.s.SetReplyTo(n, all)
	}
}

func (r *replyStream) Finish(ctx context.Context, final string) (providers.Sent, error) {
	r.stopTyping() // a message ends Telegram's indicator; none may follow it
	if err := r.s.Finish(ctx, final); err != nil {
		return providers.Sent{}, mapErr(err, r.chat)
	}
	id := r.s.FirstID()
	if id == 0 {
		return providers.Sent{}, providers.Inputf("telegram: nothing to send")
	}
	return providers.Sent{MessageID: strconv.FormatInt(id, 10), ChatID: r.chat}, nil
}

func (r *replyStream) Abort() { r.stopTyping() }

// Block implements providers.StreamBlock: one block of a reply streamed as blocks,
// threaded as replyToMode says; the typing indicator goes on until the reply ends.
func (r *replyStream) Block(ctx context.Context, text string) (providers.Sent, error) {
	id, err := r.s.Block(ctx, text)
	if err != nil {
		return providers.Sent{}, mapErr(err, r.chat)
	}
	if id == 0 {
		return providers.Sent{}, providers.Inputf("telegram: nothing to send")
	}
	return providers.Sent{MessageID: strconv.FormatInt(id, 10), ChatID: r.chat}, nil
}

// Shown implements providers.StreamShown.
func (r *replyStream) Shown() bool { return r.s.Shown() }
