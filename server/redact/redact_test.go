package redact

import (
	"strings"
	"testing"
)

// TestText: the default patterns keep the key and mask the secret (first 6 and last 4
// characters kept, shorter secrets fully masked); custom patterns with and without
// /…/flags; off masks nothing; bad patterns are reported and skipped.
func TestText(t *testing.T) {
	pem := strings.Join([]string{"-----BEGIN RSA PRIVATE KEY-----", "MIIEpQIBAAKCAQEA1234", "qwertyuiop0987654321", "-----END RSA PRIVATE KEY-----"}, "\n")
	cases := []struct {
		name, mode string
		patterns   []string
		in, want   string
	}{
		{"env assignment", "", nil, "ANTHROPIC_API_KEY=sk-ant-0123456789wxyz", "ANTHROPIC_API_KEY=sk-ant…wxyz"},
		{"env quoted", "tools", nil, `export GH_TOKEN="ghp_aaaaaaaaaaaaaaaaaaaaaaaa1234"`, `export GH_TOKEN="ghp_aa…1234"`},
		{"short secret", "tools", nil, "PASSWORD: hunter2", "PASSWORD: ***"},
		{"cli flag", "tools", nil, "tool --api-key zyxwvu9876543210abcd run", "tool --api-key zyxwvu…abcd run"},
		{"json field", "tools", nil, `{"accessToken":"tok_0123456789abcdefgh","user":"ann"}`, `{"accessToken":"tok_01…efgh","user":"ann"}`},
		{"authorization header", "tools", nil, "curl -H 'Authorization: Bearer qwerty1234567890uiop' x", "curl -H 'Authorization: Bearer qwerty…uiop' x"},
		{"bare bearer", "tools", nil, "using bearer abcdefghijklmnopqrstuv now", "using bearer abcdef…stuv now"},
		{"openai key in prose", "tools", nil, "the key is sk-proj-abcdefghijklmnop ok", "the key is sk-pro…mnop ok"},
		{"slack token", "tools", nil, "xoxb-1234567890-abcdefghij", "xoxb-1…ghij"},
		{"google key", "tools", nil, "AIzaSyA1234567890abcdefghijklmnop", "AIzaSy…mnop"},
		{"telegram bot token", "tools", nil, "bot 987654321:AAEhBOweik6ad9r_QXMENQjcrGbqCr4K-Ms", "bot 987654…K-Ms"},
		{"pem block", "tools", nil, pem, "-----BEGIN RSA PRIVATE KEY-----\n…redacted…\n-----END RSA PRIVATE KEY-----"},
		{"nothing secret", "tools", nil, "ls -la /tmp && echo done", "ls -la /tmp && echo done"},
		{"off", "off", nil, "OPENAI_API_KEY=sk-0123456789abcdefgh", "OPENAI_API_KEY=sk-0123456789abcdefgh"},
		{"custom with flags", "tools", []string{"/pin=([0-9]+)/i"}, "PIN=123456789012345678901", "PIN=123456…8901"},
		{"custom bare is case-insensitive", "tools", []string{`secretword`}, "my SecretWord here", "my *** here"},
		{"custom replaces defaults", "tools", []string{`nomatch`}, "OPENAI_API_KEY=sk-0123456789abcdefgh", "OPENAI_API_KEY=sk-0123456789abcdefgh"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, bad := New(c.mode, c.patterns)
			if len(bad) != 0 {
				t.Fatalf("bad patterns: %v", bad)
			}
			if got := r.Text(c.in); got != c.want {
				t.Fatalf("Text(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
	r, bad := New("tools", []string{"(unclosed", `tok=(\w+)`})
	if len(bad) != 1 || bad[0] != "(unclosed" || r.Text("tok=abc") != "tok=***" {
		t.Fatalf("bad pattern handling: %v %q", bad, r.Text("tok=abc"))
	}
	var none *Redactor
	if none.Text("TOKEN=abc") != "TOKEN=abc" {
		t.Fatal("a nil redactor masks")
	}
}
