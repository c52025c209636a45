package agent

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/clawgate/gateway/server/agent/llm"
	"github.com/clawgate/gateway/server/sessions"
)

// TestTranscriptQueuesSteps: in-flight steps are queued without waiting, the run's
// terminal message is stored after them in order, and a step write that fails is
// reported by the run (at its next write or at the end), never lost silently.
func TestTranscriptQueuesSteps(t *testing.T) {
	ctx := context.Background()
	st, err := sessions.Open(ctx, sessions.Options{Path: filepath.Join(t.TempDir(), "s.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	rt := &Runtime{opts: Options{Store: st}}
	key := "agent:main:tr"
	tr := &transcript{rt: rt, key: key, run: "r1"}

	call := llm.Message{Role: llm.RoleAssistant, StopReason: llm.StopToolUse, Content: []llm.Part{{Type: llm.PartToolCall, ID: "c1", Name: "read", Arguments: []byte(`{"path":"a"}`)}}}
	result := llm.Message{Role: llm.RoleToolResult, ToolCallID: "c1", ToolName: "read", Content: []llm.Part{llm.TextPart("A")}}
	final := llm.Message{Role: llm.RoleAssistant, StopReason: llm.StopEnd, Content: []llm.Part{llm.TextPart("done")}}
	for _, m := range []llm.Message{call, result} {
		if err := tr.Append(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if len(tr.pending) == 0 {
		t.Fatal("in-flight steps were awaited, not queued")
	}
	if err := tr.Append(ctx, final); err != nil {
		t.Fatal(err)
	}
	if len(tr.pending) != 0 {
		t.Fatalf("%d step writes still pending after the final reply", len(tr.pending))
	}
	h, err := st.History(ctx, key, 10, 0)
	if err != nil || len(h) != 3 || h[0].Role != "assistant" || h[1].Role != "toolResult" || h[2].Text != "done" {
		t.Fatalf("transcript: %+v, %v", h, err)
	}

	// A step that cannot be written (the store is closed): the run hears of it.
	_ = st.Close()
	tr2 := &transcript{rt: rt, key: key, run: "r2"}
	if err := tr2.Append(ctx, call); err != nil {
		t.Fatalf("queueing reports at the next write, not at once: %v", err)
	}
	if err := tr2.Append(ctx, result); !errors.Is(err, sessions.ErrClosed) {
		t.Fatalf("the next step write after a failed one: %v", err)
	}
	tr3 := &transcript{rt: rt, key: key, run: "r3"}
	_ = tr3.Append(ctx, call)
	if err := tr3.flush(); !errors.Is(err, sessions.ErrClosed) {
		t.Fatalf("flush after a failed step: %v", err)
	}
}
