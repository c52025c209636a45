package daemon

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/gatewaytest"
	"github.com/clawgate/gateway/server/providers/telegram"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// chatReply sends message over chat.send and returns the final text.
func chatReply(t *testing.T, c *gatewaytest.Client, runID, message string) string {
	t.Helper()
	st, txt := finalText(t, runChat(t, c, runID, message, nil))
	if st != "final" {
		t.Fatalf("%s: run ended %s (%q)", message, st, txt)
	}
	return txt
}

func mustContain(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Fatalf("%s: %q lacks %q", what, got, w)
		}
	}
}

// readConfigKey reads a key of the config file on disk.
func readConfigKey(t *testing.T, home, pointer string) (any, bool) {
	t.Helper()
	f, err := config.Load(filepath.Join(home, "clawdbot.json"))
	if err != nil {
		t.Fatal(err)
	}
	return f.Lookup(pointer)
}

// TestOwnerCommandsOverChatSend: through daemon.Run and chat.send (an operator client
// is the owner): the owner's commands answer that they are off until their key is
// true; /debug set changes the running config in memory (commands.config on, then the
// next run's model) and /debug reset undoes it; /config get/set/unset read and write
// the file, refusing a value the schema rejects; none of it reaches the model.
func TestOwnerCommandsOverChatSend(t *testing.T) {
	home := t.TempDir()
	answer := func(name string) *fakeModel {
		return newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep { return fakeStep{text: name} })
	}
	primary, backup := answer("from primary"), answer("from backup")
	r := startHome(t, home, agentConfigWith(filepath.Join(home, "ws"), primary, backup, `commands: {debug: true},`), nil)
	c := r.client(t)

	mustContain(t, "/config off", chatReply(t, c, "c1", "/config show"), "/config is disabled. Set commands.config=true to enable.")
	mustContain(t, "/restart off", chatReply(t, c, "c2", "/restart"), "/restart is disabled")
	mustContain(t, "bash off", chatReply(t, c, "c3", "! echo hi"), "bash is disabled. Set commands.bash=true to enable.")
	mustContain(t, "/debug show", chatReply(t, c, "d1", "/debug"), "Debug overrides: (none)")

	// /debug: commands.config on in memory only; the file does not change.
	mustContain(t, "/debug set", chatReply(t, c, "d2", "/debug set commands.config=true"), "Debug override set: commands.config=true")
	if _, set := readConfigKey(t, home, "/commands/config"); set {
		t.Fatal("/debug wrote the config file")
	}
	mustContain(t, "/config get", chatReply(t, c, "g1", "/config get commands"), "⚙️ Config commands:", `"debug": true`)

	// /debug changes what the next run uses: another model.
	mustContain(t, "/debug model", chatReply(t, c, "d3", `/debug set agents.defaults.model.primary="backup/m2"`), `agents.defaults.model.primary="backup/m2"`)
	if got := chatReply(t, c, "d4", "hi"); got != "from backup" {
		t.Fatalf("run after /debug set: %q", got)
	}
	mustContain(t, "/debug show", chatReply(t, c, "d5", "/debug show"), "Debug overrides (memory-only)", `"primary": "backup/m2"`)
	mustContain(t, "/debug unset", chatReply(t, c, "d6", "/debug unset agents.defaults.model.primary"), "Debug override removed for agents.defaults.model.primary.")
	if got := chatReply(t, c, "d7", "hi again"); got != "from primary" {
		t.Fatalf("run after /debug unset: %q", got)
	}
	mustContain(t, "/debug unset missing", chatReply(t, c, "d8", "/debug unset nothing.here"), "No debug override found for nothing.here.")
	mustContain(t, "/debug invalid", chatReply(t, c, "d9", "/debug set gateway.port=notaport"), "Override not applied")

	// /config set writes the file through the config write path; the schema guards it.
	mustContain(t, "/config set", chatReply(t, c, "s1", "/config set agents.defaults.timeoutSeconds=321"), "Config updated: agents.defaults.timeoutSeconds=321")
	if v, _ := readConfigKey(t, home, "/agents/defaults/timeoutSeconds"); v != float64(321) {
		t.Fatalf("timeoutSeconds on disk: %v", v)
	}
	mustContain(t, "/config set invalid", chatReply(t, c, "s2", "/config set agents.defaults.timeoutSeconds=soon"), "Config invalid after set (")
	if v, _ := readConfigKey(t, home, "/agents/defaults/timeoutSeconds"); v != float64(321) {
		t.Fatalf("timeoutSeconds after a refused set: %v", v)
	}
	mustContain(t, "/config get", chatReply(t, c, "s3", "/config get agents.defaults.timeoutSeconds"), "```json\n321\n```")
	mustContain(t, "/config show", chatReply(t, c, "s4", "/config"), "⚙️ Config (raw):", `"apiKey": "__CLAWDBOT_REDACTED__"`)
	mustContain(t, "/config unset", chatReply(t, c, "s5", "/config unset agents.defaults.timeoutSeconds"), "Config updated: agents.defaults.timeoutSeconds removed.")
	if _, set := readConfigKey(t, home, "/agents/defaults/timeoutSeconds"); set {
		t.Fatal("unset left the key")
	}
	mustContain(t, "/config unset missing", chatReply(t, c, "s6", "/config unset agents.defaults.timeoutSeconds"), "No config value found")
	mustContain(t, "/config usage", chatReply(t, c, "s7", "/config set nothing"), "Usage: /config set path=value")

	// /debug reset: back to the file (commands.config is off again).
	mustContain(t, "/debug reset", chatReply(t, c, "d10", "/debug reset"), "Debug overrides cleared; using config on disk.")
	mustContain(t, "/config after reset", chatReply(t, c, "d11", "/config"), "/config is disabled")
	if n := len(primary.requests()) + len(backup.requests()); n != 2 {
		t.Fatalf("the model saw %d requests; want the 2 plain messages", n)
	}
}

// TestBashAndRestartOverChatSend: "! echo hi" runs on the host and answers with its
// output; with commands.bashForegroundMs 0 a command moves to the background at once,
// a second one is refused while it runs and !poll shows its end; /restart restarts the
// gateway in process, and a client connects to the new server.
func TestBashAndRestartOverChatSend(t *testing.T) {
	home := t.TempDir()
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep { return fakeStep{text: "model"} })
	r := startHome(t, home, agentConfigWith(filepath.Join(home, "ws"), model, nil,
		`commands: {bash: true, restart: true, debug: true},`), nil)
	c := r.client(t)

	mustContain(t, "! echo hi", chatReply(t, c, "b1", "! echo hi"), "⚙️ bash: echo hi\nExit: 0\n```txt\nhi\n```")
	mustContain(t, "/bash", chatReply(t, c, "b2", "/bash exit 3"), "Exit: 3")
	mustContain(t, "!", chatReply(t, c, "b3", "!"), "⚙️ Usage:")
	mustContain(t, "!poll idle", chatReply(t, c, "b4", "!poll"), "No active bash job.")

	mustContain(t, "fg 0", chatReply(t, c, "b5", "/debug set commands.bashForegroundMs=0"), "bashForegroundMs=0")
	started := chatReply(t, c, "b6", "! sleep 1; echo done")
	m := regexp.MustCompile(`bash started \(session (\S+)\)`).FindStringSubmatch(started)
	if m == nil {
		t.Fatalf("background start: %q", started)
	}
	mustContain(t, "busy", chatReply(t, c, "b7", "! echo again"), "A bash job is already running")
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; ; i++ {
		got := chatReply(t, c, fmt.Sprintf("p%d", i), "!poll")
		if strings.Contains(got, "bash finished") {
			mustContain(t, "poll finished", got, "Exit: code 0", "done")
			break
		}
		mustContain(t, "poll running", got, "bash still running")
		if time.Now().After(deadline) {
			t.Fatalf("the background job did not finish: %q", got)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := len(model.requests()); n != 0 {
		t.Fatalf("bash reached the model: %d requests", n)
	}

	mustContain(t, "/restart", chatReply(t, c, "r1", "/restart"), "Restarting clawdbot in-process (SIGUSR1)")
	r.waitOutput(t, `reason=/restart`)
	c.WaitClose()
	c = r.client(t)
	// The restarted gateway answers, and the debug override survived the restart.
	mustContain(t, "after restart", chatReply(t, c, "r2", "/debug show"), `"bashForegroundMs": 0`)
}

// TestOwnerCommandsOverTelegram: on Telegram only the owner (allowFrom) runs /config:
// a group member allowed to run commands (groupAllowFrom) is ignored and the file
// stays; channels.telegram.configWrites false refuses writes. With commands.text false
// the bot's menu commands still work while /compact and "! …" go to the model.
func TestOwnerCommandsOverTelegram(t *testing.T) {
	model := newRecordingModel(t, func(prompt string) string { return "re: " + prompt })
	bot := tgtest.New(t, tgtest.DefaultToken)
	home := t.TempDir()
	r := startHome(t, home, fmt.Sprintf(`{
  commands: {config: true, bash: true},
  tools: {exec: {security: "full", ask: "off"}},
  channels: {telegram: {botToken: %q, apiBaseUrl: %q, allowFrom: ["42"], groupAllowFrom: ["42", "77"], groupPolicy: "allowlist",
    groups: {"-100": {requireMention: false}}}},
  models: {providers: {local: {baseUrl: %q, apiKey: "k", models: []}}},
  agents: {defaults: {model: {primary: "local/m"}}},
}`, tgtest.DefaultToken, bot.URL(), model.srv.URL+"/v1"), nil)
	lastTo := func(chat string) string {
		s := sentTo(bot, chat)
		if len(s) == 0 {
			return ""
		}
		return s[len(s)-1].Text
	}
	bob, ann := tgtest.User{ID: 77, FirstName: "Bob"}, tgtest.User{ID: 42, FirstName: "Ann"}
	bot.PushMessage(-100, bob, "/config set agents.defaults.timeoutSeconds=99")
	bot.PushMessage(-100, bob, "/status") // Bob may run the ordinary commands
	waitFor(t, "Bob's status", func() bool { return strings.Contains(lastTo("-100"), "🧠 Model:") })
	if _, set := readConfigKey(t, home, "/agents/defaults/timeoutSeconds"); set || len(sentTo(bot, "-100")) != 1 {
		t.Fatalf("a non-owner's /config was carried out: replies %+v", sentTo(bot, "-100"))
	}
	bot.PushMessage(-100, ann, "/config set agents.defaults.timeoutSeconds=99")
	waitFor(t, "Ann's /config", func() bool {
		return strings.Contains(lastTo("-100"), "Config updated: agents.defaults.timeoutSeconds=99")
	})
	if v, _ := readConfigKey(t, home, "/agents/defaults/timeoutSeconds"); v != float64(99) {
		t.Fatalf("timeoutSeconds on disk: %v", v)
	}
	bot.PushUpdate(42, 42, "! echo from-telegram")
	waitFor(t, "the owner's bash", func() bool {
		return strings.Contains(lastTo("42"), "from-telegram") && strings.Contains(lastTo("42"), "Exit: 0")
	})

	// configWrites false (read from the file as the reload applies it).
	bot.PushUpdate(42, 42, "/config set channels.telegram.configWrites=false")
	waitFor(t, "configWrites off", func() bool { return strings.Contains(lastTo("42"), "configWrites=false") })
	bot.PushUpdate(42, 42, "/config set agents.defaults.timeoutSeconds=7")
	waitFor(t, "the refusal", func() bool {
		return strings.Contains(lastTo("42"), "Config writes are disabled for telegram. Set channels.telegram.configWrites=true to enable.")
	})
	if v, _ := readConfigKey(t, home, "/agents/defaults/timeoutSeconds"); v != float64(99) {
		t.Fatalf("timeoutSeconds after a refused write: %v", v)
	}

	// commands.text false: the menu's /status still answers; /compact and bash are text.
	raw, err := os.ReadFile(filepath.Join(home, "clawdbot.json"))
	if err != nil {
		t.Fatal(err)
	}
	next := strings.Replace(string(raw), `"config": true`, `"config": true, "text": false`, 1)
	if next == string(raw) {
		t.Fatalf("config file %s", raw)
	}
	if err := os.WriteFile(filepath.Join(home, "clawdbot.json"), []byte(next), 0o600); err != nil {
		t.Fatal(err)
	}
	r.waitOutput(t, "commands.text")
	bot.PushUpdate(42, 42, "/compact")
	waitFor(t, "/compact as text", func() bool { return strings.Contains(lastTo("42"), "re: /compact") })
	bot.PushUpdate(42, 42, "! echo x")
	waitFor(t, "bash as text", func() bool { return lastTo("42") == "re: ! echo x" })
	bot.PushUpdate(42, 42, "/status")
	waitFor(t, "native /status", func() bool { return strings.Contains(lastTo("42"), "🧠 Model:") })
}

// TestSkillCommandsOverChatSend: a user-invocable skill of the agent's workspace is a
// chat command: /<name> [input] and /skill <name> [input] send the original's "Use
// the … skill" prompt to the model; a skill named like a built-in command gets a
// suffixed name (the built-in keeps its own), and a user-invocable: false skill is no
// command.
func TestSkillCommandsOverChatSend(t *testing.T) {
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	for name, body := range map[string]string{
		"weather-report": "---\nname: weather-report\ndescription: Get the weather\n---\nAsk the sky.\n",
		"status":         "---\nname: status\ndescription: A skill named like a command\n---\nx\n",
		"hidden":         "---\nname: hidden\ndescription: not for users\nuser-invocable: false\n---\nx\n",
	} {
		dir := filepath.Join(ws, "skills", name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "SKILL.md"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep { return fakeStep{text: fmt.Sprint("answer ", n)} })
	r := startHome(t, home, agentConfig(ws, model, nil), nil)
	c := r.client(t)
	lastUser := func() string {
		reqs := model.requests()
		return string(reqs[len(reqs)-1])
	}

	if got := chatReply(t, c, "k1", "/weather_report Paris"); got != "answer 0" {
		t.Fatalf("skill command: %q", got)
	}
	mustContain(t, "skill prompt", lastUser(), `Use the \"weather-report\" skill for this request.\n\nUser input:\nParis`)
	chatReply(t, c, "k2", "/skill Weather-Report Berlin")
	mustContain(t, "/skill", lastUser(), `Use the \"weather-report\" skill for this request.\n\nUser input:\nBerlin`)
	chatReply(t, c, "k3", "/status_2")
	mustContain(t, "renamed skill", lastUser(), `Use the \"status\" skill for this request.`)
	mustContain(t, "built-in /status", chatReply(t, c, "k4", "/status"), "🧵 Session:")
	chatReply(t, c, "k5", "/hidden now")
	if u := lastUser(); strings.Contains(u, `Use the \"hidden\" skill`) || !strings.Contains(u, "/hidden now") {
		t.Fatalf("user-invocable false: %.300s", u)
	}
	if n := len(model.requests()); n != 4 {
		t.Fatalf("model requests %d; want 4", n)
	}
}

// TestTelegramSkillMenu: commands.nativeSkills (on by default) adds the agents' skill
// commands to the bot's menu after the native ones, and a custom command with a skill
// command's name is left out; with commands.text false a menu skill still works.
// nativeSkills false keeps them out of the menu (and the custom command is back).
func TestTelegramSkillMenu(t *testing.T) {
	var native []tgtest.BotCommand
	for _, n := range telegram.NativeCommands {
		native = append(native, tgtest.BotCommand{Command: n.Command, Description: n.Description})
	}
	skill := tgtest.BotCommand{Command: "deploy_app", Description: "Ship the app"}
	for _, c := range []struct {
		name, setting string
		want          []tgtest.BotCommand
	}{
		{"default", "", append(slices.Clone(native), skill)},
		{"off", "nativeSkills: false,", append(slices.Clone(native), tgtest.BotCommand{Command: "deploy_app", Description: "mine"})},
	} {
		t.Run(c.name, func(t *testing.T) {
			home := t.TempDir()
			ws := filepath.Join(home, "ws")
			dir := filepath.Join(ws, "skills", "deploy-app")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "SKILL.md"), []byte("---\nname: deploy-app\ndescription: Ship the app\n---\nx\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			model := newRecordingModel(t, func(prompt string) string { return "re: " + prompt })
			bot := tgtest.New(t, tgtest.DefaultToken)
			r := startHome(t, home, fmt.Sprintf(`{
  commands: {text: false, %s},
  channels: {telegram: {botToken: %q, apiBaseUrl: %q, allowFrom: ["42"], customCommands: [{command: "deploy_app", description: "mine"}]}},
  models: {providers: {local: {baseUrl: %q, apiKey: "k", models: []}}},
  agents: {defaults: {workspace: %q, model: {primary: "local/m"}}},
}`, c.setting, tgtest.DefaultToken, bot.URL(), model.srv.URL+"/v1", ws), nil)
			waitFor(t, "setMyCommands", func() bool { return len(bot.CommandLists()) > 0 })
			if got := bot.CommandLists(); len(got) != 1 || !slices.Equal(got[0], c.want) {
				t.Fatalf("setMyCommands %v, want once %v", got, c.want)
			}
			if c.setting != "" {
				return
			}
			r.waitOutput(t, "/deploy_app is a skill command")
			bot.PushUpdate(42, 42, "/deploy_app now")
			waitFor(t, "the skill run", func() bool {
				s := sentTo(bot, "42")
				return len(s) > 0 && strings.Contains(s[len(s)-1].Text, `re: Use the "deploy-app" skill for this request.`)
			})
		})
	}
}

// TestAgentToAgentPingPong: after sessions_send gets the target's reply, the two
// sessions answer each other for session.agentToAgent.maxPingPongTurns turns (each
// step's prompt names its turn), then the target gets the announce step; 0 turns go
// straight to the announce.
func TestAgentToAgentPingPong(t *testing.T) {
	for _, c := range []struct {
		setting string
		turns   int
	}{{"session: {agentToAgent: {maxPingPongTurns: 2}},", 2}, {"session: {agentToAgent: {maxPingPongTurns: 0}},", 0}} {
		t.Run(fmt.Sprint(c.turns), func(t *testing.T) {
			home := t.TempDir()
			model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
				b := string(body)
				switch {
				case strings.Contains(b, "Agent-to-agent announce step:"):
					return fakeStep{text: "ANNOUNCE_SKIP"}
				case strings.Contains(b, "Agent-to-agent reply step:"):
					return fakeStep{text: fmt.Sprint("step reply ", n)}
				case strings.Contains(b, "Agent-to-agent message context"):
					return fakeStep{text: "pong"}
				case strings.Contains(b, "call_s"):
					return fakeStep{text: "done"}
				}
				return fakeStep{calls: []fakeCall{{"call_s", "sessions_send", `{"sessionKey":"agent:main:other","message":"ping","timeoutSeconds":0}`}}}
			})
			r := startHome(t, home, agentConfigWith(filepath.Join(home, "ws"), model, nil, c.setting), nil)
			cl := r.client(t)
			if got := chatReply(t, cl, "a1", "ask the other session"); got != "done" {
				t.Fatalf("requester run: %q", got)
			}
			count := func(s string) int {
				n := 0
				for _, b := range model.requests() {
					if strings.Contains(string(b), s) {
						n++
					}
				}
				return n
			}
			waitFor(t, "the announce step", func() bool { return count("Agent-to-agent announce step:") == 1 })
			if got := count("Agent-to-agent reply step:"); got != c.turns {
				t.Fatalf("reply steps %d; want %d", got, c.turns)
			}
			for turn := 1; turn <= c.turns; turn++ {
				if count(fmt.Sprintf("Turn %d of %d.", turn, c.turns)) != 1 {
					t.Fatalf("turn %d of %d not asked once", turn, c.turns)
				}
			}
			if c.turns > 0 && (count("Current agent: Agent 1 (requester).") != 1 || count("Current agent: Agent 2 (target).") != 1) {
				t.Fatal("the turns did not alternate between requester and target")
			}
		})
	}
}
