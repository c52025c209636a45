package agent

import (
	"regexp"
	"strings"
)

// Silent replies and reply tags: the two directives a model writes into its answer
// that never reach the person reading it.
//
// A silent reply (SilentReplyToken) means "nothing to say": it stays in the transcript
// and is delivered nowhere. A reply tag ([[reply_to_current]], [[reply_to:<id>]])
// asks the channel to thread the answer under a message; the tag itself is removed
// from every text a person sees (channel messages, streamed previews, chat events).

// silentPrefix and silentSuffix are the original's rules for a silent reply: the
// token opens the text (followed by its end or a non-word character), or it closes it
// (a whole word, followed only by non-word characters). Word characters are ASCII
// letters, digits and '_', as in JavaScript's \w and \b.
var (
	silentPrefix = regexp.MustCompile(`^[\s\p{Z}\x{FEFF}]*` + SilentReplyToken + `(?:$|[^A-Za-z0-9_])`)
	silentSuffix = regexp.MustCompile(`(?:^|[^A-Za-z0-9_])` + SilentReplyToken + `[^A-Za-z0-9_]*$`)
)

// IsSilentReply reports whether a reply is the silent token: the original's
// isSilentReplyText, so "NO_REPLY", " NO_REPLY.\n" and "…done. NO_REPLY" are silent,
// while "NO_REPLYING" and "say NO_REPLY to them" are not.
func IsSilentReply(text string) bool {
	if text == "" {
		return false
	}
	return silentPrefix.MatchString(text) || silentSuffix.MatchString(text)
}

// replyTagRe matches one reply tag; whitespace inside the brackets is allowed. The
// submatch is the explicit id of [[reply_to:<id>]].
var replyTagRe = regexp.MustCompile(`(?i)\[\[\s*(?:reply_to_current|reply_to\s*:\s*([^\]\n]+))\s*\]\]`)

// ReplyTags is what ParseReplyTags found in a reply.
type ReplyTags struct {
	// Text is the reply without its tags (whitespace around them collapsed).
	Text string
	// ReplyTo is the message to thread under: the last explicit id, else the current
	// message's id when [[reply_to_current]] was written ("" when neither).
	ReplyTo string
	// Current: [[reply_to_current]] was written.
	Current bool
	// HasTag: any reply tag was written.
	HasTag bool
}

// ParseReplyTags removes the reply tags from text and resolves the message they name;
// current is the id of the message the run answers ("" when none). Text without a
// tag comes back unchanged.
func ParseReplyTags(text, current string) ReplyTags {
	if !strings.Contains(text, "[[") {
		return ReplyTags{Text: text}
	}
	var out ReplyTags
	explicit := ""
	cleaned := replyTagRe.ReplaceAllStringFunc(text, func(m string) string {
		out.HasTag = true
		sub := replyTagRe.FindStringSubmatch(m)
		if sub[1] == "" {
			out.Current = true
		} else if id := strings.TrimSpace(sub[1]); id != "" {
			explicit = id
		}
		return " "
	})
	if !out.HasTag {
		return ReplyTags{Text: text}
	}
	out.Text = collapseDirectiveSpace(cleaned)
	switch {
	case explicit != "":
		out.ReplyTo = explicit
	case out.Current:
		out.ReplyTo = strings.TrimSpace(current)
	}
	return out
}

var (
	spaceRun     = regexp.MustCompile(`[ \t]+`)
	spaceAroundN = regexp.MustCompile(`[ \t]*\n[ \t]*`)
)

// collapseDirectiveSpace tidies the gaps a removed tag leaves, as the original does:
// runs of blanks become one space, blanks around line breaks go, and the ends are
// trimmed.
func collapseDirectiveSpace(s string) string {
	s = spaceRun.ReplaceAllString(s, " ")
	s = spaceAroundN.ReplaceAllString(s, "\n")
	return strings.TrimSpace(s)
}

// VisibleReply is a finished reply as a person sees it: without reply tags, and ""
// when it is silent. Heartbeat and cron deliveries and chat final events show this.
func VisibleReply(text string) string {
	t := ParseReplyTags(text, "").Text
	if IsSilentReply(t) {
		return ""
	}
	return t
}

// visiblePartial is the text streamed so far as previews and chat deltas show it:
// VisibleReply, and also hiding what may still turn into a directive — an unclosed
// "[[" at the end (a tag being written) and a beginning of the silent token
// ("NO_RE…"), which the original's typing rules also hold back.
func visiblePartial(text string) string {
	if i := strings.LastIndex(text, "[["); i >= 0 && !strings.Contains(text[i:], "]]") {
		text = text[:i]
	}
	t := VisibleReply(text)
	if s := strings.TrimSpace(t); s != "" && strings.HasPrefix(SilentReplyToken, s) {
		return ""
	}
	if strings.TrimSpace(t) == "" {
		return ""
	}
	return t
}
