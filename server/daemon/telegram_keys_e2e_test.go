package daemon

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/gatewaytest"

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

// TestTelegramActionsSendMessage: channels.telegram.actions.sendMessage false makes
// the message tool refuse Telegram sends (the model gets the error, nothing is sent);
// after a reload to true the same call sends.
func TestTelegramActionsSendMessage(t *testing.T) {
	home := t.TempDir()
	bot := tgtest.New(t, tgtest.DefaultToken)
	bot.AddChat(77)
	send := `{"action":"send","channel":"telegram","target":"77","message":"build is green"}`
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
		if n%2 == 0 {
			return fakeStep{calls: []fakeCall{{"m" + strconv.Itoa(n), "message", send}}}
		}
		return fakeStep{text: "done"}
	})
	cfg := func(on bool) string {
		extra := fmt.Sprintf(`channels: {telegram: {botToken: %q, apiBaseUrl: %q, allowFrom: ["77"], actions: {sendMessage: %t}}},`, tgtest.DefaultToken, bot.URL(), on)
		return agentConfigWith(filepath.Join(home, "ws"), model, nil, extra)
	}
	r := startHome(t, home, cfg(false), nil)
	c := r.client(t)
	result := func(evs []*gatewaytest.Frame) (string, bool) {
		for _, e := range toolEvents(evs) {
			if e.Data["phase"] == "result" {
				b, _ := json.Marshal(e.Data["result"])
				return string(b), e.Data["isError"] == true
			}
		}
		t.Fatal("no tool result")
		return "", false
	}
	res, isErr := result(runChat(t, c, "run-off", "tell chat 77", nil))
	if !isErr || !strings.Contains(res, "Telegram sendMessage is disabled") || len(bot.Sent()) != 0 {
		t.Fatalf("with sendMessage false: result %s (error %t), sent %+v", res, isErr, bot.Sent())
	}
	if err := os.WriteFile(filepath.Join(home, "clawdbot.json"), []byte(cfg(true)), 0o600); err != nil {
		t.Fatal(err)
	}
	r.waitOutput(t, "config reloaded")
	res, isErr = result(runChat(t, c, "run-on", "tell chat 77 again", nil))
	if isErr || len(bot.Sent()) != 1 {
		t.Fatalf("with sendMessage true: result %s (error %t), sent %+v", res, isErr, bot.Sent())
	}
}

// TestTelegramChannelName: channels.telegram.name names every account that sets no
// name of its own in channels.status (an account's name wins).
func TestTelegramChannelName(t *testing.T) {
	bot := tgtest.New(t, tgtest.DefaultToken)
	r := start(t, fmt.Sprintf(`{
  channels: {telegram: {apiBaseUrl: %q, name: "Family bot", botToken: %q,
    accounts: {work: {botToken: %q, name: "Work bot"}}}},
}`, bot.URL(), tgtest.DefaultToken, tgtest.DefaultToken))
	c := r.client(t)
	var st protocol.ChannelsStatusResult
	c.MustOK("channels.status", map[string]any{}, &st)
	tg := st.ChannelAccounts["telegram"]
	if len(tg) != 2 || tg[0].AccountID != "default" || tg[0].GetName() != "Family bot" || tg[1].GetName() != "Work bot" {
		t.Fatalf("telegram accounts: %s", mustJSON(tg))
	}
}
