package daemon

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// TestSendPolicyFromConfig: session.sendPolicy denying Telegram groups keeps the agent
// silent there (no model call, no reply) while gateway commands still answer and
// direct chats are answered; chat.send into the group session is refused; a reload
// that drops the rule lets the next group message through.
func TestSendPolicyFromConfig(t *testing.T) {
	model := newRecordingModel(t, func(prompt string) string { return "re: " + prompt })
	bot := tgtest.New(t, tgtest.DefaultToken)
	cfg := func(policy string) string {
		return fmt.Sprintf(`{
  session: {%s},
  channels: {telegram: {botToken: %q, apiBaseUrl: %q, allowFrom: ["42"], groupPolicy: "open", streamMode: "off",
    groups: {"-100": {requireMention: false}}}},
  models: {providers: {local: {baseUrl: %q, apiKey: "k", models: []}}},
  agents: {defaults: {model: {primary: "local/m"}}},
}`, policy, tgtest.DefaultToken, bot.URL(), model.srv.URL+"/v1")
	}
	r := start(t, cfg(`sendPolicy: {rules: [{action: "deny", match: {channel: "telegram", chatType: "group"}}]}`))
	c := r.client(t)
	lastTo := func(chat string) string {
		s := sentTo(bot, chat)
		if len(s) == 0 {
			return ""
		}
		return s[len(s)-1].Text
	}

	bot.PushMessage(-100, tgtest.User{ID: 42, FirstName: "Ann"}, "group hello")
	bot.PushMessage(-100, tgtest.User{ID: 42, FirstName: "Ann"}, "/status")
	waitFor(t, "the status in the denied group", func() bool { return strings.Contains(lastTo("-100"), "🧠 Model:") })
	if s := sentTo(bot, "-100"); len(s) != 1 {
		t.Fatalf("group replies %+v, want only the status", s)
	}
	bot.PushUpdate(42, 42, "dm hello")
	waitFor(t, "the direct reply", func() bool { return lastTo("42") == "re: dm hello" })
	if calls := model.calls(); len(calls) != 1 || calls[0] != "dm hello" {
		t.Fatalf("model calls %q, want only the direct message", calls)
	}
	f := c.Call("chat.send", map[string]any{"sessionKey": "agent:main:telegram:group:-100", "message": "from the UI", "idempotencyKey": "sp-1"})
	if f.OK || f.Error == nil || f.Error.Message != "send blocked by session policy" {
		t.Fatalf("chat.send into the denied group: %s", f.Raw)
	}

	if err := os.WriteFile(filepath.Join(r.home, "clawdbot.json"), []byte(cfg("")), 0o600); err != nil {
		t.Fatal(err)
	}
	r.waitOutput(t, "config reloaded (hot)")
	bot.PushMessage(-100, tgtest.User{ID: 42, FirstName: "Ann"}, "group again")
	waitFor(t, "the group reply after the reload", func() bool { return lastTo("-100") == "re: Ann (42): group again" })
}
