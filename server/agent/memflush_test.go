package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawgate/gateway/server/agent/tools"
)

func intp(v int) *int       { return &v }
func boolp(v bool) *bool    { return &v }
func strp(v string) *string { return &v }

// TestResolveMemoryFlush: the original's defaults, blank values falling back to them,
// enabled false turning the flush off.
func TestResolveMemoryFlush(t *testing.T) {
	for _, tc := range []struct {
		name    string
		enabled *bool
		soft    *int
		prompt  *string
		want    *MemoryFlushConfig
	}{
		{"defaults", nil, nil, nil, &MemoryFlushConfig{SoftThresholdTokens: DefaultMemoryFlushSoftTokens, Prompt: DefaultMemoryFlushPrompt, SystemPrompt: DefaultMemoryFlushSystemPrompt}},
		{"disabled", boolp(false), intp(10), nil, nil},
		{"set", boolp(true), intp(0), strp("  save notes  "), &MemoryFlushConfig{SoftThresholdTokens: 0, Prompt: "save notes", SystemPrompt: DefaultMemoryFlushSystemPrompt}},
		{"blank prompt", nil, intp(-1), strp("  "), &MemoryFlushConfig{SoftThresholdTokens: DefaultMemoryFlushSoftTokens, Prompt: DefaultMemoryFlushPrompt, SystemPrompt: DefaultMemoryFlushSystemPrompt}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ResolveMemoryFlush(tc.enabled, tc.soft, tc.prompt, nil)
			if (got == nil) != (tc.want == nil) || (got != nil && *got != *tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
	if got := withSilentHint("save notes"); !strings.HasSuffix(got, "start with "+SilentReplyToken+".") {
		t.Fatalf("no silent hint: %q", got)
	}
	if got := withSilentHint(DefaultMemoryFlushPrompt); got != DefaultMemoryFlushPrompt {
		t.Fatalf("hint added twice: %q", got)
	}
}

// flushEnv is a compacting env (2000-token window: compaction past 1000) whose runs
// have the workspace's write tool and, when mf is set, the memory flush.
func flushEnv(t *testing.T, s *budgetServer, mf *MemoryFlushConfig) (*env, string) {
	dir := t.TempDir()
	ws, err := tools.OpenWorkspace(dir)
	if err != nil {
		t.Fatal(err)
	}
	e := compactingEnv(t, s, 2000, func(eng *Engine) {
		eng.Compaction.MemoryFlush = mf
		eng.Tools = func(ctx context.Context, run RunInfo) (*tools.Set, func(), error) {
			w, err := tools.WriteTool(ws)
			if err != nil {
				return nil, nil, err
			}
			set, err := tools.NewSet(w)
			return set, nil, err
		}
	})
	return e, dir
}

func isFlushReq(r budgetReq) bool {
	return strings.Contains(r.System, "Pre-compaction memory flush turn")
}

// TestMemoryFlushBeforeCompaction: a session past the soft threshold gets one silent
// flush turn before the user's: the model sees the flush prompt and system prompt, its
// write lands in the workspace, the user sees only the reply to their message, the
// transcript holds nothing of the flush, and no second flush runs until the next
// compaction; after it, the next crossing flushes again.
func TestMemoryFlushBeforeCompaction(t *testing.T) {
	s := newBudgetServer(t)
	s.flushWrite = "- the user likes tea"
	mf := ResolveMemoryFlush(nil, intp(300), nil, nil) // flush from 700 estimated tokens on
	e, dir := flushEnv(t, s, mf)
	key := "agent:main:main"
	seed(t, e.store, key, 8, 400)
	c := e.dial(3)

	send := func(id, msg string) ([]agentEv, []chatEv) {
		t.Helper()
		ch := c.send("chat.send", map[string]any{"sessionKey": "main", "message": msg, "idempotencyKey": id})
		if f := next(t, ch, "chat.send"); !f.OK {
			t.Fatalf("chat.send: %s", f.Raw)
		}
		return c.runEvents(id, true)
	}
	agents, chats := send("mf-1", "first question")
	reqs := s.requests()
	if len(reqs) != 3 || !isFlushReq(reqs[0]) || !isFlushReq(reqs[1]) || isFlushReq(reqs[2]) || reqs[2].Summary {
		t.Fatalf("requests %d: want the flush turn's two (write, then its answer), then the user's", len(reqs))
	}
	flush := reqs[0]
	if last := flush.Texts[len(flush.Texts)-1]; last != DefaultMemoryFlushPrompt {
		t.Fatalf("the flush turn's prompt is %q", last)
	}
	if !strings.Contains(flush.System, DefaultMemoryFlushSystemPrompt) || !strings.Contains(flush.joined(), "turn-07") || strings.Contains(flush.joined(), "first question") {
		t.Fatalf("flush request: system %q, messages %q", flush.System, flush.joined())
	}
	user := reqs[2].joined()
	if !strings.Contains(user, "first question") || strings.Contains(user, "Pre-compaction memory flush") || strings.Contains(user, "the user likes tea") {
		t.Fatalf("the user's request carries the flush: %q", user)
	}
	got, err := os.ReadFile(filepath.Join(dir, "memory", "2026-12-06.md"))
	if err != nil || string(got) != "- the user likes tea" {
		t.Fatalf("memory file: %q, %v", got, err)
	}
	if last := chats[len(chats)-1]; last.State != "final" || last.text() != "done" {
		t.Fatalf("run ended %+v", last)
	}
	for _, ev := range chats {
		if strings.Contains(ev.text(), SilentReplyToken) {
			t.Fatalf("the flush's reply reached the chat: %+v", ev)
		}
	}
	for _, a := range agents {
		if a.Stream == "tool" {
			t.Fatalf("the flush's tool call was streamed: %+v", a)
		}
	}
	var hist struct {
		Messages []map[string]any `json:"messages"`
	}
	c.mustOK("chat.history", map[string]any{"sessionKey": "main"}, &hist)
	for _, m := range hist.Messages {
		if b, _ := json.Marshal(m); strings.Contains(string(b), "memory flush") || strings.Contains(string(b), SilentReplyToken) {
			t.Fatalf("the transcript holds the flush: %s", b)
		}
	}

	// Still past the threshold, same compaction cycle: no second flush.
	send("mf-2", "second question")
	if reqs = s.requests(); len(reqs) != 4 || isFlushReq(reqs[3]) {
		t.Fatalf("second run: %d requests (want 4, no flush)", len(reqs))
	}

	// Past the limit: compaction (no flush: the cycle already flushed), then a new cycle
	// whose next crossing flushes again.
	seed(t, e.store, key, 4, 400)
	send("mf-3", "third question")
	if reqs = s.requests(); len(reqs) != 6 || !reqs[4].Summary || isFlushReq(reqs[5]) || reqs[5].Summary {
		t.Fatalf("third run: %d requests (want a summarisation, then the user's)", len(reqs))
	}
	seed(t, e.store, key, 3, 400)
	send("mf-4", "fourth question")
	if reqs = s.requests(); len(reqs) != 9 || !isFlushReq(reqs[6]) || !isFlushReq(reqs[7]) || isFlushReq(reqs[8]) || reqs[8].Summary {
		t.Fatalf("fourth run: %d requests (want the flush turn's two, then the user's)", len(reqs))
	}
}

// TestMemoryFlushSkipped: with the flush off (enabled false resolves to nil), and for a
// heartbeat (an ephemeral prompt) with it on, a session past the soft threshold gets no
// flush turn.
func TestMemoryFlushSkipped(t *testing.T) {
	for _, tc := range []struct {
		name      string
		enabled   *bool
		heartbeat bool
	}{
		{"disabled", boolp(false), false},
		{"heartbeat", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newBudgetServer(t)
			s.flushWrite = "- should not be written"
			e, dir := flushEnv(t, s, ResolveMemoryFlush(tc.enabled, intp(300), nil, nil))
			seed(t, e.store, "agent:main:main", 8, 400)
			c := e.dial(3)
			if tc.heartbeat {
				if _, _, err := e.rt.Start(context.Background(), Request{RunID: "mf-hb", SessionKey: "agent:main:main", Message: HeartbeatPrompt, Ephemeral: true, Source: "wake"}); err != nil {
					t.Fatal(err)
				}
				c.runEvents("mf-hb", false)
			} else {
				ch := c.send("chat.send", map[string]any{"sessionKey": "main", "message": "first question", "idempotencyKey": "mf-off"})
				if f := next(t, ch, "chat.send"); !f.OK {
					t.Fatalf("chat.send: %s", f.Raw)
				}
				c.runEvents("mf-off", true)
			}
			if reqs := s.requests(); len(reqs) != 1 || isFlushReq(reqs[0]) || !strings.Contains(reqs[0].joined(), "turn-07") {
				t.Fatalf("requests %d (want only the run's, on the seeded session)", len(reqs))
			}
			if _, err := os.Stat(filepath.Join(dir, "memory")); !os.IsNotExist(err) {
				t.Fatalf("memory/ exists: %v", err)
			}
		})
	}
}

// TestFlushMarkersBounded: the per-session flush markers never exceed MaxFlushMarkers;
// a session already marked is updated in place.
func TestFlushMarkersBounded(t *testing.T) {
	rt := &Runtime{}
	for i := range MaxFlushMarkers + 10 {
		rt.markFlushed(fmt.Sprint("agent:main:s", i), "c1")
		if n := len(rt.flushed); n > MaxFlushMarkers {
			t.Fatalf("%d markers after %d sessions", n, i+1)
		}
	}
	last := fmt.Sprint("agent:main:s", MaxFlushMarkers+9)
	if rt.flushDue(last, "c1") {
		t.Fatal("the latest session's marker was lost")
	}
	n := len(rt.flushed)
	rt.markFlushed(last, "c2")
	if len(rt.flushed) != n || rt.flushDue(last, "c2") || !rt.flushDue(last, "c1") {
		t.Fatalf("re-marking a known session: %d → %d markers", n, len(rt.flushed))
	}
}
