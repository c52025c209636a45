package daemon

import (
	"io/fs"
	"log/slog"
	"os"

	"github.com/clawgate/gateway/server/config"
)

// Local secrets at rest. The state dir holds the WhatsApp session, device and node
// stores and transcripts whatever the config says, so it is always narrowed to 0700.
// The config file is narrowed to 0600 when it holds a secret (a token, password or key
// under a sensitive key, config.IsSensitiveKey); a config without secrets may be
// readable on purpose (shared in a dotfiles repository) and is left alone. Where a
// mode cannot be changed (not our file, read-only file system), the gateway says so
// at start and runs on.

const (
	privateDirMode  fs.FileMode = 0o700
	privateFileMode fs.FileMode = 0o600
)

// PermFinding is one path whose mode lets group or others in.
type PermFinding struct {
	Path  string
	Mode  fs.FileMode // the mode found
	Want  fs.FileMode
	Fixed bool  // narrowed to Want
	Err   error // why it could not be narrowed
}

// CheckSecretPerms lists the paths that are open to group or others and should not
// be, without changing anything (for `clawdbot doctor`).
func CheckSecretPerms(paths config.Paths, f *config.File) []PermFinding {
	var out []PermFinding
	add := func(path string, want fs.FileMode) {
		st, err := os.Stat(path)
		if err != nil {
			return
		}
		if st.Mode().Perm()&^want != 0 {
			out = append(out, PermFinding{Path: path, Mode: st.Mode().Perm(), Want: want})
		}
	}
	add(paths.StateDir, privateDirMode)
	if configHoldsSecrets(f) {
		add(paths.ConfigPath, privateFileMode)
	}
	return out
}

// tightenSecretPerms narrows what CheckSecretPerms finds and logs each change, or
// why it could not be made.
func tightenSecretPerms(paths config.Paths, f *config.File, log *slog.Logger) []PermFinding {
	found := CheckSecretPerms(paths, f)
	for i := range found {
		p := &found[i]
		p.Err = os.Chmod(p.Path, p.Mode&p.Want)
		p.Fixed = p.Err == nil
		if p.Fixed {
			log.Warn("narrowed permissions: it holds secrets and was readable by group or others", "path", p.Path, "was", p.Mode.String(), "now", (p.Mode & p.Want).String())
		} else {
			log.Warn("readable by group or others and holds secrets; could not narrow it — fix it by hand", "path", p.Path, "mode", p.Mode.String(), "want", p.Want.String(), "err", p.Err)
		}
	}
	return found
}

// configHoldsSecrets reports whether the parsed config has a non-empty string or
// number under a sensitive key.
func configHoldsSecrets(f *config.File) bool {
	if f == nil || f.Parsed == nil {
		return false
	}
	return holdsSecret(f.Parsed, false)
}

func holdsSecret(v any, sensitive bool) bool {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if holdsSecret(e, sensitive || config.IsSensitiveKey(k)) {
				return true
			}
		}
	case []any:
		for _, e := range t {
			if holdsSecret(e, sensitive) {
				return true
			}
		}
	case string:
		return sensitive && t != ""
	case float64, int, int64:
		return sensitive
	}
	return false
}
