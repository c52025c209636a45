package skills

import (
	"regexp"
	"strconv"
	"strings"
)

// Skill command names, as the original derives them (Telegram and Discord take at most
// 32 characters; Discord descriptions at most 100).
const (
	MaxCommandName        = 32
	MaxCommandDescription = 100
	commandFallback       = "skill"
)

// CommandSpec is a user-invocable skill as a chat command: /<Name> [input] asks the
// agent to use the skill SkillName.
type CommandSpec struct {
	Name        string
	SkillName   string
	Description string
}

var nonCommandRE = regexp.MustCompile(`[^a-z0-9_]+`)
var underscoresRE = regexp.MustCompile(`_+`)

// SanitizeCommandName lower-cases a skill name and keeps a-z, 0-9 and single "_"
// (runs of anything else become one "_", none at the ends), at most MaxCommandName
// characters; "skill" when nothing is left.
func SanitizeCommandName(raw string) string {
	s := nonCommandRE.ReplaceAllString(strings.ToLower(raw), "_")
	s = strings.Trim(underscoresRE.ReplaceAllString(s, "_"), "_")
	if len(s) > MaxCommandName {
		s = s[:MaxCommandName]
	}
	if s == "" {
		return commandFallback
	}
	return s
}

// uniqueCommandName is base, or base_2, base_3, … (shortened to fit) when taken.
func uniqueCommandName(base string, used map[string]bool) string {
	if !used[strings.ToLower(base)] {
		return base
	}
	for i := 2; i < 1000; i++ {
		suffix := "_" + strconv.Itoa(i)
		b := base
		if n := max(1, MaxCommandName-len(suffix)); len(b) > n {
			b = b[:n]
		}
		if c := b + suffix; !used[strings.ToLower(c)] {
			return c
		}
	}
	return base[:max(1, min(len(base), MaxCommandName-2))] + "_x"
}

// CommandSpecs lists the user-invocable skills of eligible (user-invocable: false
// left out) as chat commands, in order, with names that collide with reserved (the
// chat commands' names, lower case) or an earlier skill's made unique.
func CommandSpecs(eligible []*Skill, reserved []string) []CommandSpec {
	used := map[string]bool{}
	for _, r := range reserved {
		used[strings.ToLower(r)] = true
	}
	var out []CommandSpec
	for _, s := range eligible {
		if !s.UserInvocable {
			continue
		}
		name := uniqueCommandName(SanitizeCommandName(s.Name), used)
		used[strings.ToLower(name)] = true
		desc := strings.TrimSpace(s.Description)
		if desc == "" {
			desc = s.Name
		}
		if r := []rune(desc); len(r) > MaxCommandDescription {
			desc = string(r[:MaxCommandDescription-1]) + "…"
		}
		out = append(out, CommandSpec{Name: name, SkillName: s.Name, Description: desc})
	}
	return out
}
