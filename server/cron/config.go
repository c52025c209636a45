package cron

import (
	"os"
	"path/filepath"
	"strings"
)

// SkipEnv turns the scheduler off when set to "1" (as the original).
const SkipEnv = "CLAWDBOT_SKIP_CRON"

// Enabled is the original's rule for Options.Disabled's inverse: cron.enabled is not
// false and CLAWDBOT_SKIP_CRON is not "1".
func Enabled(cfgEnabled *bool, getenv func(string) string) bool {
	if getenv != nil && getenv(SkipEnv) == "1" {
		return false
	}
	return cfgEnabled == nil || *cfgEnabled
}

// ResolveStorePath is cron.store (with a leading ~ expanded, made absolute) or
// <stateDir>/cron/jobs.json.
func ResolveStorePath(stateDir, store string) (string, error) {
	store = strings.TrimSpace(store)
	if store == "" {
		return StorePath(stateDir), nil
	}
	if strings.HasPrefix(store, "~") {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		store = home + store[1:]
	}
	return filepath.Abs(store)
}
