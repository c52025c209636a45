package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/config"
)

// isolatedEnv is the process environment without any clawdbot settings and
// with HOME (and nothing else that could point outside it) set to home.
func isolatedEnv(home string, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "CLAWDBOT_") || strings.HasPrefix(k, "CLAWDIS_") || k == "HOME" || k == "XDG_CONFIG_HOME" {
			continue
		}
		env = append(env, kv)
	}
	return append(append(env, "HOME="+home), extra...)
}

// runCLI runs the built binary and returns its combined output and exit code.
func runCLI(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &ee):
		return string(out), ee.ExitCode()
	default:
		t.Fatalf("run %v: %v", args, err)
		return "", -1
	}
}

func checkMode(t *testing.T, path string, want os.FileMode, dir bool) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.IsDir() != dir || st.Mode().Perm() != want {
		t.Fatalf("%s: dir=%v mode=%v, want dir=%v mode=%v", path, st.IsDir(), st.Mode().Perm(), dir, want)
	}
}

func checkAbsent(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s exists (err %v); profiles must not touch each other's files", p, err)
		}
	}
}

func TestStarterConfigIsValid(t *testing.T) {
	f, err := config.ParseWith("clawdbot.json", []byte(fmt.Sprintf(starterConfig, "/home/u/clawd")), config.MapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Migrated) > 0 || len(f.Unimplemented) > 0 {
		t.Fatalf("starter config is not plain current shape: migrated %v, unimplemented %v", f.Migrated, f.Unimplemented)
	}
	if a, err := config.ResolveAgent(&f.Config, "/home/u"); err != nil || a.Workspace != "/home/u/clawd" {
		t.Fatalf("workspace = %+v, %v", a, err)
	}
	if err := config.ModeGuard(f, false); err != nil {
		t.Fatalf("starter config does not allow the gateway to start: %v", err)
	}
}

func TestSetupCreatesAndIsIdempotent(t *testing.T) {
	home := t.TempDir()
	env := isolatedEnv(home)
	out, code := runCLI(t, env, "setup")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	state, cfg, ws := filepath.Join(home, ".clawdbot"), filepath.Join(home, ".clawdbot", "clawdbot.json"), filepath.Join(home, "clawd")
	for _, want := range []string{"created state dir " + state, "wrote config " + cfg, "created workspace " + ws, "next: clawdbot gateway"} {
		if !strings.Contains(out, want) {
			t.Fatalf("output lacks %q:\n%s", want, out)
		}
	}
	checkMode(t, state, 0o700, true)
	checkMode(t, cfg, 0o600, false)
	checkMode(t, ws, 0o755, true)
	raw, _ := os.ReadFile(cfg)
	if string(raw) != fmt.Sprintf(starterConfig, ws) {
		t.Fatalf("config:\n%s", raw)
	}
	for _, name := range append([]string{config.FirstRunFile}, config.BootstrapFiles...) {
		if b, err := os.ReadFile(filepath.Join(ws, name)); err != nil || len(b) == 0 {
			t.Fatalf("workspace file %s: %v", name, err)
		}
	}
	checkAbsent(t, filepath.Join(home, ".clawdbot-dev"), filepath.Join(home, "clawd-dev"))

	// A second run leaves everything, including a config the user edited.
	edited := "{ gateway: { mode: \"local\", port: 18800 } }\n"
	if err := os.WriteFile(cfg, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code = runCLI(t, env, "setup")
	if code != 0 {
		t.Fatalf("second run: exit %d: %s", code, out)
	}
	for _, want := range []string{"state dir " + state + " already exists", "config " + cfg + " already exists; left unchanged", "workspace " + ws + " already exists"} {
		if !strings.Contains(out, want) {
			t.Fatalf("second run output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "created") || strings.Contains(out, "wrote") {
		t.Fatalf("second run changed something:\n%s", out)
	}
	if raw, _ := os.ReadFile(cfg); string(raw) != edited {
		t.Fatalf("config rewritten:\n%s", raw)
	}
	checkMode(t, cfg, 0o600, false)
}

func TestSetupKeepsExistingConfigAndSaysWhy(t *testing.T) {
	home := t.TempDir()
	cfg := filepath.Join(home, ".clawdbot", "clawdbot.json")
	if err := os.MkdirAll(filepath.Dir(cfg), 0o700); err != nil {
		t.Fatal(err)
	}
	remote := `{ gateway: { mode: "remote" } }`
	if err := os.WriteFile(cfg, []byte(remote), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := runCLI(t, isolatedEnv(home), "setup")
	if code != 0 || !strings.Contains(out, "left unchanged") || !strings.Contains(out, "set gateway.mode=local") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if raw, _ := os.ReadFile(cfg); string(raw) != remote {
		t.Fatalf("config changed: %s", raw)
	}
}

func TestSetupDevIsolation(t *testing.T) {
	home := t.TempDir()
	env := isolatedEnv(home)
	out, code := runCLI(t, env, "--dev", "setup")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	devState := filepath.Join(home, ".clawdbot-dev")
	checkMode(t, devState, 0o700, true)
	checkMode(t, filepath.Join(devState, "clawdbot.json"), 0o600, false)
	checkMode(t, filepath.Join(home, "clawd-dev"), 0o755, true)
	checkAbsent(t, filepath.Join(home, ".clawdbot"), filepath.Join(home, "clawd"))
	if !strings.Contains(out, "next: clawdbot --dev gateway") {
		t.Fatalf("output:\n%s", out)
	}

	// The default and a named profile get their own trees next to it.
	if out, code := runCLI(t, env, "setup"); code != 0 {
		t.Fatalf("default setup: %d %s", code, out)
	}
	if out, code := runCLI(t, env, "--profile", "work", "setup"); code != 0 {
		t.Fatalf("profile setup: %d %s", code, out)
	}
	for _, p := range []string{".clawdbot/clawdbot.json", ".clawdbot-work/clawdbot.json", "clawd", "clawd-work", ".clawdbot-dev/clawdbot.json"} {
		if _, err := os.Stat(filepath.Join(home, p)); err != nil {
			t.Fatal(err)
		}
	}

	// --dev setup makes `--dev gateway` startable on the dev port family without
	// --allow-unconfigured (ports come from the profile, not a flag, except that
	// the test needs a free one).
	port := freePort(t)
	cmd := exec.Command(binary, "--dev", "gateway", "--port", fmt.Sprint(port))
	cmd.Env = env
	buf := &syncBuf{}
	cmd.Stdout, cmd.Stderr = buf, buf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("dev gateway did not start after --dev setup:\n%s", buf)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := os.Stat(filepath.Join(devState, "logs")); err != nil {
		t.Fatalf("dev gateway did not use the dev state dir: %v", err)
	}
	checkAbsent(t, filepath.Join(home, ".clawdbot", "logs"))
}

func TestSetupHonoursStateDirEnv(t *testing.T) {
	home := t.TempDir()
	state := filepath.Join(home, "custom", "state")
	out, code := runCLI(t, isolatedEnv(home, "CLAWDBOT_STATE_DIR="+state), "setup")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	checkMode(t, state, 0o700, true)
	checkMode(t, filepath.Join(state, "clawdbot.json"), 0o600, false)
	checkAbsent(t, filepath.Join(home, ".clawdbot"))
}

func TestSetupRejectsDevWithProfile(t *testing.T) {
	home := t.TempDir()
	out, code := runCLI(t, isolatedEnv(home), "--dev", "--profile", "x", "setup")
	if code != 2 || !strings.Contains(out, "--dev and --profile cannot be combined") {
		t.Fatalf("exit %d: %s", code, out)
	}
	checkAbsent(t, filepath.Join(home, ".clawdbot-dev"), filepath.Join(home, ".clawdbot-x"))
}

func TestCompletion(t *testing.T) {
	home := t.TempDir()
	env := isolatedEnv(home)
	for shell, marker := range map[string]string{
		"bash":       "bash completion V2 for clawdbot",
		"zsh":        "#compdef clawdbot",
		"fish":       "fish completion for clawdbot",
		"powershell": "powershell completion for clawdbot",
	} {
		out, code := runCLI(t, env, "completion", shell)
		if code != 0 || !strings.Contains(out, marker) {
			t.Fatalf("completion %s: exit %d, output lacks %q:\n%.300s", shell, code, marker, out)
		}
	}
	// The scripts call back into `__complete`; it must list the subcommands.
	out, code := runCLI(t, env, "__complete", "gateway", "ins")
	if code != 0 || !strings.Contains(out, "install") {
		t.Fatalf("__complete: exit %d:\n%s", code, out)
	}
	// An unsupported shell gets cobra's help listing the supported ones.
	if out, _ := runCLI(t, env, "completion", "tcsh"); !strings.Contains(out, "powershell") {
		t.Fatalf("completion tcsh:\n%s", out)
	}
}
