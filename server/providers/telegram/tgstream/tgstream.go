// Package tgstream shows an agent's reply on Telegram while it is being written:
// streamMode "partial" sends the first text as a message and then edits it in place
// (editMessageText, throttled so a fast model does not hit Telegram's rate limits),
// "block" does the same but lets the shown text grow in chunks (draftChunk: a
// paragraph or so at a time) instead of every delta, "off" sends the final reply
// only. Block sends a block of a reply streamed as blocks (the agent's block
// streaming) as a message of its own, in any mode. Typing keeps the "typing…" indicator alive while a run is going.
//
// Nothing here starts timers for the stream: Update sends an edit only when the
// throttle interval has passed (by the injected clock) and keeps the newest text
// otherwise; Flush (call it from a ticker if deltas may pause) and Finish deliver the
// rest. That keeps the stream deterministic and free of goroutines.
package tgstream

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mymmrac/telego"

	"github.com/clawgate/gateway/server/chunk"
	"github.com/clawgate/gateway/server/providers/telegram/tghtml"
)

// Mode is channels.telegram.streamMode.
type Mode string

// Stream modes.
const (
	ModeOff     Mode = "off"
	ModePartial Mode = "partial" // the original's default
	ModeBlock   Mode = "block"
)

// ParseMode reads a configured streamMode ("" and unknown values: partial, as the
// original resolves it).
func ParseMode(s string) Mode {
	switch Mode(strings.ToLower(strings.TrimSpace(s))) {
	case ModeOff:
		return ModeOff
	case ModeBlock:
		return ModeBlock
	}
	return ModePartial
}

// Limits and timings.
const (
	// DefaultEditInterval is the least time between two edits of a streamed message
	// (Telegram throttles frequent edits of one message; about one per second is safe).
	DefaultEditInterval = time.Second
	// DefaultTypingInterval re-sends "typing": Telegram shows it for 5 s or until the
	// bot sends a message.
	DefaultTypingInterval = 4 * time.Second
	// DefaultTypingTTL stops the indicator of a run that never finishes (the original's
	// 2 minutes).
	DefaultTypingTTL = 2 * time.Minute
	// DefaultDraftMin and DefaultDraftMax are the original's draftChunk sizes.
	DefaultDraftMin = 200
	DefaultDraftMax = 800
)

// API is the part of the Bot API the stream uses. Texts are Markdown: the API renders
// them (Telego: as Telegram HTML, plain text when Telegram refuses the markup).
type API interface {
	// SendText sends a message; replyTo > 0 threads it under that message.
	SendText(ctx context.Context, chatID, text string, replyTo int64) (messageID int64, err error)
	EditText(ctx context.Context, chatID string, messageID int64, text string) error
	ChatAction(ctx context.Context, chatID, action string) error
}

// Options configures a Stream.
type Options struct {
	Mode     Mode
	Interval time.Duration // DefaultEditInterval
	Limit    int           // chunk limit (chunk.LimitFor("telegram", 0) when 0)
	// ChunkMode is how final replies and blocks are split (chunk.SplitMode:
	// channels.telegram.chunkMode; "" = chunk.ModeLength).
	ChunkMode string
	// Tables is channels.telegram.markdown.tables: how Markdown tables are rewritten
	// before the text is split and shown (tghtml.ConvertTables; "" = code).
	Tables string
	// DraftMin, DraftMax and DraftBreak size the chunks the shown text grows by in
	// ModeBlock (channels.telegram.draftChunk; DefaultDraftMin, DefaultDraftMax, a
	// paragraph break); DraftMax is capped at Limit.
	DraftMin, DraftMax int
	DraftBreak         string
	Now                func() time.Time
	Logger             *slog.Logger
}

// Stream is one reply in one chat. Not for concurrent use by several writers (one
// run writes it), but Flush may be called from another goroutine.
type Stream struct {
	api  API
	chat string
	o    Options

	mu       sync.Mutex
	msgID    int64  // the streamed message (partial), 0 before the first send
	shown    string // its current text
	pending  string // newest text not yet shown
	lastEdit time.Time
	stopped  bool  // streaming gave up (too long, or an API error); Finish still delivers
	blocks   int   // messages sent in block mode
	firstID  int64 // the first message of the final reply (after Finish)
	replyTo  int64 // the message the reply answers (SetReplyTo), 0: none
	replyAll bool  // thread every message, not only the first
	replied  bool  // a message went out threaded under replyTo
	// Block mode: draft cuts the streamed text (draftFed of it so far) into chunks;
	// draftText is what was released for showing, draftSep the break after it.
	draft                         *chunk.Blocker
	draftFed, draftText, draftSep string
}

// SetReplyTo threads the reply's messages under message id (channels.telegram
// replyToMode): the first one sent from now on, or every one with all. A message
// already sent stays unthreaded (Telegram cannot add a reply to it), and under
// "first" that message was the first: nothing after it is threaded.
func (s *Stream) SetReplyTo(id int64, all bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.replyTo == id && s.replyAll == all {
		return
	}
	s.replyTo, s.replyAll = id, all
	s.replied = s.msgID != 0 || s.blocks > 0
}

// nextReplyLocked is the reply_to of the next message sent.
func (s *Stream) nextReplyLocked() int64 {
	if s.replyTo == 0 || (s.replied && !s.replyAll) {
		return 0
	}
	s.replied = true
	return s.replyTo
}

// New starts a stream for chatID.
func New(api API, chatID string, o Options) *Stream {
	if o.Interval <= 0 {
		o.Interval = DefaultEditInterval
	}
	if o.Limit <= 0 {
		o.Limit = chunk.LimitFor("telegram", 0)
	}
	o.Limit = min(o.Limit, chunk.TelegramMaxLimit)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Mode == "" {
		o.Mode = ModePartial
	}
	s := &Stream{api: api, chat: chatID, o: o}
	if o.Mode == ModeBlock {
		s.draft = chunk.NewBlocker(cmp.Or(o.DraftMin, DefaultDraftMin), min(cmp.Or(o.DraftMax, DefaultDraftMax), o.Limit), o.DraftBreak)
	}
	return s
}

// Update gives the reply text so far (partial and block modes; off ignores it).
func (s *Stream) Update(ctx context.Context, text string) {
	if s.o.Mode == ModeOff {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return
	}
	if s.draft != nil {
		text = s.growDraftLocked(text)
		if text == "" {
			return
		}
	}
	s.pending = strings.TrimRight(tghtml.ConvertTables(text, s.o.Tables), " \t\r\n")
	if s.msgID != 0 && s.o.Now().Sub(s.lastEdit) < s.o.Interval {
		return
	}
	s.flushLocked(ctx)
}

// Flush shows the newest pending text now if the throttle allows it.
func (s *Stream) Flush(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped || s.pending == "" || s.o.Now().Sub(s.lastEdit) < s.o.Interval {
		return
	}
	s.flushLocked(ctx)
}

// growDraftLocked feeds the newest text to the draft chunker and returns the text to
// show: the chunks released so far, joined at their breaks ("" while none is). Text
// that does not continue what was fed starts the draft over.
func (s *Stream) growDraftLocked(text string) string {
	if !strings.HasPrefix(text, s.draftFed) {
		s.draft.Reset()
		s.draftFed, s.draftText, s.draftSep = "", "", ""
	}
	s.draft.Append(text[len(s.draftFed):])
	s.draftFed = text
	for _, b := range s.draft.Drain(false) {
		if s.draftText != "" {
			s.draftText += s.draftSep
		}
		s.draftText += b.Text
		s.draftSep = b.Sep
	}
	return s.draftText
}

func (s *Stream) flushLocked(ctx context.Context) {
	text := s.pending
	if text == "" || text == s.shown {
		return
	}
	if chunk.Units(text) > s.o.Limit {
		// The preview no longer fits one message; Finish splits the final text.
		s.stopped = true
		return
	}
	s.pending = ""
	s.lastEdit = s.o.Now()
	if s.msgID == 0 {
		id, err := s.api.SendText(ctx, s.chat, text, s.nextReplyLocked())
		if err != nil {
			s.stop("send", err)
			return
		}
		s.msgID, s.shown = id, text
		return
	}
	if err := s.api.EditText(ctx, s.chat, s.msgID, text); err != nil {
		s.stop("edit", err)
		return
	}
	s.shown = text
}

func (s *Stream) stop(what string, err error) {
	s.stopped = true
	s.o.Logger.Warn("telegram stream stopped", "chat", s.chat, "op", what, "err", err)
}

// Block sends one finished block of a reply streamed as blocks (the agent's block
// streaming), split at the chunk limit, and returns the id of its first message.
// Blocks are threaded like the reply's other messages (SetReplyTo).
func (s *Stream) Block(ctx context.Context, text string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var first int64
	for _, c := range chunk.SplitMode(tghtml.ConvertTables(strings.TrimSpace(text), s.o.Tables), s.o.Limit, s.o.ChunkMode) {
		id, err := s.api.SendText(ctx, s.chat, c, s.nextReplyLocked())
		if err != nil {
			return first, fmt.Errorf("tgstream: send block: %w", err)
		}
		if first == 0 {
			first = id
		}
		s.blocks++
	}
	return first, nil
}

// Finish delivers the final reply. Partial and block: the streamed message becomes
// the first chunk of final (edited if it differs) and the other chunks follow as new
// messages. Off: final, split.
func (s *Stream) Finish(ctx context.Context, final string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	final = tghtml.ConvertTables(strings.TrimSpace(final), s.o.Tables)
	chunks := chunk.SplitMode(final, s.o.Limit, s.o.ChunkMode)
	if len(chunks) == 0 {
		return nil
	}
	var errs []error
	start := 0
	if s.o.Mode != ModeOff && s.msgID != 0 {
		if chunks[0] != s.shown {
			if err := s.api.EditText(ctx, s.chat, s.msgID, chunks[0]); err != nil {
				errs = append(errs, fmt.Errorf("tgstream: final edit: %w", err))
			} else {
				s.shown = chunks[0]
			}
		}
		start = 1
	}
	if start == 1 {
		s.firstID = s.msgID
	}
	for _, c := range chunks[start:] {
		id, err := s.api.SendText(ctx, s.chat, c, s.nextReplyLocked())
		if err != nil {
			errs = append(errs, fmt.Errorf("tgstream: send: %w", err))
			break
		}
		if s.firstID == 0 {
			s.firstID = id
		}
	}
	s.stopped = true
	return errors.Join(errs...)
}

// FirstID is the id of the first message of the final reply (0 before Finish or when
// nothing was sent).
func (s *Stream) FirstID() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.firstID
}

// Shown reports whether the reply is already on screen (a streamed message or blocks
// were sent): its text then belongs there rather than in a media caption.
func (s *Stream) Shown() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.msgID != 0 || s.blocks > 0
}

// MessageID is the streamed message's id (0 when none was sent).
func (s *Stream) MessageID() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.msgID
}

// TypingOptions configures Typing.
type TypingOptions struct {
	Interval time.Duration // DefaultTypingInterval
	TTL      time.Duration // DefaultTypingTTL
	Action   string        // "typing" (or "record_voice", "upload_photo", ...)
	Logger   *slog.Logger
}

// TypingLoop is a running typing indicator.
type TypingLoop struct {
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

// Stop ends the loop and waits for it, so no action is sent after Stop returns.
// Calling it twice is fine.
func (l *TypingLoop) Stop() {
	l.once.Do(func() {
		l.cancel()
		<-l.done
	})
}

// Done is closed when the loop has ended (Stop, ctx or TTL).
func (l *TypingLoop) Done() <-chan struct{} { return l.done }

// Typing sends the chat action now and every Interval until Stop is called, ctx ends
// or TTL passes. The first action is sent before Typing returns (waiting at most
// Interval): the indicator is on before the run goes on, and a reply that follows at
// once cannot cancel it unsent.
func Typing(ctx context.Context, api API, chatID string, o TypingOptions) *TypingLoop {
	if o.Interval <= 0 {
		o.Interval = DefaultTypingInterval
	}
	if o.TTL <= 0 {
		o.TTL = DefaultTypingTTL
	}
	if o.Action == "" {
		o.Action = "typing"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithTimeout(ctx, o.TTL)
	send := func(ctx context.Context) {
		if err := api.ChatAction(ctx, chatID, o.Action); err != nil && ctx.Err() == nil {
			o.Logger.Debug("telegram chat action failed", "chat", chatID, "err", err)
		}
	}
	fctx, fcancel := context.WithTimeout(ctx, o.Interval)
	send(fctx)
	fcancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(o.Interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			send(ctx)
		}
	}()
	return &TypingLoop{cancel: cancel, done: done}
}

// Telego adapts a telego bot to API: texts go as Telegram HTML rendered from their
// Markdown (tghtml), and again as plain text when Telegram cannot parse the HTML.
// NoLinkPreview turns link previews off on what it sends and edits
// (channels.telegram.linkPreview false); ThreadID, when set, puts sends and chat
// actions into that forum topic (message_thread_id; see sendThread for General).
type Telego struct {
	Bot           *telego.Bot
	NoLinkPreview bool
	ThreadID      int
	// Retry, when set, runs each send and edit (the provider's retry policy).
	Retry func(ctx context.Context, fn func(ctx context.Context) error) error
}

func (t Telego) do(ctx context.Context, fn func(ctx context.Context) error) error {
	if t.Retry == nil {
		return fn(ctx)
	}
	return t.Retry(ctx, fn)
}

// ReplyParameters threads a message under message id (nil for 0). A reply to a
// message that is gone is sent anyway, unthreaded, rather than refused.
func ReplyParameters(id int64) *telego.ReplyParameters {
	if id <= 0 {
		return nil
	}
	return &telego.ReplyParameters{MessageID: int(id), AllowSendingWithoutReply: true}
}

// LinkPreview is the link_preview_options of a text message: nil (Telegram's default,
// previews on) unless off.
func LinkPreview(off bool) *telego.LinkPreviewOptions {
	if !off {
		return nil
	}
	return &telego.LinkPreviewOptions{IsDisabled: true}
}

func chatID(s string) (telego.ChatID, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return telego.ChatID{ID: n}, nil
	}
	if strings.HasPrefix(s, "@") && len(s) > 1 {
		return telego.ChatID{Username: s}, nil
	}
	return telego.ChatID{}, fmt.Errorf("tgstream: %q is not a chat id", s)
}

// SendText implements API.
func (t Telego) SendText(ctx context.Context, chat, text string, replyTo int64) (int64, error) {
	cid, err := chatID(chat)
	if err != nil {
		return 0, err
	}
	r := tghtml.Render(text)
	var m *telego.Message
	send := func(text, parseMode string) error {
		return t.do(ctx, func(ctx context.Context) (err error) {
			m, err = t.Bot.SendMessage(ctx, &telego.SendMessageParams{ChatID: cid, MessageThreadID: t.sendThread(), Text: text, ParseMode: parseMode,
				LinkPreviewOptions: LinkPreview(t.NoLinkPreview), ReplyParameters: ReplyParameters(replyTo)})
			return err
		})
	}
	err = send(r.HTML, telego.ModeHTML)
	if tghtml.IsParseError(err) {
		err = send(r.Plain, "")
	}
	if err != nil {
		return 0, err
	}
	return int64(m.MessageID), nil
}

// EditText implements API. "message is not modified" is not an error.
func (t Telego) EditText(ctx context.Context, chat string, id int64, text string) error {
	cid, err := chatID(chat)
	if err != nil {
		return err
	}
	r := tghtml.Render(text)
	edit := func(text, parseMode string) error {
		return t.do(ctx, func(ctx context.Context) error {
			_, err := t.Bot.EditMessageText(ctx, &telego.EditMessageTextParams{ChatID: cid, MessageID: int(id), Text: text, ParseMode: parseMode,
				LinkPreviewOptions: LinkPreview(t.NoLinkPreview)})
			return err
		})
	}
	err = edit(r.HTML, telego.ModeHTML)
	if tghtml.IsParseError(err) {
		err = edit(r.Plain, "")
	}
	if err != nil && strings.Contains(err.Error(), "message is not modified") {
		return nil
	}
	return err
}

// generalTopicID is a forum's General topic.
const generalTopicID = 1

// sendThread is message_thread_id of a send: ThreadID, except the General topic,
// where Telegram refuses it on sends (typing, though, needs it to show there).
func (t Telego) sendThread() int {
	if t.ThreadID == generalTopicID {
		return 0
	}
	return t.ThreadID
}

// ChatAction implements API.
func (t Telego) ChatAction(ctx context.Context, chat, action string) error {
	cid, err := chatID(chat)
	if err != nil {
		return err
	}
	return t.Bot.SendChatAction(ctx, &telego.SendChatActionParams{ChatID: cid, MessageThreadID: t.ThreadID, Action: action})
}
