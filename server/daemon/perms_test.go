package daemon

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/clawgate/gateway/server/config"
)

// TestSecretPermsPolicy: the state dir is always narrowed; the config file only when it
// holds a secret (a secret-free config may be shared on purpose).
func TestSecretPermsPolicy(t *testing.T) {
	for _, tc := range []struct {
		name, cfg  string
		wantConfig os.FileMode
	}{
		{"token", `{"gateway": {"auth": {"token": "t"}}}`, 0o600},
		{"hooks token", `{"hooks": {"enabled": true, "token": "h"}}`, 0o600},
		{"telegram bot token", `{"telegram": {"botToken": "123:abc"}}`, 0o600},
		{"no secret", `{"gateway": {"mode": "local", "port": 18789}}`, 0o644},
		{"empty token", `{"gateway": {"auth": {"token": ""}}}`, 0o644},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			paths := config.Paths{StateDir: filepath.Join(dir, "state"), ConfigPath: filepath.Join(dir, "clawdbot.json")}
			if err := os.Mkdir(paths.StateDir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(paths.ConfigPath, []byte(tc.cfg), 0o644); err != nil {
				t.Fatal(err)
			}
			_ = os.Chmod(paths.StateDir, 0o755)
			_ = os.Chmod(paths.ConfigPath, 0o644)
			f, err := config.Load(paths.ConfigPath)
			if err != nil {
				t.Fatal(err)
			}
			found := tightenSecretPerms(paths, f, slog.New(slog.NewTextHandler(io.Discard, nil)))
			for _, p := range found {
				if !p.Fixed {
					t.Errorf("%s not narrowed: %v", p.Path, p.Err)
				}
			}
			if st, _ := os.Stat(paths.StateDir); st.Mode().Perm() != 0o700 {
				t.Errorf("state dir %v", st.Mode().Perm())
			}
			if st, _ := os.Stat(paths.ConfigPath); st.Mode().Perm() != tc.wantConfig {
				t.Errorf("config %v, want %v", st.Mode().Perm(), tc.wantConfig)
			}
			if left := CheckSecretPerms(paths, f); len(left) != 0 {
				t.Errorf("still open after narrowing: %+v", left)
			}
		})
	}
}
