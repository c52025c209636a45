// Package whatsapp is the WhatsApp Web provider over go.mau.fi/whatsmeow, with the
// device store in SQLite under the state directory (<state>/whatsapp/session.db).
//
// The gateway owns the one WhatsApp Web connection: on Start it connects when a device
// is linked (retrying with backoff, never blocking start-up), and QR login runs inside
// the gateway (web.login.start / web.login.wait), so nothing else opens the store.
package whatsapp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"github.com/clawgate/gateway/server/access"
	"github.com/clawgate/gateway/server/chunk"
	"github.com/clawgate/gateway/server/clock"
	"github.com/clawgate/gateway/server/grouphistory"
	"github.com/clawgate/gateway/server/mdtables"
	"github.com/clawgate/gateway/server/media"
	"github.com/clawgate/gateway/server/pairing"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/providers/album"
	"github.com/clawgate/gateway/server/providers/debounce"
)

// Limits and timings.
const (
	// DefaultLoginTimeout is how long web.login.start waits for the first QR code and
	// web.login.wait waits for the scan when the caller gives no timeout.
	DefaultLoginTimeout = 30 * time.Second
	// DefaultSendTimeout bounds one send (download, upload, message).
	DefaultSendTimeout = 60 * time.Second
	// Backoff between failed connects by default (DefaultReconnect): 1 s doubling up
	// to a minute.
	minBackoff = time.Second
	maxBackoff = time.Minute
	// linkedAtName records when the device was linked (for authAgeMs).
	linkedAtName = "linked-at"
)

// Connection states reported in status and health.
const (
	StateNotLinked    = "not-linked"
	StateConnecting   = "connecting"
	StateConnected    = "connected"
	StateDisconnected = "disconnected"
	StateLoggedOut    = "logged-out"
	StateReplaced     = "replaced" // another client took over the session
	StateLinking      = "linking"  // QR login in progress
	StateStopped      = "stopped"
)

// Config configures the provider.
type Config struct {
	// AccountID is the channels.whatsapp.accounts key this number serves ("" =
	// "default"); inbound messages carry it, so replies go out through this device.
	AccountID string
	// StateDir holds whatsapp/session.db and whatsapp/linked-at (the default
	// account's store when AuthDir is empty).
	StateDir string
	// AuthDir, when set, is this account's own directory: its device store
	// (AuthDir/session.db) and link time live there instead of under StateDir, so
	// several numbers never share credentials.
	AuthDir string
	// Store overrides the device store (tests); nil opens SessionPath(StateDir).
	Store     Store
	AllowFrom []string
	// MediaMaxMB limits media downloaded for sends and received media
	// (channels.whatsapp.mediaMaxMb; DefaultMediaMaxMB when 0).
	MediaMaxMB int
	// MediaStore keeps received photos, voice notes and documents (nil: media is not
	// downloaded; the agent gets the caption or a placeholder).
	MediaStore *media.Store
	// Understand describes and transcribes media and summarises links (tools.media,
	// tools.links; nil: off, voice notes get a placeholder).
	Understand providers.Understander
	// HTTPClient downloads media (MediaClient with a 60 s timeout when nil).
	HTTPClient *http.Client
	Inbound    providers.Inbound
	// Access, when set, decides who reaches the agent by issue 21's rules (dmPolicy
	// pairing by default, groupPolicy allowlist, mention gating) instead of AllowFrom
	// alone, whose empty list admits everyone. Normalize defaults to NormalizeE164.
	Access *access.Config
	// Pairing is the channel pairing store (approvals, pending codes); used with Access.
	Pairing *pairing.Store
	// History keeps unanswered group messages for context (optional, with Access).
	History *grouphistory.Buffer
	// ChunkLimit is channels.whatsapp.textChunkLimit: longer texts are sent as several
	// messages (chunk.LimitFor: 4000 when 0).
	ChunkLimit int
	// ChunkMode is channels.whatsapp.chunkMode: chunk.ModeLength ("" too) fills each
	// message, chunk.ModeNewline sends each paragraph as its own message.
	ChunkMode string
	// TableMode is channels.whatsapp.markdown.tables: how Markdown tables in a sent
	// text are rewritten (mdtables; "" is the original's WhatsApp default, bullets).
	TableMode string
	// TypingInterval re-sends "composing" during a run (DefaultTypingInterval when 0).
	TypingInterval time.Duration
	// Ack is ackReaction and sendReadReceipts (ack.go).
	Ack    AckConfig
	Logger *slog.Logger
	// OnChange is called when link or connection state changes (health refresh).
	OnChange func()
	// Reconnect is web.reconnect (reconnect.go; DefaultReconnect when zero), clamped
	// by New.
	Reconnect ReconnectPolicy
	// Backoff returns the wait after failed connect attempt n (n ≥ 1); nil:
	// Reconnect's (tests inject one).
	Backoff func(n int) time.Duration
	Now     func() time.Time
	// AlbumWindow is how long an album waits for its next part (DefaultAlbumWindow
	// when 0; see albums.go).
	AlbumWindow time.Duration
	// AlbumMaxParts and AlbumMaxPending bound the album buffer (DefaultAlbumMaxParts,
	// DefaultAlbumMaxPending when 0).
	AlbumMaxParts, AlbumMaxPending int
	// Debounce is the inbound debounce window (channels.whatsapp.debounceMs, else
	// messages.inbound; 0: off; see debounce.go), changed live by SetDebounce.
	Debounce time.Duration
	// DebounceMaxParts and DebounceMaxPending bound the debounce buffer
	// (debounce.DefaultMaxParts, debounce.DefaultMaxPending when 0).
	DebounceMaxParts, DebounceMaxPending int
	// Clock times the album and debounce windows (clock.Real when nil; tests inject a
	// fake).
	Clock clock.Clock
	// MentionPatterns names the agent a group message goes to by name (see
	// providers.Guard.MentionPatterns); nil: only explicit mentions and replies count.
	MentionPatterns func(m providers.Message) []*regexp.Regexp
	// MessagePrefix is the inbound prefix of a message (channels.whatsapp.messagePrefix
	// and its defaults, resolved by the daemon): it becomes m.BodyPrefix. nil: none.
	MessagePrefix func(m providers.Message) string
}

// Provider is the WhatsApp Web provider.
type Provider struct {
	cfg   Config
	log   *slog.Logger
	gate  *providers.Gate
	guard *providers.Guard // set when Config.Access is

	mu       sync.Mutex
	store    Store
	client   Client
	state    string
	lastErr  string
	linkedAt time.Time
	since    time.Time // when state last changed
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	login    *loginSession
	started  bool
	albums   *albumBuffer // while started
	// debounce is the debounce window in force (Config.Debounce, SetDebounce) and,
	// while started, the running buffer (debounce.go).
	debounce debounce.Slot[albumOwner, []*part]

	// ackCfg is the ack reaction and read receipts in force (Config.Ack, replaced by
	// SetAck on a reload).
	ackCfg atomic.Pointer[AckConfig]

	// quotes are the last messages received, which a reply may quote (Outbound.ReplyTo).
	quotes *quoteCache
}

// New builds the provider (no I/O).
func New(cfg Config) *Provider {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MediaMaxMB <= 0 {
		cfg.MediaMaxMB = DefaultMediaMaxMB
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = MediaClient(DefaultSendTimeout)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
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
	if cfg.Reconnect == (ReconnectPolicy{}) {
		cfg.Reconnect = DefaultReconnect()
	}
	cfg.Reconnect = cfg.Reconnect.Normalize()
	if cfg.Backoff == nil {
		cfg.Backoff = cfg.Reconnect.backoff
	}
	cfg.AccountID = providers.NormalizeAccountID(cfg.AccountID)
	log := cfg.Logger.With("channel", providers.WhatsApp, "account", cfg.AccountID)
	allow := providers.NewAllowList(cfg.AllowFrom, NormalizeE164)
	p := &Provider{log: log, state: StateStopped, store: cfg.Store, quotes: newQuoteCache(MaxQuotable)}
	p.SetAck(cfg.Ack)
	p.debounce.SetWindow(cfg.Debounce)
	// Admitted messages are marked read, pass the media stage, which downloads what they
	// carry, then get the ack reaction (ack.go: only messages going on to the agent).
	cfg.Inbound = &ackStage{p: p, next: cfg.Inbound}
	cfg.Inbound = &providers.MediaStage{Channel: providers.WhatsApp, Store: cfg.MediaStore, Understand: cfg.Understand,
		MaxMB: cfg.MediaMaxMB, Reply: p.replyText, Next: cfg.Inbound, Log: log}
	cfg.Inbound = &ackStage{p: p, next: cfg.Inbound, receipts: true} // before the download (ack.go)
	p.cfg = cfg
	p.gate = &providers.Gate{Allow: allow, Next: cfg.Inbound, Log: log}
	if cfg.Access != nil {
		ac := *cfg.Access
		if ac.Normalize == nil {
			ac.Normalize = NormalizeE164
		}
		ac.OwnerCommands = true // only allowFrom's owners run commands, as in the original
		if err := ac.Validate(); err != nil {
			// Fail closed: a provider with unusable access settings delivers nothing.
			log.Error("whatsapp access settings invalid; inbound messages are dropped", "err", err)
		}
		p.guard = &providers.Guard{Channel: providers.WhatsApp, Access: ac, Pairing: cfg.Pairing, History: cfg.History,
			Label: "WhatsApp", Next: cfg.Inbound, Log: log, Reply: p.replyText, MentionPatterns: cfg.MentionPatterns}
	}
	return p
}

// SetAccess replaces the access settings on a config reload (only for a provider
// built with Config.Access).
func (p *Provider) SetAccess(c access.Config) error {
	if p.guard == nil {
		return errors.New("whatsapp: provider was built without access settings")
	}
	if c.Normalize == nil {
		c.Normalize = NormalizeE164
	}
	c.OwnerCommands = true
	return p.guard.SetAccess(c)
}

// replyText sends a plain text (the pairing code) to a chat JID.
func (p *Provider) replyText(ctx context.Context, chat, text string) error {
	_, err := p.Send(ctx, providers.Outbound{To: chat, Text: text})
	return err
}

// SetAllowFrom replaces whatsapp.allowFrom (a config reload takes effect for the next
// message, no reconnect).
func (p *Provider) SetAllowFrom(list []string) {
	p.gate.SetAllow(providers.NewAllowList(list, NormalizeE164))
}

// MediaMaxBytes is the media download limit in bytes.
func (p *Provider) MediaMaxBytes() int64 { return int64(p.cfg.MediaMaxMB) << 20 }

// Name implements providers.Provider.
func (p *Provider) Name() string { return providers.WhatsApp }

// Start opens the device store and, when a device is linked, connects in the
// background. It fails only when the store cannot be opened.
func (p *Provider) Start(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.started {
		return nil
	}
	if p.store == nil {
		st, err := OpenStore(ctx, p.StorePath(), p.cfg.Logger)
		if err != nil {
			p.lastErr = err.Error()
			return err
		}
		p.store = st
	}
	c, err := p.store.Client(ctx)
	if err != nil {
		p.lastErr = err.Error()
		if p.cfg.Store == nil {
			_ = p.store.Close()
			p.store = nil
		}
		return err
	}
	p.started = true
	p.albums = p.newAlbums(p.newDebouncer().route)
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p.cancel = cancel
	p.adoptLocked(c)
	if !c.Linked() {
		p.setStateLocked(StateNotLinked, "")
		p.log.Info("whatsapp not linked; run `clawdbot login` to link a device")
		return nil
	}
	p.linkedAt = p.readLinkedAt()
	p.setStateLocked(StateConnecting, "")
	p.wg.Add(1)
	go p.connectLoop(rctx, c)
	return nil
}

// adoptLocked makes c the current client and routes its events here.
func (p *Provider) adoptLocked(c Client) {
	p.client = c
	c.AddEventHandler(func(evt any) { p.onEvent(c, evt) })
}

// connectLoop connects c, retrying with backoff until it works, ctx ends or
// Reconnect.MaxAttempts connects have failed. Once connected, whatsmeow's own
// auto-reconnect keeps the socket up.
func (p *Provider) connectLoop(ctx context.Context, c Client) {
	defer p.wg.Done()
	for n := 1; ; n++ {
		err := c.Connect()
		if err == nil || errors.Is(err, whatsmeow.ErrAlreadyConnected) {
			return
		}
		p.mu.Lock()
		current := p.client == c
		if current {
			p.setStateLocked(StateDisconnected, err.Error())
		}
		p.mu.Unlock()
		if !current {
			return
		}
		if m := p.cfg.Reconnect.MaxAttempts; m > 0 && n >= m {
			p.log.Error("whatsapp connect failed; giving up until the account restarts (web.reconnect.maxAttempts)",
				"err", err, "attempts", n)
			return
		}
		d := p.cfg.Backoff(n)
		p.log.Warn("whatsapp connect failed; retrying", "err", err, "attempt", n, "in", d)
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
	}
}

func (p *Provider) onEvent(c Client, evt any) {
	switch e := evt.(type) {
	case *events.Message:
		p.onMessage(e)
		return
	case *events.Connected:
		p.withCurrent(c, func() { p.setStateLocked(StateConnected, "") })
	case *events.Disconnected:
		p.withCurrent(c, func() { p.setStateLocked(StateDisconnected, p.lastErr) })
	case *events.KeepAliveTimeout:
		p.withCurrent(c, func() { p.setStateLocked(p.state, "keepalive timeout") })
	case *events.StreamReplaced:
		p.withCurrent(c, func() {
			p.setStateLocked(StateReplaced, "another WhatsApp Web client took over this session")
		})
	case *events.LoggedOut:
		p.withCurrent(c, func() {
			p.linkedAt = time.Time{}
			p.removeLinkedAt()
			p.setStateLocked(StateLoggedOut, "logged out from the phone ("+e.Reason.String()+"); run `clawdbot login` again")
		})
	case *events.ConnectFailure:
		p.withCurrent(c, func() { p.setStateLocked(StateDisconnected, fmt.Sprintf("connect failure: %v", e.Reason)) })
	case *events.PairSuccess:
		p.mu.Lock()
		p.linkedAt = p.cfg.Now()
		p.writeLinkedAt(p.linkedAt)
		p.mu.Unlock()
		p.log.Info("whatsapp linked", "jid", e.ID.ToNonAD().String())
	default:
		return
	}
	if p.cfg.OnChange != nil {
		p.cfg.OnChange()
	}
}

func (p *Provider) withCurrent(c Client, f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.client == c {
		f()
	}
}

func (p *Provider) setStateLocked(state, lastErr string) {
	if p.state != state {
		p.since = p.cfg.Now()
	}
	p.state, p.lastErr = state, lastErr
}

// onMessage routes a received message: an album's parent and children to the album
// buffer, a repeat of a delivered message (HD copy, motion photo) nowhere, anything
// else with content straight on, after its sender's collecting album in that chat.
func (p *Provider) onMessage(e *events.Message) {
	if e.Info.IsFromMe && e.Info.Chat.Server != types.DefaultUserServer {
		return // our own messages in groups
	}
	content, assoc := unwrap(e.Message)
	if content == nil {
		return
	}
	pt := &part{e: e, content: content, index: assoc.GetMessageIndex()}
	p.mu.Lock()
	ab := p.albums
	p.mu.Unlock()
	ctx := context.Background()
	chat := e.Info.Chat.ToNonAD().String()
	owner := albumOwner{chat: chat, sender: e.Info.Sender.ToNonAD().String()}
	switch {
	case isDuplicateChild(assoc):
		p.log.Debug("whatsapp: skipping a repeat of a delivered message", "chat", chat, "message", e.Info.ID,
			"association", assoc.GetAssociationType().String(), "parent", assoc.GetParentMessageKey().GetID())
	case content.GetAlbumMessage() != nil:
		a := content.GetAlbumMessage()
		n := int(a.GetExpectedImageCount()) + int(a.GetExpectedVideoCount())
		if ab == nil {
			return // not running: a parent alone carries nothing to deliver
		}
		ab.Expect(ctx, albumKey{chat: chat, parent: e.Info.ID}, owner, n, pt)
	case albumParent(assoc) != "" && ab != nil:
		ab.Add(ctx, albumKey{chat: chat, parent: albumParent(assoc)}, owner, pt)
	case messageText(content) == "" && p.inboundMedia(content) == nil:
		// Reactions, receipts, protocol messages: nothing for the agent, and no reason
		// to send a collecting album on early.
	case ab != nil:
		ab.Single(ctx, owner, pt)
	default:
		p.deliver(ctx, []*part{pt})
	}
}

// deliver turns one message, or the parts of an album, into one inbound message and
// runs it through the access rules once: the child with the caption (else the first)
// is the message, whose id, time and sender count; every child's file goes along, and
// mentions or a reply on any part count for mention gating.
func (p *Provider) deliver(ctx context.Context, parts []*part) {
	parts = sortParts(parts)
	first := parts[0]
	for _, x := range parts {
		if x.content.GetAlbumMessage() == nil {
			first = x
			break
		}
	}
	text := ""
	for _, x := range parts {
		if t := messageText(x.content); t != "" {
			first, text = x, t
			break
		}
	}
	var files []*providers.InboundMedia
	for _, x := range parts {
		if in := p.inboundMedia(x.content); in != nil {
			files = append(files, in)
		}
	}
	if text == "" && len(files) > 0 {
		text = album.Placeholder(files)
	}
	p.emit(ctx, parts, first, text, files)
}

// emit builds the inbound message of first (text its body, files its media) and runs
// it through the access rules once; parts are every message it stands for (an
// album's, a debounced burst's), whose ids the read receipt names and whose mentions
// count.
func (p *Provider) emit(ctx context.Context, parts []*part, first *part, text string, files []*providers.InboundMedia) {
	if text == "" {
		return
	}
	var ids []types.MessageID
	for _, x := range parts {
		ids = append(ids, x.e.Info.ID)
	}
	e := first.e
	sender := e.Info.Sender.ToNonAD()
	if sender.Server == types.HiddenUserServer && !e.Info.SenderAlt.IsEmpty() {
		sender = e.Info.SenderAlt.ToNonAD()
	}
	from := ""
	if sender.Server == types.DefaultUserServer {
		from = "+" + sender.User
	} else {
		from = sender.String()
	}
	p.mu.Lock()
	var own types.JID
	if p.client != nil {
		own = p.client.OwnJID()
	}
	p.mu.Unlock()
	if e.Info.IsFromMe {
		// Only the self-chat ("message yourself") is a conversation with the agent.
		if e.Info.Chat.User != own.User {
			return
		}
	}
	m := providers.Message{
		Channel:    providers.WhatsApp,
		AccountID:  p.cfg.AccountID,
		From:       from,
		SenderName: e.Info.PushName,
		ChatID:     e.Info.Chat.ToNonAD().String(),
		MessageID:  e.Info.ID,
		Text:       text,
		Group:      e.Info.IsGroup,
		Time:       e.Info.Timestamp,
		Media:      files,
	}
	// The reply may quote it ([[reply_to_current]] and [[reply_to:<id>]]).
	p.quotes.put(e.Info.ID, quotable{chat: m.ChatID, sender: sender, content: first.content})
	if p.cfg.MessagePrefix != nil {
		m.BodyPrefix = p.cfg.MessagePrefix(m)
	}
	if p.guard != nil {
		p.admit(ctx, parts, first, ids, m, own, sender)
		return
	}
	if !own.IsEmpty() && sender.User == own.User {
		// The linked account itself is always allowed (self-chat).
		if p.cfg.Inbound != nil {
			p.cfg.Inbound.Inbound(ctx, m)
		}
		return
	}
	p.gate.Deliver(ctx, m, from)
}

// admit runs an inbound message through the access guard: the sender's phone number
// (and JID) identify them; in groups a mention of the linked account, or a reply to
// one of its messages, on any part is a mention. ids are every part's message id (an
// album's read receipts cover all of them).
func (p *Provider) admit(ctx context.Context, parts []*part, first *part, ids []types.MessageID, m providers.Message, own, sender types.JID) {
	senderIDs := []string{m.From, sender.String()}
	self := []string{}
	if !own.IsEmpty() {
		self = append(self, own.ToNonAD().String())
	}
	p.mu.Lock()
	c := p.client
	p.mu.Unlock()
	if c != nil {
		if lid := c.OwnLID(); !lid.IsEmpty() {
			self = append(self, lid.String())
		}
	}
	mentioned, anyMention := false, false
	for _, x := range parts {
		ci := contextInfo(x.content)
		anyMention = anyMention || len(ci.GetMentionedJID()) > 0
		if access.MentionedWhatsApp(self, ci.GetMentionedJID(), ci.GetParticipant()) {
			mentioned = true
			break
		}
	}
	am := access.Message{
		AccountID:  m.AccountID,
		Group:      m.Group,
		GroupID:    m.ChatID,
		SenderIDs:  senderIDs,
		FromSelf:   !own.IsEmpty() && sender.User == own.User,
		Mentioned:  mentioned,
		AnyMention: anyMention,
	}
	// Without @mentions, the bot's name (its agent's mention patterns) or the linked
	// number written out in the text address it, as in the original.
	am.Mentioned = am.Mentioned || p.guard.MentionedByName(m, am) ||
		m.Group && !anyMention && !own.IsEmpty() && access.MentionsNumber(m.Text, own.User)
	m.Mentioned = m.Group && am.Mentioned
	e := first.e
	ctx = withInbound(ctx, providers.AckFacts{Group: m.Group, Mentioned: am.Mentioned},
		inboundRef{chat: e.Info.Chat, sender: e.Info.Sender, ts: e.Info.Timestamp, self: am.FromSelf, ids: ids})
	p.guard.Admit(ctx, m, am, "Your WhatsApp phone number: "+m.From)
}

// contextInfo is the content's context (mentions, the quoted message), if any; m is
// already unwrapped.
func contextInfo(m *waE2E.Message) *waE2E.ContextInfo {
	switch {
	case m.GetExtendedTextMessage() != nil:
		return m.GetExtendedTextMessage().GetContextInfo()
	case m.GetImageMessage() != nil:
		return m.GetImageMessage().GetContextInfo()
	case m.GetVideoMessage() != nil:
		return m.GetVideoMessage().GetContextInfo()
	case m.GetPtvMessage() != nil:
		return m.GetPtvMessage().GetContextInfo()
	case m.GetDocumentMessage() != nil:
		return m.GetDocumentMessage().GetContextInfo()
	case m.GetAudioMessage() != nil:
		return m.GetAudioMessage().GetContextInfo()
	case m.GetStickerMessage() != nil:
		return m.GetStickerMessage().GetContextInfo()
	case m.GetAlbumMessage() != nil:
		return m.GetAlbumMessage().GetContextInfo()
	}
	return nil
}

// inboundMedia describes a message's file (image, voice note or audio, video, video
// note, document, sticker); nil when it has none; m is already unwrapped. The media stage downloads it through the
// client (whatsmeow decrypts it) once the message is admitted.
func (p *Provider) inboundMedia(m *waE2E.Message) *providers.InboundMedia {
	var (
		d        whatsmeow.DownloadableMessage
		kind, ct string
		name     string
		size     uint64
	)
	switch {
	case m.GetImageMessage() != nil:
		x := m.GetImageMessage()
		d, kind, ct, size = x, "photo", x.GetMimetype(), x.GetFileLength()
	case m.GetAudioMessage() != nil:
		x := m.GetAudioMessage()
		d, kind, ct, size = x, "audio", x.GetMimetype(), x.GetFileLength()
		if x.GetPTT() {
			kind = "voice"
		}
	case m.GetVideoMessage() != nil:
		x := m.GetVideoMessage()
		d, kind, ct, size = x, "video", x.GetMimetype(), x.GetFileLength()
	case m.GetPtvMessage() != nil: // a round video note
		x := m.GetPtvMessage()
		d, kind, ct, size = x, "video_note", x.GetMimetype(), x.GetFileLength()
	case m.GetDocumentMessage() != nil:
		x := m.GetDocumentMessage()
		d, kind, ct, name, size = x, "document", x.GetMimetype(), x.GetFileName(), x.GetFileLength()
	case m.GetStickerMessage() != nil:
		x := m.GetStickerMessage()
		d, kind, ct, size = x, "sticker", x.GetMimetype(), x.GetFileLength()
	default:
		return nil
	}
	return &providers.InboundMedia{Kind: kind, ContentType: ct, FileName: name, Size: int64(min(size, 1<<62)),
		Open: func(ctx context.Context) (io.ReadCloser, error) {
			p.mu.Lock()
			c := p.client
			p.mu.Unlock()
			if c == nil {
				return nil, errors.New("whatsapp: not connected")
			}
			ctx, cancel := context.WithTimeout(ctx, DefaultSendTimeout)
			defer cancel()
			b, err := c.Download(ctx, d)
			if err != nil {
				return nil, fmt.Errorf("whatsapp: download media: %w", err)
			}
			return io.NopCloser(bytes.NewReader(b)), nil
		}}
}

func messageText(m *waE2E.Message) string {
	if m == nil {
		return ""
	}
	switch {
	case m.GetConversation() != "":
		return m.GetConversation()
	case m.GetExtendedTextMessage().GetText() != "":
		return m.GetExtendedTextMessage().GetText()
	case m.GetImageMessage().GetCaption() != "":
		return m.GetImageMessage().GetCaption()
	case m.GetVideoMessage().GetCaption() != "":
		return m.GetVideoMessage().GetCaption()
	case m.GetDocumentMessage().GetCaption() != "":
		return m.GetDocumentMessage().GetCaption()
	}
	return ""
}

// Stop delivers the albums still collecting parts and the texts held by the
// debounce window (with ctx, while the client can still download their files and
// send a pairing reply), then disconnects and closes the store.
func (p *Provider) Stop(ctx context.Context) error {
	p.mu.Lock()
	if !p.started {
		p.mu.Unlock()
		return nil
	}
	ab, deb := p.albums, p.debounce.Detach()
	p.albums = nil
	p.mu.Unlock()
	if ab != nil {
		ab.Close(ctx) // a message arriving meanwhile is delivered at once
	}
	if deb != nil {
		deb.Close(ctx) // after the albums, which go on through it
	}
	p.mu.Lock()
	p.started = false
	cancel, c, st, login := p.cancel, p.client, p.store, p.login
	p.login = nil
	p.setStateLocked(StateStopped, p.lastErr)
	p.mu.Unlock()
	cancel()
	if login != nil {
		login.cancel()
	}
	if c != nil {
		c.Disconnect()
	}
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("whatsapp: stop: %w", ctx.Err())
	}
	if p.cfg.Store == nil && st != nil {
		p.mu.Lock()
		p.store = nil
		p.mu.Unlock()
		return st.Close()
	}
	return nil
}

// Status implements providers.Provider.
func (p *Provider) Status(_ context.Context, _ bool) providers.Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := providers.Status{Configured: true, ConnState: p.state, LastError: p.lastErr, Running: p.started}
	if p.client != nil {
		st.Linked = p.client.Linked()
		st.Connected = p.client.IsConnected()
		if own := p.client.OwnJID(); !own.IsEmpty() {
			st.SelfID = own.String()
			if own.Server == types.DefaultUserServer {
				st.SelfE164 = "+" + own.User
			}
		}
	}
	if st.Linked {
		st.LinkedAt = p.linkedAt
	}
	return st
}

// Send implements providers.Provider.
func (p *Provider) Send(ctx context.Context, m providers.Outbound) (providers.Sent, error) {
	c, err := p.ready()
	if err != nil {
		return providers.Sent{}, err
	}
	to, err := ParseRecipient(m.To)
	if err != nil {
		return providers.Sent{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, DefaultSendTimeout)
	defer cancel()
	// Text longer than textChunkLimit goes out as several messages; with media the
	// first chunk is its caption.
	tables := p.cfg.TableMode
	if tables == "" {
		tables = mdtables.Bullets
	}
	chunks := chunk.SplitMode(mdtables.Convert(strings.TrimSpace(m.Text), tables), chunk.LimitFor(providers.WhatsApp, p.cfg.ChunkLimit), p.cfg.ChunkMode)
	first := ""
	if len(chunks) > 0 {
		first, chunks = chunks[0], chunks[1:]
	}
	msg := &waE2E.Message{Conversation: proto.String(first)}
	if fp, mu := strings.TrimSpace(m.MediaPath), strings.TrimSpace(m.MediaURL); fp != "" || mu != "" {
		var media Media
		// Read up to the larger of the cap and MaxImageSourceBytes: a picture over
		// the cap is re-encoded under it (fitMedia); anything else must fit as it is.
		limit := max(p.MediaMaxBytes(), providers.MaxImageSourceBytes)
		if fp != "" {
			media, err = LocalMedia(fp, limit)
		} else {
			media, err = FetchMedia(ctx, p.cfg.HTTPClient, mu, limit)
		}
		if err == nil {
			media, err = fitMedia(media, p.MediaMaxBytes())
		}
		if err != nil {
			return providers.Sent{}, err
		}
		if msg, err = p.mediaMessage(ctx, c, media, first, m.GifPlayback); err != nil {
			return providers.Sent{}, err
		}
	}
	// A reply naming a message it answers quotes it on its first message (WhatsApp
	// has no reply mode setting; later chunks stand alone).
	msg = withQuote(msg, p.quotes.contextFor(m.ReplyTo, to))
	id, err := c.SendMessage(ctx, to, msg)
	if err != nil {
		return providers.Sent{}, fmt.Errorf("whatsapp: send to %s: %w", to, err)
	}
	for i, t := range chunks {
		if _, err := c.SendMessage(ctx, to, &waE2E.Message{Conversation: proto.String(t)}); err != nil {
			return providers.Sent{}, fmt.Errorf("whatsapp: send to %s (part %d of %d): %w", to, i+2, len(chunks)+1, err)
		}
	}
	return providers.Sent{MessageID: id, ToJID: to.String()}, nil
}

// ready returns the current client when it can send: linked (else ErrNotLinked) and
// connected (else a clear not-connected error with the state).
func (p *Provider) ready() (Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.client == nil || !p.client.Linked() {
		return nil, providers.ErrNotLinked
	}
	if !p.client.IsConnected() {
		reason := p.state
		if p.lastErr != "" {
			reason += ": " + p.lastErr
		}
		return nil, fmt.Errorf("whatsapp: %w (%s)", providers.ErrNotConnected, reason)
	}
	return p.client, nil
}

func (p *Provider) mediaMessage(ctx context.Context, c Client, media Media, caption string, gif bool) (*waE2E.Message, error) {
	up, err := c.Upload(ctx, media.Data, media.Kind)
	if err != nil {
		return nil, fmt.Errorf("whatsapp: upload media: %w", err)
	}
	size := uint64(len(media.Data))
	var capPtr *string
	if caption != "" {
		capPtr = proto.String(caption)
	}
	switch media.Kind {
	case whatsmeow.MediaImage:
		return &waE2E.Message{ImageMessage: &waE2E.ImageMessage{
			URL: proto.String(up.URL), DirectPath: proto.String(up.DirectPath), MediaKey: up.MediaKey,
			FileEncSHA256: up.FileEncSHA256, FileSHA256: up.FileSHA256, FileLength: &size,
			Mimetype: proto.String(media.MIME), Caption: capPtr,
		}}, nil
	case whatsmeow.MediaVideo:
		return &waE2E.Message{VideoMessage: &waE2E.VideoMessage{
			URL: proto.String(up.URL), DirectPath: proto.String(up.DirectPath), MediaKey: up.MediaKey,
			FileEncSHA256: up.FileEncSHA256, FileSHA256: up.FileSHA256, FileLength: &size,
			Mimetype: proto.String(media.MIME), Caption: capPtr, GifPlayback: proto.Bool(gif),
		}}, nil
	case whatsmeow.MediaAudio:
		// Audio carries no caption on WhatsApp; the text is lost unless sent separately.
		// As the reference, audio goes as a voice note (PTT): spoken replies
		// (messages.tts) then play as voice messages.
		return &waE2E.Message{AudioMessage: &waE2E.AudioMessage{
			URL: proto.String(up.URL), DirectPath: proto.String(up.DirectPath), MediaKey: up.MediaKey,
			FileEncSHA256: up.FileEncSHA256, FileSHA256: up.FileSHA256, FileLength: &size,
			Mimetype: proto.String(media.MIME), PTT: proto.Bool(true),
		}}, nil
	default:
		return &waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{
			URL: proto.String(up.URL), DirectPath: proto.String(up.DirectPath), MediaKey: up.MediaKey,
			FileEncSHA256: up.FileEncSHA256, FileSHA256: up.FileSHA256, FileLength: &size,
			Mimetype: proto.String(media.MIME), Caption: capPtr, FileName: proto.String(media.FileName),
			Title: proto.String(media.FileName),
		}}, nil
	}
}

// Limits of WhatsApp polls.
const (
	MinPollOptions = 2
	MaxPollOptions = 12
)

// SendPoll implements providers.Poller.
func (p *Provider) SendPoll(ctx context.Context, poll providers.Poll) (providers.Sent, error) {
	if n := len(poll.Options); n < MinPollOptions || n > MaxPollOptions {
		return providers.Sent{}, providers.Inputf("whatsapp: a poll needs %d to %d options, got %d", MinPollOptions, MaxPollOptions, n)
	}
	maxSel := poll.MaxSelections
	if maxSel <= 0 {
		maxSel = 1
	}
	if maxSel > len(poll.Options) {
		return providers.Sent{}, providers.Inputf("whatsapp: maxSelections %d is more than the %d options", maxSel, len(poll.Options))
	}
	c, err := p.ready()
	if err != nil {
		return providers.Sent{}, err
	}
	to, err := ParseRecipient(poll.To)
	if err != nil {
		return providers.Sent{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, DefaultSendTimeout)
	defer cancel()
	id, err := c.SendMessage(ctx, to, c.BuildPollCreation(poll.Question, poll.Options, maxSel))
	if err != nil {
		return providers.Sent{}, fmt.Errorf("whatsapp: send poll to %s: %w", to, err)
	}
	return providers.Sent{MessageID: id, ToJID: to.String()}, nil
}

// AccountID is the account this provider serves.
func (p *Provider) AccountID() string { return p.cfg.AccountID }

// StorePath is this account's device store file: AuthDir/session.db, else
// SessionPath(StateDir).
func (p *Provider) StorePath() string {
	if p.cfg.AuthDir != "" {
		return filepath.Join(p.cfg.AuthDir, SessionDBName)
	}
	return SessionPath(p.cfg.StateDir)
}

func (p *Provider) linkedAtPath() string {
	if p.cfg.AuthDir != "" {
		return filepath.Join(p.cfg.AuthDir, linkedAtName)
	}
	if p.cfg.StateDir == "" {
		return ""
	}
	return filepath.Join(p.cfg.StateDir, "whatsapp", linkedAtName)
}

// readLinkedAt reads when the device was linked. A device linked before this file
// existed gets "now" recorded, so its age counts from the first start that saw it.
func (p *Provider) readLinkedAt() time.Time {
	path := p.linkedAtPath()
	if path == "" {
		return p.cfg.Now()
	}
	if b, err := os.ReadFile(path); err == nil {
		if t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(b))); err == nil {
			return t
		}
	}
	now := p.cfg.Now()
	p.writeLinkedAt(now)
	return now
}

func (p *Provider) writeLinkedAt(t time.Time) {
	path := p.linkedAtPath()
	if path == "" {
		return
	}
	_ = os.MkdirAll(filepath.Dir(path), 0o700)
	if err := os.WriteFile(path, []byte(t.UTC().Format(time.RFC3339Nano)+"\n"), 0o600); err != nil {
		p.log.Warn("whatsapp: cannot record link time", "err", err)
	}
}

func (p *Provider) removeLinkedAt() {
	if path := p.linkedAtPath(); path != "" {
		_ = os.Remove(path)
	}
}
