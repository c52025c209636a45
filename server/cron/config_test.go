package cron

import (
	"os"
	"path/filepath"
	"testing"
)

func TestEnabledAndStorePath(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == SkipEnv {
				return v
			}
			return ""
		}
	}
	f, tr := false, true
	for _, tc := range []struct {
		cfg  *bool
		env  string
		want bool
	}{{nil, "", true}, {&tr, "", true}, {&f, "", false}, {nil, "1", false}, {&tr, "1", false}, {nil, "0", true}} {
		if got := Enabled(tc.cfg, env(tc.env)); got != tc.want {
			t.Errorf("cfg=%v env=%q: %v", tc.cfg, tc.env, got)
		}
	}
	if p, _ := ResolveStorePath("/state", ""); p != filepath.Join("/state", "cron", "jobs.json") {
		t.Fatal(p)
	}
	home, _ := os.UserHomeDir()
	if p, _ := ResolveStorePath("/state", "~/jobs.json"); p != filepath.Join(home, "jobs.json") {
		t.Fatal(p)
	}
}
