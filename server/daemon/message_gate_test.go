package daemon

import (
	"testing"

	"github.com/clawgate/gateway/server/config"
)

// actionGate: channels.<id>.actions.* false refuses the action with the reference's
// error; unset or true allows it; Telegram reactions also follow reactionLevel (the
// account's value winning; off and ack refuse, the default minimal allows).
func TestMessageActionGate(t *testing.T) {
	cases := []struct {
		name, cfg, channel, action, account, want string
	}{
		{"defaults allow", `{channels: {telegram: {}, whatsapp: {}}}`, "telegram", "react", "", ""},
		{"no channels", `{}`, "whatsapp", "poll", "", ""},
		{"telegram reactions off", `{channels: {telegram: {actions: {reactions: false}}}}`, "telegram", "react", "", "Telegram reactions are disabled via actions.reactions."},
		{"telegram reactions on", `{channels: {telegram: {actions: {reactions: true, deleteMessage: false}}}}`, "telegram", "react", "", ""},
		{"telegram delete off", `{channels: {telegram: {actions: {deleteMessage: false}}}}`, "telegram", "delete", "", "Telegram deleteMessage is disabled."},
		{"telegram send off", `{channels: {telegram: {actions: {sendMessage: false}}}}`, "telegram", "send", "", "Telegram sendMessage is disabled (channels.telegram.actions.sendMessage)."},
		{"telegram reactionLevel off", `{channels: {telegram: {reactionLevel: "off"}}}`, "telegram", "react", "", `Telegram agent reactions disabled (reactionLevel="off"). Set channels.telegram.reactionLevel to "minimal" or "extensive" to enable.`},
		{"account reactionLevel ack", `{channels: {telegram: {reactionLevel: "extensive", accounts: {work: {reactionLevel: "ack"}}}}}`, "telegram", "react", "work", `Telegram agent reactions disabled (reactionLevel="ack")`},
		{"account reactionLevel wins", `{channels: {telegram: {reactionLevel: "off", accounts: {work: {reactionLevel: "minimal"}}}}}`, "telegram", "react", "work", ""},
		{"whatsapp reactions off", `{channels: {whatsapp: {actions: {reactions: false}}}}`, "whatsapp", "react", "", "WhatsApp reactions are disabled."},
		{"whatsapp polls off", `{channels: {whatsapp: {actions: {polls: false}}}}`, "whatsapp", "poll", "", "WhatsApp polls are disabled (channels.whatsapp.actions.polls)."},
		{"whatsapp send off", `{channels: {whatsapp: {actions: {sendMessage: false}}}}`, "whatsapp", "send", "", "WhatsApp sendMessage is disabled (channels.whatsapp.actions.sendMessage)."},
		{"whatsapp gate is not telegram's", `{channels: {whatsapp: {actions: {reactions: false}}}}`, "telegram", "react", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := config.Parse("clawdbot.json", []byte(c.cfg))
			if err != nil {
				t.Fatal(err)
			}
			var p engineParts
			p.cfg.Store(f)
			err = p.actionGate(c.channel, c.action, c.account)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if c.want == "" && got != "" || c.want != "" && (len(got) < len(c.want) || got[:len(c.want)] != c.want) {
				t.Fatalf("gate = %q, want %q", got, c.want)
			}
		})
	}
}
