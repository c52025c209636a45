package telegram

import (
	"context"
	"strconv"
	"strings"

	"github.com/mymmrac/telego"

	"github.com/clawgate/gateway/server/providers"
)

// messageID parses a Telegram message id (a positive integer).
func messageID(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n <= 0 {
		return 0, providers.Inputf("telegram: messageId %q is not a message id (a positive integer)", s)
	}
	return n, nil
}

// React implements providers.Reactor: setMessageReaction with the emoji, or with no
// reaction to remove the bot's (r.Emoji "").
func (p *Provider) React(ctx context.Context, r providers.Reaction) error {
	cid, err := chatID(r.ChatID)
	if err != nil {
		return err
	}
	mid, err := messageID(r.MessageID)
	if err != nil {
		return err
	}
	params := &telego.SetMessageReactionParams{ChatID: cid, MessageID: mid}
	if e := strings.TrimSpace(r.Emoji); e != "" {
		params.Reaction = []telego.ReactionType{&telego.ReactionTypeEmoji{Type: telego.ReactionEmoji, Emoji: e}}
	}
	if err := p.withRetry(ctx, func(ctx context.Context) error { return p.bot.SetMessageReaction(ctx, params) }); err != nil {
		return mapErr(err, r.ChatID)
	}
	return nil
}

// DeleteMessage implements providers.Deleter (deleteMessage).
func (p *Provider) DeleteMessage(ctx context.Context, m providers.MessageRef) error {
	cid, err := chatID(m.ChatID)
	if err != nil {
		return err
	}
	mid, err := messageID(m.MessageID)
	if err != nil {
		return err
	}
	params := &telego.DeleteMessageParams{ChatID: cid, MessageID: mid}
	if err := p.withRetry(ctx, func(ctx context.Context) error { return p.bot.DeleteMessage(ctx, params) }); err != nil {
		return mapErr(err, m.ChatID)
	}
	return nil
}
