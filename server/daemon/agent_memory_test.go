package daemon

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/clawgate/gateway/server/agent/memory/memtest"
)

// TestAgentMemorySearchEndToEnd: through daemon.Run, with agents.defaults.memorySearch
// pointing at a fake /embeddings server on 127.0.0.1, the model is offered the memory
// tools and told to use them, its memory_search call finds the workspace's MEMORY.md
// by meaning (the query shares no word with it), the next model request carries the
// hit, and the index lives in <state>/memory/main.sqlite. With memorySearch.enabled
// false the tools are not offered.
func TestAgentMemorySearchEndToEnd(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "")
	for _, enabled := range []bool{true, false} {
		t.Run(fmt.Sprint("enabled=", enabled), func(t *testing.T) {
			emb := memtest.New(t)
			home := t.TempDir()
			ws := filepath.Join(home, "ws")
			if err := os.MkdirAll(filepath.Join(ws, "memory"), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(ws, "MEMORY.md"), []byte("# Garage\nCar: blue sedan\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			var bodies [][]byte
			model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
				mu.Lock()
				bodies = append(bodies, append([]byte(nil), body...))
				mu.Unlock()
				if n == 0 && enabled {
					return fakeStep{calls: []fakeCall{{"m1", "memory_search", `{"query":"automobile"}`}}}
				}
				if bytes.Contains(body, []byte("Car: blue sedan")) && bytes.Contains(body, []byte("MEMORY.md")) {
					return fakeStep{text: "Your car is a blue sedan."}
				}
				return fakeStep{text: "nothing remembered"}
			})
			extra := fmt.Sprintf(`agents: {defaults: {workspace: %q, model: {primary: "fake/m1"}, memorySearch: {enabled: %v, provider: "openai", remote: {baseUrl: %q, apiKey: "ek"}, sync: {watch: false}}}},`,
				ws, enabled, emb.BaseURL())
			cfg := strings.Replace(agentConfigWith(ws, model, nil, ""), fmt.Sprintf(`agents: {defaults: {workspace: %q, model: {primary: "fake/m1", fallbacks: []}}},`, ws), extra, 1)
			r := startHome(t, home, cfg, nil)
			c := r.client(t)
			evs := runChat(t, c, "run-mem", "what car do I drive?", nil)
			last := evs[len(evs)-1]
			mu.Lock()
			defer mu.Unlock()
			offered := bytes.Contains(bodies[0], []byte(`"memory_search"`)) && bytes.Contains(bodies[0], []byte(`"memory_get"`))
			recall := bytes.Contains(bodies[0], []byte("## Memory Recall"))
			if offered != enabled || recall != enabled {
				t.Fatalf("enabled %v: tools offered %v, recall prompt %v", enabled, offered, recall)
			}
			if !enabled {
				return
			}
			if !bytes.Contains(last.Payload, []byte("Your car is a blue sedan.")) {
				t.Fatalf("final: %s", last.Payload)
			}
			var res []agentEv
			for _, e := range toolEvents(evs) {
				if e.Data["phase"] == "result" {
					res = append(res, e)
				}
			}
			if len(res) != 1 || res[0].Data["isError"] == true || res[0].Data["name"] != "memory_search" {
				t.Fatalf("tool results %+v", res)
			}
			if len(emb.Auth()) == 0 || emb.Auth()[0] != "Bearer ek" {
				t.Errorf("embeddings auth %v", emb.Auth())
			}
			if _, err := os.Stat(filepath.Join(home, "state", "memory", "main.sqlite")); err != nil {
				t.Errorf("index file: %v", err)
			}
		})
	}
}
