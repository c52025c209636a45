package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/clients/go/gatewayclient"
	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/envelope"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// echoLLM is an OpenAI-compatible streaming server that answers "you said: <last
// user message>" in two chunks (a channel message without its envelope header and
// [message_id] line); seen, if given, looks at each request first.
func echoLLM(t *testing.T, seen ...func(*http.Request)) *httptest.Server {
	t.Helper()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, f := range seen {
			f(r)
		}
		var body struct {
			Messages []struct{ Role, Content string }
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		w.Header().Set("Content-Type", "text/event-stream")
		last := envelope.Strip(body.Messages[len(body.Messages)-1].Content)
		for _, part := range []string{"you said: ", last} {
			b, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"index": 0, "delta": map[string]string{"content": part}}}})
			fmt.Fprintf(w, "data: %s\n\n", b)
			w.(http.Flusher).Flush()
		}
		fmt.Fprint(w, "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
	}))
	t.Cleanup(up.Close)
	return up
}

// TestTelegramAutoReply is the gateway's reason to exist, end to end through the real
// binary: a Telegram message from an allowed sender (long polling against a Bot API
// server on 127.0.0.1) runs the agent (an OpenAI-compatible streaming server on
// 127.0.0.1) in that sender's own session, and the reply goes back to the same chat
// through the Bot API. Under dmPolicy allowlist a sender not in allowFrom gets nothing
// (the default, pairing, is TestTelegramMessagingEndToEnd in server/daemon; streamMode
// off sends the reply once, when the run ends), and the
// exchange is in the sender's transcript.
func TestTelegramAutoReply(t *testing.T) {
	bot := tgtest.New(t, tgtest.DefaultToken)
	bot.AddChat(7)
	bot.AddChat(8)
	up := echoLLM(t)
	cfg := fmt.Sprintf(`{
		"telegram": {"botToken": %q, "apiBaseUrl": %q, "dmPolicy": "allowlist", "streamMode": "off", "allowFrom": ["7"]},
		"agent": {"backend": "openai", "timeoutSeconds": 30, "openai": {"baseUrl": %q, "model": "m1"}}
	}`, tgtest.DefaultToken, bot.URL(), up.URL+"/v1")
	p := startProcConfig(t, cfg)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	bot.PushUpdate(8, 8, "stranger here") // not allowed: ignored
	bot.PushUpdate(7, 7, "hello bot")
	if _, err := bot.WaitSent(ctx, 1); err != nil {
		t.Fatalf("no reply sent: %v (log:\n%s)", err, p.out.String())
	}
	sent := bot.Sent()
	if sent[0].ChatID != "7" || sent[0].Text != "you said: hello bot" {
		t.Fatalf("reply = %+v", sent[0])
	}

	c, err := gatewayclient.Dial(ctx, fmt.Sprintf("ws://127.0.0.1:%d", p.port), gatewayclient.Options{
		Client: gatewayclient.ClientInfo{ID: protocol.ClientIDCli, Version: "1", Platform: "linux", Mode: "cli"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var hist struct {
		SessionKey string
		Messages   []struct {
			Role    string
			Content []struct{ Text string }
		}
	}
	if err := c.Call(ctx, "chat.history", map[string]any{"sessionKey": "agent:main:telegram:7"}, &hist); err != nil {
		t.Fatal(err)
	}
	if len(hist.Messages) != 2 || hist.Messages[0].Content[0].Text != "hello bot" || hist.Messages[1].Content[0].Text != "you said: hello bot" {
		t.Fatalf("sender's transcript: %+v", hist)
	}
	// A second message continues the same session; the stranger still got nothing.
	bot.PushUpdate(7, 7, "again")
	if _, err := bot.WaitSent(ctx, 2); err != nil {
		t.Fatal(err)
	}
	for _, m := range bot.Sent() {
		if m.ChatID == "8" {
			t.Fatalf("a sender outside allowFrom got a reply: %+v", m)
		}
	}
}

// TestConfigReloadAppliesProvidersAndAgent: editing the config file while the gateway
// runs applies telegram.allowFrom (a new sender is answered) and the agent's model (the
// next run asks the new one) without a restart, as the original reads them live.
func TestConfigReloadAppliesProvidersAndAgent(t *testing.T) {
	bot := tgtest.New(t, tgtest.DefaultToken)
	bot.AddChat(7)
	bot.AddChat(8)
	models := make(chan string, 16)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Model string }
		_ = json.NewDecoder(r.Body).Decode(&body)
		models <- body.Model
		w.Header().Set("Content-Type", "text/event-stream")
		b, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"index": 0, "delta": map[string]string{"content": "answer from " + body.Model}}}})
		fmt.Fprintf(w, "data: %s\n\ndata: [DONE]\n\n", b)
	}))
	defer up.Close()
	cfg := func(allow, model string) string {
		return fmt.Sprintf(`{
			"telegram": {"botToken": %q, "apiBaseUrl": %q, "dmPolicy": "allowlist", "streamMode": "off", "allowFrom": [%s]},
			"agent": {"backend": "openai", "openai": {"baseUrl": %q, "model": %q}}
		}`, tgtest.DefaultToken, bot.URL(), allow, up.URL+"/v1", model)
	}
	p := startProcConfig(t, cfg(`"7"`, "m1"))
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	bot.PushUpdate(8, 8, "am I allowed?")
	p.waitOutput(t, "reason=dm-not-allowed")
	bot.PushUpdate(7, 7, "hello")
	sent, err := bot.WaitSent(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if sent[0].ChatID != "7" || sent[0].Text != "answer from m1" || <-models != "m1" {
		t.Fatalf("before the reload: %+v", sent[0])
	}

	if err := os.WriteFile(filepath.Join(p.home, "clawdbot.json"), []byte(cfg(`"7", "8"`, "m2")), 0o600); err != nil {
		t.Fatal(err)
	}
	p.waitOutput(t, "telegram settings reloaded")
	p.waitOutput(t, "agent config reloaded")
	bot.PushUpdate(8, 8, "and now?")
	sent, err = bot.WaitSent(ctx, 2)
	if err != nil {
		t.Fatalf("no reply after the reload: %v\n%s", err, p.out.String())
	}
	if sent[1].ChatID != "8" || sent[1].Text != "answer from m2" || <-models != "m2" {
		t.Fatalf("after the reload: %+v", sent[1])
	}
}

// TestPairingApproveWhileRunning: with the default dmPolicy (pairing) an unknown sender
// gets a pairing code and the model is never asked; `clawdbot pairing list` shows the
// request and `clawdbot pairing approve`, run as its own process while the gateway
// runs, lets the sender's next message through to the agent, without a restart.
func TestPairingApproveWhileRunning(t *testing.T) {
	bot := tgtest.New(t, tgtest.DefaultToken)
	calls := make(chan struct{}, 16)
	up := echoLLM(t, func(*http.Request) { calls <- struct{}{} })
	cfg := fmt.Sprintf(`{
		channels: {telegram: {botToken: %q, apiBaseUrl: %q, streamMode: "off"}},
		models: {providers: {local: {baseUrl: %q, apiKey: "k", models: []}}},
		agents: {defaults: {model: {primary: "local/m1"}}},
	}`, tgtest.DefaultToken, bot.URL(), up.URL+"/v1")
	p := startProcConfig(t, cfg)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	bot.PushUpdate(9, 9, "who are you?")
	sent, err := bot.WaitSent(ctx, 1)
	if err != nil {
		t.Fatalf("no pairing reply: %v\n%s", err, p.out)
	}
	code := regexp.MustCompile(`Pairing code: ([A-Z0-9]{8})`).FindStringSubmatch(sent[0].Text)
	if sent[0].ChatID != "9" || code == nil {
		t.Fatalf("pairing reply: %+v", sent[0])
	}
	env := gatewayEnv(p.home)
	if out, rc := runCLI(t, env, "pairing", "list", "telegram"); rc != 0 || !strings.Contains(out, code[1]) {
		t.Fatalf("pairing list: %d %s", rc, out)
	}
	select {
	case <-calls:
		t.Fatal("the model was asked for an unapproved sender")
	default:
	}
	if out, rc := runCLI(t, env, "pairing", "approve", "telegram", code[1]); rc != 0 {
		t.Fatalf("pairing approve: %d %s", rc, out)
	}
	bot.PushUpdate(9, 9, "approved?")
	sent, err = bot.WaitSent(ctx, 2)
	if err != nil {
		t.Fatalf("no answer after approval: %v\n%s", err, p.out)
	}
	if sent[1].ChatID != "9" || sent[1].Text != "you said: approved?" || len(calls) != 1 {
		t.Fatalf("after approval: %+v (model calls %d)", sent[1], len(calls))
	}
}
