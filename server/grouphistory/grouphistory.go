// Package grouphistory keeps the recent messages of each group chat that the bot did
// not answer (no mention), so that when it is mentioned the agent sees what was said
// since its last reply, framed as the original frames it.
package grouphistory

import (
	"strings"
	"sync"
	"time"
)

// Markers around the history context (the original's wording, which prompts and
// transcripts carried over from it expect).
const (
	HistoryMarker = "[Chat messages since your last reply - for context]"
	CurrentMarker = "[Current message - respond to this]"
)

// Limits.
const (
	// DefaultLimit is the number of entries kept per group (the original's default
	// historyLimit).
	DefaultLimit = 50
	// DefaultMaxGroups bounds how many groups have a buffer; the least recently
	// written group is forgotten first.
	DefaultMaxGroups = 1000
	// MaxEntryChars caps one stored body (runes); longer bodies are cut.
	MaxEntryChars = 4000
)

// Entry is one unanswered group message.
type Entry struct {
	Sender    string
	Body      string
	Time      time.Time
	MessageID string
}

// Buffer holds per-group histories. Safe for concurrent use.
type Buffer struct {
	limit, maxGroups int

	mu     sync.Mutex
	groups map[string][]Entry
	order  []string // group keys, least recently written first
}

// New returns a buffer keeping limit entries per group (DefaultLimit when 0; a
// negative limit disables history) for at most maxGroups groups (DefaultMaxGroups
// when <= 0).
func New(limit, maxGroups int) *Buffer {
	if limit == 0 {
		limit = DefaultLimit
	}
	if maxGroups <= 0 {
		maxGroups = DefaultMaxGroups
	}
	return &Buffer{limit: limit, maxGroups: maxGroups, groups: map[string][]Entry{}}
}

// Record appends e to the group's history (key: channel, account and group id), dropping
// the oldest entries beyond the limit.
func (b *Buffer) Record(key string, e Entry) {
	if b.limit < 0 || key == "" {
		return
	}
	if r := []rune(e.Body); len(r) > MaxEntryChars {
		e.Body = string(r[:MaxEntryChars]) + "…"
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	h := append(b.groups[key], e)
	if len(h) > b.limit {
		h = append([]Entry(nil), h[len(h)-b.limit:]...)
	}
	b.groups[key] = h
	b.touch(key)
	for len(b.order) > b.maxGroups {
		delete(b.groups, b.order[0])
		b.order = b.order[1:]
	}
}

func (b *Buffer) touch(key string) {
	for i, k := range b.order {
		if k == key {
			b.order = append(b.order[:i], b.order[i+1:]...)
			break
		}
	}
	b.order = append(b.order, key)
}

// Take returns the group's history and clears it (the bot is about to answer, so the
// next context starts after this reply).
func (b *Buffer) Take(key string) []Entry {
	b.mu.Lock()
	defer b.mu.Unlock()
	h := b.groups[key]
	delete(b.groups, key)
	for i, k := range b.order {
		if k == key {
			b.order = append(b.order[:i], b.order[i+1:]...)
			break
		}
	}
	return h
}

// Len is the number of entries held for key.
func (b *Buffer) Len(key string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.groups[key])
}

// FormatEntry renders one entry as the original's inbound envelope:
// "[<Channel> <from> <2006-01-02T15:04Z>] <sender>: <body>", plus the message id.
func FormatEntry(channel, from string, e Entry) string {
	head := []string{channel}
	if from != "" {
		head = append(head, from)
	}
	if !e.Time.IsZero() {
		head = append(head, e.Time.UTC().Format("2006-01-02T15:04Z"))
	}
	body := e.Body
	if e.MessageID != "" {
		body += "\n[message_id: " + e.MessageID + "]"
	}
	if e.Sender != "" {
		body = e.Sender + ": " + body
	}
	return "[" + strings.Join(head, " ") + "] " + body
}

// Split undoes Context: the history block (through the current-message marker line)
// and the current message. Text that does not start with the history marker is all
// current (history "").
func Split(text string) (history, current string) {
	if !strings.HasPrefix(text, HistoryMarker) {
		return "", text
	}
	sep := "\n" + CurrentMarker + "\n"
	before, cur, ok := strings.Cut(text, sep)
	if !ok {
		return "", text
	}
	return before + sep, cur
}

// Context prefixes current (the message that mentioned the bot) with the history, in
// the original's layout; with no history it is current unchanged.
func Context(channel, from string, history []Entry, current string) string {
	if len(history) == 0 {
		return current
	}
	lines := make([]string, 0, len(history))
	for _, e := range history {
		lines = append(lines, FormatEntry(channel, from, e))
	}
	return strings.Join([]string{HistoryMarker, strings.Join(lines, "\n"), "", CurrentMarker, current}, "\n")
}
