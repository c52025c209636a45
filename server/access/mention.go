package access

import (
	"regexp"
	"strings"
	"unicode/utf16"
)

// jidUser is the user part of a WhatsApp JID: "15551234567:12@s.whatsapp.net" and
// "15551234567@s.whatsapp.net" are the same user.
func jidUser(jid string) string {
	u, _, _ := strings.Cut(strings.TrimSpace(jid), "@")
	u, _, _ = strings.Cut(u, ":")
	return strings.TrimPrefix(u, "+")
}

// MentionedWhatsApp reports whether a WhatsApp group message addresses the linked
// account: selfJIDs are the account's JIDs (phone JID and LID), mentionedJIDs the
// message's contextInfo.mentionedJid, quotedParticipant the contextInfo.participant
// of the message it replies to ("" when not a reply). Replying to the bot counts as a
// mention, as in the original.
func MentionedWhatsApp(selfJIDs, mentionedJIDs []string, quotedParticipant string) bool {
	self := map[string]bool{}
	for _, j := range selfJIDs {
		if u := jidUser(j); u != "" {
			self[u] = true
		}
	}
	for _, j := range mentionedJIDs {
		if self[jidUser(j)] {
			return true
		}
	}
	return quotedParticipant != "" && self[jidUser(quotedParticipant)]
}

// TelegramEntity is a Bot API MessageEntity (offsets and lengths in UTF-16 units).
type TelegramEntity struct {
	Type   string // "mention", "bot_command", "text_mention", ...
	Offset int
	Length int
	UserID int64 // text_mention: the user mentioned
}

// TelegramMessage is what the Telegram mention helpers look at.
type TelegramMessage struct {
	Text     string // text or caption
	Entities []TelegramEntity
	// ReplyToFromID is the sender of the message this one replies to (0: none).
	ReplyToFromID int64
}

// entityText is the text an entity covers.
func entityText(units []uint16, e TelegramEntity) string {
	if e.Offset < 0 || e.Length <= 0 || e.Offset+e.Length > len(units) {
		return ""
	}
	return string(utf16.Decode(units[e.Offset : e.Offset+e.Length]))
}

// MentionedTelegram reports whether m addresses the bot (botUsername without "@",
// botID its user id): an @botname mention, a text_mention of the bot, a reply to one
// of the bot's messages, or a /command@botname. Without entities (some clients and
// tests omit them) an "@botname" word in the text counts.
func MentionedTelegram(m TelegramMessage, botUsername string, botID int64) bool {
	if botID != 0 && m.ReplyToFromID == botID {
		return true
	}
	name := strings.ToLower(strings.TrimPrefix(botUsername, "@"))
	units := utf16.Encode([]rune(m.Text))
	for _, e := range m.Entities {
		switch e.Type {
		case "mention":
			if name != "" && strings.EqualFold(entityText(units, e), "@"+name) {
				return true
			}
		case "text_mention":
			if botID != 0 && e.UserID == botID {
				return true
			}
		case "bot_command":
			if _, target, ok := strings.Cut(entityText(units, e), "@"); ok && name != "" && strings.EqualFold(target, name) {
				return true
			}
		}
	}
	if len(m.Entities) == 0 && name != "" {
		re := regexp.MustCompile(`(?i)(^|[^\w@])@` + regexp.QuoteMeta(name) + `\b`)
		return re.MatchString(m.Text)
	}
	return false
}

// TelegramCommand returns the command ("/status") when m starts with a bot command
// meant for this bot: no "@target", or "@botUsername". A command addressed to another
// bot is not ours.
func TelegramCommand(m TelegramMessage, botUsername string) (string, bool) {
	text := strings.TrimSpace(m.Text)
	if !strings.HasPrefix(text, "/") {
		return "", false
	}
	word, _, _ := strings.Cut(text, " ")
	word, _, _ = strings.Cut(word, "\n")
	cmd, target, hasTarget := strings.Cut(word, "@")
	if len(cmd) < 2 || !isCommandName(cmd[1:]) {
		return "", false
	}
	if hasTarget && !strings.EqualFold(target, strings.TrimPrefix(botUsername, "@")) {
		return "", false
	}
	return strings.ToLower(cmd), true
}

func isCommandName(s string) bool {
	if len(s) > 32 {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// MaxMentionPatterns bounds the name patterns compiled for one agent; more are left
// out (and reported), so a runaway config cannot make every group message slow.
const MaxMentionPatterns = 64

// CompileMentionPatterns compiles the original's messages.groupChat.mentionPatterns
// (JavaScript regular expressions, matched case-insensitively against the lowercased
// text): patterns Go's RE2 syntax cannot express (lookarounds, backreferences) are
// returned in bad and skipped, as the original skips patterns that do not compile.
// A literal backspace character (what "\b" becomes in a JSON string) means \b.
func CompileMentionPatterns(patterns []string) (res []*regexp.Regexp, bad []string) {
	for i, p := range patterns {
		if i >= MaxMentionPatterns {
			bad = append(bad, patterns[i:]...)
			break
		}
		p = strings.ReplaceAll(p, "\b", `\b`)
		re, err := regexp.Compile("(?i)" + p)
		if err != nil {
			bad = append(bad, patterns[i])
			continue
		}
		res = append(res, re)
	}
	return res, bad
}

// DeriveMentionPatterns are the patterns of an agent without configured ones: its
// identity name as a word (spaces between its parts match any whitespace, an "@"
// before it is allowed) and its emoji.
func DeriveMentionPatterns(name, emoji string) []string {
	var out []string
	if name = strings.TrimSpace(name); name != "" {
		parts := strings.Fields(name)
		for i, s := range parts {
			parts[i] = regexp.QuoteMeta(s)
		}
		out = append(out, `\b@?`+strings.Join(parts, `\s+`)+`\b`)
	}
	if emoji = strings.TrimSpace(emoji); emoji != "" {
		out = append(out, regexp.QuoteMeta(emoji))
	}
	return out
}

// invisible are the zero-width and direction marks WhatsApp puts around display
// names; they are removed before matching names.
func invisible(r rune) bool {
	return r >= 0x200b && r <= 0x200f || r >= 0x202a && r <= 0x202e || r >= 0x2060 && r <= 0x206f
}

// MatchesMentionPatterns reports whether text names the bot by one of res.
func MatchesMentionPatterns(text string, res []*regexp.Regexp) bool {
	if len(res) == 0 {
		return false
	}
	clean := strings.ToLower(strings.Map(func(r rune) rune {
		if invisible(r) {
			return -1
		}
		return r
	}, text))
	if strings.TrimSpace(clean) == "" {
		return false
	}
	for _, re := range res {
		if re.MatchString(clean) {
			return true
		}
	}
	return false
}

// MentionsNumber reports whether text contains the linked WhatsApp account's own
// number (its digits, with or without "+", spaces or dashes): the original counts
// that as a mention when the message has no @mentions.
func MentionsNumber(text, ownUser string) bool {
	digits := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, s)
	}
	own := digits(ownUser)
	if len(own) < 6 { // too short to mean a phone number
		return false
	}
	return strings.Contains(digits(text), own)
}
