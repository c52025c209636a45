package agent

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/agent/backend"
)

// TestAgentEventEncoding: the pre-encoded event is byte for byte what the generated
// protocol.AgentEvent sends for the same event (data keys sorted), with and without a
// session, and decodes back through the generated decoder.
func TestAgentEventEncoding(t *testing.T) {
	for _, tc := range []struct {
		name, key string
		data      map[string]any
	}{
		{"tool with session", "agent:main:main", map[string]any{"phase": "start", "name": "read", "toolCallId": "c1", "args": map[string]any{"path": "a\"b"}}},
		{"no session", "", map[string]any{"text": "héllo <x>", "delta": "o"}},
		{"empty", "", map[string]any{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := encodeData(tc.data)
			got := (&AgentEvent{RunID: "r1", Seq: 7, Stream: protocol.AgentEventStreamTool, Ts: 1767225600000, SessionKey: tc.key, Data: raw}).AppendJSON(nil)
			m := map[string]json.RawMessage{}
			for k, v := range tc.data {
				m[k], _ = json.Marshal(v)
			}
			want := &protocol.AgentEvent{RunID: "r1", Seq: 7, Stream: protocol.AgentEventStreamTool, Ts: 1767225600000, Data: m}
			if tc.key != "" {
				k := tc.key
				want.SessionKey = &k
			}
			if string(got) != string(want.AppendJSON(nil)) {
				t.Fatalf("got  %s\nwant %s", got, want.AppendJSON(nil))
			}
			var back protocol.AgentEvent
			if err := back.UnmarshalJSON(got); err != nil || back.GetSessionKey() != tc.key || back.Seq != 7 {
				t.Fatalf("decode: %v %+v", err, back)
			}
		})
	}
}

// TestHandEncodedEventData: the hand-written encoders of the chat message and the
// lifecycle data decode to what encoding/json made of the maps they replace.
func TestHandEncodedEventData(t *testing.T) {
	same := func(t *testing.T, got json.RawMessage, want any) {
		t.Helper()
		w, err := json.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		var g, x any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("%s: %v", got, err)
		}
		_ = json.Unmarshal(w, &x)
		if !reflect.DeepEqual(g, x) {
			t.Fatalf("got %s\nwant %s", got, w)
		}
	}
	for _, text := range []string{"", "ok done", "a \"quoted\" <b>&</b>\n\ttab \u2028 é 🙂", "bad \xff utf8", "\x00\x1f"} {
		same(t, chatMessage(text, 1234), map[string]any{"role": "assistant", "content": []map[string]string{{"type": "text", "text": text}}, "timestamp": 1234})
	}
	same(t, lifecycleData("start", 5, 0, false, ""), map[string]any{"phase": "start", "startedAt": 5})
	same(t, lifecycleData("end", 5, 9, false, ""), map[string]any{"phase": "end", "startedAt": 5, "endedAt": 9})
	same(t, lifecycleData("end", 0, 9, true, ""), map[string]any{"phase": "end", "endedAt": 9, "aborted": true})
	same(t, lifecycleData("end", 0, 0, false, ""), map[string]any{"phase": "end", "endedAt": 0})
	same(t, lifecycleData("error", 5, 9, false, "boom \"x\" <y>"), map[string]any{"phase": "error", "startedAt": 5, "endedAt": 9, "error": "boom \"x\" <y>"})
}

// TestUsageDataMatchesEncodingJSON: the hand-encoded usage of a chat final is what
// encoding/json makes of the map it replaced.
func TestUsageDataMatchesEncodingJSON(t *testing.T) {
	for _, u := range []backend.Usage{{}, {PromptTokens: 12, CompletionTokens: 3, TotalTokens: 15}, {PromptTokens: -1, TotalTokens: 1 << 40}} {
		want, _ := json.Marshal(map[string]int64{"input": u.PromptTokens, "output": u.CompletionTokens, "total": u.TotalTokens})
		if got := usageData(&u); string(got) != string(want) {
			t.Errorf("usageData(%+v) = %s, want %s", u, got, want)
		}
	}
}
