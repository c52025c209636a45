package telegram

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mymmrac/telego"

	"github.com/clawgate/gateway/server/access"
	"github.com/clawgate/gateway/server/providers"
)

// AllowedUpdates are the update types the bot asks Telegram for (getUpdates and
// setWebhook allowed_updates): Telegram's default leaves reactions out, and the
// setting sticks until a call names another list.
var AllowedUpdates = []string{"message", "callback_query", "message_reaction"}

// Reaction notification modes (channels.telegram.reactionNotifications).
const (
	ReactionsOff = "off"
	ReactionsOwn = "own" // the default: reactions on messages the bot sent
	ReactionsAll = "all"
)

// Inline button scopes (channels.telegram.capabilities.inlineButtons).
const (
	ButtonsOff       = "off"
	ButtonsDM        = "dm"
	ButtonsGroup     = "group"
	ButtonsAll       = "all"
	ButtonsAllowlist = "allowlist" // the default: presses from listed senders
)

// Bounds of the record of the bot's own messages ("own" reaction notifications).
const (
	// SentTTL is how long a sent message counts as the bot's, as the original's cache.
	SentTTL = 24 * time.Hour
	// MaxSentTracked caps the record; the oldest entries go first.
	MaxSentTracked = 10000
)

// sentLog remembers which messages the bot sent (chat and message id), for a while.
type sentLog struct {
	mu    sync.Mutex
	at    map[string]time.Time
	order []string // insertion order, oldest first
}

func sentKey(chat string, id int64) string { return chat + "/" + strconv.FormatInt(id, 10) }

func (l *sentLog) add(now time.Time, chat string, id int64) {
	if id <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.at == nil {
		l.at = map[string]time.Time{}
	}
	k := sentKey(chat, id)
	if _, ok := l.at[k]; !ok {
		l.order = append(l.order, k)
	}
	l.at[k] = now
	for len(l.order) > 0 {
		first := l.order[0]
		if len(l.order) <= MaxSentTracked && now.Sub(l.at[first]) <= SentTTL {
			break
		}
		delete(l.at, first)
		l.order = l.order[1:]
	}
}

func (l *sentLog) has(now time.Time, chat string, id int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	t, ok := l.at[sentKey(chat, id)]
	return ok && now.Sub(t) <= SentTTL
}

// recordSent notes a message the bot put out in chat.
func (p *Provider) recordSent(chat string, id int64) {
	p.sent.add(p.cfg.Clock.Now(), chat, id)
}

// reaction turns a message_reaction update into a session note ("Telegram reaction
// added: 👍 by Ada (@ada) on msg 12"), one per emoji the user added, as
// reactionNotifications says: "off" none, "own" (the default) only on the bot's own
// messages, "all" any. Bots' reactions and removals are not reported.
func (p *Provider) reaction(ctx context.Context, r *telego.MessageReactionUpdated) {
	mode := p.cfg.ReactionNotifications
	if mode == "" {
		mode = ReactionsOwn
	}
	if mode == ReactionsOff || p.cfg.Events == nil || r.User == nil || r.User.IsBot {
		return
	}
	chat := strconv.FormatInt(r.Chat.ID, 10)
	if mode == ReactionsOwn && !p.sent.has(p.cfg.Clock.Now(), chat, int64(r.MessageID)) {
		return
	}
	old := map[string]bool{}
	for _, x := range r.OldReaction {
		if e, ok := x.(*telego.ReactionTypeEmoji); ok {
			old[e.Emoji] = true
		}
	}
	var added []string
	for _, x := range r.NewReaction {
		if e, ok := x.(*telego.ReactionTypeEmoji); ok && !old[e.Emoji] {
			added = append(added, e.Emoji)
		}
	}
	if len(added) == 0 {
		return
	}
	u := r.User
	name := strings.TrimSpace(u.FirstName + " " + u.LastName)
	label := name
	switch {
	case name != "" && u.Username != "":
		label = name + " (@" + u.Username + ")"
	case name == "" && u.Username != "":
		label = "@" + u.Username
	case name == "":
		label = "id:" + strconv.FormatInt(u.ID, 10)
	}
	m := providers.Message{
		Channel: providers.Telegram, AccountID: p.cfg.AccountID, From: strconv.FormatInt(u.ID, 10),
		SenderName: name, SenderUsername: u.Username, ChatID: chat,
		Group: r.Chat.Type == "group" || r.Chat.Type == "supergroup",
	}
	for _, e := range added {
		text := "Telegram reaction added: " + e + " by " + label + " on msg " + strconv.Itoa(r.MessageID)
		p.log.Debug("telegram reaction noted", "chat", chat, "text", text)
		p.cfg.Events.SessionEvent(ctx, m, text)
	}
}

// callback turns an inline button press into an inbound message whose text is the
// button's data, as if the presser had written it to the bot (a mention in a group).
// The query is answered at once so Telegram stops the button's spinner. The scope
// (capabilities.inlineButtons) limits presses to DMs, groups or, by default, to
// senders on the chat's allow list.
func (p *Provider) callback(ctx context.Context, q *telego.CallbackQuery) {
	actx, cancel := context.WithTimeout(ctx, DefaultRequestTimeout)
	if err := p.bot.AnswerCallbackQuery(actx, &telego.AnswerCallbackQueryParams{CallbackQueryID: q.ID}); err != nil {
		p.log.Warn("telegram answerCallbackQuery failed", "err", err)
	}
	cancel()
	data := strings.TrimSpace(q.Data)
	if data == "" || q.Message == nil || !q.Message.IsAccessible() || q.From.IsBot {
		return
	}
	scope := p.cfg.InlineButtons
	if scope == "" {
		scope = ButtonsAllowlist
	}
	orig := q.Message.Message()
	group := orig.Chat.Type == "group" || orig.Chat.Type == "supergroup"
	switch {
	case scope == ButtonsOff, scope == ButtonsDM && group, scope == ButtonsGroup && !group:
		p.log.Info("telegram button press ignored", "scope", scope, "chat", orig.Chat.ID)
		return
	}
	from := q.From
	m := *orig
	m.From = &from
	m.Text, m.Caption, m.Entities, m.CaptionEntities = data, "", nil, nil
	m.MediaGroupID = ""
	// The press's id stands in for a message id: a second delivery of the same
	// press is answered once.
	msg := providers.Message{
		Channel: providers.Telegram, AccountID: p.cfg.AccountID, From: strconv.FormatInt(from.ID, 10),
		SenderName: strings.TrimSpace(from.FirstName + " " + from.LastName), SenderUsername: from.Username,
		ChatID: groupPeer(&m), ChatTitle: m.Chat.Title, MessageID: "cb" + q.ID, Text: data, Group: group,
		Mentioned: group, Time: p.cfg.Clock.Now(),
	}
	if group {
		msg.SystemPrompt = groupPrompt(p.cfg.GroupPrompts, msg.ChatID)
	}
	if p.guard == nil {
		ids := []string{msg.From, msg.ChatID}
		if from.Username != "" {
			ids = append(ids, "@"+from.Username)
		}
		p.gate.Deliver(ctx, msg, ids...)
		return
	}
	ids := []string{msg.From}
	if from.Username != "" {
		ids = append(ids, "@"+from.Username)
	}
	am := access.Message{AccountID: msg.AccountID, Group: group, GroupID: msg.ChatID, SenderIDs: ids,
		Mentioned: true, ListedOnly: scope == ButtonsAllowlist}
	ctx = providers.WithAckFacts(ctx, providers.AckFacts{Group: group, Mentioned: true})
	p.guard.Admit(ctx, msg, am, "Your Telegram user id: "+msg.From)
}

// inlineKeyboard is the reply_markup of buttons: rows of the buttons that have both
// a label and data (nil when none are left).
func inlineKeyboard(buttons [][]providers.Button) *telego.InlineKeyboardMarkup {
	var rows [][]telego.InlineKeyboardButton
	for _, row := range buttons {
		var r []telego.InlineKeyboardButton
		for _, b := range row {
			if strings.TrimSpace(b.Text) != "" && b.CallbackData != "" {
				r = append(r, telego.InlineKeyboardButton{Text: b.Text, CallbackData: b.CallbackData})
			}
		}
		if len(r) > 0 {
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	return &telego.InlineKeyboardMarkup{InlineKeyboard: rows}
}
