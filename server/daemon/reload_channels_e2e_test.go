package daemon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// tokenOld is a third well-formed bot token (tgtest checks the format).
const tokenOld = "777777:TEST-abcdefghijklmnopqrstuvwxyz0123"

// TestChannelSettingsHotReload: a config file change picked up by the running gateway
// applies, without a restart, (a) a new ack emoji to the next Telegram message and (b)
// account changes channel by channel: a Telegram account added to
// channels.telegram.accounts starts polling and answers, a removed one stops polling,
// and the untouched default bot keeps its poller; a WhatsApp account added to
// channels.whatsapp.accounts starts, a removed one leaves channels.status, and the
// channel's default account follows.
func TestChannelSettingsHotReload(t *testing.T) {
	home := t.TempDir()
	botHome, botOld, botWork := tgtest.New(t, tgtest.DefaultToken), tgtest.New(t, tokenOld), tgtest.New(t, tokenWork)
	front := tgtest.Front(t, botHome, botOld, botWork)
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep { return fakeStep{text: "answer"} })
	config := func(emoji, tgAccounts, waAccount string) string {
		extra := fmt.Sprintf(`channels: {
    telegram: {apiBaseUrl: %q, dmPolicy: "open", allowFrom: ["*"], streamMode: "off", accounts: {%s}},
    whatsapp: {accounts: {%s: {authDir: %q}}}},
  messages: {ackReaction: %q, ackReactionScope: "direct"},`, front, tgAccounts, waAccount, filepath.Join(home, "wa-"+waAccount), emoji)
		return agentConfigWith(filepath.Join(home, "ws"), model, nil, extra)
	}
	r := startHome(t, home, config("👀", fmt.Sprintf(`default: {botToken: %q}, old: {botToken: %q}`, tgtest.DefaultToken, tokenOld), "a"), nil)
	c := r.client(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	status := func() protocol.ChannelsStatusResult {
		var st protocol.ChannelsStatusResult
		c.MustOK("channels.status", map[string]any{}, &st)
		return st
	}
	ids := func(st protocol.ChannelsStatusResult, ch string) (out []string) {
		for _, a := range st.ChannelAccounts[ch] {
			if !a.GetRunning() {
				out = append(out, a.AccountID+"(stopped)")
				continue
			}
			out = append(out, a.AccountID)
		}
		return out
	}

	botHome.PushUpdate(42, 42, "one")
	if _, err := botHome.WaitSent(ctx, 1); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "both bots polling", func() bool { return botOld.Calls("getUpdates") > 0 })
	st := status()
	if got := fmt.Sprintln(ids(st, "telegram"), ids(st, "whatsapp"), st.ChannelDefaultAccountID["whatsapp"]); got != "[default old] [a] a\n" {
		t.Fatalf("before the reload: %s", got)
	}
	getMes := botHome.Calls("getMe")

	next := config("🔥", fmt.Sprintf(`default: {botToken: %q}, work: {botToken: %q}`, tgtest.DefaultToken, tokenWork), "b")
	if err := os.WriteFile(filepath.Join(home, "clawdbot.json"), []byte(next), 0o600); err != nil {
		t.Fatal(err)
	}
	r.waitOutput(t, `msg="telegram settings reloaded" accounts=[work] added=[work] removed=[old]`)
	r.waitOutput(t, `msg="whatsapp settings reloaded" accounts=[b] added=[b] removed=[a]`)
	r.waitOutput(t, `msg="config reloaded (hot)"`)
	r.waitOutput(t, `restarted="[telegram whatsapp]"`) // both channels restarted accounts
	// The removed bot's poller has stopped (the reload waits for it): its calls are final.
	oldPolls := botOld.Calls("getUpdates")
	botOld.PushUpdate(42, 42, "to the removed bot")

	botWork.PushUpdate(42, 42, "to the added bot")
	if _, err := botWork.WaitSent(ctx, 1); err != nil {
		t.Fatalf("the added bot did not answer: %v", err)
	}
	botHome.PushUpdate(42, 42, "two")
	if _, err := botHome.WaitSent(ctx, 2); err != nil {
		t.Fatal(err)
	}
	rs, err := botHome.WaitReactions(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].Emoji != "👀" || rs[1].Emoji != "🔥" || rs[0].MessageID == rs[1].MessageID {
		t.Fatalf("reactions %+v: want 👀 on the first message, 🔥 (reloaded) on the second", rs)
	}
	if n := botHome.Calls("getMe"); n != getMes {
		t.Fatalf("the untouched default bot restarted (getMe %d → %d)", getMes, n)
	}
	if n := botOld.Calls("getUpdates"); n != oldPolls || botOld.Pending() != 1 || len(botOld.Sent()) != 0 {
		t.Fatalf("the removed bot still polls (getUpdates %d → %d, pending %d, sent %d)", oldPolls, n, botOld.Pending(), len(botOld.Sent()))
	}
	st = status()
	if got := fmt.Sprintln(ids(st, "telegram"), ids(st, "whatsapp"), st.ChannelDefaultAccountID["whatsapp"]); got != "[default work] [b] b\n" {
		t.Fatalf("after the reload: %s", got)
	}
	if _, err := os.Stat(filepath.Join(home, "wa-b")); err != nil {
		t.Fatalf("the added WhatsApp account did not open its device store: %v", err)
	}
	if out := r.out.String(); strings.Contains(out, "restarting in process") || strings.Contains(out, "needs a restart") {
		t.Fatalf("the gateway restarted for a channel change:\n%s", out)
	}
}
