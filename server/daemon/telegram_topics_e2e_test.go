package daemon

import (
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// TestTelegramForumTopics: channels.telegram.groups.<id>.topics.<thread> in a forum
// supergroup: a topic's message runs in its own session
// (agent:main:telegram:group:<chat>:topic:<thread>), its reply and typing carry
// message_thread_id, the group's and the topic's systemPrompt both reach the model,
// a topic's skills replace the group's, a disabled topic is ignored, a topic's
// requireMention overrides the group's, and a General topic message (no thread id)
// is topic 1, answered without message_thread_id (Telegram refuses it there) but
// typed with it.
func TestTelegramForumTopics(t *testing.T) {
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
	r := startHome(t, home, fmt.Sprintf(`{
  channels: {telegram: {apiBaseUrl: %q, botToken: %q, allowFrom: ["42"], groupPolicy: "open", streamMode: "off",
    groups: {"-100": {requireMention: false, systemPrompt: "GROUP-RULES-1", skills: ["zebra-notes"], topics: {
      "7": {systemPrompt: "TOPIC-SEVEN-2", skills: ["yak-shaver"]},
      "9": {enabled: false},
      "11": {requireMention: true}}}}}},
  models: {providers: {local: {baseUrl: %q, apiKey: "k", models: []}}},
  agents: {defaults: {workspace: %q, model: {primary: "local/m"}}},
}`, bot.URL(), tgtest.DefaultToken, model.srv.URL+"/v1", ws), nil)
	user := tgtest.User{ID: 42, FirstName: "Ann"}

	bot.PushTopicMessage(-100, 7, user, "hello topic seven")
	var sys string
	waitFor(t, "the topic's run", func() (ok bool) { sys, ok = model.system("hello topic seven"); return ok })
	if !strings.Contains(sys, "GROUP-RULES-1") || !strings.Contains(sys, "TOPIC-SEVEN-2") {
		t.Errorf("system prompt lacks the group's or the topic's prompt:\n%s", sys)
	}
	if !strings.Contains(sys, "yak-shaver") || strings.Contains(sys, "zebra-notes") {
		t.Errorf("topic skills not applied:\n%s", sys)
	}
	waitFor(t, "the topic's reply", func() bool { return len(sentTo(bot, "-100")) == 1 })
	if s := sentTo(bot, "-100")[0]; s.ThreadID != 7 || s.Text != "ok" {
		t.Fatalf("reply %+v, want it in thread 7", s)
	}
	for _, a := range bot.Actions() {
		if a.ChatID == "-100" && a.ThreadID != 7 {
			t.Fatalf("typing outside the topic: %+v", a)
		}
	}

	// A disabled topic and a topic requiring a mention ignore the message; the next
	// message (General) is answered, so the ignored ones had their chance.
	bot.PushTopicMessage(-100, 9, user, "in disabled topic")
	bot.PushTopicMessage(-100, 11, user, "no mention here")
	bot.PushTopicMessage(-100, 0, user, "in general")
	waitFor(t, "the General topic's reply", func() bool { return len(sentTo(bot, "-100")) == 2 })
	if s := sentTo(bot, "-100")[1]; s.ThreadID != 0 {
		t.Fatalf("General reply %+v, want no message_thread_id", s)
	}
	if _, ok := model.system("in disabled topic"); ok {
		t.Error("a disabled topic's message reached the model")
	}
	if _, ok := model.system("no mention here"); ok {
		t.Error("a topic's requireMention was not applied")
	}
	sys, _ = model.system("in general")
	if !strings.Contains(sys, "GROUP-RULES-1") || strings.Contains(sys, "TOPIC-SEVEN-2") {
		t.Errorf("General topic system prompt:\n%s", sys)
	}
	general := false
	for _, a := range bot.Actions() {
		general = general || a.ThreadID == 1
	}
	if !general {
		t.Errorf("no typing in the General topic: %+v", bot.Actions())
	}

	c := r.client(t)
	var list struct {
		Sessions []struct {
			Key string `json:"key"`
		} `json:"sessions"`
	}
	c.MustOK("sessions.list", map[string]any{}, &list)
	keys := map[string]bool{}
	for _, s := range list.Sessions {
		keys[s.Key] = true
	}
	if !keys["agent:main:telegram:group:-100:topic:7"] || !keys["agent:main:telegram:group:-100:topic:1"] || keys["agent:main:telegram:group:-100"] {
		t.Fatalf("sessions: %v", keys)
	}
}

// TestTelegramForumTopicsAccount: an account's groups.<id>.topics.<thread> apply to
// its bot (enabled, allowFrom, systemPrompt), replacing the channel's groups.
func TestTelegramForumTopicsAccount(t *testing.T) {
	model := newSystemModel(t)
	bot := tgtest.New(t, tgtest.DefaultToken)
	start(t, fmt.Sprintf(`{
  channels: {telegram: {apiBaseUrl: %q, allowFrom: ["42"], groupPolicy: "open", streamMode: "off",
    groups: {"-100": {requireMention: false, topics: {"5": {systemPrompt: "CHANNEL-LEVEL"}}}},
    accounts: {default: {botToken: %q, groups: {"-100": {requireMention: false, topics: {
      "5": {systemPrompt: "ACCOUNT-TOPIC-5"},
      "6": {enabled: false},
      "8": {allowFrom: ["77"]}}}}}}}},
  models: {providers: {local: {baseUrl: %q, apiKey: "k", models: []}}},
  agents: {defaults: {model: {primary: "local/m"}}},
}`, bot.URL(), tgtest.DefaultToken, model.srv.URL+"/v1"))
	user := tgtest.User{ID: 42, FirstName: "Ann"}
	bot.PushTopicMessage(-100, 6, user, "disabled by the account")
	bot.PushTopicMessage(-100, 8, user, "not on the topic list")
	bot.PushTopicMessage(-100, 5, user, "account topic")
	var sys string
	waitFor(t, "the topic's run", func() (ok bool) { sys, ok = model.system("account topic"); return ok })
	if !strings.Contains(sys, "ACCOUNT-TOPIC-5") || strings.Contains(sys, "CHANNEL-LEVEL") {
		t.Errorf("system prompt:\n%s", sys)
	}
	waitFor(t, "the reply", func() bool { return len(sentTo(bot, "-100")) >= 1 })
	if s := sentTo(bot, "-100"); len(s) != 1 || s[0].ThreadID != 5 {
		t.Fatalf("replies %+v, want one in thread 5", s)
	}
	for _, text := range []string{"disabled by the account", "not on the topic list"} {
		if _, ok := model.system(text); ok {
			t.Errorf("%q reached the model", text)
		}
	}
}

// TestTelegramGroupHistoryLimit: a Telegram account's group history limit is its own,
// else the channel's, else messages.groupChat.historyLimit (before, the last fell
// through to the built-in default).
func TestTelegramGroupHistoryLimit(t *testing.T) {
	s := &services{log: slog.New(slog.DiscardHandler), paths: config.Paths{StateDir: t.TempDir()}, env: config.MapEnv(nil)}
	tests := []struct {
		name, cfg string
		want      map[string]int // account → limit (absent: unset)
	}{
		{"fallback and account", `{messages: {groupChat: {historyLimit: 7}},
		  channels: {telegram: {accounts: {default: {botToken: "1:a"}, work: {botToken: "2:b", historyLimit: 3}}}}}`, map[string]int{"default": 7, "work": 3}},
		{"channel 0 wins", `{messages: {groupChat: {historyLimit: 7}}, channels: {telegram: {botToken: "1:a", historyLimit: 0}}}`, map[string]int{"default": 0}},
		{"unset", `{channels: {telegram: {botToken: "1:a"}}}`, map[string]int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := config.ParseWith("", []byte(tt.cfg), config.MapEnv(nil))
			if err != nil {
				t.Fatal(err)
			}
			_, accts := telegramAccounts(s, &f.Config)
			got := map[string]int{}
			for _, a := range accts {
				if a.section.HistoryLimit != nil {
					got[a.id] = *a.section.HistoryLimit
				}
			}
			if !maps.Equal(got, tt.want) {
				t.Fatalf("history limits %v, want %v", got, tt.want)
			}
		})
	}
}
