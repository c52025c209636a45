package daemon

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// TestExecApprovalForwardedToChat: with approvals.exec.enabled, an exec approval of a
// run that came from a Telegram chat is posted in that chat; the owner answers with
// /approve there, the command runs, the outcome is posted and the run's reply follows.
func TestExecApprovalForwardedToChat(t *testing.T) {
	home := t.TempDir()
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
		if n == 0 {
			return fakeStep{calls: []fakeCall{{"call_1", "exec", `{"command":"echo forwarded-ok"}`}}}
		}
		if strings.Contains(string(body), "forwarded-ok") {
			return fakeStep{text: "it ran"}
		}
		return fakeStep{text: "it did not run"}
	})
	bot := tgtest.New(t, tgtest.DefaultToken)
	extra := fmt.Sprintf(`tools: {exec: {security: "full", ask: "always"}},
  approvals: {exec: {enabled: true}},
  channels: {telegram: {botToken: %q, apiBaseUrl: %q, allowFrom: ["42"], streamMode: "off"}},`, tgtest.DefaultToken, bot.URL())
	startHome(t, home, agentConfigWith(filepath.Join(home, "ws"), model, nil, extra), nil)

	texts := func() []string {
		var out []string
		for _, s := range sentTo(bot, "42") {
			out = append(out, s.Text)
		}
		return out
	}
	has := func(sub string) bool {
		for _, s := range texts() {
			if strings.Contains(s, sub) {
				return true
			}
		}
		return false
	}
	bot.PushUpdate(42, 42, "please run it")
	waitFor(t, "the forwarded prompt", func() bool { return has("🔒 Exec approval required") })
	var id string
	for _, s := range texts() {
		if m := regexp.MustCompile(`(?m)^ID: (\S+)$`).FindStringSubmatch(s); m != nil && strings.Contains(s, "Command: echo forwarded-ok") {
			id = m[1]
		}
	}
	if id == "" {
		t.Fatalf("prompt without id and command: %q", texts())
	}
	bot.PushUpdate(42, 42, "/approve "+id+" allow-once")
	waitFor(t, "the reply after the approval", func() bool { return has("it ran") })
	if !has("✅ Exec approval allowed once.") || !has("ID: "+id) {
		t.Fatalf("chat %q lacks the outcome", texts())
	}
}
