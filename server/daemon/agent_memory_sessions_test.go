package daemon

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/agent/memory/memtest"
	"github.com/clawgate/gateway/server/gatewaytest"
)

// runChatIn is runChat in the session sessionKey.
func runChatIn(t *testing.T, c *gatewaytest.Client, sessionKey, runID, message string) []*gatewaytest.Frame {
	t.Helper()
	c.MustOK("chat.send", map[string]any{"sessionKey": sessionKey, "message": message, "idempotencyKey": runID}, nil)
	var evs []*gatewaytest.Frame
	deadline := time.After(30 * time.Second)
	for {
		select {
		case f := <-c.Events:
			if !bytes.Contains(f.Payload, []byte(`"runId":"`+runID+`"`)) {
				continue
			}
			evs = append(evs, f)
			if f.Event == "chat" {
				var p struct{ State string }
				_ = json.Unmarshal(f.Payload, &p)
				if p.State == "final" || p.State == "error" || p.State == "aborted" {
					return evs
				}
			}
		case <-deadline:
			t.Fatalf("run %s did not finish; events: %d", runID, len(evs))
		}
	}
}

// TestAgentMemorySearchSessionTranscripts: through daemon.Run with sources
// ["memory", "sessions"], a fact the user said in one session is found by
// memory_search from another session once experimental.sessionMemory is true (source
// "sessions", path sessions/<sessionId>.jsonl), and is not found with it false.
// sync.sessions.deltaMessages 1 makes the first session's transcript due as soon as it
// has a message. memory_get of the hit's path is refused, as the original's.
func TestAgentMemorySearchSessionTranscripts(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "")
	for _, on := range []bool{true, false} {
		t.Run(fmt.Sprint("sessionMemory=", on), func(t *testing.T) {
			emb := memtest.New(t)
			home := t.TempDir()
			ws := filepath.Join(home, "ws")
			if err := os.MkdirAll(ws, 0o700); err != nil {
				t.Fatal(err)
			}
			model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
				asking := bytes.Contains(body, []byte("what is my locker code"))
				hasResult := bytes.Contains(body, []byte(`"role":"tool"`))
				switch {
				case asking && !hasResult:
					return fakeStep{calls: []fakeCall{{"m1", "memory_search", `{"query":"locker code"}`}}}
				case asking && bytes.Contains(body, []byte("m2")):
					// Only the search's result can carry the code into this session.
					if bytes.Contains(body, []byte("4711")) && bytes.Contains(body, []byte(`\"source\": \"sessions\"`)) {
						return fakeStep{text: "Your locker code is 4711."}
					}
					return fakeStep{text: "I do not know."}
				case asking:
					var path string
					if i := bytes.Index(body, []byte(`sessions/`)); i >= 0 {
						if j := bytes.Index(body[i:], []byte(`.jsonl`)); j > 0 {
							path = string(body[i : i+j+len(".jsonl")])
						}
					}
					if path == "" {
						return fakeStep{text: "I do not know."}
					}
					return fakeStep{calls: []fakeCall{{"m2", "memory_get", fmt.Sprintf(`{"path":%q}`, path)}}}
				}
				return fakeStep{text: "Noted."}
			})
			extra := fmt.Sprintf(`agents: {defaults: {workspace: %q, model: {primary: "fake/m1"}, memorySearch: {sources: ["memory", "sessions"], experimental: {sessionMemory: %v}, provider: "openai", remote: {baseUrl: %q, apiKey: "ek"}, sync: {watch: false, sessions: {deltaMessages: 1}}}}},`,
				ws, on, emb.BaseURL())
			cfg := strings.Replace(agentConfigWith(ws, model, nil, ""), fmt.Sprintf(`agents: {defaults: {workspace: %q, model: {primary: "fake/m1", fallbacks: []}}},`, ws), extra, 1)
			r := startHome(t, home, cfg, nil)
			c := r.client(t)
			runChatIn(t, c, "agent:main:first", "run-a", "remember that my locker code is 4711")
			evs := runChatIn(t, c, "agent:main:second", "run-b", "what is my locker code?")
			last := evs[len(evs)-1]
			var results []agentEv
			for _, e := range toolEvents(evs) {
				if e.Data["phase"] == "result" {
					results = append(results, e)
				}
			}
			if !on {
				if !bytes.Contains(last.Payload, []byte("I do not know.")) || len(results) != 1 {
					t.Fatalf("sessionMemory off: final %s, tool results %+v", last.Payload, results)
				}
				return
			}
			if !bytes.Contains(last.Payload, []byte("Your locker code is 4711.")) {
				t.Fatalf("final: %s", last.Payload)
			}
			if len(results) != 2 || results[1].Data["name"] != "memory_get" {
				t.Fatalf("tool results %+v", results)
			}
			got, _ := json.Marshal(results[1].Data["result"])
			if !bytes.Contains(got, []byte("disabled")) || !bytes.Contains(got, []byte("path must be")) {
				t.Errorf("memory_get of a session path: %s", got)
			}
		})
	}
}
