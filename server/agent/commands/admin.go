package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// The owner's commands: they change the gateway, not a session, so each is off until
// its commands.* key is true, and only the owner may run them.
const (
	Config  Name = "config"
	Debug   Name = "debug"
	Restart Name = "restart"
	Bash    Name = "bash"
)

// Toggles are the commands.* keys that switch the owner's commands on (all false by
// default, as in the original).
type Toggles struct {
	Config, Debug, Restart, Bash bool
}

// ConfigInvalidError is what Admin.ConfigEdit returns when the edited config does not
// validate: the first issue, which the reply names.
type ConfigInvalidError struct{ Path, Message string }

func (e *ConfigInvalidError) Error() string { return e.Path + ": " + e.Message }

// ErrConfigUnreadable is Admin.ConfigTree's error for a config file that is invalid.
var ErrConfigUnreadable = errors.New("config file is invalid")

// BashAction is what a bash request asks for.
type BashAction string

const (
	BashHelp BashAction = "help"
	BashRun  BashAction = "run"
	BashPoll BashAction = "poll"
	BashStop BashAction = "stop"
)

// BashRequest is a parsed "! …" or "/bash …" message.
type BashRequest struct {
	Action    BashAction
	Command   string // run
	SessionID string // poll, stop ("" = the active job)
}

// Admin is the gateway side of the owner's commands: the config file, the in-memory
// debug overrides, the in-process restart and the host shell. The daemon implements it.
type Admin interface {
	// Toggles are the live commands.config / debug / restart / bash.
	Toggles() Toggles
	// ConfigTree is the config file as the gateway reads it, secrets redacted;
	// ErrConfigUnreadable (wrapped) when it is invalid.
	ConfigTree(ctx context.Context) (map[string]any, error)
	// ConfigEdit applies edit to the config file as written and saves it through the
	// gateway's config write path, after validating it (*ConfigInvalidError). edit
	// reports false for "nothing to change" (the file is then not written).
	ConfigEdit(ctx context.Context, edit func(tree map[string]any) (bool, error)) (changed bool, err error)
	// ConfigWritesAllowed is channels.<channel>(.accounts.<id>).configWrites (true
	// unless false); channel "" (an operator client) is always allowed.
	ConfigWritesAllowed(channel, accountID string) bool
	// DebugOverrides is the override tree (nil or empty: none).
	DebugOverrides() map[string]any
	// DebugSet / DebugUnset / DebugReset change the overrides and apply them to the
	// running gateway at once.
	DebugSet(path []string, v any) error
	DebugUnset(path []string) (removed bool, err error)
	DebugReset() error
	// Restart schedules an in-process restart of the gateway (after the reply has gone
	// out) and says how.
	Restart() (how string, err error)
	// Bash runs a bash request for the session and returns the reply.
	Bash(ctx context.Context, sessionKey string, req BashRequest) string
}

// parseAdmin recognises an owner command in t (trimmed, starts with "/" or "!"): the
// original's parsers, which match the name as a prefix of the lower-cased text.
func parseAdmin(t string) (Command, bool) {
	if strings.HasPrefix(t, "!") {
		return Command{Name: Bash, Args: t}, true
	}
	lower := strings.ToLower(t)
	word := lower[1:]
	if i := strings.IndexAny(word, " \t\r\n:"); i >= 0 {
		word = word[:i]
	}
	name, _, _ := strings.Cut(word, "@")
	switch Name(name) {
	case Config, Debug:
		rest := strings.TrimSpace(t[1+len(word):])
		return Command{Name: Name(name), Args: rest}, true
	case Restart:
		if strings.TrimSpace(t[1+len(word):]) != "" {
			return Command{}, false // only the bare /restart, as the original
		}
		return Command{Name: Restart}, true
	case Bash:
		return Command{Name: Bash, Args: t}, true
	}
	return Command{}, false
}

// handleAdmin runs an owner command. Not authorised (or not the owner): dropped
// silently, as the original drops it.
func handleAdmin(ctx context.Context, c Command, in Input) (Result, error) {
	if !in.Authorized || !in.Owner {
		return Result{Handled: true, Ignored: true}, nil
	}
	reply := func(s string) (Result, error) { return Result{Handled: true, Reply: s}, nil }
	if in.Admin == nil {
		return reply(fmt.Sprintf("⚠️ /%s is not available here.", c.Name))
	}
	tg := in.Admin.Toggles()
	switch c.Name {
	case Config:
		if !tg.Config {
			return reply("⚠️ /config is disabled. Set commands.config=true to enable.")
		}
		return reply(configCommand(ctx, in, c.Args))
	case Debug:
		if !tg.Debug {
			return reply("⚠️ /debug is disabled. Set commands.debug=true to enable.")
		}
		return reply(debugCommand(in.Admin, c.Args))
	case Restart:
		if !tg.Restart {
			return reply("⚠️ /restart is disabled. Set commands.restart=true to enable.")
		}
		how, err := in.Admin.Restart()
		if err != nil {
			return reply("⚠️ Restart failed: " + err.Error())
		}
		return reply("⚙️ Restarting clawdbot " + how + "; back in a few seconds.")
	case Bash:
		if !tg.Bash {
			return reply("⚠️ bash is disabled. Set commands.bash=true to enable.")
		}
		req, ok := ParseBash(c.Args)
		if !ok {
			return reply("⚠️ Unrecognized bash request.")
		}
		if req.Action == BashHelp {
			return reply(BashUsage)
		}
		return reply(in.Admin.Bash(ctx, in.SessionKey, req))
	}
	return Result{}, nil
}

// BashUsage is the answer to a bare "!" or "/bash help".
const BashUsage = "⚙️ Usage:\n- ! <command>\n- !poll | ! poll\n- !stop | ! stop\n- /bash ... (alias; same subcommands as !)"

var bashSlashRE = regexp.MustCompile(`(?is)^/bash(?:@\S+)?(?:\s*:\s*|\s+|$)(.*)$`)

// ParseBash reads "! <command>", "!poll [id]", "!stop [id]" and the same after /bash.
func ParseBash(raw string) (BashRequest, bool) {
	t := strings.TrimLeft(raw, " \t\r\n")
	var rest string
	switch {
	case strings.HasPrefix(strings.ToLower(t), "/bash"):
		m := bashSlashRE.FindStringSubmatch(t)
		if m == nil {
			return BashRequest{}, false
		}
		rest = m[1]
	case strings.HasPrefix(t, "!"):
		rest = t[1:]
		if s := strings.TrimLeft(rest, " \t"); strings.HasPrefix(s, ":") {
			rest = s[1:]
		}
	default:
		return BashRequest{}, false
	}
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return BashRequest{Action: BashHelp}, true
	}
	tok, remainder := rest, ""
	if i := strings.IndexAny(rest, " \t\r\n"); i >= 0 {
		tok, remainder = rest[:i], rest[i+1:]
	}
	remainder = strings.TrimSpace(remainder)
	switch strings.ToLower(tok) {
	case "poll":
		return BashRequest{Action: BashPoll, SessionID: remainder}, true
	case "stop":
		return BashRequest{Action: BashStop, SessionID: remainder}, true
	case "help":
		return BashRequest{Action: BashHelp}, true
	}
	return BashRequest{Action: BashRun, Command: rest}, true
}

// adminAction splits "set a.b=1" into the action and its arguments.
func adminAction(args string) (action, rest string) {
	args = strings.TrimSpace(args)
	if i := strings.IndexAny(args, " \t\r\n"); i >= 0 {
		return strings.ToLower(args[:i]), strings.TrimSpace(args[i+1:])
	}
	return strings.ToLower(args), ""
}

// splitAssign reads "path=value" as /config set and /debug set take it.
func splitAssign(args string) (path string, v any, errMsg string) {
	eq := strings.IndexByte(args, '=')
	if eq <= 0 {
		return "", nil, ""
	}
	path = strings.TrimSpace(args[:eq])
	if path == "" {
		return "", nil, ""
	}
	v, err := ParseConfigValue(args[eq+1:])
	if err != nil {
		return "", nil, err.Error()
	}
	return path, v, ""
}

// ParseConfigValue reads a value as the original's /config and /debug do: JSON for
// objects and arrays, true/false/null, decimal numbers, a quoted string (JSON, else
// the text between the quotes), and anything else as the text itself.
func ParseConfigValue(raw string) (any, error) {
	t := strings.TrimSpace(raw)
	if t == "" {
		return nil, errors.New("Missing value.")
	}
	if strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
		var v any
		if err := json.Unmarshal([]byte(t), &v); err != nil {
			return nil, fmt.Errorf("Invalid JSON: %v", err)
		}
		return v, nil
	}
	switch t {
	case "true":
		return true, nil
	case "false":
		return false, nil
	case "null":
		return nil, nil
	}
	if numberRE.MatchString(t) {
		if f, err := strconv.ParseFloat(t, 64); err == nil {
			return f, nil
		}
	}
	if len(t) >= 2 && (t[0] == '"' && t[len(t)-1] == '"' || t[0] == '\'' && t[len(t)-1] == '\'') {
		var s string
		if err := json.Unmarshal([]byte(t), &s); err == nil {
			return s, nil
		}
		return t[1 : len(t)-1], nil
	}
	return t, nil
}

var numberRE = regexp.MustCompile(`^-?\d+(\.\d+)?$`)

// ParsePath splits a dotted config path; "__proto__"-like segments are refused as
// the original refuses them.
func ParsePath(raw string) ([]string, error) {
	t := strings.TrimSpace(raw)
	parts := strings.Split(t, ".")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
		if parts[i] == "" {
			return nil, errors.New("Invalid path. Use dot notation (e.g. foo.bar).")
		}
		switch parts[i] {
		case "__proto__", "prototype", "constructor":
			return nil, errors.New("Invalid path segment.")
		}
	}
	return parts, nil
}

// valueLabel renders a set value for the reply: strings quoted, the rest as JSON.
func valueLabel(v any) string {
	if s, ok := v.(string); ok {
		return `"` + s + `"`
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	return string(b)
}

func jsonBlock(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		b = []byte("null")
	}
	return "```json\n" + string(b) + "\n```"
}

// lookup walks a path through nested objects.
func lookup(tree any, path []string) any {
	cur := tree
	for _, k := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	return cur
}

// SetAt sets path in tree, replacing whatever is not an object on the way.
func SetAt(tree map[string]any, path []string, v any) {
	cur := tree
	for _, k := range path[:len(path)-1] {
		next, ok := cur[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[k] = next
		}
		cur = next
	}
	cur[path[len(path)-1]] = v
}

// UnsetAt removes path from tree and the objects it leaves empty; false when
// nothing was there.
func UnsetAt(tree map[string]any, path []string) bool {
	stack := []map[string]any{tree}
	cur := tree
	for _, k := range path[:len(path)-1] {
		next, ok := cur[k].(map[string]any)
		if !ok {
			return false
		}
		cur = next
		stack = append(stack, cur)
	}
	leaf := path[len(path)-1]
	if _, ok := cur[leaf]; !ok {
		return false
	}
	delete(cur, leaf)
	for i := len(stack) - 1; i > 0; i-- {
		if len(stack[i]) != 0 {
			break
		}
		delete(stack[i-1], path[i-1])
	}
	return true
}

func configCommand(ctx context.Context, in Input, args string) string {
	a := in.Admin
	action, rest := adminAction(args)
	switch action {
	case "", "show", "get":
	case "set", "unset":
		if rest == "" {
			return "⚠️ Usage: /config " + action + map[string]string{"set": " path=value", "unset": " path"}[action]
		}
		if !a.ConfigWritesAllowed(in.Channel, in.AccountID) {
			label, hint := in.Channel, "channels."+in.Channel+".configWrites=true"
			if label == "" {
				label, hint = "this channel", "channels.<channel>.configWrites=true"
			}
			return fmt.Sprintf("⚠️ Config writes are disabled for %s. Set %s to enable.", label, hint)
		}
	default:
		return "⚠️ Usage: /config show|set|unset"
	}
	switch action {
	case "", "show", "get":
		tree, err := a.ConfigTree(ctx)
		if err != nil {
			return "⚠️ Config file is invalid; fix it before using /config."
		}
		if rest == "" {
			return "⚙️ Config (raw):\n" + jsonBlock(tree)
		}
		p, err := ParsePath(rest)
		if err != nil {
			return "⚠️ " + err.Error()
		}
		return "⚙️ Config " + rest + ":\n" + jsonBlock(lookup(tree, p))
	case "unset":
		p, err := ParsePath(rest)
		if err != nil {
			return "⚠️ " + err.Error()
		}
		changed, err := a.ConfigEdit(ctx, func(tree map[string]any) (bool, error) { return UnsetAt(tree, p), nil })
		if msg := configEditError(err, "unset"); msg != "" {
			return msg
		}
		if !changed {
			return "⚙️ No config value found for " + rest + "."
		}
		return "⚙️ Config updated: " + rest + " removed."
	}
	path, v, bad := splitAssign(rest)
	if bad != "" {
		return "⚠️ " + bad
	}
	if path == "" {
		return "⚠️ Usage: /config set path=value"
	}
	p, err := ParsePath(path)
	if err != nil {
		return "⚠️ " + err.Error()
	}
	_, err = a.ConfigEdit(ctx, func(tree map[string]any) (bool, error) { SetAt(tree, p, v); return true, nil })
	if msg := configEditError(err, "set"); msg != "" {
		return msg
	}
	return "⚙️ Config updated: " + path + "=" + valueLabel(v)
}

func configEditError(err error, action string) string {
	var inv *ConfigInvalidError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &inv):
		return fmt.Sprintf("⚠️ Config invalid after %s (%s: %s).", action, inv.Path, inv.Message)
	case errors.Is(err, ErrConfigUnreadable):
		return "⚠️ Config file is invalid; fix it before using /config."
	}
	return "⚠️ Config not changed: " + err.Error()
}

func debugCommand(a Admin, args string) string {
	action, rest := adminAction(args)
	switch action {
	case "", "show":
		ov := a.DebugOverrides()
		if len(ov) == 0 {
			return "⚙️ Debug overrides: (none)"
		}
		return "⚙️ Debug overrides (memory-only):\n" + jsonBlock(ov)
	case "reset":
		if err := a.DebugReset(); err != nil {
			return "⚠️ " + err.Error()
		}
		return "⚙️ Debug overrides cleared; using config on disk."
	case "unset":
		if rest == "" {
			return "⚠️ Usage: /debug unset path"
		}
		p, err := ParsePath(rest)
		if err != nil {
			return "⚠️ " + err.Error()
		}
		removed, err := a.DebugUnset(p)
		if err != nil {
			return "⚠️ " + err.Error()
		}
		if !removed {
			return "⚙️ No debug override found for " + rest + "."
		}
		return "⚙️ Debug override removed for " + rest + "."
	case "set":
		path, v, bad := splitAssign(rest)
		if bad != "" {
			return "⚠️ " + bad
		}
		if path == "" {
			return "⚠️ Usage: /debug set path=value"
		}
		p, err := ParsePath(path)
		if err != nil {
			return "⚠️ " + err.Error()
		}
		if err := a.DebugSet(p, v); err != nil {
			return "⚠️ " + err.Error()
		}
		return "⚙️ Debug override set: " + path + "=" + valueLabel(v)
	}
	return "⚠️ Usage: /debug show|set|unset|reset"
}
