package access

import "testing"

func TestMentionedWhatsApp(t *testing.T) {
	self := []string{"15551234567:3@s.whatsapp.net", "987654321@lid"}
	cases := []struct {
		name      string
		mentioned []string
		quoted    string
		want      bool
	}{
		{"none", nil, "", false},
		{"phone jid", []string{"15551234567@s.whatsapp.net"}, "", true},
		{"lid", []string{"111@s.whatsapp.net", "987654321@lid"}, "", true},
		{"someone else", []string{"15550000000@s.whatsapp.net"}, "", false},
		{"reply to bot", nil, "15551234567@s.whatsapp.net", true},
		{"reply to other", nil, "15550000000@s.whatsapp.net", false},
	}
	for _, c := range cases {
		if got := MentionedWhatsApp(self, c.mentioned, c.quoted); got != c.want {
			t.Errorf("%s: %v", c.name, got)
		}
	}
}

func TestMentionedTelegram(t *testing.T) {
	const bot, id = "Claw_Bot", int64(99)
	cases := []struct {
		name string
		m    TelegramMessage
		want bool
	}{
		{"plain", TelegramMessage{Text: "hello all"}, false},
		{"entity", TelegramMessage{Text: "hi @claw_bot", Entities: []TelegramEntity{{Type: "mention", Offset: 3, Length: 9}}}, true},
		{"entity after emoji (utf-16 offsets)", TelegramMessage{Text: "😀 @claw_bot", Entities: []TelegramEntity{{Type: "mention", Offset: 3, Length: 9}}}, true},
		{"other bot entity", TelegramMessage{Text: "hi @other_bot", Entities: []TelegramEntity{{Type: "mention", Offset: 3, Length: 10}}}, false},
		{"text without entities", TelegramMessage{Text: "ping @CLAW_BOT please"}, true},
		{"longer name without entities", TelegramMessage{Text: "ping @claw_bot2"}, false},
		{"email-like", TelegramMessage{Text: "me@claw_bot"}, false},
		{"reply to bot", TelegramMessage{Text: "yes", ReplyToFromID: id}, true},
		{"reply to user", TelegramMessage{Text: "yes", ReplyToFromID: 5}, false},
		{"text_mention", TelegramMessage{Text: "Claw", Entities: []TelegramEntity{{Type: "text_mention", Offset: 0, Length: 4, UserID: id}}}, true},
		{"command to bot", TelegramMessage{Text: "/status@claw_bot", Entities: []TelegramEntity{{Type: "bot_command", Offset: 0, Length: 16}}}, true},
		{"bad entity bounds", TelegramMessage{Text: "hi", Entities: []TelegramEntity{{Type: "mention", Offset: 1, Length: 50}}}, false},
	}
	for _, c := range cases {
		if got := MentionedTelegram(c.m, bot, id); got != c.want {
			t.Errorf("%s: %v", c.name, got)
		}
	}
}

func TestTelegramCommand(t *testing.T) {
	cases := []struct {
		text, cmd string
		ok        bool
	}{
		{"/status", "/status", true},
		{"/Status@claw_bot now", "/status", true},
		{"/status@other_bot", "", false},
		{"hello /status", "", false},
		{"/", "", false},
		{"/a-b", "", false},
		{"/new\nmore", "/new", true},
	}
	for _, c := range cases {
		cmd, ok := TelegramCommand(TelegramMessage{Text: c.text}, "claw_bot")
		if cmd != c.cmd || ok != c.ok {
			t.Errorf("%q: %q %v", c.text, cmd, ok)
		}
	}
}
