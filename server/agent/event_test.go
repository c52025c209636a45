package agent

import (
	"encoding/json"
	"testing"

	"github.com/clawgate/gateway/gen/go/protocol"
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
