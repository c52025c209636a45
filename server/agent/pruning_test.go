package agent

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/agent/llm"
	"github.com/clawgate/gateway/server/agent/pruning"
	"github.com/clawgate/gateway/server/sessions"
)

// TestContextPruningCacheTTL: with contextPruning cache-ttl, a session's first run sends
// the old tool result whole; a run after the TTL sends it soft-trimmed (head, tail and
// the original's note), while the stored transcript keeps it whole.
func TestContextPruningCacheTTL(t *testing.T) {
	s := newBudgetServer(t)
	var mu sync.Mutex
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	const ref = "openrouter/anthropic/claude-test" // eligible for cache-ttl pruning
	settings := pruning.Defaults()
	settings.KeepLastAssistants = 1
	up := newUpstream(t)
	e := newEnv(t, envOpts{up: up, sender: newFakeSender(), tweak: func(o *Options) {
		eng := testEngine(t, s.srv.URL+"/v1")
		eng.Primary = ref
		eng.Compaction = CompactionConfig{Disabled: true, ContextWindow: func(r string) int {
			if r == ref {
				return 2000 // 8000 characters: the 6000-character result is past the soft trim ratio
			}
			return 0
		}}
		eng.Pruning = &settings
		o.Engine = eng
		o.Now = clock
	}})
	key := "agent:main:main"
	big := "HEAD" + strings.Repeat("x", 5992) + "TAIL" // 6000 characters
	for _, m := range []llm.Message{
		{Role: llm.RoleUser, Content: []llm.Part{llm.TextPart("read the log")}},
		{Role: llm.RoleAssistant, StopReason: llm.StopToolUse, Content: []llm.Part{{Type: llm.PartToolCall, ID: "call_1", Name: "read", Arguments: json.RawMessage(`{"path":"log"}`)}}},
		{Role: llm.RoleToolResult, ToolCallID: "call_1", ToolName: "read", Content: []llm.Part{llm.TextPart(big)}},
		{Role: llm.RoleAssistant, StopReason: llm.StopEnd, Content: []llm.Part{llm.TextPart("read it")}},
	} {
		body, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.store.Append(context.Background(), key, sessions.Message{Role: string(m.Role), Text: "", Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	c := e.dial(3)
	send := func(id string) budgetReq {
		t.Helper()
		n := len(s.requests())
		ch := c.send("chat.send", map[string]any{"sessionKey": "main", "message": "next " + id, "idempotencyKey": id})
		if f := next(t, ch, "chat.send"); !f.OK {
			t.Fatalf("chat.send: %s", f.Raw)
		}
		c.runEvents(id, true)
		reqs := s.requests()
		if len(reqs) != n+1 {
			t.Fatalf("%d requests, want %d", len(reqs), n+1)
		}
		return reqs[n]
	}
	const note = "[Tool result trimmed: kept first 1500 chars and last 1500 chars of 6000 chars.]"

	// First run: no earlier request of this session, so no expired cache: sent whole.
	if r := send("p-1"); !strings.Contains(r.joined(), big) || strings.Contains(r.joined(), note) {
		t.Fatal("first run: the tool result was not sent whole")
	}
	// Within the TTL: whole again.
	advance(settings.TTL / 2)
	if r := send("p-2"); !strings.Contains(r.joined(), big) {
		t.Fatal("run within the TTL: the tool result was pruned")
	}
	// Past the TTL: soft-trimmed.
	advance(settings.TTL + time.Second)
	r := send("p-3")
	j := r.joined()
	if strings.Contains(j, big) || !strings.Contains(j, note) || !strings.Contains(j, "HEAD") || !strings.Contains(j, "TAIL") {
		t.Fatalf("run after the TTL: tool result not soft-trimmed: %q", clip(j, 400))
	}
	// The transcript keeps the whole result.
	hist, err := e.store.History(context.Background(), key, 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	whole := false
	for _, m := range hist {
		if strings.Contains(string(m.Body), big) {
			whole = true
		}
		if strings.Contains(string(m.Body), note) {
			t.Fatal("the transcript holds the trimmed result")
		}
	}
	if !whole {
		t.Fatal("the transcript lost the whole tool result")
	}
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
