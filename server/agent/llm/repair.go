package llm

// MissingToolResultText is the text of a synthetic result inserted for a tool call
// whose result is missing from the history.
const MissingToolResultText = "No result provided"

// RepairToolPairing returns msgs arranged the way strict providers require: every
// assistant tool call is immediately followed by exactly one result for it. Results that
// were displaced (after a user message) are moved back, missing ones are replaced by a
// synthetic error result, duplicates and results with no matching call are dropped, and
// failed assistant steps that produced nothing are left out. Transcripts can hold such
// damage after an abort or a crash between two writes; without repair Anthropic rejects
// the whole request and the session is stuck. msgs is not modified.
func RepairToolPairing(msgs []Message) []Message {
	out := make([]Message, 0, len(msgs))
	seen := map[string]bool{} // results already placed
	for i := 0; i < len(msgs); i++ {
		m := msgs[i]
		switch m.Role {
		case RoleToolResult:
			// Reaching here means no assistant call claimed it: an orphan.
			continue
		case RoleAssistant:
			if m.StopReason == StopError && len(m.Content) == 0 {
				continue
			}
		default:
			out = append(out, m)
			continue
		}
		calls := m.ToolCalls()
		out = append(out, m)
		if len(calls) == 0 {
			continue
		}
		want := make(map[string]bool, len(calls))
		for _, c := range calls {
			want[c.ID] = true
		}
		found := map[string]Message{}
		var rest []Message
		j := i + 1
		for ; j < len(msgs) && msgs[j].Role != RoleAssistant; j++ {
			n := msgs[j]
			if n.Role != RoleToolResult {
				rest = append(rest, n)
				continue
			}
			if !want[n.ToolCallID] || seen[n.ToolCallID] {
				continue
			}
			if _, dup := found[n.ToolCallID]; !dup {
				found[n.ToolCallID] = n
			}
		}
		for _, c := range calls {
			if seen[c.ID] {
				continue
			}
			seen[c.ID] = true
			if r, ok := found[c.ID]; ok {
				out = append(out, r)
				continue
			}
			out = append(out, Message{Role: RoleToolResult, ToolCallID: c.ID, ToolName: c.Name,
				Content: []Part{TextPart(MissingToolResultText)}, IsError: true, Timestamp: m.Timestamp})
		}
		out = append(out, rest...)
		i = j - 1
	}
	return out
}
