package gatewaytest

import (
	"os"
	"os/exec"
	"testing"
)

// Chromium returns the Chrome/Chromium binary browser tests drive: CLAWDBOT_CHROMIUM,
// else the first of the usual names on PATH. Without one the test skips, unless
// CLAWDBOT_REQUIRE_BROWSER=1 (CI), where a missing browser is a failure.
func Chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("CLAWDBOT_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CLAWDBOT_REQUIRE_BROWSER") == "1" {
		t.Fatal("CLAWDBOT_REQUIRE_BROWSER=1 but no chromium binary was found (apt-get install chromium)")
	}
	t.Skip("no chromium binary found; install Debian's chromium to run the browser tests (CLAWDBOT_REQUIRE_BROWSER=1 makes this a failure)")
	return ""
}
