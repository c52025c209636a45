package agent

import (
	"encoding/json"
	"testing"
)

// TestAgentFinalPayloads: the "agent" method's final result carries the reply as a
// person sees it, as the original's: reply tags removed, and no payload at all for a
// silent reply.
func TestAgentFinalPayloads(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       []string
	}{
		{"plain", "hello", []string{"hello"}},
		{"current tag", "[[reply_to_current]] hello there", []string{"hello there"}},
		{"explicit tag", "done [[reply_to: 42]]", []string{"done"}},
		{"silent", "NO_REPLY", nil},
		{"silent after tag", "[[reply_to_current]] NO_REPLY", nil},
		{"silent at end", "All handled. NO_REPLY", nil},
		{"token as a word inside", "say NO_REPLY to them", []string{"say NO_REPLY to them"}},
		{"empty", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Run{ID: "run-1", outcome: Outcome{Status: StatusOK, Text: tc.text, StartedAt: 1, EndedAt: 2}}
			res, err := agentFinal(r)
			if err != nil {
				t.Fatal(err)
			}
			var body struct {
				Payloads []struct {
					Text string `json:"text"`
				} `json:"payloads"`
			}
			if err := json.Unmarshal(res.Result, &body); err != nil || body.Payloads == nil {
				t.Fatalf("result %s: %v", res.Result, err)
			}
			var got []string
			for _, p := range body.Payloads {
				got = append(got, p.Text)
			}
			if len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0]) {
				t.Fatalf("payloads %q, want %q", got, tc.want)
			}
		})
	}
}
