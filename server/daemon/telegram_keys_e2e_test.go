package daemon

import (
	"fmt"
	"slices"
	"testing"

	"github.com/clawgate/gateway/server/providers/telegram"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// TestTelegramChunkModeNewline: channels.telegram.accounts.<id>.chunkMode "newline"
// sends each paragraph of a reply as its own message, both for a streamed reply
// (the preview message becomes the first paragraph) and a plain one; the channel's
// "length" (the default) is overridden by the account's key. With "length" the test
// fails: the reply is one message.
func TestTelegramChunkModeNewline(t *testing.T) {
	for _, mode := range []string{"partial", "off"} {
		t.Run(mode, func(t *testing.T) {
			model := newRecordingModel(t, func(prompt string) string { return "first " + prompt + "\n\nsecond\nline\n\n\nthird" })
			bot := tgtest.New(t, tgtest.DefaultToken)
			start(t, fmt.Sprintf(`{
  channels: {telegram: {apiBaseUrl: %q, allowFrom: ["42"], streamMode: %q, chunkMode: "length",
    accounts: {default: {botToken: %q, chunkMode: "newline"}}}},
  models: {providers: {local: {baseUrl: %q, apiKey: "k", models: []}}},
  agents: {defaults: {model: {primary: "local/m"}}},
}`, bot.URL(), mode, tgtest.DefaultToken, model.srv.URL+"/v1"))
			bot.PushUpdate(42, 42, "p")
			want := []string{"first p", "second\nline", "third"}
			waitFor(t, "three messages", func() bool { return len(sentTo(bot, "42")) >= 3 })
			var got []string
			for _, s := range sentTo(bot, "42") {
				got = append(got, s.Text)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("sent %q, want %q", got, want)
			}
		})
	}
}

// TestTelegramCommandMenu: at start the bot registers its command menu with
// setMyCommands: the native commands (commands.native unset = auto = on), then the
// account's customCommands, normalised, with invalid, clashing and duplicate ones
// left out with a warning. channels.telegram.commands.native false (over a global
// true) registers only the custom ones; with no custom ones an explicit false
// clears the menu.
func TestTelegramCommandMenu(t *testing.T) {
	native := []tgtest.BotCommand{}
	for _, n := range telegram.NativeCommands {
		native = append(native, tgtest.BotCommand{Command: n.Command, Description: n.Description})
	}
	deploy := tgtest.BotCommand{Command: "deploy", Description: "Ship it"}
	custom := `[{command: "/Deploy", description: " Ship it "}, {command: "status", description: "clash"},
      {command: "bad-name", description: "x"}, {command: "deploy", description: "again"}]`
	cases := []struct {
		name, global, channel, account string
		want                           []tgtest.BotCommand
		warn                           string
	}{
		{"default native and custom", "", "", "customCommands: " + custom, append(slices.Clone(native), deploy), "/status is a native command"},
		{"native off on the channel", "commands: {native: true},", "commands: {native: false},", "customCommands: " + custom, []tgtest.BotCommand{deploy}, "/bad-name is not a valid"},
		{"native off on the account", "", "", "commands: {native: false}", []tgtest.BotCommand{}, ""},
		{"global off", "commands: {native: false},", "", "customCommands: [{command: \"deploy\", description: \"Ship it\"}]", []tgtest.BotCommand{deploy}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bot := tgtest.New(t, tgtest.DefaultToken)
			r := start(t, fmt.Sprintf(`{
  %s
  channels: {telegram: {apiBaseUrl: %q, allowFrom: ["42"], %s
    accounts: {default: {botToken: %q, %s}}}},
}`, c.global, bot.URL(), c.channel, tgtest.DefaultToken, c.account))
			waitFor(t, "setMyCommands", func() bool { return len(bot.CommandLists()) > 0 })
			if got := bot.CommandLists(); len(got) != 1 || !slices.Equal(got[0], c.want) {
				t.Fatalf("setMyCommands %v, want once %v", got, c.want)
			}
			if c.warn != "" {
				r.waitOutput(t, c.warn)
			}
		})
	}
}
