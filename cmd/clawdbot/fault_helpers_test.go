package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/clients/go/gatewayclient"
	"github.com/clawgate/gateway/gen/go/protocol"
)

// Helpers shared by the fault tests (crash_test.go, fault_test.go): a streaming model
// server, a gateway process on a given home/state dir (so a restart finds the same
// state), and Go clients.

// sseModel is an OpenAI-compatible streaming server: the reply is "re: <last user
// message>", streamed in a few chunks with a short pause between them so that runs are
// in flight long enough to be interrupted.
func sseModel(t *testing.T, pause time.Duration) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Messages []struct{ Role, Content string }
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body.Messages) == 0 {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		last := body.Messages[len(body.Messages)-1].Content
		for _, part := range []string{"re: ", last} {
			b, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"index": 0, "delta": map[string]string{"content": part}}}})
			fmt.Fprintf(w, "data: %s\n\n", b)
			w.(http.Flusher).Flush()
			select {
			case <-time.After(pause):
			case <-r.Context().Done():
				return
			}
		}
		fmt.Fprint(w, "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
	}))
	t.Cleanup(srv.Close)
	return srv
}

// gatewayEnv is the environment of a gateway (or helper) run on home.
func gatewayEnv(home string, extra ...string) []string {
	return append(append(os.Environ(), "HOME="+home, "CLAWDBOT_STATE_DIR="+filepath.Join(home, "state"),
		"CLAWDBOT_CONFIG_PATH="+filepath.Join(home, "clawdbot.json")), extra...)
}

// startOn starts the gateway on home (config and state dir already there, or created)
// and port, and waits until it listens. The process is killed when the test ends.
func startOn(t *testing.T, home string, port int, extraEnv ...string) *gatewayProc {
	t.Helper()
	cmd := exec.Command(binary, "gateway", "--allow-unconfigured", "--port", fmt.Sprint(port))
	cmd.Env = gatewayEnv(home, extraEnv...)
	out := &syncBuf{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway did not listen: %s", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return &gatewayProc{cmd: cmd, out: out, port: port, home: home}
}

func writeConfig(t *testing.T, home, cfg string) {
	t.Helper()
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "clawdbot.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
}

// goClient dials the gateway with the Go client. reconnect=false makes every call
// after a disconnect fail at once (the crash test wants errors, not waiting).
func goClient(ctx context.Context, t *testing.T, port int, reconnect bool) *gatewayclient.Client {
	t.Helper()
	opts := gatewayclient.Options{
		Client:    gatewayclient.ClientInfo{ID: protocol.ClientIDCli, Version: "1", Platform: "linux", Mode: "cli"},
		Reconnect: gatewayclient.ReconnectPolicy{Disabled: !reconnect, MinBackoff: 50 * time.Millisecond, MaxBackoff: 500 * time.Millisecond},
	}
	var c *gatewayclient.Client
	var err error
	for i := 0; i < 50; i++ {
		if c, err = gatewayclient.Dial(ctx, fmt.Sprintf("ws://127.0.0.1:%d", port), opts); err == nil {
			return c
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("dial: %v", err)
	return nil
}

// historyTexts returns "role: text" for every message of a session's transcript.
func historyTexts(ctx context.Context, c *gatewayclient.Client, session string) ([]string, error) {
	limit := int64(1000)
	var hist struct {
		Messages []struct {
			Role    string
			Content []struct{ Text string }
		}
	}
	if err := c.Call(ctx, "chat.history", &protocol.ChatHistoryParams{SessionKey: session, Limit: &limit}, &hist); err != nil {
		return nil, err
	}
	var out []string
	for _, m := range hist.Messages {
		var parts []string
		for _, p := range m.Content {
			parts = append(parts, p.Text)
		}
		out = append(out, m.Role+": "+strings.Join(parts, ""))
	}
	return out, nil
}
