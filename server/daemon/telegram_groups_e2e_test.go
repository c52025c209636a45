package daemon

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// systemModel is an OpenAI-compatible model server that answers "ok: <prompt>" and
// records each request's system message with its last user message.
type systemModel struct {
	srv     *httptest.Server
	mu      sync.Mutex
	systems map[string]string   // last user message → system message
	tools   map[string][]string // last user message → the tools offered
}

func newSystemModel(t *testing.T) *systemModel {
	m := &systemModel{systems: map[string]string{}, tools: map[string][]string{}}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Messages []struct{ Role, Content string }
			Tools    []struct {
				Function struct{ Name string }
			}
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body.Messages) == 0 {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		var names []string
		for _, tl := range body.Tools {
			names = append(names, tl.Function.Name)
		}
		sys := ""
		for _, msg := range body.Messages {
			if msg.Role == "system" {
				sys = msg.Content
			}
		}
		last := body.Messages[len(body.Messages)-1].Content
		m.mu.Lock()
		m.systems[last] = sys
		m.tools[last] = names
		m.mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		b, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"index": 0, "delta": map[string]string{"content": "ok"}}}})
		fmt.Fprintf(w, "data: %s\n\ndata: [DONE]\n\n", b)
	}))
	t.Cleanup(m.srv.Close)
	return m
}

// system is the system message of the request whose last message contains text.
func (m *systemModel) system(text string) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, v := range m.systems {
		if strings.Contains(k, text) {
			return v, true
		}
	}
	return "", false
}

// TestTelegramGroupSystemPrompt: channels.telegram.accounts.<id>.groups.<id>.systemPrompt
// reaches the system prompt of that group's runs; a group without an entry gets the
// "*" entry's, a group whose entry has none gets none, and a direct chat none.
func TestTelegramGroupSystemPrompt(t *testing.T) {
	model := newSystemModel(t)
	bot := tgtest.New(t, tgtest.DefaultToken)
	start(t, fmt.Sprintf(`{
  channels: {telegram: {apiBaseUrl: %q, allowFrom: ["42"], groupPolicy: "open", streamMode: "off",
    groups: {"-100": {requireMention: false, systemPrompt: "channel-level, overridden"}},
    accounts: {default: {botToken: %q, groups: {
      "-100": {requireMention: false, systemPrompt: "  Speak like a pirate.  "},
      "-200": {requireMention: false},
      "*": {requireMention: false, systemPrompt: "Be terse."}}}}}},
  models: {providers: {local: {baseUrl: %q, apiKey: "k", models: []}}},
  agents: {defaults: {model: {primary: "local/m"}}},
}`, bot.URL(), tgtest.DefaultToken, model.srv.URL+"/v1"))
	cases := []struct {
		chat       int64
		text, want string
		not        []string
	}{
		{-100, "ahoy there", "Speak like a pirate.", []string{"Be terse.", "channel-level"}},
		{-300, "any group", "Be terse.", []string{"pirate"}},
		{-200, "plain group", "", []string{"pirate", "Be terse."}},
		{42, "direct chat", "", []string{"pirate", "Be terse."}},
	}
	for _, c := range cases {
		bot.PushUpdate(c.chat, 42, c.text)
		var sys string
		waitFor(t, "the run of "+c.text, func() (ok bool) { sys, ok = model.system(c.text); return ok })
		if c.want != "" && !strings.Contains(sys, c.want) {
			t.Errorf("%s: system prompt lacks %q:\n%s", c.text, c.want, sys)
		}
		for _, n := range c.not {
			if strings.Contains(sys, n) {
				t.Errorf("%s: system prompt has %q:\n%s", c.text, n, sys)
			}
		}
	}
}

// offered is the tools offered to the request whose last message contains text.
func (m *systemModel) offered(text string) ([]string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, v := range m.tools {
		if strings.Contains(k, text) {
			return v, true
		}
	}
	return nil, false
}

// TestTelegramGroupTools: channels.telegram(.accounts.<id>).groups.<id>.tools
// allow/deny narrow the tools of that group's runs ("*"'s for a group without its
// own); direct chats keep every tool.
func TestTelegramGroupTools(t *testing.T) {
	model := newSystemModel(t)
	bot := tgtest.New(t, tgtest.DefaultToken)
	start(t, fmt.Sprintf(`{
  channels: {telegram: {apiBaseUrl: %q, allowFrom: ["42"], groupPolicy: "open", streamMode: "off",
    accounts: {default: {botToken: %q, groups: {
      "-100": {requireMention: false, tools: {deny: ["exec", "process"]}},
      "*": {requireMention: false, tools: {allow: ["read"]}}}}}}},
  models: {providers: {local: {baseUrl: %q, apiKey: "k", models: []}}},
  agents: {defaults: {model: {primary: "local/m"}}},
}`, bot.URL(), tgtest.DefaultToken, model.srv.URL+"/v1"))
	get := func(chat int64, text string) []string {
		bot.PushUpdate(chat, 42, text)
		var names []string
		waitFor(t, "the run of "+text, func() (ok bool) { names, ok = model.offered(text); return ok })
		return names
	}
	dm := get(42, "direct chat")
	if !slices.Contains(dm, "exec") || !slices.Contains(dm, "read") {
		t.Fatalf("direct chat tools %v", dm)
	}
	denied := get(-100, "denied group")
	if slices.Contains(denied, "exec") || slices.Contains(denied, "process") || !slices.Contains(denied, "read") || len(denied) != len(dm)-2 {
		t.Fatalf("group -100 tools %v (direct chat: %v)", denied, dm)
	}
	if only := get(-300, "other group"); !slices.Equal(only, []string{"read"}) {
		t.Fatalf("group -300 tools %v", only)
	}
}

// TestTelegramGroupSkills: channels.telegram.groups.<id>.skills limits the skills
// listed in that group's system prompt (an empty list lists none; a group without an
// entry takes "*"'s, and "*" without skills limits nothing); direct chats list all.
func TestTelegramGroupSkills(t *testing.T) {
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
  channels: {telegram: {apiBaseUrl: %q, botToken: %q, allowFrom: ["42"], groupPolicy: "open", streamMode: "off",
    groups: {"-100": {requireMention: false, skills: ["zebra-notes"]}, "-200": {requireMention: false, skills: []},
      "*": {requireMention: false}}}},
  models: {providers: {local: {baseUrl: %q, apiKey: "k", models: []}}},
  agents: {defaults: {workspace: %q, model: {primary: "local/m"}}},
}`, bot.URL(), tgtest.DefaultToken, model.srv.URL+"/v1", ws), nil)
	cases := []struct {
		chat int64
		text string
		want []bool // zebra-notes, yak-shaver listed
	}{
		{42, "direct chat", []bool{true, true}},
		{-100, "zebra group", []bool{true, false}},
		{-200, "no skills group", []bool{false, false}},
		{-300, "star group", []bool{true, true}},
	}
	for _, c := range cases {
		bot.PushUpdate(c.chat, 42, c.text)
		var sys string
		waitFor(t, "the run of "+c.text, func() (ok bool) { sys, ok = model.system(c.text); return ok })
		got := []bool{strings.Contains(sys, "zebra-notes"), strings.Contains(sys, "yak-shaver")}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: skills listed %v, want %v:\n%s", c.text, got, c.want, sys)
		}
	}
}
