package agent

import (
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/envelope"
	"github.com/clawgate/gateway/server/grouphistory"
	"github.com/clawgate/gateway/server/providers"
)

func TestWithEnvelope(t *testing.T) {
	at := time.Date(2026, 12, 6, 22, 40, 0, 0, time.UTC)
	utc := envelope.Options{}
	history := grouphistory.Context("Telegram", "group:-100", []grouphistory.Entry{{Sender: "Carol", Body: "earlier", Time: at.Add(-time.Minute)}}, "@bot what now?")
	for _, tc := range []struct {
		name string
		m    providers.Message
		prev time.Time
		want string
	}{
		{"telegram direct", providers.Message{Channel: providers.Telegram, From: "42", SenderName: "Alice", SenderUsername: "alice", ChatID: "42", Text: "hi", Time: at}, at.Add(-90 * time.Second),
			"[Telegram Alice (@alice) id:42 +1m 2026-12-06T22:40Z] hi"},
		{"telegram group with title", providers.Message{Channel: providers.Telegram, From: "7", SenderName: "Bob", ChatID: "-100", ChatTitle: "Team", Group: true, Text: "hi", Time: at}, time.Time{},
			"[Telegram Team id:-100 2026-12-06T22:40Z] Bob (7): hi"},
		{"telegram group without title, username only", providers.Message{Channel: providers.Telegram, From: "7", SenderUsername: "bob", ChatID: "-100", Group: true, Text: "hi", Time: at}, time.Time{},
			"[Telegram group:-100 2026-12-06T22:40Z] bob (7): hi"},
		{"whatsapp direct", providers.Message{Channel: providers.WhatsApp, From: "+15550001", SenderName: "Dan", ChatID: "15550001@s.whatsapp.net", Text: "yo", Time: at}, time.Time{},
			"[WhatsApp +15550001 2026-12-06T22:40Z] yo"},
		{"whatsapp group", providers.Message{Channel: providers.WhatsApp, From: "+15550001", SenderName: "Dan", ChatID: "120363@g.us", Group: true, Text: "yo", Time: at}, time.Time{},
			"[WhatsApp 120363@g.us 2026-12-06T22:40Z] Dan (+15550001): yo"},
		{"group history stays in front, only the current message is wrapped",
			providers.Message{Channel: providers.Telegram, From: "7", SenderName: "Bob", ChatID: "-100", Group: true, Text: history, Time: at}, time.Time{},
			history[:len(history)-len("@bot what now?")] + "[Telegram group:-100 2026-12-06T22:40Z] Bob (7): @bot what now?"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, current := withEnvelope(tc.m, tc.m.Channel, tc.prev, utc)
			if got != tc.want {
				t.Fatalf("got  %q\nwant %q", got, tc.want)
			}
			if want := strings.TrimPrefix(tc.m.Text, history[:len(history)-len("@bot what now?")]); current != want {
				t.Fatalf("current %q, want %q", current, want)
			}
		})
	}
}
