package daemon

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestWhatsAppGroupToolPolicy: channels.whatsapp.groups.<id>.tools (else groups."*")
// narrows the tools a run in that group's session gets, checked through
// POST /tools/invoke with the group's session key; direct sessions keep every tool,
// and an account's own groups map replaces the channel's.
func TestWhatsAppGroupToolPolicy(t *testing.T) {
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	if err := os.MkdirAll(ws, 0o700); err != nil {
		t.Fatal(err)
	}
	model := newFakeModel(t, "openai-completions", func(int, []byte) fakeStep { return fakeStep{text: "unused"} })
	cfg := agentConfigWith(ws, model, nil, `gateway: {auth: {mode: "token", token: "tok-1"}},
  channels: {whatsapp: {groups: {
    "120363000000000001@g.us": {tools: {deny: ["write"]}},
    "*": {tools: {allow: ["read"]}},
  }, accounts: {default: {}, work: {groups: {"*": {requireMention: false}}}}}},`)
	r := startHome(t, home, cfg, nil)
	url := fmt.Sprintf("http://127.0.0.1:%d/tools/invoke", r.port)
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		res, err := http.Get(url) // until the port listens
		if err == nil {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway not listening: %v\n%s", err, r.out)
		}
	}
	post := func(body, account string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer tok-1")
		if account != "" {
			req.Header.Set("X-Clawdbot-Account-Id", account)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		var out map[string]any
		_ = json.Unmarshal(b, &out)
		j, _ := json.Marshal(out)
		return res.StatusCode, string(j)
	}
	const g1, g2 = "agent:main:whatsapp:group:120363000000000001@g.us", "agent:main:whatsapp:group:120363000000000002@g.us"
	write := func(key, file string) string {
		return fmt.Sprintf(`{"tool":"write","args":{"path":%q,"content":"x"},"sessionKey":%q}`, file, key)
	}
	read := func(key string) string {
		return fmt.Sprintf(`{"tool":"read","args":{"path":"dm.txt"},"sessionKey":%q}`, key)
	}
	for _, tc := range []struct {
		name, body, account string
		status              int
	}{
		{"direct session writes", write("agent:main:whatsapp:+15551234567", "dm.txt"), "", 200},
		{"group denies write", write(g1, "g1.txt"), "", 404},
		{"group reads", read(g1), "", 200},
		{"default group allows only read", write(g2, "g2.txt"), "", 404},
		{"default group reads", read(g2), "", 200},
		{"account's groups replace the channel's", write(g1, "w.txt"), "work", 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if st, out := post(tc.body, tc.account); st != tc.status {
				t.Fatalf("status %d %s; want %d", st, out, tc.status)
			}
		})
	}
}
