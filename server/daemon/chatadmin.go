package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	genconfig "github.com/clawgate/gateway/gen/go/config"
	"github.com/clawgate/gateway/server/agent/commands"
	"github.com/clawgate/gateway/server/agent/tools"
	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/execapprove"
	"github.com/clawgate/gateway/server/providers/telegram"
)

// restartCommandDelay is how long /restart waits before the gateway restarts, so its
// reply reaches the chat first (the original schedules its SIGUSR1 likewise).
const restartCommandDelay = 500 * time.Millisecond

// Chat bash (commands.bash): the foreground window before a command moves to the
// background (commands.bashForegroundMs), as in the original.
const (
	DefaultBashForegroundMs = 2000
	MaxBashForegroundMs     = 30_000
	// chatBashScope keeps the chat's shell jobs apart from the agents' exec sessions.
	chatBashScope = "chat:bash"
)

// debugOverrides are /debug's runtime overrides: a tree merged over the config file
// on every apply, in memory only (gone when the process ends; an in-process restart
// keeps them, as the original's module state survives its SIGUSR1 restart).
type debugOverrides struct {
	mu   sync.Mutex
	tree map[string]any
}

func (d *debugOverrides) snapshot() map[string]any {
	d.mu.Lock()
	defer d.mu.Unlock()
	return cloneTree(d.tree)
}

// cloneTree deep-copies a JSON tree (through JSON: the trees hold only JSON values).
func cloneTree(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return map[string]any{}
	}
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

// mergeOverride lays override over base: objects merge key by key, anything else
// replaces.
func mergeOverride(base, override any) any {
	bm, ok1 := base.(map[string]any)
	om, ok2 := override.(map[string]any)
	if !ok1 || !ok2 {
		return override
	}
	out := make(map[string]any, len(bm))
	for k, v := range bm {
		out[k] = v
	}
	for k, v := range om {
		out[k] = mergeOverride(bm[k], v)
	}
	return out
}

// withOverrides is f with ov merged over it, validated as a config file; f itself
// when there are none. The result keeps f's bytes and hash: it is the same file, read
// with overrides.
func withOverrides(f *config.File, ov map[string]any, env config.Env) (*config.File, error) {
	if f == nil || len(ov) == 0 {
		return f, nil
	}
	var base map[string]any
	if m, ok := f.Parsed.(map[string]any); ok {
		base = cloneTree(m)
	}
	if base == nil {
		base = map[string]any{}
	}
	raw, err := config.Format(mergeOverride(base, cloneTree(ov)))
	if err != nil {
		return nil, err
	}
	nf, err := config.ParseWith(f.Path, raw, env)
	if inv := (*config.InvalidError)(nil); errors.As(err, &inv) && len(inv.Issues) > 0 {
		return nil, &commands.ConfigInvalidError{Path: inv.Issues[0].Path, Message: inv.Issues[0].Message}
	}
	if err != nil {
		return nil, err
	}
	nf.Exists, nf.Raw, nf.Hash, nf.Written = f.Exists, f.Raw, f.Hash, f.Written
	return nf, nil
}

// chatAdmin carries out the owner's chat commands for the agent runtime.
type chatAdmin struct {
	s     *services
	parts *engineParts
	wmu   sync.Mutex // serialises /config writes
	bash  chatBash
}

var _ commands.Admin = (*chatAdmin)(nil)

func (a *chatAdmin) live() *config.File {
	if f := a.s.live.Load(); f != nil {
		return f
	}
	return a.s.file
}

func lookupTrue(f *config.File, pointer string) bool {
	v, ok := f.Lookup(pointer)
	b, isBool := v.(bool)
	return ok && isBool && b
}

func (a *chatAdmin) Toggles() commands.Toggles {
	f := a.live()
	return commands.Toggles{Config: lookupTrue(f, "/commands/config"), Debug: lookupTrue(f, "/commands/debug"),
		Restart: lookupTrue(f, "/commands/restart"), Bash: lookupTrue(f, "/commands/bash")}
}

// ConfigTree is the file on disk as read (includes and ${VAR} resolved), secrets
// redacted: a chat is a worse place for them than a terminal.
func (a *chatAdmin) ConfigTree(ctx context.Context) (map[string]any, error) {
	f, err := config.LoadWith(a.s.paths.ConfigPath, a.s.env)
	if err != nil || !f.Valid() {
		return nil, fmt.Errorf("%w: %v", commands.ErrConfigUnreadable, err)
	}
	_, js := config.Redact(f)
	var tree map[string]any
	if err := json.Unmarshal(js, &tree); err != nil {
		return nil, err
	}
	if tree == nil {
		tree = map[string]any{}
	}
	return tree, nil
}

// ConfigEdit edits the file as written (its $include and ${VAR} references stay),
// validates the result as the file it will be, and saves it atomically; the reload
// watcher then applies it as any edit of the file.
func (a *chatAdmin) ConfigEdit(ctx context.Context, edit func(map[string]any) (bool, error)) (bool, error) {
	a.wmu.Lock()
	defer a.wmu.Unlock()
	path := a.s.paths.ConfigPath
	f, err := config.LoadWith(path, a.s.env)
	if err != nil || !f.Valid() {
		return false, fmt.Errorf("%w: %v", commands.ErrConfigUnreadable, err)
	}
	tree := map[string]any{}
	if m, ok := f.Written.(map[string]any); ok {
		tree = cloneTree(m)
	}
	changed, err := edit(tree)
	if err != nil || !changed {
		return false, err
	}
	raw, err := config.Format(tree)
	if err != nil {
		return false, err
	}
	raw = append(config.LeadingComments(f.Raw), raw...)
	if _, err := config.ParseWith(path, raw, a.s.env); err != nil {
		if inv := (*config.InvalidError)(nil); errors.As(err, &inv) && len(inv.Issues) > 0 {
			return false, &commands.ConfigInvalidError{Path: inv.Issues[0].Path, Message: inv.Issues[0].Message}
		}
		return false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return false, err
	}
	if err := config.Save(path, raw); err != nil {
		return false, fmt.Errorf("write config: %w", err)
	}
	a.s.log.Info("config changed by /config", "path", path)
	return true, nil
}

// ConfigWritesAllowed reads channels.<channel>.configWrites and its account's
// (accounts.<id>.configWrites wins; ids match ignoring case). Unset is allowed.
// (The key is another part's to implement; this only reads it, as the original does.)
func (a *chatAdmin) ConfigWritesAllowed(channel, accountID string) bool {
	if channel == "" {
		return true
	}
	// Read from the file (with the debug overrides), as the original reads its config
	// per message: a change of configWrites alone does not reach the running components.
	f := a.live()
	if disk, err := config.LoadWith(a.s.paths.ConfigPath, a.s.env); err == nil && disk.Valid() {
		if eff, err := withOverrides(disk, a.s.overrides.snapshot(), a.s.env); err == nil {
			f = eff
		}
	}
	v, ok := f.Lookup("/channels/" + channel)
	ch, isMap := v.(map[string]any)
	if !ok || !isMap {
		return true
	}
	if accountID == "" {
		accountID = "default"
	}
	if accts, ok := ch["accounts"].(map[string]any); ok {
		for k, acct := range accts {
			if m, ok := acct.(map[string]any); ok && strings.EqualFold(k, accountID) {
				if b, ok := m["configWrites"].(bool); ok {
					return b
				}
			}
		}
	}
	b, ok := ch["configWrites"].(bool)
	return !ok || b
}

func (a *chatAdmin) DebugOverrides() map[string]any { return a.s.overrides.snapshot() }

// changeOverrides edits the override tree and applies the result to the running
// components; an edit that makes the config invalid is undone and refused.
func (a *chatAdmin) changeOverrides(edit func(tree map[string]any) bool) (bool, error) {
	o := &a.s.overrides
	o.mu.Lock()
	prev := cloneTree(o.tree)
	if o.tree == nil {
		o.tree = map[string]any{}
	}
	changed := edit(o.tree)
	next := cloneTree(o.tree)
	o.mu.Unlock()
	if !changed {
		return false, nil
	}
	disk := a.s.disk.Load()
	if disk == nil {
		disk = a.s.file
	}
	if _, err := withOverrides(disk, next, a.s.env); err != nil {
		o.mu.Lock()
		o.tree = prev
		o.mu.Unlock()
		var inv *commands.ConfigInvalidError
		if errors.As(err, &inv) {
			return false, fmt.Errorf("Override not applied: the config would be invalid (%s: %s).", inv.Path, inv.Message)
		}
		return false, err
	}
	a.s.reconfigure(a.s.baseCtx(), disk)
	return true, nil
}

func (a *chatAdmin) DebugSet(path []string, v any) error {
	_, err := a.changeOverrides(func(t map[string]any) bool { commands.SetAt(t, path, v); return true })
	return err
}

func (a *chatAdmin) DebugUnset(path []string) (bool, error) {
	return a.changeOverrides(func(t map[string]any) bool { return commands.UnsetAt(t, path) })
}

func (a *chatAdmin) DebugReset() error {
	_, err := a.changeOverrides(func(t map[string]any) bool {
		clear(t)
		return true
	})
	return err
}

func (a *chatAdmin) Restart() (string, error) {
	r := a.s.restart
	if r == nil {
		return "", errors.New("the gateway cannot restart itself here")
	}
	time.AfterFunc(restartCommandDelay, func() { r("/restart") })
	return "in-process (SIGUSR1)", nil
}

func (a *chatAdmin) Bash(ctx context.Context, sessionKey string, req commands.BashRequest) string {
	return a.bash.handle(ctx, a, sessionKey, req)
}

// chatBash runs the owner's shell commands: one job at a time, in the foreground for
// commands.bashForegroundMs, then in the background with !poll and !stop.
type chatBash struct {
	mu       sync.Mutex
	starting bool
	active   string // the running job's exec session id
	// last is the newest background job, finished or not: a bare !poll after it
	// ended still shows its result once (the original then says there is no job).
	last string
}

// foregroundMs is commands.bashForegroundMs, clamped to [0, MaxBashForegroundMs].
func foregroundMs(f *config.File) int {
	v, ok := f.Lookup("/commands/bashForegroundMs")
	n, isNum := v.(float64)
	if !ok || !isNum {
		return DefaultBashForegroundMs
	}
	return min(max(int(n), 0), MaxBashForegroundMs)
}

func snippet(id string) string {
	id = strings.TrimSpace(id)
	if len(id) <= 12 {
		return id
	}
	return id[:8] + "…"
}

func outputBlock(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return "(no output)"
	}
	return "```txt\n" + s + "\n```"
}

// liveJob is the active job id, cleared once it has finished.
func (b *chatBash) liveJob(procs *tools.Processes) (id string, starting bool) {
	if b.starting {
		return "", true
	}
	if b.active == "" {
		return "", false
	}
	if st, ok := procs.State(b.active, chatBashScope); ok && st.Running {
		return b.active, false
	}
	b.active = ""
	return "", false
}

func (b *chatBash) handle(ctx context.Context, a *chatAdmin, sessionKey string, req commands.BashRequest) string {
	procs := a.parts.procs
	b.mu.Lock()
	live, starting := b.liveJob(procs)
	switch req.Action {
	case commands.BashPoll, commands.BashStop:
		defer b.mu.Unlock()
		id := req.SessionID
		if id == "" {
			id = live
		}
		if id == "" && req.Action == commands.BashPoll {
			id, b.last = b.last, ""
		}
		if id == "" {
			return "⚙️ No active bash job."
		}
		st, ok := procs.State(id, chatBashScope)
		if req.Action == commands.BashStop {
			if !ok || !st.Running {
				return "⚙️ No running bash job found for " + snippet(id) + "."
			}
			if !st.Backgrounded {
				return "⚠️ Session " + snippet(id) + " is not backgrounded."
			}
			procs.Kill(id, chatBashScope)
			if b.active == id {
				b.active = ""
			}
			return "⚙️ bash stopped (session " + snippet(id) + ")."
		}
		switch {
		case !ok:
			return "⚙️ No bash session found for " + snippet(id) + "."
		case st.Running:
			tail := st.Tail
			if strings.TrimSpace(tail) == "" {
				tail = "(no output yet)"
			}
			return fmt.Sprintf("⚙️ bash still running (session %s, %ds).\n%s\nHint: !stop (or /bash stop)",
				snippet(id), int(time.Since(st.StartedAt)/time.Second), outputBlock(tail))
		}
		exit := fmt.Sprintf("code %d", st.ExitCode)
		if st.ExitSignal != "" {
			exit = "signal " + st.ExitSignal
		}
		prefix := "⚙️"
		if st.Status != "completed" {
			prefix = "⚠️"
		}
		return fmt.Sprintf("%s bash finished (session %s).\nExit: %s\n%s", prefix, snippet(id), exit, outputBlock(st.Output))
	}
	if live != "" || starting {
		label := "starting"
		if live != "" {
			label = snippet(live)
		}
		b.mu.Unlock()
		return "⚠️ A bash job is already running (" + label + "). Use !poll / !stop (or /bash poll / /bash stop)."
	}
	b.starting = true
	b.mu.Unlock()
	id, reply := runChatBash(ctx, a, sessionKey, strings.TrimSpace(req.Command))
	b.mu.Lock()
	b.starting, b.active = false, id
	if id != "" {
		b.last = id
	}
	b.mu.Unlock()
	return reply
}

// runChatBash runs one command through the exec tool: the same approvals gate and
// tools.exec settings (security, ask, timeout, safe bins, PATH) as the agents' exec,
// on the gateway host, in the gateway's working directory. id is the job's session
// when it moved to the background.
func runChatBash(ctx context.Context, a *chatAdmin, sessionKey, command string) (id, reply string) {
	f := a.live()
	o := tools.ExecOptions{Gate: a.parts.gate, Processes: a.parts.procs, AgentID: agentOfSession(sessionKey),
		SessionKey: sessionKey, ScopeKey: chatBashScope, Host: execapprove.HostGateway}
	if tc := f.Config.Tools; tc != nil && tc.Exec != nil {
		e := tc.Exec
		if e.Security != nil {
			o.Security = execapprove.ParseSecurity(string(*e.Security))
		}
		if e.Ask != nil {
			o.Ask = execapprove.ParseAsk(string(*e.Ask))
		}
		if e.TimeoutSec != nil && *e.TimeoutSec > 0 {
			o.Timeout = time.Duration(*e.TimeoutSec) * time.Second
		}
		o.PathPrepend, o.SafeBins = e.PathPrepend, e.SafeBins
	}
	tool, err := tools.ExecTool(o)
	if err != nil {
		return "", "⚠️ bash failed: " + command + "\n" + outputBlock(err.Error())
	}
	fg := foregroundMs(f)
	args := map[string]any{"command": command}
	if fg <= 0 {
		args["background"] = true
	} else {
		args["yieldMs"] = fg
	}
	raw, _ := json.Marshal(args)
	res, err := tool.Execute(ctx, tools.Call{ID: "chat-bash", Args: raw})
	if err != nil {
		return "", "⚠️ bash failed: " + command + "\n" + outputBlock(err.Error())
	}
	d, _ := res.Details.(map[string]any)
	if d["status"] == "running" {
		id, _ := d["sessionId"].(string)
		a.s.log.Info("chat bash moved to the background", "session", id, "command", command)
		return id, "⚙️ bash started (session " + id + "). Still running; use !poll / !stop (or /bash poll / /bash stop)."
	}
	code, _ := d["exitCode"].(int)
	out, _ := d["aggregated"].(string)
	return "", fmt.Sprintf("⚙️ bash: %s\nExit: %d\n%s", command, code, outputBlock(out))
}

// agentOfSession is the agent id of an "agent:<id>:…" session key ("main" else).
func agentOfSession(key string) string {
	if rest, ok := strings.CutPrefix(key, "agent:"); ok {
		if id, _, ok := strings.Cut(rest, ":"); ok && id != "" {
			return id
		}
	}
	return "main"
}

// commandSurface is commands.text for the agent runtime: false turns typed commands
// off on the surfaces with native commands (Telegram here), where the commands of the
// bot's menu still work (channels.telegram(.accounts.<id>).commands.native, else
// commands.native); WhatsApp and operator clients always take typed commands.
func commandSurface(cfg interface{ Load() *config.File }) func(channel, accountID string) (bool, func(string) bool) {
	return func(channel, accountID string) (bool, func(string) bool) {
		f := cfg.Load()
		if f == nil || channel != "telegram" {
			return false, nil
		}
		if v, ok := f.Lookup("/commands/text"); !ok || v != false {
			return false, nil
		}
		var t genconfig.ConfigChannelsTelegram
		if f.Config.Channels != nil && f.Config.Channels.Telegram != nil {
			t = telegramAccountSection(*f.Config.Channels.Telegram, accountID)
		}
		menu := telegramCommands(&f.Config, t)
		skillsNative := nativeSkillsOn(&f.Config)
		return true, func(name string) bool {
			if !menu.Native {
				return false
			}
			for _, c := range telegram.NativeCommands {
				if c.Command == name {
					return true
				}
			}
			// Any other name asked about is a skill command's or a built-in one's
			// outside the menu.
			return skillsNative && !slices.Contains(commands.ReservedNames, name)
		}
	}
}

// nativeSkillsOn is commands.nativeSkills: skill commands join the bot's command menu
// (true, or "auto"/unset, which is on for Telegram as in the original).
func nativeSkillsOn(cfg *genconfig.ClawdbotConfig) bool {
	return cfg.Commands == nil || cfg.Commands.NativeSkills != false
}

// skillMenu lists every agent's skill commands for a bot's command menu.
func (s *services) skillMenu() []telegram.BotCommand {
	if s.persona == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(s.baseCtx(), 10*time.Second)
	defer cancel()
	specs, err := s.persona.AgentSkillCommands(ctx, commands.ReservedNames)
	if err != nil {
		s.log.Warn("skill commands not listed in the command menu", "err", err)
	}
	out := make([]telegram.BotCommand, 0, len(specs))
	for _, sp := range specs {
		out = append(out, telegram.BotCommand{Command: sp.Name, Description: sp.Description})
	}
	return out
}
