package daemon

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/clawgate/gateway/server/update"
)

// TestUpdateCheckOnStartEndToEnd: at start the gateway asks the registry (a fake on
// 127.0.0.1, named by CLAWDBOT_UPDATE_REGISTRY) for update.channel's tag and logs a
// newer release with how to update, recording the check in <state>/update-check.json;
// the next start within a day asks nothing; with update.checkOnStart false nothing is
// asked at all.
func TestUpdateCheckOnStartEndToEnd(t *testing.T) {
	var mu sync.Mutex
	var asked []string
	reg := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.URL.Path)
		mu.Unlock()
		v := map[string]string{"/clawdbot/beta": "2026.1.25-beta.1", "/clawdbot/latest": "2026.1.24"}[r.URL.Path]
		if v == "" {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"version": v})
	}))
	defer reg.Close()
	paths := func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), asked...) }
	t.Setenv(update.EnvRegistry, reg.URL)
	t.Setenv("CLAWDBOT_VERSION", "2026.1.20")

	home := t.TempDir()
	r := startHome(t, home, `{update: {channel: "beta"}}`, nil)
	r.waitOutput(t, "update available (beta): v2026.1.25-beta.1 (current v2026.1.20). Replace the clawdbot binary")
	r.stop(t)
	if got := paths(); len(got) != 2 || got[0] != "/clawdbot/beta" || got[1] != "/clawdbot/latest" {
		t.Fatalf("registry asked %v", got)
	}
	b, err := os.ReadFile(filepath.Join(home, "state", update.StateFile))
	if err != nil || !strings.Contains(string(b), `"lastNotifiedVersion": "2026.1.25-beta.1"`) || !strings.Contains(string(b), `"lastNotifiedTag": "beta"`) {
		t.Fatalf("state %s (%v)", b, err)
	}

	// Started again the same day: no request.
	r = startHome(t, home, "", nil)
	r.waitOutput(t, "gateway listening")
	r.stop(t)
	if n := len(paths()); n != 2 {
		t.Fatalf("second start asked the registry (%d requests)", n)
	}

	// checkOnStart false (a fresh state dir): no request.
	home2 := t.TempDir()
	r = startHome(t, home2, `{update: {checkOnStart: false}}`, nil)
	r.waitOutput(t, "gateway listening")
	r.stop(t)
	if n := len(paths()); n != 2 {
		t.Fatalf("checkOnStart false asked the registry (%d requests)", n)
	}
	if _, err := os.Stat(filepath.Join(home2, "state", update.StateFile)); !os.IsNotExist(err) {
		t.Fatalf("checkOnStart false wrote the state: %v", err)
	}
}
