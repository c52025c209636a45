package daemon

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// TestResponsePrefixOnChannelReplies: messages.responsePrefix starts every channel
// reply, its template filled from the run ({model}, {thinkingLevel}); "auto" is the
// agent's identity name in brackets; the transcript keeps the model's own text.
func TestResponsePrefixOnChannelReplies(t *testing.T) {
	model := newRecordingModel(t, func(prompt string) string { return "re: " + prompt })
	bot := tgtest.New(t, tgtest.DefaultToken)
	cfg := func(prefix string) string {
		return fmt.Sprintf(`{
  messages: {responsePrefix: %q},
  channels: {telegram: {botToken: %q, apiBaseUrl: %q, allowFrom: ["42"], streamMode: "off"}},
  models: {providers: {local: {baseUrl: %q, apiKey: "k", models: []}}},
  agents: {defaults: {model: {primary: "local/m-20250101"}}, list: [{id: "main", identity: {name: "Clawd"}}]},
}`, prefix, tgtest.DefaultToken, bot.URL(), model.srv.URL+"/v1")
	}
	r := start(t, cfg("[{model} | think:{thinkingLevel}]"))
	c := r.client(t)
	lastTo := func() string {
		s := sentTo(bot, "42")
		if len(s) == 0 {
			return ""
		}
		return s[len(s)-1].Text
	}
	bot.PushUpdate(42, 42, "hello")
	waitFor(t, "the prefixed reply", func() bool { return lastTo() == "[m | think:off] re: hello" })

	if err := os.WriteFile(filepath.Join(r.home, "clawdbot.json"), []byte(cfg("auto")), 0o600); err != nil {
		t.Fatal(err)
	}
	r.waitOutput(t, "config reloaded (hot)")
	bot.PushUpdate(42, 42, "again")
	waitFor(t, "the auto prefix", func() bool { return lastTo() == "[Clawd] re: again" })

	var hist struct {
		Messages []struct {
			Role    string `json:"role"`
			Content []struct {
				Text string `json:"text"`
			} `json:"content"`
		} `json:"messages"`
	}
	c.MustOK("chat.history", map[string]any{"sessionKey": "agent:main:telegram:42"}, &hist)
	if len(hist.Messages) == 0 {
		t.Fatal("no transcript in the sender's session")
	}
	last := hist.Messages[len(hist.Messages)-1]
	if last.Role != "assistant" || len(last.Content) == 0 || last.Content[0].Text != "re: again" {
		t.Fatalf("transcript keeps %+v, want the model's own text", last)
	}
}
