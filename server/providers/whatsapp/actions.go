package whatsapp

import (
	"context"
	"fmt"
	"strings"

	"go.mau.fi/whatsmeow/types"

	"github.com/clawgate/gateway/server/providers"
)

// React implements providers.Reactor: a reaction message (whatsmeow BuildReaction) to
// r.MessageID in r.ChatID; Emoji "" removes the account's reaction. The message's
// author is the account itself when r.FromMe, else r.Participant in a group, else the
// other side of the direct chat.
func (p *Provider) React(ctx context.Context, r providers.Reaction) error {
	id := strings.TrimSpace(r.MessageID)
	if id == "" {
		return providers.Inputf("whatsapp: messageId required")
	}
	c, err := p.ready()
	if err != nil {
		return err
	}
	ac, ok := c.(acker)
	if !ok {
		return providers.Inputf("whatsapp: reactions are not supported by this client")
	}
	chat, err := ParseRecipient(r.ChatID)
	if err != nil {
		return err
	}
	sender := chat
	switch {
	case r.FromMe:
		sender = c.OwnJID()
	case strings.TrimSpace(r.Participant) != "":
		if sender, err = ParseRecipient(r.Participant); err != nil {
			return err
		}
	case chat.Server == types.GroupServer:
		return providers.Inputf("whatsapp: participant required to react to a group message of someone else")
	}
	ctx, cancel := context.WithTimeout(ctx, DefaultSendTimeout)
	defer cancel()
	if _, err := c.SendMessage(ctx, chat, ac.BuildReaction(chat, sender, id, strings.TrimSpace(r.Emoji))); err != nil {
		return fmt.Errorf("whatsapp: react in %s: %w", chat, err)
	}
	return nil
}
