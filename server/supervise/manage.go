package supervise

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf16"
)

// Runner runs the supervisor's commands. ExecRunner is the real one; tests
// record the command lines instead.
type Runner interface {
	// LookPath reports where name is on PATH (exec.LookPath).
	LookPath(name string) (string, error)
	// Run runs name with args and returns its combined output; a non-zero exit
	// is an error.
	Run(ctx context.Context, name string, args ...string) ([]byte, error)
}

// ExecRunner runs commands with os/exec.
type ExecRunner struct{}

// LookPath is exec.LookPath.
func (ExecRunner) LookPath(name string) (string, error) { return exec.LookPath(name) }

// Run runs the command and returns its combined output; on failure the error
// names the command and includes its output.
func (ExecRunner) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		msg := strings.TrimSpace(string(out))
		if msg != "" {
			return out, fmt.Errorf("%s: %w: %s", CommandLine(append([]string{name}, args...)), err, msg)
		}
		return out, fmt.Errorf("%s: %w", CommandLine(append([]string{name}, args...)), err)
	}
	return out, nil
}

// CommandLine formats argv for a POSIX shell (single-quoting where needed).
func CommandLine(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		if a != "" && strings.IndexFunc(a, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@%+,", r))
		}) < 0 {
			q[i] = a
			continue
		}
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

// windowsCommandLine formats argv as typed at a Windows prompt.
func windowsCommandLine(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = windowsQuote(a)
	}
	return strings.Join(q, " ")
}

// ErrNoServiceManager is wrapped by the errors of Stop, Restart and Uninstall
// when the platform's supervisor can't be reached.
var ErrNoServiceManager = errors.New("no service manager found")

// ErrNotInstalled is wrapped when the service definition does not exist.
var ErrNotInstalled = errors.New("gateway service is not installed")

func (o *Options) runner() Runner {
	if o.Runner == nil {
		return ExecRunner{}
	}
	return o.Runner
}

func (o *Options) out() io.Writer {
	if o.Out == nil {
		return io.Discard
	}
	return o.Out
}

func (o *Options) printf(format string, args ...any) { fmt.Fprintf(o.out(), format, args...) }

// systemctl is the argv prefix for the unit's manager.
func (o *Options) systemctl(args ...string) []string {
	if o.kind() == SystemdUser {
		return append([]string{"systemctl", "--user"}, args...)
	}
	return append([]string{"systemctl"}, args...)
}

func (o *Options) launchdDomain() string { return "gui/" + strconv.Itoa(o.UID) }
func (o *Options) launchdTarget() string { return o.launchdDomain() + "/" + o.Name() }

func (o *Options) run(ctx context.Context, argv []string) ([]byte, error) {
	return o.runner().Run(ctx, argv[0], argv[1:]...)
}

// available reports whether the supervisor can be driven from here, and why not.
func (o *Options) available(ctx context.Context) (bool, string) {
	r := o.runner()
	switch o.kind() {
	case Launchd:
		if _, err := r.LookPath("launchctl"); err != nil {
			return false, "launchctl not found on PATH"
		}
	case Schtasks:
		if _, err := r.LookPath("schtasks"); err != nil {
			return false, "schtasks not found on PATH"
		}
	default:
		if _, err := r.LookPath("systemctl"); err != nil {
			return false, "systemctl not found on PATH"
		}
		if out, err := o.run(ctx, o.systemctl("show-environment")); err != nil {
			why := strings.TrimSpace(string(out))
			if why == "" {
				why = err.Error()
			}
			return false, CommandLine(o.systemctl()) + " is not reachable: " + firstLine(why)
		}
	}
	return true, ""
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// managerName is the supervisor as users know it.
func (o *Options) managerName() string {
	switch o.kind() {
	case Launchd:
		return "launchd"
	case Schtasks:
		return "Task Scheduler"
	case SystemdSystem:
		return "systemd"
	default:
		return "systemd (user)"
	}
}

func (o *Options) requireManager(ctx context.Context) error {
	if ok, why := o.available(ctx); !ok {
		return fmt.Errorf("%w: %s (%s)", ErrNoServiceManager, o.managerName(), why)
	}
	return nil
}

func (o *Options) requireInstalled() error {
	if _, err := os.Stat(o.UnitPath()); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s does not exist (run `clawdbot gateway install`)", ErrNotInstalled, o.UnitPath())
	}
	return nil
}

// installCommands are the commands that load and start an installed service.
func (o *Options) installCommands() [][]string {
	switch o.kind() {
	case Launchd:
		return [][]string{
			{"launchctl", "enable", o.launchdTarget()},
			{"launchctl", "bootstrap", o.launchdDomain(), o.UnitPath()},
			{"launchctl", "kickstart", "-k", o.launchdTarget()},
		}
	case Schtasks:
		return [][]string{
			{"schtasks", "/Create", "/F", "/TN", o.Name(), "/XML", o.UnitPath()},
			{"schtasks", "/Run", "/TN", o.Name()},
		}
	default:
		return [][]string{
			o.systemctl("daemon-reload"),
			o.systemctl("enable", "--now", o.Name()),
		}
	}
}

// printCommands prints argv lines indented, in the platform's quoting.
func (o *Options) printCommands(cmds [][]string) {
	for _, c := range cmds {
		if o.kind() == Schtasks {
			o.printf("  %s\n", windowsCommandLine(c))
		} else {
			o.printf("  %s\n", CommandLine(c))
		}
	}
}

// writeFile writes f with mode 0644, creating parent directories (0755).
func writeFile(f File) error {
	if err := os.MkdirAll(filepath.Dir(f.Path), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", f.Path, permHint(err))
	}
	content := f.Content
	if f.UTF16 {
		content = encodeUTF16(content)
	}
	tmp := f.Path + ".tmp"
	if err := os.WriteFile(tmp, content, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", f.Path, permHint(err))
	}
	if err := os.Chmod(tmp, 0o644); err != nil { // umask may have narrowed it
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", f.Path, err)
	}
	if err := os.Rename(tmp, f.Path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", f.Path, err)
	}
	return nil
}

func permHint(err error) error {
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("%w (system units need root: run with sudo)", err)
	}
	return err
}

// encodeUTF16 converts UTF-8 text (with \n line ends) to UTF-16LE with a BOM
// and CRLF line ends.
func encodeUTF16(b []byte) []byte {
	s := strings.ReplaceAll(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n", "\r\n")
	u := utf16.Encode([]rune(s))
	out := make([]byte, 2, 2+2*len(u))
	out[0], out[1] = 0xFF, 0xFE
	for _, c := range u {
		out = append(out, byte(c), byte(c>>8))
	}
	return out
}

// Install writes the service definition and, when the supervisor is reachable,
// loads, enables and starts it; otherwise it prints the path and the commands
// to run by hand. Re-installing replaces the definition and restarts a running
// service so the new one takes effect.
func Install(ctx context.Context, o Options) (*Definition, error) {
	d, err := Define(o)
	if err != nil {
		return nil, err
	}
	ok, why := o.available(ctx)
	wasActive := false
	if ok && (d.Kind == SystemdUser || d.Kind == SystemdSystem) {
		_, err := o.run(ctx, o.systemctl("is-active", "--quiet", d.Name))
		wasActive = err == nil
	}
	if d.Kind == Launchd {
		stdout, _ := o.LaunchdLogPaths()
		if err := os.MkdirAll(filepath.Dir(stdout), 0o700); err != nil {
			return nil, fmt.Errorf("log directory: %w", err)
		}
	}
	if d.Script != nil {
		if err := writeFile(*d.Script); err != nil {
			return nil, err
		}
	}
	if err := writeFile(d.Unit); err != nil {
		return nil, err
	}
	o.printf("wrote %s\n", d.Unit.Path)
	if d.Script != nil {
		o.printf("wrote %s\n", d.Script.Path)
	}
	if !ok {
		o.printf("%s is not available here (%s); to enable and start the service, run:\n", o.managerName(), why)
		cmds := o.installCommands()
		if d.Kind == SystemdUser {
			cmds = append(cmds, []string{"loginctl", "enable-linger", o.userName()})
		}
		o.printCommands(cmds)
		return d, nil
	}
	if d.Kind == Launchd {
		// Unload an older version first; not loaded is fine.
		_, _ = o.run(ctx, []string{"launchctl", "bootout", o.launchdTarget()})
	}
	for _, c := range o.installCommands() {
		if _, err := o.run(ctx, c); err != nil {
			return d, fmt.Errorf("enable service: %w", err)
		}
	}
	if wasActive {
		if _, err := o.run(ctx, o.systemctl("restart", d.Name)); err != nil {
			return d, fmt.Errorf("restart service: %w", err)
		}
	}
	o.printf("enabled and started %s (%s)\n", d.Name, o.managerName())
	switch d.Kind {
	case SystemdUser:
		o.printf("status: systemctl --user status %s\nlogs:   journalctl --user -u %s -f\n", d.Name, d.Name)
		if out, err := o.run(ctx, []string{"loginctl", "show-user", o.userName(), "--property=Linger"}); err != nil || strings.TrimSpace(string(out)) != "Linger=yes" {
			o.printf("to keep it running while you are logged out, run:\n  %s\n", CommandLine([]string{"loginctl", "enable-linger", o.userName()}))
		}
	case SystemdSystem:
		o.printf("status: systemctl status %s\nlogs:   journalctl -u %s -f\n", d.Name, d.Name)
	case Launchd:
		stdout, stderr := o.LaunchdLogPaths()
		o.printf("status: launchctl print %s\nlogs:   %s, %s\n", o.launchdTarget(), stdout, stderr)
	}
	return d, nil
}

// userName is the user for loginctl: o.User, else $USER.
func (o *Options) userName() string {
	if o.User != "" {
		return o.User
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "$USER"
}

// Uninstall stops and disables the service and removes its definition. A
// service that is not installed is reported, not an error. Without a
// reachable supervisor the files are still removed and the commands that
// would unload it are printed.
func Uninstall(ctx context.Context, o Options) error {
	if err := o.validate(false); err != nil {
		return err
	}
	unit := o.UnitPath()
	_, statErr := os.Stat(unit)
	installed := statErr == nil
	ok, why := o.available(ctx)
	var unload [][]string
	switch o.kind() {
	case Launchd:
		unload = [][]string{{"launchctl", "bootout", o.launchdTarget()}}
	case Schtasks:
		unload = [][]string{{"schtasks", "/End", "/TN", o.Name()}, {"schtasks", "/Delete", "/F", "/TN", o.Name()}}
	default:
		unload = [][]string{o.systemctl("disable", "--now", o.Name())}
	}
	if ok {
		for i, c := range unload {
			_, err := o.run(ctx, c)
			// Ending a task that is not running, or unloading what isn't loaded,
			// is fine; failing to disable an installed service is not.
			last := i == len(unload)-1
			if err != nil && installed && last && o.kind() != Launchd {
				return fmt.Errorf("disable service: %w", err)
			}
		}
	}
	removed := false
	files := []string{unit}
	if o.kind() == Schtasks {
		files = append(files, o.join(o.StateDir, o.fileBase()+".cmd"))
	}
	for _, f := range files {
		err := os.Remove(f)
		switch {
		case err == nil:
			removed = true
			o.printf("removed %s\n", f)
		case !errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("remove %s: %w", f, permHint(err))
		}
	}
	if ok && (o.kind() == SystemdUser || o.kind() == SystemdSystem) {
		if _, err := o.run(ctx, o.systemctl("daemon-reload")); err != nil {
			return fmt.Errorf("daemon-reload: %w", err)
		}
	}
	switch {
	case !ok && removed:
		o.printf("%s is not available here (%s); if the service is still loaded, run:\n", o.managerName(), why)
		o.printCommands(unload)
	case !ok:
		return fmt.Errorf("%w: %s (%s); nothing to remove at %s", ErrNoServiceManager, o.managerName(), why, unit)
	case !removed && !installed:
		o.printf("%s was not installed (no %s)\n", o.Name(), unit)
	default:
		o.printf("uninstalled %s\n", o.Name())
	}
	return nil
}

// Stop stops the running service through the supervisor (it stays installed;
// on macOS it is unloaded until the next Restart or login).
func Stop(ctx context.Context, o Options) error {
	if err := o.validate(false); err != nil {
		return err
	}
	if err := o.requireManager(ctx); err != nil {
		return err
	}
	if err := o.requireInstalled(); err != nil {
		return err
	}
	var cmd []string
	switch o.kind() {
	case Launchd:
		cmd = []string{"launchctl", "bootout", o.launchdTarget()}
	case Schtasks:
		cmd = []string{"schtasks", "/End", "/TN", o.Name()}
	default:
		cmd = o.systemctl("stop", o.Name())
	}
	if _, err := o.run(ctx, cmd); err != nil {
		return fmt.Errorf("stop service: %w", err)
	}
	o.printf("stopped %s\n", o.Name())
	return nil
}

// Restart restarts the service through the supervisor, starting it if it was
// stopped.
func Restart(ctx context.Context, o Options) error {
	if err := o.validate(false); err != nil {
		return err
	}
	if err := o.requireManager(ctx); err != nil {
		return err
	}
	if err := o.requireInstalled(); err != nil {
		return err
	}
	switch o.kind() {
	case Launchd:
		if _, err := o.run(ctx, []string{"launchctl", "print", o.launchdTarget()}); err != nil {
			// Not loaded (e.g. after Stop): load it again.
			if _, err := o.run(ctx, []string{"launchctl", "bootstrap", o.launchdDomain(), o.UnitPath()}); err != nil {
				return fmt.Errorf("restart service: %w", err)
			}
		}
		if _, err := o.run(ctx, []string{"launchctl", "kickstart", "-k", o.launchdTarget()}); err != nil {
			return fmt.Errorf("restart service: %w", err)
		}
	case Schtasks:
		_, _ = o.run(ctx, []string{"schtasks", "/End", "/TN", o.Name()}) // not running is fine
		if _, err := o.run(ctx, []string{"schtasks", "/Run", "/TN", o.Name()}); err != nil {
			return fmt.Errorf("restart service: %w", err)
		}
	default:
		if _, err := o.run(ctx, o.systemctl("restart", o.Name())); err != nil {
			return fmt.Errorf("restart service: %w", err)
		}
	}
	o.printf("restarted %s\n", o.Name())
	return nil
}

// Installed reports whether the definition file exists.
func Installed(o Options) bool {
	_, err := os.Stat(o.UnitPath())
	return err == nil
}
