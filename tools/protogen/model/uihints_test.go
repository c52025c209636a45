package model

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUIHintsChecked: a hint for a key the config schema does not have, a group that
// is not top-level and a hint key the UI does not read fail generation, located in
// config/uihints.json.
func TestUIHintsChecked(t *testing.T) {
	for _, tc := range []struct{ name, hints, want string }{
		{"ok", `{"groups": {"gateway": {"label": "G", "order": 1}}, "fields": {"gateway.auth.token": {"label": "T"}, "models.providers.*.apiKey": {"label": "K"}}}`, ""},
		{"unknown key", `{"fields": {"gateway.nope": {"label": "x"}}}`, `config/uihints.json: /fields/gateway.nope: no such key in config/clawdbot.json`},
		{"nested group", `{"groups": {"gateway.auth": {"label": "x"}}}`, `/groups/gateway.auth: a group is a top-level config key`},
		{"sensitive by hand", `{"fields": {"gateway.port": {"sensitive": true}}}`, `/fields/gateway.port/sensitive: unknown hint key`},
		{"top-level key", `{"hints": {}}`, `/hints: unknown key`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			copyTree(t, "../../../schema", dir)
			if err := os.WriteFile(filepath.Join(dir, UIHintsFile), []byte(tc.hints), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(dir)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load error = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}
