package tgtest

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
)

// Reaction is one setMessageReaction call: Emoji is the reaction set, "" when the
// call cleared the bot's reaction (no or an empty reaction list).
type Reaction struct {
	ChatID    string
	MessageID int64
	Emoji     string
}

// react records setMessageReaction; like the Bot API it refuses unknown chats, a
// missing message id and more than one reaction (bots may set one).
func (s *Server) react(p map[string]string) (any, *apiError) {
	chat := p["chat_id"]
	mid, err := strconv.ParseInt(p["message_id"], 10, 64)
	if err != nil || mid <= 0 {
		return nil, &apiError{400, "Bad Request: message_id is invalid"}
	}
	var list []struct {
		Type  string `json:"type"`
		Emoji string `json:"emoji"`
	}
	if r := p["reaction"]; r != "" {
		if err := json.Unmarshal([]byte(r), &list); err != nil {
			return nil, &apiError{400, "Bad Request: can't parse reaction types JSON object"}
		}
	}
	if len(list) > 1 {
		return nil, &apiError{400, "Bad Request: REACTIONS_TOO_MANY"}
	}
	rec := Reaction{ChatID: chat, MessageID: mid}
	if len(list) == 1 {
		if list[0].Type != "emoji" || list[0].Emoji == "" {
			return nil, &apiError{400, "Bad Request: REACTION_INVALID"}
		}
		rec.Emoji = list[0].Emoji
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.chats[chat] {
		return nil, &apiError{400, "Bad Request: chat not found"}
	}
	s.reacts = append(s.reacts, rec)
	s.notifyLocked()
	return true, nil
}

// Reactions returns the successful setMessageReaction calls so far.
func (s *Server) Reactions() []Reaction {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Reaction(nil), s.reacts...)
}

// WaitReactions waits until at least n reactions were set or cleared and returns them.
func (s *Server) WaitReactions(ctx context.Context, n int) ([]Reaction, error) {
	for {
		s.mu.Lock()
		if len(s.reacts) >= n {
			out := append([]Reaction(nil), s.reacts...)
			s.mu.Unlock()
			return out, nil
		}
		w, got := s.wake, len(s.reacts)
		s.mu.Unlock()
		select {
		case <-w:
		case <-ctx.Done():
			return nil, fmt.Errorf("tgtest: %d of %d reactions: %w", got, n, ctx.Err())
		}
	}
}

// Deletion is one successful deleteMessage call.
type Deletion struct {
	ChatID    string
	MessageID int64
}

// deleteMessage records deleteMessage; like the Bot API it refuses unknown chats, a
// bad message id and a message already deleted.
func (s *Server) deleteMessage(p map[string]string) (any, *apiError) {
	chat := p["chat_id"]
	mid, err := strconv.ParseInt(p["message_id"], 10, 64)
	if err != nil || mid <= 0 {
		return nil, &apiError{400, "Bad Request: message_id is invalid"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.chats[chat] {
		return nil, &apiError{400, "Bad Request: chat not found"}
	}
	for _, d := range s.deletes {
		if d.ChatID == chat && d.MessageID == mid {
			return nil, &apiError{400, "Bad Request: message to delete not found"}
		}
	}
	s.deletes = append(s.deletes, Deletion{ChatID: chat, MessageID: mid})
	s.notifyLocked()
	return true, nil
}

// Deletions returns the successful deleteMessage calls so far.
func (s *Server) Deletions() []Deletion {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Deletion(nil), s.deletes...)
}
