// Package providers is the seam between the gateway and the messaging networks it owns
// (WhatsApp, Telegram): one Provider per network, a Registry that routes by channel
// name, and the Inbound interface through which received messages reach the agent
// runtime. The gateway and the agent runtime depend on this package, never on a
// concrete network.
package providers

import (
	"context"
	"time"
)

// Channel names as they appear on the wire (send.channel / send.provider).
const (
	WhatsApp = "whatsapp"
	Telegram = "telegram"
)

// Outbound is one message to send.
type Outbound struct {
	// To is an E.164 number or WhatsApp JID (whatsapp), or a chat id (telegram).
	To       string
	Text     string
	MediaURL string // optional; fetched by the provider with its size limit
	// MediaPath is a local file to send instead of MediaURL: a reply's media, already
	// confined to the safe folders by the caller (ReplyMediaRoots). Never set it from
	// a client's request.
	MediaPath   string
	GifPlayback bool // whatsapp: send a video as a looping GIF
	// AudioAsVoice sends an audio file as a voice note (telegram sendVoice; spoken
	// replies, messages.tts). WhatsApp sends all audio as voice notes (PTT).
	AudioAsVoice bool
	AccountID    string // optional account selector
	// Typing is when a reply stream (OpenReply) shows its typing indicator:
	// TypingInstant ("", at once), TypingDeferred (when StreamTyping is called) or
	// TypingNever. Send ignores it.
	Typing string
	// TypingInterval re-sends the indicator (0: the provider's default).
	TypingInterval time.Duration
	// ReplyTo is the message the reply answers (a reply tag's id): the provider
	// threads the message under it as its replyToMode says (telegram
	// reply_to_message_id; whatsapp a quote of a message it has seen). "" = none.
	ReplyTo string
	// Buttons are an inline keyboard under the message, rows of buttons (telegram
	// reply_markup; the message tool's buttons). A press comes back as an inbound
	// message whose text is the button's CallbackData. Other channels ignore them.
	Buttons [][]Button
}

// Button is one inline keyboard button: its label and the data a press sends back.
type Button struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data"`
}

// SessionEvents takes short system notes about a conversation (a Telegram reaction
// on the bot's message) for the session m would go to; they are shown to the agent
// with that session's next message.
type SessionEvents interface {
	SessionEvent(ctx context.Context, m Message, text string)
}

// Typing indicator modes of a reply stream (Outbound.Typing).
const (
	TypingInstant  = "instant"
	TypingDeferred = "deferred"
	TypingNever    = "never"
)

// Sent is what a provider reports for a delivered message.
type Sent struct {
	MessageID string
	ChatID    string // telegram chat id
	ToJID     string // whatsapp recipient JID
}

// Message is one inbound message from an allowed sender.
type Message struct {
	Channel    string // WhatsApp or Telegram
	AccountID  string
	From       string // sender identity: E.164 (whatsapp) or user id (telegram)
	SenderName string
	// SenderUsername is the sender's Telegram @username (without the @), if any.
	SenderUsername string
	ChatID         string // where a reply goes: JID or Telegram chat id
	// ChatTitle is the group's title, when the channel says it with the message.
	ChatTitle string
	MessageID string
	Text      string
	Group     bool
	// Mentioned: a group message addressed the bot (an @mention, a reply to it, its
	// name, a command); it picks the default typing mode of the reply.
	Mentioned bool
	Time      time.Time
	// CommandsDenied: the sender may talk to the agent but not run chat commands
	// (a group member admitted by an open group policy who is on no allow list).
	CommandsDenied bool
	// Owner: the sender is one of the owners the channel's allowFrom names (everyone
	// while it names nobody or has "*"); only the owner runs /config, /debug,
	// /restart and bash.
	Owner bool
	// Owners are the account's configured allowFrom senders (access.Rules.Owners),
	// named to the model as its user.
	Owners []string
	// Media is the message's media, still to be fetched (the provider's MediaStage
	// fetches it after admission and clears it); Text holds the caption or the
	// placeholder ("<media:image>") meanwhile. Usually one file; an album (a Telegram
	// media group, a WhatsApp albumMessage and its children) arrives as one message
	// with a file per part.
	Media []*InboundMedia
	// Images are pictures for the model (filled by the MediaStage).
	Images []Image
	// SystemPrompt is extra instructions for the run this message starts (a Telegram
	// group's groups.<id>.systemPrompt); "" adds none.
	SystemPrompt string
	// BodyPrefix goes before the message's own text in what the agent reads
	// (WhatsApp's messagePrefix); chat commands, mention patterns and group history
	// see the text without it.
	BodyPrefix string
	// CommandText, when set, is what chat commands read instead of the current
	// message of Text: the transcript of a voice note sent without a caption (set by
	// the MediaStage), so a spoken "/status" runs as if typed, as the original,
	// while the agent still reads the "[Audio]" body.
	CommandText string
	// Audio: the message carried a voice note or an audio file (set by the
	// MediaStage from Media before it clears it); messages.tts.auto "inbound"
	// answers such messages with a voice note.
	Audio bool
}

// Inbound receives messages from allowed senders. It must not block for long: the
// agent runtime queues the run and returns.
type Inbound interface {
	Inbound(ctx context.Context, m Message)
}

// Sender delivers replies; the agent runtime uses it for `deliver` and auto-reply.
type Sender interface {
	// Send routes by channel ("" means whatsapp). An unknown channel is an error.
	Send(ctx context.Context, channel string, m Outbound) (Sent, error)
}

// Reaction is an emoji reaction the agent sets on a message (the message tool's react
// action).
type Reaction struct {
	// ChatID is the chat: a Telegram chat id, a WhatsApp JID or number.
	ChatID    string
	MessageID string
	// Emoji is the reaction; "" removes the account's reaction.
	Emoji string
	// Participant is the author of the message in a WhatsApp group ("" in direct
	// chats); FromMe says the message is the account's own (WhatsApp needs both to
	// name the message).
	Participant string
	FromMe      bool
	AccountID   string
}

// Reactor is implemented by providers that can react to messages (both networks).
// It is separate from Sender so that a fake sender needs nothing more.
type Reactor interface {
	React(ctx context.Context, r Reaction) error
}

// MessageRef names one message of a chat.
type MessageRef struct {
	ChatID    string
	MessageID string
	AccountID string
}

// Deleter is implemented by providers that can delete messages (Telegram).
type Deleter interface {
	DeleteMessage(ctx context.Context, m MessageRef) error
}
