package agent

import (
	"strings"
	"testing"

	"github.com/clawgate/gateway/server/agent/llm"
)

func TestLimitTurns(t *testing.T) {
	conv := func(roles string) ([]llm.Message, []int64) {
		var msgs []llm.Message
		var seqs []int64
		for i, r := range strings.Split(roles, " ") {
			msgs = append(msgs, llm.Message{Role: map[string]llm.Role{"u": llm.RoleUser, "a": llm.RoleAssistant, "t": llm.RoleToolResult}[r]})
			seqs = append(seqs, int64(i+1))
		}
		return msgs, seqs
	}
	for _, tc := range []struct {
		roles string
		n     int
		want  int64 // seq of the first kept message
	}{
		{"u a u a u", 0, 1},
		{"u a u a u", 5, 1},
		{"u a u a u", 1, 5},
		{"u a u a u", 2, 3},
		{"u a t a u a", 2, 1},
		{"u a t a u a t a u", 2, 5},
		{"a u a", 1, 2},
	} {
		msgs, seqs := conv(tc.roles)
		gotMsgs, gotSeqs := limitTurns(msgs, seqs, tc.n)
		if gotSeqs[0] != tc.want || len(gotMsgs) != len(gotSeqs) {
			t.Errorf("%q limit %d: kept from seq %d (%d msgs), want from %d", tc.roles, tc.n, gotSeqs[0], len(gotMsgs), tc.want)
		}
	}
}
