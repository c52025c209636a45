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
// the whole request and the session is stuck. msgs is not modified; when it needs no
// repair (nearly always) it is returned as it is, capped so that an append copies.
func RepairToolPairing(msgs []Message) []Message {
	if toolPairingIntact(msgs) {
		return msgs[:len(msgs):len(msgs)]
	}
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

// maxIntactCalls bounds the tool calls toolPairingIntact checks for repeated ids
// (quadratic, without allocating); a longer history takes the repairing path.
const maxIntactCalls = 128

// toolPairingIntact reports that RepairToolPairing would return msgs unchanged: every
// assistant step with calls is followed at once by one result per call, in the calls'
// order, and by no other result before the next assistant step; no call id repeats;
// no result stands alone; no failed step is empty. Every model step repaired its
// history, which copied it each time (TestToolPairingIntact holds the two to agree).
func toolPairingIntact(msgs []Message) bool {
	var ids [maxIntactCalls]string
	n := 0
	for i := 0; i < len(msgs); i++ {
		m := &msgs[i]
		switch m.Role {
		case RoleToolResult:
			return false // not claimed by the step before it
		case RoleAssistant:
			if m.StopReason == StopError && len(m.Content) == 0 {
				return false
			}
		default:
			continue
		}
		j := i + 1
		for k := range m.Content {
			p := &m.Content[k]
			if p.Type != PartToolCall {
				continue
			}
			if n == maxIntactCalls {
				return false
			}
			for _, id := range ids[:n] {
				if id == p.ID {
					return false
				}
			}
			ids[n] = p.ID
			n++
			if j >= len(msgs) || msgs[j].Role != RoleToolResult || msgs[j].ToolCallID != p.ID {
				return false
			}
			j++
		}
		for k := j; k < len(msgs) && msgs[k].Role != RoleAssistant; k++ {
			if msgs[k].Role == RoleToolResult {
				return false
			}
		}
		i = j - 1
	}
	return true
}
