package whatsapp

import (
	"errors"
	"testing"

	"github.com/clawgate/gateway/server/providers"
)

// React sends a reaction message naming the message by chat, id and author: the
// other side of a direct chat, the participant of a group message, or the account
// itself with FromMe; an empty emoji removes the reaction; a group message without
// its author is refused before anything is sent.
func TestReact(t *testing.T) {
	cases := []struct {
		name                         string
		r                            providers.Reaction
		chat, id, emoji, participant string
		fromMe                       bool
		wantErr                      bool
	}{
		{"direct", providers.Reaction{ChatID: "+15551234567", MessageID: "AB1", Emoji: "👍"}, "15551234567@s.whatsapp.net", "AB1", "👍", "", false, false},
		{"remove", providers.Reaction{ChatID: "15551234567@s.whatsapp.net", MessageID: "AB1"}, "15551234567@s.whatsapp.net", "AB1", "", "", false, false},
		{"group", providers.Reaction{ChatID: "12036@g.us", MessageID: "G1", Emoji: "🔥", Participant: "+15552223333"}, "12036@g.us", "G1", "🔥", "15552223333@s.whatsapp.net", false, false},
		{"own", providers.Reaction{ChatID: "12036@g.us", MessageID: "G2", Emoji: "✅", FromMe: true}, "12036@g.us", "G2", "✅", "", true, false},
		{"group without author", providers.Reaction{ChatID: "12036@g.us", MessageID: "G3", Emoji: "🔥"}, "", "", "", "", false, true},
		{"no id", providers.Reaction{ChatID: "+15551234567", Emoji: "🔥"}, "", "", "", "", false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, fs := linkedProvider(t, Config{})
			err := p.React(t.Context(), c.r)
			sent := fs.last().sentMsgs()
			if c.wantErr {
				var ie *providers.InputError
				if !errors.As(err, &ie) || len(sent) != 0 {
					t.Fatalf("err %v, sent %d", err, len(sent))
				}
				return
			}
			if err != nil || len(sent) != 1 {
				t.Fatalf("err %v, sent %d", err, len(sent))
			}
			rm := sent[0].msg.GetReactionMessage()
			k := rm.GetKey()
			if sent[0].to.String() != c.chat || k.GetRemoteJID() != c.chat || k.GetID() != c.id || rm.GetText() != c.emoji ||
				k.GetParticipant() != c.participant || k.GetFromMe() != c.fromMe {
				t.Fatalf("sent to %s: %v", sent[0].to, rm)
			}
		})
	}
}
