package config

import (
	"strings"
	"testing"
)

// TestUIHints: hints come from the hints file and the schema — groups carry label,
// group and order; secrets are sensitive by the redaction's own rule, so every
// sensitive path is one Redact hides and vice versa for the named secrets; schema
// descriptions become help.
func TestUIHints(t *testing.T) {
	h, err := UIHints()
	if err != nil {
		t.Fatal(err)
	}
	g := h["gateway"]
	if g.Label == "" || g.Group != g.Label || g.Order == nil || *g.Order != 30 {
		t.Errorf("gateway group: %+v", g)
	}
	for _, k := range []string{"gateway.auth.token", "gateway.auth.password", "hooks.token", "models.providers.*.apiKey", "channels.telegram.botToken"} {
		if !h[k].Sensitive {
			t.Errorf("%s not sensitive", k)
		}
	}
	n := 0
	for k, v := range h {
		if v.Sensitive {
			n++
			if !underSensitive(strings.Split(k, ".")) {
				t.Errorf("%s sensitive but not redacted", k)
			}
		}
		if k == "" || strings.HasPrefix(k, ".") || strings.HasSuffix(k, ".") {
			t.Errorf("bad key %q", k)
		}
	}
	if n < 20 {
		t.Errorf("only %d sensitive keys", n)
	}
	if !strings.Contains(h["logging.maxFiles"].Help, "log files") || h["logging.maxFiles"].Label == "" {
		t.Errorf("logging.maxFiles: %+v", h["logging.maxFiles"])
	}
}
