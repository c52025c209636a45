package config

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// EnvVars are the variables the config file sets for the gateway's process and
// everything it starts: env.vars, and the string members of env itself (the
// original's shorthand, {env: {OPENAI_API_KEY: "…"}}); empty values are skipped.
func EnvVars(f *File) map[string]string {
	out := map[string]string{}
	v, ok := f.Lookup("/env")
	m, isMap := v.(map[string]any)
	if !ok || !isMap {
		return out
	}
	if vars, ok := m["vars"].(map[string]any); ok {
		for k, v := range vars {
			if s, ok := v.(string); ok && s != "" {
				out[k] = s
			}
		}
	}
	for k, v := range m {
		if k == "vars" || k == "shellEnv" {
			continue
		}
		if s, ok := v.(string); ok && strings.TrimSpace(s) != "" {
			out[k] = s
		}
	}
	return out
}

// MissingEnv returns the entries of vars the environment does not already set (a
// variable set to blanks counts as unset): the real environment wins over the config,
// as in the original.
func MissingEnv(env Env, vars map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range vars {
		if cur, ok := env.lookup(k); ok && strings.TrimSpace(cur) != "" {
			continue
		}
		out[k] = v
	}
	return out
}

// ShellEnvExpectedKeys are the variables the login-shell import looks for (the
// original's list): provider keys and the gateway's own secrets.
var ShellEnvExpectedKeys = []string{
	"OPENAI_API_KEY", "ANTHROPIC_API_KEY", "ANTHROPIC_OAUTH_TOKEN", "GEMINI_API_KEY", "ZAI_API_KEY",
	"OPENROUTER_API_KEY", "AI_GATEWAY_API_KEY", "MINIMAX_API_KEY", "SYNTHETIC_API_KEY", "ELEVENLABS_API_KEY",
	"TELEGRAM_BOT_TOKEN", "DISCORD_BOT_TOKEN", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN",
	"CLAWDBOT_GATEWAY_TOKEN", "CLAWDBOT_GATEWAY_PASSWORD",
}

// Shell env limits: how long the login shell may take (env.shellEnv.timeoutMs or
// CLAWDBOT_SHELL_ENV_TIMEOUT_MS override it) and how much of its output is read.
const (
	DefaultShellEnvTimeout = 15 * time.Second
	MaxShellEnvOutput      = 2 << 20
)

// ShellEnvOptions configure ShellEnv.
type ShellEnvOptions struct {
	// Env is the environment the decision and the shell see.
	Env Env
	// Environ is the shell's environment (KEY=value entries).
	Environ []string
	// Keys are the variables wanted (default ShellEnvExpectedKeys).
	Keys []string
	// Timeout bounds the shell (0 = DefaultShellEnvTimeout; negative = none).
	Timeout time.Duration
}

// ShellEnv runs the user's login shell ($SHELL -l -c 'env -0', /bin/sh without
// SHELL) and returns the wanted variables it sets that Env lacks — for a gateway
// started by a service manager, whose environment lacks what the user's shell
// profile exports. It does nothing when Env already has any wanted key (the
// original's rule: the environment is then taken as complete).
func ShellEnv(ctx context.Context, o ShellEnvOptions) (map[string]string, error) {
	keys := o.Keys
	if keys == nil {
		keys = ShellEnvExpectedKeys
	}
	for _, k := range keys {
		if v, ok := o.Env.lookup(k); ok && strings.TrimSpace(v) != "" {
			return nil, nil
		}
	}
	shell, _ := o.Env.lookup("SHELL")
	if shell = strings.TrimSpace(shell); shell == "" {
		shell = "/bin/sh"
	}
	timeout := o.Timeout
	if timeout == 0 {
		timeout = DefaultShellEnvTimeout
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, shell, "-l", "-c", "env -0")
	cmd.Env = o.Environ
	cmd.WaitDelay = time.Second // a grandchild holding the pipe must not hold us
	out := &limitedBuffer{max: MaxShellEnvOutput}
	cmd.Stdout = out
	err := cmd.Run()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("shell env: %s did not finish within %s", shell, timeout)
	}
	if err != nil && !errors.Is(err, exec.ErrWaitDelay) {
		return nil, fmt.Errorf("shell env: %s: %w", shell, err)
	}
	if out.over {
		return nil, fmt.Errorf("shell env: output over %d bytes", MaxShellEnvOutput)
	}
	got := map[string]string{}
	for _, part := range bytes.Split(out.buf.Bytes(), []byte{0}) {
		k, v, ok := strings.Cut(string(part), "=")
		if ok && k != "" {
			got[strings.TrimLeft(k, "\n")] = v
		}
	}
	applied := map[string]string{}
	for _, k := range keys {
		if v := got[k]; strings.TrimSpace(v) != "" {
			applied[k] = v
		}
	}
	return applied, nil
}

// ShellEnvSettings are whether and how long to import the login shell's environment:
// env.shellEnv.enabled or CLAWDBOT_LOAD_SHELL_ENV turn it on (unless
// CLAWDBOT_DEFER_SHELL_ENV_FALLBACK); env.shellEnv.timeoutMs, else
// CLAWDBOT_SHELL_ENV_TIMEOUT_MS, bounds it.
func ShellEnvSettings(f *File, env Env) (enabled bool, timeout time.Duration) {
	truthy := func(k string) bool {
		v, _ := env.lookup(k)
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "1", "true", "yes", "on":
			return true
		}
		return false
	}
	enabled = truthy("CLAWDBOT_LOAD_SHELL_ENV")
	if v, ok := f.Lookup("/env/shellEnv/enabled"); ok {
		if b, isBool := v.(bool); isBool && b {
			enabled = true
		}
	}
	if truthy("CLAWDBOT_DEFER_SHELL_ENV_FALLBACK") {
		enabled = false
	}
	timeout = DefaultShellEnvTimeout
	if v, ok := env.lookup("CLAWDBOT_SHELL_ENV_TIMEOUT_MS"); ok {
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			timeout = time.Duration(max(n, 0)) * time.Millisecond
		}
	}
	if v, ok := f.Lookup("/env/shellEnv/timeoutMs"); ok {
		if n, isNum := v.(float64); isNum && n >= 0 {
			timeout = time.Duration(n) * time.Millisecond
		}
	}
	if timeout == 0 {
		timeout = -1 // 0 ms: the original passes it to execFileSync, where 0 means no limit
	}
	return enabled, timeout
}

type limitedBuffer struct {
	buf  bytes.Buffer
	max  int
	over bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.buf.Len()+len(p) > b.max {
		b.over = true
		return 0, errors.New("output limit")
	}
	return b.buf.Write(p)
}
