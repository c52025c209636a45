package daemon

import (
	"testing"

	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/providers/telegram"
	"github.com/clawgate/gateway/server/providers/whatsapp"
)

// The ack settings are read from the file with the original's defaults: Telegram
// acks group mentions with the identity emoji or 👀; WhatsApp acks nothing until an
// emoji is set, then direct chats (unless direct is false) and group mentions, and
// sends read receipts unless sendReadReceipts is false.
func TestAckSettings(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		tg   telegram.AckConfig
		wa   whatsapp.AckConfig
	}{
		{"defaults", `{}`, telegram.AckConfig{Emoji: "👀"},
			whatsapp.AckConfig{Direct: true, GroupMode: "mentions", ReadReceipts: true}},
		{"identity emoji", `{agents: {list: [{id: "main", identity: {emoji: "🦞"}}]}}`, telegram.AckConfig{Emoji: "🦞"},
			whatsapp.AckConfig{Direct: true, GroupMode: "mentions", ReadReceipts: true}},
		{"configured", `{messages: {ackReaction: " ✅ ", ackReactionScope: "all", removeAckAfterReply: true},
			channels: {whatsapp: {sendReadReceipts: false, ackReaction: {emoji: "👀", direct: false, group: "always"}}}}`,
			telegram.AckConfig{Emoji: "✅", Scope: "all", RemoveAfterReply: true},
			whatsapp.AckConfig{Emoji: "👀", GroupMode: "always"}},
		{"account overrides", `{channels: {whatsapp: {sendReadReceipts: false, ackReaction: {emoji: "👀", group: "never"},
			accounts: {Default: {sendReadReceipts: true, ackReaction: {direct: false}}, work: {ackReaction: {emoji: "✅"}}}}}}`,
			telegram.AckConfig{Emoji: "👀"}, whatsapp.AckConfig{Emoji: "👀", GroupMode: "never", ReadReceipts: true}},
		{"empty disables", `{messages: {ackReaction: ""}, channels: {whatsapp: {ackReaction: {emoji: "👍"}}}}`, telegram.AckConfig{},
			whatsapp.AckConfig{Emoji: "👍", Direct: true, GroupMode: "mentions", ReadReceipts: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := config.Parse("clawdbot.json", []byte(tt.raw))
			if err != nil {
				t.Fatal(err)
			}
			if got := telegramAck(&f.Config); got != tt.tg {
				t.Errorf("telegram %+v, want %+v", got, tt.tg)
			}
			if got := whatsappAck(f, "default"); got != tt.wa {
				t.Errorf("whatsapp %+v, want %+v", got, tt.wa)
			}
		})
	}
}
