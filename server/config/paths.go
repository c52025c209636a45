package config

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
)

// Environment variables read by this package.
const (
	EnvConfigPath     = "CLAWDBOT_CONFIG_PATH"
	EnvStateDir       = "CLAWDBOT_STATE_DIR"
	EnvLegacyStateDir = "CLAWDIS_STATE_DIR"
	EnvProfile        = "CLAWDBOT_PROFILE"
	EnvGatewayPort    = "CLAWDBOT_GATEWAY_PORT"
	EnvGatewayToken   = "CLAWDBOT_GATEWAY_TOKEN"
	EnvGatewayPass    = "CLAWDBOT_GATEWAY_PASSWORD"
	EnvBridgePort     = "CLAWDBOT_BRIDGE_PORT"
	EnvBridgeEnabled  = "CLAWDBOT_BRIDGE_ENABLED"
	EnvCanvasHostPort = "CLAWDBOT_CANVAS_HOST_PORT"
	EnvSkipCanvasHost = "CLAWDBOT_SKIP_CANVAS_HOST"
)

// ConfigFileName is the config file's name inside the state directory.
const ConfigFileName = "clawdbot.json"

// DevProfile is the profile --dev selects; DevGatewayPort is the gateway port it implies.
const (
	DevProfile     = "dev"
	DevGatewayPort = 19001
)

// Paths resolves where things live.
type Paths struct {
	StateDir   string // ~/.clawdbot, ~/.clawdbot-dev, ~/.clawdbot-<profile>, or the env override
	ConfigPath string // <StateDir>/clawdbot.json or $CLAWDBOT_CONFIG_PATH
	Workspace  string // ~/clawd, ~/clawd-dev, ~/clawd-<profile>
	// Profile is the effective profile: "" (default), "dev" (--dev), or a --profile name.
	Profile string
}

var profileRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_-]{0,63}$`)

// ValidProfile reports whether name is usable as a --profile value:
// [a-z0-9][a-z0-9_-]{0,63}, letters in either case (as the reference CLI).
func ValidProfile(name string) error {
	if !profileRE.MatchString(name) {
		return fmt.Errorf("invalid profile %q (use letters, numbers, \"_\", \"-\" only)", name)
	}
	return nil
}

// normProfile maps "default" (any case) and "" to "", and validates the rest.
func normProfile(p string) (string, error) {
	p = strings.TrimSpace(p)
	if p == "" || strings.EqualFold(p, "default") {
		return "", nil
	}
	if err := ValidProfile(p); err != nil {
		return "", err
	}
	return p, nil
}

// profileSuffix is "" for the default profile and "-<profile>" otherwise.
func profileSuffix(p string) string {
	if p == "" {
		return ""
	}
	return "-" + p
}

// ResolvePaths resolves the state directory, config path and workspace.
//
//   - StateDir = $CLAWDBOT_STATE_DIR → legacy $CLAWDIS_STATE_DIR → ~/.clawdbot
//     (profile p: ~/.clawdbot-p, so dev: ~/.clawdbot-dev).
//   - ConfigPath = $CLAWDBOT_CONFIG_PATH → <StateDir>/clawdbot.json.
//   - Workspace = ~/clawd (profile p: ~/clawd-p).
//
// profile is the --dev/--profile selection; when empty, $CLAWDBOT_PROFILE is
// used (a child process inherits it from the ProfileEnv overlay). "default"
// means no profile. A leading "~" in an env value is expanded with home;
// relative env paths are made absolute. Empty (whitespace-only) env values
// count as unset.
func ResolvePaths(env Env, home, profile string) (Paths, error) {
	if strings.TrimSpace(home) == "" {
		return Paths{}, errors.New("config: home directory unknown")
	}
	if strings.TrimSpace(profile) == "" {
		profile = env.get(EnvProfile)
	}
	p, err := normProfile(profile)
	if err != nil {
		return Paths{}, err
	}
	out := Paths{Profile: p}
	stateDir := env.get(EnvStateDir)
	if stateDir == "" {
		stateDir = env.get(EnvLegacyStateDir)
	}
	if stateDir != "" {
		if out.StateDir, err = userPath(stateDir, home); err != nil {
			return Paths{}, err
		}
	} else {
		out.StateDir = filepath.Join(home, ".clawdbot"+profileSuffix(p))
	}
	if cp := env.get(EnvConfigPath); cp != "" {
		if out.ConfigPath, err = userPath(cp, home); err != nil {
			return Paths{}, err
		}
	} else {
		out.ConfigPath = filepath.Join(out.StateDir, ConfigFileName)
	}
	out.Workspace = filepath.Join(home, "clawd"+profileSuffix(p))
	return out, nil
}

// ProfileEnv returns the environment overlay --dev / --profile applies:
// CLAWDBOT_STATE_DIR=~/.clawdbot-<p>, CLAWDBOT_CONFIG_PATH=<stateDir>/clawdbot.json
// and, for dev only, CLAWDBOT_GATEWAY_PORT=19001 — each only where unset (or
// blank) in env; <stateDir> is the env's own state dir when it has one.
// CLAWDBOT_PROFILE=<p> is always part of the overlay: the flag is an explicit
// choice, and the reference CLI overwrites it too (the workspace follows it).
// profile "" or "default" yields an empty map, as does an invalid name
// (check it with ValidProfile first; ResolvePaths reports it).
func ProfileEnv(env Env, home, profile string) map[string]string {
	out := map[string]string{}
	p, err := normProfile(profile)
	if err != nil || p == "" {
		return out
	}
	out[EnvProfile] = p
	stateDir := env.get(EnvStateDir)
	if stateDir == "" {
		stateDir = filepath.Join(home, ".clawdbot"+profileSuffix(p))
		out[EnvStateDir] = stateDir
	} else if sd, err := userPath(stateDir, home); err == nil {
		stateDir = sd
	}
	if env.get(EnvConfigPath) == "" {
		out[EnvConfigPath] = filepath.Join(stateDir, ConfigFileName)
	}
	if p == DevProfile && env.get(EnvGatewayPort) == "" {
		out[EnvGatewayPort] = fmt.Sprint(DevGatewayPort)
	}
	return out
}

// ExpandHome replaces a leading "~" (alone or followed by a separator) with home.
func ExpandHome(p, home string) string {
	if p == "~" {
		return home
	}
	if strings.HasPrefix(p, "~/") || strings.HasPrefix(p, "~"+string(filepath.Separator)) {
		return filepath.Join(home, p[2:])
	}
	return p
}

// userPath expands "~" and makes p absolute and clean.
func userPath(p, home string) (string, error) {
	abs, err := filepath.Abs(ExpandHome(strings.TrimSpace(p), home))
	if err != nil {
		return "", fmt.Errorf("config: resolve %q: %w", p, err)
	}
	return abs, nil
}
