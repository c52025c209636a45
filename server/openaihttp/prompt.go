package openaihttp

import (
	"strings"
	"sync"
)

// Markers of a prompt that carries earlier messages (the original's words: the model
// sees the same text whichever gateway it talks to).
const (
	historyMarker = "[Chat messages since your last reply - for context]"
	currentMarker = "[Current message - respond to this]"
)

// entry is one conversation message of a request.
type entry struct {
	role   string // user | assistant | tool
	sender string // User | Assistant | Tool | Tool:<name>
	body   string
}

// prompt is what a request asks the agent: the message of the turn and the system
// text the request adds.
type prompt struct {
	message string
	system  string
	// attachments are /v1/responses image and file parts, read before the turn starts.
	attachments []attachment
}

// buildPrompt turns a request's messages into one turn, as the original does: system
// and developer messages become extra system prompt; the last user or tool message is
// the current one, and the messages before it are quoted above it with the history
// markers. The session's own transcript still goes to the model as usual.
func buildPrompt(system []string, entries []entry) prompt {
	p := prompt{system: strings.Join(system, "\n\n")}
	if len(entries) == 0 {
		return p
	}
	cur := len(entries) - 1
	for i := len(entries) - 1; i >= 0; i-- {
		if entries[i].role == "user" || entries[i].role == "tool" {
			cur = i
			break
		}
	}
	if cur == 0 {
		p.message = entries[0].body
		return p
	}
	lines := make([]string, 0, cur)
	for _, e := range entries[:cur] {
		lines = append(lines, e.sender+": "+e.body)
	}
	c := entries[cur]
	p.message = strings.Join([]string{historyMarker, strings.Join(lines, "\n"), "", currentMarker, c.sender + ": " + c.body}, "\n")
	return p
}

// deltaQueue carries streamed text from the turn's goroutine to the request's:
// push never blocks (the model must not wait for a slow caller), take collects
// everything pushed since the last take.
type deltaQueue struct {
	mu      sync.Mutex
	pending strings.Builder
	signal  chan struct{}
}

func newDeltaQueue() *deltaQueue { return &deltaQueue{signal: make(chan struct{}, 1)} }

func (q *deltaQueue) push(s string) {
	q.mu.Lock()
	q.pending.WriteString(s)
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

func (q *deltaQueue) take() string {
	q.mu.Lock()
	defer q.mu.Unlock()
	s := q.pending.String()
	q.pending.Reset()
	return s
}
