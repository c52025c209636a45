package configapi

import (
	"strings"
	"testing"

	"github.com/clawgate/gateway/server/config"
)

// TestCheckBaseHash: the lost-update guard. An existing file needs the hash read
// (the original's rule); a missing file needs none, but a given hash must be that
// of the empty text, so of two clients that saw no file only the first creates it.
func TestCheckBaseHash(t *testing.T) {
	missing, err := config.Load(t.TempDir() + "/none.json")
	if err != nil {
		t.Fatal(err)
	}
	existing, err := config.Parse("/x/clawdbot.json", []byte(`{ gateway: { mode: "local" } }`))
	if err != nil {
		t.Fatal(err)
	}
	s := func(v string) *string { return &v }
	for _, tc := range []struct {
		name string
		cur  *config.File
		hash *string
		want string
	}{
		{"missing, no hash", missing, nil, ""},
		{"missing, empty-text hash", missing, s(missing.Hash), ""},
		{"missing, someone else's hash", missing, s(existing.Hash), msgHashStale},
		{"existing, no hash", existing, nil, msgHashRequired},
		{"existing, blank hash", existing, s("  "), msgHashRequired},
		{"existing, right hash", existing, s(existing.Hash), ""},
		{"existing, right hash padded", existing, s(" " + existing.Hash + "\n"), ""},
		{"existing, stale hash", existing, s(missing.Hash), msgHashStale},
	} {
		err := checkBaseHash(tc.cur, tc.hash)
		if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}
