package tgtest

import (
	"encoding/json"
	"regexp"
)

// BotCommand is one entry of a setMyCommands list.
type BotCommand struct {
	Command     string `json:"command"`
	Description string `json:"description"`
}

// commandName is what the Bot API accepts as a command: 1–32 of a-z, 0-9, _.
var commandName = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

// setMyCommands records a command list; like the Bot API it refuses bad names, empty
// or over-long (256) descriptions and more than 100 commands. A missing list clears.
func (s *Server) setMyCommands(p map[string]string) (any, *apiError) {
	var list []BotCommand
	if c := p["commands"]; c != "" {
		if err := json.Unmarshal([]byte(c), &list); err != nil {
			return nil, &apiError{400, "Bad Request: can't parse commands JSON object"}
		}
	}
	if len(list) > 100 {
		return nil, &apiError{400, "Bad Request: too many commands"}
	}
	for _, c := range list {
		if !commandName.MatchString(c.Command) {
			return nil, &apiError{400, "Bad Request: BOT_COMMAND_INVALID"}
		}
		if n := len([]rune(c.Description)); n == 0 || n > 256 {
			return nil, &apiError{400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID"}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if list == nil {
		list = []BotCommand{}
	}
	s.commands = append(s.commands, list)
	s.notifyLocked()
	return true, nil
}

// CommandLists returns every command list set with setMyCommands so far, oldest
// first (an empty list is a clear).
func (s *Server) CommandLists() [][]BotCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]BotCommand(nil), s.commands...)
}
