package tgtest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Button is one inline keyboard button of a sent message.
type Button struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data"`
}

// defaultExcluded are the update types Telegram leaves out while no allowed_updates
// list was given.
var defaultExcluded = []string{"message_reaction", "message_reaction_count", "chat_member"}

// knownUpdates are the update types allowed_updates may name.
var knownUpdates = []string{"message", "edited_message", "channel_post", "edited_channel_post", "business_connection",
	"business_message", "edited_business_message", "deleted_business_messages", "message_reaction", "message_reaction_count",
	"inline_query", "chosen_inline_result", "callback_query", "shipping_query", "pre_checkout_query", "purchased_paid_media",
	"poll", "poll_answer", "my_chat_member", "chat_member", "chat_join_request", "chat_boost", "removed_chat_boost"}

// parseAllowed reads allowed_updates of getUpdates or setWebhook: nil when absent
// (the previous setting stays), an error for a malformed list.
func parseAllowed(p map[string]string) ([]string, *apiError) {
	raw, ok := p["allowed_updates"]
	if !ok || raw == "" {
		return nil, nil
	}
	var list []string
	if err := json.Unmarshal([]byte(raw), &list); err != nil {
		return nil, &apiError{400, "Bad Request: can't parse allowed updates"}
	}
	for _, t := range list {
		if !slices.Contains(knownUpdates, t) {
			return nil, &apiError{400, "Bad Request: unknown update type " + strconv.Quote(t)}
		}
	}
	if list == nil {
		list = []string{}
	}
	return list, nil
}

// setAllowedLocked keeps a list a client sent (an empty one means Telegram's default).
func (s *Server) setAllowedLocked(list []string) {
	switch {
	case list == nil:
	case len(list) == 0:
		s.allowed = nil
	default:
		s.allowed = list
	}
}

// wantedLocked reports whether an update of type kind is delivered under the
// allowed_updates setting.
func (s *Server) wantedLocked(kind string) bool {
	if s.allowed == nil {
		return !slices.Contains(defaultExcluded, kind)
	}
	return slices.Contains(s.allowed, kind)
}

// dropUnwantedLocked removes queued updates of types the client did not ask for, as
// Telegram never delivers them.
func (s *Server) dropUnwantedLocked() {
	kept := s.updates[:0]
	for _, u := range s.updates {
		var m map[string]json.RawMessage
		_ = json.Unmarshal(u, &m)
		kind := ""
		for k := range m {
			if k != "update_id" {
				kind = k
			}
		}
		if s.wantedLocked(kind) {
			kept = append(kept, u)
		}
	}
	s.updates = kept
}

// parseKeyboard reads a send's reply_markup inline keyboard, refusing what the Bot API
// refuses: malformed JSON, a button without text, callback data outside 1–64 bytes.
func parseKeyboard(raw string) ([][]Button, *apiError) {
	if raw == "" || raw == "null" {
		return nil, nil
	}
	var m struct {
		InlineKeyboard [][]Button `json:"inline_keyboard"`
	}
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, &apiError{400, "Bad Request: can't parse reply keyboard markup JSON object"}
	}
	for _, row := range m.InlineKeyboard {
		for _, b := range row {
			if b.Text == "" {
				return nil, &apiError{400, "Bad Request: text buttons are unallowed in the inline keyboard"}
			}
			if n := len(b.CallbackData); n < 1 || n > 64 {
				return nil, &apiError{400, "Bad Request: BUTTON_DATA_INVALID"}
			}
		}
	}
	return m.InlineKeyboard, nil
}

func (s *Server) keepButtonsLocked(chat string, id int64, rows [][]Button) {
	if len(rows) == 0 {
		return
	}
	if s.buttons == nil {
		s.buttons = map[string][]Button{}
	}
	s.buttons[chat+"/"+strconv.FormatInt(id, 10)] = slices.Concat(rows...)
}

// PushReaction queues a message_reaction update: user from changed their reactions
// on message msgID of chat chatID from old to new (emoji lists). Like Telegram, the
// update reaches only a client that asked for message_reaction in allowed_updates.
func (s *Server) PushReaction(chatID, msgID int64, from User, old, new []string) int64 {
	kinds := func(list []string) []map[string]string {
		out := []map[string]string{}
		for _, e := range list {
			out = append(out, map[string]string{"type": "emoji", "emoji": e})
		}
		return out
	}
	chatType := "private"
	if chatID < 0 {
		chatType = "supergroup"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextUpd
	s.nextUpd++
	u := map[string]any{"update_id": id, "message_reaction": map[string]any{
		"chat":         map[string]any{"id": chatID, "type": chatType},
		"message_id":   msgID,
		"user":         map[string]any{"id": from.ID, "is_bot": false, "first_name": from.FirstName, "username": from.Username},
		"date":         time.Now().Unix(),
		"old_reaction": kinds(old),
		"new_reaction": kinds(new),
	}}
	b, _ := json.Marshal(u)
	s.updates = append(s.updates, b)
	s.notifyLocked()
	return id
}

// PushCallback queues a callback_query: user from pressed the button with data on
// message msgID that the bot sent to chatID. As only real buttons can be pressed,
// pressing one the bot never sent fails the test. It returns the query id, which the
// bot must answer (answerCallbackQuery; see Answered).
func (s *Server) PushCallback(chatID, msgID int64, from User, data string) string {
	s.t.Helper()
	chat := strconv.FormatInt(chatID, 10)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.ContainsFunc(s.buttons[chat+"/"+strconv.FormatInt(msgID, 10)], func(b Button) bool { return b.CallbackData == data }) {
		s.t.Errorf("tgtest: no button with data %q on message %d of chat %s", data, msgID, chat)
		return ""
	}
	var text string
	for _, m := range s.sent {
		if m.ChatID == chat && m.MessageID == msgID {
			text = m.Text
		}
	}
	chatType := "private"
	if chatID < 0 {
		chatType = "supergroup"
	}
	id := s.nextUpd
	s.nextUpd++
	qid := "cbq" + strconv.FormatInt(id, 10)
	if s.pending == nil {
		s.pending = map[string]bool{}
	}
	s.pending[qid] = true
	u := map[string]any{"update_id": id, "callback_query": map[string]any{
		"id":            qid,
		"from":          map[string]any{"id": from.ID, "is_bot": false, "first_name": from.FirstName, "username": from.Username},
		"chat_instance": "ci" + chat,
		"data":          data,
		"message": map[string]any{
			"message_id":   msgID,
			"date":         time.Now().Unix(),
			"chat":         map[string]any{"id": chatID, "type": chatType},
			"from":         map[string]any{"id": s.botID, "is_bot": true, "first_name": "Test Bot", "username": BotUsername},
			"text":         text,
			"reply_markup": map[string]any{"inline_keyboard": [][]Button{s.buttons[chat+"/"+strconv.FormatInt(msgID, 10)]}},
		},
	}}
	b, _ := json.Marshal(u)
	s.updates = append(s.updates, b)
	s.notifyLocked()
	return qid
}

// answerCallback records answerCallbackQuery; an id that was never pushed or was
// answered already is refused, as Telegram refuses stale queries.
func (s *Server) answerCallback(p map[string]string) (any, *apiError) {
	id := p["callback_query_id"]
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.pending[id] {
		return nil, &apiError{400, "Bad Request: query is too old and response timeout expired or query ID is invalid"}
	}
	delete(s.pending, id)
	s.answers = append(s.answers, id)
	s.notifyLocked()
	return true, nil
}

// Answered reports whether callback query id was answered.
func (s *Server) Answered(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Contains(s.answers, id)
}

// AllowedUpdates is the allowed_updates setting in force (nil: Telegram's default).
func (s *Server) AllowedUpdates() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.allowed)
}

// WaitAnswered waits until callback query id is answered.
func (s *Server) WaitAnswered(ctx context.Context, id string) error {
	for {
		s.mu.Lock()
		ok, w := slices.Contains(s.answers, id), s.wake
		s.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-w:
		case <-ctx.Done():
			return fmt.Errorf("tgtest: callback query %s not answered: %w", id, ctx.Err())
		}
	}
}
