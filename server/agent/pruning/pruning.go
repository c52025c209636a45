// Package pruning trims old tool results out of the messages sent to the model
// (agents.defaults.contextPruning), never out of the stored transcript.
//
// Why: providers with prompt caching (Anthropic) bill a conversation cheaply while its
// cache is warm. Once the cache has expired the whole prompt is paid for again, so that
// is the moment to shrink it: large tool results from before the last few assistant
// turns are cut down to their head and tail (soft trim), and when the context is still
// too full, replaced by a short placeholder (hard clear). The transcript keeps
// everything, so nothing is lost for later runs or for the user.
package pruning

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/clawgate/gateway/server/agent/llm"
)

// Defaults, as in the original (context-pruning settings).
const (
	DefaultTTL                  = 5 * time.Minute
	DefaultKeepLastAssistants   = 3
	DefaultSoftTrimRatio        = 0.3
	DefaultHardClearRatio       = 0.5
	DefaultMinPrunableToolChars = 50_000
	DefaultSoftTrimMaxChars     = 4_000
	DefaultSoftTrimHeadChars    = 1_500
	DefaultSoftTrimTailChars    = 1_500
	DefaultPlaceholder          = "[Old tool result content cleared]"

	// charsPerToken converts the context window (tokens) to characters, the unit the
	// estimate is made in.
	charsPerToken = 4
	// imageChars is what one image counts for: image results are never pruned, but
	// they fill the window, so they make pruning of the others start earlier.
	imageChars = 8_000
	// otherMessageChars is the estimate for a message of an unknown role.
	otherMessageChars = 256
	// toolCallFallbackChars counts a tool call whose arguments are not valid JSON.
	toolCallFallbackChars = 128
)

// Settings are the effective pruning settings (defaults filled in).
type Settings struct {
	// TTL: in cache-ttl mode, prune only when the session's last model request is at
	// least this old (the provider's cache has expired).
	TTL                  time.Duration
	KeepLastAssistants   int
	SoftTrimRatio        float64
	HardClearRatio       float64
	MinPrunableToolChars int
	SoftTrimMaxChars     int
	SoftTrimHeadChars    int
	SoftTrimTailChars    int
	HardClearEnabled     bool
	Placeholder          string
	// Allow and Deny are tool name patterns (* wildcards, case-insensitive): deny wins;
	// an empty allow list allows every tool.
	Allow, Deny []string
}

// Defaults returns the original's default settings.
func Defaults() Settings {
	return Settings{
		TTL: DefaultTTL, KeepLastAssistants: DefaultKeepLastAssistants, SoftTrimRatio: DefaultSoftTrimRatio,
		HardClearRatio: DefaultHardClearRatio, MinPrunableToolChars: DefaultMinPrunableToolChars,
		SoftTrimMaxChars: DefaultSoftTrimMaxChars, SoftTrimHeadChars: DefaultSoftTrimHeadChars,
		SoftTrimTailChars: DefaultSoftTrimTailChars, HardClearEnabled: true, Placeholder: DefaultPlaceholder,
	}
}

// Matcher decides whether a tool's results may be pruned.
type Matcher struct{ allow, deny []*regexp.Regexp }

// NewMatcher compiles allow/deny patterns: "*" matches any run of characters; names
// and patterns are compared trimmed and lower-cased.
func NewMatcher(allow, deny []string) Matcher {
	return Matcher{allow: compile(allow), deny: compile(deny)}
}

func compile(pats []string) []*regexp.Regexp {
	var out []*regexp.Regexp
	for _, p := range pats {
		p = strings.ToLower(strings.TrimSpace(p))
		if p == "" {
			continue
		}
		q := regexp.QuoteMeta(p)
		out = append(out, regexp.MustCompile("^"+strings.ReplaceAll(q, `\*`, ".*")+"$"))
	}
	return out
}

func matchAny(name string, res []*regexp.Regexp) bool {
	for _, re := range res {
		if re.MatchString(name) {
			return true
		}
	}
	return false
}

// Prunable reports whether results of the named tool may be pruned.
func (m Matcher) Prunable(tool string) bool {
	n := strings.ToLower(strings.TrimSpace(tool))
	if matchAny(n, m.deny) {
		return false
	}
	return len(m.allow) == 0 || matchAny(n, m.allow)
}

// Prune returns msgs with old tool results trimmed or cleared for a model whose
// context window is windowTokens. msgs itself is never modified: when something is
// pruned the result is a new slice with new messages at the pruned places; otherwise
// msgs is returned as it is. changed reports which.
func Prune(msgs []llm.Message, s Settings, windowTokens int) (out []llm.Message, changed bool) {
	if windowTokens <= 0 {
		return msgs, false
	}
	charWindow := float64(windowTokens * charsPerToken)
	cutoff, ok := assistantCutoff(msgs, s.KeepLastAssistants)
	if !ok {
		return msgs, false
	}
	// Nothing before the first user message is pruned: those are the bootstrap reads
	// (identity files) the agent made before anyone spoke to it.
	start := len(msgs)
	for i, m := range msgs {
		if m.Role == llm.RoleUser {
			start = i
			break
		}
	}
	total := 0
	for _, m := range msgs {
		total += estimate(m)
	}
	if float64(total)/charWindow < s.SoftTrimRatio {
		return msgs, false
	}
	match := NewMatcher(s.Allow, s.Deny)
	var next []llm.Message
	var prunable []int
	for i := start; i < cutoff; i++ {
		m := msgs[i]
		if m.Role != llm.RoleToolResult || !match.Prunable(m.ToolName) || hasImage(m) {
			continue
		}
		prunable = append(prunable, i)
		t, ok := softTrim(m, s)
		if !ok {
			continue
		}
		total += estimate(t) - estimate(m)
		if next == nil {
			next = append([]llm.Message(nil), msgs...)
		}
		next[i] = t
	}
	cur := msgs
	if next != nil {
		cur = next
	}
	ratio := float64(total) / charWindow
	if ratio < s.HardClearRatio || !s.HardClearEnabled {
		return cur, next != nil
	}
	prunableChars := 0
	for _, i := range prunable {
		prunableChars += estimate(cur[i])
	}
	if prunableChars < s.MinPrunableToolChars {
		return cur, next != nil
	}
	for _, i := range prunable {
		if ratio < s.HardClearRatio {
			break
		}
		m := cur[i]
		c := m
		c.Content = []llm.Part{llm.TextPart(s.Placeholder)}
		if next == nil {
			next = append([]llm.Message(nil), msgs...)
			cur = next
		}
		next[i] = c
		total += estimate(c) - estimate(m)
		ratio = float64(total) / charWindow
	}
	return cur, next != nil
}

// assistantCutoff is the index of the oldest of the last keep assistant messages:
// messages from there on are protected. keep <= 0 protects nothing; fewer assistant
// messages than keep protects everything (ok = false).
func assistantCutoff(msgs []llm.Message, keep int) (int, bool) {
	if keep <= 0 {
		return len(msgs), true
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role != llm.RoleAssistant {
			continue
		}
		keep--
		if keep == 0 {
			return i, true
		}
	}
	return 0, false
}

func hasImage(m llm.Message) bool {
	for _, p := range m.Content {
		if p.Type == llm.PartImage {
			return true
		}
	}
	return false
}

// estimate is a message's size in characters, as the original counts it.
func estimate(m llm.Message) int {
	n := 0
	switch m.Role {
	case llm.RoleUser, llm.RoleToolResult:
		for _, p := range m.Content {
			switch p.Type {
			case llm.PartText:
				n += utf8.RuneCountInString(p.Text)
			case llm.PartImage:
				n += imageChars
			}
		}
	case llm.RoleAssistant:
		for _, p := range m.Content {
			switch p.Type {
			case llm.PartText:
				n += utf8.RuneCountInString(p.Text)
			case llm.PartThinking:
				n += utf8.RuneCountInString(p.Thinking)
			case llm.PartToolCall:
				if a := llm.ArgumentsObject(p.Arguments); len(a) > 0 {
					n += utf8.RuneCount(a)
				} else {
					n += toolCallFallbackChars
				}
			}
		}
	default:
		return otherMessageChars
	}
	return n
}

// softTrim keeps the head and tail of a long text-only tool result with a note of what
// was cut; ok is false when the result is short enough to keep whole.
func softTrim(m llm.Message, s Settings) (llm.Message, bool) {
	var parts []string
	for _, p := range m.Content {
		if p.Type == llm.PartText {
			parts = append(parts, p.Text)
		}
	}
	joined := strings.Join(parts, "\n")
	raw := []rune(joined)
	if len(raw) <= s.SoftTrimMaxChars {
		return m, false
	}
	head, tail := max(0, s.SoftTrimHeadChars), max(0, s.SoftTrimTailChars)
	if head+tail >= len(raw) {
		return m, false
	}
	text := string(raw[:head]) + "\n...\n" + string(raw[len(raw)-tail:]) +
		fmt.Sprintf("\n\n[Tool result trimmed: kept first %d chars and last %d chars of %d chars.]", head, tail, len(raw))
	out := m
	out.Content = []llm.Part{llm.TextPart(text)}
	return out, true
}
