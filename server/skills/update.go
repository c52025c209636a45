package skills

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/clawgate/gateway/server/config"
)

// Update is a change to skills.entries.<key>: nil fields are left alone.
type Update struct {
	Enabled *bool
	// APIKey sets apiKey; blank removes it.
	APIKey *string
	// Env sets each key; a blank value removes it; blank keys are ignored.
	Env map[string]string
}

// ErrConfigUnreadable is returned (wrapped) when the config file cannot be parsed:
// nothing is written over a file that could not be read.
var ErrConfigUnreadable = errors.New("config file unreadable")

// UpdateEntry applies u to skills.entries.<key> in the config file at path, as
// written (${VAR} references and the other keys untouched; leading comments kept),
// validates the result and saves it atomically; it returns the entry as written.
// An invalid result is an *config.InvalidError and the file is unchanged. A missing
// file is created (0600, its folder 0700).
func UpdateEntry(path string, env config.Env, key string, u Update) (map[string]any, error) {
	if strings.TrimSpace(key) == "" {
		return nil, errors.New("skillKey is empty")
	}
	f, err := config.LoadWith(path, env)
	var pe *config.ParseError
	if errors.As(err, &pe) || f == nil {
		return nil, fmt.Errorf("%w: %v", ErrConfigUnreadable, err)
	}
	tree, _ := f.Written.(map[string]any)
	if tree == nil {
		tree = map[string]any{}
	}
	entry := map[string]any{}
	if cur, ok := config.GetPath(tree, []string{"skills", "entries", key}); ok {
		if m, ok := cur.(map[string]any); ok {
			for k, v := range m {
				entry[k] = v
			}
		}
	}
	if u.Enabled != nil {
		entry["enabled"] = *u.Enabled
	}
	if u.APIKey != nil {
		if k := strings.TrimSpace(*u.APIKey); k != "" {
			entry["apiKey"] = k
		} else {
			delete(entry, "apiKey")
		}
	}
	if u.Env != nil {
		next := map[string]any{}
		if cur, ok := entry["env"].(map[string]any); ok {
			for k, v := range cur {
				next[k] = v
			}
		}
		for k, v := range u.Env {
			k = strings.TrimSpace(k)
			if k == "" {
				continue
			}
			if v = strings.TrimSpace(v); v == "" {
				delete(next, k)
			} else {
				next[k] = v
			}
		}
		entry["env"] = next
	}
	if err := config.SetPath(tree, []string{"skills", "entries", key}, entry); err != nil {
		return nil, fmt.Errorf("skills.entries.%s: %w", key, err)
	}
	raw, err := config.Format(tree)
	if err != nil {
		return nil, err
	}
	raw = append(config.LeadingComments(f.Raw), raw...)
	if _, err := config.ParseWith(path, raw, env); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	if err := config.Save(path, raw); err != nil {
		return nil, err
	}
	return entry, nil
}
