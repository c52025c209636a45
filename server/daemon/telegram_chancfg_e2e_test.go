package daemon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/config"
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
			bot.PushReaction(42, reply, ada, []string{"👍"}, nil)           // a removal
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

// TestTelegramInlineButtons: the message tool's buttons go out as the message's
// inline keyboard; a press is answered (answerCallbackQuery) and reaches the agent as
// a message from the presser whose text is the button's callback_data, and the
// agent's answer goes back to the chat. The system prompt names the capability
// (default scope "allowlist"). With capabilities.inlineButtons "off" the tool
// refuses buttons with the original's error and nothing is sent.
func TestTelegramInlineButtons(t *testing.T) {
	for _, scope := range []string{"", "off"} {
		t.Run("scope "+scope, func(t *testing.T) {
			home := t.TempDir()
			send := `{"action":"send","channel":"telegram","target":"42","message":"Deploy?","buttons":[[{"text":"Yes","callback_data":"deploy:yes"},{"text":"No","callback_data":"deploy:no"}]]}`
			model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
				switch {
				case n == 0:
					return fakeStep{calls: []fakeCall{{"b1", "message", send}}}
				case strings.Contains(string(body), "[message_id: cb"): // the press, as a message
					return fakeStep{text: "deploying now"}
				}
				return fakeStep{text: "asked"}
			})
			bot := tgtest.New(t, tgtest.DefaultToken)
			caps := ""
			if scope != "" {
				caps = fmt.Sprintf(`capabilities: {inlineButtons: %q},`, scope)
			}
			extra := fmt.Sprintf(`channels: {telegram: {botToken: %q, apiBaseUrl: %q, allowFrom: ["42"], streamMode: "off", %s}},`,
				tgtest.DefaultToken, bot.URL(), caps)
			startHome(t, home, agentConfigWith(filepath.Join(home, "ws"), model, nil, extra), nil)
			bot.PushUpdate(42, 42, "ask me")
			if scope == "off" {
				waitFor(t, "the reply", func() bool { return len(sentTo(bot, "42")) >= 1 })
				reqs := model.requests()
				if s := sentTo(bot, "42"); len(s) != 1 || s[0].Text != "asked" || len(s[0].Buttons) != 0 ||
					!strings.Contains(string(reqs[1]), "Telegram inline buttons are disabled") || !strings.Contains(string(reqs[0]), "capabilities=none") {
					t.Fatalf("with buttons off: sent %+v (want only the reply, no buttons, the tool's error to the model and no capability in the prompt)", s)
				}
				return
			}
			waitFor(t, "the message with buttons and the reply", func() bool { return len(sentTo(bot, "42")) >= 2 })
			msg := sentTo(bot, "42")[0]
			want := [][]tgtest.Button{{{Text: "Yes", CallbackData: "deploy:yes"}, {Text: "No", CallbackData: "deploy:no"}}}
			if msg.Text != "Deploy?" || !reflect.DeepEqual(msg.Buttons, want) {
				t.Fatalf("first message %+v, want Deploy? with buttons %v", msg, want)
			}
			if !strings.Contains(string(model.requests()[0]), "capabilities=inlineButtons") {
				t.Fatalf("system prompt does not name inline buttons: %s", model.requests()[0])
			}
			q := bot.PushCallback(42, msg.MessageID, tgtest.User{ID: 42, FirstName: "User42"}, "deploy:yes")
			ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
			defer cancel()
			if err := bot.WaitAnswered(ctx, q); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the answer to the press", func() bool { return len(sentTo(bot, "42")) >= 3 })
			if got := sentTo(bot, "42")[2].Text; got != "deploying now" {
				t.Fatalf("answer to the press %q, want deploying now", got)
			}
			// The press came as the presser's message: its text is the button's data.
			if reqs := model.requests(); !strings.Contains(string(reqs[len(reqs)-1]), `] deploy:yes\n[message_id: cb`) {
				t.Fatalf("the press did not reach the model as a message: %.300s", reqs[len(reqs)-1])
			}
		})
	}
}

// TestTelegramReactionLevelPrompt: channels.telegram.reactionLevel picks the system
// prompt's Reactions guidance of a Telegram run: "minimal" when unset, the account's
// "extensive" over the channel's "off", none for "ack".
func TestTelegramReactionLevelPrompt(t *testing.T) {
	cases := []struct{ name, channel, account, want, not string }{
		{"default minimal", "", "", "Reactions are on for Telegram in MINIMAL mode", "EXTENSIVE"},
		{"account extensive", `reactionLevel: "off",`, `reactionLevel: "extensive"`, "Reactions are on for Telegram in EXTENSIVE mode", "MINIMAL"},
		{"ack", `reactionLevel: "ack",`, "", "## Heartbeats", "## Reactions"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			home := t.TempDir()
			model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep { return fakeStep{text: "hi"} })
			bot := tgtest.New(t, tgtest.DefaultToken)
			extra := fmt.Sprintf(`channels: {telegram: {apiBaseUrl: %q, allowFrom: ["42"], %s accounts: {default: {botToken: %q, %s}}}},`,
				bot.URL(), c.channel, tgtest.DefaultToken, c.account)
			startHome(t, home, agentConfigWith(filepath.Join(home, "ws"), model, nil, extra), nil)
			bot.PushUpdate(42, 42, "hello")
			waitFor(t, "the model call", func() bool { return len(model.requests()) >= 1 })
			if req := string(model.requests()[0]); !strings.Contains(req, c.want) || strings.Contains(req, c.not) {
				t.Fatalf("system prompt: want %q and not %q", c.want, c.not)
			}
		})
	}
}

// TestDMHistoryLimitAccount: a Telegram account's dmHistoryLimit and
// dms.<peer>.historyLimit win over the channel's (the original reads only the
// channel's): the account's 1 keeps one user turn where the channel says 5, and the
// account's dms.43 0 lifts the limit for that peer.
func TestDMHistoryLimitAccount(t *testing.T) {
	home := t.TempDir()
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
		return fakeStep{text: fmt.Sprintf("answer %d", n)}
	})
	bot := tgtest.New(t, tgtest.DefaultToken)
	extra := fmt.Sprintf(`channels: {telegram: {apiBaseUrl: %q, allowFrom: ["42", "43"], streamMode: "off", dmHistoryLimit: 5,
    accounts: {default: {botToken: %q, dmHistoryLimit: 1, dms: {"43": {historyLimit: 0}}}}}},`, bot.URL(), tgtest.DefaultToken)
	startHome(t, home, agentConfigWith(filepath.Join(home, "ws"), model, nil, extra), nil)
	say := func(chat int64, text string, replies int) string {
		t.Helper()
		bot.PushUpdate(chat, chat, text)
		waitFor(t, "the reply to "+text, func() bool { return len(sentTo(bot, fmt.Sprint(chat))) == replies })
		reqs := model.requests()
		return string(reqs[len(reqs)-1])
	}
	say(42, "limited one", 1)
	if req := say(42, "limited two", 2); strings.Contains(req, "limited one") || !strings.Contains(req, "limited two") {
		t.Fatalf("second request with the account's dmHistoryLimit 1 kept the first turn: %.400s", req)
	}
	say(43, "free one", 1)
	if req := say(43, "free two", 2); !strings.Contains(req, "free one") {
		t.Fatalf("the account's dms.43.historyLimit 0 still limited the history: %.400s", req)
	}
}

// TestTelegramGroupMigration: when a group becomes a supergroup (a migrate_to_chat_id
// service message) its settings move to the new chat id in the config file — the
// channel's groups and the account's — unless configWrites is false (the account's
// over the channel's), which leaves the file as it was.
func TestTelegramGroupMigration(t *testing.T) {
	for _, writes := range []string{"", "false"} {
		t.Run("configWrites "+writes, func(t *testing.T) {
			home := t.TempDir()
			bot := tgtest.New(t, tgtest.DefaultToken)
			acct := ""
			if writes != "" {
				acct = "configWrites: " + writes + ","
			}
			cfg := fmt.Sprintf(`{
  channels: {telegram: {apiBaseUrl: %q, configWrites: true, groupPolicy: "open",
    groups: {"-100": {requireMention: false}, "-5": {requireMention: true}},
    accounts: {default: {botToken: %q, %s groups: {"-100": {systemPrompt: "be brief"}}}}}},
}`, bot.URL(), tgtest.DefaultToken, acct)
			r := startHome(t, home, cfg, nil)
			path := filepath.Join(home, "clawdbot.json")
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			bot.PushMessageWith(-100, tgtest.User{ID: 42, FirstName: "Ada"}, "", map[string]any{"migrate_to_chat_id": -1001})
			if writes == "false" {
				r.waitOutput(t, "config writes are off")
				if after, _ := os.ReadFile(path); string(after) != string(before) {
					t.Fatalf("config changed with configWrites false:\n%s", after)
				}
				return
			}
			r.waitOutput(t, "telegram group settings moved")
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f, err := config.Parse(path, raw)
			if err != nil {
				t.Fatal(err)
			}
			tg := f.Config.Channels.Telegram
			g, moved := tg.Groups["-1001"]
			_, old := tg.Groups["-100"]
			ag, amoved := tg.Accounts["default"].Groups["-1001"]
			if !moved || old || g.RequireMention == nil || *g.RequireMention || len(tg.Groups) != 2 ||
				!amoved || ag.SystemPrompt == nil || *ag.SystemPrompt != "be brief" || len(tg.Accounts["default"].Groups) != 1 {
				t.Fatalf("groups after the migration:\n%s", raw)
			}
		})
	}
}

// TestTelegramAccountGroupSkills: a bot account's groups (accounts.<id>.groups)
// replace the channel's for the skills of its group sessions, topics included: the
// account's group -100 lists yak-shaver where the channel's would list zebra-notes,
// and its topic 7 lists zebra-notes again.
func TestTelegramAccountGroupSkills(t *testing.T) {
	model := newSystemModel(t)
	bot := tgtest.New(t, tgtest.DefaultToken)
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	for _, name := range []string{"zebra-notes", "yak-shaver"} {
		dir := filepath.Join(ws, "skills", name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "SKILL.md"), []byte("---\nname: "+name+"\ndescription: Does "+name+" things\n---\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	startHome(t, home, fmt.Sprintf(`{
  channels: {telegram: {apiBaseUrl: %q, allowFrom: ["42"], groupPolicy: "open", streamMode: "off",
    groups: {"-100": {requireMention: false, skills: ["zebra-notes"]}},
    accounts: {default: {botToken: %q, groups: {"-100": {requireMention: false, skills: ["yak-shaver"],
      topics: {"7": {skills: ["zebra-notes"]}}}}}}}},
  models: {providers: {local: {baseUrl: %q, apiKey: "k", models: []}}},
  agents: {defaults: {workspace: %q, model: {primary: "local/m"}}},
}`, bot.URL(), tgtest.DefaultToken, model.srv.URL+"/v1", ws), nil)
	check := func(text string, want []bool) {
		t.Helper()
		var sys string
		waitFor(t, "the run of "+text, func() (ok bool) { sys, ok = model.system(text); return ok })
		if got := []bool{strings.Contains(sys, "zebra-notes"), strings.Contains(sys, "yak-shaver")}; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: skills listed %v, want %v", text, got, want)
		}
	}
	bot.PushUpdate(-100, 42, "account group")
	check("account group", []bool{false, true})
	bot.PushTopicMessage(-100, 7, tgtest.User{ID: 42, FirstName: "Ada"}, "account topic")
	check("account topic", []bool{true, false})
}
