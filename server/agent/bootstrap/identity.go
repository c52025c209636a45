package bootstrap

import (
	"context"
	"regexp"
	"strings"
)

// Identity is what IDENTITY.md says about the agent ("- Name: Clawd" lines).
type Identity struct {
	Name, Emoji, Theme, Creature, Vibe, Avatar string
}

// Empty reports an identity with no field set.
func (i Identity) Empty() bool { return i == Identity{} }

// placeholders are the template's prompts, which do not count as values.
var placeholders = map[string]bool{
	"pick something you like": true,
	"ai? robot? familiar? ghost in the machine? something weirder?": true,
	"how do you come across? sharp? warm? chaotic? calm?":           true,
	"your signature - pick one that feels right":                    true,
	"workspace-relative path, http(s) url, or data uri":             true,
}

var (
	edgeEmphasis = regexp.MustCompile(`^[*_]+|[*_]+$`)
	spaces       = regexp.MustCompile(`\s+`)
)

func isPlaceholder(v string) bool {
	n := strings.TrimSpace(edgeEmphasis.ReplaceAllString(strings.TrimSpace(v), ""))
	if strings.HasPrefix(n, "(") && strings.HasSuffix(n, ")") {
		n = strings.TrimSpace(n[1 : len(n)-1])
	}
	n = strings.NewReplacer("\u2013", "-", "\u2014", "-").Replace(n)
	n = strings.ToLower(spaces.ReplaceAllString(n, " "))
	return placeholders[n]
}

// ParseIdentity reads "label: value" lines (an optional leading "- ", markdown
// emphasis around labels and values ignored) for name, emoji, theme, creature,
// vibe and avatar, as the original does; the last line of a label wins, empty
// values and the template's placeholder prompts are skipped.
func ParseIdentity(content string) Identity {
	var id Identity
	for _, line := range strings.Split(content, "\n") {
		line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
		if strings.HasPrefix(line, "-") {
			line = strings.TrimSpace(line[1:])
		}
		label, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		label = strings.ToLower(strings.TrimSpace(strings.NewReplacer("*", "", "_", "").Replace(label)))
		value = strings.TrimSpace(edgeEmphasis.ReplaceAllString(strings.TrimSpace(value), ""))
		if value == "" || isPlaceholder(value) {
			continue
		}
		switch label {
		case "name":
			id.Name = value
		case "emoji":
			id.Emoji = value
		case "theme":
			id.Theme = value
		case "creature":
			id.Creature = value
		case "vibe":
			id.Vibe = value
		case "avatar":
			id.Avatar = value
		}
	}
	return id
}

// Identity parses the workspace's IDENTITY.md (cached like the other files); a
// missing or unreadable file is the empty identity.
func (w *Workspace) Identity(ctx context.Context) Identity {
	if ctx.Err() != nil {
		return Identity{}
	}
	f, err := w.read(IdentityFile)
	if err != nil || f.Missing || f.TooBig {
		return Identity{}
	}
	return ParseIdentity(f.Content)
}
