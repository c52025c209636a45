package commands

import (
	"context"
	"regexp"
	"strings"
)

// SkillCommand is a user-invocable skill as a chat command: /<Name> [input], or
// /skill <name> [input], asks the agent to use the skill SkillName.
type SkillCommand struct {
	Name      string
	SkillName string
}

// ReservedNames are the original's chat command names and aliases: a skill command
// never takes one of them (it is renamed name_2, …), so a skill named like a command
// does not shadow it, here or in the original.
var ReservedNames = []string{
	"help", "commands", "skill", "status", "allowlist", "approve", "context", "tts", "whoami", "id",
	"subagents", "config", "debug", "usage", "stop", "restart", "activation", "send", "reset", "new",
	"compact", "think", "thinking", "t", "verbose", "v", "reasoning", "reason", "elevated", "elev",
	"exec", "model", "models", "queue", "bash",
}

var skillInvocationRE = regexp.MustCompile(`^/(\S+)(?:\s+([\s\S]+))?$`)

// normSkillLookup folds case, spaces and "_" to "-" for /skill <name> lookups.
func normSkillLookup(s string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(strings.TrimSpace(s)), func(r rune) bool {
		return r == '_' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	}), "-")
}

// ResolveSkillInvocation finds the skill command text invokes: /<command name>
// (exact, ignoring case), or /skill <name> where name is a command's or a skill's
// name (also with "_" and spaces read as "-").
func ResolveSkillInvocation(text string, list []SkillCommand) (SkillCommand, string, bool) {
	m := skillInvocationRE.FindStringSubmatch(strings.TrimSpace(text))
	if m == nil {
		return SkillCommand{}, "", false
	}
	name, args := strings.ToLower(m[1]), strings.TrimSpace(m[2])
	if at := strings.IndexByte(name, '@'); at > 0 {
		name = name[:at] // /cmd@MyBot on Telegram
	}
	if name == "skill" {
		sm := skillInvocationRE.FindStringSubmatch("/" + args)
		if args == "" || sm == nil {
			return SkillCommand{}, "", false
		}
		want, rest := sm[1], strings.TrimSpace(sm[2])
		for _, c := range list {
			if strings.EqualFold(c.Name, want) || strings.EqualFold(c.SkillName, want) ||
				normSkillLookup(c.Name) == normSkillLookup(want) || normSkillLookup(c.SkillName) == normSkillLookup(want) {
				return c, rest, true
			}
		}
		return SkillCommand{}, "", false
	}
	for _, c := range list {
		if strings.ToLower(c.Name) == name {
			return c, args, true
		}
	}
	return SkillCommand{}, "", false
}

// SkillPrompt is what a skill command sends to the model, as the original words it.
func SkillPrompt(skillName, input string) string {
	p := `Use the "` + skillName + `" skill for this request.`
	if input != "" {
		p += "\n\nUser input:\n" + input
	}
	return p
}

// skillCommand handles a skill command in in.Text, if it is one.
func skillCommand(ctx context.Context, in Input) (Result, bool) {
	t := strings.TrimSpace(in.Text)
	if in.SkillCommands == nil || len(t) < 2 || t[0] != '/' {
		return Result{}, false
	}
	c, args, ok := ResolveSkillInvocation(t, in.SkillCommands(ctx))
	if !ok || in.TextOff && (in.Native == nil || !in.Native(c.Name)) {
		return Result{}, false // commands.text off: only a skill of the bot's menu
	}
	if !in.Authorized {
		return Result{Handled: true, Ignored: true}, true
	}
	return Result{Handled: true, Continue: SkillPrompt(c.SkillName, args)}, true
}
