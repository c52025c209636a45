package daemon

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/clawgate/gateway/server/config"
)

// TestRedactorFromConfig: logging.redactSensitive defaults to "tools" (the default
// patterns), "off" masks nothing, logging.redactPatterns replace the defaults, and a
// pattern that does not compile is logged and skipped.
func TestRedactorFromConfig(t *testing.T) {
	const line = "exec: OPENAI_API_KEY=sk-0123456789abcdefWXYZ pin=4242424242424242424242"
	cases := []struct {
		name, cfg, want, log string
	}{
		{"default", `{}`, "exec: OPENAI_API_KEY=sk-012…WXYZ pin=4242424242424242424242", ""},
		{"tools", `{logging: {redactSensitive: "tools"}}`, "exec: OPENAI_API_KEY=sk-012…WXYZ pin=4242424242424242424242", ""},
		{"off", `{logging: {redactSensitive: "off"}}`, line, ""},
		{"patterns", `{logging: {redactPatterns: ["pin=(\\d+)", "(broken"]}}`, "exec: OPENAI_API_KEY=sk-0123456789abcdefWXYZ pin=424242…4242", "(broken"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := config.Parse("clawdbot.json", []byte(c.cfg))
			if err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			r := redactor(f, slog.New(slog.NewTextHandler(&logs, nil)))
			if got := r.Text(line); got != c.want {
				t.Fatalf("Text = %q, want %q", got, c.want)
			}
			if c.log != "" && !strings.Contains(logs.String(), "does not compile") {
				t.Fatalf("no warning for the bad pattern: %s", logs.String())
			}
		})
	}
}
