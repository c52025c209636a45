package agent

import "github.com/clawgate/gateway/server/agent/llm"

// limitTurns keeps the last n user turns of a conversation (each user message and
// what followed it), as the original's dmHistoryLimit does; n <= 0 keeps everything.
// Cutting at a user message never separates a tool call from its result.
func limitTurns(msgs []llm.Message, seqs []int64, n int) ([]llm.Message, []int64) {
	if n <= 0 {
		return msgs, seqs
	}
	users := 0
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role != llm.RoleUser {
			continue
		}
		if users++; users == n {
			return msgs[i:], seqs[i:]
		}
	}
	return msgs, seqs
}
