package telegram

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/mymmrac/telego"
)

// BotCommand is one entry of the bot's command menu (setMyCommands).
type BotCommand struct {
	Command     string
	Description string
}

// Commands is the command menu the bot registers when it starts
// (channels.telegram.commands.native, customCommands).
type Commands struct {
	// Native lists the gateway's own chat commands (NativeCommands) first.
	Native bool
	// Clear, when the menu is otherwise empty, clears a menu an earlier run set (the
	// original does so only when native commands are explicitly off).
	Clear bool
	// Skills, when set, lists the skill commands (commands.nativeSkills) when the menu
	// is registered: after the native ones, when Native is on; a custom command with
	// a skill command's name is left out.
	Skills func() []BotCommand
	// Custom are extra entries (customCommands); New checks them with
	// ResolveCustomCommands and leaves out, with a warning, those that fail.
	Custom []BotCommand
}

// NativeCommands are the chat commands this gateway answers itself that the
// original registers as Telegram commands, in its order (/compact is text-only
// there, so it is not listed).
var NativeCommands = []BotCommand{
	{"help", "Show the available commands."},
	{"status", "Show the session's status."},
	{"approve", "Approve or deny an exec request."},
	{"stop", "Stop the running reply."},
	{"reset", "Reset this session."},
	{"new", "Start a new session."},
	{"think", "Set the thinking level."},
	{"verbose", "Turn verbose mode on or off."},
	{"model", "Show or change the model."},
}

// reservedCommands are the original's native command names: custom commands may not
// take them, even those this gateway does not answer, so a config moves between the
// two unchanged. Names starting with "dock_" are reserved as well.
var reservedCommands = map[string]bool{
	"help": true, "commands": true, "skill": true, "status": true, "approve": true, "context": true,
	"tts": true, "whoami": true, "subagents": true, "config": true, "debug": true, "usage": true,
	"stop": true, "restart": true, "activation": true, "send": true, "reset": true, "new": true,
	"think": true, "verbose": true, "reasoning": true, "elevated": true, "exec": true, "model": true,
	"models": true, "queue": true,
}

// commandNameRE is what Telegram accepts as a command name.
var commandNameRE = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

// ResolveCustomCommands checks customCommands as the original does: the name is
// trimmed, loses a leading "/" and is lower-cased; it must be 1–32 of a-z, 0-9 and
// "_", must not be a native command's or repeat an earlier one, and the description
// (trimmed) must not be empty. Entries that fail are left out, each with an issue.
func ResolveCustomCommands(in []BotCommand) (out []BotCommand, issues []string) {
	seen := map[string]bool{}
	for i, c := range in {
		name := strings.TrimSpace(c.Command)
		name = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(name, "/")))
		desc := strings.TrimSpace(c.Description)
		switch {
		case name == "":
			issues = append(issues, fmt.Sprintf("customCommands[%d]: the command name is missing", i))
		case !commandNameRE.MatchString(name):
			issues = append(issues, fmt.Sprintf("customCommands[%d]: /%s is not a valid Telegram command (a-z, 0-9, _; at most 32)", i, name))
		case reservedCommands[name] || strings.HasPrefix(name, "dock_"):
			issues = append(issues, fmt.Sprintf("customCommands[%d]: /%s is a native command", i, name))
		case seen[name]:
			issues = append(issues, fmt.Sprintf("customCommands[%d]: /%s is listed twice", i, name))
		case desc == "":
			issues = append(issues, fmt.Sprintf("customCommands[%d]: /%s has no description", i, name))
		default:
			seen[name] = true
			out = append(out, BotCommand{Command: name, Description: desc})
		}
	}
	return out, issues
}

// menu is the list setMyCommands gets: the native commands (when on), then the
// custom ones. skipped names the custom commands left out for a skill's name.
func (c Commands) menu() (list []telego.BotCommand, skipped []string) {
	taken := map[string]bool{}
	if c.Native {
		for _, n := range NativeCommands {
			list = append(list, telego.BotCommand{Command: n.Command, Description: n.Description})
		}
		if c.Skills != nil {
			for _, n := range c.Skills() {
				taken[n.Command] = true
				list = append(list, telego.BotCommand{Command: n.Command, Description: n.Description})
			}
		}
	}
	for _, x := range c.Custom {
		if taken[x.Command] {
			skipped = append(skipped, x.Command)
			continue
		}
		list = append(list, telego.BotCommand{Command: x.Command, Description: x.Description})
	}
	return list, skipped
}

// registerCommands sets the bot's command menu at start (or clears it, see
// Commands.Clear). A failure is logged: the bot works without a menu.
func (p *Provider) registerCommands(ctx context.Context) {
	list, skipped := p.cfg.Commands.menu()
	for _, name := range skipped {
		p.log.Warn("telegram custom command skipped: /" + name + " is a skill command")
	}
	if len(list) == 0 && !p.cfg.Commands.Clear {
		return
	}
	if list == nil {
		list = []telego.BotCommand{} // an empty list clears; the field is required
	}
	err := p.withRetry(ctx, func(ctx context.Context) error {
		return p.bot.SetMyCommands(ctx, &telego.SetMyCommandsParams{Commands: list})
	})
	if err != nil {
		p.log.Warn("telegram setMyCommands failed", "err", mapErr(err, ""))
	}
}
