package agent

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/clawgate/gateway/server/agent/llm"
	"github.com/clawgate/gateway/server/sessions"
)

// A tool result too large for the store's body bound is shrunk to fit: images become a
// note, text is cut with a mark, the call it answers is kept.
func TestShrinkFitsBodyBound(t *testing.T) {
	const limit = 4096
	m := llm.Message{Role: llm.RoleToolResult, ToolCallID: "c1", ToolName: "read", Timestamp: 1,
		Content: []llm.Part{llm.TextPart(strings.Repeat("é", 10_000)), llm.ImagePart("image/png", strings.Repeat("A", 20_000))},
		Details: json.RawMessage(`{"big":"` + strings.Repeat("x", 10_000) + `"}`)}
	b, err := json.Marshal(shrink(m, limit))
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > limit {
		t.Fatalf("shrunk body %d bytes > %d", len(b), limit)
	}
	var back llm.Message
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.ToolCallID != "c1" || len(back.Content) != 2 || !strings.HasSuffix(back.Content[0].Text, "[truncated]") ||
		!strings.Contains(back.Content[1].Text, "image omitted") {
		t.Fatalf("shrunk message %+v", back)
	}
}

func TestIsFinalReplyAndToLLM(t *testing.T) {
	for _, tc := range []struct {
		m     sessions.Message
		final bool
		role  llm.Role
	}{
		{sessions.Message{Role: "assistant", Text: "hi"}, true, llm.RoleAssistant},
		{sessions.Message{Role: "assistant", Body: []byte(`{"role":"assistant","content":[],"stopReason":"toolUse"}`)}, false, llm.RoleAssistant},
		{sessions.Message{Role: "assistant", Body: []byte(`{"role":"assistant","content":[],"stopReason":"error"}`)}, false, llm.RoleAssistant},
		{sessions.Message{Role: "assistant", Body: []byte(`{"role":"assistant","content":[{"type":"text","text":"x"}],"stopReason":"stop"}`)}, true, llm.RoleAssistant},
		{sessions.Message{Role: "system", Text: "System note: x"}, false, llm.RoleUser},
		{sessions.Message{Role: "toolResult", Body: []byte(`{"role":"toolResult","toolCallId":"a","toolName":"read","content":[],"isError":false}`)}, false, llm.RoleToolResult},
	} {
		if got := isFinalReply(tc.m); got != tc.final {
			t.Errorf("%+v: final = %v", tc.m, got)
		}
		lm, ok := toLLM(tc.m)
		if !ok || lm.Role != tc.role {
			t.Errorf("%+v: toLLM = %+v %v", tc.m, lm, ok)
		}
	}
}
