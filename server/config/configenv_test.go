package config

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestEnvVars(t *testing.T) {
	f, err := ParseWith("", []byte(`{env: {vars: {A: "from-vars", EMPTY: ""}, B: "top-level", C: "  ", shellEnv: {enabled: true, timeoutMs: 250}}}`), MapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	got := EnvVars(f)
	if len(got) != 2 || got["A"] != "from-vars" || got["B"] != "top-level" {
		t.Fatalf("vars %v", got)
	}
	missing := MissingEnv(MapEnv(map[string]string{"A": "process", "B": " "}), got)
	if len(missing) != 1 || missing["B"] != "top-level" {
		t.Fatalf("missing %v (the process's A wins; blank B is unset)", missing)
	}
	on, timeout := ShellEnvSettings(f, MapEnv(nil))
	if !on || timeout != 250*time.Millisecond {
		t.Fatalf("shellEnv %v %v", on, timeout)
	}
	if on, _ := ShellEnvSettings(f, MapEnv(map[string]string{"CLAWDBOT_DEFER_SHELL_ENV_FALLBACK": "1"})); on {
		t.Fatal("deferred shell env still on")
	}
	off, _ := ParseWith("", []byte(`{}`), MapEnv(nil))
	if on, timeout := ShellEnvSettings(off, MapEnv(map[string]string{"CLAWDBOT_LOAD_SHELL_ENV": "yes", "CLAWDBOT_SHELL_ENV_TIMEOUT_MS": "1200"})); !on || timeout != 1200*time.Millisecond {
		t.Fatalf("env-enabled shell env %v %v", on, timeout)
	}
	if on, timeout := ShellEnvSettings(off, MapEnv(nil)); on || timeout != DefaultShellEnvTimeout {
		t.Fatalf("default %v %v", on, timeout)
	}
}

// fakeShell writes an executable standing in for the login shell.
func fakeShell(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "shell")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestShellEnv(t *testing.T) {
	keys := []string{"OPENAI_API_KEY", "ANTHROPIC_API_KEY", "TELEGRAM_BOT_TOKEN"}
	exports := fakeShell(t, `[ "$1 $2 $3" = "-l -c env -0" ] || exit 3; printf 'OPENAI_API_KEY=sk-shell\0OTHER=x\0ANTHROPIC_API_KEY=\0TELEGRAM_BOT_TOKEN=multi\nline\0'`)
	got, err := ShellEnv(context.Background(), ShellEnvOptions{Env: MapEnv(map[string]string{"SHELL": exports}), Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["OPENAI_API_KEY"] != "sk-shell" || got["TELEGRAM_BOT_TOKEN"] != "multi\nline" {
		t.Fatalf("imported %q", got)
	}
	// Any wanted key already set: the shell is not run.
	got, err = ShellEnv(context.Background(), ShellEnvOptions{Env: MapEnv(map[string]string{"SHELL": exports, "ANTHROPIC_API_KEY": "set"}), Keys: keys})
	if err != nil || got != nil {
		t.Fatalf("with a key set: %v %v", got, err)
	}
	// A shell that hangs is given up on after the timeout.
	slow := fakeShell(t, `sleep 30`)
	start := time.Now()
	_, err = ShellEnv(context.Background(), ShellEnvOptions{Env: MapEnv(map[string]string{"SHELL": slow}), Keys: keys, Timeout: 200 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "did not finish") || time.Since(start) > 10*time.Second {
		t.Fatalf("slow shell: %v after %v", err, time.Since(start))
	}
	// A failing shell is an error, nothing imported.
	if got, err := ShellEnv(context.Background(), ShellEnvOptions{Env: MapEnv(map[string]string{"SHELL": fakeShell(t, "exit 2")}), Keys: keys}); err == nil || got != nil {
		t.Fatalf("failing shell: %v %v", got, err)
	}
}
