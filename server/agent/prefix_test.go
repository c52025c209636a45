package agent

import "testing"

func TestResponsePrefixTemplate(t *testing.T) {
	c := prefixContext{modelFull: "anthropic/claude-opus-4-5-20251101", thinking: "high", identity: "Clawd"}
	for _, tc := range []struct {
		ctx        prefixContext
		tmpl, want string
	}{
		{c, "[{model} | think:{thinkingLevel}]", "[claude-opus-4-5 | think:high]"},
		{c, "{MODELFULL} {Provider} {think}", "anthropic/claude-opus-4-5-20251101 anthropic high"},
		{c, "[{identity.name}] {identityName}", "[Clawd] Clawd"},
		{c, "{unknown} {model", "{unknown} {model"},
		{prefixContext{modelFull: "gpt-5.2-latest"}, "{model}/{provider}/{identity.name}", "gpt-5.2/{provider}/{identity.name}"},
		{prefixContext{}, "🦞", "🦞"},
	} {
		if got := tc.ctx.expand(tc.tmpl); got != tc.want {
			t.Errorf("expand(%q) = %q, want %q", tc.tmpl, got, tc.want)
		}
	}
	for _, tc := range []struct{ prefix, text, want string }{
		{"[Clawd]", "hello", "[Clawd] hello"},
		{"[Clawd]", "[Clawd] hello", "[Clawd] hello"},
		{"[Clawd]", "  ", "  "},
		{"", "hello", "hello"},
	} {
		if got := withPrefix(tc.prefix, tc.text); got != tc.want {
			t.Errorf("withPrefix(%q, %q) = %q, want %q", tc.prefix, tc.text, got, tc.want)
		}
	}
}
