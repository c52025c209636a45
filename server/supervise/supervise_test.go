package supervise

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"unicode/utf16"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// golden compares got with testdata/<name>.golden (rewriting it with -update).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs (go test -update rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func linuxOpts() Options {
	return Options{GOOS: "linux", Binary: "/usr/local/bin/clawdbot", Port: 18789, Home: "/home/alice", StateDir: "/home/alice/.clawdbot", User: "alice"}
}

func darwinOpts() Options {
	return Options{GOOS: "darwin", Binary: "/opt/homebrew/bin/clawdbot", Port: 18789, Home: "/Users/alice", StateDir: "/Users/alice/.clawdbot", User: "alice", UID: 501}
}

func windowsOpts() Options {
	return Options{GOOS: "windows", Binary: `C:\Program Files\Clawdbot\clawdbot.exe`, Port: 18789, Home: `C:\Users\alice`, StateDir: `C:\Users\alice\.clawdbot`, User: `DESKTOP-1\alice`}
}

func TestDefineGolden(t *testing.T) {
	withEnv := func(o Options, env map[string]string) Options { o.Env = env; return o }
	with := func(o Options, f func(*Options)) Options { f(&o); return o }
	for _, tc := range []struct {
		name     string
		opts     Options
		kind     Kind
		unitName string
		path     string
	}{
		{"systemd-user", linuxOpts(), SystemdUser, "clawdbot-gateway.service", "/home/alice/.config/systemd/user/clawdbot-gateway.service"},
		{"systemd-user-dev-env", with(linuxOpts(), func(o *Options) {
			o.Profile, o.Port, o.Binary = "dev", 19001, "/opt/claw bot/clawdbot"
			o.Env = map[string]string{"CLAWDBOT_STATE_DIR": "/home/alice/state dir", "CLAWDBOT_CONFIG_PATH": "/home/alice/cfg/100%.json"}
		}), SystemdUser, "clawdbot-gateway-dev.service", "/home/alice/.config/systemd/user/clawdbot-gateway-dev.service"},
		{"systemd-user-profile", with(linuxOpts(), func(o *Options) { o.Profile = "work" }), SystemdUser, "clawdbot-gateway-work.service", "/home/alice/.config/systemd/user/clawdbot-gateway-work.service"},
		{"systemd-system", with(linuxOpts(), func(o *Options) { o.System = true }), SystemdSystem, "clawdbot-gateway.service", "/etc/systemd/system/clawdbot-gateway.service"},
		{"systemd-system-env", with(withEnv(linuxOpts(), map[string]string{"CLAWDBOT_STATE_DIR": "/srv/clawdbot"}), func(o *Options) { o.System = true }), SystemdSystem, "clawdbot-gateway.service", "/etc/systemd/system/clawdbot-gateway.service"},
		{"launchd", darwinOpts(), Launchd, "com.clawdbot.gateway", "/Users/alice/Library/LaunchAgents/com.clawdbot.gateway.plist"},
		{"launchd-dev-env", with(withEnv(darwinOpts(), map[string]string{"CLAWDBOT_CONFIG_PATH": "/Users/alice/R&D <cfg>.json", "CLAWDBOT_STATE_DIR": "/Users/alice/.clawdbot-dev"}), func(o *Options) {
			o.Profile, o.Port, o.StateDir = "dev", 19001, "/Users/alice/.clawdbot-dev"
		}), Launchd, "com.clawdbot.gateway.dev", "/Users/alice/Library/LaunchAgents/com.clawdbot.gateway.dev.plist"},
		{"windows-task", windowsOpts(), Schtasks, "Clawdbot Gateway", `C:\Users\alice\.clawdbot\clawdbot-gateway.xml`},
		{"windows-task-dev-env", with(withEnv(windowsOpts(), map[string]string{"CLAWDBOT_STATE_DIR": `C:\Users\alice\.clawdbot-dev`, "CLAWDBOT_CONFIG_PATH": `D:\cfg\100%.json`}), func(o *Options) {
			o.Profile, o.Port, o.StateDir = "dev", 19001, `C:\Users\alice\.clawdbot-dev`
		}), Schtasks, "Clawdbot Gateway (dev)", `C:\Users\alice\.clawdbot-dev\clawdbot-gateway-dev.xml`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Define(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if d.Kind != tc.kind || d.Name != tc.unitName || d.Unit.Path != tc.path {
				t.Fatalf("kind %s name %q path %q; want %s %q %q", d.Kind, d.Name, d.Unit.Path, tc.kind, tc.unitName, tc.path)
			}
			golden(t, tc.name, d.Unit.Content)
			if (d.Script != nil) != (tc.kind == Schtasks && len(tc.opts.Env) > 0) {
				t.Fatalf("script = %v", d.Script)
			}
			if d.Script != nil {
				golden(t, tc.name+".cmd", d.Script.Content)
			}
		})
	}
}

func TestDefineRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func(*Options)
		want string
	}{
		{"relative binary", func(o *Options) { o.Binary = "clawdbot" }, "must be absolute"},
		{"port 0", func(o *Options) { o.Port = 0 }, "invalid port 0"},
		{"port too big", func(o *Options) { o.Port = 70000 }, "invalid port"},
		{"bad profile", func(o *Options) { o.Profile = "../x" }, "invalid profile"},
		{"system on darwin", func(o *Options) { o.GOOS, o.System = "darwin", true }, "only supported with systemd"},
		{"system without user", func(o *Options) { o.System, o.User = true, "" }, "needs the user"},
		{"no home", func(o *Options) { o.Home = "" }, "home directory unknown"},
		{"env newline", func(o *Options) { o.Env = map[string]string{"A": "x\ny"} }, "line break"},
		{"env bad name", func(o *Options) { o.Env = map[string]string{"A B": "x"} }, "invalid environment variable name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := linuxOpts()
			tc.f(&o)
			if _, err := Define(o); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestQuoting(t *testing.T) {
	for _, tc := range []struct{ in, exec, win string }{
		{"plain", "plain", "plain"},
		{"a b", `"a b"`, `"a b"`},
		{`a"b`, `"a\"b"`, `"a\"b"`},
		{`C:\x y\`, `"C:\\x y\\"`, `"C:\x y\\"`},
		{"50%", "50%%", "50%"},
		{"$HOME", "$$HOME", "$HOME"},
		{"", `""`, `""`},
	} {
		if got := systemdExecQuote(tc.in); got != tc.exec {
			t.Errorf("systemdExecQuote(%q) = %s, want %s", tc.in, got, tc.exec)
		}
		if got := windowsQuote(tc.in); got != tc.win {
			t.Errorf("windowsQuote(%q) = %s, want %s", tc.in, got, tc.win)
		}
	}
	if got := CommandLine([]string{"loginctl", "enable-linger", "alice"}); got != "loginctl enable-linger alice" {
		t.Errorf("CommandLine = %s", got)
	}
	if got := CommandLine([]string{"launchctl", "bootstrap", "gui/501", "/Users/a b/x.plist"}); got != "launchctl bootstrap gui/501 '/Users/a b/x.plist'" {
		t.Errorf("CommandLine = %s", got)
	}
}

// fakeRunner records command lines instead of running them.
type fakeRunner struct {
	onPath map[string]bool
	// fail maps a command line (as CommandLine formats it) to its error output.
	fail map[string]string
	out  map[string]string
	ran  []string
}

func (f *fakeRunner) LookPath(name string) (string, error) {
	if f.onPath[name] {
		return "/usr/bin/" + name, nil
	}
	return "", fmt.Errorf("exec: %q: executable file not found in $PATH", name)
}

func (f *fakeRunner) Run(_ context.Context, name string, args ...string) ([]byte, error) {
	line := CommandLine(append([]string{name}, args...))
	f.ran = append(f.ran, line)
	if msg, ok := f.fail[line]; ok {
		return []byte(msg), fmt.Errorf("%s: exit status 1: %s", line, msg)
	}
	return []byte(f.out[line]), nil
}

func onPath(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

// tempOpts points o's home/state/system dirs into a temp dir.
func tempOpts(t *testing.T, o Options, r *fakeRunner) (Options, *bytes.Buffer) {
	t.Helper()
	dir := t.TempDir()
	o.Home = filepath.Join(dir, "home")
	o.StateDir = filepath.Join(o.Home, ".clawdbot")
	o.SystemUnitDir = filepath.Join(dir, "etc", "systemd", "system")
	o.Runner = r
	out := &bytes.Buffer{}
	o.Out = out
	return o, out
}

func checkRan(t *testing.T, r *fakeRunner, want ...string) {
	t.Helper()
	if !reflect.DeepEqual(r.ran, want) {
		t.Fatalf("ran:\n  %s\nwant:\n  %s", strings.Join(r.ran, "\n  "), strings.Join(want, "\n  "))
	}
	r.ran = nil
}

func checkFile(t *testing.T, path string, want []byte) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Fatalf("%s mode %v, want 0644", path, st.Mode().Perm())
	}
	got, _ := os.ReadFile(path)
	if !bytes.Equal(got, want) {
		t.Fatalf("%s:\n%s\nwant:\n%s", path, got, want)
	}
}

func TestSystemdUserLifecycle(t *testing.T) {
	ctx := context.Background()
	r := &fakeRunner{onPath: onPath("systemctl", "loginctl"),
		fail: map[string]string{"systemctl --user is-active --quiet clawdbot-gateway.service": "inactive"}}
	o, out := tempOpts(t, linuxOpts(), r)
	d, err := Install(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	unit := filepath.Join(o.Home, ".config/systemd/user/clawdbot-gateway.service")
	if d.Unit.Path != unit {
		t.Fatalf("path %s", d.Unit.Path)
	}
	checkFile(t, unit, d.Unit.Content)
	checkRan(t, r,
		"systemctl --user show-environment",
		"systemctl --user is-active --quiet clawdbot-gateway.service",
		"systemctl --user daemon-reload",
		"systemctl --user enable --now clawdbot-gateway.service",
		"loginctl show-user alice --property=Linger",
	)
	for _, want := range []string{"wrote " + unit, "enabled and started clawdbot-gateway.service", "loginctl enable-linger alice"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("output lacks %q:\n%s", want, out)
		}
	}

	// Reinstalling over a running service restarts it; linger already on → no hint.
	r.fail = nil
	r.out = map[string]string{"loginctl show-user alice --property=Linger": "Linger=yes\n"}
	out.Reset()
	if _, err := Install(ctx, o); err != nil {
		t.Fatal(err)
	}
	checkRan(t, r,
		"systemctl --user show-environment",
		"systemctl --user is-active --quiet clawdbot-gateway.service",
		"systemctl --user daemon-reload",
		"systemctl --user enable --now clawdbot-gateway.service",
		"systemctl --user restart clawdbot-gateway.service",
		"loginctl show-user alice --property=Linger",
	)
	if strings.Contains(out.String(), "enable-linger") {
		t.Fatalf("linger hint although linger is on:\n%s", out)
	}

	if err := Stop(ctx, o); err != nil {
		t.Fatal(err)
	}
	checkRan(t, r, "systemctl --user show-environment", "systemctl --user stop clawdbot-gateway.service")
	if err := Restart(ctx, o); err != nil {
		t.Fatal(err)
	}
	checkRan(t, r, "systemctl --user show-environment", "systemctl --user restart clawdbot-gateway.service")
	if err := Uninstall(ctx, o); err != nil {
		t.Fatal(err)
	}
	checkRan(t, r, "systemctl --user show-environment", "systemctl --user disable --now clawdbot-gateway.service", "systemctl --user daemon-reload")
	if _, err := os.Stat(unit); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("unit still there: %v", err)
	}
	// Uninstalling again is not an error.
	out.Reset()
	r.fail = map[string]string{"systemctl --user disable --now clawdbot-gateway.service": "Unit file clawdbot-gateway.service does not exist."}
	if err := Uninstall(ctx, o); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "was not installed") {
		t.Fatalf("output: %s", out)
	}
	// Stop/Restart of a service that isn't installed.
	r.fail = nil
	if err := Stop(ctx, o); !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("Stop err = %v", err)
	}
}

func TestSystemdUnavailablePrintsCommands(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		runner *fakeRunner
		reason string
	}{
		{"no systemctl", &fakeRunner{}, "systemctl not found on PATH"},
		{"no user bus", &fakeRunner{onPath: onPath("systemctl"), fail: map[string]string{
			"systemctl --user show-environment": "Failed to connect to bus: No medium found\n"}},
			"systemctl --user is not reachable: Failed to connect to bus: No medium found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, out := tempOpts(t, linuxOpts(), tc.runner)
			d, err := Install(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			checkFile(t, d.Unit.Path, d.Unit.Content)
			want := "wrote " + d.Unit.Path + "\n" +
				"systemd (user) is not available here (" + tc.reason + "); to enable and start the service, run:\n" +
				"  systemctl --user daemon-reload\n" +
				"  systemctl --user enable --now clawdbot-gateway.service\n" +
				"  loginctl enable-linger alice\n"
			if out.String() != want {
				t.Fatalf("output:\n%s\nwant:\n%s", out, want)
			}
			for _, f := range []func(context.Context, Options) error{Stop, Restart} {
				err := f(ctx, o)
				if !errors.Is(err, ErrNoServiceManager) || !strings.HasPrefix(err.Error(), "no service manager found: systemd (user) ("+tc.reason) {
					t.Fatalf("err = %v", err)
				}
			}
			// Uninstall still removes the file and says what to run.
			out.Reset()
			if err := Uninstall(ctx, o); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "removed "+d.Unit.Path) || !strings.Contains(out.String(), "systemctl --user disable --now clawdbot-gateway.service") {
				t.Fatalf("output: %s", out)
			}
			if err := Uninstall(ctx, o); !errors.Is(err, ErrNoServiceManager) {
				t.Fatalf("second uninstall err = %v", err)
			}
		})
	}
}

func TestSystemdSystemInstall(t *testing.T) {
	ctx := context.Background()
	r := &fakeRunner{onPath: onPath("systemctl"), fail: map[string]string{"systemctl is-active --quiet clawdbot-gateway.service": "inactive"}}
	o, out := tempOpts(t, linuxOpts(), r)
	o.System = true
	d, err := Install(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if d.Unit.Path != filepath.Join(o.SystemUnitDir, "clawdbot-gateway.service") {
		t.Fatalf("path %s", d.Unit.Path)
	}
	checkFile(t, d.Unit.Path, d.Unit.Content)
	if !bytes.Contains(d.Unit.Content, []byte("User=alice\n")) || !bytes.Contains(d.Unit.Content, []byte("WantedBy=multi-user.target\n")) {
		t.Fatalf("unit:\n%s", d.Unit.Content)
	}
	checkRan(t, r,
		"systemctl show-environment",
		"systemctl is-active --quiet clawdbot-gateway.service",
		"systemctl daemon-reload",
		"systemctl enable --now clawdbot-gateway.service",
	)
	if strings.Contains(out.String(), "linger") {
		t.Fatalf("system units need no linger:\n%s", out)
	}
	if err := Restart(ctx, o); err != nil {
		t.Fatal(err)
	}
	checkRan(t, r, "systemctl show-environment", "systemctl restart clawdbot-gateway.service")
}

func TestSystemUnitPermissionDenied(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root can write anywhere")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	o := linuxOpts()
	o.GOOS, o.System, o.SystemUnitDir, o.Runner = runtime.GOOS, true, dir, &fakeRunner{}
	if runtime.GOOS != "linux" {
		t.Skip("systemd only")
	}
	_, err := Install(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), "run with sudo") {
		t.Fatalf("err = %v", err)
	}
}

func TestLaunchdLifecycle(t *testing.T) {
	ctx := context.Background()
	r := &fakeRunner{onPath: onPath("launchctl")}
	o, out := tempOpts(t, darwinOpts(), r)
	d, err := Install(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	plist := filepath.Join(o.Home, "Library/LaunchAgents/com.clawdbot.gateway.plist")
	checkFile(t, plist, d.Unit.Content)
	if st, err := os.Stat(filepath.Join(o.StateDir, "logs")); err != nil || !st.IsDir() {
		t.Fatalf("logs dir: %v", err)
	}
	checkRan(t, r,
		"launchctl bootout gui/501/com.clawdbot.gateway",
		"launchctl enable gui/501/com.clawdbot.gateway",
		"launchctl bootstrap gui/501 "+plist,
		"launchctl kickstart -k gui/501/com.clawdbot.gateway",
	)
	if !strings.Contains(out.String(), "enabled and started com.clawdbot.gateway (launchd)") {
		t.Fatalf("output: %s", out)
	}
	if err := Stop(ctx, o); err != nil {
		t.Fatal(err)
	}
	checkRan(t, r, "launchctl bootout gui/501/com.clawdbot.gateway")
	// Restart after a stop: not loaded → bootstrap, then kickstart.
	r.fail = map[string]string{"launchctl print gui/501/com.clawdbot.gateway": "Could not find service"}
	if err := Restart(ctx, o); err != nil {
		t.Fatal(err)
	}
	checkRan(t, r, "launchctl print gui/501/com.clawdbot.gateway", "launchctl bootstrap gui/501 "+plist, "launchctl kickstart -k gui/501/com.clawdbot.gateway")
	r.fail = nil
	if err := Restart(ctx, o); err != nil {
		t.Fatal(err)
	}
	checkRan(t, r, "launchctl print gui/501/com.clawdbot.gateway", "launchctl kickstart -k gui/501/com.clawdbot.gateway")
	if err := Uninstall(ctx, o); err != nil {
		t.Fatal(err)
	}
	checkRan(t, r, "launchctl bootout gui/501/com.clawdbot.gateway")
	if Installed(o) {
		t.Fatal("plist still there")
	}

	// Without launchctl: the plist and the commands.
	r2 := &fakeRunner{}
	o.Runner = r2
	out.Reset()
	if _, err := Install(ctx, o); err != nil {
		t.Fatal(err)
	}
	want := "wrote " + plist + "\nlaunchd is not available here (launchctl not found on PATH); to enable and start the service, run:\n" +
		"  launchctl enable gui/501/com.clawdbot.gateway\n  launchctl bootstrap gui/501 " + plist + "\n  launchctl kickstart -k gui/501/com.clawdbot.gateway\n"
	if out.String() != want {
		t.Fatalf("output:\n%s\nwant:\n%s", out, want)
	}
	if err := Stop(ctx, o); err == nil || err.Error() != "no service manager found: launchd (launchctl not found on PATH)" {
		t.Fatalf("err = %v", err)
	}
}

func decodeUTF16(t *testing.T, b []byte) string {
	t.Helper()
	if len(b) < 2 || b[0] != 0xFF || b[1] != 0xFE || len(b)%2 != 0 {
		t.Fatalf("not UTF-16LE with BOM: % x", b[:min(len(b), 8)])
	}
	u := make([]uint16, 0, len(b)/2-1)
	for i := 2; i < len(b); i += 2 {
		u = append(u, uint16(b[i])|uint16(b[i+1])<<8)
	}
	return string(utf16.Decode(u))
}

func TestSchtasksLifecycle(t *testing.T) {
	ctx := context.Background()
	r := &fakeRunner{onPath: onPath("schtasks")}
	o, out := tempOpts(t, windowsOpts(), r)
	o.Env = map[string]string{"CLAWDBOT_STATE_DIR": o.StateDir}
	d, err := Install(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	xmlPath := filepath.Join(o.StateDir, "clawdbot-gateway.xml")
	cmdPath := filepath.Join(o.StateDir, "clawdbot-gateway.cmd")
	if d.Unit.Path != xmlPath || d.Script == nil || d.Script.Path != cmdPath {
		t.Fatalf("paths %s %v", d.Unit.Path, d.Script)
	}
	raw, err := os.ReadFile(xmlPath)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := decodeUTF16(t, raw), strings.ReplaceAll(string(d.Unit.Content), "\n", "\r\n"); got != want {
		t.Fatalf("task xml:\n%s\nwant:\n%s", got, want)
	}
	if !strings.Contains(string(d.Unit.Content), "<Command>"+cmdPath+"</Command>") {
		t.Fatalf("task does not run the wrapper:\n%s", d.Unit.Content)
	}
	checkFile(t, cmdPath, d.Script.Content)
	checkRan(t, r,
		"schtasks /Create /F /TN 'Clawdbot Gateway' /XML "+xmlPath,
		"schtasks /Run /TN 'Clawdbot Gateway'",
	)
	if !strings.Contains(out.String(), "enabled and started Clawdbot Gateway (Task Scheduler)") {
		t.Fatalf("output: %s", out)
	}
	if err := Stop(ctx, o); err != nil {
		t.Fatal(err)
	}
	checkRan(t, r, "schtasks /End /TN 'Clawdbot Gateway'")
	r.fail = map[string]string{"schtasks /End /TN 'Clawdbot Gateway'": "ERROR: The task is not running."}
	if err := Restart(ctx, o); err != nil {
		t.Fatal(err)
	}
	checkRan(t, r, "schtasks /End /TN 'Clawdbot Gateway'", "schtasks /Run /TN 'Clawdbot Gateway'")
	if err := Uninstall(ctx, o); err != nil {
		t.Fatal(err)
	}
	checkRan(t, r, "schtasks /End /TN 'Clawdbot Gateway'", "schtasks /Delete /F /TN 'Clawdbot Gateway'")
	for _, p := range []string{xmlPath, cmdPath} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s still there", p)
		}
	}

	// Without schtasks: the Windows command lines to run.
	o.Runner, o.Env = &fakeRunner{}, nil
	out.Reset()
	if _, err := Install(ctx, o); err != nil {
		t.Fatal(err)
	}
	want := "wrote " + xmlPath + "\nTask Scheduler is not available here (schtasks not found on PATH); to enable and start the service, run:\n" +
		`  schtasks /Create /F /TN "Clawdbot Gateway" /XML ` + xmlPath + "\n" +
		`  schtasks /Run /TN "Clawdbot Gateway"` + "\n"
	if out.String() != want {
		t.Fatalf("output:\n%s\nwant:\n%s", out, want)
	}
}

func TestExecRunner(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses sh")
	}
	out, err := ExecRunner{}.Run(context.Background(), "sh", "-c", "echo boom; exit 3")
	if err == nil || string(out) != "boom\n" || !strings.Contains(err.Error(), "sh -c 'echo boom; exit 3': exit status 3: boom") {
		t.Fatalf("out %q err %v", out, err)
	}
	if _, err := (ExecRunner{}).LookPath("definitely-not-a-command-xyz"); err == nil {
		t.Fatal("LookPath found a missing command")
	}
}
