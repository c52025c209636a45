package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/clawgate/gateway/clients/go/gatewayclient"
	"github.com/clawgate/gateway/gen/go/protocol"
)

// TestAgentWiring runs the binary with agent.openai pointing at a streaming server
// started by the test: an agent run answers through it, the API key comes from the
// configured environment variable, and the transcript is still there after an
// in-process restart (SIGUSR1).
func TestAgentWiring(t *testing.T) {
	var auth atomic.Value
	up := echoLLM(t, func(r *http.Request) { auth.Store(r.Header.Get("Authorization")) })
	t.Setenv("CLAWGATE_TEST_AGENT_KEY", "sk-test-123")
	cfg := fmt.Sprintf(`{"agent": {"backend": "openai", "timeoutSeconds": 30, "openai": {"baseUrl": %q, "model": "m1", "apiKeyEnv": "CLAWGATE_TEST_AGENT_KEY", "systemPrompt": "Be brief."}}}`, up.URL+"/v1")
	p := startProcConfig(t, cfg)
	ctx := t.Context()
	c, err := gatewayclient.Dial(ctx, fmt.Sprintf("ws://127.0.0.1:%d", p.port), gatewayclient.Options{
		Client: gatewayclient.ClientInfo{ID: protocol.ClientIDCli, Version: "1", Platform: "linux", Mode: "cli"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	key := "main"
	run, err := c.Agent(ctx, &protocol.AgentParams{Message: "hello there", SessionKey: &key, IdempotencyKey: "wire-1"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := run.Wait(ctx)
	if err != nil {
		t.Fatalf("agent run: %v", err)
	}
	if res.Status != protocol.AgentResultStatusOk || !strings.Contains(string(res.Result), "you said: hello there") {
		t.Fatalf("agent result %+v %s", res, res.Result)
	}
	if got, _ := auth.Load().(string); got != "Bearer sk-test-123" {
		t.Fatalf("upstream Authorization %q", got)
	}

	first := c.Hello().Server.ConnID
	if err := p.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for c.Hello().Server.ConnID == first || !c.Connected() {
		if time.Now().After(deadline) {
			t.Fatal("client did not reconnect")
		}
		time.Sleep(20 * time.Millisecond)
	}
	var hist struct {
		SessionKey string
		Messages   []struct {
			Role    string
			Content []struct{ Text string }
		}
	}
	if err := c.Call(ctx, "chat.history", map[string]any{"sessionKey": "main"}, &hist); err != nil {
		t.Fatal(err)
	}
	if hist.SessionKey != "agent:main:main" || len(hist.Messages) != 2 || hist.Messages[1].Content[0].Text != "you said: hello there" {
		t.Fatalf("history after restart: %+v", hist)
	}
	var health struct {
		Sessions struct {
			Count int
			Path  string
		}
	}
	if err := c.Call(ctx, "health", map[string]any{}, &health); err != nil {
		t.Fatal(err)
	}
	if health.Sessions.Count != 1 || !strings.HasSuffix(health.Sessions.Path, "sessions.db") {
		t.Fatalf("health sessions %+v", health.Sessions)
	}
}
