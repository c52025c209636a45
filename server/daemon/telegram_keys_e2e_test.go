package daemon

import (
	"fmt"
	"slices"
	"testing"

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
