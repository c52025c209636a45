package daemon

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// TestTelegramReactionNotifications: a user's reaction becomes a system line in front
// of the next message of their session ("System: [time] Telegram reaction added: 👍
// by Ada (@ada) on msg N"), as channels.telegram.reactionNotifications says: "own"
// (the default, and the account's key over the channel's) only for reactions on the
// bot's own messages, "all" for any, "off" none. Reactions that only remove an emoji
// or repeat one already there are not reported. Without asking Telegram for
// message_reaction updates (allowed_updates) the fake server never delivers them.
func TestTelegramReactionNotifications(t *testing.T) {
	ada := tgtest.User{ID: 42, FirstName: "Ada", Username: "ada"}
	cases := []struct {
		name, channel, account string
		onBot, onUser          bool // a line for the reaction on the bot's reply / the user's message
	}{
		{"default own", "", "", true, false},
		{"all on account", `reactionNotifications: "off",`, `reactionNotifications: "all"`, true, true},
		{"off", `reactionNotifications: "off",`, "", false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			model := newRecordingModel(t, func(prompt string) string { return "ok " + prompt })
			bot := tgtest.New(t, tgtest.DefaultToken)
			start(t, fmt.Sprintf(`{
  channels: {telegram: {apiBaseUrl: %q, allowFrom: ["42"], %s
    accounts: {default: {botToken: %q, %s}}}},
  models: {providers: {local: {baseUrl: %q, apiKey: "k", models: []}}},
  agents: {defaults: {model: {primary: "local/m"}}},
}`, bot.URL(), c.channel, tgtest.DefaultToken, c.account, model.srv.URL+"/v1"))
			bot.PushMessage(42, ada, "first")
			waitFor(t, "the reply", func() bool { return len(sentTo(bot, "42")) >= 1 })
			reply := sentTo(bot, "42")[0].MessageID
			userMsg := reply - 1 // the fake numbers messages in order: "first" came just before
			bot.PushReaction(42, reply, ada, nil, []string{"👍"})
			bot.PushReaction(42, reply, ada, []string{"👍"}, []string{"👍"}) // nothing added
			bot.PushReaction(42, reply, ada, []string{"👍"}, nil)            // a removal
			bot.PushReaction(42, userMsg, ada, nil, []string{"🔥"})
			bot.PushMessage(42, ada, "second")
			waitFor(t, "the second run", func() bool { return len(model.rawCalls()) >= 2 })
			got := model.rawCalls()[1]
			onBot := fmt.Sprintf("Telegram reaction added: 👍 by Ada (@ada) on msg %d", reply)
			onUser := fmt.Sprintf("Telegram reaction added: 🔥 by Ada (@ada) on msg %d", userMsg)
			if strings.Contains(got, onBot) != c.onBot || strings.Contains(got, onUser) != c.onUser {
				t.Fatalf("second prompt %q: want line on the reply %v, on the user's message %v", got, c.onBot, c.onUser)
			}
			if c.onBot {
				line := regexp.MustCompile(`(?m)^System: \[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [^\]]+\] ` + regexp.QuoteMeta(onBot) + `$`)
				if !line.MatchString(got) || strings.Count(got, "reaction added") != map[bool]int{true: 2, false: 1}[c.onUser] {
					t.Fatalf("second prompt %q: want one timestamped System line per added reaction", got)
				}
				if !strings.HasSuffix(strings.TrimSpace(envelopeBody(got)), "second") {
					t.Fatalf("second prompt %q: the message must follow the system lines", got)
				}
			}
			// The lines are shown once: the third message has none.
			bot.PushMessage(42, ada, "third")
			waitFor(t, "the third run", func() bool { return len(model.rawCalls()) >= 3 })
			if third := model.rawCalls()[2]; strings.Contains(third, "reaction added") {
				t.Fatalf("third prompt %q repeats the reaction lines", third)
			}
		})
	}
}

// envelopeBody is the last line of a prompt with its message-id hint dropped.
func envelopeBody(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if !strings.HasPrefix(lines[i], "[message_id:") {
			return lines[i]
		}
	}
	return ""
}
