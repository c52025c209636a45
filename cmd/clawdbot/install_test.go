package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/clawgate/gateway/server/supervise"
)

// recRunner records the supervisor's command lines instead of running them.
type recRunner struct {
	onPath map[string]bool
	fail   map[string]bool // command lines that exit non-zero
	ran    []string
}

func (r *recRunner) LookPath(name string) (string, error) {
	if r.onPath[name] {
		return "/usr/bin/" + name, nil
	}
	return "", fmt.Errorf("%s: not found", name)
}

func (r *recRunner) Run(_ context.Context, name string, args ...string) ([]byte, error) {
	line := supervise.CommandLine(append([]string{name}, args...))
	r.ran = append(r.ran, line)
	if r.fail[line] {
		return nil, errors.New(line + ": exit status 1")
	}
	return nil, nil
}

// cliHome gives the in-process CLI a temp HOME and no clawdbot environment.
func cliHome(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, k := range []string{"CLAWDBOT_STATE_DIR", "CLAWDBOT_CONFIG_PATH", "CLAWDIS_STATE_DIR", "CLAWDBOT_PROFILE", "CLAWDBOT_GATEWAY_PORT"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	return home
}

// runRoot runs the real command tree in process with injected service deps.
func runRoot(t *testing.T, deps serviceDeps, args ...string) (string, error) {
	t.Helper()
	root := newRoot()
	root.SetArgs(args)
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	err := root.ExecuteContext(withServiceDeps(context.Background(), deps))
	return out.String(), err
}

func exitCode(err error) int {
	var ee *exitError
	if err == nil {
		return 0
	}
	if errors.As(err, &ee) {
		return ee.code
	}
	return 2
}

func systemdRunner() *recRunner {
	return &recRunner{onPath: map[string]bool{"systemctl": true, "loginctl": true},
		fail: map[string]bool{"systemctl --user is-active --quiet clawdbot-gateway.service": true, "systemctl --user is-active --quiet clawdbot-gateway-dev.service": true}}
}

func linuxDeps(r *recRunner) serviceDeps {
	return serviceDeps{runner: r, goos: "linux", binary: "/usr/local/bin/clawdbot", user: "alice"}
}

func readUnit(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o644 {
		t.Fatalf("%s mode %v", path, st.Mode().Perm())
	}
	return string(b)
}

func TestGatewayInstallUserUnit(t *testing.T) {
	home := cliHome(t)
	if out, err := runRoot(t, serviceDeps{}, "setup"); err != nil {
		t.Fatalf("setup: %v\n%s", err, out)
	}
	r := systemdRunner()
	out, err := runRoot(t, linuxDeps(r), "gateway", "install")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	unit := filepath.Join(home, ".config/systemd/user/clawdbot-gateway.service")
	want, err := os.ReadFile("../../server/supervise/testdata/systemd-user.golden")
	if err != nil {
		t.Fatal(err)
	}
	if got := readUnit(t, unit); got != string(want) {
		t.Fatalf("unit:\n%s\nwant (server/supervise/testdata/systemd-user.golden):\n%s", got, want)
	}
	wantRan := []string{
		"systemctl --user show-environment",
		"systemctl --user is-active --quiet clawdbot-gateway.service",
		"systemctl --user daemon-reload",
		"systemctl --user enable --now clawdbot-gateway.service",
		"loginctl show-user alice --property=Linger",
	}
	if !reflect.DeepEqual(r.ran, wantRan) {
		t.Fatalf("ran %q", r.ran)
	}
	if strings.Contains(out, "warning") || !strings.Contains(out, "enabled and started clawdbot-gateway.service") {
		t.Fatalf("output:\n%s", out)
	}

	for _, tc := range []struct {
		args []string
		ran  []string
	}{
		{[]string{"gateway", "stop"}, []string{"systemctl --user show-environment", "systemctl --user stop clawdbot-gateway.service"}},
		{[]string{"gateway", "restart"}, []string{"systemctl --user show-environment", "systemctl --user restart clawdbot-gateway.service"}},
		{[]string{"gateway", "uninstall"}, []string{"systemctl --user show-environment", "systemctl --user disable --now clawdbot-gateway.service", "systemctl --user daemon-reload"}},
	} {
		r.ran = nil
		if out, err := runRoot(t, linuxDeps(r), tc.args...); err != nil {
			t.Fatalf("%v: %v\n%s", tc.args, err, out)
		}
		if !reflect.DeepEqual(r.ran, tc.ran) {
			t.Fatalf("%v ran %q, want %q", tc.args, r.ran, tc.ran)
		}
	}
	if _, err := os.Stat(unit); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("uninstall left the unit")
	}
	out, err = runRoot(t, linuxDeps(r), "gateway", "stop")
	if exitCode(err) != 1 || !strings.Contains(err.Error(), "not installed") {
		t.Fatalf("stop after uninstall: %v %s", err, out)
	}
}

func TestGatewayInstallPortsAndProfiles(t *testing.T) {
	for _, tc := range []struct {
		name     string
		env      map[string]string
		config   string // written to ~/.clawdbot/clawdbot.json (or the dev one with --dev)
		args     []string
		unit     string
		contains []string
		lacks    []string
	}{
		{"--port flag", nil, "", []string{"gateway", "install", "--port", "20000"}, "clawdbot-gateway.service",
			[]string{"ExecStart=/usr/local/bin/clawdbot gateway --port 20000\n"}, []string{"Environment="}},
		{"gateway.port from config", nil, `{ gateway: { mode: "local", port: 18800 } }`, []string{"gateway", "install"}, "clawdbot-gateway.service",
			[]string{"ExecStart=/usr/local/bin/clawdbot gateway --port 18800\n"}, nil},
		{"env port", map[string]string{"CLAWDBOT_GATEWAY_PORT": "18900"}, "", []string{"gateway", "install"}, "clawdbot-gateway.service",
			[]string{"--port 18900\n"}, nil},
		{"--dev", nil, "", []string{"--dev", "gateway", "install"}, "clawdbot-gateway-dev.service",
			[]string{"Description=Clawdbot Gateway (profile dev)\n", "ExecStart=/usr/local/bin/clawdbot gateway --port 19001 --dev\n"}, []string{"Environment="}},
		{"--profile", nil, "", []string{"--profile", "work", "gateway", "install"}, "clawdbot-gateway-work.service",
			[]string{"ExecStart=/usr/local/bin/clawdbot gateway --port 18789 --profile work\n"}, nil},
		{"state and config env", map[string]string{"CLAWDBOT_STATE_DIR": "~/state", "CLAWDBOT_CONFIG_PATH": "~/cfg/c.json"}, "", []string{"gateway", "install"}, "clawdbot-gateway.service",
			[]string{"Environment=CLAWDBOT_CONFIG_PATH=HOME/cfg/c.json\n", "Environment=CLAWDBOT_STATE_DIR=HOME/state\n"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home := cliHome(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			if tc.config != "" {
				p := filepath.Join(home, ".clawdbot", "clawdbot.json")
				_ = os.MkdirAll(filepath.Dir(p), 0o700)
				if err := os.WriteFile(p, []byte(tc.config), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			out, err := runRoot(t, linuxDeps(systemdRunner()), tc.args...)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			unit := readUnit(t, filepath.Join(home, ".config/systemd/user", tc.unit))
			for _, s := range tc.contains {
				if s = strings.ReplaceAll(s, "HOME", home); !strings.Contains(unit, s) {
					t.Fatalf("unit lacks %q:\n%s", s, unit)
				}
			}
			for _, s := range tc.lacks {
				if strings.Contains(unit, s) {
					t.Fatalf("unit has %q:\n%s", s, unit)
				}
			}
			if tc.config == "" && !strings.Contains(out, "warning: the service will not start yet: Missing config") {
				t.Fatalf("no warning about the missing config:\n%s", out)
			}
		})
	}
}

func TestGatewayInstallSystemUnit(t *testing.T) {
	cliHome(t)
	dir := t.TempDir()
	r := &recRunner{onPath: map[string]bool{"systemctl": true}, fail: map[string]bool{"systemctl is-active --quiet clawdbot-gateway.service": true}}
	deps := linuxDeps(r)
	deps.systemUnitDir = dir
	out, err := runRoot(t, deps, "gateway", "install", "--system")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want, _ := os.ReadFile("../../server/supervise/testdata/systemd-system.golden")
	if got := readUnit(t, filepath.Join(dir, "clawdbot-gateway.service")); got != string(want) {
		t.Fatalf("unit:\n%s\nwant:\n%s", got, want)
	}
	wantRan := []string{"systemctl show-environment", "systemctl is-active --quiet clawdbot-gateway.service", "systemctl daemon-reload", "systemctl enable --now clawdbot-gateway.service"}
	if !reflect.DeepEqual(r.ran, wantRan) {
		t.Fatalf("ran %q", r.ran)
	}
	r.ran = nil
	if out, err := runRoot(t, deps, "gateway", "restart", "--system"); err != nil || !reflect.DeepEqual(r.ran, []string{"systemctl show-environment", "systemctl restart clawdbot-gateway.service"}) {
		t.Fatalf("restart --system: %v %q %s", err, r.ran, out)
	}
}

func TestGatewayInstallWithoutSystemd(t *testing.T) {
	home := cliHome(t)
	r := &recRunner{}
	out, err := runRoot(t, linuxDeps(r), "gateway", "install")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	unit := filepath.Join(home, ".config/systemd/user/clawdbot-gateway.service")
	readUnit(t, unit)
	want := "wrote " + unit + "\n" +
		"systemd (user) is not available here (systemctl not found on PATH); to enable and start the service, run:\n" +
		"  systemctl --user daemon-reload\n" +
		"  systemctl --user enable --now clawdbot-gateway.service\n" +
		"  loginctl enable-linger alice\n"
	if !strings.HasSuffix(out, want) {
		t.Fatalf("output:\n%s\nwant suffix:\n%s", out, want)
	}
	if len(r.ran) != 0 {
		t.Fatalf("ran %q", r.ran)
	}
	for _, verb := range []string{"stop", "restart"} {
		_, err := runRoot(t, linuxDeps(r), "gateway", verb)
		if exitCode(err) != 1 || err.Error() != "no service manager found: systemd (user) (systemctl not found on PATH)" {
			t.Fatalf("%s: %v", verb, err)
		}
	}
	if _, err := runRoot(t, linuxDeps(r), "gateway", "install", "--port", "70000"); exitCode(err) != 2 {
		t.Fatalf("bad port: %v", err)
	}
}

func TestGatewayInstallLaunchd(t *testing.T) {
	home := cliHome(t)
	r := &recRunner{onPath: map[string]bool{"launchctl": true}}
	deps := serviceDeps{runner: r, goos: "darwin", binary: "/opt/homebrew/bin/clawdbot", user: "alice"}
	out, err := runRoot(t, deps, "gateway", "install")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	plist := filepath.Join(home, "Library/LaunchAgents/com.clawdbot.gateway.plist")
	got := readUnit(t, plist)
	for _, s := range []string{"<string>com.clawdbot.gateway</string>", "<string>/opt/homebrew/bin/clawdbot</string>", "<string>" + filepath.Join(home, ".clawdbot/logs/clawdbot-gateway.out.log") + "</string>"} {
		if !strings.Contains(got, s) {
			t.Fatalf("plist lacks %q:\n%s", s, got)
		}
	}
	uid := fmt.Sprint(os.Getuid())
	wantRan := []string{
		"launchctl bootout gui/" + uid + "/com.clawdbot.gateway",
		"launchctl enable gui/" + uid + "/com.clawdbot.gateway",
		"launchctl bootstrap gui/" + uid + " " + plist,
		"launchctl kickstart -k gui/" + uid + "/com.clawdbot.gateway",
	}
	if !reflect.DeepEqual(r.ran, wantRan) {
		t.Fatalf("ran %q", r.ran)
	}
	if _, err := runRoot(t, deps, "gateway", "install", "--system"); exitCode(err) != 1 || !strings.Contains(err.Error(), "only supported with systemd") {
		t.Fatalf("--system on macOS: %v", err)
	}
}

// TestGatewayInstallBinaryNoSystemd runs the real binary with an empty PATH: it
// must write the unit for itself and print the commands, touching no supervisor.
func TestGatewayInstallBinaryNoSystemd(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("systemd units are Linux-only")
	}
	home := t.TempDir()
	emptyBin := t.TempDir()
	env := append(isolatedEnv(home), "PATH="+emptyBin)
	if out, code := runCLI(t, env, "setup"); code != 0 {
		t.Fatalf("setup: %d %s", code, out)
	}
	out, code := runCLI(t, env, "gateway", "install")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	unit := readUnit(t, filepath.Join(home, ".config/systemd/user/clawdbot-gateway.service"))
	self, _ := filepath.EvalSymlinks(binary)
	for _, s := range []string{"ExecStart=" + self + " gateway --port 18789\n", "Restart=always\n", "RestartSec=5\n", "WantedBy=default.target\n"} {
		if !strings.Contains(unit, s) {
			t.Fatalf("unit lacks %q:\n%s", s, unit)
		}
	}
	for _, s := range []string{"systemctl --user daemon-reload", "systemctl --user enable --now clawdbot-gateway.service", "loginctl enable-linger "} {
		if !strings.Contains(out, s) {
			t.Fatalf("output lacks %q:\n%s", s, out)
		}
	}
	out, code = runCLI(t, env, "gateway", "stop")
	if code != 1 || !strings.Contains(out, "no service manager found") {
		t.Fatalf("stop: exit %d: %s", code, out)
	}
}
