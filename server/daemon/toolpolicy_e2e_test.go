package daemon

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/gatewaytest"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// TestToolPolicyByProviderEndToEnd: through daemon.Run, the tools a model request
// offers follow tools.byProvider (and agents.list[].tools.byProvider) for the model the
// run actually uses: the primary fake/m1 loses exec (provider entry); after
// sessions.patch to openai/gpt-5 the provider/model entry denies read instead and
// apply_patch appears (tools.exec.applyPatch.enabled with allowModels naming the model,
// an OpenAI model); the agent "ops" has its own byProvider profile for fake (minimal).
func TestToolPolicyByProviderEndToEnd(t *testing.T) {
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	if err := os.MkdirAll(ws, 0o700); err != nil {
		t.Fatal(err)
	}
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep { return fakeStep{text: "ok"} })
	cfg := fmt.Sprintf(`{
  agents: {defaults: {workspace: %q, model: {primary: "fake/m1"}},
    list: [{id: "main", default: true}, {id: "ops", tools: {byProvider: {FAKE: {profile: "minimal"}}}}]},
  models: {providers: {
    fake: {baseUrl: %q, api: "openai-completions", apiKey: "k1", models: []},
    openai: {baseUrl: %q, api: "openai-completions", apiKey: "k2", models: []}}},
  tools: {exec: {security: "full", ask: "off", applyPatch: {enabled: true, allowModels: ["gpt-5"]}},
    byProvider: {fake: {deny: ["exec"]}, "OpenAI/GPT-5": {deny: ["read"]}}},
}`, ws, model.baseURL(), model.baseURL())
	r := startHome(t, home, cfg, nil)
	c := r.client(t)

	offered := func() []string {
		reqs := model.requests()
		return toolNames(t, reqs[len(reqs)-1])
	}
	runChat(t, c, "run-fake", "hi", nil)
	got := offered()
	if slices.Contains(got, "exec") || !slices.Contains(got, "read") || !slices.Contains(got, "process") || slices.Contains(got, "apply_patch") {
		t.Fatalf("fake/m1 offers %v; want no exec (byProvider.fake.deny), read and process kept, no apply_patch (not an OpenAI model)", got)
	}

	c.MustOK("sessions.patch", map[string]any{"key": "main", "model": "openai/gpt-5"}, nil)
	runChat(t, c, "run-openai", "hi again", nil)
	got = offered()
	if !slices.Contains(got, "exec") || slices.Contains(got, "read") || !slices.Contains(got, "apply_patch") {
		t.Fatalf("openai/gpt-5 offers %v; want exec, no read (byProvider[openai/gpt-5].deny), apply_patch", got)
	}

	c.MustOK("sessions.patch", map[string]any{"key": "main", "model": "openai/gpt-4o"}, nil)
	runChat(t, c, "run-openai-4o", "and again", nil)
	got = offered()
	if slices.Contains(got, "apply_patch") || !slices.Contains(got, "read") {
		t.Fatalf("openai/gpt-4o offers %v; want read and no apply_patch (not in allowModels)", got)
	}

	// The agent's own byProvider profile narrows it to session_status.
	c.MustOK("chat.send", map[string]any{"sessionKey": "agent:ops:main", "message": "status?", "idempotencyKey": "run-ops"}, nil)
	waitFor(t, "the ops run's model request", func() bool { return len(model.requests()) == 4 })
	if got = offered(); !slices.Equal(got, []string{"session_status"}) {
		t.Fatalf("agent ops on fake offers %v; want only session_status (agents.list[].tools.byProvider.fake.profile minimal)", got)
	}
}

// TestExecHostNodeEndToEnd: with agents.list[].tools.exec {host: "node", node} the exec
// tool runs the command on the paired node through node.invoke system.run (a node
// host connected over the WebSocket answers it), nothing runs on the gateway, and a
// call asking for host=gateway is refused as the original refuses a host other than
// the configured one.
func TestExecHostNodeEndToEnd(t *testing.T) {
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
		switch n {
		case 0:
			return fakeStep{calls: []fakeCall{{"e1", "exec", `{"command":"touch ran.txt && echo done"}`},
				{"e2", "exec", `{"command":"touch local.txt","host":"gateway"}`}}}
		default:
			if bytes.Contains(body, []byte("node-ran-it")) && bytes.Contains(body, []byte("exec host not allowed")) {
				return fakeStep{text: "node answered"}
			}
			return fakeStep{text: "unexpected"}
		}
	})
	extra := `tools: {exec: {security: "full", ask: "off"}},
  agents: {defaults: {workspace: ` + fmt.Sprintf("%q", ws) + `, model: {primary: "fake/m1"}},
    list: [{id: "main", default: true, tools: {exec: {host: "node", node: "Build Mac"}}}]},`
	r := startHome(t, home, agentConfigWith(ws, model, nil, extra), nil)
	c := r.client(t)

	dev := gatewaytest.NewDevice(t)
	node := gatewaytest.Dial(t, fmt.Sprintf("ws://127.0.0.1:%d", r.port))
	nonce := node.Challenge()
	node.Handshake(map[string]any{
		"minProtocol": 3, "maxProtocol": 3, "role": "node",
		"client":   map[string]any{"id": "node-host", "version": "1.0.0", "platform": "linux", "mode": "node", "displayName": "Build Mac"},
		"caps":     []string{"system"},
		"commands": []string{"system.run"},
		"device":   dev.Sign("node-host", "node", "node", nil, time.Now(), "", nonce),
	})
	got := make(chan string, 1)
	go func() {
		f := node.NextEvent("node.invoke.request")
		var ev struct {
			ID, NodeID, Command string
			ParamsJSON          string
		}
		_ = json.Unmarshal(f.Payload, &ev)
		got <- ev.Command + " " + ev.ParamsJSON
		node.Call("node.invoke.result", map[string]any{"id": ev.ID, "nodeId": ev.NodeID, "ok": true,
			"payload": map[string]any{"stdout": "node-ran-it\n", "stderr": "", "exitCode": 0, "success": true}})
	}()
	evs := runChat(t, c, "run-node-exec", "run it on the node", nil)
	if last := evs[len(evs)-1]; !bytes.Contains(last.Payload, []byte("node answered")) {
		t.Fatalf("final %s", last.Payload)
	}
	select {
	case inv := <-got:
		if !strings.HasPrefix(inv, "system.run ") || !strings.Contains(inv, `"command":["/bin/sh","-lc","touch ran.txt \u0026\u0026 echo done"]`) &&
			!strings.Contains(inv, `"command":["/bin/sh","-lc","touch ran.txt && echo done"]`) {
			t.Fatalf("node got %s", inv)
		}
	default:
		t.Fatal("the node got no system.run")
	}
	for _, f := range []string{"ran.txt", "local.txt"} {
		if _, err := os.Stat(filepath.Join(ws, f)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s was created on the gateway", f)
		}
	}
}

// TestMessageCrossContextEndToEnd: a run answering Telegram chat 42 sends with the
// message tool to chat 77 (another chat on the same channel: allowed, and marked with
// tools.message.crossContext.marker's prefix naming the origin chat) and to WhatsApp
// (another channel: refused while allowAcrossProviders is off, nothing sent).
func TestMessageCrossContextEndToEnd(t *testing.T) {
	home := t.TempDir()
	bot := tgtest.New(t, tgtest.DefaultToken)
	bot.AddChat(77)
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
		if n == 0 {
			return fakeStep{calls: []fakeCall{
				{"m1", "message", `{"action":"send","target":"77","message":"deploy done"}`},
				{"m2", "message", `{"action":"send","channel":"whatsapp","target":"+15550001","message":"deploy done"}`},
			}}
		}
		if bytes.Contains(body, []byte("Cross-context messaging denied")) {
			return fakeStep{text: "relayed"}
		}
		return fakeStep{text: "not refused"}
	})
	extra := fmt.Sprintf(`channels: {telegram: {botToken: %q, apiBaseUrl: %q, allowFrom: ["42"], streamMode: "off"}},
  tools: {exec: {security: "full", ask: "off"}, message: {crossContext: {marker: {prefix: "[from {channel}] "}}}},`, tgtest.DefaultToken, bot.URL())
	startHome(t, home, agentConfigWith(filepath.Join(home, "ws"), model, nil, extra), nil)
	bot.PushUpdate(42, 42, "tell the ops chat")
	waitFor(t, "the reply in chat 42", func() bool {
		for _, s := range sentTo(bot, "42") {
			if strings.Contains(s.Text, "relayed") || strings.Contains(s.Text, "not refused") {
				return true
			}
		}
		return false
	})
	to77 := sentTo(bot, "77")
	if len(to77) != 1 || to77[0].Text != "[from 42] deploy done" {
		t.Fatalf("sent to 77: %+v", to77)
	}
	for _, s := range sentTo(bot, "42") {
		if strings.Contains(s.Text, "not refused") {
			t.Fatal("the send to another channel was not refused")
		}
	}
}

// TestElevatedExecEndToEnd: Telegram sender 42 is on tools.elevated.allowFrom.telegram
// and agents.defaults.elevatedDefault is full, so its run's exec runs at once although
// tools.exec asks for every command (ask always, no approver); sender 43 is not, so
// its exec with elevated: true is refused with the original's gate message and
// nothing runs.
func TestElevatedExecEndToEnd(t *testing.T) {
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	bot := tgtest.New(t, tgtest.DefaultToken)
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
		switch {
		case bytes.Contains(body, []byte(`"tool_call_id"`)) && bytes.Contains(body, []byte("ran-elevated")):
			return fakeStep{text: "elevated ran"}
		case bytes.Contains(body, []byte(`"tool_call_id"`)) && bytes.Contains(body, []byte("Failing gates: allowFrom")):
			return fakeStep{text: "elevated refused"}
		case bytes.Contains(body, []byte(`"tool_call_id"`)):
			return fakeStep{text: "unexpected result"}
		case bytes.Contains(body, []byte("owner here")):
			return fakeStep{calls: []fakeCall{{"e1", "exec", `{"command":"touch owner.txt && echo ran-elevated"}`}}}
		default:
			return fakeStep{calls: []fakeCall{{"e2", "exec", `{"command":"touch guest.txt","elevated":true}`}}}
		}
	})
	extra := fmt.Sprintf(`channels: {telegram: {botToken: %q, apiBaseUrl: %q, allowFrom: ["42", "43"], streamMode: "off"}},
  tools: {exec: {security: "allowlist", ask: "always"}, elevated: {allowFrom: {telegram: [42]}}},
  agents: {defaults: {workspace: %q, model: {primary: "fake/m1"}, elevatedDefault: "full"}},`, tgtest.DefaultToken, bot.URL(), ws)
	startHome(t, home, agentConfigWith(ws, model, nil, extra), nil)
	replied := func(chat, text string) func() bool {
		return func() bool {
			for _, s := range sentTo(bot, chat) {
				if strings.Contains(s.Text, text) {
					return true
				}
			}
			return false
		}
	}
	bot.PushUpdate(42, 42, "owner here")
	waitFor(t, "the owner's reply", replied("42", "elevated ran"))
	if _, err := os.Stat(filepath.Join(ws, "owner.txt")); err != nil {
		t.Fatalf("the elevated command did not run: %v", err)
	}
	bot.PushUpdate(43, 43, "guest here")
	waitFor(t, "the guest's reply", replied("43", "elevated refused"))
	if _, err := os.Stat(filepath.Join(ws, "guest.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("the guest's elevated command ran")
	}
}

// TestElevatedDirectiveEndToEnd: /elevated from Telegram. A sender outside
// tools.elevated.allowFrom gets the original's "not available" answer; an allowed one
// reads the level (on by default), sets full, and the next run's exec runs at once
// although tools.exec asks for every command; /elev off is acknowledged and stored.
func TestElevatedDirectiveEndToEnd(t *testing.T) {
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	bot := tgtest.New(t, tgtest.DefaultToken)
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
		if bytes.Contains(body, []byte(`"tool_call_id"`)) {
			if bytes.Contains(body, []byte("ran-elevated")) {
				return fakeStep{text: "elevated ran"}
			}
			return fakeStep{text: "unexpected result"}
		}
		return fakeStep{calls: []fakeCall{{"e1", "exec", `{"command":"touch full.txt && echo ran-elevated"}`}}}
	})
	extra := fmt.Sprintf(`channels: {telegram: {botToken: %q, apiBaseUrl: %q, allowFrom: ["42", "43"], streamMode: "off"}},
  tools: {exec: {security: "allowlist", ask: "always"}, elevated: {allowFrom: {telegram: ["42"]}}},`, tgtest.DefaultToken, bot.URL())
	r := startHome(t, home, agentConfigWith(ws, model, nil, extra), nil)
	said := func(chat, text string) func() bool {
		return func() bool {
			for _, s := range sentTo(bot, chat) {
				if strings.Contains(s.Text, text) {
					return true
				}
			}
			return false
		}
	}
	bot.PushUpdate(43, 43, "/elevated full")
	waitFor(t, "the refusal", said("43", "elevated is not available right now (runtime=direct).\nFailing gates: allowFrom (tools.elevated.allowFrom.telegram"))
	bot.PushUpdate(42, 42, "/elevated")
	waitFor(t, "the current level", said("42", "Current elevated level: on."))
	bot.PushUpdate(42, 42, "/elevated full")
	waitFor(t, "the ack", said("42", "Elevated mode set to full (auto-approve)."))
	bot.PushUpdate(42, 42, "run it")
	waitFor(t, "the run's reply", said("42", "elevated ran"))
	if _, err := os.Stat(filepath.Join(ws, "full.txt")); err != nil {
		t.Fatalf("the command did not run: %v", err)
	}
	bot.PushUpdate(42, 42, "/elev: off")
	waitFor(t, "the off ack", said("42", "Elevated mode disabled."))
	if len(model.requests()) != 2 {
		t.Fatalf("the commands reached the model: %d requests", len(model.requests()))
	}
	c := r.client(t)
	var hist struct{ Messages []map[string]any }
	c.MustOK("chat.history", map[string]any{"sessionKey": "agent:main:telegram:42"}, &hist)
	notes := fmt.Sprint(hist.Messages)
	if !strings.Contains(notes, "Elevated FULL") || !strings.Contains(notes, "Elevated OFF") {
		t.Fatalf("no elevated notes in the session: %s", notes)
	}
}

// TestExecNotifyOnExitEndToEnd: a command the agent put in the background leaves an
// "Exec completed" system note in the session when it exits (tools.exec.notifyOnExit
// on by default); with notifyOnExit false an agent's run leaves none.
func TestExecNotifyOnExitEndToEnd(t *testing.T) {
	for _, tc := range []struct {
		name, exec string
		want       bool
	}{
		{"default", `exec: {security: "full", ask: "off"}`, true},
		{"off", `exec: {security: "full", ask: "off", notifyOnExit: false}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home := t.TempDir()
			ws := filepath.Join(home, "ws")
			model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
				if n == 0 {
					return fakeStep{calls: []fakeCall{{"b1", "exec", `{"command":"sleep 0.3; echo bg-finished","background":true}`}}}
				}
				return fakeStep{text: "started it"}
			})
			r := startHome(t, home, agentConfigWith(ws, model, nil, "tools: {"+tc.exec+"},"), nil)
			c := r.client(t)
			runChat(t, c, "run-bg", "start it in the background", nil)
			note := func() bool {
				var hist struct{ Messages []map[string]any }
				c.MustOK("chat.history", map[string]any{"sessionKey": "main"}, &hist)
				s := fmt.Sprint(hist.Messages)
				return strings.Contains(s, "Exec completed (") && strings.Contains(s, "code 0) :: bg-finished")
			}
			if tc.want {
				waitFor(t, "the exit note", note)
				return
			}
			time.Sleep(1500 * time.Millisecond) // well past the command's end
			if note() {
				t.Fatal("exit note with notifyOnExit false")
			}
		})
	}
}
